package codec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// session pairs an encoder and a decoder and checks every frame survives the trip.
type session struct {
	t   testing.TB
	enc *Encoder
	dec *Decoder
	pkt []byte
}

func newSession(t testing.TB) *session {
	t.Helper()
	s := &session{t: t, enc: NewEncoder(), dec: NewDecoder(DecoderOptions{})}
	t.Cleanup(s.dec.Close)
	return s
}

// send encodes f, decodes the packet and fails unless the decoder's frame equals f.
func (s *session) send(f Frame) EncodeStats {
	s.t.Helper()
	var err error
	s.pkt, err = s.enc.Encode(s.pkt[:0], f)
	if err != nil {
		s.t.Fatalf("Encode: %v", err)
	}
	if err := s.dec.Decode(s.pkt); err != nil {
		s.t.Fatalf("Decode: %v", err)
	}
	if !s.dec.Frame().Equal(f) {
		s.t.Fatalf("decoded frame differs (stats %+v)", s.enc.Stats())
	}
	return s.enc.Stats()
}

// painter draws test content.
type painter struct {
	f   Frame
	rng *rand.Rand
}

func newPainter(w, h int, seed uint64) *painter {
	return &painter{f: NewFrame(w, h), rng: rand.New(rand.NewPCG(seed, 1))}
}

func (p *painter) set(x, y int, c uint32) {
	if x < 0 || y < 0 || x >= p.f.Width || y >= p.f.Height {
		return
	}
	i := y*p.f.Stride + 4*x
	p.f.Pix[i], p.f.Pix[i+1], p.f.Pix[i+2], p.f.Pix[i+3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
}

func (p *painter) fill(x0, y0, w, h int, c uint32) {
	x1, y1 := min(x0+w, p.f.Width), min(y0+h, p.f.Height)
	x0, y0 = max(x0, 0), max(y0, 0)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	for x := x0; x < x1; x++ {
		p.set(x, y0, c)
	}
	first := p.f.Pix[y0*p.f.Stride+4*x0 : y0*p.f.Stride+4*x1]
	for y := y0 + 1; y < y1; y++ {
		copy(p.f.Pix[y*p.f.Stride+4*x0:], first)
	}
}

// noise paints a smooth gradient plus noise, like a photo or a grainy wallpaper.
func (p *painter) noise(x0, y0, w, h int) {
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			n := p.rng.Uint32()
			c := uint32(byte(x+int(n&15))) | uint32(byte(y+int(n>>4&15)))<<8 | uint32(byte(x+y+int(n>>8&15)))<<16
			p.set(x, y, c|0xff000000)
		}
	}
}

// text paints rows of random glyph-like marks on a background, like a terminal.
func (p *painter) text(x0, y0, w, h int, bg, fg uint32) {
	p.fill(x0, y0, w, h, bg)
	for ly := y0; ly+14 <= y0+h; ly += 16 {
		n := p.rng.IntN(w / 8)
		for cx := 0; cx < n; cx++ {
			g := p.rng.Uint64()
			for gy := range 12 {
				for gx := range 6 {
					if g>>(uint(gy*6+gx)%64)&1 != 0 {
						p.set(x0+cx*8+gx, ly+1+gy, fg)
					}
				}
			}
		}
	}
}

// scroll moves the rows of the rectangle up by dy pixels, leaving the bottom dy rows as they were.
func (p *painter) scroll(x0, y0, w, h, dy int) {
	f := p.f
	for y := y0; y+dy < y0+h; y++ {
		copy(f.Pix[y*f.Stride+4*x0:][:4*w], f.Pix[(y+dy)*f.Stride+4*x0:][:4*w])
	}
}

func (p *painter) clone() Frame {
	f := p.f
	g := Frame{Width: f.Width, Height: f.Height, Stride: f.Stride, Pix: append([]byte(nil), f.Pix...)}
	return g
}

const (
	dark  = 0xff202020
	light = 0xffd0d0d0
	green = 0xff30e030
)

