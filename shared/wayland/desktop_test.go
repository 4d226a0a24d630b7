//go:build linux || freebsd || openbsd || netbsd

package wayland_test

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/wayland"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want wayland.Kind
	}{
		{map[string]string{"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, wayland.Wayland},
		{map[string]string{"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, wayland.X11},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":1"}, wayland.Wayland}, // XWayland's DISPLAY
		{map[string]string{"DISPLAY": ":99"}, wayland.X11},                                    // Xvfb
		{map[string]string{"XDG_SESSION_TYPE": "tty"}, wayland.None},
		{map[string]string{}, wayland.None},
	} {
		if got := wayland.Detect(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("Detect(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestTokenFile(t *testing.T) {
	f := wayland.TokenFile(filepath.Join(t.TempDir(), "Tandem", "portal-token"))
	if f.Load() != "" {
		t.Fatal("a token before any was saved")
	}
	for _, tok := range []string{"first", "second"} {
		if err := f.Save(tok); err != nil {
			t.Fatal(err)
		}
		if got := f.Load(); got != tok {
			t.Fatalf("Load = %q, want %q", got, tok)
		}
	}
	if fi, err := os.Stat(string(f)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the token file: %v, %v: want owner-only", fi, err)
	}
	if err := os.WriteFile(string(f), []byte("two\nlines"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := f.Load(); got != "" {
		t.Fatalf("a file that is no token loaded as %q", got)
	}
	if err := f.Save(""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(string(f)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Save(\"\") left the file: %v", err)
	}
	if err := f.Save(""); err != nil {
		t.Fatalf("removing a token that is not there: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(string(f)), ".portal-token-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

var monitors = []portal.Stream{
	{Node: 41, Bounds: image.Rect(0, 0, 1920, 1080)},
	{Node: 42, Bounds: image.Rect(1920, 0, 3200, 1024)},
}

func open(t *testing.T, o wayland.Options) *wayland.Desktop {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	d, err := wayland.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// TestInputReachesThePortal: every Injector call arrives at the portal as the right Notify* call, with
// coordinates in the stream's own space and layout-independent keysyms. The portal hands out no PipeWire
// remote here, so the screen cannot be read, and control still works.
func TestInputReachesThePortal(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: monitors})
	d := open(t, wayland.Options{})
	if _, err := d.Source(); err == nil {
		t.Fatal("Source without a PipeWire remote gave no error")
	}
	inj := d.Injector()
	type ev = portaltest.Event
	move := func(stream uint32, x, y float64) ev {
		return ev{Method: "NotifyPointerMotionAbsolute", Stream: stream, X: x, Y: y}
	}
	key := func(sym int32, down bool) ev { return ev{Method: "NotifyKeyboardKeysym", Keysym: sym, Pressed: down} }
	press := func(syms ...int32) []ev {
		var e []ev
		for _, s := range syms {
			e = append(e, key(s, true), key(s, false))
		}
		return e
	}
	for _, tc := range []struct {
		name string
		call func() error
		want []ev
	}{
		{"move on the first monitor", func() error { return inj.Move(100, 200) }, []ev{move(41, 100, 200)}},
		{"move on the second", func() error { return inj.Move(2000, 10) }, []ev{move(42, 80, 10)}},
		{"move outside: nearest edge of the first", func() error { return inj.Move(-5, 5000) }, []ev{move(41, 0, 1079)}},
		{"left button", func() error { return errors.Join(inj.ButtonDown(input.ButtonLeft), inj.ButtonUp(input.ButtonLeft)) },
			[]ev{{Method: "NotifyPointerButton", Button: 0x110, Pressed: true}, {Method: "NotifyPointerButton", Button: 0x110}}},
		{"right double click", func() error { return inj.DoubleClick(input.ButtonRight) }, []ev{
			{Method: "NotifyPointerButton", Button: 0x111, Pressed: true}, {Method: "NotifyPointerButton", Button: 0x111},
			{Method: "NotifyPointerButton", Button: 0x111, Pressed: true}, {Method: "NotifyPointerButton", Button: 0x111}}},
		{"middle button", func() error { return inj.ButtonDown(input.ButtonMiddle) },
			[]ev{{Method: "NotifyPointerButton", Button: 0x112, Pressed: true}}},
		{"scroll", func() error { return inj.Scroll(1, -2) }, []ev{
			{Method: "NotifyPointerAxisDiscrete", Axis: 0, Steps: -2}, {Method: "NotifyPointerAxisDiscrete", Axis: 1, Steps: 1}}},
		{"ctrl+a down and up", func() error { return errors.Join(inj.KeyDown("a", input.ModCtrl), inj.KeyUp("a", input.ModCtrl)) },
			[]ev{key(0xffe3, true), key(0x61, true), key(0x61, false), key(0xffe3, false)}},
		// On an AZERTY keyboard "a" and "q" swap places: the keysym names the letter, the compositor finds its key.
		{"AZERTY letters", func() error { return inj.Type("aqzwm") }, press(0x61, 0x71, 0x7a, 0x77, 0x6d)},
		// AltGr characters on AZERTY (AltGr+à, AltGr+3, AltGr+E): the compositor adds the AltGr level.
		{"AltGr characters", func() error { return inj.Type("@#€") }, press(0x40, 0x23, 0x20ac)},
		// Dead keys: the composed character is sent whole; a lone circumflex or diaeresis as its spacing keysym.
		{"dead keys", func() error { return inj.Type("êë^¨") }, press(0xea, 0xeb, 0x5e, 0xa8)},
		{"œ and a new line", func() error { return inj.Type("œ\n") }, press(0x13bd, 0xff0d)},
		{"shift+F5", func() error { return inj.KeyDown("f5", input.ModShift) }, []ev{key(0xffe1, true), key(0xffc2, true)}},
		{"AltGr alone", func() error { return inj.KeyDown("ralt", 0) }, []ev{key(0xfe03, true)}},
	} {
		p.ResetInput()
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := p.Input(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: the portal received %v, want %v", tc.name, got, tc.want)
		}
	}

	p.ResetInput()
	for _, bad := range []func() error{
		func() error { return inj.KeyDown("nope", 0) },
		func() error { return inj.Type("a\x07") },
		func() error { return inj.ButtonDown(input.Button(9)) },
		func() error { return inj.Scroll(0, input.MaxScroll+1) },
	} {
		if err := bad(); !errors.Is(err, input.ErrInvalid) {
			t.Errorf("bad input: %v, want ErrInvalid", err)
		}
	}
	if got := p.Input(); len(got) != 0 {
		t.Errorf("bad input reached the portal: %v", got)
	}

	if err := inj.Close(); err != nil {
		t.Fatal(err)
	}
	if err := inj.Move(1, 1); !errors.Is(err, input.ErrClosed) {
		t.Fatalf("Move after Close: %v", err)
	}
	waitFor(t, func() bool { return p.Sessions() == 0 }, "the portal session to close with its last user")
}

func TestRestoreTokenStoredAndReplaced(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: monitors[:1]})
	tokens := wayland.TokenFile(filepath.Join(t.TempDir(), "portal-token"))
	first := open(t, wayland.Options{Tokens: tokens})
	saved := tokens.Load()
	if saved == "" {
		t.Fatal("no restore token stored after the first start")
	}
	_ = first.Close()
	open(t, wayland.Options{Tokens: tokens})
	if p.Dialogs() != 1 {
		t.Fatalf("%d dialogs: the stored token did not restore the choice", p.Dialogs())
	}
	if got := tokens.Load(); got == "" || got == saved {
		t.Fatalf("token after the second start %q (first %q): want a new one", got, saved)
	}
	if got := p.TokensGiven(); !slices.Equal(got, []string{"", saved}) {
		t.Fatalf("tokens given to the portal %q", got)
	}
}

func TestRefusal(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: monitors})
	tokens := wayland.TokenFile(filepath.Join(t.TempDir(), "portal-token"))
	if err := tokens.Save("revoked-long-ago"); err != nil {
		t.Fatal(err)
	}
	p.Refuse(true)
	d, err := wayland.Open(t.Context(), wayland.Options{Tokens: tokens})
	if !errors.Is(err, wayland.ErrRefused) {
		if d != nil {
			_ = d.Close()
		}
		t.Fatalf("Open refused: %v, want ErrRefused", err)
	}
	if tokens.Load() != "" {
		t.Fatal("the used-up token was kept after the refusal")
	}
}

func TestNoPortal(t *testing.T) {
	portaltest.Start(t, portaltest.Config{Streams: monitors, NoRemoteDesktop: true})
	if _, err := wayland.Open(t.Context(), wayland.Options{}); !errors.Is(err, wayland.ErrNoPortal) {
		t.Fatalf("Open without RemoteDesktop: %v, want ErrNoPortal", err)
	}
}

func TestSystemEndsTheSession(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: monitors})
	d := open(t, wayland.Options{})
	inj := d.Injector()
	p.CloseSessions(t)
	select {
	case <-d.Ended():
	case <-time.After(10 * time.Second):
		t.Fatal("Ended did not close")
	}
	if err := inj.Move(1, 1); !errors.Is(err, wayland.ErrEnded) {
		t.Fatalf("Move after the system ended the session: %v, want ErrEnded", err)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
