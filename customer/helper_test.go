package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/shared/unattended/unattendedtest"
)

// unattendedComputer is an agent on loopback, set up for one technician's Tandem Expert.
type unattendedComputer struct {
	*unattendedtest.Agent
	tech   *transport.Identity
	target unattended.Target
}

func startUnattended(t *testing.T) *unattendedComputer {
	t.Helper()
	a := unattendedtest.Start(t)
	tech, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "a password for this test"
	if err := a.Admin.SetUp(tech.ID(), "Alice", pw, ""); err != nil {
		t.Fatal(err)
	}
	id := a.Computer().ID()
	return &unattendedComputer{Agent: a, tech: tech,
		target: unattended.Target{Addr: a.Addr().String(), ID: id, Secret: unattended.Secret(pw, id)}}
}

// The helper shows nothing until the agent hands it a technician's session, joins it with viewing and control
// granted, says so on the toolbar, tells the access log what the technician did, and goes out of sight again
// when the user blocks access, which ends the session for the technician with that reason.
func TestHelperJoinsTheAgentsSessionAndBlockingEndsIt(t *testing.T) {
	uc := startUnattended(t)
	home := t.TempDir()
	downloads := filepath.Join(home, "Downloads")
	if err := os.Mkdir(downloads, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_DOWNLOAD_DIR", "")
	rec := input.NewRecorder()
	tb := testToolbar(t, "en", options{name: "Zoé's computer", screen: capture.NewPattern(), injector: rec, helper: true})
	hp := startHelper(tb.toolbar, uc.Socket)
	t.Cleanup(hp.close)
	poll(t, tb, "the helper at the agent", func() bool {
		st, err := uc.Admin.Status()
		return err == nil && st.Helper
	})

	h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	opened := make(chan error, 1)
	go func() {
		opened <- unattended.Open(context.Background(), uc.target, uc.tech, "Alice", h.Link().String())
	}()
	tb.waitState(t, stateJoined)
	if err := <-opened; err != nil {
		t.Fatalf("the technician's open: %v", err)
	}
	joined := waitHost(t, h, func(session.Joined) bool { return true })
	if !joined.Peer.Can(protocol.CapUnattended) || joined.Peer.Name != "Zoé's computer" {
		t.Fatalf("the technician sees %+v", joined.Peer)
	}
	want := lang.L("unattended.connected", map[string]any{"Name": "Alice"})
	if tb.status.Text != want || !strings.Contains(want, "unattended access") || tb.endBtn.Hidden {
		t.Fatalf("status %q, want %q; End session hidden %v", tb.status.Text, want, tb.endBtn.Hidden)
	}

	// Control is granted without a question (nobody may be at the computer), and input lands.
	if err := h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	waitHost(t, h, func(e session.ControlChanged) bool { return e.Granted })
	if len(tb.dialogs) != 0 {
		t.Fatalf("%d dialogs shown on an unattended computer", len(tb.dialogs))
	}
	if err := h.SendInput(&protocol.Text{Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := rec.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// A file from the technician goes into the Downloads folder without a question (nobody may be there), and
	// the toolbar says where.
	src := filepath.Join(t.TempDir(), "driver.zip")
	if err := os.WriteFile(src, []byte("the printer driver"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Files().Send(src); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(downloads, "driver.zip")
	poll(t, tb, "the file in Downloads", func() bool {
		b, err := os.ReadFile(saved)
		return err == nil && string(b) == "the printer driver"
	})
	if len(tb.dialogs) != 0 || tb.status.Text != lang.L("unattended.files_saved", map[string]any{"Name": "Alice", "Folder": downloads}) {
		t.Fatalf("%d dialogs; status %q", len(tb.dialogs), tb.status.Text)
	}

	// The user blocks access: the session ends at once, with the reason, and the toolbar goes away.
	if err := uc.Admin.SetBlocked(true); err != nil {
		t.Fatal(err)
	}
	tb.waitState(t, stateEnded)
	ended := waitHost(t, h, func(session.Ended) bool { return true })
	if protocol.CodeOf(ended.Err) != protocol.Blocked {
		t.Fatalf("the technician's session ended with %v, want blocked", ended.Err)
	}
	if tb.guest != nil || tb.unattended != nil {
		t.Fatal("the toolbar still holds the session")
	}
	// The access log says what the technician did.
	var seen map[unattended.Event]bool
	poll(t, tb, "the session's end in the log", func() bool {
		entries, err := uc.Admin.Log(0)
		if err != nil {
			return false
		}
		seen = map[unattended.Event]bool{}
		for _, e := range entries {
			seen[e.What] = true
		}
		return seen[unattended.EventSessionEnded]
	})
	for _, ev := range []unattended.Event{unattended.EventConnected, unattended.EventViewed, unattended.EventControlled,
		unattended.EventFileReceived, unattended.EventBlocked} {
		if !seen[ev] {
			t.Errorf("the log has no %q: %v", ev, seen)
		}
	}
}

// poll runs the toolbar's callbacks and checks cond every few milliseconds, for a condition that changes
// outside the UI (the agent's state), failing the test after 20 s.
func poll(t *testing.T, tb *shown, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		tb.loop.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
