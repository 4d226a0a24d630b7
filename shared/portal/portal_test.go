//go:build linux || freebsd || openbsd || netbsd

package portal_test

import (
	"context"
	"errors"
	"image"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	picker "github.com/tandem-remote/tandem/shared/picker/portaltest"
	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
)

var twoMonitors = []portal.Stream{
	{Node: 41, Bounds: image.Rect(0, 0, 1920, 1080), ID: "0"},
	{Node: 42, Bounds: image.Rect(1920, 0, 3200, 1024), ID: "1"},
}

func start(t *testing.T, o portal.Options) *portal.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := portal.Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStartGrantsStreamsDevicesAndAToken(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors})
	s := start(t, portal.Options{Persist: true})
	if got := s.Streams(); !slices.Equal(got, twoMonitors) {
		t.Errorf("streams %+v, want %+v", got, twoMonitors)
	}
	if s.Devices() != portal.DeviceKeyboard|portal.DevicePointer {
		t.Errorf("devices %d", s.Devices())
	}
	if s.RestoreToken() == "" {
		t.Error("no restore token with persist mode 2")
	}
	if p.Dialogs() != 1 || p.CursorMode() != portal.CursorMetadata {
		t.Errorf("dialogs %d, cursor mode %d: want one dialog, the cursor as metadata", p.Dialogs(), p.CursorMode())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitFor(t, func() bool { return p.Sessions() == 0 }, "the portal's session closed")
}

func TestRestoreTokenIsSingleUse(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors[:1]})
	first := start(t, portal.Options{Persist: true})
	token := first.RestoreToken()
	_ = first.Close()

	second := start(t, portal.Options{Persist: true, RestoreToken: token})
	if p.Dialogs() != 1 {
		t.Fatalf("a valid token still showed a dialog (%d dialogs)", p.Dialogs())
	}
	if second.RestoreToken() == "" || second.RestoreToken() == token {
		t.Fatalf("the restored session gave token %q after %q: want a new one", second.RestoreToken(), token)
	}
	_ = second.Close()

	start(t, portal.Options{Persist: true, RestoreToken: token}) // used once already
	if p.Dialogs() != 2 {
		t.Fatalf("a used token restored without a dialog (%d dialogs)", p.Dialogs())
	}
	if got := p.TokensGiven(); !slices.Equal(got, []string{"", token, token}) {
		t.Fatalf("tokens given %q", got)
	}
}

func TestRevokedTokenAsksAgain(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors[:1]})
	first := start(t, portal.Options{Persist: true})
	_ = first.Close()
	p.Revoke()
	p.Refuse(true)
	_, err := portal.Start(t.Context(), portal.Options{Persist: true, RestoreToken: first.RestoreToken()})
	if !errors.Is(err, portal.ErrRefused) {
		t.Fatalf("Start after revoke and refusal: %v, want ErrRefused", err)
	}
	if p.Dialogs() != 2 {
		t.Fatalf("%d dialogs, want 2", p.Dialogs())
	}
}

func TestStartFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
		want  error
	}{
		{"refused", func(t *testing.T) {
			portaltest.Start(t, portaltest.Config{Streams: twoMonitors}).Refuse(true)
		}, portal.ErrRefused},
		{"no monitor shared", func(t *testing.T) { portaltest.Start(t, portaltest.Config{}) }, portal.ErrRefused},
		{"no portal", func(t *testing.T) { picker.StartBusOnly(t) }, portal.ErrUnavailable},
		{"no bus", func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/none")
		}, portal.ErrUnavailable},
		{"no remote desktop", func(t *testing.T) {
			portaltest.Start(t, portaltest.Config{Streams: twoMonitors, NoRemoteDesktop: true})
		}, portal.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			s, err := portal.Start(t.Context(), portal.Options{Persist: true})
			if !errors.Is(err, tc.want) {
				if s != nil {
					_ = s.Close()
				}
				t.Fatalf("Start: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestInputReachesThePortal(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors})
	s := start(t, portal.Options{})
	calls := []struct {
		call func() error
		want portaltest.Event
	}{
		{func() error { return s.PointerMotionAbsolute(42, 10.5, 20) },
			portaltest.Event{Method: "NotifyPointerMotionAbsolute", Stream: 42, X: 10.5, Y: 20}},
		{func() error { return s.PointerButton(0x110, true) },
			portaltest.Event{Method: "NotifyPointerButton", Button: 0x110, Pressed: true}},
		{func() error { return s.PointerButton(0x110, false) },
			portaltest.Event{Method: "NotifyPointerButton", Button: 0x110}},
		{func() error { return s.PointerAxisDiscrete(0, -3) },
			portaltest.Event{Method: "NotifyPointerAxisDiscrete", Axis: 0, Steps: -3}},
		{func() error { return s.KeyboardKeysym(0x20ac, true) },
			portaltest.Event{Method: "NotifyKeyboardKeysym", Keysym: 0x20ac, Pressed: true}},
	}
	var want []portaltest.Event
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Fatalf("%v: %v", c.want, err)
		}
		want = append(want, c.want)
	}
	if got := p.Input(); !slices.Equal(got, want) {
		t.Fatalf("portal received %v, want %v", got, want)
	}
	if err := s.PointerMotionAbsolute(7, 1, 1); err == nil {
		t.Fatal("a motion on a stream that is not shared was accepted")
	}
}

