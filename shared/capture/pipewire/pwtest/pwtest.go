//go:build linux && cgo && !nopipewire

// Package pwtest runs a private PipeWire daemon and video producers for tests of package pipewire and of the
// packages built on it (what xdg-desktop-portal's ScreenCast stands on: a PipeWire remote and one node per
// monitor).
//
//	d := pwtest.StartDaemon(t)
//	p := d.NewProducer(t, 64, 48, "BGRx")
//	s, err := pipewire.Open(d.Dial(t), p.Node())
//	p.Push(t, pix, 10, 20) // pix: BGRA, 64*48*4 bytes
//	// poll s.Frame until it returns pix
//
// The daemon is the real "pipewire" binary (Debian's pipewire-bin) with a minimal configuration of its own:
// native protocol, client-node, adapter, metadata, link-factory, and access granting every client all
// permissions; no D-Bus, no audio, and no session manager. Nothing links nodes by itself then (PipeWire
// 0.3.65 leaves that to the session manager, which would act on the stream's node.target): package pipewire
// asks link-factory for the link itself.
//
// Unlike package pipewire this package links libpipewire (producers are C clients); only tests import it.
// Builds without cgo or with the nopipewire tag get a stub that fails the test.
package pwtest

/*
#cgo pkg-config: libpipewire-0.3
#include <stdlib.h>
#include "producer.h"
*/
import "C"

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// startTimeout bounds how long StartDaemon and NewProducer wait for the daemon or the producer's node.
const startTimeout = 15 * time.Second

// daemonConf is the daemon's whole configuration: no session manager, no D-Bus, no ALSA or Pulse. The daemon
// holds every new client until module-access (or a session manager) grants it permissions; with no
// arguments module-access grants every client outside a sandbox all of them.
const daemonConf = `# pwtest: a private PipeWire daemon for tests.
context.properties = {
    core.daemon     = true
    core.name       = pipewire-0
    support.dbus    = false
    mem.allow-mlock = false
    log.level       = 2
}
context.spa-libs = {
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
    { name = libpipewire-module-access args = { } }
]
`

// Daemon is a private PipeWire daemon started by the test, with a configuration of its own in t.TempDir()
// and its own runtime directory and socket. It is stopped by t.Cleanup.
type Daemon struct {
	socket string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{} // closed once the process has been waited for
	stop   sync.Once
}

// syncBuffer collects the daemon's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// StartDaemon starts the "pipewire" binary with a minimal configuration and waits until its socket takes
// connections. It fails the test when pipewire is not installed (.ci/deps.sh installs pipewire-bin). Set
// PWTEST_DEBUG (a PIPEWIRE_DEBUG level such as 3) to see the daemon's log in failed tests.
func StartDaemon(t testing.TB) *Daemon {
	t.Helper()
	bin, err := exec.LookPath("pipewire")
	if err != nil {
		t.Fatalf("pwtest: the pipewire daemon is not installed (Debian package pipewire-bin): %v", err)
	}
	confDir := t.TempDir()
	conf := filepath.Join(confDir, "pipewire.conf")
	if err := os.WriteFile(conf, []byte(daemonConf), 0o644); err != nil {
		t.Fatal(err)
	}
	// A short path of its own: a socket path must fit in 108 bytes, which t.TempDir() may not.
	runDir, err := os.MkdirTemp("", "pwtest")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{
		socket: filepath.Join(runDir, "pipewire-0"),
		out:    &syncBuffer{},
		exited: make(chan struct{}),
	}
	d.cmd = exec.Command(bin, "-c", conf)
	d.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + confDir,
		"XDG_CONFIG_HOME=" + confDir,
		"XDG_RUNTIME_DIR=" + runDir,
		"PIPEWIRE_RUNTIME_DIR=" + runDir,
	}
	if lvl := os.Getenv("PWTEST_DEBUG"); lvl != "" {
		d.cmd.Env = append(d.cmd.Env, "PIPEWIRE_DEBUG="+lvl)
	}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := d.cmd.Start(); err != nil {
		_ = os.RemoveAll(runDir)
		t.Fatalf("pwtest: start pipewire: %v", err)
	}
	go func() { // ends when the daemon does; Stop makes sure it does
		_ = d.cmd.Wait() // the exit status is the daemon's business; its output is logged on failure
		close(d.exited)
	}()
	t.Cleanup(func() {
		d.Stop()
		_ = os.RemoveAll(runDir)
		if t.Failed() {
			t.Logf("pipewire daemon output:\n%s", d.out.String())
		}
	})

	deadline := time.Now().Add(startTimeout)
	for {
		fd, err := d.dial()
		if err == nil {
			_ = syscall.Close(fd)
			return d
		}
		select {
		case <-d.exited:
			t.Fatalf("pwtest: pipewire exited at start (%v):\n%s", d.cmd.ProcessState, d.out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pwtest: pipewire's socket %s takes no connection after %v: %v\n%s", d.socket,
				startTimeout, err, d.out.String())
		}
	}
}

