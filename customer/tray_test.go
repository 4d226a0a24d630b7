package main

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

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
	menu.Items[4].Action()
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
	s.untilIndicator(t, lang.L("customer.viewing", alice))
	if trayItems(menu)[takeBack] {
		t.Fatal("Take back control still offered in the tray after it was taken back")
	}

	// Stop screen sharing from the tray; then End session asks in the toolbar.
	menu.Items[3].Action()
	waitHost(t, s.h, func(e session.SharingChanged) bool { return !e.On })
	s.untilIndicator(t, lang.L("customer.not_shared"))
	if trayItems(menu)[stop] {
		t.Fatal("Stop screen sharing still offered after sharing stopped")
	}
	menu.Items[5].Action()
	uitest.Answer(t, s.win, lang.L("Yes"))
	s.waitState(t, stateEnded)
	items = trayItems(menu)
	if _, ok := items[lang.L("customer.tray_idle")]; !ok || items[end] || items[stop] || items[takeBack] {
		t.Fatalf("tray after the session: %v", items)
	}
}
