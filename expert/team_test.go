package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// inviting is a session whose customer's program takes colleagues on loopback and answers in a minute.
func inviting(cfg *session.GuestConfig) {
	cfg.InviteListen, cfg.InviteAdvertise, cfg.ConsentTimeout = "127.0.0.1:0", "127.0.0.1", time.Minute
}

// inviteColleague presses Invite a colleague in h's viewer, has the customer say yes, and returns the link the
// invitation window shows (and put on the clipboard).
func inviteColleague(t *testing.T, h *shown, c *customerSide) string {
	t.Helper()
	v := h.cur().view
	test.Tap(v.inviteBtn)
	if !v.inviteBtn.Disabled() || v.teamLbl.Text != named("viewer.invite_waiting") {
		t.Fatalf("after Invite a colleague: %q, button enabled %v", v.teamLbl.Text, !v.inviteBtn.Disabled())
	}
	q := waitCustomer(t, c, func(session.InviteRequested) bool { return true })
	if q.From != "Alice" {
		t.Fatalf("the customer is asked by %q", q.From)
	}
	if err := c.g.AnswerInvite(q.ID, true); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the invitation", func() bool { return v.inviteDlg != nil })
	top := v.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no invitation window")
	}
	link, _ := findLink(top)
	if lk, err := session.ParseLink(link); err != nil || !lk.IsInvite() {
		t.Fatalf("the invitation window shows %q (%v)", link, err)
	}
	test.Tap(uitest.FindButton(top, lang.L("viewer.invitation_copy")))
	if got := h.app.Clipboard().Content(); got != link {
		t.Fatalf("Copy link copied %q, the window shows %q", got, link)
	}
	uitest.Answer(t, v.win, lang.L("viewer.invitation_close"))
	return link
}

// findLink returns the tandem:// link a label in o's tree shows.
func findLink(o fyne.CanvasObject) (string, bool) {
	l := uitest.FindLabelFunc(o, func(l *widget.Label) bool { return strings.HasPrefix(l.Text, session.LinkScheme+"://") })
	if l == nil {
		return "", false
	}
	return l.Text, true
}

// joinWithLink presses Join a colleague's session on h, pastes link, and presses Join.
func joinWithLink(t *testing.T, h *shown, link string) {
	t.Helper()
	test.Tap(h.joinBtn)
	top := h.win.Canvas().Overlays().Top()
	entry := uitest.FindEntry(top)
	if entry == nil {
		t.Fatal("Join a colleague's session shows no field for the link")
	}
	test.Type(entry, link)
	uitest.Answer(t, h.win, lang.L("expert.colleague_join"))
}

