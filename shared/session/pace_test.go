package session

import (
	"slices"
	"testing"
	"time"
)

// linkSim is a simulated link: frames cross a bottleneck of rateAt(elapsed) bytes per second with a round trip
// of rtt, and the viewer acknowledges each once its last byte is through and half the round trip has passed
// twice (at the next multiple of bunch, when bunch is set: a busy viewer's acknowledgements come bunched). The
// pacer acknowledged learns the queue the frame met, as QUIC's round trip shows it.
type linkSim struct {
	rateAt func(elapsed time.Duration) float64
	rtt    time.Duration
	frames []int // sizes, in turn
	bunch  time.Duration
}

// simFrame is what became of one frame.
type simFrame struct {
	sent   time.Duration // after the start
	queued time.Duration // how long it waited at the bottleneck
	tx     time.Duration // how long the bottleneck took to pass it
}

// run lets p send frames over the link for span.
func (l linkSim) run(p *pacer, span time.Duration) []simFrame {
	start := time.Unix(0, 0)
	now, free := start, start // free: when the bottleneck is free
	type pending struct {
		seq    uint64
		at     time.Time
		queued time.Duration
	}
	var acks []pending
	var seq uint64
	var out []simFrame
	end := start.Add(span)
	for now.Before(end) {
		for len(acks) > 0 && !acks[0].at.After(now) { // acknowledgements due by now
			p.ack(acks[0].seq, l.rtt, acks[0].queued, acks[0].at)
			acks = acks[1:]
		}
		ok, wait := p.mayShip(l.rtt, now)
		if ok {
			size := l.frames[int(seq)%len(l.frames)]
			tx := time.Duration(float64(size) / l.rateAt(now.Sub(start)) * float64(time.Second))
			seq++
			p.sent(seq, size, now)
			at := later(free, now)
			out = append(out, simFrame{sent: now.Sub(start), queued: at.Sub(now), tx: tx})
			free = at.Add(tx)
			ack := free.Add(l.rtt)
			if l.bunch > 0 {
				ack = ack.Truncate(l.bunch).Add(l.bunch)
			}
			acks = append(acks, pending{seq, ack, at.Sub(now)})
			continue
		}
		next := end
		if wait > 0 {
			next = now.Add(wait)
		}
		if len(acks) > 0 && acks[0].at.Before(next) {
			next = acks[0].at
		}
		now = next
	}
	return out
}

// The pacer, which is not told the rate, must come to keep the link busy without letting frames queue.
func TestPacerFillsTheLinkWithoutAQueue(t *testing.T) {
	for _, c := range []struct {
		name   string
		rate   float64 // bytes per second
		rtt    time.Duration
		frames []int
		bunch  time.Duration
	}{
		{"profile A, text frames", 1.25e6, 100 * time.Millisecond, []int{30_000}, 0},
		{"profile A, frames larger than the round trip holds", 1.25e6, 100 * time.Millisecond, []int{300_000}, 0},
		{"profile A, a large frame then small ones", 1.25e6, 100 * time.Millisecond, []int{200_000, 3_000, 3_000, 3_000}, 0},
		{"profile A, sizes that vary", 1.25e6, 100 * time.Millisecond, []int{60_000, 5_000, 90_000, 20_000, 1_000, 40_000}, 0},
		{"profile A, acknowledgements in bunches", 1.25e6, 100 * time.Millisecond, []int{60_000, 20_000}, 60 * time.Millisecond},
		{"profile B", 0.25e6, 200 * time.Millisecond, []int{20_000}, 0},
		{"profile B, a large frame then small ones", 0.25e6, 200 * time.Millisecond, []int{100_000, 2_000, 2_000}, 0},
		{"loopback", 500e6, 200 * time.Microsecond, []int{100_000}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p pacer
			var txMax time.Duration
			mean := 0
			for _, f := range c.frames {
				mean += f / len(c.frames)
				txMax = max(txMax, time.Duration(float64(f)/c.rate*float64(time.Second)))
			}
			span := min(20*time.Second, time.Duration(2000*float64(mean)/c.rate*float64(time.Second)))
			sim := linkSim{rateAt: func(time.Duration) float64 { return c.rate }, rtt: c.rtt, frames: c.frames, bunch: c.bunch}
			var busy, worstQueue time.Duration
			for _, f := range sim.run(&p, span) {
				busy += f.tx
				worstQueue = max(worstQueue, f.queued)
			}
			if use := busy.Seconds() / span.Seconds(); use < 0.85 {
				t.Errorf("the link was busy %.0f%% of the time, want ≥ 85%%", 100*use)
			}
			if limit := queueTarget(c.rtt) + txMax + txMax/2; worstQueue > limit {
				t.Errorf("a frame waited %v at the bottleneck, want ≤ %v", worstQueue, limit)
			}
			if r := p.rate(); r < 0.8*c.rate || r > 1.1*c.rate {
				t.Errorf("estimated rate %.0f B/s, the link's is %.0f", r, c.rate)
			}
		})
	}
}

