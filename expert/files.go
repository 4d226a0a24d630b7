package main

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/ui"
)

// File transfer in the viewer: Send files to the customer, the status window, and the question an incoming
// offer raises (where to save it: asked each time, or the folder of the preferences).

// filesMenu shows the File transfer menu under its button.
func (v *viewer) filesMenu() {
	if v.win == nil {
		return
	}
	send := fyne.NewMenuItem(lang.L("transfers.send", map[string]any{"Name": v.name}), func() { v.pickFiles(false) })
	folder := fyne.NewMenuItem(lang.L("transfers.send_folder", map[string]any{"Name": v.name}), func() { v.pickFiles(true) })
	send.Disabled = v.ended || v.reconnecting || !v.home.prefs.AllowFiles
	folder.Disabled = send.Disabled
	status := fyne.NewMenuItem(lang.L("transfers.display_status"), v.showTransfers)
	ui.ShowMenuUnder(v.win.Canvas(), v.filesBtn, fyne.NewMenu("", send, folder, status))
}

// transfers returns the session's transfer list, made on first use (it outlives the viewer window).
func (v *viewer) transfers() *ui.TransferList {
	if v.list == nil {
		v.list = ui.NewTransferList(v.name, func(id transfer.ID) {
			v.act(func() error { return v.host.Files().Cancel(id) }, func(error) {})
		})
	}
	return v.list
}

// pickers are the session's file dialogs: the desktop's own ones wait for an answer on goroutines that end
// with the session (end) and that shutdown waits for (wait). The UI goroutine uses it.
type pickers struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (p *pickers) end() {
	if p.cancel != nil {
		p.cancel()
	}
}

func (p *pickers) wait() { p.wg.Wait() }

// pickers returns the viewer's file dialogs (while its window is open).
func (v *viewer) pickers() ui.Pickers {
	if v.picks.ctx == nil {
		v.picks.ctx, v.picks.cancel = context.WithCancel(context.Background())
	}
	return ui.Pickers{Win: v.win, Ctx: v.picks.ctx, Do: v.home.opts.do, Spawn: func(f func()) { v.picks.wg.Go(f) }}
}

// pickFiles asks for files (several at once) or folders to send to the customer, in the desktop's own dialog
// where there is one.
func (v *viewer) pickFiles(folders bool) {
	if v.win == nil || v.ended {
		return
	}
	v.pickers().ToSend(v.name, folders, func(paths []string) { v.sendFile(paths...) })
}

// dropped sends what was dropped on the viewer to the customer, in one transfer.
func (v *viewer) dropped(uris []fyne.URI) { v.sendFile(ui.DroppedPaths(uris)...) }

// sendFile offers files or folders, in one transfer, to the customer and shows the status window.
func (v *viewer) sendFile(paths ...string) {
	if len(paths) == 0 || v.ended || v.reconnecting || !v.home.prefs.AllowFiles {
		return
	}
	v.showTransfers()
	v.act(func() error {
		_, err := v.host.Files().Send(paths...)
		return err
	}, func(err error) {
		v.note = lang.L("transfers.send_failed", map[string]any{"Reason": ui.ErrorText(err)})
	})
}

// showTransfers opens the status window.
func (v *viewer) showTransfers() {
	if w := v.listWin; w != nil {
		w.Show()
		w.RequestFocus()
		return
	}
	w := v.home.app.NewWindow(lang.L("transfers.title"))
	v.listWin = w
	w.SetContent(v.transfers())
	w.Resize(fyne.NewSize(520, 360))
	w.SetOnClosed(func() {
		if v.listWin == w {
			v.listWin = nil
		}
	})
	w.Show()
}

// fileEvent takes in a transfer event.
func (v *viewer) fileEvent(e session.FileTransfer) {
	v.transfers().Apply(e.Event)
	switch te := e.Event.(type) {
	case transfer.OfferReceived:
		if e.Resumed {
			return
		}
		if !v.home.prefs.AllowFiles {
			v.act(func() error { return v.host.Files().Decline(te.ID) }, func(error) {})
			return
		}
		v.askOffer(te)
	case transfer.Answered, transfer.Finished:
		if d, ok := v.offers[te.Transfer()]; ok {
			delete(v.offers, te.Transfer())
			d.Hide()
		}
	}
}

// askOffer asks the technician whether to take the customer's files (Save or Decline), and where (unless the
// preferences name the folder).
func (v *viewer) askOffer(o transfer.OfferReceived) {
	if v.win == nil {
		v.open() // an offer brings the viewer back
	}
	if v.offers == nil {
		v.offers = map[transfer.ID]dialog.Dialog{}
	}
	decline := func() { v.act(func() error { return v.host.Files().Decline(o.ID) }, func(error) {}) }
	d := ui.OfferDialog(v.name, o, v.win, func(save bool) {
		if _, open := v.offers[o.ID]; !open {
			return
		}
		delete(v.offers, o.ID)
		if !save {
			decline()
			return
		}
		if !v.home.prefs.AskWhere && v.home.prefs.DownloadDir != "" {
			v.acceptOffer(o.ID, v.home.prefs.DownloadDir)
			return
		}
		v.pickers().SaveFolder(func(dir string) {
			if v.ended {
				return
			}
			if dir == "" {
				decline()
				return
			}
			v.acceptOffer(o.ID, dir)
		})
	})
	v.offers[o.ID] = d
	d.Show()
}

// acceptOffer takes the customer's files into dir.
func (v *viewer) acceptOffer(id transfer.ID, dir string) {
	v.showTransfers()
	v.act(func() error { return v.host.Files().Accept(id, dir) }, func(err error) {
		v.note = lang.L("transfers.accept_failed", map[string]any{"Reason": ui.ErrorText(err)})
	})
}
