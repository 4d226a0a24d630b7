package main

import (
	"context"
	"errors"
	"log"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/version"
)

// options are what the command line (or a test) sets.
type options struct {
	// do runs a function on the UI goroutine without waiting: fyne.Do, or a test's loop.
	do   func(func())
	name string
	// addr is the technician's address to use with a bare support key (from a previous join link or -addr).
	addr string
	// rendezvous is the URL of the rendezvous to meet the technician through with a bare support key (from a
	// previous join link or -rendezvous); it wins over addr.
	rendezvous string
	// path tunes the search for a path through a rendezvous (demos and tests on one machine allow loopback).
	path session.PathOptions
	// onState, if set, is called on the UI goroutine after the window has changed state (the headless demo
	// takes its screenshot on stateJoined; tests wait on it).
	onState func(state)

	// screen is what the technician sees (the real screen in the app, a synthetic one in tests); nil when
	// sharing cannot work here, screenErr saying why. monitor is the index of the monitor shared.
	screen    capture.Source
	screenErr error
	monitor   int
	// injector plays the technician's input while the customer grants control; nil when remote control cannot
	// work here, injectorErr saying why.
	injector    input.Injector
	injectorErr error
	// consentTimeout is how long a technician's request waits for an answer (the engine's default if 0).
	consentTimeout time.Duration
	// idleTimeout is how long a silent connection lasts before it counts as dropped (the default if 0; tests
	// shorten it).
	idleTimeout time.Duration
	// install is how the program was installed: what it removes when the technician asks (install.go).
	install installation
	// inviteListen and inviteAdvertise are where a colleague of the technician joins with an invitation, and
	// the address their link names (the engine's defaults if empty; tests keep them on loopback).
	inviteListen, inviteAdvertise string
	// tray, if set, installs the tray menu instead of the desktop's system tray (tests look at the menu).
	tray func(*fyne.Menu)
	// helper is set when the program is the helper of unattended access (-helper, helper.go): the toolbar is
	// out of sight except while the agent's sessions run.
	helper bool
	// quitting, if set, is called once shutdown has ended the session, the program quitting (main: ExitIfStuck).
	quitting func()
	// setup installs unattended access and reaches its agent (setup.go); nil where it cannot be set up.
	setup *unattendedSetup
	// portal is set on a Wayland desktop: the screen and the input come from the desktop portal, asked for
	// before the first session (wayland_unix.go); screen and injector are nil until then.
	portal *portalAccess
}

// state is where the toolbar stands, as onState reports it.
type state int

const (
	stateJoined     state = iota + 1 // in a session
	stateJoinFailed                  // a join attempt failed; the form is back
	stateEnded                       // the session is over; the form is back
)

func (t *toolbar) changed(s state) {
	if t.opts.onState != nil {
		t.opts.onState(s)
	}
}

// toolbar is the Customer window: the join form, then the session's state.
type toolbar struct {
	app  fyne.App
	win  fyne.Window
	opts options

	about     *widget.Label
	keyEntry  *widget.Entry
	nameEntry *widget.Entry
	langSel   *widget.Select // the language: the system's, English or Français, from the next start
	joinBtn   *widget.Button
	endBtn    *widget.Button
	status    *widget.Label
	route     *widget.Label // how the connection to the technician goes, while one runs
	form      *fyne.Container
	header    *fyne.Container            // the program's name and version, over the join form
	content   *fyne.Container            // the form's or the strip's arrangement (arrangeForm, arrangeStrip)
	inStrip   bool                       // the strip is shown (a session runs)
	size      fyne.Size                  // the size fitWindow last gave the window
	dialogs   map[dialog.Dialog]struct{} // open over the window (showDialog): it is as big as they need
	live                                 // the session's live controls (live.go)
	files     files                      // file transfer (files.go)
	tray      tray                       // the system tray menu (tray.go)

	guest         *session.Guest     // nil when not in a session; UI goroutine only
	unattended    *unattendedRun     // the agent's session that guest is, in helper mode (helper.go)
	access        *accessWindow      // the Unattended access window; nil until opened (access.go)
	accessBtn     *widget.Button     // opens it, on the join form, where unattended access is built
	joining       context.CancelFunc // non-nil while a join is in progress
	joinDone      chan struct{}      // closed when the last join goroutine has returned
	following     chan struct{}      // closed when the goroutine following guest's events has returned
	gate          *ui.Gate           // in front of opts.do; closed at shutdown
	actions       sync.WaitGroup     // session actions running in the background (they may block on the network)
	removed       bool               // the program removed itself at the end of a session
	linksOffered  bool               // the tandem:// link offer was made in this run
	closeAfterEnd bool               // the customer closed the toolbar: it closes once the session has ended
}

