package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/shared/unattended/unattendedtest"
)

// testSetup is unattended access on loopback: install starts a real agent on a test socket (as the system would
// start the service), unless refuse says the administrator's approval is not given.
type testSetup struct {
	*unattendedSetup
	mu       sync.Mutex        // the program's set-up runs in the background
	started  *unattended.Agent // what install started
	installs int
	helpers  int
}

// agent returns the agent install started (nil before).
func (ts *testSetup) agent() *unattended.Agent {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.started
}

// counts returns how many times install and startHelper ran.
func (ts *testSetup) counts() (installs, helpers int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.installs, ts.helpers
}

func newTestSetup(t *testing.T, refuse bool) *testSetup {
	t.Helper()
	ts := &testSetup{}
	socket := filepath.Join(t.TempDir(), "agent.sock")
	// A port for the agent, known before it starts (as the real one's is).
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ts.unattendedSetup = &unattendedSetup{socket: socket, port: uint16(port),
		install: func(context.Context) error {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.installs++
			if refuse {
				return &protocol.Error{Code: protocol.Refused, Detail: "the administrator's approval was not given"}
			}
			ts.started = unattendedtest.StartAt(t, socket, net.JoinHostPort("127.0.0.1", itoa(port)))
			return nil
		},
		startHelper: func() error {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.helpers++
			return nil
		},
	}
	return ts
}

func itoa(n int) string { return (&net.UDPAddr{Port: n}).String()[1:] }

// The customer is asked in plain words and chooses a password; on Allow, unattended access is installed and set
// up for the technician's Expert, which is told how to reach the computer.
func TestUnattendedSetUpAsksForAPasswordAndInstalls(t *testing.T) {
	expert, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	h := technicianWith(t, session.HostConfig{Identity: expert})
	ts := newTestSetup(t, false)
	tb := testToolbar(t, "en", options{name: "Zoé", setup: ts.unattendedSetup})
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	waitHost(t, h, func(session.Joined) bool { return true })

	if err := h.RequestUnattended(""); err != nil {
		t.Fatal(err)
	}
	tb.loop.Until(t, 20*time.Second, "the question", func() bool { return len(tb.dialogs) == 1 })
	top := tb.win.Canvas().Overlays().Top()
	if uitest.FindLabel(top, lang.L("unattended.question", map[string]any{"Name": "Alice"})) == nil {
		t.Fatal("the question does not say what unattended access allows")
	}
	allow := uitest.FindButton(top, lang.L("unattended.allow"))
	entries := uitest.FindEntries(top)
	if allow == nil || len(entries) != 2 {
		t.Fatalf("the dialog has Allow %v and %d password fields", allow != nil, len(entries))
	}
	test.Type(entries[0], "short")
	test.Type(entries[1], "short")
	if !allow.Disabled() {
		t.Fatal("Allow is enabled with a weak password")
	}
	const pw = "correct horse battery staple"
	entries[0].SetText(pw)
	entries[1].SetText(pw + "!")
	if !allow.Disabled() {
		t.Fatal("Allow is enabled with two different passwords")
	}
	entries[1].SetText(pw)
	if allow.Disabled() {
		t.Fatal("Allow stays disabled with a good password typed twice")
	}
	test.Tap(allow)
	a := waitHost(t, h, func(e session.ConsentAnswered) bool { return e.What == protocol.PermUnattended })
	if !a.Granted {
		t.Fatal("the technician was not told yes")
	}
	set := waitHost(t, h, func(session.UnattendedSetUp) bool { return true })
	if set.Err != nil {
		t.Fatal(set.Err)
	}
	id := ts.agent().Computer().ID()
	if set.Computer != id || string(set.Secret) != string(unattended.Secret(pw, id)) ||
		set.Addr != net.JoinHostPort("127.0.0.1", itoa(int(ts.port))) {
		t.Fatalf("the technician got %+v", set)
	}
	if installs, helpers := ts.counts(); installs != 1 || helpers != 1 {
		t.Fatalf("%d installs, %d helpers started", installs, helpers)
	}
	st := ts.agent().Computer().Status()
	if !st.SetUp || len(st.Technicians) != 1 || st.Technicians[0].ID != expert.ID() || st.Technicians[0].Name != "Alice" {
		t.Fatalf("the agent holds %+v", st)
	}
	tb.loop.Until(t, 20*time.Second, "the status", func() bool {
		return tb.status.Text == lang.L("unattended.set_up", map[string]any{"Name": "Alice"})
	})
}

