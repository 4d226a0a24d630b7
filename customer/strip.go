package main

import (
	"errors"
	"image"
	"log"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"github.com/tandem-remote/tandem/shared/ui"
)

// Where the strip was last left on the screen, kept between sessions (screen pixels).
const (
	stripXPref = "strip_x"
	stripYPref = "strip_y"
	stripSet   = "strip_placed"
)

// fitWindow gives the window the size its arrangement needs, shrinking as well as growing: the join form at
// its fixed width (wrapped text), the strip at its row's width, taller while the chat pane is open.
func (t *toolbar) fitWindow() {
	c := t.win.Content()
	var size fyne.Size
	if t.inStrip {
		size = c.MinSize()
	} else {
		c.Resize(fyne.NewSize(formWidth, c.MinSize().Height)) // so that wrapped text knows its width
		size = fyne.NewSize(formWidth, c.MinSize().Height)
	}
	for d := range t.dialogs { // a question needs room: the strip grows while it is open
		size = size.Max(d.MinSize().Add(fyne.NewSquareSize(4 * theme.Padding())))
	}
	if t.win.Padded() {
		size = size.Add(fyne.NewSquareSize(2 * theme.Padding()))
	}
	t.size = size
	t.win.Resize(size)
}

// showDialog shows d over the toolbar, which grows to hold it while it is open (the strip is one row) and
// takes its own size back once it is closed.
func (t *toolbar) showDialog(d dialog.Dialog) {
	if t.dialogs == nil {
		t.dialogs = map[dialog.Dialog]struct{}{}
	}
	t.dialogs[d] = struct{}{}
	d.SetOnClosed(func() {
		delete(t.dialogs, d)
		t.fitWindow()
	})
	d.Show() // first: a file dialog knows its size once shown
	t.fitWindow()
}

// sharedMonitor is the rectangle of the monitor the technician sees, in screen pixels.
func (t *toolbar) sharedMonitor() (image.Rectangle, bool) {
	if t.opts.screen == nil {
		return image.Rectangle{}, false
	}
	mons, err := t.opts.screen.Monitors()
	if err != nil {
		return image.Rectangle{}, false
	}
	for _, m := range mons {
		if m.Index == t.opts.monitor {
			return m.Bounds, true
		}
	}
	return image.Rectangle{}, false
}

// pixelSize is the window's size in screen pixels: the size fitWindow gave it last (the window system may
// apply it a moment later).
func (t *toolbar) pixelSize() image.Point {
	sz, scale := t.size, t.win.Canvas().Scale()
	if sz.IsZero() {
		sz = t.win.Canvas().Size()
	}
	return image.Pt(int(sz.Width*scale+0.5), int(sz.Height*scale+0.5))
}

// dock puts the strip where the customer last left it on the shared monitor, else at its top centre.
func (t *toolbar) dock() {
	mon, ok := t.sharedMonitor()
	if !ok {
		return
	}
	sz := t.pixelSize()
	p := ui.TopCentre(mon, sz)
	prefs := t.app.Preferences()
	if prefs.Bool(stripSet) {
		if saved := image.Pt(prefs.Int(stripXPref), prefs.Int(stripYPref)); ui.Within(mon, saved, sz) {
			p = saved
		}
	}
	if err := ui.MoveWindow(t.win, p); err != nil && !errors.Is(err, ui.ErrPlaceUnsupported) {
		log.Printf("placing the toolbar: %v", err)
	}
}

// rememberPlace keeps where the strip is now (the customer may have dragged it) for the next session.
func (t *toolbar) rememberPlace() {
	if !t.inStrip {
		return
	}
	p, err := ui.WindowPosition(t.win)
	if err != nil {
		return
	}
	prefs := t.app.Preferences()
	prefs.SetInt(stripXPref, p.X)
	prefs.SetInt(stripYPref, p.Y)
	prefs.SetBool(stripSet, true)
}
