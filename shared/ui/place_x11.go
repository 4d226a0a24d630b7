//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2/driver"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func moveNative(ctx any, p image.Point) error {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok {
		return ErrPlaceUnsupported
	}
	conn, err := xgb.NewConn()
	if err != nil {
		return fmt.Errorf("connecting to X: %w", err)
	}
	defer conn.Close()
	return moveX11(conn, xproto.Window(c.WindowHandle), p)
}

// moveX11 asks for the window at p. A window manager decides (it reads the request as ICCCM says and puts its
// frame around); without one the window moves.
func moveX11(c *xgb.Conn, w xproto.Window, p image.Point) error {
	return xproto.ConfigureWindowChecked(c, w, xproto.ConfigWindowX|xproto.ConfigWindowY,
		[]uint32{uint32(int32(p.X)), uint32(int32(p.Y))}).Check() //nolint:gosec // screen coordinates
}

func positionNative(ctx any) (image.Point, error) {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok {
		return image.Point{}, ErrPlaceUnsupported
	}
	conn, err := xgb.NewConn()
	if err != nil {
		return image.Point{}, fmt.Errorf("connecting to X: %w", err)
	}
	defer conn.Close()
	return positionX11(conn, xproto.Window(c.WindowHandle))
}

// positionX11 is where w's top-left corner is on the root window (through any frame a window manager added).
func positionX11(c *xgb.Conn, w xproto.Window) (image.Point, error) {
	root := xproto.Setup(c).DefaultScreen(c).Root
	r, err := xproto.TranslateCoordinates(c, w, root, 0, 0).Reply()
	if err != nil {
		return image.Point{}, fmt.Errorf("reading the window's place: %w", err)
	}
	return image.Pt(int(r.DstX), int(r.DstY)), nil
}
