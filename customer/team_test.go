package main

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport/relay"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// teamOptions keep a colleague's connection on loopback and the questions open for a minute.
func teamOptions() options {
	return options{inviteListen: "127.0.0.1:0", inviteAdvertise: "127.0.0.1", consentTimeout: time.Minute}
}

// inviteAnswered has Alice ask to invite a colleague and the customer answer with the dialog's button; it
// returns what Alice is told.
func (s *inSession) inviteAnswered(t *testing.T, button string) session.InviteAnswered {
	t.Helper()
	if err := s.h.Invite(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, lang.L("customer.invite_question", map[string]any{"Name": "Alice"}))
	uitest.Answer(t, s.win, lang.L(button))
	return waitHost(t, s.h, func(session.InviteAnswered) bool { return true })
}

// colleague joins the toolbar's session with an invitation the customer allowed.
func (s *inSession) colleague(t *testing.T, name string) *session.Host {
	t.Helper()
	a := s.inviteAnswered(t, "Yes")
	if !a.Granted {
		t.Fatalf("invitation: %+v", a)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := session.JoinColleague(ctx, a.Link, session.HostConfig{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.End)
	return c
}

// The customer is asked before a colleague may join; No is told to the technician; a colleague who joins is
// listed with what they may do and a Remove button, control moves between technicians with the customer's Yes
// and the indicator names who has it; Remove, confirmed, cuts that colleague off and the other stays.
func TestColleaguesInTheToolbar(t *testing.T) {
	s := joinLive(t, "en", teamOptions())
	if s.techList.Visible() {
		t.Fatal("a list of technicians with one technician")
	}
	if a := s.inviteAnswered(t, "No"); a.Granted || protocol.CodeOf(a.Err) != protocol.Refused {
		t.Fatalf("after No: %+v", a)
	}
	if want := lang.L("customer.invite_refused", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}

	cora := s.colleague(t, "Cora")
	s.until(t, "Cora in the list", func() bool {
		return s.techList.Visible() && uitest.FindLabel(s.techList, "Cora") != nil
	})
	if s.status.Text != lang.L("customer.tech_joined", map[string]any{"Name": "Cora"}) {
		t.Fatalf("status %q", s.status.Text)
	}
	waitHost(t, cora, func(session.ScreenUpdated) bool { return true })
	s.untilIndicator(t, "Alice and Cora are viewing your screen")

	// Control goes to Cora with a Yes, then back to Alice with another.
	if err := cora.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, lang.L("customer.control_question", map[string]any{"Name": "Cora", "Shortcut": shortcutText()}))
	uitest.Answer(t, s.win, lang.L("Yes"))
	s.untilIndicator(t, lang.L("customer.controlling", map[string]any{"Name": "Cora"}))
	s.grantControl(t)
	waitHost(t, cora, func(e session.ControlChanged) bool { return !e.Granted })

	// Files: Send files to each technician, and Cora's files asked about in her name.
	menu := s.filesMenu(s.win.Canvas(), s.files.menuBtn)
	if got := labelsOf(menu); len(got) != 5 || got[0] != "Send files to Alice…" || got[2] != "Send files to Cora…" {
		t.Fatalf("File transfer menu: %v", got)
	}
	s.win.Canvas().Overlays().Top().Hide()
	// No desktop portal here: Fyne's own dialog opens instead.
	menu.Items[2].Action()
	s.until(t, "a file picker for Cora", func() bool { return s.win.Canvas().Overlays().Top() != nil })
	s.win.Canvas().Overlays().Top().Hide()
	src := filepath.Join(t.TempDir(), "for-cora.txt")
	if err := os.WriteFile(src, []byte("E-42"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.sendFile(3, src) // what the picker of Send files to Cora… does with the file chosen
	offer := waitHost(t, cora, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if err := cora.Files().Accept(offer.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	s.until(t, "the status window to name Cora", func() bool {
		return uitest.FindLabel(s.files.list, lang.L("transfers.to", map[string]any{"What": "for-cora.txt",
			"Name": "Cora", "Size": "4\u00a0B"})) != nil
	})
	logFile := filepath.Join(t.TempDir(), "cora.log")
	if err := os.WriteFile(logFile, []byte("from Cora"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cora.Files().Send(logFile); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, lang.L("transfers.incoming", map[string]any{"Name": "Cora", "What": "cora.log", "Size": "9\u00a0B"}))
	uitest.Answer(t, s.win, lang.L("transfers.save"))
	in := incoming(s.files.list)
	s.until(t, "the folder picker", func() bool { return s.win.Canvas().Overlays().Top() != nil })
	s.win.Canvas().Overlays().Top().Hide() // Fyne's folder picker: what it does with the folder chosen follows
	mine := t.TempDir()
	s.acceptOffer(s.guest, in, mine)
	s.until(t, "Cora's file to arrive", func() bool {
		return s.files.list.State(in) == lang.L("transfers.completed", map[string]any{"Count": 1})
	})
	if got, err := os.ReadFile(filepath.Join(mine, "cora.log")); err != nil || string(got) != "from Cora" {
		t.Fatalf("the customer got %q (%v)", got, err)
	}

	// Remove Cora, with a confirmation.
	rm := uitest.FindButton(s.techList, lang.L("customer.remove_tech"))
	if rm == nil {
		t.Fatal("no Remove button for Cora")
	}
	test.Tap(rm)
	uitest.Answer(t, s.win, lang.L("customer.remove_tech"))
	if e := waitHost(t, cora, func(session.Ended) bool { return true }); protocol.CodeOf(e.Err) != protocol.Removed {
		t.Fatalf("Cora's session ended with %v", e.Err)
	}
	s.until(t, "Cora gone from the toolbar", func() bool {
		return !s.techList.Visible() && s.status.Text == lang.L("customer.tech_removed", map[string]any{"Name": "Cora"})
	})
	s.untilIndicator(t, lang.L("customer.controlling", map[string]any{"Name": "Alice"}))
	if s.guest == nil {
		t.Fatal("removing a colleague ended the customer's session")
	}
}

// Alice leaves the session to Cora: the toolbar says so and shows Cora alone, leading; Cora's End ends it.
func TestHandOverInTheToolbar(t *testing.T) {
	s := joinLive(t, "en", teamOptions())
	cora := s.colleague(t, "Cora")
	s.until(t, "Cora in the list", func() bool { return uitest.FindLabel(s.techList, "Cora") != nil })
	knows(t, s.h, "Cora") // Alice's program must know the colleague it hands the session to
	s.h.Leave()
	s.until(t, "the hand-over said", func() bool {
		return s.status.Text == lang.L("customer.handed_over", map[string]any{"From": "Alice", "To": "Cora"})
	})
	s.untilIndicator(t, lang.L("customer.viewing", map[string]any{"Name": "Cora"}))
	if s.techList.Visible() || s.leader != cora.Me() {
		t.Fatalf("after the hand-over: list shown %v, leader %d", s.techList.Visible(), s.leader)
	}
	menu := s.filesMenu(s.win.Canvas(), s.files.menuBtn)
	if menu.Items[0].Label != "Send files to Cora…" {
		t.Fatalf("File transfer menu: %+v", menu.Items)
	}
	s.win.Canvas().Overlays().Top().Hide()
	cora.End()
	s.waitState(t, stateEnded)
}

// Alice and Cora both share their screens: each opens its own window, named for its technician; Cora's stop
// closes hers only.
func TestEachTechniciansScreenInItsOwnWindow(t *testing.T) {
	s := joinLive(t, "en", teamOptions())
	cora := s.colleague(t, "Cora")
	waitHost(t, cora, func(session.Joined) bool { return true })
	if err := s.h.ShareScreen(capture.NewPattern(image.Rect(0, 0, 200, 100)), 0); err != nil {
		t.Fatal(err)
	}
	if err := cora.ShareScreen(capture.NewPattern(image.Rect(0, 0, 320, 240)), 0); err != nil {
		t.Fatal(err)
	}
	size := func(id protocol.ParticipantID) (int, int) {
		if ts := s.screenOf(id); ts != nil {
			return ts.screen.FrameSize()
		}
		return 0, 0
	}
	s.until(t, "both technicians' screens, each in its window", func() bool {
		aw, _ := size(session.TechnicianID)
		cw, _ := size(cora.Me())
		return aw == 200 && cw == 320
	})
	if got := s.screenOf(cora.Me()).win.Title(); got != lang.L("customer.tech_screen_title", map[string]any{"Name": "Cora"}) {
		t.Fatalf("Cora's window is titled %q", got)
	}
	cora.StopSharingScreen()
	s.until(t, "Cora's window to close", func() bool { return s.screenOf(cora.Me()) == nil })
	if s.screenOf(session.TechnicianID) == nil {
		t.Fatal("Alice's window closed with Cora's")
	}
}

// A colleague whose connection drops comes back by themselves: the toolbar says so and still lists them.
func TestColleagueBackInTheToolbar(t *testing.T) {
	opts := teamOptions()
	opts.idleTimeout = 600 * time.Millisecond
	s := joinLive(t, "en", opts)
	a := s.inviteAnswered(t, "Yes")
	path := relay.New(t, a.Link.Addr)
	lk := a.Link
	lk.Addr = path.Addr()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cora, err := session.JoinColleague(ctx, lk, session.HostConfig{Name: "Cora", IdleTimeout: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cora.End)
	s.until(t, "Cora in the list", func() bool { return uitest.FindLabel(s.techList, "Cora") != nil })
	path.Cut(true)
	waitHost(t, cora, func(session.Reconnecting) bool { return true })
	path.Cut(false)
	waitHost(t, cora, func(session.Reconnected) bool { return true })
	s.until(t, "the toolbar to say Cora is back", func() bool {
		return s.status.Text == lang.L("customer.tech_back", map[string]any{"Name": "Cora"}) &&
			uitest.FindLabel(s.techList, "Cora") != nil
	})
}

// knows waits until technician h's program has heard that name is in the session.
func knows(t *testing.T, h *session.Host, name string) {
	t.Helper()
	for _, p := range h.Participants() {
		if p.Name == name {
			return
		}
	}
	waitHost(t, h, func(e session.ParticipantsChanged) bool {
		for _, p := range e.List {
			if p.Name == name {
				return true
			}
		}
		return false
	})
}
