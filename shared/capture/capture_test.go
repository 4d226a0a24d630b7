package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/tandem-remote/tandem/shared/codec"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		line string
		want Header
		err  string // substring of the error; "" for success
	}{
		{"FRAMES v1 1920 1080 105 BGRA", Header{1920, 1080, 105}, ""},
		{"FRAMES v1 1 1 1 BGRA", Header{1, 1, 1}, ""},
		{"FRAMES v1 3840 2160 60 BGRA", Header{3840, 2160, 60}, ""},
		{"FRAMES v2 1920 1080 105 BGRA", Header{}, "version"},
		{"FRAMES v1 1920 1080 105 RGBA", Header{}, "is not"},
		{"FRAMES v1 1920 1080 BGRA", Header{}, "is not"},
		{"FRAMES v1 1920 1080 105 BGRA extra", Header{}, "is not"},
		{"FRAMES  v1 1920 1080 105 BGRA", Header{}, "is not"},
		{"frames v1 1920 1080 105 BGRA", Header{}, "is not"},
		{"", Header{}, "is not"},
		{"FRAMES v1 -1920 1080 105 BGRA", Header{}, "width"},
		{"FRAMES v1 +1920 1080 105 BGRA", Header{}, "width"},
		{"FRAMES v1 1920 0x10 105 BGRA", Header{}, "height"},
		{"FRAMES v1 1920 1080 1e3 BGRA", Header{}, "count"},
		{"FRAMES v1 0 1080 105 BGRA", Header{}, "frame size"},
		{"FRAMES v1 1920 0 105 BGRA", Header{}, "frame size"},
		{"FRAMES v1 1920 1080 0 BGRA", Header{}, "frames"},
		{"FRAMES v1 16385 1 1 BGRA", Header{}, "frame size"},
		{"FRAMES v1 16384 16384 1 BGRA", Header{}, "bytes"},            // 1 GiB per frame
		{"FRAMES v1 99999999 99999999 1 BGRA", Header{}, "frame size"}, // product overflows 32 bits
		{"FRAMES v1 1920 1080 2000000 BGRA", Header{}, "frames"},
		{"FRAMES v1 1920 1080 9999999999 BGRA", Header{}, "count"}, // more digits than an int32
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseHeader(tt.line)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseHeader = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrBadHeader) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("ParseHeader = %+v, %v; want an ErrBadHeader about %q", got, err, tt.err)
			}
		})
	}
}

func TestReadHeader(t *testing.T) {
	tests := []struct {
		in   string
		want Header
		rest string // what must be left unread
		err  bool
	}{
		{"FRAMES v1 2 2 1 BGRA\nPIXELS", Header{2, 2, 1}, "PIXELS", false},
		{"FRAMES v1 2 2 1 BGRA", Header{}, "", true},                                      // no newline
		{"", Header{}, "", true},                                                          // empty
		{strings.Repeat("F", 100) + "\n", Header{}, strings.Repeat("F", 36) + "\n", true}, // too long: stops after 64 bytes
		{"FRAMES v1 2 2 1 BGRA\r\n", Header{}, "", true},
	}
	for i, tt := range tests {
		r := strings.NewReader(tt.in)
		got, err := ReadHeader(r)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%d: ReadHeader = %+v, %v; want %+v, error %v", i, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrBadHeader) {
			t.Errorf("%d: error %v does not wrap ErrBadHeader", i, err)
		}
		if rest, _ := io.ReadAll(r); tt.rest != "" && string(rest) != tt.rest {
			t.Errorf("%d: left %q unread, want %q", i, rest, tt.rest)
		}
	}
}

// recording returns a zstd-compressed recording with the given header line and frames of w×h whose bytes
// are all equal to the frame number.
func recording(t testing.TB, header string, w, h, frames int) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(enc, header)
	for i := 0; i < frames; i++ {
		enc.Write(bytes.Repeat([]byte{byte(i + 1)}, 4*w*h))
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opener(b []byte, opens *int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		*opens++
		return io.NopCloser(bytes.NewReader(b)), nil
	}
}

