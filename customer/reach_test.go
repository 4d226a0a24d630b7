package main

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/joinstamp"
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

// A customer who downloaded Tandem Customer from the join page starts it: the file's name carries the key and
// its stamp the rendezvous, so it joins the technician without a single thing typed.
func TestStartedFromADownloadJoins(t *testing.T) {
	srv, h := technicianThroughRendezvous(t)
	file := stampedCopy(t, joinstamp.FileName(h.Link().Key, "linux", "x86_64"), srv.ClientURL())
	tb := testToolbar(t, "fr", options{name: "Bob", path: session.PathOptions{Loopback: true}})
	tb.startFrom("", file)
	tb.waitState(t, stateJoined)
	if j, ok := nextEvent(t, h).(session.Joined); !ok || j.Peer.Name != "Bob" {
		t.Fatalf("the technician did not see Bob join: %#v", j)
	}
}

func TestStartedFromOtherNames(t *testing.T) {
	srv := rendezvoustest.Start(t)
	cases := []struct {
		name, stamp, flag string
		want              session.Link
		ok                bool
	}{
		{"tandem-customer-123456789-x86_64.AppImage", srv.ClientURL(), "", session.Link{Rendezvous: srv.ClientURL(), Key: "123456789"}, true},
		{"Tandem Customer 123456789 (1).exe", srv.ClientURL(), "tls://other.example:4222", session.Link{Rendezvous: srv.ClientURL(), Key: "123456789"}, true},
		// No stamp (an installer's name): the -rendezvous flag says where, or nothing happens.
		{"Tandem Customer 123456789.msi", "", "tls://rv.example:4222", session.Link{Rendezvous: "tls://rv.example:4222", Key: "123456789"}, true},
		{"Tandem Customer 123456789.msi", "", "", session.Link{}, false},
		// A stamp that is no rendezvous URL is not followed.
		{"tandem-customer-123456789-x86_64.AppImage", "file:///etc/passwd", "", session.Link{}, false},
		{"tandem-customer-1.0.0-x86_64.AppImage", srv.ClientURL(), "", session.Link{}, false},
	}
	for _, c := range cases {
		file := filepath.Join(t.TempDir(), c.name)
		if c.stamp != "" {
			file = stampedCopy(t, c.name, c.stamp)
		} else if err := os.WriteFile(file, []byte("\x7fELF"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, ok := launchLink(file, c.flag); ok != c.ok || got != c.want {
			t.Errorf("%s (stamp %q, flag %q): %+v %v; want %+v %v", c.name, c.stamp, c.flag, got, ok, c.want, c.ok)
		}
	}
	// Started from a plain name, the form waits for the key.
	tb := testToolbar(t, "en", options{rendezvous: srv.ClientURL()})
	tb.startFrom("", filepath.Join(t.TempDir(), "tandem-customer"))
	if tb.keyEntry.Text != "" || tb.joining != nil {
		t.Fatalf("a plain start began a join with %q", tb.keyEntry.Text)
	}
}

// stampedCopy writes a stand-in program named name, stamped with the rendezvous URL rv, as the join page
// hands it out.
func stampedCopy(t *testing.T, name, rv string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\x7fELF stand-in program"); err != nil {
		t.Fatal(err)
	}
	if err := joinstamp.Append(f, rv); err != nil {
		t.Fatal(err)
	}
	return path
}
