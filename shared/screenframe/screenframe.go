// Package screenframe draws a thin coloured frame around a monitor, above the other windows, while the customer's
// screen is viewed: a sign at the edge of sight that someone sees it (as the yellow frame of the tools people
// know). The frame takes neither the pointer nor the keyboard: clicks at the screen's edges go to what is under
// it. X11: four override-redirect windows with an empty input shape; Windows: four topmost layered windows that
// let the pointer through (built and vetted, not run here); elsewhere Show returns ErrUnsupported.
package screenframe

import (
	"errors"
	"image"
)

// ErrUnsupported is returned where no frame can be drawn (Wayland, macOS; an X server without the SHAPE
// extension, where the frame would take the clicks at the screen's edges).
var ErrUnsupported = errors.New("screenframe: a frame around the screen is not supported here")

// Frame is a frame on screen until Close.
type Frame struct {
	close func()
}

// Close takes the frame away. Calling it again does nothing.
func (f *Frame) Close() {
	if f != nil && f.close != nil {
		f.close()
		f.close = nil
	}
}

// Show draws a frame of width pixels in colour rgb (0xRRGGBB) just inside the rectangle r (a monitor's bounds in
// screen pixels).
func Show(r image.Rectangle, rgb uint32, width int) (*Frame, error) {
	if r.Dx() <= 2*width || r.Dy() <= 2*width || width <= 0 {
		return nil, errors.New("screenframe: a rectangle too small for the frame")
	}
	return show(r, rgb, width)
}

// edges are the four bars of a frame of width w inside r: top, bottom, left, right.
func edges(r image.Rectangle, w int) []image.Rectangle {
	return []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w),
		image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y),
		image.Rect(r.Min.X, r.Min.Y+w, r.Min.X+w, r.Max.Y-w),
		image.Rect(r.Max.X-w, r.Min.Y+w, r.Max.X, r.Max.Y-w),
	}
}