// A link that slows down to half (another device on the connection starts a download): the best sample of the
// last seconds is now twice the link's rate, and the queue the link shows is what keeps frames from piling up.
func TestPacerFollowsALinkThatSlowsDown(t *testing.T) {
	const rate, rtt, change = 1.25e6, 100 * time.Millisecond, 5 * time.Second
	sim := linkSim{rtt: rtt, frames: []int{30_000, 10_000}, rateAt: func(e time.Duration) float64 {
		if e >= change {
			return rate / 2
		}
		return rate
	}}
	var p pacer
	frames := sim.run(&p, change+rateWindow-rtt) // the best sample before the change still counts at the end
	var busy time.Duration
	var queued []time.Duration
	settled := change + 5*rtt
	for _, f := range frames {
		if f.sent >= settled {
			busy += f.tx
			queued = append(queued, f.queued)
		}
	}
	slices.Sort(queued)
	// A frame of 30 kB takes 48 ms at the slower rate: a frame may wait for the target and one before it.
	if p95, limit := queued[len(queued)*95/100], queueTarget(rtt)+48*time.Millisecond; p95 > limit {
		t.Errorf("after the link slowed down, frames waited up to %v at the bottleneck (p95), want ≤ %v", p95, limit)
	}
	if use := busy.Seconds() / (change + rateWindow - rtt - settled).Seconds(); use < 0.85 {
		t.Errorf("the slower link was busy %.0f%% of the time, want ≥ 85%%", 100*use)
	}
}

// A screen that goes quiet after filling the link (a page scrolled, then a small video playing in it): the small
// frames that follow, each alone on an idle link, show what the screen sent, not what the link carries. The
// estimate must outlive them, or the exact picture sent when the video pauses would go at the small frames' rate;
// and a frame that shows more than the estimate still raises it.
// fillTheLink has p fill a link of rate bytes per second and round trip rtt with frames of 60 kB for 3 s, and
// waits for the last to arrive; it returns how many frames went, when the last arrived, and the estimate then.
func fillTheLink(t *testing.T, p *pacer, rate float64, rtt time.Duration) (sent uint64, now time.Time, learnt float64) {
	t.Helper()
	sim := linkSim{rateAt: func(time.Duration) float64 { return rate }, rtt: rtt, frames: []int{60_000}}
	const busy = 3 * time.Second
	sent = uint64(len(sim.run(p, busy)))
	now = time.Unix(0, 0).Add(busy + rtt)
	p.ack(sent, rtt, 0, now) // what was still in flight arrives
	if learnt = p.rate(); learnt < 0.8*rate {
		t.Fatalf("the busy link was estimated at %.0f B/s, the link's is %.0f", learnt, rate)
	}
	return sent, now, learnt
}

