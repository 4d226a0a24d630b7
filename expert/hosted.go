package main

import (
	"context"
	"fmt"
	"log"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui"
)

// hosted is one session of the home window: its card (key, countdown, join link, state, buttons), the
// goroutine that follows it, and its viewer once the customer has joined. Use it on the UI goroutine only.
type hosted struct {
	home *home
	n    int // its number on the home window, its title until the customer has joined

	host      *session.Host // nil once the session has ended
	following chan struct{} // closed when the goroutine following host's events has returned
	work      *worker       // runs host's actions that may block, in order; stopped by the following goroutine
	rec       *recorder     // writes host's history; used by the following goroutine and the worker
	view      *viewer       // the customer's screen, once joined (kept after the session ends, until Close)
	countdown *countdown    // nil when no key is counting down
	ended     bool

	box        *fyne.Container // the card
	title      *widget.Label
	key        *fyne.Container // the key, its expiry and the join link, while a customer can use them
	keyText    *canvas.Text
	expiry     *widget.Label
	link       *widget.Label // the join link: selectable, readable (a disabled entry greys it out)
	copyKey    *widget.Button
	copyLink   *widget.Button
	copyInvite *widget.Button // a short text for an e-mail or a chat: the join page (or the link) and the key
	status     *widget.Label
	route      *widget.Label // how the connection to the customer goes, while one runs
	showViewer *widget.Button
	newKey     *widget.Button // after the key was lost, before anyone joined
	endSession *widget.Button
	closeBtn   *widget.Button     // takes an ended session's card away
	joinCancel context.CancelFunc // stops joining a colleague's session; nil when not joining
	// computer is the ID of the unattended computer this session is with ("" for an attended one); openCancel
	// stops waiting for its agent's answer, and opening is closed once that wait is over (nil when none runs).
	computer   string
	openCancel context.CancelFunc
	opening    chan struct{}
}

func newHosted(h *home, n int) *hosted {
	s := &hosted{home: h, n: n}
	s.title = widget.NewLabelWithStyle(lang.L("expert.session_n", map[string]any{"N": n}), fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true})
	s.keyText = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	s.keyText.TextSize = 40
	s.keyText.TextStyle = fyne.TextStyle{Monospace: true}
	s.keyText.Alignment = fyne.TextAlignCenter
	s.expiry = widget.NewLabel("")
	s.expiry.Alignment = fyne.TextAlignCenter
	s.link = widget.NewLabel("")
	s.link.Selectable = true
	s.link.Wrapping = fyne.TextWrapBreak
	s.copyKey = widget.NewButtonWithIcon(lang.L("expert.copy_key"), theme.ContentCopyIcon(), func() {
		if s.host != nil {
			h.app.Clipboard().SetContent(transport.FormatSupportKey(s.host.Link().Key))
		}
	})
	s.copyLink = widget.NewButtonWithIcon(lang.L("expert.copy_link"), theme.ContentCopyIcon(), func() {
		if s.host != nil {
			h.app.Clipboard().SetContent(s.host.Link().String())
		}
	})
	s.copyInvite = widget.NewButtonWithIcon(lang.L("expert.copy_invitation"), theme.MailComposeIcon(), func() {
		if s.host != nil {
			h.app.Clipboard().SetContent(invitationText(h.prefs.Name, s.host.Link(), s.host.JoinPage(),
				time.Until(s.host.ExpiresAt())))
		}
	})
	s.copyInvite.Importance = widget.HighImportance
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.route = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	s.route.Hide()
	s.showViewer = widget.NewButtonWithIcon(lang.L("viewer.show"), theme.ComputerIcon(), func() {
		if s.view != nil {
			s.view.open()
			s.viewerChanged()
		}
	})
	s.showViewer.Hide()
	s.newKey = widget.NewButtonWithIcon(lang.L("expert.new_key"), theme.ViewRefreshIcon(), func() {
		if err := s.start(); err != nil {
			s.status.SetText(lang.L("expert.cannot_listen", map[string]any{"Error": ui.ErrorText(err)}))
		}
	})
	s.newKey.Hide()
	s.endSession = widget.NewButtonWithIcon(lang.L("expert.end_session"), theme.CancelIcon(), s.confirmEnd)
	s.endSession.Importance = widget.DangerImportance
	s.closeBtn = widget.NewButtonWithIcon(lang.L("expert.close_session"), theme.WindowCloseIcon(), func() { h.remove(s) })
	s.closeBtn.Hide()

	keyLabel := widget.NewLabelWithStyle(lang.L("expert.support_key"), fyne.TextAlignCenter, fyne.TextStyle{})
	s.key = container.NewVBox(keyLabel, s.keyText, s.expiry,
		container.NewBorder(nil, nil, widget.NewLabel(lang.L("expert.join_link")), nil, s.link),
		container.NewHBox(layout.NewSpacer(), s.copyKey, s.copyLink, s.copyInvite, layout.NewSpacer()))
	buttons := container.NewHBox(s.showViewer, s.newKey, layout.NewSpacer(), s.endSession, s.closeBtn)
	card := container.NewVBox(s.title, s.key, s.status, s.route, buttons)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	s.box = container.NewPadded(container.NewStack(bg, container.NewPadded(card)))
	return s
}

