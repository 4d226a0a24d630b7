package xvfb

import (
	"fmt"
	"image"
	"io"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func init() { xgb.Logger = log.New(io.Discard, "", 0) } // no "Could not get authority info" per connection

// Client is a test's own X client: a window that selects button and key events, and the events it got.
type Client struct {
	c      *xgb.Conn
	root   xproto.Window
	win    xproto.Window
	events chan xgb.Event
	done   chan struct{}
}

// NewClient maps an override-redirect window with the given place on the screen and background pixel
// (0xRRGGBB), gives it the keyboard focus, and collects its button and key events until the test ends.
func NewClient(t testing.TB, display string, r image.Rectangle, background uint32) *Client {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	x := &Client{c: c, events: make(chan xgb.Event, 1024), done: make(chan struct{})}
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
	err = xproto.CreateWindowChecked(c, 0, x.win, x.root, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0, xproto.WindowClassInputOutput, 0,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask, []uint32{background, 1, mask}).Check()
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

// Drain forgets the events received so far.
func (x *Client) Drain() {
	for {
		select {
		case <-x.events:
		default:
			return
		}
	}
}

// Next returns the next event that keep accepts, or fails the test after a few seconds.
func (x *Client) Next(t testing.TB, what string, keep func(xgb.Event) bool) xgb.Event {
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

// ButtonPress returns the next button press.
func (x *Client) ButtonPress(t testing.TB) xproto.ButtonPressEvent {
	t.Helper()
	return x.Next(t, "ButtonPress", func(ev xgb.Event) bool { _, ok := ev.(xproto.ButtonPressEvent); return ok }).(xproto.ButtonPressEvent)
}

// KeyPresses collects the key presses that arrive until none comes for quiet.
func (x *Client) KeyPresses(quiet time.Duration) []xproto.KeyPressEvent {
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

// Keysym returns the keysym a key press stands for: the keycode's first or (with Shift) second keysym in
// the keyboard map as it is now.
func (x *Client) Keysym(t testing.TB, k xproto.KeyPressEvent) xproto.Keysym {
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

// Typed turns key presses into text (keysyms below 0x100 are Latin-1 characters), skipping modifiers.
func (x *Client) Typed(t testing.TB, presses []xproto.KeyPressEvent) string {
	var b strings.Builder
	for _, k := range presses {
		ks := x.Keysym(t, k)
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

// Conn returns the client's X connection.
func (x *Client) Conn() *xgb.Conn { return x.c }

// Root returns the screen's root window.
func (x *Client) Root() xproto.Window { return x.root }

// Window returns the client's window.
func (x *Client) Window() xproto.Window { return x.win }
