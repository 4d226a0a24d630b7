//go:build linux && cgo && !nopipewire

package pipewire

// Only the include paths of libpipewire-0.3 and libspa-0.2 (pkg-config's --cflags): its --libs must not be
// linked, tpw.c dlopens the library.

/*
#cgo CFLAGS: -I/usr/include/pipewire-0.3 -I/usr/include/spa-0.2 -D_REENTRANT
#cgo LDFLAGS: -ldl -lpthread
#include <stdlib.h>
#include "tpw.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
)

// soname is the library Load opens.
const soname = "libpipewire-0.3.so.0"

// openTimeout bounds how long Open waits for the daemon to create the stream's node.
const openTimeout = 10 * time.Second

// errLen is the size of the C buffers that receive error messages.
const errLen = 256

// The frame size limits Open gives the C side; tests lower them.
var maxDimension, maxFrameBytes = defaultLimits()

// defaultLimits returns shared/capture's limits.
func defaultLimits() (maxDim, maxBytes int) { return capture.MaxDimension, capture.MaxFrameBytes }

var (
	loadOnce sync.Once
	loadErr  error
)

// Load loads libpipewire-0.3.so.0 with dlopen and initialises it, once; later calls return the same result.
// The error wraps ErrUnavailable. Open calls it.
func Load() error {
	loadOnce.Do(func() { loadErr = loadLibrary(soname) })
	return loadErr
}

// loadLibrary dlopens name and resolves the functions tpw.c uses.
func loadLibrary(name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var msg [errLen]C.char
	if C.tpw_load(cname, &msg[0], errLen) != 0 {
		return fmt.Errorf("%w: %s", ErrUnavailable, C.GoString(&msg[0]))
	}
	return nil
}

// Stream is one video stream consumed from a node.
type Stream struct {
	once sync.Once
	// mu is held for reading while a method uses c, and for writing while Close frees it.
	mu sync.RWMutex
	c  *C.struct_tpw_stream
}

// Open connects to the PipeWire remote on fd (it takes ownership of fd, closing it on failure and on Close)
// and consumes node's video. It returns once the stream is connected (format negotiation may still be going
// on), or an error, which wraps ErrUnavailable when libpipewire (or its configuration and modules) is missing.
func Open(fd int, node uint32) (*Stream, error) {
	if err := Load(); err != nil {
		if fd >= 0 {
			_ = os.NewFile(uintptr(fd), "pipewire-remote").Close()
		}
		return nil, err
	}
	var msg [errLen]C.char
	var unavailable C.int
	c := C.tpw_open(C.int(fd), C.uint32_t(node), C.uint32_t(maxDimension), C.uint64_t(maxFrameBytes),
		C.int64_t(openTimeout), &unavailable, &msg[0], errLen)
	if c == nil {
		if unavailable != 0 {
			return nil, fmt.Errorf("%w: %s", ErrUnavailable, C.GoString(&msg[0]))
		}
		return nil, fmt.Errorf("pipewire: open node %d: %s", node, C.GoString(&msg[0]))
	}
	return &Stream{c: c}, nil
}

// Frame copies the newest frame into dst as BGRA, top-down, A=255, Stride 4*Width, reusing dst.Pix when its
// capacity is large enough. It waits up to timeout for the first frame; afterwards it returns the latest
// frame at once (the same one again if nothing new came). Errors: ErrClosed after Close; one wrapping
// os.ErrDeadlineExceeded when no frame came within timeout; one wrapping ErrStreamEnded when the node went
// away or the stream failed; another one when the producer's format or buffers cannot be used.
func (s *Stream) Frame(dst *codec.Frame, timeout time.Duration) error {
	if dst == nil {
		return errors.New("pipewire: nil frame")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return ErrClosed
	}
	var msg [errLen]C.char
	// A few tries: the size can change between learning it and copying.
	for range 8 {
		var w, h C.int
		var p unsafe.Pointer
		if cap(dst.Pix) > 0 {
			p = unsafe.Pointer(unsafe.SliceData(dst.Pix))
		}
		res := C.tpw_frame(s.c, p, C.size_t(cap(dst.Pix)), C.int64_t(timeout), &w, &h, &msg[0], errLen)
		switch res {
		case C.TPW_OK:
			n := 4 * int(w) * int(h)
			dst.Width, dst.Height, dst.Stride, dst.Pix = int(w), int(h), 4*int(w), dst.Pix[:n]
			return nil
		case C.TPW_NEED:
			if err := capture.Resize(dst, int(w), int(h)); err != nil {
				return fmt.Errorf("pipewire: %w", err)
			}
		case C.TPW_TIMEOUT:
			return fmt.Errorf("pipewire: no frame within %v: %w", timeout, os.ErrDeadlineExceeded)
		case C.TPW_CLOSED:
			return ErrClosed
		case C.TPW_ENDED:
			return fmt.Errorf("%w: %s", ErrStreamEnded, C.GoString(&msg[0]))
		default:
			return fmt.Errorf("pipewire: %s", C.GoString(&msg[0]))
		}
	}
	return errors.New("pipewire: the frame size keeps changing")
}

// Cursor returns the pointer position in stream pixels from SPA_META_Cursor metadata, and whether it is
// known and visible.
func (s *Stream) Cursor() (x, y int, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return 0, 0, false
	}
	var cx, cy C.int
	ok = C.tpw_cursor(s.c, &cx, &cy) != 0
	return int(cx), int(cy), ok
}

// stats returns how many frames the stream took and how many buffers it rejected as unusable.
func (s *Stream) stats() (frames, rejected uint64) {
	f, r, _ := s.counters()
	return f, r
}

// waiters returns how many Frame calls are waiting for a first frame.
func (s *Stream) waiters() int {
	_, _, w := s.counters()
	return w
}

func (s *Stream) counters() (frames, rejected uint64, waiting int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return 0, 0, 0
	}
	var f, r C.uint64_t
	var w C.int
	C.tpw_stats(s.c, &f, &r, &w)
	return uint64(f), uint64(r), int(w)
}

// Close disconnects the stream and releases everything, the file descriptor included. A Frame waiting in
// another goroutine returns ErrClosed. Calling it again does nothing.
func (s *Stream) Close() error {
	s.once.Do(func() {
		s.mu.RLock()
		if s.c != nil {
			C.tpw_shutdown(s.c) // wakes Frame calls waiting under the read lock
		}
		s.mu.RUnlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.c != nil {
			C.tpw_free(s.c)
			s.c = nil
		}
	})
	return nil
}
