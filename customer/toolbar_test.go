package main

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// technician hosts a real session on loopback, as Tandem Expert does.
func technician(t *testing.T) *session.Host { return technicianWith(t, session.HostConfig{}) }

// technicianWith is technician with cfg's settings: "Alice" listening on loopback, and whatever else cfg sets.
func technicianWith(t *testing.T, cfg session.HostConfig) *session.Host {
	t.Helper()
	cfg.Listen, cfg.Advertise, cfg.Name = "127.0.0.1:0", "127.0.0.1", "Alice"
	h, err := session.NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return h
}

// shown is a toolbar on a test app with the states it went through.
type shown struct {
	*toolbar
	loop   *uitest.Loop
	states []state
	seen   int // states already checked by waitState
}

// testToolbar builds the real toolbar on a test app, its UI callbacks run by the test goroutine.
func testToolbar(t *testing.T, language string, opts options) *shown {
	t.Helper()
	if err := i18n.Register(language); err != nil {
		t.Fatal(err)
	}
	if language != "en" {
		t.Cleanup(func() { _ = i18n.Register("en") })
	}
	s := &shown{loop: uitest.NewLoop()}
	opts.do = s.loop.Do
	opts.onState = func(st state) { s.states = append(s.states, st) }
	s.toolbar = newToolbar(test.NewTempApp(t), opts)
	t.Cleanup(s.shutdown)
	return s
}

// waitState runs the toolbar's callbacks until it has a state change not checked yet, and checks it.
func (s *shown) waitState(t *testing.T, want state) {
	t.Helper()
	n := s.seen
	s.loop.Until(t, 20*time.Second, "a state change", func() bool { return len(s.states) > n })
	s.seen++
	if got := s.states[n]; got != want {
		t.Fatalf("toolbar went to state %d, want %d", got, want)
	}
}

func nextEvent(t *testing.T, h *session.Host) session.Event {
	t.Helper()
	select {
	case e := <-h.Events():
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("technician saw nothing")
	}
	return nil
}

func TestPastedLinkJoinsAtOnceAndEndSessionCutsOff(t *testing.T) {
	h := technician(t)
	tb := testToolbar(t, "en", options{name: "Bob"})
	if tb.nameEntry.Text != "Bob" || !tb.endBtn.Hidden {
		t.Fatal("start screen not as expected")
	}
	// Pasting (typing) the link into the key field joins without pressing Join.
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	if j, ok := nextEvent(t, h).(session.Joined); !ok || j.Peer.Name != "Bob" {
		t.Fatal("technician did not see Bob join")
	}
	if !strings.HasPrefix(tb.status.Text, "Connected to Alice") || !tb.inStrip || tb.endBtn.Hidden {
		t.Fatalf("after joining: status %q", tb.status.Text)
	}

	test.Tap(tb.endBtn)
	uitest.Answer(t, tb.win, lang.L("No"))
	if tb.guest == nil {
		t.Fatal("No ended the session")
	}
	closed := watchClose(tb)
	test.Tap(tb.endBtn)
	uitest.Answer(t, tb.win, lang.L("Yes"))
	tb.waitState(t, stateEnded)
	if end, ok := nextEvent(t, h).(session.Ended); !ok || protocol.CodeOf(end.Err) != protocol.SessionEnded {
		t.Fatal("technician was not cut off")
	}
	// The session's end was what the customer asked for: the toolbar closes (a new start shows the form).
	tb.loop.Until(t, 10*time.Second, "the toolbar to close", func() bool { return *closed })
}

// watchClose reports, through the flag returned, whether the toolbar's window has closed.
func watchClose(tb *shown) *bool {
	closed := false
	tb.win.SetOnClosed(func() { closed = true; tb.shutdown() })
	return &closed
}

func TestKeyWithRememberedAddress(t *testing.T) {
	h := technician(t)
	tb := testToolbar(t, "en", options{name: "Bob", addr: h.Link().Addr})
	spaced := transport.FormatSupportKey(h.Link().Key)
	test.Type(tb.keyEntry, spaced)
	test.Tap(tb.joinBtn)
	tb.waitState(t, stateJoined)
	// The technician ending the session is told in plain words.
	if _, ok := nextEvent(t, h).(session.Joined); !ok {
		t.Fatal("no join")
	}
	h.End()
	tb.waitState(t, stateEnded)
	want := lang.L("customer.ended_by_technician", map[string]any{"Name": "Alice"})
	if tb.status.Text != want || tb.win.Canvas().Focused() != tb.keyEntry {
		t.Fatalf("status %q, want %q", tb.status.Text, want)
	}
}

func TestJoinErrorsAreSentences(t *testing.T) {
	if err := i18n.Register("en"); err != nil { // the table below is translated before any toolbar is made
		t.Fatal(err)
	}
	h := technician(t)
	wrong := "123456789"
	if h.Link().Key == wrong {
		wrong = "987654321"
	}
	// A technician whose key has expired.
	old := technicianWith(t, session.HostConfig{KeyLifetime: time.Millisecond})
	if _, ok := nextEvent(t, old).(session.KeyLost); !ok {
		t.Fatal("the key did not expire")
	}
	// An address where no technician listens.
	gone := technician(t)
	gone.End()
	for _, tc := range []struct {
		name, addr, typed, want string
	}{
		{"expired key", old.Link().Addr, old.Link().Key,
			lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.key_expired")})},
		{"no technician there", gone.Link().Addr, gone.Link().Key,
			lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.unreachable")})},
		{"not a key", h.Link().Addr, "12345", lang.L("customer.bad_key")},
		{"a colleague's invitation", "", "tandem://join?addr=" + h.Link().Addr + "&invite=abcdefghijklmnopqrstuvwxya",
			lang.L("customer.invite_link")},
		{"no address", "", "123 456 789", lang.L("customer.no_address")},
		{"wrong key", h.Link().Addr, wrong,
			lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.wrong_key")})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := testToolbar(t, "en", options{addr: tc.addr})
			test.Type(tb.keyEntry, tc.typed)
			test.Tap(tb.joinBtn)
			tb.waitState(t, stateJoinFailed)
			if tb.status.Text != tc.want {
				t.Fatalf("status %q, want %q", tb.status.Text, tc.want)
			}
			if tb.joinBtn.Disabled() || tb.keyEntry.Disabled() {
				t.Fatal("cannot try again")
			}
		})
	}
}

func TestFrenchToolbar(t *testing.T) {
	h := technician(t)
	tb := testToolbar(t, "fr", options{})
	if tb.joinBtn.Text != "Rejoindre" || tb.endBtn.Text != "Terminer" {
		t.Fatalf("buttons %q / %q", tb.joinBtn.Text, tb.endBtn.Text)
	}
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	if !strings.HasPrefix(tb.status.Text, "Connecté à Alice") {
		t.Fatalf("status %q", tb.status.Text)
	}
}
