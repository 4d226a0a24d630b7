package main

import (
	"errors"
	"log"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui"
)

// live is the part of the toolbar that keeps the customer in charge during a session: an indicator that says,
// in colour and words, whether the technician sees the screen or controls the computer; Stop screen sharing;
// Take back control (button and takeBackShortcut); the Yes/No questions the technician's requests raise; and a
// notice when sharing or remote control cannot work on this computer. Its fields belong to the UI goroutine.
type live struct {
	indicator   *banner         // shown in a session
	notices     *fyne.Container // why sharing or control cannot work here; empty when both can
	stopBtn     *widget.Button
	takeBackBtn *widget.Button
	chatBtn     *widget.Button // shows or hides the chat pane
	chat        *ui.ChatPane   // hidden until the customer or a message opens it; keeps the log while hidden

	techName     string                                 // the technician's name as shown
	sharing      bool                                   // as the engine last said
	paused       bool                                   // the technician stopped viewing; the customer still allows it
	reconnecting bool                                   // the connection dropped; the session is trying to get it back
	screens      map[protocol.ParticipantID]*techScreen // each technician's screen, while they share it
	controlled   bool
	revoking     bool            // the customer asked to take control back
	asks         map[uint64]*ask // questions on screen, by request ID

	techs    map[protocol.ParticipantID]*techState // every technician in the session, by participant ID
	leader   protocol.ParticipantID                // who leads the session: the one who started it, or a colleague
	techList *fyne.Container                       // their names, states and Remove buttons, with colleagues

	takeBackKey takeBackKey // the shortcut, system-wide while a technician controls (takeback.go)
	frame       screenFrame // the frame around the shared monitor while it is viewed (frame.go)
}

// ask is a technician's request on screen.
type ask struct {
	req    session.ConsentRequested
	invite bool // a question about inviting a colleague (req.What unset)
	dlg    dialog.Dialog
}

// takeBackShortcut takes control back from the technician while the toolbar has the keyboard focus (and from
// anywhere while a technician controls, through holdTakeBackKey where the system allows it). Ctrl+Shift+T
// (⇧⌘T on macOS) is not a system shortcut on any of the three systems (unlike Ctrl+Shift+Esc on Windows).
var takeBackShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyT,
	Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}

// shortcutText is takeBackShortcut as the keyboard shows it, in the customer's language (Ctrl+Maj+T in French).
func shortcutText() string {
	if runtime.GOOS == "darwin" {
		return "⇧⌘T"
	}
	return lang.L("customer.take_back_keys")
}

func (t *toolbar) buildLive() {
	t.asks = map[uint64]*ask{}
	t.indicator = newBanner()
	t.techList = container.NewVBox()
	t.techList.Hide()
	t.indicator.Hide()

	t.stopBtn = widget.NewButtonWithIcon(lang.L("customer.strip_stop"), theme.VisibilityOffIcon(), t.stopSharing)
	t.stopBtn.Hide()
	t.takeBackBtn = widget.NewButtonWithIcon(lang.L("customer.take_back", map[string]any{"Shortcut": shortcutText()}),
		theme.ContentUndoIcon(), t.takeBack)
	t.takeBackBtn.Importance = widget.WarningImportance
	t.takeBackBtn.Hide()
	t.win.Canvas().AddShortcut(takeBackShortcut, func(fyne.Shortcut) { t.takeBack() })
	t.chat = ui.NewChatPane(func(text string) (chat.Message, error) {
		if t.guest == nil {
			return chat.Message{}, chat.ErrClosed
		}
		return t.guest.SendChat(text)
	})
	t.chat.Hide()
	t.chatBtn = widget.NewButtonWithIcon(lang.L("chat.title"), theme.MailComposeIcon(), t.toggleChat)
	t.chatBtn.Hide()

	t.notices = container.NewVBox()
	t.showBackEndNotices()
}

// showBackEndNotices says, under the toolbar, whether sharing or remote control cannot work here, and why. On
// a Wayland desktop nothing is said before the system was first asked.
func (t *toolbar) showBackEndNotices() {
	t.notices.RemoveAll()
	if t.needsPortal() && t.opts.screenErr == nil && t.opts.injectorErr == nil {
		return
	}
	screenWhy, controlWhy := screenReason(t.opts.screenErr), controlReason(t.opts.injectorErr)
	if t.opts.screen == nil && t.opts.injector == nil && screenWhy == controlWhy {
		// one reason for both (the system's window was refused): one sentence
		t.notices.Add(notice(lang.L("customer.no_screen_no_control", map[string]any{"Reason": screenWhy})))
		return
	}
	if t.opts.screen == nil {
		t.notices.Add(notice(lang.L("customer.no_screen", map[string]any{"Reason": screenWhy})))
	}
	if t.opts.injector == nil {
		t.notices.Add(notice(lang.L("customer.no_control", map[string]any{"Reason": controlWhy})))
	}
}

