//go:build !linux || !cgo || nopipewire

package pwtest

import "testing"

// Daemon is a private PipeWire daemon; this build (no cgo, not Linux, or the nopipewire tag) cannot run one.
type Daemon struct{}

// StartDaemon fails the test: this build has no PipeWire support.
func StartDaemon(t testing.TB) *Daemon {
	t.Helper()
	t.Fatal("pwtest: built without PipeWire support (needs linux, cgo, and no nopipewire tag)")
	return nil
}

// Stop does nothing.
func (d *Daemon) Stop() {}

// Socket returns "".
func (d *Daemon) Socket() string { return "" }

// Dial fails the test.
func (d *Daemon) Dial(t testing.TB) int {
	t.Helper()
	t.Fatal("pwtest: built without PipeWire support")
	return -1
}

// Formats lists the pixel formats a Producer can send.
var Formats = []string{"BGRx", "BGRA", "RGBx", "RGBA", "xRGB", "xBGR", "ARGB", "ABGR"}

// Fault is a defect a Producer puts into the buffers it sends.
type Fault int

// The faults PushFault knows.
const (
	FaultNone Fault = iota
	FaultCorrupted
	FaultShort
	FaultPastEnd
	FaultBigStride
)

// ProducerOptions are a Producer's settings.
type ProducerOptions struct {
	Width, Height int
	Format        string
	Padding       int
	DmaBuf        bool
	ShortFiles    bool
}

// Producer is a video source node; this build cannot make one.
type Producer struct{}

// NewProducer fails the test.
func (d *Daemon) NewProducer(t testing.TB, w, h int, format string) *Producer {
	t.Helper()
	t.Fatal("pwtest: built without PipeWire support")
	return nil
}

// NewProducerWith fails the test.
func (d *Daemon) NewProducerWith(t testing.TB, o ProducerOptions) *Producer {
	t.Helper()
	t.Fatal("pwtest: built without PipeWire support")
	return nil
}

// Node returns 0.
func (p *Producer) Node() uint32 { return 0 }

// Push fails the test.
func (p *Producer) Push(t testing.TB, pix []byte, cursorX, cursorY int) {
	t.Fatal("pwtest: no PipeWire")
}

// PushFault fails the test.
func (p *Producer) PushFault(t testing.TB, pix []byte, cursorX, cursorY int, fault Fault) {
	t.Fatal("pwtest: no PipeWire")
}

// Sent returns 0.
func (p *Producer) Sent() uint64 { return 0 }

// Resize fails the test.
func (p *Producer) Resize(t testing.TB, w, h int) { t.Fatal("pwtest: no PipeWire") }

// Close does nothing.
func (p *Producer) Close() {}
