package session

import "time"

// How long the sharer waits before capturing again when nothing changed. A screen that is still, or that
// changes now and then (a blinking caret, a clock), is looked at every idleInterval. A screen that moves (a
// video, a scroll, a dragged window: movingChanges changes within movingWindow) is looked at every
// movingInterval: with a fixed 30 ms, a page that scrolls at 30 frames per second was seen one frame in two
// whenever a look fell just before its next frame, and on a slow link the sharer ships about as fast as the page
// moves.
const (
	idleInterval   = 30 * time.Millisecond
	movingInterval = 5 * time.Millisecond
	movingChanges  = 3
	movingWindow   = 250 * time.Millisecond
)

// poller says how long the capture loop waits before the next look at a screen that did not change.
type poller struct {
	changes [movingChanges]time.Time // when the screen was last seen to change, a ring
	next    int                      // the ring's oldest entry
}

// changed notes that the picture captured at was new.
func (p *poller) changed(at time.Time) {
	p.changes[p.next] = at
	p.next = (p.next + 1) % movingChanges
}

// interval returns how long to wait at now before looking again.
func (p *poller) interval(now time.Time) time.Duration {
	if oldest := p.changes[p.next]; !oldest.IsZero() && now.Sub(oldest) <= movingWindow {
		return movingInterval
	}
	return idleInterval
}
