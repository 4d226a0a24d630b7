package session

import (
	"bytes"
	"context"
	"image"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// grainSource is a still screen of fine grain, which the lossless codec cannot shrink much (as a photograph).
type grainSource struct{ f codec.Frame }

func newGrain(w, h int) *grainSource {
	f := codec.Frame{Width: w, Height: h, Stride: 4 * w, Pix: make([]byte, 4*w*h)}
	x := uint32(2463534242)
	for i := range f.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		f.Pix[i] = byte(96 + x%64)
		if i%4 == 3 {
			f.Pix[i] = 255
		}
	}
	return &grainSource{f: f}
}

func (*grainSource) Name() string { return "grain" }
func (g *grainSource) Monitors() ([]capture.Monitor, error) {
	return []capture.Monitor{{Bounds: image.Rect(0, 0, g.f.Width, g.f.Height), Primary: true, Name: "grain"}}, nil
}
func (g *grainSource) Capture(_ int, dst *codec.Frame) error {
	if err := capture.Resize(dst, g.f.Width, g.f.Height); err != nil {
		return err
	}
	copy(dst.Pix, g.f.Pix)
	return nil
}
func (*grainSource) Close() error { return nil }

// Joining over a slow link a screen whose key frame takes the link seconds: the technician first sees a coarse
// preview of the whole screen (its size, its colours), and then the exact picture, bit for bit.
func TestSlowLinkShowsAPreviewFirstThenTheExactPicture(t *testing.T) {
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	r := relay.New(t, h.Link().Addr)
	slow := relay.Link{Rate: 4_000_000, Delay: 20 * time.Millisecond}
	r.SetLinks(slow, slow)
	src := newGrain(640, 400)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	g, err := Join(ctx, Link{Addr: r.Addr(), Key: h.Link().Key}, GuestConfig{Name: "Bob", Screen: src})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)

	first := waitFor(t, h.Events(), func(ScreenUpdated) bool { return true })
	if !first.Preview {
		t.Fatalf("the first picture (%d bytes) is not a preview", first.Bytes)
	}
	var w, hgt int
	var exact bool
	var mean float64
	h.Screen(func(f codec.Frame) {
		w, hgt = f.Width, f.Height
		exact = bytes.Equal(f.Pix, src.f.Pix)
		var sum int
		for i := 0; i < len(f.Pix); i += 4 {
			sum += int(f.Pix[i])
		}
		mean = float64(sum) / float64(len(f.Pix)/4)
	})
	if w != 640 || hgt != 400 || exact {
		t.Fatalf("the preview shows %dx%d (exact: %v), want the whole 640x400 screen, coarse", w, hgt, exact)
	}
	if mean < 120 || mean > 136 {
		t.Fatalf("the preview's blue averages %.1f, the screen's is about 128", mean)
	}
	waitFor(t, h.Events(), func(u ScreenUpdated) bool { return !u.Preview })
	h.Screen(func(f codec.Frame) { exact = bytes.Equal(f.Pix, src.f.Pix) })
	if !exact {
		t.Fatal("after the key frame, the picture is not the screen bit for bit")
	}
}
