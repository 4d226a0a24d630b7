package codec

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// DecoderOptions bound what a Decoder accepts.
type DecoderOptions struct {
	// MaxPixels is the largest frame (width × height) accepted; 0 means DefaultMaxPixels. The decoder's memory
	// is about 12 bytes per pixel of the largest frame it has decoded, plus the tile store (4 MiB).
	MaxPixels int
}

// DefaultMaxPixels is the default frame size limit: 8K UHD.
const DefaultMaxPixels = 7680 * 4320

// maxSide bounds width and height whatever MaxPixels says.
const maxSide = 1 << 16

// Decoder rebuilds a viewer's framebuffer from an Encoder's packets. It is not safe for concurrent use; it uses
// up to two goroutines of its own inside Decode.
type Decoder struct {
	g         tileGrid
	fb        []byte
	seq       uint64
	ok        bool // the stream can continue (false until a key frame, and after any error)
	store     tileStore
	zd        *zstd.Decoder
	parts     [2]*decPart
	tiles     []int32
	vecs      []vec
	rects     []Rect
	maxPixels int
	coarse    bool // the last packet decoded left coarse pictures on the framebuffer
}

// NewDecoder returns a decoder waiting for a key frame.
func NewDecoder(opt DecoderOptions) *Decoder {
	maxPix := opt.MaxPixels
	if maxPix <= 0 {
		maxPix = DefaultMaxPixels
	}
	zd, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(2),
		zstd.WithDecoderMaxMemory(uint64(4*tilePix)*uint64(maxPix/tilePix+64)),
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxWindow(1<<20))
	if err != nil {
		panic(err) // only bad options fail
	}
	d := &Decoder{zd: zd, maxPixels: maxPix}
	for i := range d.parts {
		d.parts[i] = &decPart{sd: streamDec{zstd: zd}}
	}
	return d
}

// Close releases the decoder's resources.
func (d *Decoder) Close() { d.zd.Close() }

// Reset makes the decoder wait for a key frame.
func (d *Decoder) Reset() { d.ok = false }

// Frame returns the framebuffer: the last decoded frame. It is overwritten by the next Decode.
func (d *Decoder) Frame() Frame {
	return Frame{Width: d.g.w, Height: d.g.h, Stride: 4 * d.g.w, Pix: d.fb}
}

// Changed returns the regions that the last Decode changed (tile-aligned). The slice is reused.
func (d *Decoder) Changed() []Rect { return d.rects }

// Exact reports whether the framebuffer is the sharer's frame bit for bit, as far as the last packet decoded
// says: false while the sharer's encoder has left coarse pictures on it (Encoder.SetCoarse), until it has sent
// them again exactly.
func (d *Decoder) Exact() bool { return !d.coarse }

// Decode applies a packet to the framebuffer. On error the framebuffer is unchanged and the decoder waits for
// a key frame; the error wraps ErrCorrupt or ErrNeedKey.
func (d *Decoder) Decode(pkt []byte) error {
	err := d.decode(pkt)
	if err == nil {
		d.coarse = pkt[2]&flagInexact != 0 // (a packet decoded has its three header bytes)
	} else {
		d.ok = false
		d.rects = d.rects[:0]
	}
	return err
}

