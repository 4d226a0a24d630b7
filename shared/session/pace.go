package session

import "time"

// Pacing of a screen stream: the sharer sends the newest picture when the ones before have almost drained
// through the link, never a backlog. The pacer keeps a model of the link's bottleneck: at the estimated delivery
// rate, when would the bytes sent so far have crossed it? The next frame goes when less than queueTarget is
// left, so that the link never idles between frames while its queue stays short, and a pointer move or a chat
// message does not wait behind seconds of pictures.

const (
	// maxFramesInFlight bounds the frames in flight whatever the link.
	maxFramesInFlight = 6
	// rateWindow is how long a delivery-rate sample counts: the estimate is the best of the recent ones, since a
	// screen that changes little sends less than the link could carry.
	rateWindow = 2 * time.Second
	// minQueueTarget is the least time of frames the pacer lets wait at the bottleneck; it is a quarter of the
	// round trip when that is more.
	minQueueTarget = 10 * time.Millisecond
	// probeGain is how much faster than the estimate the model assumes the link to be: a pacer that trusted its
	// estimate would never send faster than it and so never measure more. The budget bounds the queue this makes.
	probeGain = 1.25
	// budgetRTTs bounds the bytes in flight, in round trips of the link's rate, should the rate be overestimated.
	budgetRTTs = 1.5
	// minBudgetRTT stands for the round trip when it is tiny (loopback), so that the budget still holds frames.
	minBudgetRTT = 5 * time.Millisecond
)

// flight is a frame sent and not yet acknowledged.
type flight struct {
	seq         uint64
	bytes       int
	at          time.Time
	ackedBefore int64 // bytes acknowledged when it was sent
	alone       bool  // nothing else was in flight when it was sent
}

// rateSample is one delivery-rate measure, in bytes per second.
type rateSample struct {
	at   time.Time
	rate float64
}

// pacer keeps the frames in flight of one screen stream and estimates the link's delivery rate from the viewer's
// acknowledgements (the bytes acknowledged while a frame was in flight over the time it took, as BBR does).
// It belongs to the capture loop's goroutine.
type pacer struct {
	flying  []flight
	inBytes int
	acked   int64
	samples []rateSample
	drained time.Time // when the bytes sent so far will have crossed the bottleneck, at the estimated rate
}

// sent notes a frame sent.
func (p *pacer) sent(seq uint64, bytes int, now time.Time) {
	p.flying = append(p.flying, flight{seq: seq, bytes: bytes, at: now, ackedBefore: p.acked, alone: len(p.flying) == 0})
	p.inBytes += bytes
	if r := p.rate(); r > 0 {
		p.drained = later(p.drained, now).Add(time.Duration(float64(bytes) / (r * probeGain) * float64(time.Second)))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ack notes the viewer's acknowledgement of frame seq (the viewer acknowledges every frame, in order; an older
// frame still listed is taken as acknowledged too). rtt is the link's round trip without queueing.
//
// A frame's delivery-rate sample is the bytes acknowledged while it was in flight over that time (BBR's
// sample, right when frames follow each other closely). A frame that was alone in flight spent a round trip of
// that time on the way, not in the link: when its bytes took at least as long as the round trip to drain, its
// sample takes the round trip off. Without it, the rate of a link that carries one large frame at a time would
// be measured at a fraction of itself.
func (p *pacer) ack(seq uint64, rtt time.Duration, now time.Time) {
	for len(p.flying) > 0 && p.flying[0].seq <= seq {
		f := p.flying[0]
		p.flying = p.flying[1:]
		p.inBytes -= f.bytes
		p.acked += int64(f.bytes)
		if d := now.Sub(f.at); d > 0 {
			b := float64(p.acked - f.ackedBefore)
			r := b / d.Seconds()
			if drain := d - rtt; f.alone && drain >= d/2 {
				r = b / drain.Seconds()
			}
			p.samples = append(p.samples, rateSample{at: now, rate: r})
		}
	}
	if len(p.flying) == 0 && p.drained.After(now) {
		p.drained = now // everything arrived: the link is idle, whatever the estimate said
	}
	for len(p.samples) > 0 && now.Sub(p.samples[0].at) > rateWindow {
		p.samples = p.samples[1:]
	}
}

// inFlight returns how many frames are in flight.
func (p *pacer) inFlight() int { return len(p.flying) }

// rate returns the estimated delivery rate in bytes per second, 0 before any acknowledgement.
func (p *pacer) rate() float64 {
	best := 0.0
	for _, s := range p.samples {
		best = max(best, s.rate)
	}
	return best
}

// mayShip reports whether another frame may be sent now, given the link's round trip; when not, wait says when
// to ask again (0: at the next acknowledgement). A frame may go when nothing is in flight, or when the frames
// before it will have drained within the queue target and the bytes in flight stay within budgetRTTs of the
// link (before the rate is known: while fewer than two frames are in flight).
func (p *pacer) mayShip(rtt time.Duration, now time.Time) (ok bool, wait time.Duration) {
	switch n := len(p.flying); {
	case n == 0:
		return true, 0
	case n >= maxFramesInFlight:
		return false, 0
	}
	r := p.rate()
	if r == 0 {
		return len(p.flying) < 2, 0
	}
	if len(p.flying) >= 2 && float64(p.inBytes) >= r*max(rtt, minBudgetRTT).Seconds()*budgetRTTs {
		return false, 0 // (one frame may always follow one in flight: a frame larger than the budget is not a reason to idle the link)
	}
	left := p.drained.Sub(now) - max(rtt/4, minQueueTarget)
	if left <= 0 {
		return true, 0
	}
	return false, left
}
