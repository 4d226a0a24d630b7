package ui

import (
	"errors"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// ErrPlaceUnsupported is returned by MoveWindow and WindowPosition where Tandem cannot place a window (macOS;
// Wayland, where only the compositor places windows; a test window).
var ErrPlaceUnsupported = errors.New("placing a window is not supported here")

// MoveWindow puts the top-left corner of w's content at p, in screen pixels. Call it on the UI goroutine, once w
// is shown. Fyne has no call for it: it goes to the window system (X11 or Windows).
func MoveWindow(w fyne.Window, p image.Point) error {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return ErrPlaceUnsupported
	}
	err := ErrPlaceUnsupported
	nw.RunNative(func(ctx any) { err = moveNative(ctx, p) })
	return err
}

// WindowPosition returns where the top-left corner of w's content is, in screen pixels (after the customer
// dragged it, say).
func WindowPosition(w fyne.Window) (image.Point, error) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return image.Point{}, ErrPlaceUnsupported
	}
	p, err := image.Point{}, ErrPlaceUnsupported
	nw.RunNative(func(ctx any) { p, err = positionNative(ctx) })
	return p, err
}

// TopCentre is where a strip of size sz docks on a monitor with bounds mon: centred at its top edge.
func TopCentre(mon image.Rectangle, sz image.Point) image.Point {
	return image.Pt(mon.Min.X+max(mon.Dx()-sz.X, 0)/2, mon.Min.Y)
}

// Within reports whether a window of size sz at p is mostly on the monitor with bounds mon (its top edge, where
// one drags it, on the monitor), so a remembered place from another screen layout is not used.
func Within(mon image.Rectangle, p, sz image.Point) bool {
	return image.Pt(p.X+sz.X/2, p.Y).In(mon) && p.Y+10 <= mon.Max.Y
}