func TestReplayLoops(t *testing.T) {
	var opens int
	r, err := NewReplay("test", opener(recording(t, "FRAMES v1 4 3 3 BGRA\n", 4, 3, 3), &opens))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ms, err := r.Monitors()
	if err != nil || len(ms) != 1 || ms[0].Bounds != image.Rect(0, 0, 4, 3) || !ms[0].Primary {
		t.Fatalf("Monitors = %+v, %v", ms, err)
	}
	var f codec.Frame
	for i := 0; i < 7; i++ {
		if err := r.Capture(0, &f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Width != 4 || f.Height != 3 || f.Stride != 16 || len(f.Pix) != 48 {
			t.Fatalf("frame %d: %dx%d stride %d, %d bytes", i, f.Width, f.Height, f.Stride, len(f.Pix))
		}
		if want := byte(i%3 + 1); f.Pix[0] != want || f.Pix[47] != want {
			t.Fatalf("frame %d: pixels %d..%d, want %d", i, f.Pix[0], f.Pix[47], want)
		}
	}
	if opens != 3 {
		t.Errorf("opened the recording %d times for 7 frames of 3, want 3", opens)
	}
	if err := r.Capture(1, &f); !errors.Is(err, ErrNoMonitor) {
		t.Errorf("Capture(1) = %v, want ErrNoMonitor", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := r.Capture(0, &f); !errors.Is(err, ErrClosed) {
		t.Errorf("Capture after Close = %v, want ErrClosed", err)
	}
}

func TestReplayReusesBuffer(t *testing.T) {
	var opens int
	r, err := NewReplay("test", opener(recording(t, "FRAMES v1 8 8 2 BGRA\n", 8, 8, 2), &opens))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f := codec.Frame{Pix: make([]byte, 0, 1024)}
	p := &f.Pix[:1][0]
	if err := r.Capture(0, &f); err != nil {
		t.Fatal(err)
	}
	if &f.Pix[0] != p {
		t.Error("Capture allocated although the buffer was large enough")
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := r.Capture(0, &f); err != nil {
			t.Fatal(err)
		}
	})
	// Each frame allocates nothing; starting a pass over costs a few small allocations.
	if allocs > 5 {
		t.Errorf("%.1f allocations per Capture", allocs)
	}
}

func TestReplayBad(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		open  error // the error NewReplay must wrap
		first error // else the error the first bad Capture must wrap
	}{
		{"not zstd", []byte("FRAMES v1 2 2 1 BGRA\n" + strings.Repeat("x", 16)), nil, nil},
		{"bad header", recording(t, "FRAMES v1 2 2 1 RGBA\n", 2, 2, 1), ErrBadHeader, nil},
		{"oversized", recording(t, "FRAMES v1 16384 16384 1 BGRA\n", 0, 0, 0), ErrBadHeader, nil},
		{"huge count", recording(t, "FRAMES v1 2 2 99999999 BGRA\n", 0, 0, 0), ErrBadHeader, nil},
		{"no frames", recording(t, "FRAMES v1 2 2 1 BGRA\n", 2, 2, 0), nil, ErrTruncated},
		{"short frame", append([]byte(nil), recording(t, "FRAMES v1 2 2 1 BGRA\n", 1, 2, 1)...), nil, ErrTruncated},
		{"missing frames", recording(t, "FRAMES v1 2 2 5 BGRA\n", 2, 2, 3), nil, ErrTruncated},
		{"empty", nil, ErrBadHeader, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opens int
			r, err := NewReplay(tt.name, opener(tt.data, &opens))
			if tt.open != nil || tt.first == nil {
				if err == nil {
					r.Close()
					t.Fatal("NewReplay accepted it")
				}
				if tt.open != nil && !errors.Is(err, tt.open) {
					t.Fatalf("NewReplay = %v, want %v", err, tt.open)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewReplay: %v", err)
			}
			defer r.Close()
			var f codec.Frame
			for i := 0; i < 10; i++ {
				if err = r.Capture(0, &f); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.first) {
				t.Fatalf("Capture = %v, want %v", err, tt.first)
			}
			if err := r.Capture(0, &f); err != nil && !errors.Is(err, tt.first) {
				t.Fatalf("Capture after the error = %v", err)
			}
		})
	}
}

// TestReplayCorpus plays the first frames of a real recording when the corpus is there.
func TestReplayCorpus(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "idle.frames.zst")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no corpus: %v", err)
	}
	r, err := OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); h != (Header{1920, 1080, 120}) {
		t.Fatalf("header %+v", h)
	}
	var f codec.Frame
	for i := 0; i < 3; i++ {
		if err := r.Capture(0, &f); err != nil {
			t.Fatal(err)
		}
		for p := 3; p < len(f.Pix); p += 4 * 997 {
			if f.Pix[p] != 0xff {
				t.Fatalf("frame %d: alpha %d at byte %d", i, f.Pix[p], p)
			}
		}
	}
	if r.Name() != "replay:idle" {
		t.Errorf("Name = %q", r.Name())
	}
}

