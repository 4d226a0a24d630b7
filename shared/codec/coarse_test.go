package codec

import (
	"testing"
)

// scrollingPage returns the frames of a w×h window scrolled down a page of text and photographs, dy pixels a
// frame, n frames.
func scrollingPage(w, h, dy, n int) []Frame {
	ph := h + dy*n
	p := newPainter(w, ph, 11)
	p.text(0, 0, w, ph, light, dark)
	for y := 100; y+260 < ph; y += 420 {
		p.noise(40, y, w-80, 260) // a photograph every 420 rows, between paragraphs
	}
	frames := make([]Frame, n)
	for i := range frames {
		f := NewFrame(w, h)
		for y := range h {
			copy(f.Pix[y*f.Stride:][:4*w], p.f.Pix[(y+i*dy)*p.f.Stride:][:4*w])
		}
		frames[i] = f
	}
	return frames
}

// maxDiff returns the largest difference between a colour byte of a and b, and how many pixels differ.
func maxDiff(a, b Frame) (most, pixels int) {
	for y := range a.Height {
		ra, rb := a.Pix[y*a.Stride:][:4*a.Width], b.Pix[y*b.Stride:][:4*b.Width]
		for x := 0; x < len(ra); x += 4 {
			if string(ra[x:x+4]) == string(rb[x:x+4]) {
				continue
			}
			pixels++
			for c := range 4 {
				most = max(most, int(ra[x+c])-int(rb[x+c]), int(rb[x+c])-int(ra[x+c]))
			}
		}
	}
	return most, pixels
}

// A scroll over photographs, with pictures allowed coarse: the uncovered photographs are coarse (never off by
// more than half a step), cost less than exact ones, stay copies as they move, and become exact, bit for bit, in
// the first frame after Refine.
func TestCoarseScroll(t *testing.T) {
	const w, h, dy, n = 640, 480, 24, 24
	frames := scrollingPage(w, h, dy, n)
	for _, step := range []int{4, 16, 128} {
		exact, coarse := NewEncoder(), NewEncoder()
		coarse.SetCoarse(step)
		dec := NewDecoder(DecoderOptions{})
		defer dec.Close()
		var pe, pc []byte
		var exactBytes, coarseBytes, exactRef, coarseRef, coarseTiles int
		for i, f := range frames {
			var err error
			if pe, err = exact.Encode(pe[:0], f); err != nil {
				t.Fatal(err)
			}
			if pc, err = coarse.Encode(pc[:0], f); err != nil {
				t.Fatal(err)
			}
			if err := dec.Decode(pc); err != nil {
				t.Fatalf("step %d frame %d: %v", step, i, err)
			}
			most, px := maxDiff(dec.Frame(), f)
			if most > step/2 {
				t.Fatalf("step %d frame %d: a colour is off by %d, want at most %d", step, i, most, step/2)
			}
			if (px == 0) != coarse.Exact() || coarse.Exact() != dec.Exact() {
				t.Fatalf("step %d frame %d: %d pixels differ, encoder exact %v, decoder exact %v",
					step, i, px, coarse.Exact(), dec.Exact())
			}
			if i > 0 {
				exactBytes += len(pe)
				coarseBytes += len(pc)
				exactRef += exact.Stats().RefPixels
				coarseRef += coarse.Stats().RefPixels
				coarseTiles += coarse.Stats().Coarse
			}
		}
		t.Logf("step %d: %d bytes against %d exact, %d coarse tiles, copied %d pixels against %d",
			step, coarseBytes, exactBytes, coarseTiles, coarseRef, exactRef)
		if coarseTiles == 0 || coarse.Exact() {
			t.Fatalf("step %d: %d coarse tiles, exact %v: nothing was coarse", step, coarseTiles, coarse.Exact())
		}
		if step >= 16 && 10*coarseBytes > 8*exactBytes {
			t.Errorf("step %d: %d bytes coarse against %d exact, want at most 80 %%", step, coarseBytes, exactBytes)
		}
		if 100*coarseRef < 95*exactRef {
			t.Errorf("step %d: %d pixels copied, against %d when exact: coarse pictures that moved were not copied",
				step, coarseRef, exactRef)
		}

		// Still: the step back to 0 leaves the picture coarse; Refine makes it exact in the next frame.
		last := frames[n-1]
		coarse.SetCoarse(0)
		var err error
		if pc, err = coarse.Encode(pc[:0], last); err != nil {
			t.Fatal(err)
		}
		if len(coarse.Changed()) != 0 || coarse.Exact() {
			t.Fatalf("step %d: step 0 changed %d tiles, exact %v: want nothing until Refine", step,
				len(coarse.Changed()), coarse.Exact())
		}
		coarse.Refine()
		if pc, err = coarse.Encode(pc[:0], last); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(pc); err != nil {
			t.Fatal(err)
		}
		st := coarse.Stats()
		if !dec.Frame().Equal(last) || !coarse.Exact() || !dec.Exact() || st.Refined == 0 || len(coarse.Changed()) == 0 {
			most, px := maxDiff(dec.Frame(), last)
			t.Fatalf("step %d, once still: %d pixels off by up to %d, exact %v/%v, stats %+v", step, px, most,
				coarse.Exact(), dec.Exact(), st)
		}
		if pc, err = coarse.Encode(pc[:0], last); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(pc); err != nil || len(coarse.Changed()) != 0 || !dec.Exact() {
			t.Fatalf("step %d: after the refinement: %v, %+v, exact %v", step, err, coarse.Stats(), dec.Exact())
		}
	}
}

