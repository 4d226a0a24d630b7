//go:build linux || freebsd || openbsd || netbsd

package main

import "github.com/godbus/dbus/v5"

// trayWorks reports whether the desktop's tray can be used: on these systems it is reached over the D-Bus
// session bus. Without one (a bare X server, a CI machine), Fyne's systray v1.11 dereferences a nil
// connection when the app quits, so the toolbar goes without a tray there.
func trayWorks() bool {
	_, err := dbus.SessionBus() // shared with the systray: not closed here
	return err == nil
}
