package codec

// tileStore is the ring of tiles the viewer had before they changed (see the package doc). Encoder and
// decoder each keep one and feed it the same way.
type tileStore struct {
	pix  []byte // storeSlots tiles of tilePix*4 bytes, stride 4*w
	dims [storeSlots][2]uint8
	hash [storeSlots]uint64 // encoder only
	full [storeSlots]bool
	next int
}

func (s *tileStore) reset() {
	s.next = 0
	s.full = [storeSlots]bool{}
}

func (s *tileStore) slot(i int) []byte {
	return s.pix[i*4*tilePix : (i+1)*4*tilePix]
}

// put copies the w×h tile at (x0, y0) of fb (stride) into the next slot and returns the slot.
func (s *tileStore) put(fb []byte, stride, x0, y0, w, h int) int {
	if s.pix == nil {
		s.pix = make([]byte, storeSlots*4*tilePix)
	}
	i := s.next
	s.next = (s.next + 1) % storeSlots
	s.full[i] = true
	dst := s.slot(i)
	for r := range h {
		copy(dst[r*4*w:][:4*w], fb[(y0+r)*stride+4*x0:][:4*w])
	}
	s.dims[i] = [2]uint8{uint8(w - 1), uint8(h - 1)}
	return i
}

// valid reports whether slot i holds a tile of size w×h.
func (s *tileStore) valid(i, w, h int) bool {
	if i < 0 || i >= storeSlots || !s.full[i] {
		return false
	}
	return s.dims[i] == [2]uint8{uint8(w - 1), uint8(h - 1)}
}