// sendCoarse encodes f, decodes the packet and fails unless the decoded frame is within half a step of f, and
// exact exactly when both ends say so.
func (s *session) sendCoarse(f Frame, step int) EncodeStats {
	s.t.Helper()
	var err error
	if s.pkt, err = s.enc.Encode(s.pkt[:0], f); err != nil {
		s.t.Fatalf("Encode: %v", err)
	}
	if err := s.dec.Decode(s.pkt); err != nil {
		s.t.Fatalf("Decode: %v", err)
	}
	most, px := maxDiff(s.dec.Frame(), f)
	if most > step/2 || (px == 0) != s.enc.Exact() || s.enc.Exact() != s.dec.Exact() {
		s.t.Fatalf("%d pixels off by up to %d, exact %v/%v (stats %+v)", px, most, s.enc.Exact(), s.dec.Exact(),
			s.enc.Stats())
	}
	return s.enc.Stats()
}

// A coarse tile that leaves the screen is never taken back from the tile store as if it were exact.
func TestCoarseNotTakenFromTheStore(t *testing.T) {
	const step = 32
	s := newSession(t)
	s.enc.SetCoarse(step)
	text := newPainter(256, 128, 7)
	text.text(0, 0, 256, 128, light, dark)
	photo := newPainter(256, 128, 8)
	photo.noise(0, 0, 256, 128)
	s.sendCoarse(text.clone(), step)
	if st := s.sendCoarse(photo.clone(), step); st.Coarse == 0 {
		t.Fatalf("the photograph was not coarse: %+v", st)
	}
	if st := s.sendCoarse(text.clone(), step); st.Cached == 0 {
		t.Fatalf("the text was not taken from the store: %+v", st)
	}
	if st := s.sendCoarse(photo.clone(), step); st.Cached != 0 || st.Coarse == 0 {
		t.Fatalf("the photograph again: %+v, want it coarse again, not from the store", st)
	}
}

// A coarse tile copied whole elsewhere (a window moved by whole tiles) is still coarse there.
func TestCoarseCopiedTileStaysCoarse(t *testing.T) {
	const step = 16
	s := newSession(t)
	s.enc.SetCoarse(step)
	p := newPainter(384, 128, 9)
	p.fill(0, 0, 384, 128, light)
	s.sendCoarse(p.clone(), step)
	photo := newPainter(128, 128, 10)
	photo.noise(0, 0, 128, 128)
	draw := func(x int) {
		p.fill(0, 0, 384, 128, light)
		for y := range 128 {
			copy(p.f.Pix[y*p.f.Stride+4*x:][:4*128], photo.f.Pix[y*photo.f.Stride:][:4*128])
		}
	}
	draw(0)
	if st := s.sendCoarse(p.clone(), step); st.Coarse == 0 {
		t.Fatalf("the photograph was not coarse: %+v", st)
	}
	draw(256)
	if st := s.sendCoarse(p.clone(), step); st.Copied == 0 {
		t.Fatalf("the photograph moved by whole tiles was not copied: %+v", st)
	}
}

