//go:build linux || freebsd || openbsd || netbsd

package hotkey

import (
	"errors"
	"image"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

func pressed(h *Hotkey, within time.Duration) bool {
	select {
	case <-h.Pressed():
		return true
	case <-time.After(within):
		return false
	}
}

// Ctrl+Shift+T held system-wide reaches Tandem while another window has the keyboard, and that window never
// sees the T; once released, the same keys reach the window again.
func TestCtrlShiftTReachesTandemAloneWhileHeld(t *testing.T) {
	srv := xvfb.ForTest(t, 640, 480)
	t.Setenv("DISPLAY", srv.Display)
	other := xvfb.NewClient(t, srv.Display, image.Rect(0, 0, 640, 480), 0xffffff) // has the keyboard focus
	kb := xvfb.NewKeyboard(t, srv.Display)
	const ctrl, shift = xvfb.KeysymControlL, xvfb.KeysymShiftL

	h, err := Grab(Ctrl|Shift, 't')
	if err != nil {
		t.Fatal(err)
	}
	other.Drain()
	kb.Press(t, ctrl, shift, 't')
	if !pressed(h, 5*time.Second) {
		t.Fatal("Ctrl+Shift+T did not reach the hotkey")
	}
	if typed := other.Typed(t, other.KeyPresses(300*time.Millisecond)); typed != "" {
		t.Fatalf("the window in focus got %q as well", typed)
	}
	// T alone, and Ctrl+T, are not the combination: they go to the window.
	kb.Press(t, 't')
	kb.Press(t, ctrl, 't')
	if pressed(h, 300*time.Millisecond) {
		t.Fatal("another combination fired the hotkey")
	}
	if typed := other.Typed(t, other.KeyPresses(300*time.Millisecond)); typed != "tt" {
		t.Fatalf("the window got %q, want the two t", typed)
	}

	// Another program (here a second grab) cannot take the combination while it is held.
	if h2, err := Grab(Ctrl|Shift, 't'); !errors.Is(err, ErrTaken) {
		if h2 != nil {
			h2.Close()
		}
		t.Fatalf("a second grab: %v, want ErrTaken", err)
	}

	h.Close()
	h.Close() // twice is harmless
	kb.Press(t, ctrl, shift, 't')
	if typed := other.Typed(t, other.KeyPresses(300*time.Millisecond)); typed != "T" {
		t.Fatalf("after Close the window got %q, want T", typed)
	}
}

func TestGrabWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := Grab(Ctrl|Shift, 't'); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Grab without a display: %v", err)
	}
	if _, err := Grab(Ctrl, '1'); err == nil {
		t.Fatal("a digit was accepted")
	}
}
