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
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, d, 0, 0, geo.Width, geo.Height, 0xffffffff).Reply()
	if err != nil {
		return nil, fmt.Errorf("reading window pixels: %w", err)
	}
	w, h := int(geo.Width), int(geo.Height)
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
