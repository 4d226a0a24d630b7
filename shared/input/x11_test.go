//go:build linux && cgo

package input

import (
	"fmt"
	"io"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

func init() { xgb.Logger = log.New(io.Discard, "", 0) } // no "Could not get authority info" per connection

// xclient is the test's own X client: a window that selects button and key events, and the events it got.
type xclient struct {
	c      *xgb.Conn
	root   xproto.Window
	win    xproto.Window
	events chan xgb.Event
	done   chan struct{}
}

// Where the test window is on the screen.
const winX, winY, winW, winH = 100, 120, 400, 300

func newXClient(t *testing.T, display string) *xclient {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	x := &xclient{c: c, events: make(chan xgb.Event, 1024), done: make(chan struct{})}
	// The reader ends when the connection closes; Cleanup closes it and waits.
	go func() {
		defer close(x.done)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if ev != nil {
				select {
				case x.events <- ev:
				default: // the test is not reading: drop
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-x.done })

	screen := xproto.Setup(c).DefaultScreen(c)
	x.root = screen.Root
	x.win, _ = xproto.NewWindowId(c)
	mask := uint32(xproto.EventMaskButtonPress | xproto.EventMaskButtonRelease | xproto.EventMaskKeyPress | xproto.EventMaskKeyRelease)
	err = xproto.CreateWindowChecked(c, 0, x.win, x.root, winX, winY, winW, winH, 0, xproto.WindowClassInputOutput, 0,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask, []uint32{0xffffff, 1, mask}).Check()
	if err != nil {
		t.Fatalf("CreateWindow: %v", err)
	}
	if err := xproto.MapWindowChecked(c, x.win).Check(); err != nil {
		t.Fatalf("MapWindow: %v", err)
	}
	if err := xproto.SetInputFocusChecked(c, xproto.InputFocusPointerRoot, x.win, xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatalf("SetInputFocus: %v", err)
	}
	return x
}

// drain forgets the events received so far.
func (x *xclient) drain() {
	for {
		select {
		case <-x.events:
		default:
			return
		}
	}
}

// next returns the next event that keep accepts, or fails the test after a few seconds.
func (x *xclient) next(t *testing.T, what string, keep func(xgb.Event) bool) xgb.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-x.events:
			if keep(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s within 5 s", what)
			return nil
		}
	}
}

func (x *xclient) buttonPress(t *testing.T) xproto.ButtonPressEvent {
	t.Helper()
	return x.next(t, "ButtonPress", func(ev xgb.Event) bool { _, ok := ev.(xproto.ButtonPressEvent); return ok }).(xproto.ButtonPressEvent)
}

// keyPresses collects the key presses that arrive until none comes for quiet.
func (x *xclient) keyPresses(quiet time.Duration) []xproto.KeyPressEvent {
	var out []xproto.KeyPressEvent
	for {
		select {
		case ev := <-x.events:
			if k, ok := ev.(xproto.KeyPressEvent); ok {
				out = append(out, k)
			}
		case <-time.After(quiet):
			return out
		}
	}
}

// keysym returns the keysym a key press stands for: the keycode's first or (with Shift) second keysym in
// the keyboard map as it is now.
func (x *xclient) keysym(t *testing.T, k xproto.KeyPressEvent) xproto.Keysym {
	t.Helper()
	m, err := xproto.GetKeyboardMapping(x.c, k.Detail, 1).Reply()
	if err != nil {
		t.Fatalf("GetKeyboardMapping: %v", err)
	}
	if len(m.Keysyms) == 0 {
		return 0
	}
	if k.State&xproto.ModMaskShift != 0 && len(m.Keysyms) > 1 && m.Keysyms[1] != 0 {
		return m.Keysyms[1]
	}
	return m.Keysyms[0]
}

// isModifierKeysym reports whether ks is Shift, Control, Alt, Super or Meta (left or right).
func isModifierKeysym(ks xproto.Keysym) bool { return ks >= 0xffe1 && ks <= 0xffee }

