//go:build !(linux || freebsd || openbsd || netbsd || windows)

package ui

import "image"

func moveNative(any, image.Point) error { return ErrPlaceUnsupported }

func positionNative(any) (image.Point, error) { return image.Point{}, ErrPlaceUnsupported }