// start creates the session's host with a fresh key (again after New key) and follows it.
func (s *hosted) start() error {
	h := s.home
	s.stop()
	host, err := session.NewHost(session.HostConfig{Listen: h.opts.listen, Advertise: h.opts.advertise,
		Name: h.prefs.Name, Preferences: protocol.Preferences{UninstallAtEnd: h.prefs.UninstallAtEnd},
		IdleTimeout: h.opts.idleTimeout, KeyLifetime: h.opts.keyLifetime,
		Rendezvous: h.prefs.Rendezvous, Path: h.opts.path, Identity: h.opts.identity})
	if err != nil {
		return err
	}
	host.SetPreferQuality(h.prefs.PreferQuality)
	s.host = host
	lk := host.Link()
	s.keyText.Text = transport.FormatSupportKey(lk.Key)
	s.keyText.Color = theme.Color(theme.ColorNameForeground)
	s.keyText.Refresh()
	s.link.SetText(lk.String())
	s.key.Show()
	s.copyKey.Enable()
	s.copyLink.Enable()
	s.copyInvite.Enable()
	s.newKey.Hide()
	s.endSession.Show()
	s.status.SetText(lang.L("expert.waiting"))
	s.route.Hide()
	s.startCountdown(host)
	s.begin(host)
	if h.opts.onLink != nil {
		h.opts.onLink(lk)
	}
	return nil
}

// begin follows the session of host: its events, its actions' worker and its history.
func (s *hosted) begin(host *session.Host) {
	h := s.home
	s.host = host
	following := make(chan struct{})
	s.following = following
	work := newWorker()
	s.work = work
	rec := newRecorder(h.opts.store, h.prefs.Name)
	s.rec = rec
	go func() {
		defer close(following)
		defer work.close() // the session is over: its actions would fail anyway
		s.follow(host, rec)
	}()
}