func (d *Decoder) decode(pkt []byte) error {
	r := reader{b: pkt}
	if r.byte() != magic || r.byte() != version {
		return corrupt("bad magic or version")
	}
	flags := r.byte()
	seq := r.uv()
	w := r.uvMax(maxSide, "width")
	h := r.uvMax(maxSide, "height")
	if r.err != nil {
		return r.err
	}
	if flags&^(flagKey|flagNoChange|flagInexact) != 0 || flags&(flagKey|flagNoChange) == flagKey|flagNoChange {
		return corrupt("flags %#x", flags)
	}
	if w == 0 || h == 0 || w*h > d.maxPixels {
		return corrupt("frame size %dx%d", w, h)
	}
	key := flags&flagKey != 0
	if !key {
		if !d.ok {
			return fmt.Errorf("%w: seq %d", ErrNeedKey, seq)
		}
		if w != d.g.w || h != d.g.h {
			return corrupt("frame size %dx%d in a %dx%d stream", w, h, d.g.w, d.g.h)
		}
		want := d.seq + 1
		if flags&flagNoChange != 0 {
			want = d.seq
		}
		if seq != want {
			return fmt.Errorf("%w: seq %d, want %d", ErrNeedKey, seq, want)
		}
	}
	if flags&flagNoChange != 0 {
		if len(r.b) != 0 {
			return corrupt("trailing bytes")
		}
		d.rects = d.rects[:0]
		return nil
	}
	g := newGrid(w, h)
	nt := g.n()
	ntiles := r.uvMax(nt, "tile count")
	if r.err == nil && (ntiles == 0 || key && ntiles != nt) {
		return corrupt("%d tiles of %d", ntiles, nt)
	}
	d.tiles = d.tiles[:0]
	prev := -1
	for range ntiles {
		t := prev + 1 + r.uvMax(nt, "tile gap")
		if r.err != nil {
			return r.err
		}
		if t >= nt {
			return corrupt("tile %d of %d", t, nt)
		}
		d.tiles = append(d.tiles, int32(t))
		prev = t
	}
	nvec := int(r.byte())
	if nvec > maxVecs || key && nvec != 0 {
		return corrupt("%d vectors", nvec)
	}
	d.vecs = d.vecs[:0]
	for range nvec {
		v := vec{r.sv(), r.sv()}
		if v.dx <= -w || v.dx >= w || v.dy <= -h || v.dy >= h {
			return corrupt("vector %v", v)
		}
		d.vecs = append(d.vecs, v)
	}
	nparts := int(r.byte())
	if r.err != nil {
		return r.err
	}
	if nparts < 1 || nparts > 2 {
		return corrupt("%d parts", nparts)
	}
	start := 0
	for i := range nparts {
		p := d.parts[i]
		count := r.uvMax(ntiles-start, "part tile count")
		if r.err != nil {
			return r.err
		}
		p.tiles = d.tiles[start : start+count]
		start += count
		p.chunks = p.chunks[:0]
		for left := count; left > 0; {
			var c chunk
			c.count = r.uvMax(left, "chunk tile count")
			if r.err == nil && c.count == 0 {
				return corrupt("empty chunk")
			}
			for s := range c.raw {
				c.raw[s] = readRawStream(&r)
			}
			if r.err != nil {
				return r.err
			}
			p.chunks = append(p.chunks, c)
			left -= c.count
		}
		if count == 0 {
			return corrupt("empty part")
		}
	}
	if start != ntiles {
		return corrupt("parts hold %d tiles of %d", start, ntiles)
	}
	if len(r.b) != 0 {
		return corrupt("trailing bytes")
	}

	if key {
		if g != d.g {
			d.g = g
			d.fb = make([]byte, 4*w*h)
		}
		d.store.reset()
	}
	var errs [2]error
	parallel(nparts, func(i int) { errs[i] = d.parts[i].decode(d, key) })
	for _, err := range errs[:nparts] {
		if err != nil {
			return err
		}
	}
	// Commit: feed the tile store with what the tiles held, then write them.
	if !key && ntiles <= storeMaxChanged {
		for _, t := range d.tiles {
			x0, y0, tw, th := g.rect(int(t))
			d.store.put(d.fb, 4*w, x0, y0, tw, th)
		}
	}
	for i := range nparts {
		p := d.parts[i]
		for j, t := range p.tiles {
			x0, y0, tw, th := g.rect(int(t))
			blk := p.out[j*4*tilePix:]
			for r := range th {
				copy(d.fb[((y0+r)*w+x0)*4:][:4*tw], blk[r*4*tileSize:][:4*tw])
			}
		}
	}
	d.seq = seq
	d.ok = true
	d.rects = g.changedRects(d.rects, d.tiles)
	return nil
}

