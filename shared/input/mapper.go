package input

import (
	"fmt"
	"image"
)

// Mapper maps points from one pixel rectangle onto another, scaling when their sizes differ and clamping to
// the destination. The sharer maps the viewer's frame coordinates (0..w-1, 0..h-1) onto the captured
// monitor's virtual-screen rectangle (FrameToMonitor); a viewer that shows the frame scaled maps its
// widget's coordinates onto the frame (NewMapper(imageRectInWidget, frameRect)).
type Mapper struct {
	from, to image.Rectangle
}

// NewMapper returns a Mapper from the rectangle from onto to. Both must be non-empty.
func NewMapper(from, to image.Rectangle) (Mapper, error) {
	if from.Empty() || to.Empty() {
		return Mapper{}, fmt.Errorf("mapping %v onto %v: empty rectangle: %w", from, to, ErrInvalid)
	}
	return Mapper{from: from, to: to}, nil
}

// FrameToMonitor returns the Mapper from a frameW×frameH frame onto the monitor's virtual-screen bounds.
func FrameToMonitor(frameW, frameH int, monitor image.Rectangle) (Mapper, error) {
	return NewMapper(image.Rect(0, 0, frameW, frameH), monitor)
}

// Map returns the destination pixel for the source pixel (x, y). Points outside the source land on the
// nearest edge of the destination. With equal sizes it only adds the offset between the rectangles;
// otherwise source pixel x covers destination pixels [x*dw/sw, (x+1)*dw/sw).
func (m Mapper) Map(x, y int) (int, int) {
	return mapAxis(x, m.from.Min.X, m.from.Max.X, m.to.Min.X, m.to.Max.X),
		mapAxis(y, m.from.Min.Y, m.from.Max.Y, m.to.Min.Y, m.to.Max.Y)
}

// MapPoint is Map for an image.Point.
func (m Mapper) MapPoint(p image.Point) image.Point {
	x, y := m.Map(p.X, p.Y)
	return image.Pt(x, y)
}

// Contains reports whether (x, y) is inside the source rectangle (e.g. whether the viewer's pointer is
// over the remote image).
func (m Mapper) Contains(x, y int) bool { return image.Pt(x, y).In(m.from) }

// From returns the source rectangle.
func (m Mapper) From() image.Rectangle { return m.from }

// To returns the destination rectangle.
func (m Mapper) To() image.Rectangle { return m.to }

func mapAxis(v, fmin, fmax, tmin, tmax int) int {
	v = min(max(v, fmin), fmax-1)
	fw, tw := int64(fmax-fmin), int64(tmax-tmin)
	d := int64(v - fmin)
	if fw != tw {
		d = d * tw / fw
	}
	return tmin + int(min(d, tw-1))
}
