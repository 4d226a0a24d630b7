package capture

import (
	"fmt"
	"image"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Pattern is a Source of synthetic frames computed in memory, for unit tests: each monitor shows a gradient
// and a white bar that moves 16 pixels to the right at every Capture of that monitor (see PatternPixel).
type Pattern struct {
	monitors []Monitor
	seq      []int
	closed   bool
}

// NewPattern returns a Pattern source with the given monitors (virtual-screen rectangles; the first is the
// primary). Without any, it has one 320×240 monitor at 0,0.
func NewPattern(bounds ...image.Rectangle) *Pattern {
	if len(bounds) == 0 {
		bounds = []image.Rectangle{image.Rect(0, 0, 320, 240)}
	}
	p := &Pattern{seq: make([]int, len(bounds))}
	for i, b := range bounds {
		p.monitors = append(p.monitors, Monitor{Index: i, Bounds: b.Canon(), Primary: i == 0, Name: fmt.Sprintf("pattern-%d", i)})
	}
	return p
}

// PatternPixel returns the B, G, R, A bytes of pixel (x, y) in frame seq (0 for the first Capture) of monitor
// m of a Pattern whose monitor is w pixels wide.
func PatternPixel(m, seq, w, x, y int) [4]byte {
	bar := (seq * 16) % w
	if x >= bar && x < bar+16 {
		return [4]byte{0xff, 0xff, 0xff, 0xff}
	}
	return [4]byte{byte(x), byte(y), byte(40*m + seq), 0xff}
}

// Name implements Source.
func (p *Pattern) Name() string { return "pattern" }

// Monitors implements Source.
func (p *Pattern) Monitors() ([]Monitor, error) {
	if p.closed {
		return nil, fmt.Errorf("pattern capture: monitors: %w", ErrClosed)
	}
	return append([]Monitor(nil), p.monitors...), nil
}

// Capture implements Source.
func (p *Pattern) Capture(monitor int, dst *codec.Frame) error {
	if p.closed {
		return fmt.Errorf("pattern capture: %w", ErrClosed)
	}
	m, err := monitorAt(p.monitors, monitor)
	if err != nil {
		return fmt.Errorf("pattern capture: %w", err)
	}
	w, h := m.Bounds.Dx(), m.Bounds.Dy()
	if err := Resize(dst, w, h); err != nil {
		return fmt.Errorf("pattern capture: monitor %d: %w", monitor, err)
	}
	seq := p.seq[monitor]
	p.seq[monitor]++
	for y := 0; y < h; y++ {
		row := dst.Pix[y*dst.Stride:][:4*w]
		for x := 0; x < w; x++ {
			px := PatternPixel(monitor, seq, w, x, y)
			copy(row[4*x:], px[:])
		}
	}
	return nil
}

// Close implements Source.
func (p *Pattern) Close() error {
	p.closed = true
	return nil
}