// Stop ends the daemon now (SIGTERM, then SIGKILL after a few seconds) and waits for it, as a crashed or
// stopped PipeWire would go away under its clients. Calling it again does nothing; t.Cleanup calls it.
func (d *Daemon) Stop() {
	d.stop.Do(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM) // fails only when it has already exited
		select {
		case <-d.exited:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
}

// Socket returns the path of the daemon's socket.
func (d *Daemon) Socket() string { return d.socket }

func (d *Daemon) dial() (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: d.socket}); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Dial returns a new fd connected to the daemon's socket: what ScreenCast.OpenPipeWireRemote hands out. The
// caller owns it (pipewire.Open takes it over).
func (d *Daemon) Dial(t testing.TB) int {
	t.Helper()
	fd, err := d.dial()
	if err != nil {
		t.Fatalf("pwtest: connect to %s: %v", d.socket, err)
	}
	return fd
}

// Formats lists the pixel formats a Producer can send, the ones package pipewire reads.
var Formats = []string{"BGRx", "BGRA", "RGBx", "RGBA", "xRGB", "xBGR", "ARGB", "ABGR"}

// layouts gives, per format, the byte offsets of B, G, R and the fourth byte (A or x) in a pixel.
var layouts = map[string][4]int{
	"BGRx": {0, 1, 2, 3}, "BGRA": {0, 1, 2, 3},
	"RGBx": {2, 1, 0, 3}, "RGBA": {2, 1, 0, 3},
	"xRGB": {3, 2, 1, 0}, "ARGB": {3, 2, 1, 0},
	"xBGR": {1, 2, 3, 0}, "ABGR": {1, 2, 3, 0},
}

// Fault is a defect a Producer puts into the buffers it sends, to play a broken producer.
type Fault int

// The faults PushFault knows.
const (
	FaultNone      Fault = C.PWT_FAULT_NONE       // a well-formed buffer
	FaultCorrupted Fault = C.PWT_FAULT_CORRUPTED  // SPA_CHUNK_FLAG_CORRUPTED is set
	FaultShort     Fault = C.PWT_FAULT_SHORT      // the chunk ends one byte before the frame's last pixel does
	FaultPastEnd   Fault = C.PWT_FAULT_PAST_END   // the chunk starts 4 bytes before the end of the memory
	FaultBigStride Fault = C.PWT_FAULT_BIG_STRIDE // the chunk's stride makes rows run past the memory
)

// ProducerOptions are a Producer's settings.
type ProducerOptions struct {
	// Width and Height are the frame size (at least 1).
	Width, Height int
	// Format is one of Formats; empty means BGRx. "NV12" makes a producer that a consumer of Formats cannot
	// link to (it cannot Push).
	Format string
	// Padding is added to each row: the stride is 4*Width+Padding, and the padding bytes are garbage.
	Padding int
	// DmaBuf makes the producer allocate its buffers itself as memfds labelled SPA_DATA_DmaBuf, so that
	// the consumer must map them itself, as it maps a linear DMA-BUF.
	DmaBuf bool
	// ShortFiles (with DmaBuf) makes those files half the size the buffers claim, as a broken or hostile
	// producer might: a consumer reading them whole would die of SIGBUS. Such a producer sends no picture.
	ShortFiles bool
}

// Producer is a video source node in the daemon pushing frames the test chooses: a real PipeWire client
// with its own context and core, a driver stream (it runs without a session manager) with SPA_META_Cursor.
// It sends its current picture every 10 ms while it is linked.
type Producer struct {
	mu     sync.Mutex
	c      *C.struct_pwt_producer
	node   uint32
	format string
	w, h   int
}

// NewProducer starts a producer of w×h frames in format (one of Formats; "" is BGRx) and waits until its
// node exists. t.Cleanup closes it.
func (d *Daemon) NewProducer(t testing.TB, w, h int, format string) *Producer {
	t.Helper()
	return d.NewProducerWith(t, ProducerOptions{Width: w, Height: h, Format: format})
}

