package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// ErrAboveUnsupported is returned by KeepAbove where a window cannot be kept above the others (macOS, where
// Fyne gives no way to set a window's level; other drivers).
var ErrAboveUnsupported = errors.New("keeping a window above the others is not supported here")

// KeepAbove asks the desktop to keep w above other windows (on), or to stop (off): on X11 through the window
// manager (the EWMH _NET_WM_STATE_ABOVE state), on Windows as a topmost window. Call it on the UI goroutine,
// once w is shown.
func KeepAbove(w fyne.Window, on bool) error {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return ErrAboveUnsupported
	}
	var err error
	nw.RunNative(func(ctx any) { err = keepAboveNative(ctx, on) })
	return err
}
