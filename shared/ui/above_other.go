//go:build !(linux || freebsd || openbsd || netbsd || windows)

package ui

func keepAboveX11(uintptr, bool) error { return ErrAboveUnsupported }

func keepAboveWindows(uintptr, bool) error { return ErrAboveUnsupported }
