package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/ui"
)

// tray is the customer's menu in the desktop's system tray, where the desktop has one. Its first line says what
// the toolbar's indicator says, and it keeps Show, Stop screen sharing, Take back control and End session one
// click away when the toolbar is behind other windows. Quit, at the end, asks first during a session.
type tray struct {
	set                                func(*fyne.Menu) // installs (again) the menu; nil without a tray
	menu                               *fyne.Menu
	state, show, stop, takeBack, endIt *fyne.MenuItem
	send, status                       *fyne.MenuItem // File transfer's two entries
	quit                               *fyne.MenuItem // in place of Fyne's own Quit, which would not ask
}

// buildTray installs the tray menu through opts.tray, or the desktop's tray when the app has one; without
// either, nothing (the toolbar alone then).
func (t *toolbar) buildTray() {
	set := t.opts.tray
	if set == nil {
		d, ok := t.app.(desktop.App)
		if !ok || !trayWorks() {
			return
		}
		if icon := ui.AppIcon(); icon != nil {
			d.SetSystemTrayIcon(icon)
		}
		set = d.SetSystemTrayMenu
	}
	tr := &t.tray
	tr.set = set
	tr.state = fyne.NewMenuItem(lang.L("customer.tray_idle"), nil)
	tr.state.Disabled = true
	tr.show = fyne.NewMenuItem(lang.L("customer.tray_show"), func() {
		t.win.Show()
		t.win.RequestFocus()
	})
	tr.stop = fyne.NewMenuItem(lang.L("customer.stop_sharing"), t.stopSharing)
	tr.takeBack = fyne.NewMenuItem(lang.L("customer.take_back", map[string]any{"Shortcut": shortcutText()}), t.takeBack)
	tr.send = fyne.NewMenuItem(lang.L("transfers.send", map[string]any{"Name": ""}), func() {
		t.win.Show()
		t.win.RequestFocus()
		t.pickFiles(t.leader, false) // the tray names the technician who leads the session
	})
	tr.status = fyne.NewMenuItem(lang.L("transfers.display_status"), t.showTransfers)
	tr.endIt = fyne.NewMenuItem(lang.L("customer.end_session"), func() {
		t.win.Show()
		t.win.RequestFocus()
		t.confirmEnd()
	})
	// Fyne adds a Quit that quits at once unless the menu ends with one of its own: this one asks the End
	// session question during a session, and does the removal the technician asked for, as closing does.
	tr.quit = fyne.NewMenuItem(lang.L("customer.quit"), func() {
		t.win.Show()
		t.win.RequestFocus()
		t.closeRequested()
	})
	tr.quit.IsQuit = true
	items := []*fyne.MenuItem{tr.state, fyne.NewMenuItemSeparator(), tr.show, tr.stop, tr.takeBack, tr.send, tr.status,
		tr.endIt, fyne.NewMenuItemSeparator()}
	if t.opts.setup != nil {
		items = append(items, fyne.NewMenuItem(lang.L("access.open"), t.showAccess))
	}
	tr.menu = fyne.NewMenu(lang.L("customer.title"), append(items, tr.quit)...)
	t.refreshTray()
}

// refreshTray brings the tray menu in line with the toolbar: the indicator's words, and the actions that can be
// taken now.
func (t *toolbar) refreshTray() {
	tr := &t.tray
	if tr.set == nil {
		return
	}
	inSession := t.guest != nil
	if inSession {
		tr.state.Label = t.indicatorText()
	} else {
		tr.state.Label = lang.L("customer.tray_idle")
	}
	tr.stop.Disabled = !inSession || !t.sharing && !t.paused
	tr.takeBack.Disabled = !inSession || !t.controlled
	tr.send.Label = lang.L("transfers.send", map[string]any{"Name": t.techName})
	tr.send.Disabled = !inSession
	tr.status.Disabled = t.files.list == nil // no session yet: nothing to show
	tr.endIt.Disabled = !inSession
	tr.set(tr.menu)
}
