//go:build linux && cgo

package session

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/capture/xvfb"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// TestRealScreenAndInputUnderXvfb runs the live session with the real back ends on a real X server: the
// customer's engine captures the display (X11, MIT-SHM), the technician's copy equals a screenshot of it, and
// the technician's click and typed text land in a window on that display through robotgo.
func TestRealScreenAndInputUnderXvfb(t *testing.T) {
	srv := xvfb.ForTest(t, 640, 480)
	t.Setenv("DISPLAY", srv.Display) // robotgo opens $DISPLAY at its first call
	win := image.Rect(100, 120, 300, 220)
	x := xvfb.NewClient(t, srv.Display, win, 0x3366cc)

	src, err := capture.NewX11(capture.X11Options{Display: srv.Display})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	inj, err := input.New()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close()

	h := newTestHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: src, Input: inj})
	if err != nil {
		t.Fatal(err)
	}
	defer g.End()
	waitFor(t, h.Events(), func(ScreenUpdated) bool { return true })

	// The technician's picture is the screen, bit for bit: compare with a screenshot taken apart.
	shot, err := capture.NewX11(capture.X11Options{Display: srv.Display, NoSHM: true})
	if err != nil {
		t.Fatal(err)
	}
	defer shot.Close()
	var want codec.Frame
	if err := shot.Capture(0, &want); err != nil {
		t.Fatal(err)
	}
	h.Screen(func(f codec.Frame) {
		if !f.Equal(want) {
			t.Fatal("the technician's picture differs from a screenshot of the customer's display")
		}
		px := f.Pix[150*f.Stride+4*200:][:4] // inside the window: 0x3366cc as B, G, R
		if px[0] != 0xcc || px[1] != 0x66 || px[2] != 0x33 {
			t.Fatalf("window pixel %v", px)
		}
	})

	// With control granted, a click at frame (150, 170) lands in the window at (50, 50), and text is typed.
	if err := h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	ask := waitFor(t, g.Events(), func(ConsentRequested) bool { return true })
	if err := g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, h.Events(), func(e ControlChanged) bool { return e.Granted })
	x.Drain()
	for _, m := range []protocol.Message{
		&protocol.MouseMove{X: 150, Y: 170},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true},
		&protocol.MouseButton{Button: protocol.ButtonLeft},
	} {
		if err := h.SendInput(m); err != nil {
			t.Fatal(err)
		}
	}
	press := x.ButtonPress(t)
	if press.Detail != 1 || press.EventX != 50 || press.EventY != 50 || press.Event != x.Window() {
		t.Fatalf("button %d at %d,%d in window %d, want 1 at 50,50 in %d", press.Detail, press.EventX, press.EventY,
			press.Event, x.Window())
	}
	if err := xproto.SetInputFocusChecked(x.Conn(), xproto.InputFocusPointerRoot, x.Window(), xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
	if err := h.SendInput(&protocol.Text{Text: "Où? ok"}); err != nil {
		t.Fatal(err)
	}
	if got := x.Typed(t, x.KeyPresses(time.Second)); got != "Où? ok" {
		t.Fatalf("typed %q", got)
	}
}
