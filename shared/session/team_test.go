package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// newTeamSession is a technician and a customer sharing a synthetic screen, the customer's program able to
// take colleagues on loopback.
func newTeamSession(t *testing.T) *liveSession {
	t.Helper()
	h := newTestHost(t)
	rec := input.NewRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: capture.NewPattern(), Input: rec,
		ConsentTimeout: time.Minute, InviteListen: "127.0.0.1:0", InviteAdvertise: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	return &liveSession{h: h, g: g, rec: rec}
}

// invite2 has technician who ask for an invitation and the customer answer yes; it returns the link.
func (s *liveSession) inviteBy(t *testing.T, who *Host) Link {
	t.Helper()
	if err := who.Invite(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(InviteRequested) bool { return true })
	if err := s.g.AnswerInvite(q.ID, true); err != nil {
		t.Fatal(err)
	}
	a := waitFor(t, who.Events(), func(InviteAnswered) bool { return true })
	if !a.Granted {
		t.Fatalf("invitation %+v", a)
	}
	return a.Link
}

// invite has the owner ask for an invitation and the customer answer yes; it returns the link.
func (s *liveSession) invite(t *testing.T) Link {
	t.Helper()
	if err := s.h.Invite(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(InviteRequested) bool { return true })
	if q.From != "Alice (support)" {
		t.Fatalf("the customer is asked by %q", q.From)
	}
	if err := s.g.AnswerInvite(q.ID, true); err != nil {
		t.Fatal(err)
	}
	a := waitFor(t, s.h.Events(), func(InviteAnswered) bool { return true })
	longEnough := time.Until(a.Expires) > 9*time.Minute || s.g.cfg.InviteLifetime > 0 // a test's shorter one
	if !a.Granted || !a.Link.IsInvite() || !longEnough {
		t.Fatalf("invitation %+v", a)
	}
	return a.Link
}

func joinColleague(t *testing.T, lk Link, name string) (*Host, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := JoinColleague(ctx, lk, HostConfig{Name: name})
	if err == nil {
		t.Cleanup(c.End)
	}
	return c, err
}

// The owner invites a colleague with the customer's Yes; the colleague joins with the link alone, sees the
// customer's screen, and chats with everyone; the link works once; a No is told to the owner.
func TestColleagueJoinsWithAnInvitation(t *testing.T) {
	s := newTeamSession(t)
	lk := s.invite(t)
	cora, err := joinColleague(t, lk, "Cora")
	if err != nil {
		t.Fatalf("the colleague with the invitation: %v", err)
	}
	joined := waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	if joined.ID != 3 || joined.Peer.Name != "Cora" {
		t.Fatalf("the customer saw %+v join", joined)
	}
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true }) // the same picture as the owner's

	if _, err := cora.SendChat("Cora here"); err != nil {
		t.Fatal(err)
	}
	for _, side := range []<-chan Event{s.h.Events(), s.g.Events()} {
		got := waitFor(t, side, func(ChatReceived) bool { return true })
		if got.Message.Text != "Cora here" || got.Message.From != 3 || got.Message.Name != "Cora" {
			t.Fatalf("received %+v", got.Message)
		}
	}
	if _, err := s.h.SendChat("welcome, Cora"); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, cora.Events(), func(ChatReceived) bool { return true }); got.Message.From != TechnicianID ||
		got.Message.Name != "Alice (support)" {
		t.Fatalf("Cora received %+v", got.Message)
	}

	// The link was for one colleague.
	if _, err := joinColleague(t, lk, "Mallory"); protocol.CodeOf(err) != protocol.NotPermitted {
		t.Fatalf("the invitation again: %v", err)
	}

	// The customer may say no.
	if err := s.h.Invite(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(InviteRequested) bool { return true })
	if err := s.g.AnswerInvite(q.ID, false); err != nil {
		t.Fatal(err)
	}
	if a := waitFor(t, s.h.Events(), func(InviteAnswered) bool { return true }); a.Granted || protocol.CodeOf(a.Err) != protocol.Refused {
		t.Fatalf("after No: %+v", a)
	}
}