// startCountdown shows the time left on the key, once a second, until stopCountdown.
func (s *hosted) startCountdown(host *session.Host) {
	s.stopCountdown()
	show := func() {
		left := max(time.Until(host.ExpiresAt()).Round(time.Second), 0)
		s.expiry.SetText(lang.L("expert.expires_in", map[string]any{
			"Time": fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)}))
	}
	show()
	stop, done := make(chan struct{}), make(chan struct{})
	s.countdown = &countdown{stop: stop, done: done}
	do := s.home.opts.do
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				do(func() {
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
func (s *hosted) stopCountdown() {
	if c := s.countdown; c != nil {
		close(c.stop)
		<-c.done
		s.countdown = nil
	}
}

// follow turns the session's events into UI changes; it ends when the session does. Screen updates (up to one a
// frame) are coalesced: one repaint callback at a time, with the union of the regions changed meanwhile.
func (s *hosted) follow(host *session.Host, rec *recorder) {
	var paints ui.PaintQueue
	do := s.home.opts.do
	for e := range host.Events() {
		rec.event(host, e) // the history first: what the windows show is on disk
		if u, ok := e.(session.ScreenUpdated); ok {
			if paints.Add(u.Changed) {
				do(func() {
					changed := paints.Take()
					if s.host == host && s.view != nil {
						s.view.paint(changed)
						if s.home.opts.onPaint != nil {
							s.home.opts.onPaint()
						}
					}
				})
			}
			continue
		}
		do(func() {
			if s.host != host {
				return // an older key's late news
			}
			s.apply(e)
		})
	}
}

// showRoute says how the connection to the customer goes, under the status.
func (s *hosted) showRoute(r session.Route) {
	s.route.SetText(ui.RouteText(r))
	s.route.Show()
}

func (s *hosted) apply(e session.Event) {
	switch e := e.(type) {
	case session.Joined:
		s.stopCountdown()
		s.key.Hide() // the key is spent
		name := displayName(e.Peer.Name)
		s.title.SetText(name)
		s.status.SetText(lang.L("expert.joined", map[string]any{"Name": name,
			"Version": e.Peer.ProgramVersion, "Addr": e.Peer.Addr}))
		s.showRoute(e.Peer.Route)
		log.Printf("session: %s joined: %s", name, e.Peer.Route)
		s.view = newViewer(s, s.host, e.Peer)
		s.view.open()
		s.viewerChanged()
	case session.SharingChanged, session.ConsentAnswered, session.ControlChanged, session.MonitorsChanged,
		session.PointerMoved, session.TechnicianScreenChanged, session.Reconnecting, session.Reconnected,
		session.ChatReceived, session.ChatDelivered, session.FileTransfer, session.InviteAnswered,
		session.ParticipantsChanged, session.UnattendedSetUp:
		if s.view != nil {
			s.view.apply(e)
			switch e.(type) {
			case session.Reconnecting:
				s.status.SetText(lang.L("viewer.state.reconnecting", s.view.args()))
				s.route.Hide()
			case session.Reconnected:
				r := s.host.Route()
				s.status.SetText(lang.L("expert.reconnected", s.view.args()))
				s.showRoute(r)
				log.Printf("session: reconnected: %s", r)
			}
		}
	case session.AttemptRefused:
		s.status.SetText(attemptText(e))
	case session.KeyLost:
		s.stopCountdown()
		s.keyText.Color = theme.Color(theme.ColorNameDisabled)
		s.keyText.Refresh()
		s.expiry.SetText(ui.ErrorText(e.Err))
		s.status.SetText(lang.L("expert.key_lost"))
		s.copyKey.Disable()
		s.copyLink.Disable()
		s.copyInvite.Disable()
		s.newKey.Show()
	case session.Ended:
		s.stopCountdown()
		s.key.Hide()
		s.newKey.Hide()
		s.route.Hide()
		s.endSession.Hide()
		s.closeBtn.Show()
		if s.view != nil {
			s.view.left = e.Left
			s.view.end(e.Err)
		}
		if e.Left {
			s.status.SetText(lang.L("viewer.state.left"))
		} else if e.Err == nil {
			s.status.SetText(lang.L("expert.ended_by_you"))
		} else {
			s.status.SetText(lang.L("expert.ended", map[string]any{"Reason": ui.ErrorText(e.Err)}))
			if protocol.CodeOf(e.Err) == protocol.SessionEnded && s.view != nil {
				s.status.SetText(lang.L("expert.ended_by_customer", s.view.args()))
			}
		}
		s.host, s.work, s.ended = nil, nil, true
		s.viewerChanged()
	}
	if s.home.opts.onEvent != nil {
		s.home.opts.onEvent(e)
	}
}

func (s *hosted) confirmEnd() {
	if s.cancelJoin() {
		return
	}
	if s.host == nil {
		return
	}
	if s.view != nil && !s.view.ended { // in session: leave, hand over or end, as the viewer asks
		s.view.confirmEndOn(s.home.win)
		return
	}
	d := dialog.NewConfirm(lang.L("expert.end_title"), lang.L("expert.end_waiting_question"), func(yes bool) {
		if yes {
			s.endNow()
		}
	}, s.home.win) // nobody has joined: only the key is lost
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// endNow ends the session; the Ended event updates the windows.
func (s *hosted) endNow() {
	if host := s.host; host != nil {
		go host.End() // End waits for the session's goroutines, which may be waiting on fyne.Do
	}
}

// leaveNow leaves the session, handing it over if this technician leads it; the Ended event updates the
// windows.
func (s *hosted) leaveNow() {
	if host := s.host; host != nil {
		go host.Leave()
	}
}

// stop ends the session without waiting (a new key, a card taken away); its late news is ignored.
func (s *hosted) stop() {
	s.cancelJoin()
	s.stopCountdown()
	if s.openCancel != nil {
		s.openCancel() // its late answer finds another host, or none, and is ignored
		s.openCancel = nil
	}
	if host := s.host; host != nil {
		s.host, s.work = nil, nil
		go host.End()
	}
}

// shutdown ends the session and waits for the goroutine that follows it, for a window that closes.
func (s *hosted) shutdown() {
	s.cancelJoin()
	s.stopCountdown()
	if s.openCancel != nil {
		s.openCancel()
	}
	if s.opening != nil {
		<-s.opening // its answer goes through opts.do, which no longer runs anything: this returns
	}
	if s.host != nil {
		s.host.End()
		<-s.following // the events channel has closed; opts.do never blocks, so this returns
		s.host, s.work = nil, nil
	}
	if s.view != nil {
		s.view.picks.end()
		s.view.picks.wait() // a file dialog of the desktop's goes away when its context ends
	}
}

// cancelJoin stops joining a colleague's session, if the card is joining one, and says so.
func (s *hosted) cancelJoin() bool {
	if s.joinCancel == nil {
		return false
	}
	s.joinCancel()
	s.joinCancel = nil
	s.ended = true
	s.endSession.Hide()
	s.closeBtn.Show()
	s.status.SetText(lang.L("expert.colleague_cancelled"))
	return true
}

// viewerChanged updates Show viewer: shown while a customer is in session, enabled while the viewer is closed.
func (s *hosted) viewerChanged() {
	if s.view == nil || s.view.ended {
		s.showViewer.Hide()
		return
	}
	s.showViewer.Show()
	enable(s.showViewer, s.view.win == nil)
}

// attemptText says, to the technician, that someone was refused and from where: a wrong key in words for them
// (the error's own sentence speaks to the customer).
func attemptText(e session.AttemptRefused) string {
	args := map[string]any{"Reason": ui.ErrorText(e.Err), "From": e.From}
	key := "expert.attempt_refused"
	if protocol.CodeOf(e.Err) == protocol.WrongKey {
		key = "expert.wrong_key"
	}
	if e.From != "" {
		key += "_from"
	}
	return lang.L(key, args)
}

// invitationText is what Copy invitation puts on the clipboard: who invites, where to go and which key to type,
// in a few lines that fit an e-mail or a chat. With a join page the customer needs nothing installed; without
// one the join link opens an installed Tandem Customer.
func invitationText(technician string, lk session.Link, page string, left time.Duration) string {
	if technician == "" {
		technician = lang.L("app.unnamed")
	}
	data := map[string]any{"Name": technician, "Key": transport.FormatSupportKey(lk.Key), "Page": page,
		"Link": lk.String(), "Minutes": max(int(math.Ceil(left.Minutes())), 1)}
	if page != "" {
		return lang.L("expert.invitation_page", data)
	}
	return lang.L("expert.invitation_link", data)
}