// NewProducerWith is NewProducer with every setting.
func (d *Daemon) NewProducerWith(t testing.TB, o ProducerOptions) *Producer {
	t.Helper()
	if o.Format == "" {
		o.Format = "BGRx"
	}
	cname := C.CString(o.Format)
	id := C.pwt_format_id(cname)
	C.free(unsafe.Pointer(cname))
	if id == 0 {
		t.Fatalf("pwtest: unknown format %q (known: %v)", o.Format, Formats)
	}
	if o.Width < 1 || o.Height < 1 || o.Padding < 0 {
		t.Fatalf("pwtest: bad producer size %dx%d+%d", o.Width, o.Height, o.Padding)
	}
	var msg [256]C.char
	c := C.pwt_producer_new(C.int(d.Dial(t)), id, C.int(o.Width), C.int(o.Height), C.int(o.Padding),
		C.bool(o.DmaBuf), C.bool(o.ShortFiles), &msg[0], C.size_t(len(msg)))
	if c == nil {
		t.Fatalf("pwtest: producer: %s", C.GoString(&msg[0]))
	}
	p := &Producer{c: c, format: o.Format, w: o.Width, h: o.Height}
	t.Cleanup(p.Close)
	deadline := time.Now().Add(startTimeout)
	for {
		var node C.uint32_t
		switch C.pwt_producer_state(c, &node, &msg[0], C.size_t(len(msg))) {
		case C.PWT_READY:
			p.node = uint32(node)
			return p
		case C.PWT_ERROR:
			t.Fatalf("pwtest: producer: %s", C.GoString(&msg[0]))
		}
		if time.Now().After(deadline) {
			t.Fatalf("pwtest: the producer has no node after %v", startTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Node returns the producer's node id, what the portal hands out for a monitor.
func (p *Producer) Node() uint32 { return p.node }

// Push converts pix (BGRA, top-down, Width*Height*4 bytes of the current size) to the producer's format and
// makes it the picture the producer sends, with the pointer at (cursorX, cursorY) in SPA_META_Cursor, or
// hidden when cursorX < 0.
func (p *Producer) Push(t testing.TB, pix []byte, cursorX, cursorY int) {
	t.Helper()
	p.PushFault(t, pix, cursorX, cursorY, FaultNone)
}

// PushFault is Push with buffers that carry fault, which a consumer must reject without reading out of
// bounds.
func (p *Producer) PushFault(t testing.TB, pix []byte, cursorX, cursorY int, fault Fault) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		t.Fatal("pwtest: Push on a closed producer")
	}
	l, ok := layouts[p.format]
	if !ok {
		t.Fatalf("pwtest: Push to a %s producer", p.format)
	}
	if len(pix) != 4*p.w*p.h {
		t.Fatalf("pwtest: Push of %d bytes to a %dx%d producer", len(pix), p.w, p.h)
	}
	alpha := p.format[0] == 'A' || p.format[3] == 'A'
	out := make([]byte, len(pix))
	for i := 0; i < len(pix); i += 4 {
		out[i+l[0]], out[i+l[1]], out[i+l[2]] = pix[i], pix[i+1], pix[i+2]
		out[i+l[3]] = 0x5a // garbage in x, which the consumer must replace by 255
		if alpha {
			out[i+l[3]] = pix[i+3]
		}
	}
	if C.pwt_producer_push(p.c, unsafe.Pointer(&out[0]), C.size_t(len(out)), C.int(cursorX), C.int(cursorY),
		C.int(fault)) != 0 {
		t.Fatal("pwtest: push refused")
	}
}

// Sent returns how many buffers the producer has sent since the last Push or Resize.
func (p *Producer) Sent() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return 0
	}
	return uint64(C.pwt_producer_sent(p.c))
}

// Resize renegotiates the format at w×h. The producer sends nothing until the new format is agreed, then
// black until the next Push (of w*h*4 bytes).
func (p *Producer) Resize(t testing.TB, w, h int) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		t.Fatal("pwtest: Resize on a closed producer")
	}
	if w < 1 || h < 1 {
		t.Fatalf("pwtest: bad size %dx%d", w, h)
	}
	if res := C.pwt_producer_resize(p.c, C.int(w), C.int(h)); res < 0 {
		t.Fatalf("pwtest: resize: %v", syscall.Errno(-res))
	}
	p.w, p.h = w, h
}

// Close disconnects the producer: its node goes away. Calling it again does nothing.
func (p *Producer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		C.pwt_producer_free(p.c)
		p.c = nil
	}
}
