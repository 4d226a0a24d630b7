package main

import (
	"context"
	"image/color"
	"log"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/report"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/ui"
)

// ask is where a request to the customer stands.
type ask int

const (
	askNone        ask = iota
	askWaiting         // sent; waiting for the customer's answer
	askGranted         // yes (for a view: the picture is on its way)
	askRefused         // the customer said no
	askExpired         // the customer did not answer in time
	askUnavailable     // the customer's computer cannot do it (its system did not allow it)
	askFailed          // the request could not be sent
)

// viewer is the technician's view of one session's customer screen: what is known of the session (kept for the
// whole session) and the window that shows it (nil while the technician has closed it; the home window's Show
// viewer opens it again). Use it on the UI goroutine only.
type viewer struct {
	home *home
	s    *hosted // the session on the home window
	host *session.Host
	name string
	peer session.Peer // the customer's program as it introduced itself

	sharing      bool // the customer shares the screen
	paused       bool // the technician stopped viewing (the customer still allows it)
	reconnecting bool // the connection dropped; the session is trying to get it back
	monitors     session.MonitorsChanged
	pointer      session.PointerMoved
	ownScreen    bool   // the technician's screen is shown to the customer
	ownBusy      bool   // Share my screen was pressed; TechnicianScreenChanged has not come yet
	ownNote      string // the outcome of the last Share my screen, said after the state
	shared       bool   // sharing has been on at least once (until then: connecting)
	painted      bool   // a picture has been shown since sharing (re)started
	viewAsk      ask    // the last Request view
	controlAsk   ask    // the last Request control
	controlled   bool   // the customer granted control
	releasing    bool   // Release control was pressed; ControlChanged has not come yet
	note         string // the outcome of the last control request or release, said after the state
	askErr       error  // why the last request could not be sent
	// unattendedAsk and unattendedNote are where Unattended access… stands, said after the state.
	unattendedAsk  ask
	unattendedNote string
	ended          bool
	endErr         error
	fit            bool // scaled to the window (else 1:1 with scroll bars); kept when the window reopens

	win           fyne.Window // nil while closed
	screen        *ui.RemoteScreen
	scroll        *container.Scroll
	veil          *canvas.Rectangle // dims the picture under overText
	overText      *widget.Label     // the state, over the picture while it is not live
	over          *fyne.Container
	fitBtn        *widget.Button
	fullBtn       *widget.Button
	viewBtn       *widget.Button
	monitorSel    *widget.Select
	qualitySel    *widget.Select // Prefer speed / Prefer quality
	controlBtn    *widget.Button
	cadBtn        *widget.Button // Ctrl+Alt+Del, shown while in control
	shareBtn      *widget.Button
	chatBtn       *widget.Button
	filesBtn      *widget.Button   // File transfer: a menu with Send files… and Display status
	list          *ui.TransferList // the session's transfers (kept when the window closes)
	listWin       fyne.Window      // the status window; nil while closed
	offers        map[transfer.ID]dialog.Dialog
	reportBtn     *widget.Button
	chat          *ui.ChatPane
	chatOpen      bool            // the chat pane is shown; kept when the window reopens
	side          *fyne.Container // the chat pane with its background and padding, hidden with it
	reportNote    string          // where the last report was saved, or why it was not
	rec           *recorder
	endBtn        *widget.Button
	unattendedBtn *widget.Button // Unattended access…: asks the customer to set it up
	status        *widget.Label
	route         *widget.Label   // how the connection goes (direct, relayed), its rate and round trip, how exact the picture is
	stopTicks     func()          // stops rewriting the link's figures (ui.Every); nil while the window is closed
	picture       session.Picture // how exact the picture was when route was last written
	team                          // colleagues in the session and invitations (team.go)
	picks         pickers         // the session's file dialogs (files.go)
}

func newViewer(s *hosted, host *session.Host, peer session.Peer) *viewer {
	return &viewer{home: s.home, s: s, host: host, name: displayName(peer.Name), peer: peer, fit: true, rec: s.rec}
}

