//go:build linux && cgo && !nopipewire

package pipewire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/capture/pipewire/pwtest"
	"github.com/tandem-remote/tandem/shared/codec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// deadline bounds every wait for something the daemon, producer and stream do asynchronously.
const deadline = 20 * time.Second

// pattern returns a w×h BGRA picture that differs for every k (and in every channel), with alpha a.
func pattern(w, h, k int, a byte) []byte {
	pix := make([]byte, 4*w*h)
	for y := range h {
		for x := range w {
			i := 4 * (y*w + x)
			pix[i+0] = byte(x*13 + k)
			pix[i+1] = byte(y*29 + 7*k)
			pix[i+2] = byte(x ^ y + 31*k)
			pix[i+3] = a
		}
	}
	return pix
}

// opaque returns pix with every alpha set to 255: what the stream must give back.
func opaque(pix []byte) []byte {
	out := bytes.Clone(pix)
	for i := 3; i < len(out); i += 4 {
		out[i] = 255
	}
	return out
}

// open opens a stream on the daemon's node, closed by t.Cleanup.
func open(t *testing.T, d *pwtest.Daemon, node uint32) *Stream {
	t.Helper()
	s, err := Open(d.Dial(t), node)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFrame polls Frame until it returns a w×h frame equal to want, and returns it.
func waitFrame(t *testing.T, s *Stream, dst *codec.Frame, w, h int, want []byte) {
	t.Helper()
	end := time.Now().Add(deadline)
	var last error
	for time.Now().Before(end) {
		err := s.Frame(dst, time.Second)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			last = err
			continue
		case err != nil:
			t.Fatalf("Frame: %v", err)
		}
		if dst.Width == w && dst.Height == h && bytes.Equal(dst.Pix, want) {
			if dst.Stride != 4*w || len(dst.Pix) != 4*w*h {
				t.Fatalf("frame stride %d, %d bytes for %dx%d", dst.Stride, len(dst.Pix), w, h)
			}
			return
		}
		last = fmt.Errorf("last frame %dx%d %s", dst.Width, dst.Height, firstDiff(dst, w, h, want))
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %dx%d frame equal to the one pushed within %v: %v", w, h, deadline, last)
}

// firstDiff describes where f differs from want.
func firstDiff(f *codec.Frame, w, h int, want []byte) string {
	if f.Width != w || f.Height != h {
		return "(size differs)"
	}
	for i := range want {
		if f.Pix[i] != want[i] {
			p := i / 4
			return fmt.Sprintf("pixel (%d,%d) is % x, want % x", p%w, p/w, f.Pix[4*p:4*p+4], want[4*p:4*p+4])
		}
	}
	return "(equal)"
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLoad(t *testing.T) {
	if err := Load(); err != nil {
		t.Fatalf("Load: %v (libpipewire-0.3-0 must be installed)", err)
	}
	if err := Load(); err != nil {
		t.Fatalf("second Load: %v", err)
	}
	err := loadLibrary("libtandem-no-such-library.so.0")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("loading a missing library = %v, want ErrUnavailable", err)
	}
	if err := Load(); err != nil {
		t.Fatalf("Load after a failed load: %v", err)
	}
}

// Without its configuration (Debian's pipewire-bin ships client.conf) libpipewire cannot work: that is
// ErrUnavailable too, and Open still closes the fd.
func TestUnavailableWithoutConfig(t *testing.T) {
	t.Setenv("PIPEWIRE_CONFIG_PREFIX", "tandem-no-such-config")
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(sp[1])
	s, err := Open(sp[0], 1)
	if err == nil {
		s.Close()
		t.Fatal("Open without a configuration succeeded")
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open without a configuration = %v, want ErrUnavailable", err)
	}
	if _, err := fcntl(sp[0]); !errors.Is(err, syscall.EBADF) {
		t.Error("fd still open after a failed Open")
	}
}

func TestFramesInSequence(t *testing.T) {
	d := pwtest.StartDaemon(t)
	const w, h = 37, 21
	p := d.NewProducer(t, w, h, "BGRx")
	s := open(t, d, p.Node())
	var f codec.Frame
	for k := range 6 {
		pix := pattern(w, h, k, 255)
		p.Push(t, pix, 0, 0)
		waitFrame(t, s, &f, w, h, pix)
	}
	// Later calls return the newest frame at once, the same one again when nothing new came.
	before := &f.Pix[0]
	for range 3 {
		if err := s.Frame(&f, 0); err != nil {
			t.Fatalf("Frame with timeout 0 after a frame: %v", err)
		}
	}
	if !bytes.Equal(f.Pix, pattern(w, h, 5, 255)) {
		t.Fatal("the frame changed with nothing new pushed")
	}
	if &f.Pix[0] != before {
		t.Error("Frame reallocated a large enough dst.Pix")
	}
}

func TestPixelFormats(t *testing.T) {
	d := pwtest.StartDaemon(t)
	for _, format := range pwtest.Formats {
		t.Run(format, func(t *testing.T) {
			const w, h = 19, 11
			p := d.NewProducer(t, w, h, format)
			s := open(t, d, p.Node())
			// Alpha 0x80: formats with alpha must come out opaque too, those with x must not leak the
			// producer's garbage byte.
			pix := pattern(w, h, 3, 0x80)
			p.Push(t, pix, 0, 0)
			var f codec.Frame
			waitFrame(t, s, &f, w, h, opaque(pix))
		})
	}
}

func TestBufferLayouts(t *testing.T) {
	d := pwtest.StartDaemon(t)
	for _, tc := range []struct {
		name string
		o    pwtest.ProducerOptions
	}{
		{"memfd", pwtest.ProducerOptions{}},
		{"memfd padded rows", pwtest.ProducerOptions{Padding: 12}},
		{"dmabuf", pwtest.ProducerOptions{DmaBuf: true}},
		{"dmabuf padded rows RGBx", pwtest.ProducerOptions{DmaBuf: true, Padding: 20, Format: "RGBx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Width, tc.o.Height = 23, 17
			p := d.NewProducerWith(t, tc.o)
			s := open(t, d, p.Node())
			var f codec.Frame
			for k := range 2 {
				pix := pattern(23, 17, k, 255)
				p.Push(t, pix, 0, 0)
				waitFrame(t, s, &f, 23, 17, pix)
			}
		})
	}
}

func TestResizeMidStream(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducer(t, 32, 24, "BGRA")
	s := open(t, d, p.Node())
	var f codec.Frame
	for i, size := range [][2]int{{32, 24}, {9, 5}, {64, 40}, {64, 41}, {1, 1}} {
		w, h := size[0], size[1]
		if i > 0 {
			p.Resize(t, w, h)
		}
		pix := pattern(w, h, i, 255)
		p.Push(t, pix, 0, 0)
		waitFrame(t, s, &f, w, h, pix)
	}
}

func TestCursor(t *testing.T) {
	d := pwtest.StartDaemon(t)
	const w, h = 40, 30
	p := d.NewProducer(t, w, h, "")
	s := open(t, d, p.Node())
	pix := pattern(w, h, 0, 255)
	for _, tc := range []struct {
		x, y int
		ok   bool
	}{{5, 6, true}, {39, 0, true}, {-1, -1, false}, {12, 29, true}} {
		p.Push(t, pix, tc.x, tc.y)
		waitFor(t, fmt.Sprintf("cursor (%d,%d,%v)", tc.x, tc.y, tc.ok), func() bool {
			x, y, ok := s.Cursor()
			return ok == tc.ok && (!ok || x == tc.x && y == tc.y)
		})
	}
}

// A broken producer's buffers are dropped: the stream keeps the last good frame and reads nothing out of
// bounds.
func TestBrokenBuffers(t *testing.T) {
	d := pwtest.StartDaemon(t)
	const w, h = 16, 12
	for _, tc := range []struct {
		name  string
		fault pwtest.Fault
	}{
		{"corrupted flag", pwtest.FaultCorrupted},
		{"short chunk", pwtest.FaultShort},
		{"offset past the end", pwtest.FaultPastEnd},
		{"stride past the end", pwtest.FaultBigStride},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := d.NewProducerWith(t, pwtest.ProducerOptions{Width: w, Height: h, Padding: 8})
			s := open(t, d, p.Node())
			var f codec.Frame
			good := pattern(w, h, 1, 255)
			p.Push(t, good, 0, 0)
			waitFrame(t, s, &f, w, h, good)

			_, rejected := s.stats()
			p.PushFault(t, pattern(w, h, 2, 255), 0, 0, tc.fault)
			waitFor(t, "a rejected buffer", func() bool { _, r := s.stats(); return r > rejected })
			if err := s.Frame(&f, 0); err != nil {
				t.Fatalf("Frame after a broken buffer: %v", err)
			}
			if !bytes.Equal(f.Pix, good) {
				t.Fatal("a broken buffer replaced the good frame")
			}

			next := pattern(w, h, 3, 255)
			p.Push(t, next, 0, 0)
			waitFrame(t, s, &f, w, h, next)
		})
	}
}

