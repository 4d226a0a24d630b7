//go:build !linux && !freebsd && !openbsd && !netbsd && !windows

package hotkey

// grab: macOS would need an event tap with the Accessibility permission; not built yet.
func grab(*Hotkey, Modifiers, rune) error { return ErrUnsupported }
