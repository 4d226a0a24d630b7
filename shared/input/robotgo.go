//go:build cgo && (linux || windows || darwin)

package input

import (
	"fmt"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/go-vgo/robotgo"
)

// robotMu serialises every robotgo call: the library keeps global state (the X display, delays).
var robotMu sync.Mutex

// robot injects with robotgo.
type robot struct {
	mu     sync.Mutex
	closed bool
}

// New returns the system's injector: robotgo (XTest on X11, SendInput on Windows, CGEvent on macOS). On X11
// it checks that $DISPLAY can be opened and installs an Xlib error handler that counts errors instead of
// ending the process (Xlib's default), so that an event the server rejects (say, a key the keyboard map
// lacks) becomes an error here. Coordinates are virtual-screen pixels; on Windows robotgo scales them by the
// system DPI factor. Only one injector should be open at a time.
func New() (Injector, error) {
	robotMu.Lock()
	defer robotMu.Unlock()
	if err := platformInit(); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return &robot{}, nil
}

// do runs f under the locks, unless the injector is closed, and turns X errors it caused into an error.
func (r *robot) do(what string, f func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("input: %s: %w", what, ErrClosed)
	}
	robotMu.Lock()
	defer robotMu.Unlock()
	before := platformErrors()
	err := f()
	if n := platformErrors() - before; err == nil && n > 0 {
		err = fmt.Errorf("the X server rejected %d request(s)", n)
	}
	if err != nil {
		return fmt.Errorf("input: %s: %w", what, err)
	}
	return nil
}

// Move implements Injector.
func (r *robot) Move(x, y int) error {
	return r.do("move", func() error { robotgo.Move(x, y); return nil })
}

// ButtonDown implements Injector.
func (r *robot) ButtonDown(b Button) error {
	if err := CheckButton(b); err != nil {
		return fmt.Errorf("input: button down: %w", err)
	}
	return r.do("button down", func() error { return robotgo.Toggle(b.String(), "down") })
}

// ButtonUp implements Injector.
func (r *robot) ButtonUp(b Button) error {
	if err := CheckButton(b); err != nil {
		return fmt.Errorf("input: button up: %w", err)
	}
	return r.do("button up", func() error { return robotgo.Toggle(b.String(), "up") })
}

// DoubleClick implements Injector. On macOS robotgo marks the second click as a double click (the system
// needs that); elsewhere it is two quick clicks.
func (r *robot) DoubleClick(b Button) error {
	if err := CheckButton(b); err != nil {
		return fmt.Errorf("input: double click: %w", err)
	}
	return r.do("double click", func() error {
		if runtime.GOOS == "darwin" {
			robotgo.Click(b.String(), true)
			return nil
		}
		for i := 0; i < 2; i++ {
			if err := robotgo.Toggle(b.String(), "down"); err != nil {
				return err
			}
			if err := robotgo.Toggle(b.String(), "up"); err != nil {
				return err
			}
		}
		return nil
	})
}

// Scroll implements Injector.
func (r *robot) Scroll(dx, dy int) error {
	if err := CheckScroll(dx, dy); err != nil {
		return fmt.Errorf("input: scroll: %w", err)
	}
	return r.do("scroll", func() error {
		for _, s := range scrollSteps(runtime.GOOS, dx, dy) {
			if s.shift {
				if err := robotgo.KeyToggle("shift", "down"); err != nil {
					return err
				}
			}
			robotgo.Scroll(s.x, s.y, 0)
			if s.shift {
				if err := robotgo.KeyToggle("shift", "up"); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// KeyDown implements Injector. A single non-ASCII character ("é") has no key robotgo can press: it is typed
// instead (modifiers ignored), and its KeyUp does nothing.
func (r *robot) KeyDown(key string, mods Modifiers) error {
	if err := CheckKey(key, mods); err != nil {
		return fmt.Errorf("input: key down: %w", err)
	}
	if isChar(key) && key[0] >= utf8.RuneSelf {
		return r.Type(key)
	}
	return r.do("key down "+key, func() error { return robotgo.KeyToggle(key, toArgs("down", mods)...) })
}

// KeyUp implements Injector.
func (r *robot) KeyUp(key string, mods Modifiers) error {
	if err := CheckKey(key, mods); err != nil {
		return fmt.Errorf("input: key up: %w", err)
	}
	if isChar(key) && key[0] >= utf8.RuneSelf {
		return nil
	}
	return r.do("key up "+key, func() error { return robotgo.KeyToggle(key, toArgs("up", mods)...) })
}

// Type implements Injector with robotgo.Type, which sends characters rather than keys: Unicode input on
// Windows and macOS; on X11 keysyms of the current layout for ASCII, and for other characters a spare keycode
// that robotgo remaps to the character's keysym. Enter and Tab are key taps.
func (r *robot) Type(text string) error {
	if err := CheckText(text); err != nil {
		return fmt.Errorf("input: type: %w", err)
	}
	if runtime.GOOS == "linux" {
		for _, c := range text {
			// robotgo builds the keysym name of a character as "U" + 4 hex digits: beyond U+FFFF it names
			// nothing, and the key press would carry an invalid keycode.
			if c > 0xffff {
				return fmt.Errorf("input: type: character U+%04X: %w", c, ErrUnsupported)
			}
		}
	}
	return r.do("type", func() error {
		for _, p := range splitText(text) {
			if p.key != "" {
				if err := robotgo.KeyTap(p.key); err != nil {
					return err
				}
				continue
			}
			robotgo.Type(p.text)
		}
		return nil
	})
}

// Close implements Injector. On X11 it closes robotgo's display connection (the next injector opens a new
// one, with the $DISPLAY of that time).
func (r *robot) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	robotMu.Lock()
	defer robotMu.Unlock()
	platformClose()
	return nil
}
