package unattended

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
)

// waitCheck waits until Check of to answers code (NoError: the computer is there).
func waitCheck(t *testing.T, to Target, me *transport.Identity, code protocol.Code) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := Check(ctx, to, me)
		cancel()
		if protocol.CodeOf(err) == code {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Check = %v, want %v", err, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTechnicianReachesTheComputerThroughARendezvous: an agent with no network port of its own, set up by a
// technician whose session came through a rendezvous, is present there under its ID; the technician reaches it
// by that ID alone (straight between the two, and through the relay), and the computer joins the technician's
// session through the same rendezvous. A wrong password, an impostor's ID and a removed technician are refused
// as on the LAN.
func TestTechnicianReachesTheComputerThroughARendezvous(t *testing.T) {
	for _, tc := range []struct {
		name string
		path session.PathOptions
	}{
		{"direct", session.PathOptions{Loopback: true}},
		{"relayed", session.PathOptions{Loopback: true, RelayOnly: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := rendezvoustest.Start(t).ClientURL()
			me := uint32(os.Getuid())
			a, err := StartAgent(AgentConfig{Dir: filepath.Join(t.TempDir(), "state"),
				Socket: filepath.Join(t.TempDir(), "agent.sock"), MayUse: func(uid uint32) bool { return uid == me },
				OpenTimeout: 20 * time.Second, Path: tc.path})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			if a.Addr() != nil {
				t.Fatalf("an agent without Listen listens on %v", a.Addr())
			}
			comp := a.Computer()
			ana := newTech(t, "Ana")
			const pw = "the customer's password"
			target := Target{Rendezvous: url, Path: tc.path, ID: comp.ID(), Secret: Secret(pw, comp.ID())}

			waitCheck(t, target, ana.id, protocol.Unreachable) // not set up: not present anywhere
			ad, err := DialAdmin(t.Context(), a.cfg.Socket)
			if err != nil {
				t.Fatal(err)
			}
			defer ad.Close()
			if err := ad.SetUp(ana.id.ID(), "Ana", pw, "not a rendezvous"); protocol.CodeOf(err) != protocol.ProtocolViolation {
				t.Fatalf("set up with a bad rendezvous address: %v", err)
			}
			must(t, ad.SetUp(ana.id.ID(), "Ana", pw, url))
			if st, err := ad.Status(); err != nil || len(st.Technicians) != 1 || st.Technicians[0].Rendezvous != url {
				t.Fatalf("the Unattended access window is told %+v, %v; want the technician's rendezvous", st, err)
			}
			waitCheck(t, target, ana.id, protocol.NoError)

			startHelperWith(t, a, tc.path)
			host, err := session.NewHost(session.HostConfig{Name: "Ana", Rendezvous: url, Path: tc.path})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(host.End)
			if err := Open(t.Context(), target, ana.id, "Ana", host.Link().String()); err != nil {
				t.Fatalf("open through the rendezvous: %v", err)
			}
			joined := waitEvent[session.Joined](t, host.Events())
			if joined.Peer.Name != "Zoé's computer" || joined.Peer.Route.Rendezvous == "" {
				t.Fatalf("joined by %+v", joined.Peer)
			}
			if tc.path.RelayOnly && !joined.Peer.Route.Relayed {
				t.Errorf("route %v, want relayed", joined.Peer.Route)
			}

			wrong := target
			wrong.Secret = Secret("not the password at all", comp.ID())
			if err := Open(t.Context(), wrong, ana.id, "Ana", host.Link().String()); protocol.CodeOf(err) != protocol.WrongPassword {
				t.Fatalf("a wrong password through the rendezvous: %v", err)
			}
			impostor := target
			impostor.ID[0] ^= 1
			if err := Open(t.Context(), impostor, ana.id, "Ana", host.Link().String()); protocol.CodeOf(err) != protocol.Unreachable {
				t.Fatalf("another ID: %v", err)
			}

			// The only technician of this rendezvous removed: the computer leaves it, and the session ends.
			must(t, ad.RemoveTechnician(ana.id.ID()))
			waitEvent[session.Ended](t, host.Events())
			waitCheck(t, target, ana.id, protocol.Unreachable)

			entries, err := ad.Log(0)
			if err != nil {
				t.Fatal(err)
			}
			count := map[Event]int{}
			for _, e := range entries {
				count[e.What]++
			}
			if count[EventConnected] != 1 || count[EventWrongPassword] != 1 {
				t.Errorf("log %v", count)
			}
		})
	}
}