// typed turns key presses into text (keysyms below 0x100 are Latin-1 characters), skipping modifiers.
func (x *xclient) typed(t *testing.T, presses []xproto.KeyPressEvent) string {
	var b strings.Builder
	for _, k := range presses {
		ks := x.keysym(t, k)
		switch {
		case isModifierKeysym(ks):
		case ks < 0x100:
			b.WriteRune(rune(ks))
		case ks >= 0x1000100 && ks <= 0x110ffff:
			b.WriteRune(rune(ks - 0x1000000))
		case ks == 0xff0d:
			b.WriteString("\n")
		case ks == 0xff09:
			b.WriteString("\t")
		default:
			fmt.Fprintf(&b, "<%#x>", uint32(ks))
		}
	}
	return b.String()
}

func TestRobotgoUnderXvfb(t *testing.T) {
	srv := xvfb.ForTest(t, 1024, 768)
	t.Setenv("DISPLAY", srv.Display) // robotgo opens $DISPLAY at its first call
	x := newXClient(t, srv.Display)
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
			q, err := xproto.QueryPointer(x.c, x.root).Reply()
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
		x.drain()
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
			ev := x.buttonPress(t)
			if ev.Detail != tt.detail || int(ev.EventX) != px-winX || int(ev.EventY) != py-winY || ev.Event != x.win {
				t.Errorf("%v: press of button %d at %d,%d in window %d; want button %d at %d,%d in %d",
					tt.b, ev.Detail, ev.EventX, ev.EventY, ev.Event, tt.detail, px-winX, py-winY, x.win)
			}
			x.next(t, "ButtonRelease", func(ev xgb.Event) bool { _, ok := ev.(xproto.ButtonReleaseEvent); return ok })
		}
		if err := inj.DoubleClick(ButtonLeft); err != nil {
			t.Fatal(err)
		}
		a, b := x.buttonPress(t), x.buttonPress(t)
		if a.Detail != 1 || b.Detail != 1 || b.Time-a.Time > 400 {
			t.Errorf("double click: buttons %d, %d, %d ms apart", a.Detail, b.Detail, b.Time-a.Time)
		}
	})

	t.Run("scroll", func(t *testing.T) {
		x.drain()
		for _, tt := range []struct {
			dx, dy  int
			buttons []xproto.Button
		}{{0, 2, []xproto.Button{5, 5}}, {0, -1, []xproto.Button{4}}, {1, 0, []xproto.Button{7}}, {-1, 0, []xproto.Button{6}}} {
			if err := inj.Scroll(tt.dx, tt.dy); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.buttons {
				if ev := x.buttonPress(t); ev.Detail != want {
					t.Errorf("Scroll(%d, %d): button %d, want %d", tt.dx, tt.dy, ev.Detail, want)
				}
			}
		}
	})

	t.Run("keys", func(t *testing.T) {
		x.drain()
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
		presses := x.keyPresses(300 * time.Millisecond)
		var got []string
		for _, k := range presses {
			got = append(got, fmt.Sprintf("%#x/%d", uint32(x.keysym(t, k)), k.State&xproto.ModMaskControl))
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
		x.drain()
		const text = "Hello, World! 42 a+b=c\tx\n"
		if err := inj.Type(text); err != nil {
			t.Fatal(err)
		}
		if got := x.typed(t, x.keyPresses(500*time.Millisecond)); got != text {
			t.Errorf("typed %q, want %q", got, text)
		}
	})

	t.Run("type accented", func(t *testing.T) {
		x.drain()
		const text = "é"
		if err := inj.Type(text); err != nil {
			t.Fatal(err)
		}
		presses := x.keyPresses(500 * time.Millisecond)
		got := x.typed(t, presses)
		t.Logf("Type(%q): %d key presses, read back as %q", text, len(presses), got)
		if got != text {
			t.Errorf("typed %q, want %q", got, text)
		}
		// KeyDown of a character with no key of its own types it.
		x.drain()
		if err := inj.KeyDown("ç", 0); err != nil {
			t.Fatal(err)
		}
		if err := inj.KeyUp("ç", 0); err != nil {
			t.Fatal(err)
		}
		if got := x.typed(t, x.keyPresses(500*time.Millisecond)); got != "ç" {
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