// open shows the viewer window, building it if it is closed.
func (v *viewer) open() {
	if v.win != nil {
		v.win.Show()
		v.win.RequestFocus()
		return
	}
	w := v.home.app.NewWindow(lang.L("viewer.title", map[string]any{"Name": v.name}))
	v.win = w
	v.screen = ui.NewRemoteScreen()
	v.screen.SetFit(v.fit)
	v.screen.OnInput = func(m protocol.Message) {
		if work := v.s.work; work != nil && v.s.host == v.host {
			work.input(v.host, m)
		}
	}
	v.scroll = container.NewScroll(v.screen)
	// The state is laid over the viewport (not the picture, which may be scrolled away at 1:1).
	v.veil = canvas.NewRectangle(color.Transparent)
	v.overText = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.overText.Wrapping = fyne.TextWrapWord
	panel := canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	panel.CornerRadius = theme.InputRadiusSize()
	v.over = container.NewStack(v.veil, container.New(banner{}, container.NewStack(panel, container.NewPadded(v.overText))))

	v.fitBtn = widget.NewButtonWithIcon("", theme.ZoomFitIcon(), v.toggleFit)
	v.fullBtn = widget.NewButtonWithIcon("", theme.ViewFullScreenIcon(), v.toggleFullScreen)
	v.viewBtn = widget.NewButtonWithIcon(lang.L("viewer.request_view"), theme.VisibilityIcon(), v.toggleView)
	v.monitorSel = widget.NewSelect(nil, nil)
	v.monitorSel.PlaceHolder = lang.L("viewer.monitor")
	v.qualitySel = v.newQualitySelect()
	v.controlBtn = widget.NewButtonWithIcon(lang.L("viewer.request_control"), theme.ComputerIcon(), v.toggleControl)
	v.cadBtn = widget.NewButton(lang.L("viewer.ctrl_alt_del"), v.sendCtrlAltDel)
	v.shareBtn = widget.NewButtonWithIcon(lang.L("viewer.share_screen"), theme.MediaVideoIcon(), v.toggleShare)
	v.chatBtn = widget.NewButtonWithIcon(lang.L("chat.title"), theme.MailComposeIcon(), v.toggleChat)
	v.reportBtn = widget.NewButtonWithIcon(lang.L("viewer.report"), theme.DocumentSaveIcon(), v.askReport)
	v.filesBtn = widget.NewButtonWithIcon(lang.L("transfers.menu_short"), theme.FolderIcon(), v.filesMenu)
	v.chat = ui.NewChatPane(v.sendChat)
	v.chat.Set(v.host.Chat())
	v.chat.SetEnabled(!v.ended)
	v.chat.Hidden = !v.chatOpen
	v.endBtn = widget.NewButtonWithIcon(lang.L("viewer.end_session"), theme.CancelIcon(), v.confirmEnd)
	v.endBtn.Importance = widget.DangerImportance
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.route = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	v.route.Truncation = fyne.TextTruncateEllipsis // under the state: the bar keeps to the window's width
	v.buildTeam()
	v.buildUnattended()

	bar := container.NewHBox(v.viewBtn, v.controlBtn, v.cadBtn, v.shareBtn, v.chatBtn, v.filesBtn, layout.NewSpacer(),
		v.monitorSel, v.qualitySel, v.fitBtn, v.fullBtn)
	// The bars are opaque and drawn after the picture: at 1:1 the remote screen (a fyne.Scrollable, which
	// Fyne clips to its own bounds rather than to the enclosing scroll's) can paint beyond the viewport.
	top := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)),
		container.NewVBox(container.NewPadded(bar), widget.NewSeparator()))
	bottom := container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)),
		container.NewVBox(widget.NewSeparator(), container.NewPadded(container.NewBorder(nil, nil, nil,
			container.NewHBox(v.unattendedBtn, v.inviteBtn, v.reportBtn, v.endBtn), container.NewVBox(v.status, v.route, v.teamLbl)))))
	w.SetPadded(false) // the picture runs to the window's edges; the bars have their own padding
	v.side = container.NewStack(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)), container.NewPadded(v.chat))
	v.side.Hidden = !v.chatOpen // hidden whole, so that its padding takes no room from the picture
	w.SetContent(container.NewBorder(top, bottom, nil, v.side, container.NewStack(v.scroll, v.over)))
	w.Resize(fyne.NewSize(1024, 720))
	// F11 toggles full screen and Escape leaves it, while the keyboard is not the customer's (the remote
	// screen has focus only under control; then every key goes to the customer's computer and the button does).
	w.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		switch {
		case e.Name == fyne.KeyF11:
			v.toggleFullScreen()
		case e.Name == fyne.KeyEscape && v.win != nil && v.win.FullScreen():
			v.toggleFullScreen()
		}
	})
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { v.dropped(uris) })
	w.SetOnClosed(func() {
		if v.win == w {
			v.forget()
			v.s.viewerChanged()
		}
	})
	v.paint(nil)
	v.refresh()
	v.stopTicks = ui.Every(ui.QualityEvery, v.home.opts.do, v.showQuality)
	w.Show()
	w.RequestFocus()
}

