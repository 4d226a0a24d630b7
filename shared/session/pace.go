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
	// probeGain is how much faster than the estimate the model assumes the link to be during one round trip in
	// eight (BBR's gain cycle): a pacer that trusted its estimate would never send faster than it and so never
	// measure more. The round trip after it assumes the link slower (drainGain), to drain the queue the probe made
	// when the link had no more to give; the other six trust the estimate. (Probing all the time would keep a
	// standing queue as long as the budget allows, and every pointer move and chat message would wait in it.)
	probeGain = 1.25
	// drainGain is the gain of the round trip after the probe: as much slower as the probe was faster, so that
	// the queue a probe made on a full link is gone after it, and no standing queue builds cycle after cycle.
	drainGain = 2 - probeGain
	// When an acknowledgement finds the link's queue longer than the model's, the estimate is trusted less, in
	// proportion (by at most maxDistrustStep at a time, and maxDistrust in all); each that finds it under half
	// the target regains regainStep of trust.
	maxDistrustStep, maxDistrust, regainStep = 0.2, 0.6, 0.01
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
	ackedBefore int64         // bytes acknowledged when it was sent
	ackedAt     time.Time     // when they had been: the last acknowledgement before it was sent, or its sending
	firstAt     time.Time     // when the frame acknowledged last before it was sent had been sent, or its sending
	alone       bool          // nothing else was in flight when it was sent
	queue       time.Duration // how long the model expected its last bytes to wait at the bottleneck
	modelled    bool          // the model knew the rate when it was sent (else queue means nothing)
	limited     bool          // the model's link was idle when it was sent: its sample shows what was sent, not the link
}

// rateSample is one delivery-rate measure, in bytes per second.
type rateSample struct {
	at   time.Time
	rate float64
}

// pacer keeps the frames in flight of one screen stream and estimates the link's delivery rate from the viewer's
// acknowledgements (as BBR does, see ack), corrected by the queue the link shows.
// It belongs to the capture loop's goroutine.
type pacer struct {
	flying  []flight
	inBytes int
	acked   int64
	ackedAt time.Time // when the last acknowledgement came (or the link was last idle when a frame went)
	firstAt time.Time // when the frame acknowledged last had been sent (or the link was last idle when a frame went)
	samples []rateSample
	drained time.Time     // when the bytes sent so far will have crossed the bottleneck, at the estimated rate
	rtt     time.Duration // the link's round trip without queueing, as last told
	// distrust is how much less than the best recent sample the link's rate is taken to be, 0 to maxDistrust.
	distrust float64
	// bubble: the frames sent until this many bytes have been acknowledged are app-limited (see sent).
	bubble int64
	// heldBack: mayShip said no since the last frame was sent.
	heldBack bool
	// sending is when the frames sent so far will have gone through the bottleneck at the estimated rate, were
	// nothing else on the link: drained without the queue that the link's round trip shows.
	sending time.Time
}

// gains is the gain cycle: the link's rate is taken as the estimate times these, a round trip each in turn.
var gains = [...]float64{probeGain, drainGain, 1, 1, 1, 1, 1, 1}

// gain returns the gain of the cycle's round trip at now.
func (p *pacer) gain(now time.Time) float64 {
	return gains[now.UnixNano()/int64(max(p.rtt, minBudgetRTT))%int64(len(gains))]
}