// Alice invites Cora with the customer's Yes; Cora's Expert joins with the link alone and shows the
// customer's screen; each lists the other; the customer removes Cora, whose card says so, and Alice stays.
func TestInviteAColleagueAndJoin(t *testing.T) {
	alice := testHome(t, "en")
	c := joinSharingScreen(t, alice, capture.NewPattern(), inviting)
	link := inviteColleague(t, alice, c)

	cora := testHomeAs(t, "en", "Cora")
	joinWithLink(t, cora, link)
	s := cora.cur()
	if s.status.Text != lang.L("expert.colleague_joining") && s.view == nil {
		t.Fatalf("Cora's card says %q while joining", s.status.Text)
	}
	cora.loop.Until(t, 20*time.Second, "Cora's viewer to show the customer's screen", func() bool {
		return s.view != nil && s.view.win != nil && s.view.painted
	})
	if s.view.endBtn.Text != lang.L("viewer.leave_session") {
		t.Fatalf("Cora's viewer offers %q", s.view.endBtn.Text)
	}
	joined := waitCustomer(t, c, func(session.ColleagueJoined) bool { return true })
	if joined.Peer.Name != "Cora" {
		t.Fatalf("the customer saw %q join", joined.Peer.Name)
	}
	alsoHere := func(h *shown, name string) func() bool {
		want := lang.L("viewer.also_here", map[string]any{"Names": name})
		return func() bool { return h.cur().view.teamLbl.Visible() && h.cur().view.teamLbl.Text == want }
	}
	viewing := func(name string) string { return lang.L("viewer.colleague_viewing", map[string]any{"Name": name}) }
	alice.loop.Until(t, 20*time.Second, "Alice's viewer to list Cora", alsoHere(alice, viewing("Cora")))
	cora.loop.Until(t, 20*time.Second, "Cora's viewer to list Alice", alsoHere(cora, viewing("Alice")))

	// Control goes to Cora, then to Alice: Cora's viewer says where it went.
	askControl := func(h *shown) {
		t.Helper()
		test.Tap(h.cur().view.controlBtn)
		q := waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermControl })
		if err := c.g.Answer(q.ID, true); err != nil {
			t.Fatal(err)
		}
		h.loop.Until(t, 20*time.Second, "control granted", func() bool { return h.cur().view.controlled })
	}
	askControl(cora)
	alice.loop.Until(t, 20*time.Second, "Alice's viewer to say Cora is in control",
		alsoHere(alice, lang.L("viewer.colleague_controlling", map[string]any{"Name": "Cora"})))
	askControl(alice)
	moved := lang.L("viewer.note.control_moved", map[string]any{"Name": "Bob", "To": "Alice"})
	cora.loop.Until(t, 20*time.Second, "Cora's viewer to say control went to Alice", func() bool {
		return !s.view.controlled && strings.HasSuffix(s.view.status.Text, moved)
	})

	// The link was for one colleague.
	dave := testHomeAs(t, "en", "Dave")
	joinWithLink(t, dave, link)
	dave.loop.Until(t, 20*time.Second, "Dave's card to say the invitation is spent", func() bool {
		return dave.cur().closeBtn.Visible()
	})
	if dave.cur().status.Text != lang.L("expert.colleague_spent") {
		t.Fatalf("Dave's card says %q", dave.cur().status.Text)
	}

	if err := c.g.RemoveTechnician(joined.ID); err != nil {
		t.Fatal(err)
	}
	cora.loop.Until(t, 20*time.Second, "Cora's card to say she was removed", func() bool {
		return s.ended && strings.Contains(s.status.Text, lang.L(protocol.Removed.MessageKey()))
	})
	if s.view.teamLbl.Visible() {
		t.Fatalf("after the end Cora's viewer still says %q", s.view.teamLbl.Text)
	}
	alice.loop.Until(t, 20*time.Second, "Alice's viewer to list nobody else", func() bool {
		return !alice.cur().view.teamLbl.Visible()
	})
	if alice.cur().view.ended || !alice.cur().view.sharing {
		t.Fatal("Alice's session did not go on")
	}

	// Both histories list the technicians: Cora's join and departure in Alice's, Alice in Cora's.
	alice.loop.Until(t, 20*time.Second, "Alice's history to hold Cora's departure", func() bool {
		ps := participantsOf(t, alice)
		return len(ps) == 3 && ps[2].Name == "Cora" && ps[2].ID == joined.ID && !ps[2].Joined.IsZero() && !ps[2].Left.IsZero()
	})
	var coraControlled bool
	for _, e := range eventsOf(t, alice) {
		coraControlled = coraControlled || e.Kind == store.EventControlGranted && e.Actor == joined.ID
	}
	if !coraControlled {
		t.Fatal("Alice's history does not say that Cora had control")
	}
	ps := participantsOf(t, cora)
	names := map[protocol.ParticipantID]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	if names[joined.ID] != "Cora" || names[session.TechnicianID] != "Alice" || names[session.CustomerID] != "Bob" {
		t.Fatalf("Cora's history lists %v", names)
	}
}

// eventsOf returns the events that h's history holds for its newest session.
func eventsOf(t *testing.T, h *shown) []store.Event {
	t.Helper()
	s, err := h.opts.store.LoadSession(context.Background(), h.cur().rec.session())
	if err != nil {
		t.Fatal(err)
	}
	return s.Events
}

