//go:build linux && cgo

package input

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

// Where the test window is on the screen.
const winX, winY, winW, winH = 100, 120, 400, 300

func TestRobotgoUnderXvfb(t *testing.T) {
	srv := xvfb.ForTest(t, 1024, 768)
	t.Setenv("DISPLAY", srv.Display) // robotgo opens $DISPLAY at its first call
	x := xvfb.NewClient(t, srv.Display, image.Rect(winX, winY, winX+winW, winY+winH), 0xffffff)
	inj, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer inj.Close() // before the server stops (Cleanup runs after)

	t.Run("move", func(t *testing.T) {
		for _, p := range [][2]int{{250, 180}, {0, 0}, {1023, 767}, {winX + 10, winY + 20}} {
			if err := inj.Move(p[0], p[1]); err != nil {
				t.Fatal(err)
			}
			q, err := xproto.QueryPointer(x.Conn(), x.Root()).Reply()
			if err != nil {
				t.Fatal(err)
			}
			if int(q.RootX) != p[0] || int(q.RootY) != p[1] {
				t.Errorf("pointer at %d,%d after Move(%d, %d)", q.RootX, q.RootY, p[0], p[1])
			}
		}
	})

	t.Run("buttons", func(t *testing.T) {
		px, py := winX+150, winY+80
		if err := inj.Move(px, py); err != nil {
			t.Fatal(err)
		}
		x.Drain()
		for _, tt := range []struct {
			b      Button
			detail xproto.Button
		}{{ButtonLeft, 1}, {ButtonMiddle, 2}, {ButtonRight, 3}} {
			if err := inj.ButtonDown(tt.b); err != nil {
				t.Fatal(err)
			}
			if err := inj.ButtonUp(tt.b); err != nil {
				t.Fatal(err)
			}
			ev := x.ButtonPress(t)
			if ev.Detail != tt.detail || int(ev.EventX) != px-winX || int(ev.EventY) != py-winY || ev.Event != x.Window() {
				t.Errorf("%v: press of button %d at %d,%d in window %d; want button %d at %d,%d in %d",
					tt.b, ev.Detail, ev.EventX, ev.EventY, ev.Event, tt.detail, px-winX, py-winY, x.Window())
			}
			x.Next(t, "ButtonRelease", func(ev xgb.Event) bool { _, ok := ev.(xproto.ButtonReleaseEvent); return ok })
		}
		if err := inj.DoubleClick(ButtonLeft); err != nil {
			t.Fatal(err)
		}
		a, b := x.ButtonPress(t), x.ButtonPress(t)
		if a.Detail != 1 || b.Detail != 1 || b.Time-a.Time > 400 {
			t.Errorf("double click: buttons %d, %d, %d ms apart", a.Detail, b.Detail, b.Time-a.Time)
		}
	})

	t.Run("scroll", func(t *testing.T) {
		x.Drain()
		for _, tt := range []struct {
			dx, dy  int
			buttons []xproto.Button
		}{{0, 2, []xproto.Button{5, 5}}, {0, -1, []xproto.Button{4}}, {1, 0, []xproto.Button{7}}, {-1, 0, []xproto.Button{6}}} {
			if err := inj.Scroll(tt.dx, tt.dy); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.buttons {
				if ev := x.ButtonPress(t); ev.Detail != want {
					t.Errorf("Scroll(%d, %d): button %d, want %d", tt.dx, tt.dy, ev.Detail, want)
				}
			}
		}
	})

	t.Run("keys", func(t *testing.T) {
		x.Drain()
		if err := inj.KeyDown("a", ModCtrl); err != nil {
			t.Fatal(err)
		}
		if err := inj.KeyUp("a", ModCtrl); err != nil {
			t.Fatal(err)
		}
		if err := inj.KeyDown("enter", 0); err != nil {
			t.Fatal(err)
		}
		if err := inj.KeyUp("enter", 0); err != nil {
			t.Fatal(err)
		}
		presses := x.KeyPresses(300 * time.Millisecond)
		var got []string
		for _, k := range presses {
			got = append(got, fmt.Sprintf("%#x/%d", uint32(x.Keysym(t, k)), k.State&xproto.ModMaskControl))
		}
		// Control_L, then "a" with Control held, then Return.
		if want := []string{"0xffe3/0", "0x61/4", "0xff0d/0"}; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("key presses (keysym/control state) %v, want %v", got, want)
		}
		if err := inj.KeyDown("nope", 0); err == nil {
			t.Error("unknown key accepted")
		}
	})

	t.Run("type ascii", func(t *testing.T) {
		x.Drain()
		const text = "Hello, World! 42 a+b=c\tx\n"
		if err := inj.Type(text); err != nil {
			t.Fatal(err)
		}
		if got := x.Typed(t, x.KeyPresses(500*time.Millisecond)); got != text {
			t.Errorf("typed %q, want %q", got, text)
		}
	})

	t.Run("type accented", func(t *testing.T) {
		x.Drain()
		const text = "é"
		if err := inj.Type(text); err != nil {
			t.Fatal(err)
		}
		presses := x.KeyPresses(500 * time.Millisecond)
		got := x.Typed(t, presses)
		t.Logf("Type(%q): %d key presses, read back as %q", text, len(presses), got)
		if got != text {
			t.Errorf("typed %q, want %q", got, text)
		}
		// KeyDown of a character with no key of its own types it.
		x.Drain()
		if err := inj.KeyDown("ç", 0); err != nil {
			t.Fatal(err)
		}
		if err := inj.KeyUp("ç", 0); err != nil {
			t.Fatal(err)
		}
		if got := x.Typed(t, x.KeyPresses(500*time.Millisecond)); got != "ç" {
			t.Errorf("KeyDown(ç) typed %q", got)
		}
	})

	t.Run("close", func(t *testing.T) {
		inj2, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := inj2.Close(); err != nil {
			t.Fatal(err)
		}
		if err := inj2.Close(); err != nil {
			t.Fatal(err)
		}
		if err := inj2.Move(1, 1); err == nil {
			t.Error("Move after Close succeeded")
		}
		if err := inj.Move(5, 5); err != nil { // the first injector reopens robotgo's display
			t.Fatal(err)
		}
	})
}

func TestNewWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := New(); err == nil {
		t.Fatal("New succeeded without DISPLAY")
	}
	t.Setenv("DISPLAY", ":9999")
	if _, err := New(); err == nil {
		t.Fatal("New succeeded with a display that does not exist")
	}
}