func TestRoundTripSizes(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {63, 1}, {64, 64}, {65, 63}, {100, 130}, {130, 70}, {200, 129}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			s := newSession(t)
			p := newPainter(sz[0], sz[1], uint64(sz[0]*1000+sz[1]))
			p.noise(0, 0, sz[0], sz[1])
			if st := s.send(p.f); !st.Key {
				t.Errorf("first packet is not a key frame")
			}
			p.text(0, 0, sz[0]/2+1, sz[1], dark, green)
			s.send(p.f)
			s.send(p.f) // unchanged
			if len(s.enc.Changed()) != 0 || len(s.dec.Changed()) != 0 {
				t.Errorf("unchanged frame reports changes %v %v", s.enc.Changed(), s.dec.Changed())
			}
			p.fill(sz[0]/3, sz[1]/3, 5, 5, 0xff0000ff)
			s.send(p.f)
			p.noise(sz[0]/2, sz[1]/2, sz[0]-sz[0]/2, sz[1]-sz[1]/2)
			s.send(p.f)
		})
	}
}

func TestRoundTripRandomSequence(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	s := newSession(t)
	const w, h = 300, 200
	p := newPainter(w, h, 3)
	p.noise(0, 0, w, h)
	s.send(p.f)
	for i := range 60 {
		x, y := rng.IntN(w), rng.IntN(h)
		cw, ch := 1+rng.IntN(w-x), 1+rng.IntN(h-y)
		switch rng.IntN(6) {
		case 0:
			p.noise(x, y, cw, ch)
		case 1:
			p.text(x, y, cw, ch, light, dark)
		case 2:
			p.fill(x, y, cw, ch, rng.Uint32()|0xff000000)
		case 3:
			if ch > 2 {
				p.scroll(x, y, cw, ch, 1+rng.IntN(ch-1))
			}
		case 4:
			p.fill(x, y, cw, ch, rng.Uint32()) // alpha other than 255
		case 5:
			if i%10 == 0 {
				s.enc.Reset()
			}
		}
		s.send(p.f)
	}
}

// TestRetained drives EncodeRetained with a capture loop's two alternating buffers, mixed with Encode.
func TestRetained(t *testing.T) {
	s := newSession(t)
	const w, h = 200, 150
	p := newPainter(w, h, 21)
	p.noise(0, 0, w, h)
	bufs := [2]Frame{NewFrame(w, h), NewFrame(w, h)}
	for i := range 12 {
		switch i % 4 {
		case 0:
			p.text(10*i, 5*i, 60, 40, dark, green)
		case 1:
			p.scroll(0, 0, w, h, 9)
		case 2: // unchanged
		case 3:
			p.noise(3*i, 2*i, 30, 30)
		}
		f := bufs[i%2]
		copy(f.Pix, p.f.Pix)
		var err error
		if i%6 == 5 {
			s.pkt, err = s.enc.Encode(s.pkt[:0], f)
		} else {
			s.pkt, err = s.enc.EncodeRetained(s.pkt[:0], f)
		}
		if err != nil {
			t.Fatal(err)
		}
		// The caller may now scribble on the other buffer.
		for j := range bufs[(i+1)%2].Pix {
			bufs[(i+1)%2].Pix[j] = byte(j * 7)
		}
		if err := s.dec.Decode(s.pkt); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !s.dec.Frame().Equal(p.f) {
			t.Fatalf("frame %d differs", i)
		}
	}
}

func TestStride(t *testing.T) {
	s := newSession(t)
	const w, h = 70, 40
	p := newPainter(w, h, 9)
	p.text(0, 0, w, h, dark, green)
	f := Frame{Width: w, Height: h, Stride: 4*w + 12, Pix: make([]byte, (4*w+12)*h)}
	for y := range h {
		copy(f.Pix[y*f.Stride:][:4*w], p.f.Pix[y*p.f.Stride:][:4*w])
		f.Pix[y*f.Stride+4*w] = byte(y) // padding must not matter
	}
	s.send(f)
	f.Pix[10*f.Stride+4*w+1] = 99 // a change in the padding only
	if s.send(f); len(s.enc.Changed()) != 0 {
		t.Errorf("padding change reported as %v", s.enc.Changed())
	}
}

