package main

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/version"
)

// options are what the command line (or a test) sets.
type options struct {
	// do runs a function on the UI goroutine without waiting: fyne.Do, or a test's loop.
	do                      func(func())
	listen, advertise, name string
	// onLink, if set, is called with every new join link and every invitation for a colleague (the demo hands
	// them on).
	onLink func(session.Link)
	// onEvent, if set, is called on the UI goroutine after the windows have shown a session event (the
	// headless demo takes its screenshot on Joined; tests wait on it). ScreenUpdated events are not passed on:
	// they are coalesced into repaints of the viewer.
	onEvent func(session.Event)
	// onPaint, if set, is called on the UI goroutine after the viewer has repainted the customer's screen.
	onPaint func()
	// quitting, if set, is called once shutdown has ended the sessions, the program quitting (main: ExitIfStuck).
	quitting func()
	// capture opens the technician's screen for Share my screen (capture.New; tests give a synthetic one).
	capture func() (capture.Source, error)
	// idleTimeout is how long a silent connection lasts before it counts as dropped (the default if 0; tests
	// shorten it).
	idleTimeout time.Duration
	// keyLifetime is how long a support key waits for the customer (the default if 0; tests shorten it).
	keyLifetime time.Duration
	// path tunes the search for a path through a rendezvous (demos and tests on one machine allow loopback).
	path session.PathOptions
	// store keeps the sessions' history for reports; nil when it could not be opened (storeErr says why).
	store    *store.Store
	storeErr error
	// identity is this Expert's lasting certificate, which the computers set up for unattended access know it
	// by; nil when it could not be read or made (identityErr says why): then sessions make one each.
	identity    *transport.Identity
	identityErr error
}

// home is the Expert home window: New session, History, Preferences, and a card for each session it hosts
// (several may run at once, each with its own viewer window).
type home struct {
	app  fyne.App
	win  fyne.Window
	opts options
	gate *ui.Gate // in front of opts.do; closed at shutdown

	newSession *widget.Button
	joinBtn    *widget.Button  // Join a colleague's session
	status     *widget.Label   // what concerns no one session: no session yet, cannot listen, no history
	list       *fyne.Container // the sessions' cards, newest first
	sessions   []*hosted       // newest first; touched on the UI goroutine only
	created    int             // sessions created so far, to number them
	hist       *history        // the History window; nil while closed
	prefs      prefs           // the technician's settings
	prefsWin   *prefsWindow    // the Preferences window; nil while closed
	prefsBtn   *widget.Button
	historyBtn *widget.Button
	tabs       *container.AppTabs // Sessions, Computers
	comps      *computers         // the Computers tab
}

func newHome(a fyne.App, opts options) *home {
	if opts.do == nil {
		opts.do = fyne.Do
	}
	if opts.capture == nil {
		opts.capture = ownScreen
	}
	gate := ui.NewGate(opts.do)
	opts.do = gate.Do
	h := &home{app: a, opts: opts, gate: gate}
	h.prefs = loadPrefs(a.Preferences(), opts.name)
	h.win = a.NewWindow(lang.L("expert.title"))
	h.win.SetMaster() // closing the home window quits, viewers included
	h.build()
	h.win.SetOnClosed(h.shutdown)
	h.win.SetCloseIntercept(h.closeRequested)
	return h
}

