//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"context"
	"errors"
	"log"
	"os"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture/pipewire"
	"github.com/tandem-remote/tandem/shared/wayland"
)

// portalAccess is how the toolbar reaches the screen and the input on a Wayland desktop: through the desktop
// portal, which asks the person in a system dialog. The toolbar first says in its own words what that dialog
// will ask and why, then the system asks (unless it remembers an earlier choice through the restore token).
// Its fields belong to the UI goroutine.
type portalAccess struct {
	tokens wayland.TokenFile
	asked  bool // the portal was asked in this run, and answered (or the customer said not now)

	ctx  context.Context // ends at shutdown: a pending portal request is closed, the watch stops
	stop context.CancelFunc
	// desktop is what the person allowed, stored as soon as the portal answers (before the UI takes it, so
	// that shutdown closes it in any case); nil before, and after the system ended it.
	desktop atomic.Pointer[wayland.Desktop]
}

// errNotNow is the customer choosing Not now in the toolbar's own explanation.
var errNotNow = errors.New("the customer chose not to share now")

// errNoToken is why the helper of unattended access shows no screen on Wayland: the system must have been
// allowed once by the person, in an attended session, for it to restore that choice with nobody there.
var errNoToken = errors.New("on Wayland, the system has not been allowed to share this screen yet")

// detectPortal returns the portal access on a Wayland desktop, nil elsewhere.
func detectPortal() *portalAccess {
	if wayland.Detect(os.Getenv) != wayland.Wayland {
		return nil
	}
	tokens, err := wayland.DefaultTokenFile("portal-token")
	if err != nil {
		log.Printf("wayland: the system will ask every time: %v", err)
	}
	return newPortalAccess(tokens)
}

// newPortalAccess returns the portal access that keeps its restore token in tokens ("" keeps none).
func newPortalAccess(tokens wayland.TokenFile) *portalAccess {
	ctx, stop := context.WithCancel(context.Background())
	return &portalAccess{tokens: tokens, ctx: ctx, stop: stop}
}

// needsPortal reports whether the portal must be asked before the next session.
func (t *toolbar) needsPortal() bool { return t.opts.portal != nil && !t.opts.portal.asked }

// askPortal asks for the screen and the input through the portal, then runs then on the UI goroutine. Unless
// the system will restore an earlier choice, the toolbar first explains the system's dialog; Not now goes on
// without sharing.
func (t *toolbar) askPortal(then func()) {
	p := t.opts.portal
	if p.tokens.Load() != "" {
		t.openPortal(then) // the system remembers the person's choice: it will not ask
		return
	}
	t.setJoining(true) // one question at a time: Join waits for the answer
	text := widget.NewLabel(lang.L("customer.portal_explain"))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("customer.portal_title"), lang.L("customer.portal_continue"),
		lang.L("customer.portal_not_now"), container.NewPadded(text), func(ok bool) {
			if ok {
				t.openPortal(then)
				return
			}
			t.setJoining(false)
			t.portalOpened(nil, errNotNow)
			then()
		}, t.win)
	d.Resize(fyne.NewSize(formWidth, 0))
	t.showDialog(d)
}

// openPortal starts the portal session in the background (the system's dialog shows meanwhile).
func (t *toolbar) openPortal(then func()) {
	p := t.opts.portal
	t.setJoining(true)
	t.status.SetText(lang.L("customer.portal_waiting"))
	t.actions.Add(1)
	go func() {
		defer t.actions.Done()
		d, err := wayland.Open(p.ctx, wayland.Options{Tokens: p.tokens})
		if d != nil {
			p.desktop.Store(d)
		}
		if p.ctx.Err() != nil {
			if d != nil {
				_ = d.Close() // the toolbar closed while the system asked
			}
			return
		}
		t.gate.Do(func() {
			t.setJoining(false)
			t.status.SetText("")
			t.portalOpened(d, err)
			then()
		})
	}()
}

// openPortalForHelper opens the portal for the helper of unattended access if the system can restore an
// earlier choice without asking (nobody may be at the screen); otherwise the helper shares nothing and says why.
func (t *toolbar) openPortalForHelper() {
	p := t.opts.portal
	if p.tokens.Load() == "" {
		t.portalOpened(nil, errNoToken)
		return
	}
	t.openPortal(func() {})
}

// portalOpened takes the portal's answer: the screen and the input, or why not.
func (t *toolbar) portalOpened(d *wayland.Desktop, err error) {
	p := t.opts.portal
	p.asked = true
	t.opts.screen, t.opts.injector, t.opts.screenErr, t.opts.injectorErr = nil, nil, err, err
	if err == nil {
		if src, serr := d.Source(); serr != nil {
			t.opts.screenErr = serr
		} else {
			t.opts.screen, t.opts.monitor = src, 0
		}
		t.opts.injector = keepTakeBackKey{d.Injector()}
		t.watchPortal(d)
	} else {
		log.Printf("wayland: no screen and no control: %v", err)
	}
	t.showBackEndNotices()
	t.fitWindow()
}

// watchPortal follows the portal session: when the system ends it (the person stopped sharing from the
// system's indicator), the session stops sharing and the next one asks again.
func (t *toolbar) watchPortal(d *wayland.Desktop) {
	t.actions.Add(1)
	go func() {
		defer t.actions.Done()
		select {
		case <-d.Ended():
		case <-t.opts.portal.ctx.Done():
			return
		}
		t.gate.Do(func() {
			p := t.opts.portal
			if !p.desktop.CompareAndSwap(d, nil) {
				return // shutdown took it
			}
			p.asked = false
			t.opts.screen, t.opts.injector = nil, nil
			t.opts.screenErr, t.opts.injectorErr = wayland.ErrEnded, wayland.ErrEnded
			t.stopSharing()
			t.showBackEndNotices()
			t.fitWindow()
			_ = d.Close()
		})
	}()
}

// closePortal ends the portal session at shutdown.
func (t *toolbar) closePortal() {
	p := t.opts.portal
	if p == nil {
		return
	}
	p.stop()
	if d := p.desktop.Swap(nil); d != nil {
		_ = d.Close()
	}
}

// portalReason says in plain words why the portal gave no screen or no control; false if err is not the
// portal's.
func portalReason(err error) (string, bool) {
	switch {
	case errors.Is(err, errNotNow):
		return lang.L("customer.why_not_now"), true
	case errors.Is(err, wayland.ErrRefused):
		return lang.L("customer.why_portal_refused"), true
	case errors.Is(err, wayland.ErrNoPortal):
		return lang.L("customer.why_no_portal"), true
	case errors.Is(err, wayland.ErrEnded):
		return lang.L("customer.why_portal_ended"), true
	case errors.Is(err, pipewire.ErrUnavailable):
		return lang.L("customer.why_pipewire"), true
	case errors.Is(err, errNoToken):
		return lang.L("customer.why_wayland_unattended"), true
	}
	return "", false
}