// notice is a warning line with its icon.
func notice(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.WarningImportance
	return container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, l)
}

// needsX11 reports whether err says that a back end found no display it can use on a Unix desktop.
func needsX11(err, unsupported error) bool {
	return runtime.GOOS != "windows" && runtime.GOOS != "darwin" && os.Getenv("DISPLAY") == "" &&
		errors.Is(err, unsupported)
}

// screenReason says in plain words why the screen cannot be captured.
func screenReason(err error) string {
	if why, ok := portalReason(err); ok {
		return why
	}
	switch {
	case needsX11(err, capture.ErrUnsupported):
		return lang.L("customer.why_x11")
	case errors.Is(err, capture.ErrNoMonitor):
		return lang.L("customer.why_no_monitor")
	}
	return lang.L("customer.why_screen")
}

// controlReason says in plain words why input cannot be injected.
func controlReason(err error) string {
	if why, ok := portalReason(err); ok {
		return why
	}
	if needsX11(err, input.ErrUnsupported) {
		return lang.L("customer.why_x11")
	}
	return lang.L("customer.why_control")
}

// startLive shows the live controls for a session that has just started.
func (t *toolbar) startLive(g *session.Guest, techName string) {
	t.techName = techName
	t.leader = session.TechnicianID
	t.techs = map[protocol.ParticipantID]*techState{session.TechnicianID: {
		id: session.TechnicianID, name: techName, sharing: g.Sharing(), controlled: g.Controlled()}}
	t.sumUp()
	t.indicator.Show()
	t.stopBtn.Show()
	t.chatBtn.Show()
	t.chat.Set(nil)
	t.chat.SetEnabled(true)
	t.startFiles(techName)
	t.showLive()
}

// stopLive hides the live controls and withdraws the questions of a session that is over.
func (t *toolbar) stopLive() {
	for id, a := range t.asks {
		delete(t.asks, id) // before Hide, whose callback then finds nothing to answer
		a.dlg.Hide()
	}
	t.sharing, t.paused, t.controlled, t.revoking, t.reconnecting = false, false, false, false, false
	t.holdTakeBackKey(false)
	t.frameScreen(false)
	t.techs = nil
	t.showTechnicians()
	t.closeTechScreens()
	t.indicator.Hide()
	t.stopBtn.Hide()
	t.takeBackBtn.Hide()
	t.chatBtn.Hide()
	t.chat.SetEnabled(false)
	t.chat.SetNote("") // nobody sees the screen any more
	t.chat.Hide()      // its button is gone with the session; the next session starts a new log
	t.stopFiles()
}

