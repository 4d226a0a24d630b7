package session

import (
	"bytes"
	"context"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A frame written to QUIC at once is left to QUIC's congestion window, which on a long path holds more than the
// path carries in a round trip (it grows until the bottleneck's queue overflows): a 300 kB frame then lands in
// the bottleneck's queue in a burst, and every input event, chat message and acknowledgement that crosses in that
// direction waits behind it. The paced stream hands a screen stream's bytes to QUIC in pieces at about the
// link's rate, from a goroutine of its own, so that the frames wait here, where the other streams' packets go
// first, and the capture loop goes on encoding the next frame meanwhile.

const (
	// pacePiece is how many bytes the paced stream hands to QUIC at a time (6 ms of a 10 Mbit/s link).
	pacePiece = 8 << 10
	// paceSlack is how far the paced stream may run ahead of its pace before it sleeps: on a fast link a piece
	// takes microseconds, and sleeping that little would cost more than the piece.
	paceSlack = 2 * time.Millisecond
	// roomGain is the gain on the estimated rate while the link shows under half the target's queue: the link
	// may carry more than the estimate, which only grows when frames cross faster than it. Over the target, the
	// stream sends at drainGain; in between, at the estimate.
	roomGain = 1.2
	// maxBoost bounds how far a backlog may grow its rate above the estimate (see pacedStream.boost).
	maxBoost = 16
	// minBoostBacklog is the least time a backlog must need at the unboosted rate (or four round trips, when
	// longer) for a boost: a frame or two of a moving screen never boosts (see pacedStream.boost).
	minBoostBacklog = 500 * time.Millisecond
	// minPaceRate is the slowest the paced stream writes, in bytes per second, whatever the estimate. On a slow
	// link whose frames are large and few (profile B), the estimate lives on a handful of samples; one from a small
	// frame acknowledged late (behind a large one) put it at 3 kB/s, and the exact picture that followed (120 kB)
	// took 40 s to cross a link of 125 kB/s. (On a link slower than this, QUIC's congestion window holds the
	// frames back instead.)
	minPaceRate = 32 << 10
	// maxPaced is how many bytes may wait in the paced stream before Write blocks. The pacer keeps far fewer in
	// flight but for one large frame (a key frame of a photographic screen is a few megabytes).
	maxPaced = 16 << 20
)

// paceClock is the time and the sleep a paced stream waits with.
type paceClock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) bool
}

type systemClock struct{}

func (systemClock) Now() time.Time                                  { return time.Now() }
func (systemClock) Sleep(ctx context.Context, d time.Duration) bool { return sleep(ctx, d) }

// pacedStream writes to w, from its own goroutine, at the rate set by setRate (bytes per second; 0: as fast as w
// takes it), corrected by what queue tells of the link: its queueing delay now and its round trip.
type pacedStream struct {
	w     io.Writer
	queue func() (delay, rtt time.Duration)
	clock paceClock
	rate  atomic.Uint64 // math.Float64bits of the estimate

	mu      sync.Mutex
	changed *sync.Cond // signalled when bytes come, go, or the stream stops
	waiting bytes.Buffer
	err     error // the first error writing to w
	stopped bool

	done chan struct{}

	// Owned by the goroutine. boost multiplies the rate while a backlog lasts. The estimate only learns from frames
	// acknowledged, and it may never have been measured against a full link: the exact picture of a video paused after
	// seconds of small frames is a megabyte or more, which at the estimate the video's frames taught would take
	// seconds. While such a backlog waits (minBoostBacklog or more at the unboosted rate) and the link shows room,
	// boost doubles every round trip (as a slow start does); while the link shows a queue over the target, it halves;
	// once nothing waits, it is 1 again. (While frames of a moving screen follow each other, a backlog of a frame or
	// two is there half the time. Boosted, they went in bursts of up to 16 times the estimate into the link's queue,
	// the queue the link shows being a round trip old, and input waited behind them: 141-201 ms p95 on profile A,
	// against 125-132 without a boost.)
	boost   float64
	boosted time.Time // when boost last changed
	due     time.Time // when the bytes written so far are due at the pace
}

// newPacedStream starts a paced stream over w; stop ends it.
func newPacedStream(ctx context.Context, w io.Writer, queue func() (delay, rtt time.Duration), clock paceClock) *pacedStream {
	ps := &pacedStream{w: w, queue: queue, clock: clock, done: make(chan struct{}), boost: 1}
	ps.changed = sync.NewCond(&ps.mu)
	go ps.run(ctx)
	return ps
}

