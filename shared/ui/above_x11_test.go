//go:build linux

package ui

import (
	"image"
	"slices"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

// windowState reads the _NET_WM_STATE atoms of w.
func windowState(t *testing.T, c *xgb.Conn, w xproto.Window) []xproto.Atom {
	t.Helper()
	state, err := atom(c, "_NET_WM_STATE")
	if err != nil {
		t.Fatal(err)
	}
	r, err := xproto.GetProperty(c, false, w, state, xproto.AtomAtom, 0, 64).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return atomList(r)
}

func TestKeepAboveWithoutWindowManager(t *testing.T) {
	srv := xvfb.ForTest(t, 640, 480)
	x := xvfb.NewClient(t, srv.Display, image.Rect(10, 10, 110, 60), 0xffffff)
	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	above, err := atom(c, "_NET_WM_STATE_ABOVE")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		on   bool
		want int // how many times the state lists ABOVE
	}{{true, 1}, {true, 1}, {false, 0}, {false, 0}, {true, 1}} {
		if err := setAbove(c, x.Window(), step.on); err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, a := range windowState(t, c, x.Window()) {
			if a == above {
				got++
			}
		}
		if got != step.want {
			t.Fatalf("after setAbove(%v): ABOVE listed %d times, want %d", step.on, got, step.want)
		}
	}
}

func TestKeepAboveAsksTheWindowManager(t *testing.T) {
	srv := xvfb.ForTest(t, 640, 480)
	x := xvfb.NewClient(t, srv.Display, image.Rect(10, 10, 110, 60), 0xffffff)
	// A stand-in window manager: it announces itself as EWMH says and takes the root's redirected requests.
	wm, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer wm.Close()
	root := xproto.Setup(wm).DefaultScreen(wm).Root
	check, _ := atom(wm, "_NET_SUPPORTING_WM_CHECK")
	data := make([]byte, 4)
	xgb.Put32(data, uint32(x.Window()))
	if err := xproto.ChangePropertyChecked(wm, xproto.PropModeReplace, root, check, xproto.AtomWindow, 32, 1, data).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.ChangeWindowAttributesChecked(wm, root, xproto.CwEventMask,
		[]uint32{xproto.EventMaskSubstructureRedirect}).Check(); err != nil {
		t.Fatal(err)
	}
	events := make(chan xproto.ClientMessageEvent, 4)
	go func() {
		for {
			ev, err := wm.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if m, ok := ev.(xproto.ClientMessageEvent); ok {
				events <- m
			}
		}
	}()

	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	state, _ := atom(c, "_NET_WM_STATE")
	above, _ := atom(c, "_NET_WM_STATE_ABOVE")
	for _, on := range []bool{true, false} {
		if err := setAbove(c, x.Window(), on); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-events:
			want := []uint32{0, uint32(above), 0, 1, 0}
			if on {
				want[0] = 1
			}
			if m.Window != x.Window() || m.Type != state || m.Format != 32 || !slices.Equal(m.Data.Data32, want) {
				t.Fatalf("the window manager got %+v, want data %v for window %v", m, want, x.Window())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the window manager was not asked")
		}
		if s := windowState(t, c, x.Window()); slices.Contains(s, above) {
			t.Fatal("with a window manager the state is its to write, not the program's")
		}
	}
}
