package main

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// The Unattended access window shows where access stands and its log, and its buttons take effect in the agent
// at once: block and allow, change the password, remove a technician, remove unattended access.
func TestAccessWindowControlsTheAgent(t *testing.T) {
	ts := newTestSetup(t, false)
	removed := false
	ts.uninstall = func(context.Context) error {
		removed = true
		return ts.agent().Close()
	}
	tb := testToolbar(t, "en", options{name: "Zoé", setup: ts.unattendedSetup})
	if !tb.accessBtn.Visible() {
		t.Fatal("no Unattended access… on the form where it is built")
	}
	// Not set up yet: the window says so, and nothing can be done.
	test.Tap(tb.accessBtn)
	aw := tb.access
	poll(t, tb, "the first answer", func() bool { return !aw.busy })
	if aw.state.Text != lang.L("access.not_set_up") || !aw.blockBtn.Disabled() {
		t.Fatalf("before set-up: %q, Block enabled %v", aw.state.Text, !aw.blockBtn.Disabled())
	}

	if err := ts.install(t.Context()); err != nil {
		t.Fatal(err)
	}
	tech, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ad, err := unattended.DialAdmin(t.Context(), ts.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	if err := ad.SetUp(tech.ID(), "Alice", "a first good password", ""); err != nil {
		t.Fatal(err)
	}
	aw.reload()
	poll(t, tb, "the agent's state", func() bool { return aw.known && !aw.busy })
	if aw.state.Text != lang.L("access.allowed") || uitest.FindLabelFunc(aw.techs, func(l *widget.Label) bool {
		return strings.HasPrefix(l.Text, "Alice (ID ")
	}) == nil {
		t.Fatalf("state %q; the list does not show Alice", aw.state.Text)
	}
	if uitest.FindLabelFunc(aw.log, func(l *widget.Label) bool {
		return strings.HasSuffix(l.Text, "Alice · "+lang.L("access.event.set-up"))
	}) == nil {
		t.Fatal("the log does not show the set-up")
	}

	// Block, then allow.
	test.Tap(aw.blockBtn)
	poll(t, tb, "blocking", func() bool { return !aw.busy })
	if !ts.agent().Computer().Blocked() || aw.state.Text != lang.L("access.blocked") || aw.message.Text != lang.L("access.now_blocked") ||
		aw.blockBtn.Text != lang.L("access.allow") {
		t.Fatalf("after Block: agent blocked %v, state %q, message %q", ts.agent().Computer().Blocked(), aw.state.Text, aw.message.Text)
	}
	test.Tap(aw.blockBtn)
	poll(t, tb, "allowing", func() bool { return !aw.busy })
	if ts.agent().Computer().Blocked() {
		t.Fatal("Allow did not reach the agent")
	}

	// A weak password is refused here; a good one replaces the old one at once.
	test.Type(aw.pw, "weak")
	test.Type(aw.again, "weak")
	test.Tap(aw.changeBtn)
	if aw.message.Text != lang.L("unattended.weak_password") {
		t.Fatalf("weak password: %q", aw.message.Text)
	}
	aw.pw.SetText("the second good password")
	aw.again.SetText("the second good password")
	test.Tap(aw.changeBtn)
	poll(t, tb, "the new password", func() bool { return !aw.busy })
	if aw.message.Text != lang.L("access.password_changed") || aw.pw.Text != "" {
		t.Fatalf("after Change password: %q", aw.message.Text)
	}
	if err := unattended.Open(t.Context(), unattended.Target{Addr: ts.agent().Addr().String(), ID: ts.agent().Computer().ID(),
		Secret: unattended.Secret("a first good password", ts.agent().Computer().ID())}, tech, "Alice", "tandem://join?addr=127.0.0.1:1&key=123456789"); protocol.CodeOf(err) != protocol.PasswordChanged {
		t.Fatalf("the old password after the change: %v", err)
	}

	// Remove the technician.
	test.Tap(uitest.FindButton(aw.techs, lang.L("access.remove_technician")))
	uitest.Answer(t, aw.win, lang.L("Yes"))
	poll(t, tb, "the removal", func() bool { return !aw.busy })
	if st := ts.agent().Computer().Status(); len(st.Technicians) != 0 {
		t.Fatalf("still on the list: %+v", st.Technicians)
	}

	// Remove unattended access.
	test.Tap(aw.removeBtn)
	uitest.Answer(t, aw.win, lang.L("Yes"))
	poll(t, tb, "removing unattended access", func() bool { return !aw.busy })
	if !removed || aw.message.Text != lang.L("access.removed") || aw.state.Text != lang.L("access.not_set_up") {
		t.Fatalf("after Remove: uninstalled %v, message %q, state %q", removed, aw.message.Text, aw.state.Text)
	}
}

// Every event of the access log is said in both languages.
func TestEveryAccessLogEventIsTranslated(t *testing.T) {
	events := []unattended.Event{unattended.EventConnected, unattended.EventWrongPassword, unattended.EventLocked,
		unattended.EventRefusedBlocked, unattended.EventRefusedLocked, unattended.EventRefusedUnknown, unattended.EventRefusedMore,
		unattended.EventNobodyLoggedIn, unattended.EventSessionEnded, unattended.EventViewed, unattended.EventControlled,
		unattended.EventFileSent, unattended.EventFileReceived, unattended.EventSetUp, unattended.EventBlocked,
		unattended.EventUnblocked, unattended.EventPasswordChanged, unattended.EventRemoved}
	for _, l := range i18n.Languages {
		b, err := i18n.Bundle(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if b["access.event."+string(e)] == "" {
				t.Errorf("%s: no words for the log's %q", l, e)
			}
		}
	}
}