// forget drops the window's widgets; the session goes on.
func (v *viewer) forget() {
	if v.stopTicks != nil {
		v.stopTicks()
		v.stopTicks = nil
	}
	v.win, v.screen, v.scroll, v.veil, v.overText, v.over = nil, nil, nil, nil, nil, nil
	v.fitBtn, v.fullBtn, v.viewBtn, v.controlBtn, v.cadBtn, v.endBtn, v.status, v.route = nil, nil, nil, nil, nil, nil, nil, nil
	v.monitorSel, v.shareBtn, v.chatBtn, v.chat, v.reportBtn, v.filesBtn, v.side = nil, nil, nil, nil, nil, nil, nil
	v.qualitySel = nil
	v.inviteBtn, v.teamLbl = nil, nil
}

// close closes the window, if open.
func (v *viewer) close() {
	if w := v.win; w != nil {
		v.forget()
		w.Close()
	}
}

// showQuality writes how the connection goes under the state: the route, the rate, the round trip, and how
// exact the picture is.
func (v *viewer) showQuality() {
	if v.route == nil || v.reconnecting || v.ended {
		return
	}
	q := v.host.Quality()
	v.route.SetText(ui.RouteQualityText(v.host.Route(), q))
	v.picture = q.Picture
}

// paint copies the changed regions (nil: all) of the session's picture of the customer's screen to the window.
func (v *viewer) paint(changed []codec.Rect) {
	if v.screen == nil {
		return // closed: open paints it all
	}
	if v.host.Screen(func(f codec.Frame) { v.screen.SetFrame(f, changed) }) && v.sharing && !v.painted {
		v.painted = true
		v.refresh()
	}
	if v.route != nil && v.host.Quality().Picture != v.picture {
		v.showQuality() // sharpening → exact at once; the figures every ui.QualityEvery
	}
}

// apply takes in a session event.
func (v *viewer) apply(e session.Event) {
	switch e := e.(type) {
	case session.SharingChanged:
		v.sharing, v.paused = e.On, e.Paused
		switch {
		case e.On:
			v.shared, v.painted, v.viewAsk = true, false, askNone
		case !e.Paused:
			v.shared = true // stopped by the customer, maybe before the first picture: say so, not "connecting"
		}
		v.pointer.Visible = false
		if v.screen != nil {
			v.screen.SetPointer(0, 0, false, 0)
		}
	case session.FileTransfer:
		v.fileEvent(e)
		return
	case session.ChatReceived:
		if v.chat != nil {
			v.chat.Add(e.Message)
			if !v.chatOpen {
				v.toggleChat()
			}
		}
		return
	case session.ChatDelivered:
		if v.chat != nil {
			v.chat.Add(e.Message)
		}
		return
	case session.Reconnecting:
		v.reconnecting = true
		v.sharing, v.paused, v.painted, v.controlled, v.releasing = false, false, false, false, false
		v.viewAsk, v.controlAsk, v.note = askNone, askNone, ""
		v.ownScreen, v.ownBusy = false, false
	case session.Reconnected:
		v.reconnecting = false
	case session.MonitorsChanged:
		v.monitors = e
	case session.PointerMoved:
		v.pointer = e
		if v.screen != nil {
			v.screen.SetPointer(e.X, e.Y, e.Visible && v.sharing, e.Shape)
		}
		return // nothing else changes: no refresh at the pointer's rate
	case session.TechnicianScreenChanged:
		v.ownScreen, v.ownBusy = e.On, false
		switch {
		case e.On:
			v.ownNote = ""
		case e.ClosedByCustomer:
			v.ownNote = lang.L("viewer.note.own_screen_closed", v.args())
		default:
			v.ownNote = ""
		}
	case session.UnattendedSetUp:
		v.applyUnattended(e)
	case session.ConsentAnswered:
		a := answerOf(e)
		switch e.What {
		case protocol.PermUnattended:
			v.applyUnattended(e)
		case protocol.PermView:
			if v.viewAsk == askWaiting {
				v.viewAsk = a
			}
		case protocol.PermControl:
			v.controlAsk = a
			switch a {
			case askRefused:
				v.note = lang.L("viewer.note.control_refused", v.args())
			case askExpired:
				v.note = lang.L("viewer.note.control_expired", v.args())
			case askUnavailable:
				v.note = lang.L("viewer.note.control_unavailable", v.args())
			default:
				v.note = ""
			}
		}
	case session.InviteAnswered, session.ParticipantsChanged:
		v.applyTeam(e)
	case session.ControlChanged:
		v.controlled = e.Granted
		switch {
		case e.Granted:
			v.note = ""
		case e.Moved:
			v.note = lang.L("viewer.note.control_moved", map[string]any{"Name": v.name, "To": displayName(e.MovedTo)})
		case v.releasing:
			v.note = lang.L("viewer.note.control_released", v.args())
		case v.sharing:
			v.note = lang.L("viewer.note.control_taken_back", v.args())
		default:
			v.note = "" // stopping sharing took control back; the state says the sharing stopped
		}
		v.releasing = false
	}
	v.refresh()
}