// Control is one technician's at a time, moved only by the customer's Yes; stopping sharing stops it for
// every technician, and each must then ask again, for themselves.
func TestControlAndSharingWithAColleague(t *testing.T) {
	s := newTeamSession(t)
	cora, err := joinColleague(t, s.invite(t), "Cora")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })

	grant := func(who *Host, name string) {
		t.Helper()
		if err := who.RequestControl(); err != nil {
			t.Fatal(err)
		}
		q := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
		if q.From != name {
			t.Fatalf("the question is from %q, want %q", q.From, name)
		}
		if err := s.g.Answer(q.ID, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, who.Events(), func(e ControlChanged) bool { return e.Granted })
	}
	grant(cora, "Cora")
	if !cora.Controlling() || s.h.Controlling() {
		t.Fatal("control is not Cora's alone")
	}
	waitFor(t, s.h.Events(), func(e ParticipantsChanged) bool { // Alice hears what Cora may do
		for _, p := range e.List {
			if p.ID == cora.Me() {
				return p.Viewing && p.Controlling
			}
		}
		return false
	})
	grant(s.h, "Alice (support)")
	if c := waitFor(t, cora.Events(), func(e ControlChanged) bool { return !e.Granted }); !c.Moved || c.MovedTo != "Alice (support)" {
		t.Fatalf("Cora is told %+v", c)
	}
	if cora.Controlling() || !s.h.Controlling() {
		t.Fatal("control did not move to Alice")
	}
	sendRaw(t, cora, &protocol.Text{Text: "not mine any more"})
	waitDropped(t, s.g, 1)
	if err := s.h.SendInput(&protocol.Text{Text: "Alice types"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if got, err := s.rec.Wait(ctx, 1); err != nil || got[0].Text != "Alice types" {
		t.Fatalf("injected %v (%v)", got, err)
	}

	s.g.StopSharing()
	for _, who := range []*Host{s.h, cora} {
		waitFor(t, who.Events(), func(e SharingChanged) bool { return !e.On && !e.Paused })
	}
	for deadline := time.Now().Add(20 * time.Second); s.h.Controlling(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Alice kept control after sharing stopped")
		}
	}
	if err := cora.RequestView(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermView })
	if q.From != "Cora" {
		t.Fatalf("the view question is from %q", q.From)
	}
	if err := s.g.Answer(q.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, cora.Events(), func(e SharingChanged) bool { return e.On })
	if err := s.h.RequestView(); err != nil { // Cora's Yes was hers: Alice is asked for too
		t.Fatal(err)
	}
	if q := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermView }); q.From != "Alice (support)" {
		t.Fatalf("the view question is from %q", q.From)
	}
}

// A colleague who leaves is gone for the customer, and their place is free; the customer's End ends every
// technician's session; at most MaxTechnicians take part, a further invitation is refused as Busy.
func TestColleaguesLeaveAndEnd(t *testing.T) {
	s := newTeamSession(t)
	var colleagues []*Host
	for i, name := range []string{"Cora", "Dev", "Eve"} {
		c, err := joinColleague(t, s.invite(t), name)
		if err != nil {
			t.Fatalf("colleague %d: %v", i+1, err)
		}
		colleagues = append(colleagues, c)
		if j := waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true }); j.Peer.Name != name {
			t.Fatalf("joined: %+v", j)
		}
	}
	if err := s.h.Invite(); err != nil {
		t.Fatal(err)
	}
	if a := waitFor(t, s.h.Events(), func(InviteAnswered) bool { return true }); protocol.CodeOf(a.Err) != protocol.Busy {
		t.Fatalf("a fifth technician: %+v", a)
	}

	colleagues[1].End() // Dev leaves
	if left := waitFor(t, s.g.Events(), func(ColleagueLeft) bool { return true }); left.Name != "Dev" || left.Err != nil {
		t.Fatalf("left: %+v", left)
	}
	if _, err := colleagues[0].SendChat("still here"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.h.Events(), func(e ChatReceived) bool { return e.Message.Text == "still here" })
	lk := s.invite(t) // Dev's place is free again
	if _, err := joinColleague(t, lk, "Dev again"); err != nil {
		t.Fatal(err)
	}

	s.g.End()
	for _, c := range []*Host{colleagues[0], colleagues[2]} {
		if e := waitFor(t, c.Events(), func(Ended) bool { return true }); protocol.CodeOf(e.Err) != protocol.SessionEnded {
			t.Fatalf("a colleague's session ended with %v", e.Err)
		}
	}
	waitEnded(t, s.h.Events(), protocol.SessionEnded, "the owner's session")
}

