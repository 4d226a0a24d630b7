package capture

import (
	"image"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Grain is a still Source of fine grain, for tests: the lossless codec cannot shrink it much, as a photograph,
// so that its key frame takes a slow link a while.
type Grain struct{ f codec.Frame }

// NewGrain returns a Grain source with one w×h monitor at 0,0; its pixels are the same on every run.
func NewGrain(w, h int) *Grain {
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
	return &Grain{f: f}
}

// Frame returns the picture every Capture gives (the caller must not change it).
func (g *Grain) Frame() codec.Frame { return g.f }

// Name implements Source.
func (*Grain) Name() string { return "grain" }

// Monitors implements Source.
func (g *Grain) Monitors() ([]Monitor, error) {
	return []Monitor{{Bounds: image.Rect(0, 0, g.f.Width, g.f.Height), Primary: true, Name: "grain"}}, nil
}

// Capture implements Source.
func (g *Grain) Capture(_ int, dst *codec.Frame) error {
	if err := Resize(dst, g.f.Width, g.f.Height); err != nil {
		return err
	}
	copy(dst.Pix, g.f.Pix)
	return nil
}

// Close implements Source.
func (*Grain) Close() error { return nil }