func TestFrameTimeout(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducer(t, 8, 8, "")
	// Only unusable buffers, so that no frame ever comes.
	p.PushFault(t, pattern(8, 8, 0, 255), 0, 0, pwtest.FaultCorrupted)
	s := open(t, d, p.Node())
	waitFor(t, "a rejected buffer", func() bool { _, r := s.stats(); return r > 0 })
	var f codec.Frame
	if err := s.Frame(&f, 50*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Frame with no usable frame = %v, want a deadline error", err)
	}
	pix := pattern(8, 8, 1, 255)
	p.Push(t, pix, 0, 0)
	waitFrame(t, s, &f, 8, 8, pix)
}

func TestFrameLimits(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducer(t, 16, 9, "")
	for _, tc := range []struct {
		name        string
		dim, nbytes int
	}{
		{"too many bytes", 1 << 14, 4*16*9 - 1},
		{"too wide", 15, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maxDimension, maxFrameBytes = tc.dim, tc.nbytes
			s, err := Open(d.Dial(t), p.Node())
			maxDimension, maxFrameBytes = defaultLimits()
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			var f codec.Frame
			end := time.Now().Add(deadline)
			for {
				err := s.Frame(&f, time.Second)
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					if errors.Is(err, ErrStreamEnded) || errors.Is(err, ErrClosed) {
						t.Fatalf("Frame = %v, want an error about the size", err)
					}
					t.Logf("Frame: %v", err)
					break
				}
				if err == nil {
					t.Fatalf("Frame gave a %dx%d frame beyond the limits", f.Width, f.Height)
				}
				if time.Now().After(end) {
					t.Fatal("no error about the frame size")
				}
			}
		})
	}
}

