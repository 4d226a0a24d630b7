package main

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// trayItem returns the tray menu's item labelled label.
func trayItem(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("the tray menu has no %q", label)
	return nil
}

// trayItems are the tray menu's items as shown: label and whether it can be chosen.
func trayItems(m *fyne.Menu) map[string]bool {
	out := map[string]bool{}
	for _, it := range m.Items {
		if !it.IsSeparator {
			out[it.Label] = !it.Disabled
		}
	}
	return out
}

func TestTrayMenuFollowsTheSessionAndActs(t *testing.T) {
	var menu *fyne.Menu
	s := joinLive(t, "en", options{tray: func(m *fyne.Menu) { menu = m }})
	if menu == nil {
		t.Fatal("no tray menu")
	}
	alice := map[string]any{"Name": "Alice"}
	takeBack := lang.L("customer.take_back", map[string]any{"Shortcut": shortcutText()})
	stop, end := lang.L("customer.stop_sharing"), lang.L("customer.end_session")
	items := trayItems(menu)
	if _, ok := items[lang.L("customer.viewing", alice)]; !ok || !items[stop] || items[takeBack] || !items[end] ||
		!items[lang.L("customer.tray_show")] {
		t.Fatalf("tray while viewed: %v", items)
	}

	// Under control, Take back control works from the tray.
	s.grantControl(t)
	items = trayItems(menu)
	if _, ok := items[lang.L("customer.controlling", alice)]; !ok || !items[takeBack] {
		t.Fatalf("tray while controlled: %v", items)
	}
	trayItem(t, menu, takeBack).Action()
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
	s.untilIndicator(t, lang.L("customer.viewing", alice))
	if trayItems(menu)[takeBack] {
		t.Fatal("Take back control still offered in the tray after it was taken back")
	}

	// Stop screen sharing from the tray; then End session asks in the toolbar.
	trayItem(t, menu, stop).Action()
	waitHost(t, s.h, func(e session.SharingChanged) bool { return !e.On })
	s.untilIndicator(t, lang.L("customer.not_shared"))
	if trayItems(menu)[stop] {
		t.Fatal("Stop screen sharing still offered after sharing stopped")
	}
	send := trayItem(t, menu, lang.L("transfers.send", alice))
	if send.Disabled {
		t.Fatal("Send files is not offered in the tray during the session")
	}
	trayItem(t, menu, lang.L("transfers.display_status")).Action()
	if s.files.listWin == nil {
		t.Fatal("Display status in the tray opened no status window")
	}
	trayItem(t, menu, end).Action()
	uitest.Answer(t, s.win, lang.L("Yes"))
	s.waitState(t, stateEnded)
	items = trayItems(menu)
	if _, ok := items[lang.L("customer.tray_idle")]; !ok || items[end] || items[stop] || items[takeBack] {
		t.Fatalf("tray after the session: %v", items)
	}
}

// The tray's Quit is the program's own (Fyne's would quit at once): during a session it asks the End session
// question, and on Yes ends the session, cutting the technician off, and closes.
func TestTrayQuitAsksDuringASession(t *testing.T) {
	var menu *fyne.Menu
	s := joinLive(t, "fr", options{tray: func(m *fyne.Menu) { menu = m }})
	quit := menu.Items[len(menu.Items)-1]
	if !quit.IsQuit || quit.Label != "Quitter" || quit.Action == nil {
		t.Fatalf("the tray's last item is %q (IsQuit %v): Fyne would add its own Quit", quit.Label, quit.IsQuit)
	}
	closed := watchClose(s.shown)
	quit.Action()
	s.untilDialog(t, lang.L("customer.end_question"))
	uitest.Answer(t, s.win, lang.L("No"))
	if s.guest == nil || *closed {
		t.Fatal("No to Quit ended the session")
	}
	quit.Action()
	s.untilDialog(t, lang.L("customer.end_question"))
	uitest.Answer(t, s.win, lang.L("Yes"))
	s.waitState(t, stateEnded)
	waitHost(t, s.h, func(e session.Ended) bool { return protocol.CodeOf(e.Err) == protocol.SessionEnded })
	s.loop.Until(t, 10*time.Second, "the toolbar to close", func() bool { return *closed })
}