// The customer removes a colleague: that technician is cut off with a sentence that says so, loses control,
// and every other technician stays and hears who is left.
func TestCustomerRemovesAColleague(t *testing.T) {
	s := newTeamSession(t)
	cora, err := joinColleague(t, s.invite(t), "Cora")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	dev, err := joinColleague(t, s.invite(t), "Dev")
	if err != nil {
		t.Fatal(err)
	}
	dj := waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	if names := participantNames(s.g.Technicians()); names != "Alice (support),Cora,Dev" {
		t.Fatalf("the customer's list of technicians: %s", names)
	}
	if err := cora.RequestControl(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := s.g.Answer(q.ID, true); err != nil {
		t.Fatal(err)
	}
	if c := waitFor(t, s.g.Events(), func(e ControlChanged) bool { return e.Granted }); c.Tech != 3 {
		t.Fatalf("the customer is told control went to %d", c.Tech)
	}

	if err := s.g.RemoveTechnician(3); err != nil {
		t.Fatal(err)
	}
	waitEnded(t, cora.Events(), protocol.Removed, "Cora's session")
	if c := waitFor(t, s.g.Events(), func(ControlChanged) bool { return true }); c.Granted || c.Tech != 3 {
		t.Fatalf("after removal: %+v", c)
	}
	if left := waitFor(t, s.g.Events(), func(ColleagueLeft) bool { return true }); left.Name != "Cora" ||
		protocol.CodeOf(left.Err) != protocol.Removed {
		t.Fatalf("left: %+v", left)
	}
	if s.g.Controlled() {
		t.Fatal("the removed technician still controls")
	}
	waitFor(t, s.h.Events(), func(e ParticipantsChanged) bool { return participantNames(e.List) == "Alice (support),Bob,Dev" })
	if _, err := dev.SendChat("Dev stays"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.h.Events(), func(e ChatReceived) bool { return e.Message.Text == "Dev stays" })
	if err := s.g.RemoveTechnician(3); protocol.CodeOf(err) != protocol.NotPermitted {
		t.Fatalf("removing Cora twice: %v", err)
	}
	if err := s.g.RemoveTechnician(TechnicianID); protocol.CodeOf(err) != protocol.NotPermitted {
		t.Fatalf("removing the owner: %v", err)
	}
	if dj.ID != dev.Me() {
		t.Fatalf("Dev is %d to the customer, %d to himself", dj.ID, dev.Me())
	}
}

func participantNames(list []protocol.Participant) string {
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	return strings.Join(names, ",")
}

// An invitation nobody used in time is refused, and its place is free again.
func TestExpiredInvitation(t *testing.T) {
	h := newTestHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: capture.NewPattern(), ConsentTimeout: time.Minute,
		InviteListen: "127.0.0.1:0", InviteAdvertise: "127.0.0.1", InviteLifetime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	s := &liveSession{h: h, g: g}
	lk := s.invite(t)
	time.Sleep(time.Second) // the invitation's 300 ms, and some
	dctx, dcancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer dcancel()
	if c, err := JoinColleague(dctx, lk, HostConfig{Name: "Late"}); err == nil {
		c.End()
		t.Fatal("an expired invitation let a colleague in")
	}
	if _, err := joinColleague(t, s.invite(t), "Cora"); err != nil {
		t.Fatalf("a new invitation after the expired one: %v", err)
	}
}

// A file the customer sends to one technician reaches only that one; a colleague's file reaches the
// customer, whose answer goes to that colleague's transfer though its number may be the owner's too.
func TestFilesWithAColleague(t *testing.T) {
	s := newTeamSession(t)
	cora, err := joinColleague(t, s.invite(t), "Cora")
	if err != nil {
		t.Fatal(err)
	}
	joined := waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })

	src, data := testFile(t, "for-cora.txt", 10<<10)
	id, err := s.g.FilesWith(joined.ID).Send(src)
	if err != nil {
		t.Fatal(err)
	}
	offer, _ := waitTransfer(t, cora.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	dir := t.TempDir()
	if err := cora.Files().Accept(offer.ID, dir); err != nil {
		t.Fatal(err)
	}
	if fin, ft := waitTransfer(t, s.g.Events(), func(e transfer.Finished, _ FileTransfer) bool { return e.ID == id }); fin.Err != nil || ft.Tech != joined.ID {
		t.Fatalf("the customer's transfer to Cora: %v, with %d", fin.Err, ft.Tech)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "for-cora.txt")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Cora received %d bytes (%v)", len(got), err)
	}

	// The owner's first transfer has the same number in its engine as Cora's: the IDs still differ.
	src2, data2 := testFile(t, "from-alice.txt", 5<<10)
	if _, err := s.h.Files().Send(src2); err != nil {
		t.Fatal(err)
	}
	src3, data3 := testFile(t, "from-cora.txt", 7<<10)
	if _, err := cora.Files().Send(src3); err != nil {
		t.Fatal(err)
	}
	offers := map[string]transfer.OfferReceived{}
	techs := map[string]protocol.ParticipantID{}
	for len(offers) < 2 {
		o, ft := waitTransfer(t, s.g.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
		offers[o.Files[0].Name], techs[o.Files[0].Name] = o, ft.Tech
	}
	if offers["from-alice.txt"].ID == offers["from-cora.txt"].ID || techs["from-alice.txt"] != TechnicianID ||
		techs["from-cora.txt"] != joined.ID {
		t.Fatalf("offers %+v from %v", offers, techs)
	}
	into := t.TempDir()
	for _, name := range []string{"from-cora.txt", "from-alice.txt"} {
		if err := s.g.Files().Accept(offers[name].ID, into); err != nil {
			t.Fatalf("accepting %s: %v", name, err)
		}
	}
	done := map[transfer.ID]error{}
	for len(done) < 2 {
		fin, _ := waitTransfer(t, s.g.Events(), func(transfer.Finished, FileTransfer) bool { return true })
		done[fin.ID] = fin.Err
	}
	for name, want := range map[string][]byte{"from-alice.txt": data2, "from-cora.txt": data3} {
		if err, ok := done[offers[name].ID]; !ok || err != nil {
			t.Fatalf("%s: finished %v, %v", name, ok, err)
		}
		if got, err := os.ReadFile(filepath.Join(into, name)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes (%v)", name, len(got), err)
		}
	}
}

