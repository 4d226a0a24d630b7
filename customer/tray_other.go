//go:build !(linux || freebsd || openbsd || netbsd)

package main

// trayWorks reports whether the desktop's tray can be used: Windows and macOS always have one.
func trayWorks() bool { return true }