// TestSourceGoesAway: the producer leaving, or the whole daemon stopping, ends the stream with ErrStreamEnded.
func TestSourceGoesAway(t *testing.T) {
	for _, tc := range []struct {
		what string
		end  func(*pwtest.Daemon, *pwtest.Producer)
	}{
		{"the producer left", func(_ *pwtest.Daemon, p *pwtest.Producer) { p.Close() }},
		{"the daemon stopped", func(d *pwtest.Daemon, _ *pwtest.Producer) { d.Stop() }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			d := pwtest.StartDaemon(t)
			p := d.NewProducer(t, 10, 10, "")
			s := open(t, d, p.Node())
			var f codec.Frame
			pix := pattern(10, 10, 0, 255)
			p.Push(t, pix, 0, 0)
			waitFrame(t, s, &f, 10, 10, pix)
			tc.end(d, p)
			var err error
			waitFor(t, "an error after "+tc.what, func() bool { err = s.Frame(&f, 100*time.Millisecond); return err != nil })
			if !errors.Is(err, ErrStreamEnded) {
				t.Fatalf("Frame after %s = %v, want ErrStreamEnded", tc.what, err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducer(t, 8, 8, "")
	p.PushFault(t, pattern(8, 8, 0, 255), 3, 4, pwtest.FaultCorrupted) // no frame will come
	s, err := Open(d.Dial(t), p.Node())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cursor", func() bool { _, _, ok := s.Cursor(); return ok })

	// A Frame waiting for the first frame returns when another goroutine closes the stream.
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var f codec.Frame
		errc <- s.Frame(&f, time.Hour)
	}()
	waitFor(t, "the waiting Frame", func() bool { return s.waiters() > 0 })
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting Frame = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var f codec.Frame
	if err := s.Frame(&f, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("Frame after Close = %v, want ErrClosed", err)
	}
	if _, _, ok := s.Cursor(); ok {
		t.Error("Cursor after Close is known")
	}
}

func TestOpenErrors(t *testing.T) {
	// Open owns the fd even when it fails.
	devNull, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(sp[1]) // nobody answers on the other end
	for _, tc := range []struct {
		name string
		fd   int
	}{
		{"negative fd", -1},
		{"fd not open", 1 << 20},
		{"fd of /dev/null", devNull},
		{"socket with no peer", sp[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.fd, 1)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, ErrUnavailable) {
				t.Fatalf("Open = %v: not an unavailable library", err)
			}
			t.Logf("Open: %v", err)
			if tc.fd >= 0 {
				if _, err := fcntl(tc.fd); !errors.Is(err, syscall.EBADF) {
					t.Errorf("fd %d still open after a failed Open", tc.fd)
				}
			}
		})
	}

	t.Run("no such node", func(t *testing.T) {
		d := pwtest.StartDaemon(t)
		s, err := Open(d.Dial(t), 987654)
		if err == nil {
			s.Close()
			t.Fatal("Open of a node that does not exist succeeded")
		}
		t.Logf("Open: %v", err)
	})
}

func fcntl(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// One stream per monitor: each gets its own node's frames.
func TestTwoMonitors(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p1 := d.NewProducer(t, 30, 20, "BGRx")
	p2 := d.NewProducer(t, 20, 30, "RGBA")
	s1, s2 := open(t, d, p1.Node()), open(t, d, p2.Node())
	a, b := pattern(30, 20, 1, 255), pattern(20, 30, 2, 255)
	p1.Push(t, a, 1, 2)
	p2.Push(t, b, 3, 4)
	var f1, f2 codec.Frame
	waitFrame(t, s1, &f1, 30, 20, a)
	waitFrame(t, s2, &f2, 20, 30, b)
	waitFor(t, "both cursors", func() bool {
		x1, y1, ok1 := s1.Cursor()
		x2, y2, ok2 := s2.Cursor()
		return ok1 && ok2 && x1 == 1 && y1 == 2 && x2 == 3 && y2 == 4
	})
}

// Opening and closing streams leaves no file descriptor behind.
func TestNoFDLeak(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducer(t, 12, 8, "")
	pix := pattern(12, 8, 0, 255)
	p.Push(t, pix, 0, 0)
	cycle := func() {
		s := open(t, d, p.Node())
		var f codec.Frame
		waitFrame(t, s, &f, 12, 8, pix)
		s.Close()
	}
	cycle() // the first use loads PipeWire's plugins for good
	// The producer (in this process) replaces its buffers, memfds, a little after each new link, so a count
	// may include some of the old ones: it must not grow over many streams.
	const cycles = 10
	before := countFDs(t)
	was := listFDs(t)
	for range cycles {
		cycle()
	}
	end := time.Now().Add(deadline)
	for {
		n := countFDs(t)
		if n <= before {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d descriptors open after %d streams, %d before\nbefore: %v\nafter:  %v", n, cycles,
				before, was, listFDs(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listFDs describes the open file descriptors.
func listFDs(t *testing.T) []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"="+target)
	}
	return out
}

// countFDs returns how many file descriptors the process has open.
func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// A producer offering only formats the stream cannot read gives an error rather than endless timeouts.
func TestNoCommonFormat(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducerWith(t, pwtest.ProducerOptions{Width: 16, Height: 16, Format: "NV12"})
	s := open(t, d, p.Node())
	var f codec.Frame
	var err error
	waitFor(t, "an error", func() bool {
		err = s.Frame(&f, 100*time.Millisecond)
		return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	})
	if errors.Is(err, ErrStreamEnded) || errors.Is(err, ErrClosed) {
		t.Fatalf("Frame = %v, want an error about the link", err)
	}
	t.Logf("Frame: %v", err)
}

// Buffers whose files are smaller than they claim are never read (that would be SIGBUS); when no buffer can
// be read, Frame says so instead of timing out.
func TestUnreadableBuffers(t *testing.T) {
	d := pwtest.StartDaemon(t)
	p := d.NewProducerWith(t, pwtest.ProducerOptions{Width: 64, Height: 64, DmaBuf: true, ShortFiles: true})
	s := open(t, d, p.Node())
	var f codec.Frame
	var err error
	waitFor(t, "an error", func() bool {
		err = s.Frame(&f, 100*time.Millisecond)
		return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	})
	if errors.Is(err, ErrStreamEnded) || errors.Is(err, ErrClosed) {
		t.Fatalf("Frame = %v, want an error about the buffers", err)
	}
	t.Logf("Frame: %v", err)
}
