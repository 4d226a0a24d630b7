package main

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
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
	// onLink, if set, is called with every new join link (the demo hands it to the customer).
	onLink func(session.Link)
	// onEvent, if set, is called on the UI goroutine after the windows have shown a session event (the
	// headless demo takes its screenshot on Joined; tests wait on it). ScreenUpdated events are not passed on:
	// they are coalesced into repaints of the viewer.
	onEvent func(session.Event)
	// onPaint, if set, is called on the UI goroutine after the viewer has repainted the customer's screen.
	onPaint func()
	// capture opens the technician's screen for Share my screen (capture.New; tests give a synthetic one).
	capture func() (capture.Source, error)
	// idleTimeout is how long a silent connection lasts before it counts as dropped (the default if 0; tests
	// shorten it).
	idleTimeout time.Duration
	// store keeps the sessions' history for reports; nil when it could not be opened (storeErr says why).
	store    *store.Store
	storeErr error
}

// home is the Expert home window and the session it hosts.
type home struct {
	app  fyne.App
	win  fyne.Window
	opts options
	gate *ui.Gate // in front of opts.do; closed at shutdown

	newSession *widget.Button
	endSession *widget.Button
	showViewer *widget.Button
	keyText    *canvas.Text
	expiry     *widget.Label
	linkEntry  *widget.Entry
	copyKey    *widget.Button
	copyLink   *widget.Button
	status     *widget.Label
	card       *fyne.Container

	host       *session.Host // nil when no session; touched on the UI goroutine only
	following  chan struct{} // closed when the goroutine following host's events has returned
	work       *worker       // runs host's actions that may block, in order; stopped by the following goroutine
	rec        *recorder     // writes host's history; used by the following goroutine and the worker
	hist       *history      // the History window; nil while closed
	prefs      prefs         // the technician's settings
	prefsWin   *prefsWindow  // the Preferences window; nil while closed
	prefsBtn   *widget.Button
	historyBtn *widget.Button
	view       *viewer    // the customer's screen, once joined (kept after the session ends, until the next one)
	countdown  *countdown // nil when no key is counting down
}

func newHome(a fyne.App, opts options) *home {
	if opts.do == nil {
		opts.do = fyne.Do
	}
	if opts.capture == nil {
		opts.capture = capture.New
	}
	gate := ui.NewGate(opts.do)
	opts.do = gate.Do
	h := &home{app: a, opts: opts, gate: gate}
	h.prefs = loadPrefs(a.Preferences(), opts.name)
	// Once the app has stopped, session goroutines must not touch the windows any more.
	a.Lifecycle().SetOnStopped(gate.Close)
	h.win = a.NewWindow(lang.L("expert.title"))
	h.win.SetMaster() // closing the home window quits, viewer included
	h.build()
	h.win.SetOnClosed(h.shutdown)
	return h
}

func (h *home) build() {
	title := widget.NewLabelWithStyle(lang.L("expert.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ver := widget.NewLabel(lang.L("app.version", map[string]any{"Version": version.Program}))
	about := widget.NewLabel(lang.L("expert.about"))
	about.Wrapping = fyne.TextWrapWord

	h.newSession = widget.NewButtonWithIcon(lang.L("expert.new_session"), theme.ContentAddIcon(), h.startSession)
	h.newSession.Importance = widget.HighImportance
	h.endSession = widget.NewButtonWithIcon(lang.L("expert.end_session"), theme.CancelIcon(), h.confirmEnd)
	h.endSession.Importance = widget.DangerImportance
	h.endSession.Disable()
	h.showViewer = widget.NewButtonWithIcon(lang.L("viewer.show"), theme.ComputerIcon(), func() {
		if h.view != nil && !h.view.ended {
			h.view.open()
			h.viewerChanged()
		}
	})
	h.showViewer.Hide()
	h.historyBtn = widget.NewButtonWithIcon(lang.L("history.open"), theme.HistoryIcon(), h.openHistory)
	h.prefsBtn = widget.NewButtonWithIcon(lang.L("prefs.open"), theme.SettingsIcon(), h.openPrefs)
	if h.opts.store == nil {
		h.historyBtn.Disable()
	}

	h.keyText = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	h.keyText.TextSize = 40
	h.keyText.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	h.keyText.Alignment = fyne.TextAlignCenter
	h.expiry = widget.NewLabel("")
	h.expiry.Alignment = fyne.TextAlignCenter
	h.linkEntry = widget.NewEntry()
	h.linkEntry.Disable()
	h.copyKey = widget.NewButtonWithIcon(lang.L("expert.copy_key"), theme.ContentCopyIcon(), func() {
		if h.host != nil {
			h.app.Clipboard().SetContent(transport.FormatSupportKey(h.host.Link().Key))
		}
	})
	h.copyLink = widget.NewButtonWithIcon(lang.L("expert.copy_link"), theme.ContentCopyIcon(), func() {
		if h.host != nil {
			h.app.Clipboard().SetContent(h.host.Link().String())
		}
	})
	h.status = widget.NewLabel(lang.L("expert.no_session"))
	if h.opts.storeErr != nil {
		h.status.SetText(lang.L("expert.history_unavailable", map[string]any{"Reason": h.opts.storeErr.Error()}))
	}
	h.status.Wrapping = fyne.TextWrapWord

	keyLabel := widget.NewLabelWithStyle(lang.L("expert.support_key"), fyne.TextAlignCenter, fyne.TextStyle{})
	h.card = container.NewVBox(keyLabel, h.keyText, h.expiry,
		container.NewBorder(nil, nil, widget.NewLabel(lang.L("expert.join_link")), nil, h.linkEntry),
		container.NewHBox(h.copyKey, h.copyLink))
	h.card.Hide()

	content := container.NewVBox(
		container.NewBorder(nil, nil, title, ver),
		about,
		widget.NewSeparator(),
		container.NewHBox(h.newSession, h.endSession, h.showViewer, layout.NewSpacer(), h.historyBtn, h.prefsBtn),
		h.card,
		widget.NewSeparator(),
		h.status,
	)
	h.win.SetContent(container.NewPadded(content))
	h.win.Resize(fyne.NewSize(600, 540))
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if !h.newSession.Disabled() {
			h.startSession()
		}
	})
	h.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		h.openHistory()
	})
}

