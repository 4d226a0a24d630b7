package xvfb

import (
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Pixel reads the colour on screen at (x, y) of display, as 0xRRGGBB (a 24-bit TrueColor screen, as Xvfb's).
func Pixel(t testing.TB, display string, x, y int) uint32 {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	img, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), int16(x), int16(y), 1, 1, 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return uint32(img.Data[2])<<16 | uint32(img.Data[1])<<8 | uint32(img.Data[0]) // BGRX
}
