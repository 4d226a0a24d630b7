// Package hotkey listens for one key combination anywhere on the desktop, whichever program has the keyboard:
// the customer's Take back control works while the technician drives another program. On X11 it is a passive
// grab of the key on the root window (the press goes to Tandem alone, not to the window in focus); on Windows
// RegisterHotKey. Elsewhere Grab returns ErrUnsupported, and the toolbar's button remains.
package hotkey

import "errors"

// Modifiers of a combination.
type Modifiers uint8

const (
	Ctrl Modifiers = 1 << iota
	Shift
	Alt
)

// ErrUnsupported is returned by Grab where no system-wide shortcut can be had (no X display, macOS, Wayland).
var ErrUnsupported = errors.New("hotkey: system-wide shortcuts are not supported here")

// ErrTaken is returned by Grab when another program holds the combination.
var ErrTaken = errors.New("hotkey: another program holds this shortcut")

// Hotkey is a combination held system-wide until Close.
type Hotkey struct {
	pressed chan struct{}
	closer  func() // releases the combination and waits for the listener to stop
}

// Pressed delivers a value each time the combination is pressed (presses that come while the last one was not
// taken yet are merged). It is never closed.
func (h *Hotkey) Pressed() <-chan struct{} { return h.pressed }

// Close releases the combination. Calling it again does nothing.
func (h *Hotkey) Close() {
	if h.closer != nil {
		h.closer()
		h.closer = nil
	}
}

// signal notes a press without blocking.
func (h *Hotkey) signal() {
	select {
	case h.pressed <- struct{}{}:
	default:
	}
}

// Grab holds the combination of mods and the letter key (a to z) system-wide.
func Grab(mods Modifiers, letter rune) (*Hotkey, error) {
	if letter < 'a' || letter > 'z' {
		return nil, errors.New("hotkey: only the letters a to z are supported")
	}
	h := &Hotkey{pressed: make(chan struct{}, 1)}
	if err := grab(h, mods, letter); err != nil {
		return nil, err
	}
	return h, nil
}