// startSession creates a session with a fresh key and waits for the customer.
func (h *home) startSession() {
	h.stopSession()
	h.closeViewer()
	host, err := session.NewHost(session.HostConfig{Listen: h.opts.listen, Advertise: h.opts.advertise,
		Name: h.prefs.Name, Preferences: protocol.Preferences{UninstallAtEnd: h.prefs.UninstallAtEnd},
		IdleTimeout: h.opts.idleTimeout})
	if err != nil {
		h.status.SetText(lang.L("expert.cannot_listen", map[string]any{"Error": ui.ErrorText(err)}))
		return
	}
	h.host = host
	lk := host.Link()
	h.keyText.Text = transport.FormatSupportKey(lk.Key)
	h.keyText.Color = theme.Color(theme.ColorNameForeground)
	h.keyText.Refresh()
	h.linkEntry.SetText(lk.String())
	h.card.Show()
	h.copyKey.Enable()
	h.copyLink.Enable()
	h.endSession.Enable()
	h.newSession.Disable()
	h.status.SetText(lang.L("expert.waiting"))
	h.startCountdown(host)
	following := make(chan struct{})
	h.following = following
	work := newWorker()
	h.work = work
	rec := newRecorder(h.opts.store, h.prefs.Name)
	h.rec = rec
	go func() {
		defer close(following)
		defer work.close() // the session is over: its actions would fail anyway
		h.follow(host, rec)
	}()
	if h.opts.onLink != nil {
		h.opts.onLink(lk)
	}
}

// startCountdown shows the time left on the key, once a second, until stopCountdown.
func (h *home) startCountdown(host *session.Host) {
	h.stopCountdown()
	show := func() {
		left := max(time.Until(host.ExpiresAt()).Round(time.Second), 0)
		h.expiry.SetText(lang.L("expert.expires_in", map[string]any{
			"Time": fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)}))
	}
	show()
	stop, done := make(chan struct{}), make(chan struct{})
	h.countdown = &countdown{stop: stop, done: done}
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.opts.do(func() {
					select {
					case <-stop: // stopped while this was queued
					default:
						show()
					}
				})
			case <-stop:
				return
			}
		}
	}()
}

// countdown is the goroutine that refreshes the expiry label.
type countdown struct{ stop, done chan struct{} }

// stopCountdown stops the countdown goroutine and waits for it (opts.do never blocks: this cannot deadlock).
func (h *home) stopCountdown() {
	if c := h.countdown; c != nil {
		close(c.stop)
		<-c.done
		h.countdown = nil
	}
}

// follow turns the session's events into UI changes; it ends when the session does. Screen updates (up to one a
// frame) are coalesced: one repaint callback at a time, with the union of the regions changed meanwhile.
func (h *home) follow(host *session.Host, rec *recorder) {
	var paints ui.PaintQueue
	for e := range host.Events() {
		rec.event(host, e) // the history first: what the windows show is on disk
		if u, ok := e.(session.ScreenUpdated); ok {
			if paints.Add(u.Changed) {
				h.opts.do(func() {
					changed := paints.Take()
					if h.host == host && h.view != nil {
						h.view.paint(changed)
						if h.opts.onPaint != nil {
							h.opts.onPaint()
						}
					}
				})
			}
			continue
		}
		h.opts.do(func() {
			if h.host != host {
				return // an older session's late news
			}
			h.apply(e)
		})
	}
}

