//go:build !(linux || freebsd || openbsd || netbsd)

package ui

import (
	"errors"
	"image"
)

func captureX11(uintptr) (image.Image, error) { return nil, errors.New("no X11 on this system") }