func Test4K(t *testing.T) {
	if testing.Short() {
		t.Skip("4K frames in -short mode")
	}
	s := newSession(t)
	const w, h = 3840, 2160
	p := newPainter(w, h, 4)
	p.text(0, 0, w, 1200, light, dark)
	p.fill(0, 1200, w, h-1200, light)
	p.noise(1000, 500, 400, 300)
	s.send(p.f)
	p.scroll(0, 100, w, h-100, 37)
	if st := s.send(p.f); st.Vectors == 0 || st.RefPixels < w*500 || st.LitPixels > w*37 {
		t.Errorf("4K scroll: %+v, want the text copied", st)
	}
}

func TestScrollDetected(t *testing.T) {
	s := newSession(t)
	const w, h = 640, 480
	p := newPainter(w, h, 5)
	p.text(0, 0, w, h, dark, green)
	p.noise(400, 100, 160, 120)
	s.send(p.f)
	keySize := len(s.pkt)
	for _, dy := range []int{16, 7, 33} {
		p.scroll(0, 20, w, h-20, dy) // a header of 20 rows stays put
		p.text(0, h-dy, w, dy, dark, green)
		st := s.send(p.f)
		if st.Vectors == 0 || st.RefPixels == 0 || st.LitPixels > 2*w*dy {
			t.Errorf("scroll by %d: %+v, want the scrolled part copied", dy, st)
		}
		if len(s.pkt) > keySize/4 {
			t.Errorf("scroll by %d: packet %d bytes, key frame %d", dy, len(s.pkt), keySize)
		}
	}
}

func TestMoveDetected(t *testing.T) {
	s := newSession(t)
	const w, h = 800, 600
	bg := newPainter(w, h, 6)
	bg.noise(0, 0, w, h)
	win := newPainter(300, 200, 8)
	win.text(0, 0, 300, 200, dark, green)
	win.fill(0, 0, 300, 12, 0xff8080c0)
	frame := func(x, y int) Frame {
		f := bg.clone()
		for r := range 200 {
			copy(f.Pix[(y+r)*f.Stride+4*x:][:4*300], win.f.Pix[r*win.f.Stride:][:4*300])
		}
		return f
	}
	s.send(frame(100, 100))
	// Reveals of background covered since the key frame must be sent; what the window covers is copied.
	x, y := 100, 100
	for i, d := range [][2]int{{17, 5}, {17, 5}, {-30, 11}, {3, -40}} {
		x, y = x+d[0], y+d[1]
		st := s.send(frame(x, y))
		revealed := 200*abs(d[0]) + 300*abs(d[1])
		if st.Vectors == 0 || st.RefPixels == 0 || st.LitPixels > revealed+2000 {
			t.Errorf("move %d by %v: %+v, want the window copied and only %d pixels sent", i, d, st, revealed)
		}
	}
}

func TestCacheReuse(t *testing.T) {
	s := newSession(t)
	const w, h = 256, 192
	p := newPainter(w, h, 10)
	p.noise(0, 0, w, h)
	on := p.clone()
	p.text(70, 70, 40, 40, dark, green) // a cursor/clock-like change inside one tile
	off := p.clone()
	s.send(on)
	s.send(off)
	if st := s.send(on); st.Cached+st.Copied != 1 {
		t.Errorf("blink back: %+v, want the tile from the store", st)
	}
	if len(s.pkt) > 64 {
		t.Errorf("blink back: %d bytes", len(s.pkt))
	}
	if st := s.send(off); st.Cached != 1 {
		t.Errorf("blink again: %+v", st)
	}
	// A tile equal to another one on screen is copied.
	q := newPainter(w, h, 11)
	q.noise(0, 0, w, h)
	s.send(q.f)
	for r := range 64 {
		copy(q.f.Pix[(128+r)*q.f.Stride+4*128:][:256], q.f.Pix[r*q.f.Stride:][:256])
	}
	if st := s.send(q.f); st.Copied != 1 {
		t.Errorf("duplicate tile: %+v", st)
	}
}

