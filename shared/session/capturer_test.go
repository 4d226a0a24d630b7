package session

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
)

// countingSource counts captures and notices two at once (a source is not asked twice at once).
type countingSource struct {
	capture.Source
	n, busy atomic.Int32
	overlap atomic.Bool
	delay   time.Duration
}

func (c *countingSource) Capture(monitor int, dst *codec.Frame) error {
	if c.busy.Add(1) > 1 {
		c.overlap.Store(true)
	}
	defer c.busy.Add(-1)
	c.n.Add(1)
	time.Sleep(c.delay)
	return c.Source.Capture(monitor, dst)
}

// Viewers asking together share one capture; each gets a picture newer than its last; no two captures overlap;
// a picture held by a viewer is never captured into again.
func TestCapturerSharesPictures(t *testing.T) {
	src := &countingSource{Source: capture.NewPattern(), delay: 2 * time.Millisecond}
	c := newCapturer(src, 0)
	const viewers, rounds = 4, 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, viewers)
	for range viewers {
		wg.Go(func() {
			<-start
			var prev *shot
			var want []byte
			for range rounds {
				var after time.Time
				if prev != nil {
					after = prev.at
				}
				s, err := c.grab(t.Context(), after)
				if err != nil {
					errs <- err
					return
				}
				if prev != nil && !s.at.After(prev.at) {
					errs <- errors.New("a picture not newer than the last")
				}
				if prev != nil && string(prev.frame.Pix[:64]) != string(want) {
					errs <- errors.New("a held picture changed under its viewer")
				}
				c.release(prev)
				prev, want = s, append(want[:0], s.frame.Pix[:64]...)
				time.Sleep(time.Millisecond) // encoding
			}
			c.release(prev)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if src.overlap.Load() {
		t.Fatal("two captures at once")
	}
	if n := src.n.Load(); n >= viewers*rounds {
		t.Fatalf("%d captures for %d viewers × %d pictures: nothing shared", n, viewers, rounds)
	}
	t.Logf("%d captures for %d viewers × %d pictures", src.n.Load(), viewers, rounds)
}

// Choosing another monitor starts a new generation: the next picture is of it, whatever was taken before.
func TestCapturerMonitorGeneration(t *testing.T) {
	src := capture.NewPattern(image.Rect(0, 0, 320, 240), image.Rect(320, 0, 960, 480))
	c := newCapturer(src, 0)
	a, err := c.grab(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c.show(1)
	b, err := c.grab(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if b.gen == a.gen || b.frame.Width != 640 || c.shownMonitor() != 1 {
		t.Fatalf("after show(1): generation %d → %d, width %d", a.gen, b.gen, b.frame.Width)
	}
	c.release(a)
	c.release(b)
	c.show(1) // the same monitor: no new generation
	s, err := c.grab(t.Context(), time.Time{})
	if err != nil || s.gen != b.gen {
		t.Fatalf("show of the monitor shown started generation %d (was %d): %v", s.gen, b.gen, err)
	}
	c.release(s)
}

// A viewer waiting for another's capture stops waiting when its context ends.
func TestCapturerGrabCancelled(t *testing.T) {
	src := &countingSource{Source: capture.NewPattern(), delay: 200 * time.Millisecond}
	c := newCapturer(src, 0)
	var other sync.WaitGroup
	defer other.Wait()
	other.Go(func() {
		s, err := c.grab(context.Background(), time.Time{})
		if err == nil {
			c.release(s)
		}
	})
	for src.busy.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.grab(ctx, time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("grab while another captures, cancelled: %v", err)
	}
}
