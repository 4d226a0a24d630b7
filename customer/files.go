package main

import (
	"context"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/ui"
)

// files is the toolbar's file transfer: Send files to the technician, the status window listing every transfer
// both ways, and the question an incoming offer raises. Its fields belong to the UI goroutine.
type files struct {
	menuBtn *widget.Button   // File transfer: a menu with Send files to … and Display status
	list    *ui.TransferList // this session's transfers; kept until the next session
	listWin fyne.Window      // nil while closed
	offers  map[transfer.ID]dialog.Dialog
	// pickCtx ends the file dialogs of the session (the desktop's own ones wait for an answer); pickEnd ends it.
	pickCtx context.Context
	pickEnd context.CancelFunc
}

func (t *toolbar) buildFiles() {
	t.files.offers = map[transfer.ID]dialog.Dialog{}
	t.files.menuBtn = widget.NewButtonWithIcon(lang.L("transfers.menu_short"), theme.FolderIcon(), func() {
		t.filesMenu(t.win.Canvas(), t.files.menuBtn)
	})
	t.files.menuBtn.Hide()
}

// startFiles readies file transfer for a session with the technician named name.
func (t *toolbar) startFiles(name string) {
	t.files.menuBtn.Show() // and it stays after the session, for the status window
	t.files.pickCtx, t.files.pickEnd = context.WithCancel(context.Background())
	t.files.list = ui.NewTransferList(name, func(id transfer.ID) {
		if g := t.guest; g != nil {
			t.act(func() { _ = g.Files().Cancel(id) })
		}
	})
	if w := t.files.listWin; w != nil {
		w.SetContent(t.files.list)
	}
}

// stopFiles withdraws the questions of a session that is over; the status window stays readable.
func (t *toolbar) stopFiles() {
	if t.files.pickEnd != nil {
		t.files.pickEnd() // an open file dialog goes away
	}
	for id, d := range t.files.offers {
		delete(t.files.offers, id)
		d.Hide()
	}
}

// filesMenu shows the File transfer menu under the button b of canvas c (the toolbar's, or the technician's
// screen window's) and returns it: Send files to the technician while a session runs, and Display status.
func (t *toolbar) filesMenu(c fyne.Canvas, b *widget.Button) *fyne.Menu {
	var items []*fyne.MenuItem
	techs := t.sortedTechs()
	if len(techs) == 0 { // no session: the entry says what it would do, greyed out
		techs = []*techState{{id: t.leader, name: t.techName}}
	}
	for _, st := range techs { // per technician: Send files to Alice…, Send a folder to Alice…
		send := fyne.NewMenuItem(lang.L("transfers.send", map[string]any{"Name": st.name}), func() { t.pickFiles(st.id, false) })
		folder := fyne.NewMenuItem(lang.L("transfers.send_folder", map[string]any{"Name": st.name}), func() { t.pickFiles(st.id, true) })
		send.Disabled, folder.Disabled = t.guest == nil, t.guest == nil
		items = append(items, send, folder)
	}
	status := fyne.NewMenuItem(lang.L("transfers.display_status"), t.showTransfers)
	menu := fyne.NewMenu("", append(items, status)...)
	ui.ShowMenuUnder(c, b, menu)
	return menu
}

// pickers are the toolbar's file dialogs for the session under way.
func (t *toolbar) pickers() ui.Pickers {
	return ui.Pickers{Win: t.win, Ctx: t.files.pickCtx, Do: t.opts.do, Spawn: t.act, Show: t.showDialog}
}

// pickFiles asks for files (several at once) or folders to send to technician tech, in the desktop's own dialog
// where there is one.
func (t *toolbar) pickFiles(tech protocol.ParticipantID, folders bool) {
	g := t.guest
	if g == nil {
		return
	}
	t.pickers().ToSend(t.techState(tech).name, folders, func(paths []string) {
		if t.guest == g {
			t.sendFile(tech, paths...)
		}
	})
}

