//go:build linux && cgo && !nopipewire

package main

import (
	"bytes"
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/capture/pipewire/pwtest"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/session"
)

// TestShareMyScreenOnWayland: on a Wayland desktop, Share my screen goes through the desktop portal (a
// screen cast: the system asks only about the screen) and a PipeWire stream; the customer sees the
// technician's monitor bit for bit. The next share restores the choice without the system's window.
func TestShareMyScreenOnWayland(t *testing.T) {
	t.Setenv("XDG_SESSION_TYPE", "wayland")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	daemon := pwtest.StartDaemon(t)
	prod := daemon.NewProducer(t, 200, 100, "BGRx")
	p := portaltest.Start(t, portaltest.Config{
		Streams: []portal.Stream{{Node: prod.Node(), Bounds: image.Rect(0, 0, 200, 100)}},
		Remote:  func() (int, error) { return daemon.Dial(t), nil },
	})
	pix := make([]byte, 200*100*4)
	for i := range pix {
		pix[i] = byte(i*13/5) | 1
		if i%4 == 3 {
			pix[i] = 255
		}
	}
	prod.Push(t, pix, -1, -1)

	h := testHome(t, "en")
	h.opts.capture = ownScreen
	c := joinSharing(t, h)
	v := h.cur().view
	for round := range 2 {
		test.Tap(v.shareBtn)
		waitCustomer(t, c, func(e session.TechnicianScreenChanged) bool { return e.On })
		deadline := time.Now().Add(20 * time.Second)
		for seen := false; !seen; {
			if time.Now().After(deadline) {
				t.Fatal("the customer never saw the technician's monitor as PipeWire gave it")
			}
			c.g.TechnicianScreen(session.TechnicianID, func(f codec.Frame) { seen = bytes.Equal(f.Pix, pix) })
			time.Sleep(10 * time.Millisecond)
		}
		if p.Dialogs() != 1 {
			t.Fatalf("share %d: the system's window showed %d times, want once", round+1, p.Dialogs())
		}
		h.loop.Until(t, 20*time.Second, "Stop sharing my screen", func() bool {
			return v.shareBtn.Text == lang.L("viewer.stop_share_screen")
		})
		test.Tap(v.shareBtn)
		waitCustomer(t, c, func(e session.TechnicianScreenChanged) bool { return !e.On })
		h.loop.Until(t, 20*time.Second, "the portal session to end", func() bool { return p.Sessions() == 0 })
	}
}

// TestShareMyScreenOnWaylandRefused: the technician cancels the system's window: the viewer says why.
func TestShareMyScreenOnWaylandRefused(t *testing.T) {
	t.Setenv("XDG_SESSION_TYPE", "wayland")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	portaltest.Start(t, portaltest.Config{Streams: []portal.Stream{{Node: 9}}}).Refuse(true)
	h := testHome(t, "fr")
	h.opts.capture = ownScreen
	joinSharing(t, h)
	v := h.cur().view
	test.Tap(v.shareBtn)
	want := named("viewer.state.viewing") + " " + lang.L("viewer.note.share_failed",
		map[string]any{"Reason": lang.L("viewer.why_share_refused")})
	h.loop.Until(t, 20*time.Second, "the viewer to say why", func() bool { return v.status.Text == want && !v.shareBtn.Disabled() })
}
