//go:build linux

package capture

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
	"github.com/tandem-remote/tandem/shared/codec"
)

func init() {
	// Without an Xauthority file xgb logs two lines per connection (the screenshot library makes one per
	// capture): keep the test output readable.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// Colours of the test window (0xRRGGBB) and the rectangle drawn in it.
const (
	winColour  = 0x3366cc
	rectColour = 0xff8000
)

var (
	winRect  = image.Rect(600, 150, 900, 350) // on the screen
	fillRect = image.Rect(20, 30, 120, 90)    // in the window
)

// showWindow maps a window of winColour at winRect with a rectangle of rectColour at fillRect, and returns
// once the server has drawn them.
func showWindow(t *testing.T, c *xgb.Conn) {
	t.Helper()
	screen := xproto.Setup(c).DefaultScreen(c)
	wid, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	err = xproto.CreateWindowChecked(c, 0, wid, screen.Root, int16(winRect.Min.X), int16(winRect.Min.Y),
		uint16(winRect.Dx()), uint16(winRect.Dy()), 0, xproto.WindowClassInputOutput, 0,
		xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{winColour, 1}).Check()
	if err != nil {
		t.Fatalf("CreateWindow: %v", err)
	}
	if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
		t.Fatalf("MapWindow: %v", err)
	}
	gc, _ := xproto.NewGcontextId(c)
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(wid), xproto.GcForeground, []uint32{rectColour}).Check(); err != nil {
		t.Fatalf("CreateGC: %v", err)
	}
	r := xproto.Rectangle{X: int16(fillRect.Min.X), Y: int16(fillRect.Min.Y), Width: uint16(fillRect.Dx()), Height: uint16(fillRect.Dy())}
	if err := xproto.PolyFillRectangleChecked(c, xproto.Drawable(wid), gc, []xproto.Rectangle{r}).Check(); err != nil {
		t.Fatalf("PolyFillRectangle: %v", err)
	}
}

// wantPixel is what a capture of the whole screen should hold at screen point p, or false outside the window.
func wantPixel(p image.Point) ([4]byte, bool) {
	if !p.In(winRect) {
		return [4]byte{}, false
	}
	c := uint32(winColour)
	if p.Sub(winRect.Min).In(fillRect) {
		c = rectColour
	}
	return [4]byte{byte(c), byte(c >> 8), byte(c >> 16), 0xff}, true
}