func answerOf(e session.ConsentAnswered) ask {
	switch {
	case e.Granted:
		return askGranted
	case e.Expired:
		return askExpired
	case e.Unavailable:
		return askUnavailable
	case e.Withdrawn:
		return askNone // the screen stopped reaching us, which the state line says: no note
	}
	return askRefused
}

// end shows that the session is over (err nil: ended here).
func (v *viewer) end(err error) {
	v.ended, v.endErr = true, err
	v.picks.end()
	if v.chat != nil {
		v.chat.SetEnabled(false)
	}
	v.controlled, v.releasing, v.note = false, false, ""
	v.refresh()
}

func (v *viewer) args() map[string]any { return map[string]any{"Name": v.name} }

// stateText returns the state in words for the status line, and the text laid over the picture ("" when the
// picture is live).
func (v *viewer) stateText() (line, over string) {
	switch {
	case v.ended:
		if v.left {
			line = lang.L("viewer.state.left")
		} else if v.endErr == nil {
			line = lang.L("viewer.state.ended_by_you")
		} else {
			line = lang.L("viewer.state.ended", map[string]any{"Reason": ui.ErrorText(v.endErr)})
			if protocol.CodeOf(v.endErr) == protocol.SessionEnded {
				line = lang.L("expert.ended_by_customer", v.args())
			}
		}
		return line + v.reportText(), line
	case v.reconnecting:
		line = lang.L("viewer.state.reconnecting", v.args())
		return line, line
	case !v.sharing:
		switch v.viewAsk {
		case askWaiting:
			line = lang.L("viewer.state.waiting_view", v.args())
		case askGranted:
			line = lang.L("viewer.state.connecting", v.args())
		case askRefused:
			line = lang.L("viewer.state.view_refused", v.args())
		case askExpired:
			line = lang.L("viewer.state.view_expired", v.args())
		case askUnavailable:
			line = lang.L("viewer.state.view_unavailable", v.args())
		case askFailed:
			line = lang.L("viewer.state.request_failed", map[string]any{"Reason": ui.ErrorText(v.askErr)})
		default:
			switch {
			case v.paused:
				line = lang.L("viewer.state.paused", v.args())
			case v.shared:
				line = lang.L("viewer.state.stopped", v.args())
			default:
				line = lang.L("viewer.state.connecting", v.args())
			}
		}
		return line, line
	case !v.painted:
		line = lang.L("viewer.state.connecting", v.args())
		return line, line
	case v.controlled:
		line = lang.L("viewer.state.controlling", v.args())
	default:
		line = lang.L("viewer.state.viewing", v.args())
	}
	switch {
	case v.controlAsk == askWaiting:
		line += " " + lang.L("viewer.note.waiting_control", v.args())
	case v.note != "":
		line += " " + v.note
	}
	return line + v.ownText() + v.reportText(), ""
}

// reportText says where the last report went, after the state.
func (v *viewer) reportText() string {
	if v.reportNote == "" {
		return ""
	}
	return " " + v.reportNote
}

// ownText says where the technician's own screen sharing stands, after the state ("" when there is nothing to
// say).
func (v *viewer) ownText() string {
	switch {
	case v.ownScreen:
		return " " + lang.L("viewer.note.own_screen_on", v.args())
	case v.ownNote != "":
		return " " + v.ownNote
	}
	return ""
}