// sendFile offers files or folders, in one transfer, to technician tech and shows the status window.
func (t *toolbar) sendFile(tech protocol.ParticipantID, paths ...string) {
	g := t.guest
	if g == nil || len(paths) == 0 {
		return
	}
	t.showTransfers()
	t.act(func() {
		if _, err := g.FilesWith(tech).Send(paths...); err != nil {
			t.opts.do(func() {
				if t.guest == g {
					t.status.SetText(lang.L("transfers.send_failed", map[string]any{"Reason": ui.ErrorText(err)}))
				}
			})
		}
	})
}

// dropped sends what was dropped on the toolbar to the technician who leads the session, in one transfer
// (nothing outside a session).
func (t *toolbar) dropped(uris []fyne.URI) {
	t.sendFile(t.leader, ui.DroppedPaths(uris)...)
}

// showTransfers opens the status window.
func (t *toolbar) showTransfers() {
	if t.files.list == nil {
		return
	}
	if w := t.files.listWin; w != nil {
		w.Show()
		w.RequestFocus()
		return
	}
	w := t.app.NewWindow(lang.L("transfers.title"))
	t.files.listWin = w
	w.SetContent(t.files.list)
	w.Resize(fyne.NewSize(520, 360))
	w.SetOnClosed(func() {
		if t.files.listWin == w {
			t.files.listWin = nil
		}
	})
	w.Show()
}

// fileEvent takes in a transfer event: into the list, and an offer from the technician becomes a question.
func (t *toolbar) fileEvent(g *session.Guest, e session.FileTransfer) {
	if t.guest != g || t.files.list == nil {
		return
	}
	name := t.techState(e.Tech).name
	t.files.list.ApplyWith(e.Event, name)
	switch te := e.Event.(type) {
	case transfer.OfferReceived:
		switch {
		case e.Resumed:
		case !g.AsksTheUser(): // unattended, nobody there to answer: into the Downloads folder, as said
			dir := downloadsFolder()
			t.status.SetText(lang.L("unattended.files_saved", map[string]any{"Name": name, "Folder": dir}))
			t.acceptOffer(g, te.ID, dir)
		default:
			t.askOffer(g, te, name)
		}
	case transfer.Answered, transfer.Finished:
		if d, ok := t.files.offers[te.Transfer()]; ok {
			delete(t.files.offers, te.Transfer())
			d.Hide() // answered, or cancelled by the technician meanwhile
		}
	}
}

// askOffer asks the customer whether to take the files of the technician named name (Save or Decline), then
// where to put them.
func (t *toolbar) askOffer(g *session.Guest, o transfer.OfferReceived, name string) {
	decline := func() { t.act(func() { _ = g.Files().Decline(o.ID) }) }
	d := ui.OfferDialog(name, o, t.win, func(save bool) {
		if _, open := t.files.offers[o.ID]; !open {
			return // withdrawn meanwhile
		}
		delete(t.files.offers, o.ID)
		if !save {
			decline()
			return
		}
		t.pickers().SaveFolder(func(dir string) {
			if t.guest != g {
				return
			}
			if dir == "" {
				decline()
				return
			}
			t.acceptOffer(g, o.ID, dir)
		})
	})
	t.files.offers[o.ID] = d
	t.win.Show()
	t.win.RequestFocus()
	t.showDialog(d)
}

// acceptOffer takes the technician's files into dir, and says why not when it cannot (a folder too small: the
// offer stays open and the question comes back).
func (t *toolbar) acceptOffer(g *session.Guest, id transfer.ID, dir string) {
	t.showTransfers()
	t.act(func() {
		if err := g.Files().Accept(id, dir); err != nil {
			t.opts.do(func() {
				if t.guest == g {
					t.status.SetText(lang.L("transfers.accept_failed", map[string]any{"Reason": ui.ErrorText(err)}))
				}
			})
		}
	})
}

// downloadsFolder is where an unattended session's incoming files go: the user's Downloads folder (the desktop's
// XDG_DOWNLOAD_DIR when set), or the home folder when there is none.
func downloadsFolder() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	for _, dir := range []string{os.Getenv("XDG_DOWNLOAD_DIR"), filepath.Join(home, "Downloads")} {
		if fi, err := os.Stat(dir); dir != "" && err == nil && fi.IsDir() {
			return dir
		}
	}
	return home
}
