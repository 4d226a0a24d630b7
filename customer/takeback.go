package main

import (
	"log"
	"strings"
	"sync/atomic"

	"github.com/tandem-remote/tandem/shared/hotkey"
	"github.com/tandem-remote/tandem/shared/input"
)

// takeBackKey is Take back control's shortcut held system-wide while a technician controls the computer, so
// that it works whichever program has the keyboard (the technician is usually driving another one). It is held
// only then: the rest of the time Ctrl+Shift+T belongs to the customer's programs (a browser reopens a tab with
// it). A goroutine of its own grabs and releases it (talking to the window system takes a while, and the UI
// goroutine never waits for it); the fields belong to the UI goroutine.
type takeBackKey struct {
	wishes[bool]             // hold it (true) or let it go
	held         atomic.Bool // the shortcut is held now (for tests)
	grabKey      func(hotkey.Modifiers, rune) (*hotkey.Hotkey, error)
}

// holdTakeBackKey asks for the shortcut to be held (on) or let go. A press takes control back, as the button does.
func (t *toolbar) holdTakeBackKey(on bool) {
	k := &t.takeBackKey
	if !on && !k.started() {
		return
	}
	do, takeBack := t.opts.do, t.takeBack
	k.wish(on, func(want <-chan bool, stop <-chan struct{}) { k.run(want, stop, do, takeBack) })
}

// stopTakeBackKey lets the shortcut go and waits for the goroutine, at shutdown.
func (t *toolbar) stopTakeBackKey() { t.takeBackKey.end() }

func (k *takeBackKey) run(want <-chan bool, stop <-chan struct{}, do func(func()), takeBack func()) {
	grab := k.grabKey
	if grab == nil {
		grab = hotkey.Grab
	}
	var held *hotkey.Hotkey
	var pressed <-chan struct{}
	release := func() {
		if held != nil {
			held.Close()
			held, pressed = nil, nil
			k.held.Store(false)
		}
	}
	defer release()
	warned := false
	for {
		select {
		case on := <-want:
			switch {
			case on && held == nil:
				h, err := grab(hotkey.Ctrl|hotkey.Shift, 't')
				if err != nil {
					if !warned {
						warned = true
						log.Printf("take back control: no system-wide shortcut here (%v); it works while the "+
							"toolbar has the keyboard", err)
					}
					continue
				}
				held, pressed = h, h.Pressed()
				k.held.Store(true)
			case !on:
				release()
			}
		case <-pressed:
			do(takeBack)
		case <-stop:
			return
		}
	}
}

// keepTakeBackKey is the customer's injector minus Take back control's shortcut: a technician who presses
// Ctrl+Shift+T in the viewer would otherwise fire the customer's own shortcut (the system sees injected keys as
// typed) and take control away from themselves. The shortcut belongs to the customer.
type keepTakeBackKey struct{ input.Injector }

func isTakeBackKey(key string, mods input.Modifiers) bool {
	return strings.EqualFold(key, "t") && mods&input.ModCtrl != 0 && mods&input.ModShift != 0
}

func (k keepTakeBackKey) KeyDown(key string, mods input.Modifiers) error {
	if isTakeBackKey(key, mods) {
		return nil
	}
	return k.Injector.KeyDown(key, mods)
}

func (k keepTakeBackKey) KeyUp(key string, mods input.Modifiers) error {
	if isTakeBackKey(key, mods) {
		return nil
	}
	return k.Injector.KeyUp(key, mods)
}