// rawStream is a stream as found in the packet, not yet decoded.
type rawStream struct {
	method byte
	n      int
	data   []byte
}

func readRawStream(r *reader) rawStream {
	s := rawStream{method: r.byte()}
	switch s.method {
	case methodEmpty:
		if r.byte() != 0 {
			r.fail(corrupt("empty stream with a length"))
		}
	case methodRLE:
		s.n = r.uvMax(1<<40, "stream length")
		s.data = r.bytes(1)
	case methodRaw, methodZstd, methodHuff:
		s.n = r.uvMax(1<<40, "stream length")
		s.data = r.bytes(r.uvMax(len(r.b), "compressed length"))
	default:
		r.fail(corrupt("stream method %d", s.method))
	}
	if s.method != methodEmpty && s.n == 0 {
		r.fail(corrupt("zero-length stream"))
	}
	return s
}

// chunk is a run of a part's tiles with their streams.
type chunk struct {
	count int
	raw   [nStreams]rawStream
}

// decPart decodes one part of a frame.
type decPart struct {
	sd     streamDec
	tiles  []int32
	chunks []chunk
	out    []byte // decoded tiles, 4*tilePix bytes each, stride 4*tileSize
	refs   [tilePix]uint8
	pl     [3]plane
	res    [3]plane
}

func (p *decPart) decode(d *Decoder, key bool) error {
	n := len(p.tiles)
	if cap(p.out) < n*4*tilePix {
		p.out = make([]byte, n*4*tilePix)
	}
	p.out = p.out[:n*4*tilePix]
	j := 0
	for ci := range p.chunks {
		c := &p.chunks[ci]
		limits := [nStreams]int{streamOps: c.count * (4*tilePix + 8), streamSyn: c.count * 4 * tilePix}
		for i := streamNat; i < nStreams; i++ {
			limits[i] = c.count * 3 * tilePix
		}
		var streams [nStreams][]byte
		for i := range streams {
			s, err := p.sd.decodeStream(c.raw[i], i, limits[i])
			if err != nil {
				return err
			}
			streams[i] = s
		}
		ops := reader{b: streams[streamOps]}
		syn := streams[streamSyn]
		var nat [nCtx][]byte
		copy(nat[:], streams[streamNat:])
		for _, t := range p.tiles[j : j+c.count] {
			if err := p.tile(d, int(t), key, &ops, &syn, &nat, p.out[j*4*tilePix:(j+1)*4*tilePix]); err != nil {
				return err
			}
			j++
		}
		if len(ops.b) != 0 || len(syn) != 0 {
			return corrupt("unused ops or literals")
		}
		for _, s := range nat {
			if len(s) != 0 {
				return corrupt("unused residuals")
			}
		}
	}
	return nil
}

