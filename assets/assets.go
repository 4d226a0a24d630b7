// Package assets holds the programs' artwork: the Tandem icon, drawn in SVG and rendered to PNG where a
// window manager or a system tray wants pixels.
package assets

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/png"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
	"golang.org/x/image/draw"
)

// IconSVG is the Tandem icon (packaging renders it for the installers).
//
//go:embed tandem.svg
var IconSVG []byte

// IconPNG renders the icon as a size×size PNG.
func IconPNG(size int) ([]byte, error) {
	if size <= 0 || size > 1024 {
		return nil, fmt.Errorf("icon size %d out of 1..1024", size)
	}
	icon, err := oksvg.ReadIconStream(bytes.NewReader(IconSVG))
	if err != nil {
		return nil, fmt.Errorf("reading the icon: %w", err)
	}
	// Drawn at the view box's own size, then scaled: oksvg does not scale stroke widths with SetTarget.
	w, h := int(icon.ViewBox.W), int(icon.ViewBox.H)
	if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return nil, fmt.Errorf("icon view box %dx%d", w, h)
	}
	icon.SetTarget(0, 0, float64(w), float64(h))
	full := image.NewNRGBA(image.Rect(0, 0, w, h))
	icon.Draw(rasterx.NewDasher(w, h, rasterx.NewScannerGV(w, h, full, full.Bounds())), 1)
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(img, img.Bounds(), full, full.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