// participantsOf returns the participants that h's history holds for its newest session.
func participantsOf(t *testing.T, h *shown) []store.Participant {
	t.Helper()
	id := h.cur().rec.session()
	s, err := h.opts.store.LoadSession(context.Background(), id)
	if err != nil {
		return nil
	}
	return s.Participants
}

// A refused invitation says so in the viewer, and Invite a colleague can be pressed again.
func TestInvitationRefused(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharingScreen(t, h, capture.NewPattern(), inviting)
	v := h.cur().view
	test.Tap(v.inviteBtn)
	q := waitCustomer(t, c, func(session.InviteRequested) bool { return true })
	if err := c.g.AnswerInvite(q.ID, false); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the refusal", func() bool { return v.teamLbl.Text == named("viewer.invite_refused") })
	if v.inviteBtn.Disabled() || v.inviteDlg != nil {
		t.Fatal("after a refusal")
	}
}

// Text that is no invitation is refused in the dialog, with a sentence, and nothing is joined.
func TestJoinAColleagueWithAWrongLink(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.joinBtn)
	top := h.win.Canvas().Overlays().Top()
	test.Type(uitest.FindEntry(top), "tandem://join?addr=127.0.0.1:9&key=123456789")
	uitest.Answer(t, h.win, lang.L("expert.colleague_join"))
	if uitest.FindLabel(h.win.Canvas().Overlays().Top(), lang.L("expert.colleague_bad_link")) == nil {
		t.Fatal("a customer's join link was taken for an invitation")
	}
	if len(h.sessions) != 0 {
		t.Fatal("a card for a wrong link")
	}
}

// Alice, who leads, leaves the session to Cora from End session; Cora's viewer says she now leads, and her End
// session ends it for everyone, the customer included.
func TestHandOverFromTheViewer(t *testing.T) {
	alice := testHome(t, "en")
	c := joinSharingScreen(t, alice, capture.NewPattern(), inviting)
	link := inviteColleague(t, alice, c)
	cora := testHomeAs(t, "en", "Cora")
	joinWithLink(t, cora, link)
	s := cora.cur()
	cora.loop.Until(t, 20*time.Second, "Cora's viewer", func() bool { return s.view != nil && s.view.win != nil && s.view.painted })
	v := alice.cur().view
	alice.loop.Until(t, 20*time.Second, "Alice's viewer to list Cora", func() bool { return v.nextLead() == "Cora" })

	test.Tap(v.endBtn)
	top := v.win.Canvas().Overlays().Top()
	if top == nil || uitest.FindLabel(top, lang.L("viewer.end_or_leave_question", map[string]any{"Name": "Bob", "To": "Cora"})) == nil {
		t.Fatal("End session did not offer to leave the session to Cora")
	}
	test.Tap(uitest.FindButton(top, lang.L("viewer.hand_over", map[string]any{"To": "Cora"})))
	alice.loop.Until(t, 20*time.Second, "Alice's viewer to say she left", func() bool {
		return v.ended && v.status.Text == lang.L("viewer.state.left")
	})
	h := waitCustomer(t, c, func(session.HandedOver) bool { return true })
	if h.To != "Cora" {
		t.Fatalf("the customer is told %+v", h)
	}
	youLead := lang.L("viewer.note.you_lead", map[string]any{"From": "Alice"})
	cora.loop.Until(t, 20*time.Second, "Cora's viewer to say she leads", func() bool {
		return strings.Contains(s.view.teamLbl.Text, youLead) && s.view.endBtn.Text == lang.L("viewer.end_session")
	})
	if !s.view.sharing {
		t.Fatal("Cora no longer sees the screen")
	}

	test.Tap(s.view.endBtn) // alone now: the plain question
	uitest.Answer(t, s.view.win, lang.L("Yes"))
	if e := waitCustomer(t, c, func(session.Ended) bool { return true }); protocol.CodeOf(e.Err) != protocol.SessionEnded {
		t.Fatalf("the customer's session ended with %v", e.Err)
	}
}
