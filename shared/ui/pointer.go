package ui

import (
	"image"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// The remote pointer is drawn over the picture from the sharer's pointer messages (frames never contain it).
// A few shapes are drawn as such; the others as the arrow. In the bitmaps, '#' is the outline, '.' the fill,
// and the hot spot is given apart.

type pointerShape struct {
	rows   []string
	hotX   int
	hotY   int
	cached *image.NRGBA
}

var (
	arrowShape = &pointerShape{rows: []string{
		"#",
		"##",
		"#.#",
		"#..#",
		"#...#",
		"#....#",
		"#.....#",
		"#......#",
		"#.......#",
		"#........#",
		"#.........#",
		"#......#####",
		"#...#..#",
		"#..##..#",
		"#.#  #..#",
		"##   #..#",
		"#     #..#",
		"      #..#",
		"       ##",
	}}
	textShape = &pointerShape{hotX: 3, hotY: 8, rows: []string{
		"### ###",
		"#..#..#",
		"###.###",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"  #.#",
		"###.###",
		"#..#..#",
		"### ###",
	}}
	crossShape = &pointerShape{hotX: 7, hotY: 7, rows: []string{
		"      ###",
		"      #.#",
		"      #.#",
		"      #.#",
		"      #.#",
		"      #.#",
		"#######.#######",
		"#.............#",
		"#######.#######",
		"      #.#",
		"      #.#",
		"      #.#",
		"      #.#",
		"      #.#",
		"      ###",
	}}
)

// shapeFor picks the bitmap for a wire shape.
func shapeFor(s protocol.CursorShape) *pointerShape {
	switch s {
	case protocol.CursorText:
		return textShape
	case protocol.CursorCrosshair:
		return crossShape
	}
	return arrowShape
}

// image renders the bitmap: black outline, white fill, transparent elsewhere.
func (p *pointerShape) image() *image.NRGBA {
	if p.cached != nil {
		return p.cached
	}
	w := 0
	for _, r := range p.rows {
		w = max(w, len(r))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, len(p.rows)))
	for y, r := range p.rows {
		for x, c := range strings.Split(r, "") {
			switch c {
			case "#":
				img.SetNRGBA(x, y, color.NRGBA{A: 0xff})
			case ".":
				img.SetNRGBA(x, y, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff})
			}
		}
	}
	p.cached = img
	return img
}

// pointer is the remote pointer's state and its canvas object.
type pointer struct {
	img     *canvas.Image
	x, y    int
	visible bool
	shape   *pointerShape
}

func newPointer() *pointer {
	p := &pointer{shape: arrowShape}
	p.img = canvas.NewImageFromImage(arrowShape.image())
	p.img.ScaleMode = canvas.ImageScalePixels
	p.img.Hide()
	return p
}

// SetPointer shows the remote pointer at frame pixel (x, y) with that shape, or hides it (visible false: the
// pointer is on another monitor, or nothing is known).
func (s *RemoteScreen) SetPointer(x, y int, visible bool, shape protocol.CursorShape) {
	p := s.ptr
	p.x, p.y, p.visible = x, y, visible
	if sh := shapeFor(shape); sh != p.shape {
		p.shape = sh
		p.img.Image = sh.image()
		p.img.Refresh()
	}
	s.placePointer()
}

// Pointer returns where the remote pointer is drawn in the widget, and whether it is shown.
func (s *RemoteScreen) Pointer() (fyne.Position, bool) {
	return s.ptr.img.Position(), s.ptr.img.Visible()
}

// placePointer moves the pointer's image to where its frame pixel is shown.
func (s *RemoteScreen) placePointer() {
	p := s.ptr
	pos, ok := s.fromFrame(p.x, p.y)
	if !p.visible || !ok {
		p.img.Hide()
		return
	}
	b := p.shape.image().Bounds()
	p.img.Resize(fyne.NewSize(float32(b.Dx()), float32(b.Dy())))
	p.img.Move(fyne.NewPos(pos.X-float32(p.shape.hotX), pos.Y-float32(p.shape.hotY)))
	p.img.Show()
	p.img.Refresh()
}

// fromFrame maps a frame pixel to its position in the widget; ok is false when nothing is shown or the pixel is
// outside the frame.
func (s *RemoteScreen) fromFrame(x, y int) (fyne.Position, bool) {
	fw, fh := s.FrameSize()
	if fw <= 1 && fh <= 1 || x < 0 || y < 0 || x >= fw || y >= fh {
		return fyne.Position{}, false
	}
	if !s.fit {
		return fyne.NewPos(float32(x), float32(y)), true
	}
	size := s.Size()
	scale := min(float64(size.Width)/float64(fw), float64(size.Height)/float64(fh))
	if scale <= 0 {
		return fyne.Position{}, false
	}
	ox := (float64(size.Width) - float64(fw)*scale) / 2
	oy := (float64(size.Height) - float64(fh)*scale) / 2
	return fyne.NewPos(float32(ox+float64(x)*scale), float32(oy+float64(y)*scale)), true
}
