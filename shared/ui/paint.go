package ui

import (
	"sync"

	"github.com/tandem-remote/tandem/shared/codec"
)

// maxPaintRects is how many changed regions a paint remembers before it repaints the whole picture instead.
const maxPaintRects = 256

// PaintQueue coalesces a session's screen updates (ScreenUpdated events): it keeps the union of the changed regions and lets
// one UI callback at a time repaint them, however many frames arrive meanwhile. Add is called by the goroutine that reads the events, Take by the
// callback on the UI goroutine; the zero value is ready.
type PaintQueue struct {
	mu     sync.Mutex
	rects  map[codec.Rect]struct{}
	all    bool // too many regions: repaint the whole picture
	queued bool // a paint callback is waiting to run
}

// Add records changed regions and reports whether a paint callback must be queued (none is waiting).
func (p *PaintQueue) Add(changed []codec.Rect) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.all {
		if p.rects == nil {
			p.rects = map[codec.Rect]struct{}{}
		}
		for _, r := range changed {
			p.rects[r] = struct{}{}
		}
		if len(p.rects) > maxPaintRects {
			p.all, p.rects = true, nil
		}
	}
	if p.queued {
		return false
	}
	p.queued = true
	return true
}

// Take returns the regions to repaint (nil: all of it) and lets the next Add queue a callback again.
func (p *PaintQueue) Take() []codec.Rect {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []codec.Rect
	if !p.all {
		out = make([]codec.Rect, 0, len(p.rects))
		for r := range p.rects {
			out = append(out, r)
		}
	}
	p.rects, p.all, p.queued = nil, false, false
	return out
}