// Random edits (scrolls, moved blocks, photographs and text drawn, earlier screens come back), with the step
// changed and Refine called now and then: the encoder always knows which pixels are coarse, none is off by more
// than half the largest step, and Refine always makes the picture exact.
func TestCoarseRandomEdits(t *testing.T) {
	const w, h, maxStep = 320, 256, 64
	s := newSession(t)
	p := newPainter(w, h, 12)
	p.text(0, 0, w, h, light, dark)
	var past []Frame
	for i := range 400 {
		rng := p.rng
		x, y, bw, bh := rng.IntN(w), rng.IntN(h), 8+rng.IntN(w/2), 8+rng.IntN(h/2)
		switch rng.IntN(6) {
		case 0:
			p.scroll(0, 0, w, h, 1+rng.IntN(80))
		case 1: // a block moved, by whole tiles or not
			dx, dy := rng.IntN(w)-x, rng.IntN(h)-y
			if rng.IntN(2) == 0 {
				dx, dy = dx/64*64, dy/64*64
			}
			src := p.clone()
			for r := range bh {
				for c := range bw {
					if sx, sy := x+c, y+r; sx < w && sy < h && sx+dx >= 0 && sy+dy >= 0 && sx+dx < w && sy+dy < h {
						copy(p.f.Pix[(sy+dy)*p.f.Stride+4*(sx+dx):][:4], src.Pix[sy*src.Stride+4*sx:][:4])
					}
				}
			}
		case 2, 3:
			p.noise(x, y, bw, bh)
		case 4:
			p.text(min(x, w-16), y, max(16, min(bw, w-x)), min(bh, h-y), light, dark)
		case 5:
			if len(past) > 0 {
				copy(p.f.Pix, past[rng.IntN(len(past))].Pix)
			}
		}
		if i%10 == 0 {
			past = append(past, p.clone())
		}
		switch rng.IntN(8) {
		case 0:
			s.enc.SetCoarse(0)
		case 1:
			s.enc.SetCoarse([]int{4, 16, 64}[rng.IntN(3)])
		case 2:
			s.enc.Refine()
		}
		s.sendCoarse(p.clone(), maxStep)
	}
	s.enc.Refine()
	s.send(p.clone())
}

// Text, flat UI and key frames are never coarse; a key frame makes the picture exact again.
func TestCoarseLeavesTextExact(t *testing.T) {
	s := newSession(t)
	s.enc.SetCoarse(32)
	p := newPainter(320, 256, 5)
	p.fill(0, 0, 320, 256, light)
	s.send(p.clone())
	p.text(0, 0, 320, 256, light, dark)
	p.fill(200, 10, 100, 40, green)
	if st := s.send(p.clone()); st.Coarse != 0 || !s.enc.Exact() || !s.dec.Exact() {
		t.Fatalf("text coded coarse: %+v", st)
	}
	p.noise(0, 128, 320, 128)
	var err error
	if s.pkt, err = s.enc.Encode(s.pkt[:0], p.clone()); err != nil {
		t.Fatal(err)
	}
	if err := s.dec.Decode(s.pkt); err != nil {
		t.Fatal(err)
	}
	if st := s.enc.Stats(); st.Coarse == 0 || s.enc.Exact() || s.dec.Exact() {
		t.Fatalf("a photograph drawn whole was not coarse: %+v", st)
	}
	s.enc.Reset()
	if st := s.send(p.clone()); !st.Key || !s.enc.Exact() || !s.dec.Exact() {
		t.Fatalf("key frame: %+v, exact %v/%v", st, s.enc.Exact(), s.dec.Exact())
	}
}

func TestSetCoarseSteps(t *testing.T) {
	for _, c := range []struct{ in, want int }{{-1, 0}, {0, 0}, {1, 0}, {2, 2}, {3, 2}, {16, 16}, {17, 16}, {128, 128}, {1000, 128}} {
		var e Encoder
		if e.SetCoarse(c.in); e.coarse != c.want {
			t.Errorf("SetCoarse(%d): step %d, want %d", c.in, e.coarse, c.want)
		}
	}
}

func TestQuantized(t *testing.T) {
	for _, c := range []struct {
		px   uint32
		m    uint8
		want uint32
	}{
		{0x12345678, 1, 0x12355779}, // step 2: low bit set
		{0x80ff0010, 4, 0x80f80818}, // step 16: alpha kept, 0xff -> 0xf8, 0x00 -> 0x08
		{0xff7f8081, 7, 0xff40c0c0}, // step 128
	} {
		if got := quantized(c.px, c.m); got != c.want {
			t.Errorf("quantized(%#08x, %d) = %#08x, want %#08x", c.px, c.m, got, c.want)
		}
	}
}
