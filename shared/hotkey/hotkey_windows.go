//go:build windows

package hotkey

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procRegisterHotKey   = user32.NewProc("RegisterHotKey")
	procUnregisterHotKey = user32.NewProc("UnregisterHotKey")
	procGetMessage       = user32.NewProc("GetMessageW")
	procPostThreadMsg    = user32.NewProc("PostThreadMessageW")
)

const (
	modAlt      = 0x0001
	modControl  = 0x0002
	modShift    = 0x0004
	modNoRepeat = 0x4000
	wmHotkey    = 0x0312
	wmQuit      = 0x0012
	hotkeyID    = 1
)

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

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
	errc := make(chan error, 1)
	tid := make(chan uint32, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if r, _, err := procRegisterHotKey.Call(0, hotkeyID, fs, vk); r == 0 {
			errc <- fmt.Errorf("%w: %w", ErrTaken, err)
			return
		}
		defer procUnregisterHotKey.Call(0, hotkeyID)
		tid <- windows.GetCurrentThreadId()
		errc <- nil
		var m msg
		for {
			r, _, _ := procGetMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT or an error
				return
			}
			if m.message == wmHotkey {
				h.signal()
			}
		}
	}()
	if err := <-errc; err != nil {
		<-done
		return err
	}
	id := <-tid
	h.closer = func() {
		procPostThreadMsg.Call(uintptr(id), wmQuit, 0, 0)
		<-done
	}
	return nil
}