func (h *home) build() {
	title := widget.NewLabelWithStyle(lang.L("expert.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ver := widget.NewLabel(lang.L("app.version", map[string]any{"Version": version.Program}))
	about := widget.NewLabel(lang.L("expert.about"))
	about.Wrapping = fyne.TextWrapWord

	h.newSession = widget.NewButtonWithIcon(lang.L("expert.new_session"), theme.ContentAddIcon(), h.startSession)
	h.newSession.Importance = widget.HighImportance
	h.joinBtn = widget.NewButtonWithIcon(lang.L("expert.colleague_open"), theme.LoginIcon(), h.askJoinColleague)
	h.historyBtn = widget.NewButtonWithIcon(lang.L("history.open"), theme.HistoryIcon(), h.openHistory)
	h.prefsBtn = widget.NewButtonWithIcon(lang.L("prefs.open"), theme.SettingsIcon(), h.openPrefs)
	if h.opts.store == nil {
		h.historyBtn.Disable()
	}
	h.status = widget.NewLabel(lang.L("expert.no_session"))
	if h.opts.storeErr != nil {
		h.status.SetText(lang.L("expert.history_unavailable", map[string]any{"Reason": h.opts.storeErr.Error()}))
	}
	h.status.Wrapping = fyne.TextWrapWord
	h.list = container.NewVBox()

	top := container.NewVBox(
		container.NewBorder(nil, nil, title, ver),
		about,
		widget.NewSeparator(),
		container.NewHBox(h.newSession, h.joinBtn, layout.NewSpacer(), h.historyBtn, h.prefsBtn),
	)
	if h.comps != nil {
		h.comps.close()
	}
	h.comps = newComputers(h)
	sessions := container.NewBorder(h.status, nil, nil, nil, container.NewVScroll(h.list))
	h.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(lang.L("expert.tab_sessions"), theme.ComputerIcon(), sessions),
		container.NewTabItemWithIcon(lang.L("expert.tab_computers"), theme.StorageIcon(), h.comps.box))
	h.tabs.OnSelected = func(t *container.TabItem) {
		if t.Content == h.comps.box {
			h.comps.reload() // which computers are on now: checked when they are shown, not at every start
		}
	}
	h.win.SetContent(container.NewPadded(container.NewBorder(top, nil, nil, nil, h.tabs)))
	h.win.Resize(fyne.NewSize(640, 700))
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		h.startSession()
	})
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		h.openHistory()
	})
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		h.openPrefs()
	})
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyU, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		h.tabs.SelectIndex(1) // Computers (for Unattended)
	})
}

// rebuild builds the home window again in the language now registered (no session runs); the History window,
// if open, closes.
func (h *home) rebuild() {
	if h.hist != nil && h.hist.win != nil {
		h.hist.win.Close()
	}
	h.win.SetTitle(lang.L("expert.title"))
	h.build()
}

// startSession creates one more session, with its own key, and puts its card first.
func (h *home) startSession() {
	h.created++
	s := newHosted(h, h.created)
	if err := s.start(); err != nil {
		h.created--
		h.status.SetText(lang.L("expert.cannot_listen", map[string]any{"Error": ui.ErrorText(err)}))
		h.status.Show()
		return
	}
	h.sessions = append([]*hosted{s}, h.sessions...)
	h.list.Objects = append([]fyne.CanvasObject{s.box}, h.list.Objects...)
	h.list.Refresh()
	h.status.Hide() // each card says where its session stands
}

// remove takes an ended session's card away and closes its viewer.
func (h *home) remove(s *hosted) {
	s.stop()
	if s.view != nil {
		s.view.close()
		s.view = nil
	}
	for i, o := range h.sessions {
		if o == s {
			h.sessions = append(h.sessions[:i:i], h.sessions[i+1:]...)
			break
		}
	}
	h.list.Remove(s.box)
	if len(h.sessions) == 0 {
		h.status.SetText(lang.L("expert.no_session"))
		h.status.Show()
	}
}

// viewers are the viewers of the sessions on the home window, newest first.
func (h *home) viewers() []*viewer {
	var vs []*viewer
	for _, s := range h.sessions {
		if s.view != nil {
			vs = append(vs, s.view)
		}
	}
	return vs
}

// closeRequested is what closing the home window does: it quits, after asking when sessions are running.
func (h *home) closeRequested() {
	running := false
	for _, s := range h.sessions {
		running = running || s.host != nil
	}
	if !running {
		h.win.Close()
		return
	}
	d := dialog.NewConfirm(lang.L("expert.quit_title"), lang.L("expert.quit_question"), func(yes bool) {
		if yes {
			h.win.Close() // shutdown ends the sessions
		}
	}, h.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// shutdown ends every session and waits for the goroutines that follow them, for a window that closes.
func (h *home) shutdown() {
	h.gate.Close() // the windows are going: what the sessions report from now on has nowhere to go
	for _, s := range h.sessions {
		s.shutdown()
	}
	h.comps.close()
	if h.opts.quitting != nil {
		h.opts.quitting()
	}
	// The viewer windows go with the app: the home window is the master, and after the app has quit
	// windows must not be touched.
}

func displayName(n string) string {
	if n == "" {
		return lang.L("app.unnamed")
	}
	return n
}
