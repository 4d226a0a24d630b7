//go:build linux

package screenframe

import (
	"image"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

// The frame is drawn inside the monitor's edges, above a window that fills the screen; a click on it reaches
// that window; Close takes it away.
func TestFrameAroundTheScreen(t *testing.T) {
	srv := xvfb.ForTest(t, 640, 480)
	t.Setenv("DISPLAY", srv.Display)
	under := xvfb.NewClient(t, srv.Display, image.Rect(0, 0, 640, 480), 0xffffff)
	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	f, err := Show(image.Rect(0, 0, 640, 480), 0xffcc00, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{0, 0}, {639, 479}, {3, 240}, {636, 100}, {320, 2}, {320, 477}} {
		if got := xvfb.Pixel(t, srv.Display, p.X, p.Y); got != 0xffcc00 {
			t.Errorf("at %v: %06x, want the frame's ffcc00", p, got)
		}
	}
	for _, p := range []image.Point{{4, 240}, {320, 240}, {635, 4}} {
		if got := xvfb.Pixel(t, srv.Display, p.X, p.Y); got != 0xffffff {
			t.Errorf("at %v: %06x, want the window under the frame", p, got)
		}
	}

	// A click on the frame goes through to the window under it.
	if err := xtest.Init(c); err != nil {
		t.Fatal(err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	under.Drain()
	for _, ev := range []struct {
		kind   byte
		detail byte
	}{{xproto.MotionNotify, 0}, {xproto.ButtonPress, 1}, {xproto.ButtonRelease, 1}} {
		if err := xtest.FakeInputChecked(c, ev.kind, ev.detail, 0, root, 1, 1, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
	if p := under.ButtonPress(t); p.EventX != 1 || p.EventY != 1 {
		t.Fatalf("the window under the frame got a press at %d,%d", p.EventX, p.EventY)
	}

	f.Close()
	f.Close()
	if got := xvfb.Pixel(t, srv.Display, 0, 0); got != 0xffffff {
		t.Fatalf("after Close: %06x at the corner", got)
	}
}

func TestFrameNeedsRoom(t *testing.T) {
	if _, err := Show(image.Rect(0, 0, 6, 100), 0xffcc00, 4); err == nil {
		t.Fatal("a frame wider than the rectangle")
	}
}
