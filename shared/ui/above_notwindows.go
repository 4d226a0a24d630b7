//go:build linux || freebsd || openbsd || netbsd

package ui

func keepAboveWindows(uintptr, bool) error { return ErrAboveUnsupported }