func TestPattern(t *testing.T) {
	p := NewPattern(image.Rect(0, 0, 64, 32), image.Rect(-50, 10, 0, 40))
	ms, err := p.Monitors()
	if err != nil || len(ms) != 2 || ms[1].Bounds != image.Rect(-50, 10, 0, 40) || !ms[0].Primary || ms[1].Primary || ms[1].Index != 1 {
		t.Fatalf("Monitors = %+v, %v", ms, err)
	}
	var f codec.Frame
	for seq := 0; seq < 3; seq++ {
		if err := p.Capture(1, &f); err != nil {
			t.Fatal(err)
		}
		if f.Width != 50 || f.Height != 30 {
			t.Fatalf("size %dx%d", f.Width, f.Height)
		}
		for _, pt := range []image.Point{{0, 0}, {20, 5}, {49, 29}, {seq * 16, 3}} {
			want := PatternPixel(1, seq, 50, pt.X, pt.Y)
			if got := f.Pix[pt.Y*f.Stride+4*pt.X:][:4]; !bytes.Equal(got, want[:]) {
				t.Errorf("seq %d %v: %v, want %v", seq, pt, got, want)
			}
		}
	}
	if err := p.Capture(2, &f); !errors.Is(err, ErrNoMonitor) {
		t.Errorf("Capture(2) = %v", err)
	}
	if err := p.Capture(-1, &f); !errors.Is(err, ErrNoMonitor) {
		t.Errorf("Capture(-1) = %v", err)
	}
	p.Close()
	p.Close()
	if _, err := p.Monitors(); !errors.Is(err, ErrClosed) {
		t.Errorf("Monitors after Close = %v", err)
	}
}

func TestResize(t *testing.T) {
	var f codec.Frame
	if err := Resize(&f, 10, 5); err != nil || f.Width != 10 || f.Height != 5 || f.Stride != 40 || len(f.Pix) != 200 {
		t.Fatalf("Resize = %v, %+v", err, f)
	}
	p := &f.Pix[0]
	if err := Resize(&f, 5, 5); err != nil || len(f.Pix) != 100 || &f.Pix[0] != p {
		t.Fatalf("smaller Resize reallocated or failed: %v", err)
	}
	for _, sz := range [][2]int{{0, 1}, {1, 0}, {-1, 5}, {MaxDimension + 1, 1}, {MaxDimension, MaxDimension}} {
		if err := Resize(&f, sz[0], sz[1]); err == nil {
			t.Errorf("Resize %v accepted", sz)
		}
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name   string
		format pixelFormat
		src    []byte // two pixels: pure red, then (R,G,B) = (0x12,0x34,0x56) or its 16-bit rounding
		want   []byte // BGRA of both
	}{
		{"bgrx", pixelFormat{bpp: 32, pad: 32, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff},
			[]byte{0, 0, 0xff, 0, 0x56, 0x34, 0x12, 0x99}, []byte{0, 0, 0xff, 0xff, 0x56, 0x34, 0x12, 0xff}},
		{"xrgb msb", pixelFormat{bpp: 32, pad: 32, msbFirst: true, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff},
			[]byte{0, 0xff, 0, 0, 0, 0x12, 0x34, 0x56}, []byte{0, 0, 0xff, 0xff, 0x56, 0x34, 0x12, 0xff}},
		{"rgbx", pixelFormat{bpp: 32, pad: 32, rMask: 0xff, gMask: 0xff00, bMask: 0xff0000},
			[]byte{0xff, 0, 0, 0, 0x12, 0x34, 0x56, 0}, []byte{0, 0, 0xff, 0xff, 0x56, 0x34, 0x12, 0xff}},
		{"24bpp", pixelFormat{bpp: 24, pad: 32, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff},
			[]byte{0, 0, 0xff, 0x56, 0x34, 0x12, 0, 0}, []byte{0, 0, 0xff, 0xff, 0x56, 0x34, 0x12, 0xff}},
		{"565", pixelFormat{bpp: 16, pad: 32, rMask: 0xf800, gMask: 0x07e0, bMask: 0x001f},
			[]byte{0x00, 0xf8, 0xff, 0xff}, []byte{0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := codec.NewFrame(2, 2)
			stride := tt.format.stride(2)
			src := make([]byte, 2*stride)
			copy(src, tt.src)
			copy(src[stride:], tt.src)
			if err := convert(&f, src, stride, tt.format); err != nil {
				t.Fatal(err)
			}
			for y := 0; y < 2; y++ {
				if got := f.Pix[y*f.Stride:][:8]; !bytes.Equal(got, tt.want) {
					t.Errorf("row %d: % x, want % x", y, got, tt.want)
				}
			}
			if err := convert(&f, src[:stride], stride, tt.format); err == nil {
				t.Error("short data accepted")
			}
		})
	}
	if err := convert(&codec.Frame{}, nil, 0, pixelFormat{bpp: 8, rMask: 7, gMask: 7 << 3, bMask: 3 << 6}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("8 bpp: %v", err)
	}
}