func TestResetAndKeyFrames(t *testing.T) {
	s := newSession(t)
	p := newPainter(200, 100, 12)
	p.text(0, 0, 200, 100, dark, green)
	s.send(p.f)
	p.fill(10, 10, 20, 20, 0xff112233)
	s.send(p.f)
	delta := append([]byte(nil), s.pkt...)

	late := NewDecoder(DecoderOptions{})
	defer late.Close()
	if err := late.Decode(delta); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("delta to a fresh decoder: %v, want ErrNeedKey", err)
	}
	s.enc.Reset()
	p.fill(50, 50, 20, 20, 0xff445566)
	if st := s.send(p.f); !st.Key {
		t.Fatalf("packet after Reset is not a key frame")
	}
	if err := late.Decode(s.pkt); err != nil {
		t.Fatalf("key frame to a fresh decoder: %v", err)
	}
	if !late.Frame().Equal(p.f) {
		t.Fatalf("late decoder's frame differs")
	}
	if got := fmt.Sprint(late.Changed()); got != "[{0 0 200 64} {0 64 200 36}]" {
		t.Errorf("key frame changed %s", got)
	}
	// A packet out of order is refused, and the decoder then waits for a key frame.
	if err := late.Decode(delta); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("replayed delta: %v, want ErrNeedKey", err)
	}
	p.fill(0, 0, 5, 5, 0xff000000)
	s.send(p.f)
	if err := late.Decode(s.pkt); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("delta after an error: %v, want ErrNeedKey", err)
	}
	// A size change makes a key frame by itself.
	q := newPainter(90, 90, 13)
	q.noise(0, 0, 90, 90)
	if st := s.send(q.f); !st.Key {
		t.Fatalf("size change is not a key frame")
	}
}

func TestChangedRegions(t *testing.T) {
	s := newSession(t)
	p := newPainter(300, 200, 14)
	s.send(p.f)
	if got := s.enc.Changed(); len(got) != 4 { // key frame: 4 tile rows of 5 tiles
		t.Errorf("key frame changed %v", got)
	}
	p.fill(70, 10, 100, 5, 0xffffffff) // tiles 1..2 of tile row 0
	p.fill(299, 199, 1, 1, 0xffffffff) // the last, partial tile
	s.send(p.f)
	want := []Rect{{64, 0, 128, 64}, {256, 192, 44, 8}}
	got := s.enc.Changed()
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(s.dec.Changed()) != fmt.Sprint(want) {
		t.Errorf("changed %v / %v, want %v", got, s.dec.Changed(), want)
	}
}

func TestBadFrames(t *testing.T) {
	e := NewEncoder()
	for _, f := range []Frame{{}, {Width: 2, Height: 2, Stride: 4, Pix: make([]byte, 16)}, {Width: 2, Height: 2, Stride: 8, Pix: make([]byte, 15)}} {
		if _, err := e.Encode(nil, f); err == nil {
			t.Errorf("Encode(%dx%d stride %d, %d bytes) succeeded", f.Width, f.Height, f.Stride, len(f.Pix))
		}
	}
}

// packets returns a few valid packet sequences for corruption tests and fuzz seeds.
func packets(t testing.TB) [][]byte {
	var out [][]byte
	enc := NewEncoder()
	p := newPainter(150, 100, 15)
	p.noise(0, 0, 150, 100)
	p.text(0, 0, 70, 100, dark, green)
	add := func() {
		pkt, err := enc.Encode(nil, p.f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pkt)
	}
	add()
	p.scroll(0, 0, 70, 100, 16)
	p.fill(100, 40, 30, 30, 0x80123456)
	add()
	p.noise(10, 70, 100, 20)
	add()
	return out
}

