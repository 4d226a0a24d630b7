package chat

import (
	"slices"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

// attachTo connects a technician's room to the customer's relaying room on a new connection (the technician's
// side accepts any author: the customer's program relays the others).
func attachTo(t testing.TB, hub, techRoom *Room) (hubEnd, techEnd *transport.Conn) {
	t.Helper()
	hubEnd, techEnd = transporttest.Pair(t)
	hs, ts := chatStreams(t, hubEnd, techEnd)
	if err := hub.AttachQUIC(hs, techRoom.Self()); err != nil {
		t.Fatal(err)
	}
	if err := techRoom.AttachQUIC(ts, 0); err != nil {
		t.Fatal(err)
	}
	return hubEnd, techEnd
}

// waitTexts waits until r's log holds want, in any order, and nothing else.
func waitTexts(t *testing.T, r *Room, rec *recorder, want ...string) {
	t.Helper()
	rec.wait(t, "the whole conversation", func([]Event) bool {
		var got []string
		for _, m := range r.History() {
			got = append(got, m.Text)
		}
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		return slices.Equal(got, w)
	})
	for _, m := range r.History() {
		if m.Name != names[m.From] {
			t.Fatalf("participant %d logged %q from %d as %q", r.Self(), m.Text, m.From, m.Name)
		}
	}
}

// With several technicians, the customer's program relays: every message reaches every participant once,
// with its author; a colleague who joins late reads what was said; one who reconnects gets only what they
// missed; one who leaves does not stop the others.
func TestRelayToEveryone(t *testing.T) {
	hub, hubRec := newRelayRoom(t, customer)
	alice, aliceRec := newRoom(t, tech, 0)
	cora, coraRec := newRoom(t, colleague, 0)
	attachTo(t, hub, alice)
	_, coraConn := attachTo(t, hub, cora)

	mustSend(t, alice, "hello from Alice")
	mustSend(t, cora, "hello from Cora")
	mustSend(t, hub, "hello from the customer")
	all := []string{"hello from Alice", "hello from Cora", "hello from the customer"}
	waitTexts(t, hub, hubRec, all...)
	waitTexts(t, alice, aliceRec, all...)
	waitTexts(t, cora, coraRec, all...)
	for _, r := range []*Room{hub, alice, cora} {
		waitDelivered(t, r)
	}

	// A colleague who joins now reads the conversation so far.
	dev, devRec := newRoom(t, colleague2, 0)
	attachTo(t, hub, dev)
	waitTexts(t, dev, devRec, all...)

	// Cora's connection drops: the others go on; what she missed comes when she is back, once.
	_ = coraConn.Close(protocol.ConnectionLost, "")
	hubRec.waitLinkEnded(t, 1)
	mustSend(t, alice, "while Cora was away")
	all = append(all, "while Cora was away")
	waitTexts(t, dev, devRec, all...)
	attachTo(t, hub, cora)
	waitTexts(t, cora, coraRec, all...)

	// Dev leaves: detached on the customer's side, he hears nothing more; Alice and Cora still talk.
	hub.DetachPeer(colleague2)
	mustSend(t, cora, "after Dev left")
	waitTexts(t, alice, aliceRec, append(all, "after Dev left")...)
	if len(dev.History()) != len(all) {
		t.Fatalf("Dev, who left, logged %d messages", len(dev.History()))
	}
}

func newRelayRoom(t testing.TB, self protocol.ParticipantID) (*Room, *recorder) {
	t.Helper()
	rec := newRecorder()
	r, err := New(Config{Self: self, Names: nameOf, OnEvent: rec.on, Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, rec
}

func mustSend(t *testing.T, r *Room, text string) {
	t.Helper()
	if _, err := r.Send(text); err != nil {
		t.Fatal(err)
	}
}

// A Room that does not relay passes on only its own messages, even when it holds others'.
func TestNoRelayWithoutRelay(t *testing.T) {
	r, _ := newRoom(t, customer, 0)
	if _, _, err := r.handle(tech, &protocol.ChatMessage{ID: 1, From: tech, SentAt: 1, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	mustSend(t, r, "mine")
	l := &link{peer: colleague}
	var texts []string
	for _, m := range r.unsent(l) {
		texts = append(texts, m.Text)
	}
	if !slices.Equal(texts, []string{"mine"}) {
		t.Fatalf("a room without Relay sends %q to another peer", texts)
	}
}
