//go:build cgo && linux

package vpx

import (
	"math"
	"testing"

	"github.com/tandem-remote/tandem/shared/codec"
)

// scene is a frame of a panning, smooth picture with fine detail (as a video): frame i is shifted by i pixels.
func scene(w, h, i int) codec.Frame {
	f := codec.Frame{Width: w, Height: h, Stride: 4 * w, Pix: make([]byte, 4*w*h)}
	for y := range h {
		for x := range w {
			X, Y := float64(x+3*i), float64(y+i)
			p := f.Pix[y*f.Stride+4*x:]
			p[0] = byte(128 + 90*math.Sin(X/37)*math.Cos(Y/23))
			p[1] = byte(128 + 80*math.Sin((X+Y)/51))
			p[2] = byte(128 + 100*math.Cos(X/19-Y/41))
			p[3] = 255
		}
	}
	return f
}

func psnr(a, b codec.Frame) float64 {
	var sum float64
	for y := range a.Height {
		for x := range a.Width {
			for k := range 3 {
				d := float64(a.Pix[y*a.Stride+4*x+k]) - float64(b.Pix[y*b.Stride+4*x+k])
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(sum/float64(3*a.Width*a.Height)))
}

// Frames of a moving picture, coded at 2 Mbit/s and decoded into a region of a larger screen, come out close to
// the original (VP8 is lossy), starting with a key frame; the rest of the screen is left alone.
func TestRoundTrip(t *testing.T) {
	const w, h = 320, 240
	enc, err := NewEncoder(w, h, 2000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := NewDecoder(w, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	screen := codec.Frame{Width: 400, Height: 300, Stride: 1600, Pix: make([]byte, 1600*300)}
	for i := range 30 {
		src := scene(w, h, i)
		pkt, key, err := enc.Encode(nil, src, 0, 0, false, int64(33*i))
		if err != nil {
			t.Fatal(err)
		}
		if (i == 0) != key {
			t.Fatalf("frame %d: key %v", i, key)
		}
		if err := dec.Decode(pkt, screen, 40, 30); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got := codec.Frame{Width: w, Height: h, Stride: screen.Stride, Pix: screen.Pix[30*screen.Stride+4*40:]}
		if p := psnr(got, src); i > 5 && p < 30 {
			t.Fatalf("frame %d: PSNR %.1f dB", i, p)
		}
	}
	if screen.Pix[0] != 0 || screen.Pix[len(screen.Pix)-1] != 0 {
		t.Fatal("the decoder wrote outside its region")
	}
	// A forced key frame is one.
	if _, key, err := enc.Encode(nil, scene(w, h, 31), 0, 0, true, 33*31); err != nil || !key {
		t.Fatalf("forced key frame: key %v, %v", key, err)
	}
}

func TestDecoderRefusesGarbage(t *testing.T) {
	dec, err := NewDecoder(64, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	screen := codec.Frame{Width: 64, Height: 64, Stride: 256, Pix: make([]byte, 256*64)}
	for _, pkt := range [][]byte{{}, {1, 2, 3}, make([]byte, 1000)} {
		if err := dec.Decode(pkt, screen, 0, 0); err == nil {
			t.Fatalf("%d bytes of garbage decoded", len(pkt))
		}
	}
	// A valid picture of another size is refused too.
	enc, err := NewEncoder(32, 32, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pkt, _, err := enc.Encode(nil, scene(32, 32, 0), 0, 0, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(pkt, screen, 0, 0); err == nil {
		t.Fatal("a 32x32 picture decoded into a 64x64 region")
	}
}

func FuzzDecode(f *testing.F) {
	enc, err := NewEncoder(32, 32, 500, 1)
	if err != nil {
		f.Fatal(err)
	}
	pkt, _, err := enc.Encode(nil, scene(32, 32, 0), 0, 0, true, 0)
	enc.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkt)
	f.Fuzz(func(t *testing.T, b []byte) {
		dec, err := NewDecoder(32, 32, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		screen := codec.Frame{Width: 32, Height: 32, Stride: 128, Pix: make([]byte, 128*32)}
		_ = dec.Decode(b, screen, 0, 0)
	})
}
