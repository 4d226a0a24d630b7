//go:build !(linux || freebsd || openbsd || netbsd || windows)

package screenframe

import "image"

func show(image.Rectangle, uint32, int) (*Frame, error) { return nil, ErrUnsupported }