func TestPacerEstimateOutlivesAQuietScreen(t *testing.T) {
	const rate, rtt = 1.25e6, 100 * time.Millisecond
	var p pacer
	seq, now, learnt := fillTheLink(t, &p, rate, rtt)
	send := func(size int) {
		seq++
		p.sent(seq, size, now)
		tx := time.Duration(float64(size) / rate * float64(time.Second))
		now = now.Add(tx + rtt)
		p.ack(seq, rtt, 0, now)
	}
	for end := now.Add(3 * rateWindow); now.Before(end); { // a 2 kB frame every 40 ms, for longer than samples count
		send(2_000)
		now = now.Add(40 * time.Millisecond)
	}
	if r := p.rate(); r < learnt {
		t.Errorf("after the quiet screen the estimate is %.0f B/s, it was %.0f: the small frames lowered it", r, learnt)
	}
	// A link that turned faster while the screen was quiet: a lone frame that crosses at twice the old rate
	// (its bytes over the time after its round trip) counts, quiet or not.
	seq++
	p.sent(seq, 500_000, now)
	now = now.Add(200*time.Millisecond + rtt)
	p.ack(seq, rtt, 0, now)
	if r := p.rate(); r < 1.5*learnt {
		t.Errorf("a frame that crossed at 2.5 MB/s left the estimate at %.0f B/s", r)
	}
}

// A video that plays at a fraction of the link's rate after the link was filled (the natural-video recording on
// profile A: 10 to 20 kB every 40 ms on 1.25 MB/s): its frames overlap in flight, and QUIC's round trip shows a
// little queue on every acknowledgement (a datagram rebuilt from parity, an acknowledgement delayed), which keeps
// the model's link busy a moment after each. The video's samples show the video, not the link: the estimate must
// outlive them, or the video is coded at a fraction of the rate it could have and its exact picture, when it
// pauses, crosses at the video's rate.
func TestPacerEstimateOutlivesAVideo(t *testing.T) {
	const rate, rtt, jitter = 1.25e6, 100 * time.Millisecond, 15 * time.Millisecond
	for _, c := range []struct {
		name string
		late time.Duration // how much later than its round trip the viewer acknowledges a frame
	}{
		{"acknowledged a round trip after", 0},
		// A busy viewer (decoding VP8 and the lossless frame on two cores): maxFramesInFlight holds the frames,
		// which is a limit on frames, not on the link.
		{"acknowledged late, as many frames in flight as allowed", 200 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p pacer
			seq, now, learnt := fillTheLink(t, &p, rate, rtt)
			type pending struct {
				seq uint64
				at  time.Time
			}
			var acks []pending
			until := func(t time.Time) { // acknowledgements due by t arrive
				for len(acks) > 0 && !acks[0].at.After(t) {
					p.ack(acks[0].seq, rtt, jitter, acks[0].at)
					acks = acks[1:]
				}
			}
			free, held := now, 0
			sizes := []int{20_000, 12_000, 15_000, 10_000}
			for frame := now; frame.Before(now.Add(3 * rateWindow)); frame = frame.Add(40 * time.Millisecond) {
				at := frame
				for { // the capture loop waits for the pacer
					until(at)
					ok, wait := p.mayShip(rtt, at)
					if ok {
						break
					}
					if p.inFlight() >= maxFramesInFlight {
						held++
					}
					if wait == 0 {
						wait = acks[0].at.Sub(at)
					}
					at = at.Add(wait)
				}
				seq++
				size := sizes[int(seq)%len(sizes)]
				p.sent(seq, size, at)
				free = later(free, at).Add(time.Duration(float64(size) / rate * float64(time.Second)))
				acks = append(acks, pending{seq, free.Add(rtt + c.late)})
			}
			if c.late > 0 && held == 0 {
				t.Fatal("the frames in flight never reached maxFramesInFlight: the case tests nothing")
			}
			if r := p.rate(); r < 0.8*learnt {
				t.Errorf("after %v of video the estimate is %.0f B/s, it was %.0f: the video's frames lowered it", 3*rateWindow, r, learnt)
			}
		})
	}
}

