package main

import (
	"errors"
	"log"
	"strings"
	"sync"

	"github.com/tandem-remote/tandem/shared/hotkey"
	"github.com/tandem-remote/tandem/shared/input"
)

// takeBackKey is Take back control's shortcut held system-wide while a technician controls the computer, so
// that it works whichever program has the keyboard (the technician is usually driving another one). It is held
// only then: the rest of the time Ctrl+Shift+T belongs to the customer's programs (a browser reopens a tab with
// it). Its fields belong to the UI goroutine.
type takeBackKey struct {
	held    *hotkey.Hotkey
	stop    chan struct{}
	done    sync.WaitGroup
	warned  bool // the log has said once why the shortcut works only in the toolbar
	grabKey func(hotkey.Modifiers, rune) (*hotkey.Hotkey, error)
}

// holdTakeBackKey holds the shortcut (on) or lets it go. A press takes control back, as the button does.
func (t *toolbar) holdTakeBackKey(on bool) {
	k := &t.takeBackKey
	if on == (k.held != nil) {
		return
	}
	if !on {
		close(k.stop)
		k.done.Wait()
		k.held.Close()
		k.held = nil
		return
	}
	grab := k.grabKey
	if grab == nil {
		grab = hotkey.Grab
	}
	h, err := grab(hotkey.Ctrl|hotkey.Shift, 't')
	if err != nil {
		if !k.warned {
			k.warned = true
			how := "it works while the toolbar has the keyboard"
			if errors.Is(err, hotkey.ErrTaken) {
				how = "another program holds it; " + how
			}
			log.Printf("take back control: no system-wide shortcut here (%v): %s", err, how)
		}
		return
	}
	k.held, k.stop = h, make(chan struct{})
	stop, do := k.stop, t.opts.do
	k.done.Go(func() {
		for {
			select {
			case <-h.Pressed():
				do(t.takeBack)
			case <-stop:
				return
			}
		}
	})
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