func TestConvertOddWidth(t *testing.T) {
	p := pixelFormat{bpp: 32, pad: 32, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff}
	f := codec.NewFrame(3, 2)
	src := []byte{1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0, 13, 14, 15, 0, 16, 17, 18, 0}
	if err := convert(&f, src, 12, p); err != nil {
		t.Fatal(err)
	}
	for i := range f.Pix {
		want := src[i]
		if i%4 == 3 {
			want = 0xff
		}
		if f.Pix[i] != want {
			t.Fatalf("byte %d: %d, want %d", i, f.Pix[i], want)
		}
	}
}

func BenchmarkConvertBGRX1080p(b *testing.B) {
	p := pixelFormat{bpp: 32, pad: 32, rMask: 0xff0000, gMask: 0xff00, bMask: 0xff}
	f := codec.NewFrame(1920, 1080)
	src := make([]byte, len(f.Pix))
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		convert(&f, src, 4*1920, p)
	}
}

func TestScale8(t *testing.T) {
	for _, tt := range []struct {
		v     uint32
		width int
		want  byte
	}{{0, 5, 0}, {31, 5, 255}, {63, 6, 255}, {1, 1, 255}, {0x3ff, 10, 255}, {0x200, 10, 0x80}, {16, 5, 0x84}} {
		if got := scale8(tt.v, tt.width); got != tt.want {
			t.Errorf("scale8(%#x, %d) = %#x, want %#x", tt.v, tt.width, got, tt.want)
		}
	}
}

func TestSortPrimaryFirst(t *testing.T) {
	for _, tt := range []struct {
		in   []Monitor
		want string // names in order; the first must be the only primary
	}{
		{[]Monitor{{Name: "a"}, {Name: "b"}, {Name: "c", Primary: true}, {Name: "d"}}, "cabd"},
		{[]Monitor{{Name: "a"}, {Name: "b"}}, "ab"},
		{[]Monitor{{Name: "a", Primary: true}, {Name: "b", Primary: true}}, "ab"},
		{[]Monitor{{Name: "a"}, {Name: "b", Primary: true}, {Name: "c", Primary: true}}, "bac"},
		{nil, ""},
	} {
		ms := sortPrimaryFirst(tt.in)
		got := ""
		for i, m := range ms {
			if m.Index != i || m.Primary != (i == 0) {
				t.Errorf("%s: index %d primary %v at %d", m.Name, m.Index, m.Primary, i)
			}
			got += m.Name
		}
		if got != tt.want {
			t.Errorf("order %s, want %s", got, tt.want)
		}
	}
}

func TestRGBAToBGRA(t *testing.T) {
	f := codec.NewFrame(2, 1)
	rgbaToBGRA(&f, []byte{1, 2, 3, 4, 5, 6, 7, 8, 99, 99}, 10)
	if want := []byte{3, 2, 1, 255, 7, 6, 5, 255}; !bytes.Equal(f.Pix, want) {
		t.Errorf("% x, want % x", f.Pix, want)
	}
}

func ExampleReplay() {
	var buf bytes.Buffer
	enc, _ := zstd.NewWriter(&buf)
	io.WriteString(enc, "FRAMES v1 2 1 1 BGRA\n")
	enc.Write([]byte{1, 2, 3, 255, 4, 5, 6, 255})
	enc.Close()
	r, err := NewReplay("example", func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		panic(err)
	}
	defer r.Close()
	var f codec.Frame
	for i := 0; i < 2; i++ { // loops
		if err := r.Capture(0, &f); err != nil {
			panic(err)
		}
		fmt.Printf("%d %d %v\n", f.Width, f.Height, f.Pix)
	}
	// Output:
	// 2 1 [1 2 3 255 4 5 6 255]
	// 2 1 [1 2 3 255 4 5 6 255]
}