// refresh brings the window's widgets in line with the state.
func (v *viewer) refresh() {
	if v.win == nil {
		return
	}
	line, over := v.stateText()
	if v.unattendedNote != "" && !v.ended {
		line += " " + v.unattendedNote
	}
	if v.peer.Can(protocol.CapUnattended) && !v.ended {
		line += " " + lang.L("viewer.unattended_mode")
	}
	v.status.SetText(line)
	if v.reconnecting || v.ended {
		v.route.SetText("")
	} else {
		v.showQuality()
	}
	v.overText.SetText(over)
	if over == "" {
		v.over.Hide()
	} else {
		r, g, b, _ := theme.Color(theme.ColorNameBackground).RGBA()
		v.veil.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xc8}
		v.veil.Refresh()
		v.over.Show()
	}
	control := v.controlled && !v.releasing && !v.ended
	v.screen.SetControl(control)
	if !control && v.win.Canvas().Focused() == v.screen {
		v.win.Canvas().Unfocus() // the keyboard is the technician's again (F11 works)
	}

	if v.fit {
		v.fitBtn.SetText("") // icons only, so that the bar fits a 1024-pixel screen in French too
		v.fitBtn.SetIcon(theme.ZoomInIcon())
	} else {
		v.fitBtn.SetText("")
		v.fitBtn.SetIcon(theme.ZoomFitIcon())
	}
	if v.win.FullScreen() {
		v.fullBtn.SetText("")
		v.fullBtn.SetIcon(theme.ViewRestoreIcon())
	} else {
		v.fullBtn.SetText("")
		v.fullBtn.SetIcon(theme.ViewFullScreenIcon())
	}
	switch {
	case v.sharing:
		v.viewBtn.SetText(lang.L("viewer.stop_viewing"))
		v.viewBtn.SetIcon(theme.VisibilityOffIcon())
		enable(v.viewBtn, !v.ended)
	case v.paused:
		v.viewBtn.SetText(lang.L("viewer.start_viewing"))
		v.viewBtn.SetIcon(theme.VisibilityIcon())
		enable(v.viewBtn, !v.ended && v.viewAsk != askWaiting)
	case v.reconnecting:
		v.viewBtn.SetText(lang.L("viewer.request_view"))
		v.viewBtn.SetIcon(theme.VisibilityIcon())
		v.viewBtn.Disable()
	default:
		v.viewBtn.SetText(lang.L("viewer.request_view"))
		v.viewBtn.SetIcon(theme.VisibilityIcon())
		enable(v.viewBtn, !v.ended && v.viewAsk != askWaiting)
	}
	v.refreshMonitors()
	if v.ownScreen {
		v.shareBtn.SetText(lang.L("viewer.stop_share_screen"))
		v.shareBtn.SetIcon(theme.MediaStopIcon())
	} else {
		v.shareBtn.SetText(lang.L("viewer.share_screen"))
		v.shareBtn.SetIcon(theme.MediaVideoIcon())
	}
	enable(v.shareBtn, !v.ended && !v.ownBusy && !v.reconnecting)
	if v.screen != nil {
		p := v.pointer
		v.screen.SetPointer(p.X, p.Y, p.Visible && v.sharing, p.Shape)
	}
	if v.controlled {
		v.controlBtn.SetText(lang.L("viewer.release_control"))
		v.controlBtn.Importance = widget.WarningImportance
		enable(v.controlBtn, !v.ended && !v.releasing)
	} else {
		v.controlBtn.SetText(lang.L("viewer.request_control"))
		v.controlBtn.Importance = widget.MediumImportance
		enable(v.controlBtn, !v.ended && v.sharing && v.controlAsk != askWaiting && v.home.prefs.AllowControl)
	}
	v.controlBtn.Refresh()
	if control {
		v.cadBtn.Show()
	} else {
		v.cadBtn.Hide()
	}
	enable(v.endBtn, !v.ended)
	v.refreshTeam()
	v.refreshUnattended()

	enable(v.reportBtn, v.home.opts.store != nil && !v.rec.session().IsZero())
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (v *viewer) toggleFit() {
	v.fit = !v.fit
	v.screen.SetFit(v.fit)
	v.scroll.ScrollToTop()
	v.scroll.Refresh()
	v.refresh()
}

func (v *viewer) toggleFullScreen() {
	if v.win == nil {
		return
	}
	v.win.SetFullScreen(!v.win.FullScreen())
	v.refresh()
}

