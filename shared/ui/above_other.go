//go:build !(linux || freebsd || openbsd || netbsd || windows)

package ui

// keepAboveNative cannot keep a window above the others here (macOS: Fyne gives no way to set a window's level).
func keepAboveNative(any, bool) error { return ErrAboveUnsupported }
