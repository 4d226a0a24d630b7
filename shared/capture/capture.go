// Package capture reads the screen, one monitor at a time, into BGRA frames that go straight to the frame
// encoder (shared/codec).
//
// A Source lists the monitors of the virtual screen (Monitors) and captures one of them into a caller-owned
// codec.Frame (Capture), reusing its pixel buffer so that a live loop allocates nothing per frame:
//
//	src, err := capture.New()
//	...
//	defer src.Close()
//	var f codec.Frame
//	for ... {
//		if err := src.Capture(monitor, &f); err != nil { ... }
//		packet, err = enc.Encode(packet[:0], f)
//	}
//
// Back ends:
//   - X11 (Linux): one persistent X connection (pure Go, github.com/jezek/xgb), MIT-SHM when the server
//     offers it, plain GetImage otherwise; monitors from RandR, else Xinerama, else the root window. New picks
//     it on X11.
//   - Screenshot: github.com/kbinani/screenshot, for Windows and macOS (and as an X11 fallback). It opens a new
//     connection to the display server on every capture, so it is much slower on X11.
//   - Replay: a looping .frames.zst recording, for tests and benchmarks.
//   - Pattern: small synthetic frames computed in memory, for unit tests.
//
// A Source is not safe for concurrent use: one goroutine (the session's capture loop) owns it. Close releases
// everything (connection, shared memory) and may be called more than once.
package capture

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Monitor is one monitor of the virtual screen.
type Monitor struct {
	// Index is the monitor's position in the list Monitors returned; Capture takes it.
	Index int
	// Bounds is the monitor's rectangle in virtual-screen pixels (on X11, root-window coordinates; the
	// origin may be negative on other systems).
	Bounds image.Rectangle
	// Primary is true for exactly one monitor: the one the system treats as primary, else the first.
	Primary bool
	// Name is the system's name for the monitor (e.g. "HDMI-1"), empty when unknown.
	Name string
}

// Source captures monitors. It is owned by one goroutine.
type Source interface {
	// Monitors re-reads the monitor layout and returns it, primary first.
	Monitors() ([]Monitor, error)
	// Capture stores the current pixels of the monitor with the given index into dst: it sets dst's size
	// to the monitor's, Stride to 4*Width, and reuses dst.Pix when its capacity is large enough (else
	// allocates a new one). Pixels are BGRA, top-down, A=255. The layout may have changed since Monitors
	// was called; an index that no longer exists gives an error that wraps ErrNoMonitor.
	Capture(monitor int, dst *codec.Frame) error
	// Name is a short description of the back end, for logs and benchmarks (e.g. "x11-shm").
	Name() string
	// Close releases the source's resources. Capture fails with ErrClosed afterwards. Calling it again
	// does nothing.
	Close() error
}

var (
	// ErrNoMonitor is wrapped by errors about a monitor index that does not exist.
	ErrNoMonitor = errors.New("no such monitor")
	// ErrClosed is wrapped by errors from a Source used after Close.
	ErrClosed = errors.New("capture source closed")
	// ErrUnsupported is wrapped when a back end cannot run here (no display, wrong platform).
	ErrUnsupported = errors.New("screen capture not supported here")
)

// Limits on frame sizes, checked before anything is allocated.
const (
	// MaxDimension bounds a captured or replayed frame's width and height, in pixels.
	MaxDimension = 1 << 14
	// MaxFrameBytes bounds one frame's pixel data (an 8K monitor is about 133 MB).
	MaxFrameBytes = 256 << 20
)

// layoutRefresh is how often Capture re-reads the monitor layout by itself.
const layoutRefresh = time.Second

// checkSize reports whether a w×h frame is within the limits.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxDimension || h > MaxDimension {
		return fmt.Errorf("frame size %dx%d outside 1..%d", w, h, MaxDimension)
	}
	if 4*w*h > MaxFrameBytes {
		return fmt.Errorf("frame size %dx%d is more than %d bytes", w, h, MaxFrameBytes)
	}
	return nil
}

// Resize makes dst a w×h frame with Stride 4*w, keeping its pixel buffer when it is large enough. The
// pixels' content is unspecified afterwards. It fails when w×h is outside the limits.
func Resize(dst *codec.Frame, w, h int) error {
	if err := checkSize(w, h); err != nil {
		return err
	}
	n := 4 * w * h
	if cap(dst.Pix) < n {
		dst.Pix = make([]byte, n)
	}
	dst.Pix = dst.Pix[:n]
	dst.Width, dst.Height, dst.Stride = w, h, 4*w
	return nil
}

// monitorAt returns ms[i] or an error wrapping ErrNoMonitor.
func monitorAt(ms []Monitor, i int) (Monitor, error) {
	if i < 0 || i >= len(ms) {
		return Monitor{}, fmt.Errorf("monitor %d of %d: %w", i, len(ms), ErrNoMonitor)
	}
	return ms[i], nil
}

// sortPrimaryFirst moves the primary monitor to the front (the first monitor becomes primary when none is),
// keeps the others in order, and numbers them.
func sortPrimaryFirst(ms []Monitor) []Monitor {
	primary := false
	for i, m := range ms {
		if m.Primary && !primary {
			copy(ms[1:i+1], ms[0:i])
			ms[0] = m
			primary = true
		} else {
			ms[i].Primary = false
		}
	}
	for i := range ms {
		ms[i].Index = i
	}
	if len(ms) > 0 {
		ms[0].Primary = true
	}
	return ms
}

// Pointer is where the mouse pointer is and what it looks like.
type Pointer struct {
	// Pos is the pointer's hot spot in virtual-screen pixels (the coordinates of Monitor.Bounds).
	Pos image.Point
	// Shape is the system's name for the pointer image ("left_ptr", "xterm", "hand2"…), empty when unknown.
	Shape string
}

// PointerSource is implemented by sources that can also tell where the pointer is. Frames never contain the
// pointer: a viewer draws it from this, so that it moves smoothly on a screen that does not change. It may be
// called while Capture runs in another goroutine (the pointer keeps moving while a large frame is sent), never
// twice at once, and never after Close.
type PointerSource interface {
	Pointer() (Pointer, error)
}