func (p *decPart) tile(d *Decoder, t int, key bool, ops *reader, syn *[]byte, nat *[nCtx][]byte, out []byte) error {
	g := d.g
	x0, y0, w, h := g.rect(t)
	const ostride = 4 * tileSize
	mode := ops.byte()
	if ops.err != nil {
		return ops.err
	}
	switch mode {
	case opSolid:
		px := ops.bytes(4)
		if ops.err != nil {
			return ops.err
		}
		for r := range h {
			row := out[r*ostride:][:4*w]
			for x := 0; x < len(row); x += 4 {
				copy(row[x:x+4], px)
			}
		}
		return nil
	case opCache:
		s := ops.uvMax(storeSlots-1, "store slot")
		if ops.err != nil {
			return ops.err
		}
		if key || !d.store.valid(s, w, h) {
			return corrupt("store slot %d", s)
		}
		blk := d.store.slot(s)
		for r := range h {
			copy(out[r*ostride:][:4*w], blk[r*4*w:][:4*w])
		}
		return nil
	case opCopy:
		dx, dy := ops.sv(), ops.sv()
		if ops.err != nil {
			return ops.err
		}
		sx, sy := x0+dx, y0+dy
		if key || sx < 0 || sy < 0 || sx+w > g.w || sy+h > g.h {
			return corrupt("copy from %d,%d", sx, sy)
		}
		for r := range h {
			copy(out[r*ostride:][:4*w], d.fb[((sy+r)*g.w+sx)*4:][:4*w])
		}
		return nil
	case opRuns:
	default:
		return corrupt("tile mode %d", mode)
	}
	flags := ops.byte()
	if ops.err != nil {
		return ops.err
	}
	if flags > 7 || flags&5 == 5 {
		return corrupt("tile flags %#x", flags)
	}
	natural, alpha, planar := flags&1 != 0, flags&2 != 0, flags&4 != 0
	npx := w * h
	nLit := 0
	for pos := 0; pos < npx; {
		v := ops.uv()
		if ops.err != nil {
			return ops.err
		}
		ln, ref := v>>4, int(v&15)
		if ln == 0 || ln > uint64(npx-pos) || ref > len(d.vecs) {
			return corrupt("run %d of ref %d", ln, ref)
		}
		end := pos + int(ln)
		if ref == 0 {
			nLit += end - pos
		}
		for pos < end {
			r, x := pos/w, pos%w
			seg := min(end-pos, w-x)
			refs := p.refs[r*tileSize+x:][:seg]
			for i := range refs {
				refs[i] = uint8(ref)
			}
			if ref > 0 {
				v := d.vecs[ref-1]
				sx, sy := x0+x+v.dx, y0+r+v.dy
				if sy < 0 || sy >= g.h || sx < 0 || sx+seg > g.w {
					return corrupt("run copies from %d,%d", sx, sy)
				}
				copy(out[r*ostride+4*x:][:4*seg], d.fb[(sy*g.w+sx)*4:][:4*seg])
			}
			pos += seg
		}
	}
	if nLit == 0 {
		return nil
	}
	if planar {
		// B, G, R residuals from the first natural stream, alpha (when sent) from the synthetic one.
		res, a := nat[0], *syn
		if len(res) < 3*nLit || alpha && len(a) < nLit {
			return corrupt("literals truncated")
		}
		if nLit == npx && !alpha && len(res) > 3*nLit {
			// A tile all literal (a playing video's), with a byte after its residuals for word loads.
			for r := range h {
				var up []byte
				if r > 0 {
					up = out[(r-1)*ostride:][:4*w]
				}
				planarDecodeRow(out[r*ostride:][:4*w], up, res[:3*w+1])
				res = res[3*w:]
			}
			nat[0] = res
			return nil
		}
		for r := range h {
			row := out[r*ostride:]
			var up []byte
			if r > 0 {
				up = out[(r-1)*ostride:]
			}
			refs := p.refs[r*tileSize:]
			for x := range w {
				if refs[x] != 0 {
					continue
				}
				px := row[4*x : 4*x+4]
				for c := range 3 {
					px[c] = res[c] + planarPred(row, up, x, c)
				}
				px[3] = 255
				if alpha {
					px[3] = a[0]
					a = a[1:]
				}
				res = res[3:]
			}
		}
		nat[0], *syn = res, a
		return nil
	}
	if !natural {
		bpp := 3
		if alpha {
			bpp = 4
		}
		if len(*syn) < bpp*nLit {
			return corrupt("literals truncated")
		}
		s := *syn
		for r := range h {
			row := out[r*ostride:]
			refs := p.refs[r*tileSize:]
			for x := range w {
				if refs[x] != 0 {
					continue
				}
				px := row[4*x : 4*x+4]
				copy(px, s[:bpp])
				if !alpha {
					px[3] = 255
				}
				s = s[bpp:]
			}
		}
		*syn = s
		return nil
	}
	if alpha && len(*syn) < nLit {
		return corrupt("alpha truncated")
	}
	for r := range h {
		row := out[r*ostride:]
		for x := range w {
			i := r*tileSize + x
			p.pl[0][i], p.pl[1][i], p.pl[2][i] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	for c := range 3 {
		pl, res := &p.pl[c], &p.res[c]
		for r := range h {
			for x := range w {
				i := r*tileSize + x
				if p.refs[i] != 0 {
					res[i] = 0
					continue
				}
				k := natCtx(res, x, r, w)
				s := nat[k]
				if len(s) == 0 {
					return corrupt("residuals truncated")
				}
				z := s[0]
				nat[k] = s[1:]
				res[i] = z
				pl[i] = byte(natPredict(pl, x, r, w)) + unzigzag(z)
			}
		}
	}
	a := *syn
	for r := range h {
		row := out[r*ostride:]
		for x := range w {
			i := r*tileSize + x
			if p.refs[i] != 0 {
				continue
			}
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = p.pl[0][i], p.pl[1][i], p.pl[2][i], 255
			if alpha {
				row[4*x+3] = a[0]
				a = a[1:]
			}
		}
	}
	*syn = a
	return nil
}

// decodeStream decodes a raw stream i, whose decoded length may not exceed limit.
func (s *streamDec) decodeStream(rs rawStream, i, limit int) ([]byte, error) {
	if rs.method == methodEmpty {
		return nil, nil
	}
	if rs.n > limit {
		return nil, corrupt("stream %d length %d > %d", i, rs.n, limit)
	}
	n := rs.n
	buf := s.bufs[i]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
		s.bufs[i] = buf
	}
	switch rs.method {
	case methodRLE:
		buf = buf[:n]
		for j := range buf {
			buf[j] = rs.data[0]
		}
		return buf, nil
	case methodRaw:
		if len(rs.data) != n {
			return nil, corrupt("raw stream length %d != %d", len(rs.data), n)
		}
		return append(buf[:0], rs.data...), nil
	case methodZstd:
		out, err := s.zstd.DecodeAll(rs.data, buf[:0:n])
		if err != nil || len(out) != n {
			return nil, corrupt("zstd stream %d: %v", i, err)
		}
		return out, nil
	default: // methodHuff
		if i < streamNat {
			return nil, corrupt("Huffman in stream %d", i)
		}
		if n > huff0.BlockSizeMax {
			return nil, corrupt("Huffman stream %d of %d bytes", i, n)
		}
		sc := &s.huff
		sc.MaxDecodedSize = n
		sc2, rest, err := huff0.ReadTable(rs.data, sc)
		if err != nil {
			return nil, corrupt("Huffman table %d: %v", i, err)
		}
		out, err := sc2.Decoder().Decompress4X(buf[:0:n], rest)
		if err != nil || len(out) != n {
			return nil, corrupt("Huffman stream %d: %v", i, err)
		}
		return out, nil
	}
}

// planarDecodeRow rebuilds a row of planar literal pixels without alpha from its residuals (3 a pixel, and one
// byte more that is read and ignored), as the general loop of decPart.tile does, a pixel a word: the rounded
// mean and the sum are taken on its bytes at once.
func planarDecodeRow(row, up, res []byte) {
	const lo7, hi = 0x7f7f7f7f, 0x80808080
	var left uint32
	for x := 0; 4*x < len(row); x++ {
		rv := binary.LittleEndian.Uint32(res[3*x:])
		var pred uint32
		switch {
		case up == nil:
			pred = left // 0 for the first pixel
		case x == 0:
			pred = binary.LittleEndian.Uint32(up)
		default:
			u := binary.LittleEndian.Uint32(up[4*x:])
			pred = (left | u) - ((left ^ u) >> 1 & lo7)
		}
		sum := ((rv &^ hi) + (pred &^ hi)) ^ ((rv ^ pred) & hi) // rv + pred in each byte
		px := sum | 0xff000000
		binary.LittleEndian.PutUint32(row[4*x:], px)
		left = px
	}
}
