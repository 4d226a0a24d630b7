package session

import (
	"context"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
)

// shareWindow is how old a picture another viewer's loop asked for may be and still serve a loop that asks
// now: viewers at the same pace share each capture.
const shareWindow = 10 * time.Millisecond

// maxFreeShots bounds the pictures a capturer keeps for reuse.
const maxFreeShots = 4

// capturer takes the pictures of one screen source for all its viewers: each viewer's loop asks for a picture
// newer than its last and not older than shareWindow, so several technicians watching at the same pace cost
// one capture, not one each. It also holds the monitor shown, which is the same for every viewer: choosing
// another starts a new generation, after which viewers start over with a key frame. Captures run one at a
// time (a source is not asked twice at once).
type capturer struct {
	src capture.Source

	mu      sync.Mutex
	monitor int           // capture index of the monitor shown
	gen     uint64        // bumped when the monitor changes
	last    *shot         // the newest picture, nil before the first
	taking  chan struct{} // non-nil while a capture runs; closed when it ends
	free    []*shot       // pictures nobody holds, kept for their buffers
}

// shot is one picture of the screen, shared by the viewers that hold it (Frame must not change while any
// does: an encoder may retain it as its viewer's framebuffer).
type shot struct {
	frame codec.Frame
	at    time.Time // when the capture began
	gen   uint64    // the capturer's generation it belongs to
	refs  int       // holders: the viewers, and the capturer while it is the newest
}

func newCapturer(src capture.Source, monitor int) *capturer {
	return &capturer{src: src, monitor: monitor}
}

// shownMonitor returns the capture index of the monitor shown.
func (c *capturer) shownMonitor() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.monitor
}

// show makes index the monitor shown; the next pictures are of it, in a new generation.
func (c *capturer) show(index int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index != c.monitor {
		c.monitor = index
		c.gen++
	}
}

// grab returns a picture taken after after (zero: any) and at most shareWindow before now, capturing one if
// there is none; the caller holds it until release. A capture error is returned as is.
func (c *capturer) grab(ctx context.Context, after time.Time) (*shot, error) {
	for {
		c.mu.Lock()
		if s := c.last; s != nil && s.gen == c.gen && s.at.After(after) && time.Since(s.at) <= shareWindow {
			s.refs++
			c.mu.Unlock()
			return s, nil
		}
		if wait := c.taking; wait != nil { // another loop is capturing: its picture may do
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		c.taking = done
		s := c.reuseLocked()
		monitor, gen := c.monitor, c.gen
		c.mu.Unlock()

		at := time.Now()
		err := c.src.Capture(monitor, &s.frame)

		c.mu.Lock()
		c.taking = nil
		close(done)
		if err != nil {
			c.putLocked(s)
			c.mu.Unlock()
			return nil, err
		}
		s.at, s.gen, s.refs = at, gen, 2 // the caller's, and the capturer's as the newest
		if c.last != nil {
			c.dropLocked(c.last)
		}
		c.last = s
		c.mu.Unlock()
		return s, nil
	}
}

// release gives back a picture that grab returned (nil is allowed).
func (c *capturer) release(s *shot) {
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(s)
}

func (c *capturer) dropLocked(s *shot) {
	if s.refs--; s.refs == 0 {
		c.putLocked(s)
	}
}

func (c *capturer) putLocked(s *shot) {
	if len(c.free) < maxFreeShots {
		c.free = append(c.free, s)
	}
}

func (c *capturer) reuseLocked() *shot {
	if n := len(c.free); n > 0 {
		s := c.free[n-1]
		c.free = c.free[:n-1]
		return s
	}
	return &shot{}
}
