// Package pipewire reads the frames of one PipeWire video stream: what the xdg-desktop-portal's ScreenCast
// hands out on Wayland (a PipeWire remote file descriptor from OpenPipeWireRemote and one node id per
// monitor).
//
// libpipewire-0.3 is loaded at run time with dlopen (Load), never linked, so the program still starts where
// it is absent; Open then fails with an error wrapping ErrUnavailable. Builds without cgo, for other systems,
// or with the build tag nopipewire have only a stub whose Open always fails that way.
//
//	s, err := pipewire.Open(fd, node) // fd now belongs to s
//	...
//	defer s.Close()
//	var f codec.Frame
//	for ... {
//		if err := s.Frame(&f, 5*time.Second); err != nil { ... }
//		x, y, ok := s.Cursor()
//	}
//
// The stream asks for raw video in BGRx, BGRA, RGBx, RGBA, xRGB, xBGR, ARGB or ABGR, of any size up to
// capture.MaxDimension and any framerate, in shared memory (MemFd, MemPtr), and reads DMA-BUF buffers too
// when a producer sends them and they can be mapped. Frames come out as BGRA with A=255, the layout of
// shared/capture. The pointer position comes from SPA_META_Cursor metadata.
//
// A session manager (WirePlumber) links the stream to its node from the node.target property, as it does for
// every portal consumer. Where the remote lets us see the daemon's link-factory, the stream also asks it for
// the link itself, so that it works without a session manager (a duplicate link attempt fails harmlessly).
//
// All methods of a Stream are safe for concurrent use.
package pipewire

import "errors"

var (
	// ErrUnavailable is wrapped when libpipewire-0.3 cannot be loaded or the build lacks PipeWire support.
	ErrUnavailable = errors.New("PipeWire is not available")
	// ErrClosed is returned by Frame after Close.
	ErrClosed = errors.New("pipewire stream closed")
	// ErrStreamEnded is wrapped when the stream is over for good: its node went away, the stream failed,
	// or the connection to PipeWire broke.
	ErrStreamEnded = errors.New("pipewire stream ended")
)