func TestPacerAlwaysLetsOneFrameGo(t *testing.T) {
	var p pacer
	now := time.Now()
	if ok, _ := p.mayShip(time.Second, now); !ok {
		t.Fatal("nothing in flight, and no frame may go")
	}
	p.sent(1, 10<<20, now)
	if ok, _ := p.mayShip(time.Second, now); !ok {
		t.Fatal("before the rate is known, a second frame may go")
	}
	p.sent(2, 10<<20, now)
	if ok, _ := p.mayShip(time.Second, now); ok {
		t.Fatal("a third frame went before any acknowledgement")
	}
	p.ack(2, time.Second, 0, now.Add(3*time.Second))
	if ok, _ := p.mayShip(time.Second, now.Add(3*time.Second)); !ok || p.inFlight() != 0 {
		t.Fatal("everything acknowledged, and no frame may go")
	}
}

// The model follows the queue the link shows: when frames wait longer at the bottleneck than the pacer meant
// (its estimate ran above the link), no frame goes until that queue is down to the target; and a link whose
// queue is empty takes the next frame at once.
func TestPacerHoldsWhileTheLinkShowsAQueue(t *testing.T) {
	const rtt = 100 * time.Millisecond
	for _, c := range []struct {
		name   string
		queue  time.Duration // the queueing delay the link shows at the acknowledgement
		ok     bool
		waitAt time.Duration // when ok is false: at least this long
	}{
		{"no queue", 0, true, 0},
		{"within the target", queueTarget(rtt) / 2, true, 0},
		{"a standing queue", 80 * time.Millisecond, false, 80*time.Millisecond - queueTarget(rtt) - time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p pacer
			start := time.Unix(0, 0)
			// Two frames in flight; the first is acknowledged at 1.25 MB/s: the rate is known, one is still out.
			p.sent(1, 125_000, start)
			p.sent(2, 1_000, start)
			now := start.Add(rtt + 100*time.Millisecond)
			p.ack(1, rtt, c.queue, now)
			ok, wait := p.mayShip(rtt, now)
			if ok != c.ok || !ok && wait < c.waitAt {
				t.Fatalf("may ship %v, wait %v; want %v, at least %v", ok, wait, c.ok, c.waitAt)
			}
		})
	}
}

// Before the first acknowledgement, a frame still in flight bounds the link's rate: a 1.4 MB key frame sent 5.2 s
// ago over a 200 ms round trip has not crossed at 280 kB/s or faster. Once acknowledgements come, the estimate is
// theirs.
func TestLinkRateBeforeTheFirstAcknowledgement(t *testing.T) {
	t0 := time.Unix(0, 0)
	const rtt = 200 * time.Millisecond
	var p pacer
	if r := p.linkRate(rtt, t0); r != 0 {
		t.Errorf("nothing sent: linkRate %v, want 0", r)
	}
	p.sent(1, 1_400_000, t0)
	for _, c := range []struct {
		after time.Duration
		want  float64
	}{
		{100 * time.Millisecond, 0}, // within the round trip: too early to tell
		{5200 * time.Millisecond, 280_000},
		{14200 * time.Millisecond, 100_000},
	} {
		if r := p.linkRate(rtt, t0.Add(c.after)); r != c.want {
			t.Errorf("after %v: linkRate %.0f, want %.0f", c.after, r, c.want)
		}
	}
	p.ack(1, rtt, 0, t0.Add(7200*time.Millisecond))
	if r, want := p.linkRate(rtt, t0.Add(8*time.Second)), p.rate(); r != want || r <= 0 {
		t.Errorf("acknowledged: linkRate %.0f, want the estimate %.0f", r, want)
	}
}