func TestSystemClosesTheSession(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors})
	s := start(t, portal.Options{})
	if s.Err() != nil {
		t.Fatalf("Err before the end: %v", s.Err())
	}
	p.CloseSessions(t)
	select {
	case <-s.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("Closed did not close after the system ended the session")
	}
	if !errors.Is(s.Err(), portal.ErrClosed) {
		t.Fatalf("Err %v", s.Err())
	}
	if err := s.KeyboardKeysym(0x61, true); !errors.Is(err, portal.ErrClosed) {
		t.Fatalf("a key after the end: %v", err)
	}
	if _, err := s.OpenPipeWireRemote(t.Context()); !errors.Is(err, portal.ErrClosed) {
		t.Fatalf("OpenPipeWireRemote after the end: %v", err)
	}
}

func TestOpenPipeWireRemotePassesTheDescriptor(t *testing.T) {
	peer := make(chan int, 1)
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors, Remote: func() (int, error) {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		peer <- pair[1]
		return pair[0], nil
	}})
	s := start(t, portal.Options{})
	fd, err := s.OpenPipeWireRemote(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	theirs := <-peer
	f := os.NewFile(uintptr(fd), "remote")
	defer func() { _ = f.Close() }()
	defer func() { _ = syscall.Close(theirs) }()
	if _, err := syscall.Write(theirs, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := f.Read(buf); err != nil || string(buf) != "pw" {
		t.Fatalf("read %q, %v through the descriptor", buf, err)
	}
	if p.RemotesOpened() != 1 {
		t.Fatalf("%d remotes opened", p.RemotesOpened())
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

// TestStreamWithoutPlace: a portal may give a single monitor without position, size or ID.
func TestStreamWithoutPlace(t *testing.T) {
	portaltest.Start(t, portaltest.Config{Streams: []portal.Stream{{Node: 7}}})
	s := start(t, portal.Options{})
	if got := s.Streams(); !slices.Equal(got, []portal.Stream{{Node: 7}}) {
		t.Fatalf("streams %+v", got)
	}
}

// TestScreenOnly: a ScreenCast session (the technician sharing their own screen) asks for the monitors alone,
// keeps its restore token through SelectSources, and has no input.
func TestScreenOnly(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: twoMonitors})
	first := start(t, portal.Options{Persist: true, ScreenOnly: true})
	if got := first.Streams(); !slices.Equal(got, twoMonitors) || first.Devices() != 0 || first.RestoreToken() == "" {
		t.Fatalf("streams %+v, devices %d, token %q", got, first.Devices(), first.RestoreToken())
	}
	if err := first.KeyboardKeysym(0x61, true); err == nil {
		t.Fatal("a screen cast session took a key")
	}
	_ = first.Close()
	start(t, portal.Options{Persist: true, ScreenOnly: true, RestoreToken: first.RestoreToken()})
	if p.Dialogs() != 1 || !slices.Equal(p.TokensGiven(), []string{"", first.RestoreToken()}) {
		t.Fatalf("%d dialogs, tokens given %q: the token did not restore", p.Dialogs(), p.TokensGiven())
	}
}
