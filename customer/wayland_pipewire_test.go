//go:build linux && cgo && !nopipewire

package main

import (
	"bytes"
	"image"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture/pipewire/pwtest"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/wayland"
)

// TestWaylandSessionEndToEnd: a customer on a Wayland desktop joins; the system's window (the stand-in portal)
// is allowed; the technician sees the monitor's PipeWire frames bit for bit, and once the customer grants
// control the technician's typing and clicks reach the portal as keysyms and stream coordinates. The next
// session restores the choice without the system's window, or the toolbar's explanation.
func TestWaylandSessionEndToEnd(t *testing.T) {
	daemon := pwtest.StartDaemon(t)
	prod := daemon.NewProducer(t, 320, 200, "BGRx")
	p := portaltest.Start(t, portaltest.Config{
		Streams: []portal.Stream{{Node: prod.Node(), Bounds: image.Rect(0, 0, 320, 200)}},
		Remote:  func() (int, error) { return daemon.Dial(t), nil },
	})
	pix := make([]byte, 320*200*4)
	for i := range pix {
		pix[i] = byte(i * 31 / 7)
		if i%4 == 3 {
			pix[i] = 255
		}
	}
	prod.Push(t, pix, 5, 6)
	tokens := wayland.TokenFile(filepath.Join(t.TempDir(), "portal-token"))

	s := joinOnWayland(t, "en", technician(t), tokens, "customer.portal_continue")
	if len(s.notices.Objects) != 0 {
		t.Fatalf("notices after the system allowed everything: %q", labels(s.notices))
	}
	seen := false
	for !seen {
		waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
		s.h.Screen(func(f codec.Frame) { seen = f.Width == 320 && f.Height == 200 && bytes.Equal(f.Pix, pix) })
	}

	if s.frame.started() || s.frame.shown.Load() {
		t.Fatal("an X11 frame around the monitor on Wayland, where the system shows its own indicator")
	}
	s.grantControl(t)
	p.ResetInput()
	for _, m := range []protocol.Message{
		&protocol.MouseMove{X: 100, Y: 50},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true},
		&protocol.MouseButton{Button: protocol.ButtonLeft},
		&protocol.Text{Text: "é@"},
	} {
		if err := s.h.SendInput(m); err != nil {
			t.Fatal(err)
		}
	}
	got := p.WaitInput(t, 7, 20*time.Second)
	want := []portaltest.Event{
		{Method: "NotifyPointerMotionAbsolute", Stream: prod.Node(), X: 100, Y: 50},
		{Method: "NotifyPointerButton", Button: 0x110, Pressed: true},
		{Method: "NotifyPointerButton", Button: 0x110},
		{Method: "NotifyKeyboardKeysym", Keysym: 0xe9, Pressed: true},
		{Method: "NotifyKeyboardKeysym", Keysym: 0xe9},
		{Method: "NotifyKeyboardKeysym", Keysym: 0x40, Pressed: true},
		{Method: "NotifyKeyboardKeysym", Keysym: 0x40},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the portal received %v, want %v", got, want)
	}
	if p.Dialogs() != 1 || tokens.Load() == "" {
		t.Fatalf("%d system windows, token %q", p.Dialogs(), tokens.Load())
	}

	// A second run of the program: the stored token restores the choice, with neither window.
	s.shutdown()
	waitFor(t, "the first run's portal session to close", func() bool { return p.Sessions() == 0 })
	last := prod.Sent()
	waitFor(t, "the first run's stream to let go of the monitor", func() bool {
		time.Sleep(100 * time.Millisecond) // the producer sends every 10 ms while a stream reads it
		n := prod.Sent()
		defer func() { last = n }()
		return n == last
	})
	again := joinOnWayland(t, "en", technician(t), tokens, "")
	if p.Dialogs() != 1 || again.opts.screen == nil {
		t.Fatalf("the second session: %d system windows, screen %v", p.Dialogs(), again.opts.screen)
	}
}