func TestCorruptPackets(t *testing.T) {
	pkts := packets(t)
	rng := rand.New(rand.NewPCG(16, 16))
	check := func(d *Decoder, pkt []byte) {
		t.Helper()
		err := d.Decode(pkt)
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNeedKey) {
			t.Fatalf("error %v wraps neither ErrCorrupt nor ErrNeedKey", err)
		}
	}
	d := NewDecoder(DecoderOptions{MaxPixels: 1 << 16})
	defer d.Close()
	// upTo brings d to the state right before packet i.
	upTo := func(i int) {
		t.Helper()
		d.Reset()
		for _, q := range pkts[:i] {
			if err := d.Decode(q); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, pkt := range pkts {
		step := max(1, len(pkt)/100)
		for n := 0; n < len(pkt); n += step {
			upTo(i)
			if err := d.Decode(pkt[:n]); err == nil {
				t.Errorf("packet %d truncated to %d bytes accepted", i, n)
			} else {
				check(d, pkt[:n])
			}
		}
		for range 100 {
			upTo(i)
			bad := append([]byte(nil), pkt...)
			for range 1 + rng.IntN(3) {
				bad[rng.IntN(len(bad))] ^= byte(1 << rng.IntN(8))
			}
			check(d, bad)
		}
	}
	small := NewDecoder(DecoderOptions{MaxPixels: 100 * 100})
	defer small.Close()
	if err := small.Decode(pkts[0]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("frame over MaxPixels: %v", err)
	}
}

// TestHostileSizes checks that a packet claiming large sizes does not make the decoder allocate them.
func TestHostileSizes(t *testing.T) {
	d := NewDecoder(DecoderOptions{MaxPixels: 1 << 20})
	defer d.Close()
	pkt := []byte{magic, version, flagKey, 1}
	pkt = appendUv(pkt, 1024)
	pkt = appendUv(pkt, 1024)
	pkt = appendUv(pkt, 256) // all tiles
	for range 256 {
		pkt = append(pkt, 0)
	}
	pkt = append(pkt, 0, 1)
	pkt = appendUv(pkt, 256)
	pkt = append(pkt, methodZstd)
	pkt = appendUv(pkt, 1<<40) // a huge ops stream
	pkt = appendUv(pkt, 3)
	pkt = append(pkt, 1, 2, 3)
	var m0, m1 runtimeMem
	m0.read()
	err := d.Decode(pkt)
	m1.read()
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("hostile packet: %v", err)
	}
	if got := m1.total - m0.total; got > 64<<20 {
		t.Errorf("hostile packet made the decoder allocate %d bytes", got)
	}
}

// smallPackets returns a key frame and two delta packets (a fill, a scroll, a little noise) of a 72×40 frame:
// seeds of a few hundred bytes, as the coverage-guided fuzzer crawls on inputs of tens of kilobytes.
func smallPackets(t testing.TB) [][]byte {
	var out [][]byte
	enc := NewEncoder()
	p := newPainter(72, 40, 7)
	p.text(0, 0, 72, 40, dark, green)
	for _, step := range []func(){
		func() {},
		func() { p.fill(40, 10, 20, 20, 0x80123456) },
		func() { p.scroll(0, 0, 72, 40, 8); p.noise(60, 30, 8, 6) },
		func() { enc.SetCoarse(16); p.noise(0, 0, 72, 20) }, // coarse: flag bit 2
		func() { enc.SetCoarse(0); enc.Refine() },
	} {
		step()
		pkt, err := enc.Encode(nil, p.f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pkt)
	}
	return out
}

func FuzzDecode(f *testing.F) {
	pkts := smallPackets(f)
	for _, p := range pkts {
		f.Add(p)
	}
	f.Add([]byte{magic, version, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(DecoderOptions{MaxPixels: 1 << 16})
		defer d.Close()
		// Arbitrary bytes as the first packet, then as a packet after a valid key frame.
		if err := d.Decode(data); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNeedKey) {
			t.Fatalf("bad error %v", err)
		}
		if err := d.Decode(pkts[0]); err != nil {
			t.Fatalf("key frame after junk: %v", err)
		}
		if err := d.Decode(data); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNeedKey) {
			t.Fatalf("bad error %v", err)
		}
		if fr := d.Frame(); len(fr.Pix) != 4*fr.Width*fr.Height {
			t.Fatalf("framebuffer of %d bytes for %dx%d", len(fr.Pix), fr.Width, fr.Height)
		}
	})
}

// corpusDir is where the shared frame corpus sits when the repository is checked out beside it.
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus")

