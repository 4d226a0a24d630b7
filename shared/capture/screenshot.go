package capture

import (
	"fmt"
	"time"

	"github.com/kbinani/screenshot"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Screenshot captures with github.com/kbinani/screenshot: GDI on Windows, CoreGraphics/ScreenCaptureKit on
// macOS (which needs cgo), X11 (Xinerama) elsewhere. It keeps nothing open between calls: on X11 every
// Capture opens a new X connection and a new shared-memory segment, which costs about 20 ms per 1080p frame,
// and the X library logs "Could not get authority info" to stderr each time when there is no Xauthority file.
//
// Its monitor bounds are relative to the primary monitor's top-left corner, which is the virtual-screen
// origin on Windows and macOS (and on X11 whenever the first Xinerama screen is at 0,0).
type Screenshot struct {
	monitors  []Monitor
	refreshed time.Time
	closed    bool
}

// NewScreenshot returns a Screenshot source, or an error wrapping ErrUnsupported when the library sees no
// display.
func NewScreenshot() (*Screenshot, error) {
	s := &Screenshot{}
	if _, err := s.Monitors(); err != nil {
		return nil, err
	}
	return s, nil
}

// Name implements Source.
func (s *Screenshot) Name() string { return "screenshot" }

// Monitors implements Source. The library's display 0 is the primary monitor.
func (s *Screenshot) Monitors() ([]Monitor, error) {
	if s.closed {
		return nil, fmt.Errorf("screenshot capture: monitors: %w", ErrClosed)
	}
	n := screenshot.NumActiveDisplays()
	if n <= 0 {
		return nil, fmt.Errorf("screenshot capture: no active display: %w", ErrUnsupported)
	}
	ms := make([]Monitor, 0, n)
	for i := 0; i < n; i++ {
		b := screenshot.GetDisplayBounds(i)
		if b.Empty() {
			continue
		}
		ms = append(ms, Monitor{Index: len(ms), Bounds: b, Primary: i == 0})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("screenshot capture: %d displays, none with a size: %w", n, ErrUnsupported)
	}
	s.monitors, s.refreshed = ms, time.Now()
	return append([]Monitor(nil), ms...), nil
}

// Capture implements Source.
func (s *Screenshot) Capture(monitor int, dst *codec.Frame) error {
	if s.closed {
		return fmt.Errorf("screenshot capture: %w", ErrClosed)
	}
	if time.Since(s.refreshed) > layoutRefresh {
		if _, err := s.Monitors(); err != nil {
			return err
		}
	}
	m, err := monitorAt(s.monitors, monitor)
	if err != nil {
		return fmt.Errorf("screenshot capture: %w", err)
	}
	if err := Resize(dst, m.Bounds.Dx(), m.Bounds.Dy()); err != nil {
		return fmt.Errorf("screenshot capture: monitor %d: %w", monitor, err)
	}
	img, err := screenshot.CaptureRect(m.Bounds)
	if err != nil {
		s.refreshed = time.Time{}
		return fmt.Errorf("screenshot capture: monitor %d: %w", monitor, err)
	}
	if img.Rect.Dx() != dst.Width || img.Rect.Dy() != dst.Height {
		return fmt.Errorf("screenshot capture: monitor %d: got %v for a %dx%d monitor", monitor, img.Rect, dst.Width, dst.Height)
	}
	rgbaToBGRA(dst, img.Pix, img.Stride)
	return nil
}

// Close implements Source. The library holds nothing open, so it only marks the source closed.
func (s *Screenshot) Close() error {
	s.closed = true
	return nil
}