// showLive brings the indicator and the buttons in line with what the technician can do.
func (t *toolbar) showLive() {
	args := map[string]any{"Name": t.techName}
	viewers, nv := t.techNames(func(s *techState) bool { return s.sharing })
	var text string
	var bg, fg fyne.ThemeColorName
	var icon fyne.Resource
	switch {
	case t.reconnecting:
		text, bg, fg, icon = lang.L("customer.reconnecting", args), theme.ColorNameDisabledButton,
			theme.ColorNameForeground, theme.ViewRefreshIcon()
	case t.controlled:
		args["Name"], _ = t.techNames(func(s *techState) bool { return s.controlled })
		text, bg, fg, icon = lang.L("customer.controlling", args), theme.ColorNameError,
			theme.ColorNameForegroundOnError, theme.ComputerIcon()
	case t.sharing:
		text, bg, fg, icon = sayNames("customer.viewing", viewers, nv, nil), theme.ColorNameWarning,
			theme.ColorNameForegroundOnWarning, theme.VisibilityIcon()
	case t.paused:
		paused, np := t.techNames(func(s *techState) bool { return s.paused })
		text, bg, fg, icon = sayNames("customer.paused", paused, np, nil), theme.ColorNameDisabledButton,
			theme.ColorNameForeground, theme.VisibilityOffIcon()
	default:
		text, bg, fg, icon = lang.L("customer.not_shared"), theme.ColorNameDisabledButton,
			theme.ColorNameForeground, theme.VisibilityOffIcon()
	}
	t.indicator.set(bg, fg, icon, text)
	t.showTechnicians()
	if t.sharing {
		t.chat.SetNote(sayNames("customer.chat_note", viewers, nv, nil))
	} else {
		t.chat.SetNote("")
	}
	for _, b := range t.stopButtons() {
		if t.sharing || t.paused {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if t.controlled { // Take back control is there only while a technician controls
		t.takeBackBtn.Enable()
		t.takeBackBtn.Show()
	} else {
		t.takeBackBtn.Disable()
		t.takeBackBtn.Hide()
	}
	t.holdTakeBackKey(t.controlled)
	t.frameScreen(t.sharing)
	if t.inStrip {
		t.fitWindow() // the strip's row changed width
	}
	t.refreshTray()
}

// indicatorText is what the indicator says.
func (t *toolbar) indicatorText() string { return t.indicator.text }

// banner is a bar of colour with an icon and bold text in the colour that goes on it; it follows theme changes.
type banner struct {
	widget.BaseWidget
	bg, fg fyne.ThemeColorName
	icon   fyne.Resource
	text   string
}

func newBanner() *banner {
	b := &banner{bg: theme.ColorNameDisabledButton, fg: theme.ColorNameForeground}
	b.ExtendBaseWidget(b)
	return b
}

// set changes the banner; call it on the UI goroutine.
func (b *banner) set(bg, fg fyne.ThemeColorName, icon fyne.Resource, text string) {
	b.bg, b.fg, b.icon, b.text = bg, fg, icon, text
	b.Refresh()
}

func (b *banner) CreateRenderer() fyne.WidgetRenderer {
	r := &bannerRenderer{b: b, rect: canvas.NewRectangle(nil), icon: widget.NewIcon(nil), text: widget.NewRichText()}
	r.text.Wrapping = fyne.TextWrapOff // one line in the strip
	r.WidgetRenderer = widget.NewSimpleRenderer(container.NewStack(r.rect,
		container.NewBorder(nil, nil, container.NewPadded(r.icon), nil, r.text)))
	r.Refresh()
	return r
}

type bannerRenderer struct {
	fyne.WidgetRenderer
	b    *banner
	rect *canvas.Rectangle
	icon *widget.Icon
	text *widget.RichText
}

// Refresh takes the colours from the current theme (it runs on theme changes too).
func (r *bannerRenderer) Refresh() {
	th := r.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.rect.FillColor = th.Color(r.b.bg, v)
	r.rect.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.rect.Refresh()
	if r.b.icon != nil {
		r.icon.SetResource(theme.NewColoredResource(r.b.icon, r.b.fg))
	}
	r.text.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: r.b.text,
		Style: widget.RichTextStyle{ColorName: r.b.fg, TextStyle: fyne.TextStyle{Bold: true}}}}
	r.text.Refresh()
}

func (t *toolbar) stopSharing() {
	g := t.guest
	if g == nil || !t.sharing && !t.paused {
		return
	}
	for _, b := range t.stopButtons() {
		b.Disable() // at once; the engine's SharingChanged confirms
	}
	t.takeBackBtn.Disable()
	t.act(g.StopSharing)
}

func (t *toolbar) takeBack() {
	g := t.guest
	if g == nil || !t.controlled {
		return
	}
	t.takeBackBtn.Disable()
	t.revoking = true
	t.act(g.RevokeControl)
}

func (t *toolbar) sharingChanged(g *session.Guest, e session.SharingChanged) {
	if t.guest != g {
		return
	}
	st := t.techState(e.Tech)
	if st.sharing == e.On && st.paused == e.Paused {
		return
	}
	was := t.sharing || t.paused
	st.sharing, st.paused = e.On, e.Paused
	t.sumUp()
	if was && !t.sharing && !t.paused {
		names, n := t.techNames(nil)
		t.status.SetText(sayNames("customer.sharing_stopped", names, n, nil))
	}
	t.showLive()
}

// toggleChat shows or hides the chat pane; the log is kept either way.
func (t *toolbar) toggleChat() {
	if t.chat.Visible() {
		t.chat.Hide()
	} else {
		t.openChat()
	}
	t.fitWindow()
}

// openChat shows the chat pane with the keyboard in its field.
func (t *toolbar) openChat() {
	t.chat.Show()
	t.fitWindow()
	t.win.Canvas().Focus(t.chat.Field())
}

// chatReceived shows the technician's message: the toolbar comes to the front with the chat open.
func (t *toolbar) chatReceived(g *session.Guest, m chat.Message) {
	if t.guest != g {
		return
	}
	t.chat.Add(m)
	if !t.chat.Visible() {
		t.openChat()
	}
	t.win.Show()
	t.win.RequestFocus()
}

// reconnectingChanged shows that the connection dropped and is being restored, or that it is back.
func (t *toolbar) reconnectingChanged(g *session.Guest, on bool) {
	if t.guest != g {
		return
	}
	t.reconnecting = on
	if on {
		t.status.SetText(lang.L("customer.reconnecting_status", map[string]any{"Name": t.techName}))
		t.route.Hide()
	} else {
		r := g.Route()
		t.status.SetText(lang.L("customer.reconnected", map[string]any{"Name": t.techName}))
		t.showRoute(r)
		log.Printf("session: reconnected: %s", r)
	}
	t.showLive()
}