// sent notes a frame sent. The sample of a frame sent while the model's link is idle measures what the screen had
// to send, not the link. When the frame did not wait for the link (mayShip never said no since the frame before)
// and the frames before it have gone through (sending), the screen had nothing more to send: that starts a bubble
// that lasts until every byte in flight with it has been acknowledged (BBR's app-limited mark), and the samples of
// the frames sent meanwhile measure the screen too. (The link's round trip shows a little queue now and then,
// which pushes the model's drain time ahead: with the idle test alone, the small frames of a video that plays at
// a fraction of the link's rate, each sent just after an acknowledgement, brought the estimate down to the
// video's rate, and the exact picture of the paused video crawled.)
func (p *pacer) sent(seq uint64, bytes int, now time.Time) {
	alone, idle := len(p.flying) == 0, !p.drained.After(now)
	if !p.heldBack && !p.sending.After(now) {
		p.bubble = p.acked + int64(p.inBytes+bytes)
	}
	limited := idle || p.acked < p.bubble
	p.heldBack = false
	if alone {
		p.ackedAt, p.firstAt = now, now // the link was idle: its time until now delivered nothing
	}
	p.flying = append(p.flying, flight{seq: seq, bytes: bytes, at: now, ackedBefore: p.acked, ackedAt: p.ackedAt,
		firstAt: p.firstAt, alone: alone, limited: limited})
	p.inBytes += bytes
	if r := p.rate(); r > 0 {
		tx := time.Duration(float64(bytes) / (r * p.gain(now)) * float64(time.Second))
		p.sending = later(p.sending, now).Add(tx)
		p.drained = later(p.drained, now).Add(tx)
		f := &p.flying[len(p.flying)-1]
		f.queue, f.modelled = p.drained.Sub(now), true
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ack notes the viewer's acknowledgement of frame seq (the viewer acknowledges every frame, in order; an older
// frame still listed is taken as acknowledged too). rtt is the link's round trip without queueing, queue how much
// longer the latest round trip was.
//
// A frame's delivery-rate sample is the bytes acknowledged since the last acknowledgement before it was sent,
// over the time since that acknowledgement (BBR's sample: counted from its sending instead, the bytes of the
// frames before it that were already crossing would be put on too short a time, and a small frame after a
// large one would measure the link at several times its rate), or over the time those bytes took to be sent
// when that is longer (acknowledgements that come in a bunch, after a loss held the stream up, would measure
// the link at the rate they came at). A frame that was alone in flight spent a round trip of that time on the
// way, not in the link: when its bytes took at least as long as the round trip to drain, its sample takes the
// round trip off. Without it, the rate of a link that carries one large frame at a time would be measured at a
// fraction of itself.
func (p *pacer) ack(seq uint64, rtt, queue time.Duration, now time.Time) {
	p.rtt = rtt
	var last *flight
	for len(p.flying) > 0 && p.flying[0].seq <= seq {
		f := p.flying[0]
		last = &f
		p.flying = p.flying[1:]
		p.inBytes -= f.bytes
		p.acked += int64(f.bytes)
		if d := max(now.Sub(f.ackedAt), f.at.Sub(f.firstAt)); d > 0 {
			b := float64(p.acked - f.ackedBefore)
			r := b / d.Seconds()
			if drain := d - rtt; f.alone && drain >= d/2 {
				r = b / drain.Seconds()
			}
			p.sample(r, f.limited, now)
		}
		p.ackedAt, p.firstAt = now, f.at
	}
	if len(p.flying) == 0 && p.drained.After(now) {
		p.drained, p.sending = now, now // everything arrived: the link is idle, whatever the estimate said
	} else if r := p.rate(); r > 0 {
		// The frame acknowledged last had crossed the bottleneck a round trip ago at the latest: what is still in
		// flight will have crossed it once it drains at the rate from then. The model, which the gain cycle
		// moves ahead of the link and back, is never left further ahead than that (it would idle the link).
		if bound := now.Add(-rtt).Add(time.Duration(float64(p.inBytes) / r * float64(time.Second))); bound.Before(p.drained) {
			p.drained = bound
		}
	}
	// Nor is it left behind the queue the link shows. When the link showed more queue than the model expected
	// when it sent the frame just acknowledged, the estimate (the best recent sample) runs above the link's
	// rate, as it does when acknowledgements come bunched: it is trusted a little less, until the link's queue
	// no longer outgrows the model's.
	switch target := queueTarget(rtt); {
	case last == nil || !last.modelled:
	case queue > last.queue+target/2:
		trust := (1 - p.distrust) * min(max(float64(last.queue+target)/float64(queue), 1-maxDistrustStep), 1)
		p.distrust = min(1-trust, maxDistrust)
	case queue < target/2:
		p.distrust = max(p.distrust-regainStep, 0) // the link takes more than the model gives it
	}
	p.drained = later(p.drained, now.Add(queue))
}

// sample takes a delivery-rate sample. One from a frame sent while the link was idle (limited) measures what the
// screen had to send (a small video frame, a cursor blink), not the link: as in BBR, it only counts when it is
// above the estimate, and it does not age the samples out, so that the estimate outlives a quiet screen and the
// exact picture of a paused video is not sent at the rate of the video's small frames.
func (p *pacer) sample(r float64, limited bool, now time.Time) {
	best := 0.0
	for _, s := range p.samples {
		best = max(best, s.rate)
	}
	if limited && r < best {
		return
	}
	p.samples = append(p.samples, rateSample{at: now, rate: r})
	for now.Sub(p.samples[0].at) > rateWindow {
		p.samples = p.samples[1:]
	}
}

// queueTarget is how long frames may wait at the bottleneck on a link of round trip rtt.
func queueTarget(rtt time.Duration) time.Duration { return max(rtt/4, minQueueTarget) }

// inFlight returns how many frames are in flight.
func (p *pacer) inFlight() int { return len(p.flying) }

// rate returns the estimated delivery rate in bytes per second, 0 before any acknowledgement: the best recent
// sample, less the distrust that the link's queue taught.
func (p *pacer) rate() float64 {
	best := 0.0
	for _, s := range p.samples {
		best = max(best, s.rate)
	}
	return best * (1 - p.distrust)
}

// linkRate returns rate(), or, before any acknowledgement, what the oldest frame in flight tells: had the link
// been faster than its bytes over the time it has been in flight, less the round trip (rtt), it would have been
// acknowledged. That bound (0 while it is too early to tell) lets the sharer see that a slow link is slow before
// the first picture has crossed it.
func (p *pacer) linkRate(rtt time.Duration, now time.Time) float64 {
	if r := p.rate(); r > 0 || len(p.flying) == 0 {
		return r
	}
	f := p.flying[0]
	if d := now.Sub(f.at) - rtt; d > 0 {
		return float64(f.bytes) / d.Seconds()
	}
	return 0
}

// mayShip reports whether another frame may be sent now, given the link's round trip; when not, wait says when
// to ask again (0: at the next acknowledgement). A frame may go when nothing is in flight, or when the frames
// before it will have drained within the queue target and the bytes in flight, but for the largest frame, stay
// within budgetRTTs of the link (before the rate is known: while fewer than two frames are in flight).
func (p *pacer) mayShip(rtt time.Duration, now time.Time) (ok bool, wait time.Duration) {
	p.rtt = rtt
	switch n := len(p.flying); {
	case n == 0:
		return true, 0
	case n >= maxFramesInFlight:
		return false, 0 // (a limit on frames, not on the link: the frame that waited for it is not held back)
	}
	r := p.rate()
	if r == 0 {
		return len(p.flying) < 2, 0
	}
	largest := 0
	for _, f := range p.flying {
		largest = max(largest, f.bytes)
	}
	if float64(p.inBytes-largest) >= r*max(rtt, minBudgetRTT).Seconds()*budgetRTTs {
		p.heldBack = true
		return false, 0 // (the largest frame in flight does not count: a frame larger than the budget is not a reason to idle the link)
	}
	left := later(p.drained, now).Sub(now) - queueTarget(rtt)
	if left <= 0 {
		return true, 0
	}
	p.heldBack = true
	return false, left
}
