package main

import (
	"context"
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
)

// While Alice controls the computer, Bob presses Ctrl+Shift+T on his keyboard while another program has the
// keyboard: control comes back to him. Alice pressing the same keys in her viewer reaches nothing: the shortcut
// is Bob's, and her keys are not played.
func TestTakeBackFromAnywhere(t *testing.T) {
	srv := xvfb.ForTest(t, 800, 600)
	t.Setenv("DISPLAY", srv.Display) // the shortcut is held on this display
	s := joinLive(t, "fr", options{})
	s.grantControl(t)

	// Alice's Ctrl+Shift+T is not played; her other keys are.
	for _, k := range []protocol.Key{
		{Name: "t", Down: true, Modifiers: protocol.ModControl | protocol.ModShift},
		{Name: "t", Down: false, Modifiers: protocol.ModControl | protocol.ModShift},
		{Name: "t", Down: true, Modifiers: protocol.ModControl},
	} {
		if err := s.h.SendInput(&k); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got, err := s.rec.Wait(ctx, 1)
	if err != nil || len(got) != 1 || got[0] != (input.Event{Kind: input.KindKeyDown, Key: "t", Mods: input.ModCtrl}) {
		t.Fatalf("played %v (%v); want only Ctrl+T", got, err)
	}
	if !s.controlled {
		t.Fatal("Alice's keys took control away from her")
	}

	// Another program has the keyboard; Bob presses the keys.
	xvfb.NewClient(t, srv.Display, image.Rect(0, 0, 800, 600), 0xffffff)
	heldWithin(t, &s.takeBackKey, true) // the grab is done off the UI goroutine
	xvfb.NewKeyboard(t, srv.Display).Press(t, xvfb.KeysymControlL, xvfb.KeysymShiftL, 't')
	s.loop.Until(t, 10*time.Second, "control to come back", func() bool { return !s.controlled })
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
	if want := lang.L("customer.control_taken_back", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	heldWithin(t, &s.takeBackKey, false)
}

// heldWithin waits until the shortcut is held (or let go), as its goroutine says.
func heldWithin(t *testing.T, k *takeBackKey, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); k.held.Load() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the shortcut is not held=%v after 10 s", want)
		}
	}
}

// While Alice views Bob's screen, a thin yellow frame runs along the shared monitor's edges (on X11); it goes
// when sharing stops.
func TestFrameWhileViewed(t *testing.T) {
	srv := xvfb.ForTest(t, 800, 600)
	t.Setenv("DISPLAY", srv.Display)
	s := joinLive(t, "en", options{}) // the pattern source: one monitor at (0,0)-(320,240)
	shownWithin(t, &s.frame, true)
	if got := xvfb.Pixel(t, srv.Display, 319, 120); got != frameColour {
		t.Fatalf("the monitor's right edge is %06x, want the frame", got)
	}
	test.Tap(s.stopBtn)
	s.untilIndicator(t, lang.L("customer.not_shared"))
	shownWithin(t, &s.frame, false)
}

// shownWithin waits until the frame is on screen (or gone), as its goroutine says.
func shownWithin(t *testing.T, f *screenFrame, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.shown.Load() != want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the frame is not shown=%v after 10 s", want)
		}
	}
}
