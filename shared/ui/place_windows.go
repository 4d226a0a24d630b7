package ui

import (
	"fmt"
	"image"
	"unsafe"

	"fyne.io/fyne/v2/driver"
)

var (
	procClientToScreen = user32.NewProc("ClientToScreen")
	procGetWindowRect  = user32.NewProc("GetWindowRect")
)

type point struct{ x, y int32 }

type rect struct{ left, top, right, bottom int32 }

// moveNative moves the window so that its client area's corner lands at p (the frame is around it).
func moveNative(ctx any, p image.Point) error {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok {
		return ErrPlaceUnsupported
	}
	var wr rect
	if r, _, err := procGetWindowRect.Call(c.HWND, uintptr(unsafe.Pointer(&wr))); r == 0 {
		return fmt.Errorf("GetWindowRect: %w", err)
	}
	var cp point
	if r, _, err := procClientToScreen.Call(c.HWND, uintptr(unsafe.Pointer(&cp))); r == 0 {
		return fmt.Errorf("ClientToScreen: %w", err)
	}
	x, y := p.X-int(cp.x-wr.left), p.Y-int(cp.y-wr.top)
	const swpNoSize, swpNoZOrder, swpNoActivate = 0x0001, 0x0004, 0x0010
	if r, _, err := setWindowPos.Call(c.HWND, 0, uintptr(x), uintptr(y), 0, 0, swpNoSize|swpNoZOrder|swpNoActivate); r == 0 {
		return fmt.Errorf("SetWindowPos: %w", err)
	}
	return nil
}

func positionNative(ctx any) (image.Point, error) {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok {
		return image.Point{}, ErrPlaceUnsupported
	}
	var cp point
	if r, _, err := procClientToScreen.Call(c.HWND, uintptr(unsafe.Pointer(&cp))); r == 0 {
		return image.Point{}, fmt.Errorf("ClientToScreen: %w", err)
	}
	return image.Pt(int(cp.x), int(cp.y)), nil
}
