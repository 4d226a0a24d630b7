package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/picker"
	"github.com/tandem-remote/tandem/shared/transfer"
)

// Pickers are the file dialogs of a window: the desktop's own where it has one (picker), Fyne's otherwise. The
// desktop's dialog blocks until the person answers, so it is asked from a goroutine that Spawn starts (and its
// owner waits for); Ctx ends it (the session ended, the window closed). Show shows a Fyne dialog (the
// customer's toolbar grows for it). Use it on the UI goroutine.
type Pickers struct {
	Win   fyne.Window
	Ctx   context.Context
	Do    func(func())        // runs a function on the UI goroutine
	Spawn func(func())        // starts a goroutine whose owner waits for it
	Show  func(dialog.Dialog) // nil: d.Show()
}

func (p Pickers) show(d dialog.Dialog) {
	if p.Show != nil {
		p.Show(d)
		return
	}
	d.Show()
}

// parent names the window for the portal ("x11:XID"), so that the dialog opens over it.
func (p Pickers) parent() string {
	nw, ok := p.Win.(driver.NativeWindow)
	if !ok {
		return ""
	}
	var id string
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.X11WindowContext); ok {
			id = fmt.Sprintf("x11:%x", c.WindowHandle)
		}
	})
	return id
}

// ToSend asks for files (several at once) or folders to send to name, and hands their paths to send on the UI
// goroutine; nothing when the person cancels.
func (p Pickers) ToSend(name string, folders bool, send func(paths []string)) {
	title := lang.L("transfers.send", map[string]any{"Name": name})
	if folders {
		title = lang.L("transfers.send_folder", map[string]any{"Name": name})
	}
	o := picker.Options{Parent: p.parent(), Title: title, Accept: lang.L("transfers.send_button")}
	p.Spawn(func() {
		paths, err := picker.OpenFiles(p.Ctx, o, folders)
		p.Do(func() {
			switch {
			case p.Ctx.Err() != nil:
			case errors.Is(err, picker.ErrUnavailable):
				p.fyneOpen(name, folders, send)
			case err != nil:
				fyne.LogError("file dialog", err)
			case len(paths) > 0:
				send(paths)
			}
		})
	})
}

// fyneOpen is Fyne's dialog, one file or one folder at a time.
func (p Pickers) fyneOpen(name string, folders bool, send func([]string)) {
	if folders {
		d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				send([]string{u.Path()})
			}
		}, p.Win)
		d.SetConfirmText(lang.L("transfers.send_button"))
		d.SetTitleText(lang.L("transfers.send_folder", map[string]any{"Name": name}))
		p.show(d)
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		_ = r.Close()
		send([]string{path})
	}, p.Win)
	d.SetConfirmText(lang.L("transfers.send_button"))
	d.SetTitleText(lang.L("transfers.send", map[string]any{"Name": name}))
	p.show(d)
}

// SaveFolder asks where to save, and hands the folder to save on the UI goroutine ("" when the person
// cancelled: decline then).
func (p Pickers) SaveFolder(save func(dir string)) {
	o := picker.Options{Parent: p.parent(), Title: lang.L("transfers.save_title"), Accept: lang.L("transfers.save_here")}
	p.Spawn(func() {
		dir, err := picker.ChooseFolder(p.Ctx, o)
		p.Do(func() {
			switch {
			case p.Ctx.Err() != nil:
			case errors.Is(err, picker.ErrUnavailable):
				d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
					if err != nil || u == nil {
						save("")
						return
					}
					save(u.Path())
				}, p.Win)
				d.SetConfirmText(lang.L("transfers.save_here"))
				d.SetTitleText(lang.L("transfers.save_title"))
				p.show(d)
			case err != nil:
				fyne.LogError("folder dialog", err)
				save("")
			default:
				save(dir)
			}
		})
	})
}

// OfferDialog is the question an incoming offer raises: "Incoming files from Alice: report.pdf (2.1 MB)", with
// Save and Decline. answer gets true for Save.
func OfferDialog(from string, o transfer.OfferReceived, w fyne.Window, answer func(save bool)) dialog.Dialog {
	what := lang.L("transfers.files", map[string]any{"Count": len(o.Files)})
	if len(o.Files) == 1 {
		what = o.Files[0].Name
	}
	text := widget.NewLabel(lang.L("transfers.incoming", map[string]any{"Name": from, "What": what, "Size": Bytes(o.Total)}))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("transfers.offer_title"), lang.L("transfers.save"), lang.L("transfers.decline"),
		text, answer, w)
	d.Resize(fyne.NewSize(420, 0))
	return d
}