// act runs a session action off the UI goroutine; failed, if the action fails while the session is live, is
// called back on the UI goroutine.
func (v *viewer) act(action func() error, failed func(error)) {
	work := v.s.work
	if work == nil || v.s.host != v.host || v.ended {
		return
	}
	work.run(func() {
		if err := action(); err != nil {
			v.home.opts.do(func() {
				if v.s.view == v && !v.ended {
					failed(err)
					v.refresh()
				}
			})
		}
	})
}

// monitorLabel names a monitor in the monitor list.
func monitorLabel(n int, m protocol.Monitor) string {
	args := map[string]any{"N": n, "Name": m.Name, "W": m.Width, "H": m.Height}
	if m.Name == "" {
		return lang.L("viewer.monitor_option", args)
	}
	return lang.L("viewer.monitor_option_named", args)
}

// refreshMonitors fills the monitor list; it shows only when the customer has several monitors.
func (v *viewer) refreshMonitors() {
	sel := v.monitorSel
	sel.OnChanged = nil // filling it is not the technician's choice
	defer func() { sel.OnChanged = v.chooseMonitor }()
	mons := v.monitors.Monitors
	if len(mons) < 2 || !v.sharing || v.ended {
		sel.Hide()
		return
	}
	opts := make([]string, len(mons))
	current := ""
	for i, m := range mons {
		opts[i] = monitorLabel(i+1, m)
		if m.ID == v.monitors.Current {
			current = opts[i]
		}
	}
	sel.SetOptions(opts)
	sel.SetSelected(current)
	sel.Show()
}

// newQualitySelect builds the choice between speed and quality for the customer's screen (ui.NewQualitySelect),
// kept for the next sessions.
func (v *viewer) newQualitySelect() *widget.Select {
	return ui.NewQualitySelect(v.host.PreferQuality(), lang.L("quality.no_video"), func(exact bool) {
		v.host.SetPreferQuality(exact)
		v.home.prefs.PreferQuality = exact
		v.home.prefs.save(v.home.app.Preferences())
	})
}

// chooseMonitor asks for the monitor picked in the list.
func (v *viewer) chooseMonitor(string) {
	i := v.monitorSel.SelectedIndex()
	if i < 0 || i >= len(v.monitors.Monitors) {
		return
	}
	id := v.monitors.Monitors[i].ID
	if id == v.monitors.Current {
		return
	}
	v.act(func() error { return v.host.SelectMonitor(id) }, func(err error) {
		v.note = lang.L("viewer.note.request_failed", map[string]any{"Reason": ui.ErrorText(err)})
	})
}

// askReport asks where to save the session's report (HTML, or JSON by the name's extension) and saves it.
func (v *viewer) askReport() {
	id := v.rec.session()
	if v.win == nil || id.IsZero() {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return // cancelled
		}
		path := w.URI().Path()
		_ = w.Close() // SaveFile writes beside it and renames into place
		v.saveReport(path)
	}, v.win)
	d.SetFileName(report.FileName(id, time.Now(), report.HTML))
	d.SetFilter(storage.NewExtensionFileFilter([]string{".html", ".json"}))
	d.Show()
}

// saveReport writes the session's report to path and says how it went.
func (v *viewer) saveReport(path string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	err := report.SaveFile(ctx, v.home.opts.store, v.rec.session(), path, report.Options{Lang: lang.L("viewer.report_lang")})
	if err != nil {
		log.Printf("report: %v", err)
		v.reportNote = lang.L("viewer.note.report_failed", map[string]any{"Path": path})
	} else {
		v.reportNote = lang.L("viewer.note.report_saved", map[string]any{"Path": path})
	}
	v.refresh()
}

// sendChat sends the technician's message and has it written to the history (off the UI goroutine).
func (v *viewer) sendChat(text string) (chat.Message, error) {
	m, err := v.host.SendChat(text)
	if err == nil {
		if rec, work := v.rec, v.s.work; rec != nil && work != nil && v.s.host == v.host {
			work.run(func() { rec.chatSent(m) })
		}
	}
	return m, err
}

// toggleChat shows or hides the chat pane beside the picture; the log is kept either way.
func (v *viewer) toggleChat() {
	if v.chat == nil {
		return
	}
	v.chatOpen = !v.chatOpen
	if v.chatOpen {
		v.chat.Show()
		v.side.Show()
		v.win.Canvas().Focus(v.chat.Field())
	} else {
		v.chat.Hide()
		v.side.Hide()
	}
	v.win.Content().Refresh()
}