func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.frames.zst"))
	if len(files) == 0 {
		t.Skipf("no corpus in %s", corpusDir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			frames := 4
			if testing.Short() {
				frames = 2
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			br := bufio.NewReaderSize(zr, 1<<20)
			var w, h, n int
			if _, err := fmt.Fscanf(br, "FRAMES v1 %d %d %d BGRA\n", &w, &h, &n); err != nil {
				t.Fatal(err)
			}
			if w*h > 1920*1080 {
				frames = min(frames, 2) // 4K under the race detector is slow
			}
			s := newSession(t)
			fr := NewFrame(w, h)
			var raw, coded int
			for i := 0; i < min(n, frames); i++ {
				if _, err := io.ReadFull(br, fr.Pix); err != nil {
					t.Fatal(err)
				}
				s.send(fr)
				raw += len(fr.Pix)
				coded += len(s.pkt)
			}
			t.Logf("%d frames, ratio %.1f", frames, float64(raw)/float64(coded))
		})
	}
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.total = ms.TotalAlloc
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// A picture shrunk and enlarged again keeps its size and its colours where they are flat, and a flat colour
// survives exactly.
func TestShrinkEnlarge(t *testing.T) {
	for _, c := range []struct{ w, h, scale int }{{64, 48, 4}, {1920, 1080, 4}, {1366, 768, 8}, {5, 3, 4}} {
		src := Frame{Width: c.w, Height: c.h, Stride: 4 * c.w, Pix: make([]byte, 4*c.w*c.h)}
		for y := range c.h {
			for x := range c.w {
				i := y*src.Stride + 4*x
				src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = 200, 100, 50, 255
				if x >= c.w/2 {
					src.Pix[i] = 10 // the right half another colour
				}
			}
		}
		var small, big Frame
		Shrink(&small, src, c.scale)
		if sw, sh := ScaledSize(c.w, c.h, c.scale); small.Width != sw || small.Height != sh {
			t.Fatalf("%dx%d / %d: shrunk to %dx%d, want %dx%d", c.w, c.h, c.scale, small.Width, small.Height, sw, sh)
		}
		Enlarge(&big, small, c.w, c.h, c.scale)
		if big.Width != c.w || big.Height != c.h {
			t.Fatalf("enlarged to %dx%d", big.Width, big.Height)
		}
		// Far from the edge between the halves, the colour is exact.
		for _, x := range []int{0, c.w - 1} {
			i := (c.h/2)*big.Stride + 4*x
			want := byte(200)
			if x >= c.w/2 {
				want = 10
			}
			if c.w >= 4*c.scale && (big.Pix[i] != want || big.Pix[i+1] != 100 || big.Pix[i+2] != 50 || big.Pix[i+3] != 255) {
				t.Errorf("%dx%d / %d: pixel %d is %v, want %d 100 50 255", c.w, c.h, c.scale, x, big.Pix[i:i+4], want)
			}
		}
	}
}

// TestPhotoTiles: the tiles of a photograph drawn on a flat screen are reported as photo-like, the flat ones
// and text-like ones are not, and a frame that changes nothing reports none.
func TestPhotoTiles(t *testing.T) {
	const w, h = 640, 384
	f := NewFrame(w, h)
	for i := range f.Pix {
		f.Pix[i] = 0xee
	}
	enc := NewEncoder()
	if _, err := enc.Encode(nil, f); err != nil {
		t.Fatal(err)
	}
	// A noisy photograph-like square at tiles (2..3, 1..2), and a line of "text" at tile row 4.
	g := NewFrame(w, h)
	copy(g.Pix, f.Pix)
	seed := uint32(1)
	for y := 64; y < 192; y++ {
		for x := 128; x < 256; x++ {
			seed = seed*1664525 + 1013904223
			i := y*g.Stride + 4*x
			g.Pix[i], g.Pix[i+1], g.Pix[i+2] = byte(x+int(seed>>28)), byte(y+int(seed>>24&15)), byte(x+y)
		}
	}
	for x := 0; x < w; x += 3 {
		g.Pix[300*g.Stride+4*x] = 0
	}
	if _, err := enc.Encode(nil, g); err != nil {
		t.Fatal(err)
	}
	tw := (w + TileSize - 1) / TileSize
	want := []int32{int32(1*tw + 2), int32(1*tw + 3), int32(2*tw + 2), int32(2*tw + 3)}
	if got := enc.Photo(); !slices.Equal(got, want) {
		t.Errorf("photo tiles %v, want %v", got, want)
	}
	if _, err := enc.Encode(nil, g); err != nil {
		t.Fatal(err)
	}
	if got := enc.Photo(); len(got) != 0 {
		t.Errorf("unchanged frame: photo tiles %v", got)
	}
}

