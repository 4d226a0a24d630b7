//go:build windows

package hotkey

import (
	"fmt"

	"golang.org/x/sys/windows"

	"github.com/tandem-remote/tandem/shared/winloop"
)

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procRegisterHotKey   = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey = user32.NewProc("UnregisterHotKey")
)

const (
	modAlt      = 0x0001
	modControl  = 0x0002
	modShift    = 0x0004
	modNoRepeat = 0x4000
	wmHotkey    = 0x0312
	hotkeyID    = 1
)

// grab registers the hot key on a thread of its own, whose message loop receives WM_HOTKEY (RegisterHotKey
// with no window posts to the registering thread).
func grab(h *Hotkey, mods Modifiers, letter rune) error {
	var fs uintptr = modNoRepeat
	if mods&Ctrl != 0 {
		fs |= modControl
	}
	if mods&Shift != 0 {
		fs |= modShift
	}
	if mods&Alt != 0 {
		fs |= modAlt
	}
	vk := uintptr(letter - 'a' + 'A') // the virtual-key codes of A to Z are their ASCII codes
	stop, err := winloop.Start(func() (func(), error) {
		if r, _, err := procRegisterHotKey.Call(0, hotkeyID, fs, vk); r == 0 {
			return nil, fmt.Errorf("%w: %w", ErrTaken, err)
		}
		return func() { procUnregisterHotKey.Call(0, hotkeyID) }, nil
	}, func(message uint32) {
		if message == wmHotkey {
			h.signal()
		}
	})
	if err != nil {
		return err
	}
	h.closer = stop
	return nil
}