// Set up in a session met through a rendezvous, the agent is told that rendezvous (where it stays present), and so
// is the technician's Expert, which reaches the computer there.
func TestUnattendedSetUpThroughARendezvous(t *testing.T) {
	url := rendezvoustest.Start(t).ClientURL()
	path := session.PathOptions{Loopback: true}
	expert, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	h := technicianWith(t, session.HostConfig{Identity: expert, Rendezvous: url, Path: path})
	ts := newTestSetup(t, false)
	tb := testToolbar(t, "en", options{name: "Zoé", setup: ts.unattendedSetup, path: path})
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	waitHost(t, h, func(session.Joined) bool { return true })
	if err := h.RequestUnattended(""); err != nil {
		t.Fatal(err)
	}
	tb.loop.Until(t, 20*time.Second, "the question", func() bool { return len(tb.dialogs) == 1 })
	top := tb.win.Canvas().Overlays().Top()
	const pw = "correct horse battery staple"
	for _, e := range uitest.FindEntries(top) {
		e.SetText(pw)
	}
	test.Tap(uitest.FindButton(top, lang.L("unattended.allow")))
	set := waitHost(t, h, func(session.UnattendedSetUp) bool { return true })
	if set.Err != nil || set.Rendezvous != url {
		t.Fatalf("the technician got %+v, want the rendezvous %s", set, url)
	}
	if st := ts.agent().Computer().Status(); len(st.Technicians) != 1 || st.Technicians[0].Rendezvous != url {
		t.Fatalf("the agent holds %+v, want the technician's rendezvous %s", st, url)
	}
	if got := ts.agent().Computer().Rendezvous(); len(got) != 1 || got[0] != url {
		t.Fatalf("the agent stays present at %v", got)
	}
}

// Saying no, or not giving the administrator's approval, tells the technician; nothing is installed on a no.
func TestUnattendedRefusedOrNotApproved(t *testing.T) {
	for _, yes := range []bool{false, true} {
		h := technician(t)
		ts := newTestSetup(t, true) // the administrator's approval is not given
		tb := testToolbar(t, "fr", options{name: "Zoé", setup: ts.unattendedSetup})
		test.Type(tb.keyEntry, h.Link().String())
		tb.waitState(t, stateJoined)
		if err := h.RequestUnattended(""); err != nil {
			t.Fatal(err)
		}
		tb.loop.Until(t, 20*time.Second, "the question", func() bool { return len(tb.dialogs) == 1 })
		top := tb.win.Canvas().Overlays().Top()
		if !yes {
			test.Tap(uitest.FindButton(top, lang.L("unattended.refuse")))
			if a := waitHost(t, h, func(e session.ConsentAnswered) bool { return e.What == protocol.PermUnattended }); a.Granted {
				t.Fatal("a no reached the technician as yes")
			}
			if installs, _ := ts.counts(); installs != 0 || tb.status.Text != lang.L("unattended.refused") {
				t.Fatalf("%d installs; status %q", installs, tb.status.Text)
			}
			continue
		}
		for _, e := range uitest.FindEntries(top) {
			e.SetText("un mot de passe assez long")
		}
		test.Tap(uitest.FindButton(top, lang.L("unattended.allow")))
		set := waitHost(t, h, func(session.UnattendedSetUp) bool { return true })
		if protocol.CodeOf(set.Err) != protocol.Refused {
			t.Fatalf("the technician got %+v", set)
		}
		want := lang.L("unattended.setup_failed", map[string]any{"Reason": lang.L("error.refused")})
		tb.loop.Until(t, 20*time.Second, "the status", func() bool { return tb.status.Text == want })
	}
}

// A password the technician proposes fills both fields, masked; Allow takes it as it is.
func TestUnattendedProposedPassword(t *testing.T) {
	h := technician(t)
	ts := newTestSetup(t, false)
	tb := testToolbar(t, "en", options{name: "Zoé", setup: ts.unattendedSetup})
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	const proposed = "alice proposes this one"
	if err := h.RequestUnattended(proposed); err != nil {
		t.Fatal(err)
	}
	tb.loop.Until(t, 20*time.Second, "the question", func() bool { return len(tb.dialogs) == 1 })
	top := tb.win.Canvas().Overlays().Top()
	entries := uitest.FindEntries(top)
	if len(entries) != 2 || entries[0].Text != proposed || entries[1].Text != proposed || !entries[0].Password {
		t.Fatal("the proposed password is not in both fields, masked")
	}
	if uitest.FindLabelFunc(top, func(l *widget.Label) bool {
		return strings.Contains(l.Text, lang.L("unattended.proposed", map[string]any{"Name": "Alice"}))
	}) == nil {
		t.Fatal("the question does not say a password was proposed")
	}
	test.Tap(uitest.FindButton(top, lang.L("unattended.allow")))
	set := waitHost(t, h, func(session.UnattendedSetUp) bool { return true })
	if set.Err != nil || string(set.Secret) != string(unattended.Secret(proposed, set.Computer)) {
		t.Fatalf("set up with another password: %+v", set)
	}
}
