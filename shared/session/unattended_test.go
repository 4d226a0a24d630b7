package session

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
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
