//go:build linux || freebsd || openbsd || netbsd

package hotkey

import (
	"errors"
	"fmt"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// grab connects to the X display of $DISPLAY and grabs the key on the root window, once for each state of the
// locks (Caps Lock, Num Lock), which X counts as modifiers. A Wayland session without X gives ErrUnsupported.
func grab(h *Hotkey, mods Modifiers, letter rune) error {
	if os.Getenv("DISPLAY") == "" {
		return ErrUnsupported
	}
	c, err := xgb.NewConn()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	setup := xproto.Setup(c)
	root := setup.DefaultScreen(c).Root
	code, err := keycodeOf(c, setup, xproto.Keysym(letter)) // the keysyms of a to z are their ASCII codes
	if err != nil {
		c.Close()
		return err
	}
	var mask uint16
	if mods&Ctrl != 0 {
		mask |= xproto.ModMaskControl
	}
	if mods&Shift != 0 {
		mask |= xproto.ModMaskShift
	}
	if mods&Alt != 0 {
		mask |= xproto.ModMask1
	}
	locks := []uint16{0, xproto.ModMaskLock, xproto.ModMask2, xproto.ModMaskLock | xproto.ModMask2}
	for _, l := range locks {
		err := xproto.GrabKeyChecked(c, false, root, mask|l, code, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
		if err != nil {
			c.Close()
			if ae := (xproto.AccessError{}); errors.As(err, &ae) {
				return ErrTaken
			}
			return fmt.Errorf("hotkey: grabbing the key: %w", err)
		}
	}
	done := make(chan struct{})
	go func() { // ends when the connection closes
		defer close(done)
		for {
			ev, err := c.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			if _, ok := ev.(xproto.KeyPressEvent); ok {
				h.signal()
			}
		}
	}()
	h.closer = func() {
		for _, l := range locks {
			xproto.UngrabKey(c, code, root, mask|l)
		}
		c.Sync() // the ungrabs reach the server before the connection goes
		c.Close()
		<-done
	}
	return nil
}

// keycodeOf finds the key that types keysym (without a modifier) in the current keyboard mapping.
func keycodeOf(c *xgb.Conn, setup *xproto.SetupInfo, keysym xproto.Keysym) (xproto.Keycode, error) {
	n := byte(setup.MaxKeycode - setup.MinKeycode + 1)
	m, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, n).Reply()
	if err != nil {
		return 0, fmt.Errorf("hotkey: reading the keyboard mapping: %w", err)
	}
	per := int(m.KeysymsPerKeycode)
	for i := 0; i < int(n); i++ {
		for j := 0; j < per && j < 2; j++ { // the unshifted and shifted keysyms of the key
			if ks := m.Keysyms[i*per+j]; ks == keysym || ks == keysym-('a'-'A') {
				return xproto.Keycode(int(setup.MinKeycode) + i), nil
			}
		}
	}
	return 0, fmt.Errorf("hotkey: no key types %q on this keyboard", rune(keysym))
}
