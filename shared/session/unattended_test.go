package session

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// An unattended session grants viewing and control without asking (nobody may be at the computer); the
// technician knows it is unattended; the user can still take control back; and the agent's reason for ending
// it reaches the technician.
func TestUnattendedGrantsWithoutAskingAndEndsWithTheReason(t *testing.T) {
	h := newTestHost(t)
	rec := input.NewRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Zoé's computer", Screen: capture.NewPattern(), Input: rec,
		Unattended: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	joined := waitFor(t, h.Events(), func(Joined) bool { return true })
	if !joined.Peer.Can(protocol.CapUnattended) {
		t.Fatalf("the technician does not know the session is unattended: %v", joined.Peer.Capabilities)
	}
	waitFor(t, h.Events(), func(ScreenUpdated) bool { return true })
	if err := h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, h.Events(), func(e ControlChanged) bool { return e.Granted })
	if !g.Controlled() {
		t.Fatal("the customer's side does not say it is controlled")
	}
	if err := h.SendInput(&protocol.Text{Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Nothing was put to the customer.
	for drained := false; !drained; {
		select {
		case e := <-g.Events():
			if q, ok := e.(ConsentRequested); ok {
				t.Fatalf("the unattended computer was asked %+v", q)
			}
		default:
			drained = true
		}
	}
	// The user at the computer takes control back: from then on they are asked, as in an attended session.
	g.RevokeControl()
	waitFor(t, h.Events(), func(e ControlChanged) bool { return !e.Granted })
	if err := h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	ask := waitFor(t, g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := g.Answer(ask.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, h.Events(), func(e ConsentAnswered) bool { return !e.Granted })

	g.EndBecause(protocol.Blocked)
	wantEnded(t, waitFor(t, h.Events(), func(Ended) bool { return true }), protocol.Blocked)
}

// Setting unattended access up: the technician asks, the customer is asked and says yes, and the customer's
// program tells the technician how to reach the computer; the technician's certificate is the one their Expert
// keeps. A program that cannot install it refuses at once.
func TestUnattendedSetUpIsAskedAndAnswered(t *testing.T) {
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, can := range []bool{false, true} {
		h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice", Identity: id})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.End)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", CanSetUpUnattended: can})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.End)
		waitFor(t, h.Events(), func(Joined) bool { return true })
		if g.Technician().Cert != id.ID() {
			t.Fatalf("the customer sees certificate %v, want the technician's %v", g.Technician().Cert, id.ID())
		}
		if err := h.RequestUnattended(""); err != nil {
			t.Fatal(err)
		}
		if !can {
			if a := waitFor(t, h.Events(), func(ConsentAnswered) bool { return true }); a.Granted ||
				a.What != protocol.PermUnattended {
				t.Fatalf("a program that cannot install it answered %+v", a)
			}
			continue
		}
		ask := waitFor(t, g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermUnattended })
		if err := g.Answer(ask.ID, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, h.Events(), func(e ConsentAnswered) bool { return e.What == protocol.PermUnattended && e.Granted })
		var computer transport.ID
		computer[0] = 7
		secret := make([]byte, 32)
		secret[1] = 9
		if err := g.UnattendedReady(ask.ID, UnattendedInfo{Computer: computer, Secret: secret, Port: 47900,
			Name: "bob-pc\n"}, nil); err != nil {
			t.Fatal(err)
		}
		got := waitFor(t, h.Events(), func(UnattendedSetUp) bool { return true })
		if got.Err != nil || got.Computer != computer || string(got.Secret) != string(secret) ||
			got.Addr != "127.0.0.1:47900" || got.Name != "bob-pc " {
			t.Fatalf("set up %+v", got)
		}
		// A second one, which nobody asked for, is not passed on; a failure after a new yes is.
		_ = g.UnattendedReady(ask.ID, UnattendedInfo{Computer: computer, Secret: secret, Port: 1}, nil)
		if err := h.RequestUnattended(""); err != nil {
			t.Fatal(err)
		}
		ask = waitFor(t, g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermUnattended })
		if err := g.Answer(ask.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := g.UnattendedReady(ask.ID, UnattendedInfo{}, &protocol.Error{Code: protocol.Refused}); err != nil {
			t.Fatal(err)
		}
		failed := waitFor(t, h.Events(), func(UnattendedSetUp) bool { return true })
		if protocol.CodeOf(failed.Err) != protocol.Refused {
			t.Fatalf("after the unasked one, %+v", failed)
		}
	}
}