// setRate sets the estimated rate of the link, in bytes per second (0: unknown).
func (ps *pacedStream) setRate(r float64) { ps.rate.Store(math.Float64bits(r)) }

// Write queues b to be written; it blocks only while maxPaced bytes wait. An error writing to w is returned by
// the next Write.
func (ps *pacedStream) Write(b []byte) (int, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for ps.waiting.Len() >= maxPaced && ps.err == nil && !ps.stopped {
		ps.changed.Wait()
	}
	switch {
	case ps.err != nil:
		return 0, ps.err
	case ps.stopped:
		return 0, io.ErrClosedPipe
	}
	ps.waiting.Write(b)
	ps.changed.Broadcast()
	return len(b), nil
}

// stop ends the stream once what waits has been written (at once, unpaced), or once ctx is done; it returns
// when the goroutine has.
func (ps *pacedStream) stop() {
	ps.mu.Lock()
	ps.stopped = true
	ps.changed.Broadcast()
	ps.mu.Unlock()
	<-ps.done
}

func (ps *pacedStream) run(ctx context.Context) {
	defer close(ps.done)
	stopWaiting := context.AfterFunc(ctx, func() {
		ps.mu.Lock()
		ps.stopped = true
		ps.changed.Broadcast()
		ps.mu.Unlock()
	})
	defer stopWaiting()
	piece := make([]byte, pacePiece)
	for {
		ps.mu.Lock()
		for ps.waiting.Len() == 0 && !ps.stopped {
			ps.boost = 1
			ps.changed.Wait()
		}
		stopped := ps.stopped
		if stopped && (ps.waiting.Len() == 0 || ps.err != nil || ctx.Err() != nil) {
			ps.mu.Unlock()
			return
		}
		n, backlog := copy(piece, ps.waiting.Bytes()), ps.waiting.Len()
		ps.mu.Unlock()
		if !stopped && !ps.wait(ctx, n, backlog) {
			return
		}
		_, err := ps.w.Write(piece[:n])
		ps.mu.Lock()
		ps.waiting.Next(n)
		if err != nil && ps.err == nil {
			ps.err = err
		}
		ps.changed.Broadcast()
		ps.mu.Unlock()
	}
}

// wait sleeps until a piece of n bytes is due at the pace, and moves the pace on by it; false if ctx ended first.
// backlog is how many bytes wait, the piece's included.
func (ps *pacedStream) wait(ctx context.Context, n, backlog int) bool {
	now := ps.clock.Now()
	delay, rtt := ps.queue()
	room, full := queueRoom(delay, rtt)
	r := writeRate(math.Float64frombits(ps.rate.Load()), delay, rtt)
	switch long := r > 0 && float64(backlog)/r > max(4*rtt, minBoostBacklog).Seconds(); {
	case now.Sub(ps.boosted) < max(rtt, minBudgetRTT):
	case full:
		ps.boost, ps.boosted = max(ps.boost/2, 1), now
	case room && long:
		ps.boost, ps.boosted = min(2*ps.boost, maxBoost), now
	}
	r *= ps.boost
	if r <= 0 {
		ps.due = now // unknown rate: QUIC's window is the only pace
		return true
	}
	r = max(r, minPaceRate)
	if wait := ps.due.Sub(now); wait > paceSlack {
		if !ps.clock.Sleep(ctx, wait) {
			return false
		}
		now = ps.due
	}
	// A stream that was idle saves up at most a small burst: half the queue target's worth of the link may go at
	// once, which the link's queue takes without outgrowing the part of the target that leaves room. On loopback
	// (a target of 10 ms at hundreds of MB/s) most frames go at once, as they did before the stream was paced;
	// on profile A it is 12.5 ms of the link.
	ps.due = later(ps.due, now.Add(-queueTarget(rtt)/2)).Add(time.Duration(float64(n) / r * float64(time.Second)))
	return true
}

// writeRate is the rate the paced stream sends frames at: the pacer's estimate, more while the link shows
// almost no queue (the estimate cannot learn a faster link from frames sent at its own pace), less once the
// queue outgrows the target.
func writeRate(estimate float64, queue, rtt time.Duration) float64 {
	room, full := queueRoom(queue, rtt)
	switch {
	case room:
		return estimate * roomGain
	case full:
		return estimate * drainGain
	default:
		return estimate
	}
}

// queueRoom reports whether the link's queue leaves room for more (under half the target), or is full (over it).
func queueRoom(queue, rtt time.Duration) (room, full bool) {
	target := queueTarget(rtt)
	return queue < target/2, queue > target
}