// TestVideoTilesFindWhatStays: the tiles of a playing video are not searched pixel by pixel on every frame for
// what stayed, but a logo that comes to stay over the video is found within searchEvery frames, and copied on
// every frame after that.
func TestVideoTilesFindWhatStays(t *testing.T) {
	s := newSession(t)
	const w, h = 512, 512
	const vx, vy, vw, vh = 64, 64, 256, 256 // the video, on whole tiles
	const logo = 40
	p := newPainter(w, h, 3)
	p.fill(0, 0, w, h, 0xff303030)
	s.send(p.clone())
	for range 4 {
		p.noise(vx, vy, vw, vh)
		if st := s.send(p.clone()); st.LitPixels != vw*vh {
			t.Fatalf("video frame: %+v, want all %d pixels literal", st, vw*vh)
		}
	}
	found := -1
	for i := range 3 * searchEvery {
		p.noise(vx, vy, vw, vh)
		p.fill(128, 128, logo, logo, 0xffe0e0e0)
		st := s.send(p.clone())
		copied := st.LitPixels <= vw*vh-logo*logo
		switch {
		case i == 0:
			// The logo appears: nothing to copy yet.
		case copied && found < 0:
			found = i
		case !copied && found >= 0:
			t.Fatalf("frame %d after the logo: %+v, want it copied as from frame %d", i, st, found)
		}
	}
	if found < 0 || found > searchEvery {
		t.Fatalf("the logo was first copied %d frames after it appeared, want 1..%d", found, searchEvery)
	}
}

// TestVideoTileTurnsIntoSomethingElse: a tile coded photo-like on the frames before is coded on one pass while
// it stays photo-like, and by the general rule when it turns into text or gains alpha; every frame decodes
// exactly, and the photo-like tiles are reported as such.
func TestVideoTileTurnsIntoSomethingElse(t *testing.T) {
	const w, h = 256, 200 // the last tile row is 8 pixels high
	for _, tc := range []struct {
		name      string
		paint     func(p *painter)
		wantPhoto bool
	}{
		{"video", func(p *painter) { p.noise(0, 0, w, h) }, true},
		{"text", func(p *painter) { p.text(0, 0, w, h, dark, green) }, false},
		{"video with alpha", func(p *painter) {
			p.noise(0, 0, w, h)
			p.f.Pix[70*p.f.Stride+4*70+3] = 0x80
		}, true},
		{"half text", func(p *painter) {
			p.noise(0, 0, w, h)
			p.text(0, 0, w, h/2, dark, green)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t)
			p := newPainter(w, h, 5)
			p.noise(0, 0, w, h)
			s.send(p.clone())
			for range 3 {
				p.noise(0, 0, w, h)
				s.send(p.clone())
			}
			tc.paint(p)
			st := s.send(p.clone())
			if photo := len(s.enc.Photo()) > 0; photo != tc.wantPhoto || (st.NatPixels > 0) != tc.wantPhoto {
				t.Errorf("%+v, photo tiles %v: want photo-like %v", st, s.enc.Photo(), tc.wantPhoto)
			}
			p.noise(0, 0, w, h)
			s.send(p.clone())
		})
	}
}

func TestLongRuns(t *testing.T) {
	for _, c := range []struct{ in, want uint64 }{
		{0, 0},
		{0b111, 0},
		{0b1111, 0b1111},
		{0b1011110111, 0b0011110000},
		{^uint64(0), ^uint64(0)},
		{1<<63 | 1<<62 | 1<<61 | 1<<60 | 1, 1<<63 | 1<<62 | 1<<61 | 1<<60},
	} {
		if got := longRuns(c.in); got != c.want {
			t.Errorf("longRuns(%b) = %b, want %b", c.in, got, c.want)
		}
	}
}
