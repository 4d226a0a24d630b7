package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui"
)

// techScreen is the window that shows a technician's screen while (and only while) they share it; each
// technician who shares has one. The customer only sees it: nothing typed or clicked in it reaches the
// technician's computer. Closing it stops the stream (the technician is told); the session goes on. Its fields
// belong to the UI goroutine.
type techScreen struct {
	t       *toolbar
	g       *session.Guest
	sharer  protocol.ParticipantID
	win     fyne.Window
	screen  *ui.RemoteScreen
	stop    *widget.Button // the toolbar's Stop screen sharing, at hand
	chat    *widget.Button // opens the toolbar's chat
	files   *widget.Button // opens the file transfer status
	quality *widget.Select // Prefer speed or Prefer quality, for every technician's screen
	note    *widget.Label
	state   *widget.Label   // how the link to the technician goes and how exact the picture is
	picture session.Picture // how exact the picture was when state was last written
	ticks   func()          // stops rewriting state (ui.Every)
}

// preferQualityKey keeps the customer's choice between speed and exactness for the technicians' screens.
const preferQualityKey = "prefer_quality"

// techScreenChanged opens or closes a technician's window as they start or stop sharing their screen.
func (t *toolbar) techScreenChanged(g *session.Guest, e session.TechnicianScreenChanged) {
	if t.guest != g {
		return
	}
	sharer := e.Sharer
	if sharer == 0 {
		sharer = session.TechnicianID
	}
	if !e.On {
		t.closeTechScreen(sharer)
		return
	}
	if t.screens[sharer] != nil {
		return
	}
	ts := &techScreen{t: t, g: g, sharer: sharer}
	if t.screens == nil {
		t.screens = map[protocol.ParticipantID]*techScreen{}
	}
	t.screens[sharer] = ts
	args := map[string]any{"Name": t.techState(sharer).name}
	ts.win = t.app.NewWindow(lang.L("customer.tech_screen_title", args))
	ts.screen = ui.NewRemoteScreen() // never given control: it only shows
	ts.stop = widget.NewButtonWithIcon(lang.L("customer.stop_sharing"), theme.VisibilityOffIcon(), t.stopSharing)
	ts.note = widget.NewLabel(lang.L("customer.tech_screen_note", args))
	ts.note.Wrapping = fyne.TextWrapWord
	ts.chat = widget.NewButtonWithIcon(lang.L("chat.title"), theme.MailComposeIcon(), func() {
		t.openChat()
		t.win.Show()
		t.win.RequestFocus()
	})
	ts.files = widget.NewButtonWithIcon(lang.L("transfers.menu_short"), theme.FolderIcon(), func() {
		t.filesMenu(ts.win.Canvas(), ts.files)
	})
	ts.quality = t.newQualitySelect(g)
	ts.state = widget.NewLabelWithStyle(lang.L("quality.waiting"), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	ts.state.Truncation = fyne.TextTruncateEllipsis // the bar keeps to the window's width
	bar := container.NewBorder(nil, ts.state, nil, container.NewHBox(ts.quality, ts.stop, ts.chat, ts.files), ts.note)
	ts.win.SetContent(container.NewBorder(nil, container.NewPadded(bar), nil, nil, ts.screen))
	ts.win.Resize(fyne.NewSize(960, 640))
	ts.win.SetOnClosed(func() {
		ts.ticks()
		if t.screens[sharer] == ts { // closed by the customer, not by the end of the sharing
			delete(t.screens, sharer)
			t.act(func() { g.CloseTechnicianScreen(sharer) })
		}
	})
	ts.paint(nil)
	ts.showQuality()
	ts.ticks = ui.Every(ui.QualityEvery, t.opts.do, ts.showQuality)
	t.showLive()
	ts.win.Show()
}

// showQuality writes under the note how the link to the technician goes (route, rate, round trip) and whether
// the picture of their screen is exact, sharpening, or has a moving video shown lossy.
func (ts *techScreen) showQuality() {
	r, q := ts.g.TechnicianQuality(ts.sharer)
	ts.state.SetText(ui.RouteQualityText(r, q))
	ts.picture = q.Picture
}

// newQualitySelect builds the choice between speed and quality for the technicians' screens
// (ui.NewQualitySelect), as the technician has for the customer's screen, kept for the next sessions. Every
// technician's window shows the same choice.
func (t *toolbar) newQualitySelect(g *session.Guest) *widget.Select {
	var sel *widget.Select
	sel = ui.NewQualitySelect(g.PreferQuality(), lang.L("customer.quality_no_video"), func(exact bool) {
		t.act(func() { g.SetPreferQuality(exact) })
		t.app.Preferences().SetBool(preferQualityKey, exact)
		for _, other := range t.screens {
			if other.quality != sel && other.quality.Selected != sel.Selected {
				other.quality.SetSelected(sel.Selected)
			}
		}
	})
	return sel
}

// closeTechScreen closes the window of technician sharer's screen, if open, without telling them (their
// sharing has ended).
func (t *toolbar) closeTechScreen(sharer protocol.ParticipantID) {
	if ts := t.screens[sharer]; ts != nil {
		delete(t.screens, sharer)
		ts.ticks()
		ts.win.Close()
	}
}

// closeTechScreens closes every technician's screen window (the session is over).
func (t *toolbar) closeTechScreens() {
	for id := range t.screens {
		t.closeTechScreen(id)
	}
}

// paint copies the changed regions (nil: all) of the technician's screen to the window.
func (ts *techScreen) paint(changed []codec.Rect) {
	ts.g.TechnicianScreen(ts.sharer, func(f codec.Frame) { ts.screen.SetFrame(f, changed) })
	if _, q := ts.g.TechnicianQuality(ts.sharer); q.Picture != ts.picture && ts.state != nil {
		ts.showQuality() // lossy → exact at once; the figures every ui.QualityEvery
	}
}

// pointer moves the technician's pointer in the window.
func (ts *techScreen) pointer(e session.PointerMoved) {
	ts.screen.SetPointer(e.X, e.Y, e.Visible, e.Shape)
}

// screenOf returns the window of technician sharer's screen (0: the one who started the session), nil if none.
func (t *toolbar) screenOf(sharer protocol.ParticipantID) *techScreen {
	if sharer == 0 {
		sharer = session.TechnicianID
	}
	return t.screens[sharer]
}