// A session met through a rendezvous invites through it too: the link names the rendezvous and a nameplate
// of its own, and the colleague joins from anywhere the technician could, over a path it finds (relayed here).
func TestInvitationThroughTheRendezvous(t *testing.T) {
	srv := rendezvoustest.Start(t)
	h := meetingHost(t, srv.ClientURL(), 0)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: capture.NewPattern(), ConsentTimeout: time.Minute,
		Path: PathOptions{Loopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	s := &liveSession{h: h, g: g}
	lk := s.invite(t)
	if lk.Rendezvous != srv.ClientURL() || lk.Addr != "" || len(lk.Nameplate) != transport.NameplateDigits {
		t.Fatalf("invitation %+v does not go through the rendezvous", lk)
	}
	if back, err := ParseLink(lk.String()); err != nil || back != lk {
		t.Fatalf("invitation %q round-trips to %+v, %v", lk, back, err)
	}
	jctx, jcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer jcancel()
	cora, err := JoinColleague(jctx, lk, HostConfig{Name: "Cora", Path: PathOptions{Loopback: true, RelayOnly: true}})
	if err != nil {
		t.Fatalf("the colleague through the rendezvous: %v", err)
	}
	t.Cleanup(cora.End)
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
	if r := cora.Route(); !r.Relayed || r.Rendezvous == "" {
		t.Fatalf("Cora's route %+v", r)
	}
	waitFor(t, g.Events(), func(ColleagueJoined) bool { return true })

	// Used once: the nameplate went back to the rendezvous.
	again, aCancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer aCancel()
	if c, err := JoinColleague(again, lk, HostConfig{Name: "Mallory", Path: PathOptions{Loopback: true}}); err == nil {
		c.End()
		t.Fatal("the invitation let a second colleague in")
	}
}

// The technician who started the session hands it over and leaves: the colleague who joined first leads it,
// the others stay with the screen and the chat; the new lead's End ends it for everyone, the customer included.
func TestOwnerHandsOverAndLeaves(t *testing.T) {
	s := newTeamSession(t)
	jctx, jcancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer jcancel()
	cora, err := JoinColleague(jctx, s.invite(t), HostConfig{Name: "Cora"}) // Cora does not ask for removal
	if err == nil {
		t.Cleanup(cora.End)
	}
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	dev, err := joinColleague(t, s.invite(t), "Dev")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	waitFor(t, dev.Events(), func(ScreenUpdated) bool { return true })
	if !s.g.Preferences().UninstallAtEnd {
		t.Fatal("Alice's preference (remove the program at the end) is not the session's")
	}

	waitFor(t, s.h.Events(), func(e ParticipantsChanged) bool { return participantNames(e.List) == "Alice (support),Bob,Cora,Dev" })
	s.h.Leave()
	if e := waitFor(t, s.h.Events(), func(Ended) bool { return true }); e.Err != nil || !e.Left {
		t.Fatalf("Alice's side: %+v", e)
	}
	if h := waitFor(t, s.g.Events(), func(HandedOver) bool { return true }); h.From != "Alice (support)" ||
		h.To != "Cora" || h.ToID != cora.Me() || h.FromID != TechnicianID {
		t.Fatalf("the customer is told %+v", h)
	}
	waitFor(t, cora.Events(), func(e ParticipantsChanged) bool { return e.Owner == cora.Me() })
	if names := participantNames(s.g.Technicians()); names != "Cora,Dev" || s.g.Leader() != cora.Me() {
		t.Fatalf("technicians %s, led by %d", names, s.g.Leader())
	}
	if s.g.Preferences().UninstallAtEnd { // Cora's now
		t.Fatal("the session did not take the preferences of the colleague who now leads it")
	}
	// The session goes on: the screen still flows, chat still reaches everyone, control still needs a Yes.
	waitFor(t, dev.Events(), func(ScreenUpdated) bool { return true })
	if _, err := s.g.SendChat("still here"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Host{cora, dev} {
		waitFor(t, c.Events(), func(e ChatReceived) bool { return e.Message.Text == "still here" })
	}
	if err := dev.RequestControl(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := s.g.Answer(q.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, dev.Events(), func(e ControlChanged) bool { return e.Granted })

	cora.End() // the lead ends it for everyone
	waitEnded(t, dev.Events(), protocol.SessionEnded, "Dev's session")
	waitEnded(t, s.g.Events(), protocol.SessionEnded, "the customer's session")
}

// The lead goes on to the next colleague when the one who has it is removed; when the last technician leaves,
// the customer's session ends.
func TestLastTechnicianLeaving(t *testing.T) {
	s := newTeamSession(t)
	cora, err := joinColleague(t, s.invite(t), "Cora")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
	waitFor(t, s.h.Events(), func(e ParticipantsChanged) bool { return participantNames(e.List) == "Alice (support),Bob,Cora" })
	s.h.Leave()
	waitFor(t, cora.Events(), func(e ParticipantsChanged) bool { return e.Owner == cora.Me() })
	dev, err := joinColleague(t, s.inviteBy(t, cora), "Dev")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, dev.Events(), func(ScreenUpdated) bool { return true })
	removedID := cora.Me()
	if err := s.g.RemoveTechnician(removedID); err != nil { // the customer removes the lead: Dev leads
		t.Fatal(err)
	}
	if h := waitFor(t, s.g.Events(), func(HandedOver) bool { return true }); h.ToID != dev.Me() || h.FromID != removedID {
		t.Fatalf("after removing the lead: %+v", h)
	}
	waitFor(t, dev.Events(), func(e ParticipantsChanged) bool { return e.Owner == dev.Me() })
	dev.Leave() // nobody else: this ends it
	if e := waitFor(t, dev.Events(), func(Ended) bool { return true }); e.Err != nil || e.Left {
		t.Fatalf("Dev's side: %+v", e)
	}
	waitEnded(t, s.g.Events(), protocol.SessionEnded, "the customer's session")
}

// waitEnded waits for the Ended event on events and fails unless its code is code; what names whose session.
func waitEnded(t *testing.T, events <-chan Event, code protocol.Code, what string) {
	t.Helper()
	if e := waitFor(t, events, func(Ended) bool { return true }); protocol.CodeOf(e.Err) != code {
		t.Fatalf("%s ended with %v", what, e.Err)
	}
}

// A colleague whose connection drops comes back by themselves within the reconnect window, with the screen
// flowing again and without control, which needs a new Yes.
func TestColleagueComesBack(t *testing.T) {
	h := newTestHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: capture.NewPattern(), Input: input.NewRecorder(),
		ConsentTimeout: time.Minute, InviteListen: "127.0.0.1:0", InviteAdvertise: "127.0.0.1", IdleTimeout: 600 * time.Millisecond,
		ReconnectWindow: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	s := &liveSession{h: h, g: g}
	lk := s.invite(t)
	path := relay.New(t, lk.Addr)
	lk.Addr = path.Addr()
	jctx, jcancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer jcancel()
	cora, err := JoinColleague(jctx, lk, HostConfig{Name: "Cora", IdleTimeout: 600 * time.Millisecond,
		ReconnectWindow: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cora.End)
	waitFor(t, g.Events(), func(ColleagueJoined) bool { return true })
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
	if err := cora.RequestControl(); err != nil {
		t.Fatal(err)
	}
	q := waitFor(t, g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := g.Answer(q.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, cora.Events(), func(e ControlChanged) bool { return e.Granted })

	path.Cut(true)
	waitFor(t, cora.Events(), func(Reconnecting) bool { return true })
	path.Cut(false)
	waitFor(t, cora.Events(), func(Reconnected) bool { return true })
	if back := waitFor(t, g.Events(), func(e ColleagueJoined) bool { return e.Returned }); back.Peer.Name != "Cora" {
		t.Fatalf("the customer saw %+v come back", back)
	}
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
	if cora.Controlling() || g.Controlled() {
		t.Fatal("control survived the drop without the customer's consent")
	}
	if names := participantNames(g.Technicians()); names != "Alice (support),Cora" {
		t.Fatalf("technicians after the return: %s", names)
	}
}

// A technician who stops acknowledging (their path is cut, the connection not yet given up) holds back nobody:
// the two others keep getting new pictures, and the stalled one catches up once the path is back.
func TestStalledTechnicianHoldsBackNobody(t *testing.T) {
	s := newTeamSession(t)
	lk := s.invite(t)
	path := relay.New(t, lk.Addr)
	lk.Addr = path.Addr()
	cora, err := joinColleague(t, lk, "Cora")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := joinColleague(t, s.invite(t), "Dev")
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []*Host{s.h, cora, dev} {
		waitFor(t, who.Events(), func(ScreenUpdated) bool { return true })
	}
	path.Cut(true)
	for _, who := range []*Host{s.h, dev} {
		n := 0
		waitFor(t, who.Events(), func(ScreenUpdated) bool { n++; return n == 20 })
	}
	var last uint64 // the newest picture Cora had before the path came back
	for e := range drain(cora.Events()) {
		if u, ok := e.(ScreenUpdated); ok {
			last = max(last, u.Seq)
		}
	}
	path.Cut(false)
	waitFor(t, cora.Events(), func(e ScreenUpdated) bool { return e.Seq > last })
}

// The lead leaves a moment after a colleague joined, before the announcement of the colleague reached them:
// the customer's program, which knows who is connected, hands the session over instead of ending it.
func TestLeavingBeforeHearingOfTheColleagueHandsOver(t *testing.T) {
	s := newTeamSession(t)
	cora, err := joinColleague(t, s.invite(t), "Cora")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(ColleagueJoined) bool { return true })
	s.h.people.set(nil) // as if the announcement with Cora had not reached Alice's program yet
	s.h.Leave()
	if h := waitFor(t, s.g.Events(), func(HandedOver) bool { return true }); h.ToID != cora.Me() {
		t.Fatalf("handed over to %+v", h)
	}
	waitFor(t, cora.Events(), func(e ParticipantsChanged) bool { return e.Owner == cora.Me() })
	// The session goes on: Cora still sees the screen.
	waitFor(t, cora.Events(), func(ScreenUpdated) bool { return true })
}
