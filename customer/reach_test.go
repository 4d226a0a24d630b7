package main

import (
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
)

// A technician reached through a rendezvous: the customer types the bare key (the rendezvous remembered from
// an earlier link, or given with -rendezvous), and the window says how the connection goes.
func TestBareKeyThroughRendezvous(t *testing.T) {
	srv, h := technicianThroughRendezvous(t)
	tb := testToolbar(t, "fr", options{name: "Bob", rendezvous: srv.ClientURL(),
		path: session.PathOptions{Loopback: true, RelayOnly: true}})
	if tb.route.Visible() {
		t.Fatal("a route shown before any session")
	}
	test.Type(tb.keyEntry, transport.FormatSupportKey(h.Link().Key))
	test.Tap(tb.joinBtn)
	tb.waitState(t, stateJoined)
	if _, ok := nextEvent(t, h).(session.Joined); !ok {
		t.Fatal("the technician did not see the customer join")
	}
	want := lang.L("route.relayed", map[string]any{"Server": "127.0.0.1"})
	if !tb.route.Visible() || tb.route.Text != want || want != "Relayée par 127.0.0.1" {
		t.Fatalf("route %q (visible %v), want %q", tb.route.Text, tb.route.Visible(), want)
	}
	h.End()
	tb.waitState(t, stateEnded)
	if tb.route.Visible() {
		t.Fatal("the route is still shown after the session")
	}
}

// technicianThroughRendezvous starts a rendezvous on loopback and "Alice" waiting through it with a fresh key.
func technicianThroughRendezvous(t *testing.T) (*rendezvous.Server, *session.Host) {
	t.Helper()
	srv := rendezvoustest.Start(t)
	h, err := session.NewHost(session.HostConfig{Name: "Alice", Rendezvous: srv.ClientURL(),
		Path: session.PathOptions{Loopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return srv, h
}

func TestJoinThroughRendezvousErrorsAreSentences(t *testing.T) {
	srv := rendezvoustest.Start(t)
	tb := testToolbar(t, "en", options{rendezvous: srv.ClientURL()})
	test.Type(tb.keyEntry, "000 012 345") // no technician holds nameplate 0000
	test.Tap(tb.joinBtn)
	tb.waitState(t, stateJoinFailed)
	if want := lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.key_expired")}); tb.status.Text != want {
		t.Fatalf("status %q, want %q", tb.status.Text, want)
	}
	srv.Close()
	test.Tap(tb.joinBtn)
	tb.waitState(t, stateJoinFailed)
	if want := lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.no_rendezvous")}); tb.status.Text != want {
		t.Fatalf("status %q, want %q", tb.status.Text, want)
	}
}
