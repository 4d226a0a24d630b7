package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
)

// With -x11 the bench shares the real display; a display that shows nothing moving measures little. -animate
// plays a recording on the display meanwhile, from a child process (so that its CPU is not counted), in a
// full-screen window, at most -paint-fps frames per second.

func init() { xgb.Logger = log.New(io.Discard, "", 0) } // no "Could not get authority info" per connection

// startPainter starts this program again as the painter of rec on $DISPLAY; stop it with the returned func.
func startPainter(rec string, fps int) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-paint", rec, "-paint-fps", fmt.Sprint(fps)) //nolint:gosec // this program
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // the window is up and the first frames are on the screen
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}, nil
}

// paint plays rec on $DISPLAY until it is told to stop.
func paint(rec string, fps int) error {
	src, err := capture.OpenReplay(rec)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	c, err := xgb.NewConn()
	if err != nil {
		return fmt.Errorf("painter: %w", err)
	}
	defer c.Close()
	screen := xproto.Setup(c).DefaultScreen(c)
	if screen.RootDepth != 24 && screen.RootDepth != 32 {
		return fmt.Errorf("painter: root depth %d: only 24/32-bit TrueColor displays", screen.RootDepth)
	}
	var f codec.Frame
	if err := src.Capture(0, &f); err != nil {
		return err
	}
	w, h := min(f.Width, int(screen.WidthInPixels)), min(f.Height, int(screen.HeightInPixels))
	win, err := xproto.NewWindowId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, win, screen.Root, 0, 0, uint16(w), uint16(h), 0, //nolint:gosec // screen sizes
		xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwOverrideRedirect, []uint32{1}).Check(); err != nil {
		return fmt.Errorf("painter: %w", err)
	}
	if err := xproto.MapWindowChecked(c, win).Check(); err != nil {
		return fmt.Errorf("painter: %w", err)
	}
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(win), 0, nil).Check(); err != nil {
		return fmt.Errorf("painter: %w", err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	tick := time.NewTicker(time.Second / time.Duration(max(fps, 1)))
	defer tick.Stop()
	rows := max(1, (200<<10)/(4*w)) // strips of about 200 KiB: under the X request limit
	for {
		// BGRA in memory is what a 24/32-bit little-endian TrueColor ZPixmap holds (the A byte is ignored).
		for y := 0; y < h; y += rows {
			n := min(rows, h-y)
			strip := make([]byte, 0, 4*w*n)
			for r := y; r < y+n; r++ {
				strip = append(strip, f.Pix[r*f.Stride:][:4*w]...)
			}
			xproto.PutImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(win), gc, uint16(w), uint16(n), 0, int16(y), //nolint:gosec // screen sizes
				0, screen.RootDepth, strip)
		}
		if _, err := xproto.GetInputFocus(c).Reply(); err != nil { // one round trip: the frame is drawn
			return fmt.Errorf("painter: %w", err)
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		if err := src.Capture(0, &f); err != nil {
			return err
		}
	}
}
