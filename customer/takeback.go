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
	want    chan bool     // the state wanted, latest first (buffer of one)
	stop    chan struct{} // closed by stopTakeBackKey
	done    chan struct{} // closed when the goroutine has released the shortcut and returned
	held    atomic.Bool   // the shortcut is held now (for tests)
	grabKey func(hotkey.Modifiers, rune) (*hotkey.Hotkey, error)
}

// holdTakeBackKey asks for the shortcut to be held (on) or let go. A press takes control back, as the button does.
func (t *toolbar) holdTakeBackKey(on bool) {
	k := &t.takeBackKey
	if k.want == nil {
		if !on {
			return
		}
		k.want, k.stop, k.done = make(chan bool, 1), make(chan struct{}), make(chan struct{})
		go k.run(t.opts.do, t.takeBack)
	}
	select { // replace a wish not yet taken
	case <-k.want:
	default:
	}
	k.want <- on
}

// stopTakeBackKey lets the shortcut go and waits for the goroutine, at shutdown.
func (t *toolbar) stopTakeBackKey() {
	k := &t.takeBackKey
	if k.want == nil {
		return
	}
	close(k.stop)
	<-k.done
	k.want = nil
}

func (k *takeBackKey) run(do func(func()), takeBack func()) {
	defer close(k.done)
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
		case on := <-k.want:
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
		case <-k.stop:
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