// stopButtons are the Stop screen sharing buttons: the toolbar's, and the technician's screen window's.
func (t *toolbar) stopButtons() []*widget.Button {
	bs := []*widget.Button{t.stopBtn}
	for _, ts := range t.screens {
		bs = append(bs, ts.stop)
	}
	return bs
}

func (t *toolbar) controlChanged(g *session.Guest, e session.ControlChanged) {
	if t.guest != g {
		return
	}
	st := t.techState(e.Tech)
	if st.controlled == e.Granted {
		return
	}
	st.controlled = e.Granted
	t.sumUp()
	args := map[string]any{"Name": st.name}
	switch {
	case e.Granted:
	case t.revoking:
		t.status.SetText(lang.L("customer.control_taken_back", args))
	case st.sharing: // the technician gave it back (stopping sharing says so itself)
		t.status.SetText(lang.L("customer.control_released", args))
	}
	if !t.controlled {
		t.revoking = false
	}
	t.showLive()
}

// consentRequested puts a technician's request to the customer and brings the window to the front.
func (t *toolbar) consentRequested(g *session.Guest, req session.ConsentRequested) {
	if t.guest != g {
		return
	}
	if _, dup := t.asks[req.ID]; dup {
		return
	}
	if req.From == "" {
		req.From = lang.L("app.unnamed")
	}
	args := map[string]any{"Name": req.From, "Shortcut": shortcutText()}
	var title, question string
	switch req.What {
	case protocol.PermView:
		title, question = lang.L("customer.view_title"), lang.L("customer.view_question", args)
	case protocol.PermControl:
		title, question = lang.L("customer.control_title"), lang.L("customer.control_question", args)
	case protocol.PermUnattended:
		if t.opts.setup != nil {
			t.askUnattended(g, req)
			return
		}
		t.act(func() { _ = g.Answer(req.ID, false) })
		return
	default: // the engine asks only these
		t.act(func() { _ = g.Answer(req.ID, false) })
		return
	}
	a := &ask{req: req}
	a.dlg = dialog.NewConfirm(title, question, func(yes bool) { t.answer(g, req, yes) }, t.win)
	t.asks[req.ID] = a
	t.showDialog(a.dlg)
	t.win.RequestFocus()
}

// answer sends the customer's answer, unless the question was withdrawn in the meantime.
func (t *toolbar) answer(g *session.Guest, req session.ConsentRequested, yes bool) {
	if _, ok := t.asks[req.ID]; !ok || t.guest != g {
		return
	}
	delete(t.asks, req.ID)
	args := map[string]any{"Name": req.From, "Shortcut": shortcutText()}
	switch {
	case req.What == protocol.PermView && yes:
		t.status.SetText(lang.L("customer.view_allowed", args))
	case req.What == protocol.PermView:
		t.status.SetText(lang.L("customer.view_refused", args))
	case yes:
		t.status.SetText(lang.L("customer.control_allowed", args))
	default:
		t.status.SetText(lang.L("customer.control_refused", args))
	}
	t.act(func() {
		if err := g.Answer(req.ID, yes); err != nil && !errors.Is(err, session.ErrEnded) {
			log.Printf("answering request %d: %v", req.ID, err)
			t.opts.do(func() { t.expiredStatus(g, req) }) // it expired as the customer answered
		}
	})
}

// consentExpired closes the question nobody answered in time.
// consentExpired closes a question that nobody answered in time, and says so; a withdrawn one (the screen
// stopped reaching the technician, or they left) closes without a word, since the status says what happened.
func (t *toolbar) consentExpired(g *session.Guest, e session.ConsentExpired) {
	a, ok := t.asks[e.ID]
	if !ok || t.guest != g {
		return
	}
	delete(t.asks, e.ID) // before Hide, whose callback then finds nothing to answer
	a.dlg.Hide()
	switch {
	case e.Withdrawn:
	case a.invite:
		t.status.SetText(lang.L("customer.invite_expired", map[string]any{"Name": a.req.From}))
	default:
		t.expiredStatus(g, a.req)
	}
}

func (t *toolbar) expiredStatus(g *session.Guest, req session.ConsentRequested) {
	if t.guest != g {
		return
	}
	args := map[string]any{"Name": req.From}
	if req.What == protocol.PermControl {
		t.status.SetText(lang.L("customer.control_expired", args))
	} else {
		t.status.SetText(lang.L("customer.view_expired", args))
	}
}
