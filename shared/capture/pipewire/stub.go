//go:build !linux || !cgo || nopipewire

package pipewire

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Load reports that this build has no PipeWire support: the error wraps ErrUnavailable.
func Load() error {
	return fmt.Errorf("%w: built without PipeWire support (needs linux, cgo, and no nopipewire tag)", ErrUnavailable)
}

// Stream is one video stream consumed from a node. This build cannot make one.
type Stream struct{}

// Open closes fd and returns an error wrapping ErrUnavailable: this build has no PipeWire support.
func Open(fd int, node uint32) (*Stream, error) {
	if fd >= 0 && runtime.GOOS != "windows" {
		_ = os.NewFile(uintptr(fd), "pipewire-remote").Close()
	}
	return nil, Load()
}

// Frame returns ErrClosed: a stub Stream is never open.
func (s *Stream) Frame(dst *codec.Frame, timeout time.Duration) error { return ErrClosed }

// Cursor reports no pointer.
func (s *Stream) Cursor() (x, y int, ok bool) { return 0, 0, false }

// Close does nothing.
func (s *Stream) Close() error { return nil }