// checkWindow checks every pixel of the window's rectangle in f, a capture of monitor bounds b.
func checkWindow(t *testing.T, f *codec.Frame, b image.Rectangle) {
	t.Helper()
	bad := 0
	r := winRect.Intersect(b)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			want, _ := wantPixel(image.Pt(x, y))
			got := f.Pix[(y-b.Min.Y)*f.Stride+4*(x-b.Min.X):][:4]
			if [4]byte(got) != want {
				if bad++; bad <= 5 {
					t.Errorf("pixel (%d,%d): % x, want % x", x, y, got, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pixels differ", bad, r.Dx()*r.Dy())
	}
	for i := 3; i < len(f.Pix); i += 4 {
		if f.Pix[i] != 0xff {
			t.Fatalf("alpha %d at byte %d", f.Pix[i], i)
		}
	}
}

// shmSegments counts the System V shared-memory segments this process created that still exist.
func shmSegments(t *testing.T) int {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		t.Skipf("cannot list segments: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	cols := strings.Fields(sc.Text())
	cpid := -1
	for i, c := range cols {
		if c == "cpid" {
			cpid = i
		}
	}
	n := 0
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if cpid >= 0 && cpid < len(fs) && fs[cpid] == strconv.Itoa(os.Getpid()) {
			n++
		}
	}
	return n
}

func TestX11Capture(t *testing.T) {
	srv := xvfb.ForTest(t, 1024, 768)
	t.Setenv("DISPLAY", srv.Display) // for the screenshot library and New
	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	showWindow(t, c)
	before := shmSegments(t)

	open := map[string]func() (Source, error){
		"x11-shm":      func() (Source, error) { return NewX11(X11Options{Display: srv.Display}) },
		"x11-getimage": func() (Source, error) { return NewX11(X11Options{Display: srv.Display, NoSHM: true}) },
		"screenshot":   func() (Source, error) { return NewScreenshot() },
		"new":          New,
	}
	wantName := map[string]string{"new": "x11-shm"}
	for _, name := range []string{"x11-shm", "x11-getimage", "screenshot", "new"} {
		t.Run(name, func(t *testing.T) {
			src, err := open[name]()
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if want := cmp(wantName[name], name); src.Name() != want {
				t.Errorf("Name = %q, want %q", src.Name(), want)
			}
			ms, err := src.Monitors()
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 1 || ms[0].Bounds != image.Rect(0, 0, 1024, 768) || !ms[0].Primary || ms[0].Index != 0 {
				t.Fatalf("Monitors = %+v", ms)
			}
			var f codec.Frame
			for i := 0; i < 3; i++ { // the buffer is reused
				if err := src.Capture(0, &f); err != nil {
					t.Fatal(err)
				}
				if f.Width != 1024 || f.Height != 768 || f.Stride != 4096 {
					t.Fatalf("frame %dx%d stride %d", f.Width, f.Height, f.Stride)
				}
				checkWindow(t, &f, ms[0].Bounds)
			}
			if err := src.Capture(1, &f); !errors.Is(err, ErrNoMonitor) {
				t.Errorf("Capture(1) = %v, want ErrNoMonitor", err)
			}
			if err := src.Close(); err != nil {
				t.Fatal(err)
			}
			if err := src.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if err := src.Capture(0, &f); !errors.Is(err, ErrClosed) {
				t.Errorf("Capture after Close = %v, want ErrClosed", err)
			}
		})
	}
	// The X11 sources released their shared memory (the server detaches asynchronously).
	deadline := time.Now().Add(3 * time.Second)
	for shmSegments(t) > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := shmSegments(t); n > before {
		t.Errorf("%d shared-memory segments left after Close (%d before)", n, before)
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestX11Monitors adds a RandR 1.5 monitor on the right half of the screen and captures it: its frame
// starts at the monitor's offset.
func TestX11Monitors(t *testing.T) {
	srv := xvfb.ForTest(t, 1024, 768)
	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	showWindow(t, c)
	if err := randr.Init(c); err != nil {
		t.Skipf("no RandR: %v", err)
	}
	if v, err := randr.QueryVersion(c, 1, 5).Reply(); err != nil || v.MinorVersion < 5 {
		t.Skipf("RandR < 1.5: %v %v", v, err)
	}
	name := "TANDEM-RIGHT"
	atom, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply()
	if err != nil {
		t.Fatal(err)
	}
	right := image.Rect(512, 100, 1024, 700)
	mi := randr.MonitorInfo{Name: atom.Atom, X: int16(right.Min.X), Y: int16(right.Min.Y),
		Width: uint16(right.Dx()), Height: uint16(right.Dy()), WidthInMillimeters: 100, HeightInMillimeters: 100}
	if err := randr.SetMonitorChecked(c, xproto.Setup(c).DefaultScreen(c).Root, mi).Check(); err != nil {
		t.Skipf("SetMonitor: %v", err)
	}

	for _, noSHM := range []bool{false, true} {
		t.Run(fmt.Sprintf("noSHM=%v", noSHM), func(t *testing.T) {
			src, err := NewX11(X11Options{Display: srv.Display, NoSHM: noSHM})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ms, err := src.Monitors()
			if err != nil {
				t.Fatal(err)
			}
			idx := -1
			for _, m := range ms {
				if m.Name == name {
					idx = m.Index
					if m.Bounds != right {
						t.Errorf("%s bounds %v, want %v", name, m.Bounds, right)
					}
				}
			}
			if idx < 0 {
				t.Fatalf("no monitor %s in %+v", name, ms)
			}
			var f codec.Frame
			if err := src.Capture(idx, &f); err != nil {
				t.Fatal(err)
			}
			if f.Width != right.Dx() || f.Height != right.Dy() {
				t.Fatalf("frame %dx%d, want %v", f.Width, f.Height, right.Size())
			}
			checkWindow(t, &f, right)
		})
	}
}

// BenchmarkCapture1080p measures one capture of a 1920×1080 screen with each X back end:
//
//	go test -run '^$' -bench Capture1080p ./shared/capture/
func BenchmarkCapture1080p(b *testing.B) {
	srv := xvfb.ForTest(b, 1920, 1080)
	b.Setenv("DISPLAY", srv.Display)
	open := []struct {
		name string
		open func() (Source, error)
	}{
		{"x11-shm", func() (Source, error) { return NewX11(X11Options{Display: srv.Display}) }},
		{"x11-getimage", func() (Source, error) { return NewX11(X11Options{Display: srv.Display, NoSHM: true}) }},
		{"screenshot", func() (Source, error) { return NewScreenshot() }},
	}
	for _, o := range open {
		b.Run(o.name, func(b *testing.B) {
			src, err := o.open()
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			var f codec.Frame
			if err := src.Capture(0, &f); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(f.Pix)))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := src.Capture(0, &f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/frame")
		})
	}
}