func newToolbar(a fyne.App, opts options) *toolbar {
	if opts.do == nil {
		opts.do = fyne.Do
	}
	if opts.injector != nil {
		opts.injector = keepTakeBackKey{opts.injector} // the shortcut is the customer's, never the technician's
	}
	gate := ui.NewGate(opts.do)
	opts.do = gate.Do
	t := &toolbar{app: a, opts: opts, gate: gate}
	t.win = a.NewWindow(lang.L("customer.title"))
	t.build()
	t.win.SetOnClosed(t.shutdown)
	t.win.SetCloseIntercept(t.closeRequested)
	return t
}

func (t *toolbar) build() {
	title := widget.NewLabelWithStyle(lang.L("customer.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ver := widget.NewLabel(lang.L("app.version", map[string]any{"Version": version.Program}))
	t.about = widget.NewLabel(lang.L("customer.about"))
	t.about.Wrapping = fyne.TextWrapWord

	t.keyEntry = widget.NewEntry()
	t.keyEntry.SetPlaceHolder(lang.L("customer.key_placeholder"))
	t.keyEntry.OnSubmitted = func(string) { t.join() }
	t.keyEntry.OnChanged = func(s string) {
		// A pasted join link joins at once.
		if session.LooksLikeLink(s) {
			if _, err := session.ParseLink(s); err == nil {
				t.join()
			}
		}
	}
	t.nameEntry = widget.NewEntry()
	t.nameEntry.SetPlaceHolder(lang.L("customer.name_placeholder"))
	t.nameEntry.SetText(t.opts.name)
	t.nameEntry.OnSubmitted = func(string) { t.join() }
	t.langSel = widget.NewSelect([]string{lang.L("customer.language_system"), "English", "Français"}, nil)
	for i, c := range languageCodes {
		if c == t.app.Preferences().String(languagePref) {
			t.langSel.SetSelectedIndex(i)
		}
	}
	t.langSel.OnChanged = func(string) { t.chooseLanguage() }
	t.joinBtn = widget.NewButtonWithIcon(lang.L("customer.join"), theme.LoginIcon(), t.join)
	t.joinBtn.Importance = widget.HighImportance
	t.accessBtn = widget.NewButtonWithIcon(lang.L("access.open"), theme.StorageIcon(), t.showAccess)
	if t.opts.setup == nil {
		t.accessBtn.Hide()
	}
	t.endBtn = widget.NewButtonWithIcon(lang.L("customer.strip_end"), theme.CancelIcon(), t.confirmEnd)
	t.endBtn.Importance = widget.DangerImportance
	t.endBtn.Hide()
	t.status = widget.NewLabel("")
	t.status.Wrapping = fyne.TextWrapWord
	t.route = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	t.route.Hide()
	t.buildLive()
	t.buildFiles()

	t.form = container.New(layout.NewFormLayout(),
		widget.NewLabel(lang.L("customer.key")), t.keyEntry,
		widget.NewLabel(lang.L("customer.name")), t.nameEntry,
		widget.NewLabel(lang.L("customer.language")), t.langSel,
	)
	t.header = container.NewBorder(nil, nil, title, ver)
	t.content = container.NewVBox()
	t.win.SetContent(container.NewPadded(t.content))
	t.arrangeForm()
	t.win.Canvas().Focus(t.keyEntry)
	t.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { t.dropped(uris) })
	t.buildTray()
}

// formWidth is the join form's width: wide enough for the about text in a few lines, in French too.
const formWidth = 520

// arrangeForm lays the window out as the join form: what Tandem Customer is, the key, the name and the
// language, Join, and the last session's outcome.
func (t *toolbar) arrangeForm() {
	t.inStrip = false
	t.status.Wrapping, t.status.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
	t.content.Objects = []fyne.CanvasObject{
		t.header, t.about, widget.NewSeparator(), t.form,
		container.NewHBox(t.joinBtn, layout.NewSpacer(), t.accessBtn, t.files.menuBtn),
		t.notices, t.status,
	}
	t.content.Refresh()
	t.fitWindow()
}

// arrangeStrip lays the window out as the session's strip: one row with the state in colour, Stop screen
// sharing, Take back control (only while a technician controls), Chat, File transfer and End session; under it
// the latest news in one line, the technicians when there are several, and the chat pane when it is open.
func (t *toolbar) arrangeStrip() {
	t.inStrip = true
	t.status.Wrapping, t.status.Truncation = fyne.TextWrapOff, fyne.TextTruncateEllipsis
	t.content.Objects = []fyne.CanvasObject{
		container.NewHBox(t.indicator, t.stopBtn, t.takeBackBtn, t.chatBtn, t.files.menuBtn, t.endBtn),
		container.NewBorder(nil, nil, nil, t.route, t.status),
		t.notices, t.techList, t.chat,
	}
	t.content.Refresh()
	t.fitWindow()
}

// join reads the key field (digits or a join link) and joins in the background.
func (t *toolbar) join() {
	if t.joining != nil || t.guest != nil {
		return
	}
	text := t.keyEntry.Text
	var lk session.Link
	if session.LooksLikeLink(text) {
		var err error
		if lk, err = session.ParseLink(text); err != nil {
			t.status.SetText(lang.L("customer.bad_key"))
			t.changed(stateJoinFailed)
			return
		}
		if lk.IsInvite() { // a technician's invitation to a colleague, pasted here by mistake
			t.status.SetText(lang.L("customer.invite_link"))
			t.changed(stateJoinFailed)
			return
		}
		t.opts.addr, t.opts.rendezvous = lk.Addr, lk.Rendezvous
	} else {
		key, err := transport.ParseSupportKey(text)
		if err != nil {
			t.status.SetText(lang.L("customer.bad_key"))
			t.changed(stateJoinFailed)
			return
		}
		if t.opts.addr == "" && t.opts.rendezvous == "" {
			t.status.SetText(lang.L("customer.no_address"))
			t.changed(stateJoinFailed)
			return
		}
		lk = session.Link{Addr: t.opts.addr, Key: key}
		if t.opts.rendezvous != "" {
			lk = session.Link{Rendezvous: t.opts.rendezvous, Key: key}
		}
	}
	if t.needsPortal() {
		t.askPortal(t.join) // the system asks for the screen and the input first; then this joins
		return
	}
	t.keyEntry.SetText(transport.FormatSupportKey(lk.Key))
	ctx, cancel := context.WithCancel(context.Background())
	t.joining = cancel
	t.setJoining(true)
	t.status.SetText(lang.L("customer.connecting"))
	name := t.nameEntry.Text
	done := make(chan struct{})
	t.joinDone = done
	cfg := t.guestConfig(name)
	go func() {
		defer close(done)
		g, err := session.Join(ctx, lk, cfg)
		t.opts.do(func() { t.joined(ctx, g, err) })
	}()
}

// guestConfig is what a session of this toolbar runs with: the screen, the input and the timeouts it has.
func (t *toolbar) guestConfig(name string) session.GuestConfig {
	return session.GuestConfig{Name: name, Screen: t.opts.screen,
		Monitor: t.opts.monitor, Input: t.opts.injector, ConsentTimeout: t.opts.consentTimeout,
		IdleTimeout: t.opts.idleTimeout, CtrlAltDel: input.PassesCtrlAltDel(), Path: t.opts.path,
		InviteListen: t.opts.inviteListen, InviteAdvertise: t.opts.inviteAdvertise,
		CanSetUpUnattended: t.opts.setup != nil && !t.opts.helper}
}

func (t *toolbar) joined(ctx context.Context, g *session.Guest, err error) {
	cancelled := ctx.Err() != nil
	if t.joining != nil {
		t.joining()
		t.joining = nil
	}
	if err != nil || cancelled {
		if g != nil {
			t.act(g.End) // shutdown waits: g may be using the screen source
		}
		if t.opts.helper { // an unattended session that did not start: the agent tells the technician
			log.Printf("unattended access: joining failed: %v", err)
			t.win.Hide()
			t.changed(stateJoinFailed)
			return
		}
		t.setJoining(false)
		if !cancelled { // a cancelled join was the window closing: nobody to tell
			t.status.SetText(lang.L("customer.join_failed", map[string]any{"Reason": ui.ErrorText(err)}))
			t.win.Canvas().Focus(t.keyEntry) // to correct the key at once
		}
		t.changed(stateJoinFailed)
		return
	}
	t.guest = g
	g.SetPreferQuality(t.app.Preferences().Bool(preferQualityKey))
	tech := g.Technician()
	name := tech.Name
	if name == "" {
		name = lang.L("app.unnamed")
	}
	t.status.SetText(lang.L("customer.connected", map[string]any{"Name": name, "Version": tech.ProgramVersion}))
	run := t.unattended
	if run != nil {
		t.status.SetText(lang.L("unattended.connected", map[string]any{"Name": name}))
		t.win.Show()
	}
	t.showRoute(tech.Route)
	log.Printf("session: joined %s: %s", name, tech.Route)
	t.joinBtn.Hide()
	t.endBtn.Show()
	t.arrangeStrip()
	t.win.Canvas().Unfocus() // the hidden key field would otherwise swallow the window's shortcuts
	t.startLive(g, name)
	t.dock() // once the strip has its buttons: centred at its real width
	t.keepAbove(true)
	following := make(chan struct{})
	t.following = following
	go func() {
		defer close(following)
		t.follow(g, run)
	}()
	t.changed(stateJoined)
}

// keepAbove keeps the toolbar above other windows while a session runs, so that the customer always sees who
// is viewing and can stop it. Where the desktop cannot (macOS; a test window), the toolbar still comes to the
// front whenever something needs the customer.
func (t *toolbar) keepAbove(on bool) {
	if err := ui.KeepAbove(t.win, on); err != nil && !errors.Is(err, ui.ErrAboveUnsupported) {
		fyne.LogError("keeping the toolbar above other windows", err)
	}
}

func (t *toolbar) setJoining(on bool) {
	if on {
		t.joinBtn.Disable()
		t.keyEntry.Disable()
		t.nameEntry.Disable()
	} else {
		t.joinBtn.Enable()
		t.keyEntry.Enable()
		t.nameEntry.Enable()
	}
}

// follow turns the session's events into UI changes; it ends with the session. The technician's screen updates
// (up to one a frame) are coalesced into one repaint at a time.
func (t *toolbar) follow(g *session.Guest, run *unattendedRun) {
	paints := map[protocol.ParticipantID]*ui.PaintQueue{} // one per technician's screen; this goroutine's
	for e := range g.Events() {
		if run != nil {
			run.observe(e) // the computer's access log
		}
		switch e := e.(type) {
		case session.Ended:
			t.opts.do(func() { t.ended(g, e.Err) })
		case session.ScreenUpdated:
			q := paints[e.Sharer]
			if q == nil {
				q = &ui.PaintQueue{}
				paints[e.Sharer] = q
			}
			if q.Add(e.Changed) {
				t.opts.do(func() {
					changed := q.Take()
					if ts := t.screenOf(e.Sharer); t.guest == g && ts != nil {
						ts.paint(changed)
					}
				})
			}
		case session.PointerMoved:
			t.opts.do(func() {
				if ts := t.screenOf(e.Sharer); t.guest == g && ts != nil {
					ts.pointer(e)
				}
			})
		case session.FileTransfer:
			t.opts.do(func() { t.fileEvent(g, e) })
		case session.ChatReceived:
			t.opts.do(func() { t.chatReceived(g, e.Message) })
		case session.ChatDelivered:
			t.opts.do(func() {
				if t.guest == g {
					t.chat.Add(e.Message)
				}
			})
		case session.Reconnecting:
			t.opts.do(func() { t.reconnectingChanged(g, true) })
		case session.Reconnected:
			t.opts.do(func() { t.reconnectingChanged(g, false) })
		case session.TechnicianScreenChanged:
			t.opts.do(func() { t.techScreenChanged(g, e) })
		case session.SharingChanged:
			t.opts.do(func() { t.sharingChanged(g, e) })
		case session.ControlChanged:
			t.opts.do(func() { t.controlChanged(g, e) })
		case session.ConsentRequested:
			t.opts.do(func() { t.consentRequested(g, e) })
		case session.ConsentExpired:
			t.opts.do(func() { t.consentExpired(g, e) })
		case session.InviteRequested:
			t.opts.do(func() { t.inviteRequested(g, e) })
		case session.ColleagueJoined:
			t.opts.do(func() { t.colleagueJoined(g, e) })
		case session.ColleagueLeft:
			t.opts.do(func() { t.colleagueLeft(g, e) })
		case session.HandedOver:
			t.opts.do(func() { t.handedOver(g, e) })
		}
	}
}

// act runs a session action in the background: actions may block briefly on the network, and the UI goroutine
// never waits. shutdown waits for them.
func (t *toolbar) act(f func()) {
	t.actions.Go(f)
}

// showRoute says how the connection to the technician goes, under the status.
func (t *toolbar) showRoute(r session.Route) {
	t.route.SetText(ui.RouteText(r))
	t.route.Show()
}

func (t *toolbar) ended(g *session.Guest, err error) {
	if t.guest != g {
		return
	}
	t.guest = nil
	t.rememberPlace()
	t.stopLive()
	var removal string
	if g.Preferences().UninstallAtEnd && !t.opts.helper { // unattended access is removed by the user, never here
		removal = t.uninstallAfterSession()
	}
	text := lang.L("customer.ended_by_you")
	if err != nil {
		text = lang.L("customer.ended", map[string]any{"Reason": ui.ErrorText(err)})
		if protocol.CodeOf(err) == protocol.SessionEnded {
			text = lang.L("customer.ended_by_technician", map[string]any{"Name": t.techName})
		}
	}
	if removal != "" {
		text += "\n" + removal
	}
	t.status.SetText(text)
	t.route.Hide()
	t.keyEntry.SetText("")
	t.setJoining(false)
	t.endBtn.Hide()
	t.keepAbove(false)
	t.refreshTray()
	if t.opts.helper { // back to waiting for the agent, out of sight
		t.unattended = nil
		t.closeAfterEnd = false
		t.win.Hide()
		t.changed(stateEnded)
		return
	}
	t.changed(stateEnded)
	if err == nil || t.closeAfterEnd {
		// The customer ended it (End session, closing the toolbar, the tray's Quit): the toolbar closes, as the
		// session's end is what they asked for; a removal has been done above. Starting Tandem Customer again
		// shows the join form.
		t.win.Close()
		return
	}
	if t.removed { // the technician ended it: say so, and that the program is gone (no form: nothing to join with)
		t.arrangeForm()
		t.form.Hide()
		t.about.Hide()
		t.joinBtn.Hide()
		t.fitWindow()
		t.win.RequestFocus()
		return
	}
	t.joinBtn.Show()
	t.arrangeForm()
	t.win.RequestFocus()
	t.win.Canvas().Focus(t.keyEntry) // ready for the next key
	t.offerLinks()                   // if it was not made at the start, which was a join
}

func (t *toolbar) confirmEnd() { t.askEnd(false) }

// closeRequested is what closing the toolbar does: during a session it asks first, as End session does, and
// closes once the session is over (after the removal the technician asked for, if any); otherwise it closes.
func (t *toolbar) closeRequested() {
	if t.guest == nil {
		if t.opts.helper { // the helper stays, out of sight, for the next unattended session
			t.win.Hide()
			return
		}
		t.win.Close()
		return
	}
	t.askEnd(true)
}

// askEnd asks whether to end the session (saying what happens to the program); on Yes it ends it, and with
// closeAfter the toolbar then closes.
func (t *toolbar) askEnd(closeAfter bool) {
	if t.guest == nil {
		return
	}
	question := lang.L("customer.end_question")
	if note := t.uninstallNote(t.guest.Preferences().UninstallAtEnd); note != "" {
		question += "\n\n" + note
	}
	d := dialog.NewConfirm(lang.L("customer.end_title"), question, func(yes bool) {
		if g := t.guest; yes && g != nil {
			t.closeAfterEnd = closeAfter
			t.act(g.End)
		}
	}, t.win)
	d.SetConfirmImportance(widget.DangerImportance) // it cuts the technician off (and may remove the program)
	t.showDialog(d)
}

// shutdown ends the session (or the join in progress) and waits for the goroutines that serve it, for a window
// that closes. opts.do never blocks, so the waits return. Afterwards nothing uses opts.screen or opts.injector.
func (t *toolbar) shutdown() {
	t.gate.Close() // the window is going: what the session reports from now on has nowhere to go
	if t.joining != nil {
		t.joining()
		t.joining = nil
	}
	if t.joinDone != nil {
		<-t.joinDone
	}
	if g := t.guest; g != nil {
		g.End()
		<-t.following
		t.guest = nil
	}
	if t.files.pickEnd != nil {
		t.files.pickEnd() // a file dialog the desktop shows goes away
	}
	t.closePortal()
	t.actions.Wait() // actions on an ended session return at once
	t.stopTakeBackKey()
	t.stopFrame()
	if t.opts.quitting != nil {
		t.opts.quitting()
	}
}

// languagePref keeps the language chosen in the window ("" follows the system).
const languagePref = "language"

// languageCodes are the language list's entries as codes, in its order.
var languageCodes = []string{"", "en", "fr"}

// chooseLanguage applies the language picked in the list at once (the window is built again in it) and keeps
// it for the next start.
func (t *toolbar) chooseLanguage() {
	i := t.langSel.SelectedIndex()
	if i < 0 || i >= len(languageCodes) {
		return
	}
	t.app.Preferences().SetString(languagePref, languageCodes[i])
	if err := i18n.Register(languageCodes[i]); err != nil {
		t.status.SetText(lang.L("customer.language_next_start"))
		return
	}
	t.rebuild()
}

// rebuild builds the window again (in the language now registered), outside a session, keeping what was typed.
func (t *toolbar) rebuild() {
	if t.guest != nil || t.joining != nil {
		return
	}
	key, name := t.keyEntry.Text, t.nameEntry.Text
	t.win.SetTitle(lang.L("customer.title"))
	t.build()
	t.nameEntry.SetText(name)
	if !session.LooksLikeLink(key) { // a link would join at once
		t.keyEntry.SetText(key)
	}
}
