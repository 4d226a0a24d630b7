package ui

import (
	"fmt"

	"fyne.io/fyne/v2/driver"

	"golang.org/x/sys/windows"
)

var (
	user32       = windows.NewLazySystemDLL("user32.dll")
	setWindowPos = user32.NewProc("SetWindowPos")
)

// keepAboveNative keeps the window of ctx above the others (or stops).
func keepAboveNative(ctx any, on bool) error {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok {
		return ErrAboveUnsupported
	}
	return keepAboveWindows(c.HWND, on)
}

// keepAboveWindows makes hwnd a topmost window (on) or a normal one (off), without moving, sizing or
// activating it.
func keepAboveWindows(hwnd uintptr, on bool) error {
	const (
		swpNoSize     = 0x0001
		swpNoMove     = 0x0002
		swpNoActivate = 0x0010
	)
	after := ^uintptr(1) // HWND_NOTOPMOST (-2)
	if on {
		after = ^uintptr(0) // HWND_TOPMOST (-1)
	}
	if r, _, err := setWindowPos.Call(hwnd, after, 0, 0, 0, 0, swpNoSize|swpNoMove|swpNoActivate); r == 0 {
		return fmt.Errorf("SetWindowPos: %w", err)
	}
	return nil
}