func (h *home) apply(e session.Event) {
	switch e := e.(type) {
	case session.Joined:
		h.stopCountdown()
		h.card.Hide() // the key is spent
		h.status.SetText(lang.L("expert.joined", map[string]any{"Name": displayName(e.Peer.Name),
			"Version": e.Peer.ProgramVersion, "Addr": e.Peer.Addr}))
		h.view = newViewer(h, h.host, displayName(e.Peer.Name))
		h.view.open()
		h.viewerChanged()
	case session.SharingChanged, session.ConsentAnswered, session.ControlChanged, session.MonitorsChanged,
		session.PointerMoved, session.TechnicianScreenChanged, session.Reconnecting, session.Reconnected,
		session.ChatReceived, session.ChatDelivered, session.FileTransfer:
		if h.view != nil {
			h.view.apply(e)
			switch e.(type) {
			case session.Reconnecting:
				h.status.SetText(lang.L("viewer.state.reconnecting", h.view.args()))
			case session.Reconnected:
				h.status.SetText(lang.L("expert.reconnected", h.view.args()))
			}
		}
	case session.AttemptRefused:
		h.status.SetText(lang.L("expert.attempt_refused", map[string]any{"Reason": ui.ErrorText(e.Err)}))
	case session.KeyLost:
		h.stopCountdown()
		h.keyText.Color = theme.Color(theme.ColorNameDisabled)
		h.keyText.Refresh()
		h.expiry.SetText(ui.ErrorText(e.Err))
		h.status.SetText(lang.L("expert.key_lost"))
		h.copyKey.Disable()
		h.copyLink.Disable()
		h.newSession.SetText(lang.L("expert.new_key"))
		h.newSession.Enable()
	case session.Ended:
		h.stopCountdown()
		h.card.Hide()
		h.endSession.Disable()
		h.newSession.SetText(lang.L("expert.new_session"))
		h.newSession.Enable()
		if h.view != nil {
			h.view.end(e.Err)
		}
		if e.Err == nil {
			h.status.SetText(lang.L("expert.ended_by_you"))
		} else {
			h.status.SetText(lang.L("expert.ended", map[string]any{"Reason": ui.ErrorText(e.Err)}))
		}
		h.host, h.work = nil, nil
		h.viewerChanged()
	}
	if h.opts.onEvent != nil {
		h.opts.onEvent(e)
	}
}

func (h *home) confirmEnd() {
	if h.host == nil {
		return
	}
	dialog.ShowConfirm(lang.L("expert.end_title"), lang.L("expert.end_question"), func(yes bool) {
		if yes {
			h.endNow()
		}
	}, h.win)
}

// endNow ends the current session; the Ended event updates the window.
func (h *home) endNow() {
	if host := h.host; host != nil {
		go host.End() // End waits for the session's goroutines, which may be waiting on fyne.Do
	}
}

// stopSession ends the session without waiting, for a new key or shutdown.
func (h *home) stopSession() {
	h.stopCountdown()
	if h.host != nil {
		host := h.host
		h.host, h.work = nil, nil
		go host.End()
	}
}

// shutdown ends the session and waits for the goroutines that follow it, for a window that closes.
func (h *home) shutdown() {
	h.gate.Close() // the windows are going: what the session reports from now on has nowhere to go
	h.stopCountdown()
	if h.host != nil {
		h.host.End()
		<-h.following // the events channel has closed; opts.do never blocks, so this returns
		h.host, h.work = nil, nil
	}
	// The viewer window goes with the app: the home window is the master, and after the app has quit
	// windows must not be touched.
}

// closeViewer closes the viewer window of the previous session, if any.
func (h *home) closeViewer() {
	if h.view != nil {
		h.view.close()
		h.view = nil
	}
	h.viewerChanged()
}

// viewerChanged updates Show viewer: shown while a customer is in session, enabled while the viewer is closed.
func (h *home) viewerChanged() {
	if h.view == nil || h.view.ended {
		h.showViewer.Hide()
		h.historyBtn = widget.NewButtonWithIcon(lang.L("history.open"), theme.HistoryIcon(), h.openHistory)
		h.prefsBtn = widget.NewButtonWithIcon(lang.L("prefs.open"), theme.SettingsIcon(), h.openPrefs)
		if h.opts.store == nil {
			h.historyBtn.Disable()
		}
		return
	}
	h.showViewer.Show()
	enable(h.showViewer, h.view.win == nil)
}

func displayName(n string) string {
	if n == "" {
		return lang.L("app.unnamed")
	}
	return n
}
