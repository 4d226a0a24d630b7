//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// captureX11 reads the pixels of the X window win (a 24/32-bit TrueColor window, as GLFW makes).
func captureX11(win uintptr) (image.Image, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("connecting to X: %w", err)
	}
	defer c.Close()
	d := xproto.Drawable(win)
	geo, err := xproto.GetGeometry(c, d).Reply()
	if err != nil {
		return nil, fmt.Errorf("window geometry: %w", err)
	}
	// Only the part of the window on the screen can be read (X refuses the rest): a window larger than the
	// screen is saved as far as it shows.
	screen := xproto.Setup(c).DefaultScreen(c)
	at, err := xproto.TranslateCoordinates(c, xproto.Window(win), screen.Root, 0, 0).Reply()
	if err != nil {
		return nil, fmt.Errorf("window position: %w", err)
	}
	onScreen := image.Rect(int(at.DstX), int(at.DstY), int(at.DstX)+int(geo.Width), int(at.DstY)+int(geo.Height)).
		Intersect(image.Rect(0, 0, int(screen.WidthInPixels), int(screen.HeightInPixels)))
	if onScreen.Empty() {
		return nil, fmt.Errorf("the window is off the screen")
	}
	x0, y0 := onScreen.Min.X-int(at.DstX), onScreen.Min.Y-int(at.DstY)
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, d, int16(x0), int16(y0), uint16(onScreen.Dx()), //nolint:gosec // screen sizes
		uint16(onScreen.Dy()), 0xffffffff).Reply() //nolint:gosec // screen sizes
	if err != nil {
		return nil, fmt.Errorf("reading window pixels: %w", err)
	}
	w, h := onScreen.Dx(), onScreen.Dy()
	if len(reply.Data) < w*h*4 {
		return nil, fmt.Errorf("window pixels: %d bytes for %dx%d at depth %d", len(reply.Data), w, h, reply.Depth)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ { // BGRX → RGBA
		img.Pix[4*i+0] = reply.Data[4*i+2]
		img.Pix[4*i+1] = reply.Data[4*i+1]
		img.Pix[4*i+2] = reply.Data[4*i+0]
		img.Pix[4*i+3] = 0xff
	}
	return img, nil
}