// toggleView stops viewing, or starts it again (after the technician stopped) or asks for it (after the
// customer stopped).
func (v *viewer) toggleView() {
	if v.sharing {
		v.act(v.host.StopViewing, func(err error) {
			v.note = lang.L("viewer.note.request_failed", map[string]any{"Reason": ui.ErrorText(err)})
		})
		return
	}
	v.requestView()
}

// toggleShare shows the technician's own screen to the customer, or stops showing it.
func (v *viewer) toggleShare() {
	if v.ownScreen {
		v.act(func() error { v.host.StopSharingScreen(); return nil }, func(error) {})
		return
	}
	v.ownBusy, v.ownNote = true, ""
	v.refresh()
	open := v.home.opts.capture
	v.act(func() error {
		src, err := open()
		if err != nil {
			return err
		}
		monitor := 0
		if mons, err := src.Monitors(); err == nil {
			for _, m := range mons {
				if m.Primary {
					monitor = m.Index
				}
			}
		}
		if err := v.host.ShareScreen(src, monitor); err != nil {
			_ = src.Close()
			return err
		}
		return nil
	}, func(err error) {
		v.ownBusy = false
		reason, ok := ownScreenReason(err)
		if !ok {
			reason = ui.ErrorText(err)
		}
		v.ownNote = lang.L("viewer.note.share_failed", map[string]any{"Reason": reason})
	})
}

func (v *viewer) requestView() {
	v.viewAsk = askWaiting
	v.refresh()
	rec := v.rec
	v.act(func() error {
		if err := v.host.RequestView(); err != nil {
			return err
		}
		rec.asked(protocol.PermView)
		return nil
	}, func(err error) {
		if v.viewAsk == askWaiting {
			v.viewAsk, v.askErr = askFailed, err
		}
	})
}

func (v *viewer) toggleControl() {
	if v.controlled {
		v.releasing = true
		v.note = ""
		v.refresh()
		v.act(v.host.ReleaseControl, func(err error) {
			v.releasing = false
			v.note = lang.L("viewer.note.request_failed", map[string]any{"Reason": ui.ErrorText(err)})
		})
		return
	}
	v.controlAsk = askWaiting
	v.note = ""
	v.refresh()
	rec := v.rec
	v.act(func() error {
		if err := v.host.RequestControl(); err != nil {
			return err
		}
		rec.asked(protocol.PermControl)
		return nil
	}, func(err error) {
		if v.controlAsk == askWaiting {
			v.controlAsk = askFailed
			v.note = lang.L("viewer.note.request_failed", map[string]any{"Reason": ui.ErrorText(err)})
		}
	})
}

// ctrlAltDel is the sequence Send Ctrl+Alt+Del types on the customer's computer.
var ctrlAltDel = []protocol.Message{
	&protocol.Key{Name: string(fyne.KeyDelete), Down: true, Modifiers: protocol.ModControl | protocol.ModAlt},
	&protocol.Key{Name: string(fyne.KeyDelete), Down: false, Modifiers: protocol.ModControl | protocol.ModAlt},
}

// sendCtrlAltDel types Ctrl+Alt+Del on the customer's computer, where its system takes it from a distance, and
// otherwise says why it cannot.
func (v *viewer) sendCtrlAltDel() {
	if !v.controlled || v.ended || v.win == nil {
		return
	}
	if !v.peer.Can(protocol.CapCtrlAltDel) {
		dialog.ShowInformation(lang.L("viewer.ctrl_alt_del"), lang.L("viewer.ctrl_alt_del_unavailable", v.args()), v.win)
		return
	}
	if work := v.s.work; work != nil && v.s.host == v.host {
		for _, m := range ctrlAltDel {
			work.input(v.host, m)
		}
	}
}

func (v *viewer) confirmEnd() {
	if v.ended || v.win == nil {
		return
	}
	v.confirmEndOn(v.win)
}

// banner lays its objects (a wrapped label) out centred, at most 560 units wide, as high as their text needs.
type banner struct{}

func (banner) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width-4*theme.Padding(), 560)
	for _, o := range objects {
		o.Resize(fyne.NewSize(w, o.MinSize().Height)) // a wrapped label knows its height once it has a width
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	}
}

func (banner) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }
