//go:build linux || freebsd || openbsd || netbsd

package screenframe

import (
	"fmt"
	"image"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shape"
	"github.com/jezek/xgb/xproto"
)

func show(r image.Rectangle, rgb uint32, width int) (*Frame, error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, ErrUnsupported
	}
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	if err := shape.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: no SHAPE extension: %w", ErrUnsupported, err)
	}
	screen := xproto.Setup(c).DefaultScreen(c)
	var wins []xproto.Window
	fail := func(err error) (*Frame, error) {
		for _, w := range wins {
			xproto.DestroyWindow(c, w)
		}
		c.Close()
		return nil, fmt.Errorf("screenframe: %w", err)
	}
	for _, e := range edges(r, width) {
		w, err := xproto.NewWindowId(c)
		if err != nil {
			return fail(err)
		}
		err = xproto.CreateWindowChecked(c, 0, w, screen.Root, int16(e.Min.X), int16(e.Min.Y), //nolint:gosec // screen coordinates
			uint16(e.Dx()), uint16(e.Dy()), 0, xproto.WindowClassInputOutput, 0, //nolint:gosec // screen sizes
			xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{visualPixel(screen, rgb), 1}).Check()
		if err != nil {
			return fail(err)
		}
		wins = append(wins, w)
		// An empty input shape: the pointer goes through the bar to the window under it.
		if err := shape.RectanglesChecked(c, shape.SoSet, shape.SkInput, xproto.ClipOrderingUnsorted, w, 0, 0, nil).Check(); err != nil {
			return fail(err)
		}
		name := "Tandem: your screen is shared"
		xproto.ChangeProperty(c, xproto.PropModeReplace, w, xproto.AtomWmName, xproto.AtomString, 8,
			uint32(len(name)), []byte(name)) //nolint:gosec // a short constant
		if err := xproto.MapWindowChecked(c, w).Check(); err != nil {
			return fail(err)
		}
	}
	return &Frame{close: func() {
		for _, w := range wins {
			xproto.DestroyWindow(c, w)
		}
		c.Sync()
		c.Close()
	}}, nil
}

// visualPixel turns 0xRRGGBB into a pixel value of the screen's default visual (TrueColor, as every X server
// of the last decades offers, with its own masks).
func visualPixel(screen *xproto.ScreenInfo, rgb uint32) uint32 {
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual && v.Class == xproto.VisualClassTrueColor {
				return place(rgb>>16&0xff, v.RedMask) | place(rgb>>8&0xff, v.GreenMask) | place(rgb&0xff, v.BlueMask)
			}
		}
	}
	return rgb
}

// place scales an 8-bit component into the bits of mask.
func place(v, mask uint32) uint32 {
	if mask == 0 {
		return 0
	}
	shift, bits := 0, 0
	for mask>>shift&1 == 0 {
		shift++
	}
	for mask>>(shift+bits)&1 == 1 {
		bits++
	}
	if bits < 8 {
		v >>= 8 - bits
	} else {
		v <<= bits - 8
	}
	return v << shift
}
