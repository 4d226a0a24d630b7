package session

import (
	"testing"
	"time"
)

// A simulated link: frames of size bytes cross a bottleneck of rate bytes per second with a round trip of rtt,
// and the viewer acknowledges each once its last byte is through and half the round trip has passed twice.
// The pacer, which is not told the rate, must come to keep the link busy without letting frames queue.
func TestPacerFillsTheLinkWithoutAQueue(t *testing.T) {
	for _, c := range []struct {
		name   string
		rate   float64 // bytes per second
		rtt    time.Duration
		frames []int // sizes, in turn
	}{
		{"profile A, text frames", 1.25e6, 100 * time.Millisecond, []int{30_000}},
		{"profile A, frames larger than the round trip holds", 1.25e6, 100 * time.Millisecond, []int{300_000}},
		{"profile A, a large frame then small ones", 1.25e6, 100 * time.Millisecond, []int{200_000, 3_000, 3_000, 3_000}},
		{"profile A, sizes that vary", 1.25e6, 100 * time.Millisecond, []int{60_000, 5_000, 90_000, 20_000, 1_000, 40_000}},
		{"profile B", 0.25e6, 200 * time.Millisecond, []int{20_000}},
		{"profile B, a large frame then small ones", 0.25e6, 200 * time.Millisecond, []int{100_000, 2_000, 2_000}},
		{"loopback", 500e6, 200 * time.Microsecond, []int{100_000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p pacer
			now := time.Unix(0, 0)
			free := now // when the bottleneck is free
			type pending struct {
				seq    uint64
				at     time.Time
				queued time.Duration // how long it waited at the bottleneck
			}
			var acks []pending
			var seq uint64
			var worstQueue time.Duration
			var busy, txMax time.Duration
			txOf := func(bytes int) time.Duration { return time.Duration(float64(bytes) / c.rate * float64(time.Second)) }
			mean := 0
			for _, f := range c.frames {
				mean += f / len(c.frames)
				txMax = max(txMax, txOf(f))
			}
			span := min(20*time.Second, 2000*txOf(mean))
			end := now.Add(span)
			for now.Before(end) {
				// Acknowledgements due by now.
				for len(acks) > 0 && !acks[0].at.After(now) {
					p.ack(acks[0].seq, c.rtt, acks[0].queued, acks[0].at)
					acks = acks[1:]
				}
				ok, wait := p.mayShip(c.rtt, now)
				if ok {
					size := c.frames[int(seq)%len(c.frames)]
					tx := txOf(size)
					seq++
					p.sent(seq, size, now)
					start := free
					if start.Before(now) {
						start = now
					}
					worstQueue = max(worstQueue, start.Sub(now))
					free = start.Add(tx)
					busy += tx
					acks = append(acks, pending{seq, free.Add(c.rtt), start.Sub(now)})
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
			use := busy.Seconds() / span.Seconds()
			if use < 0.85 {
				t.Errorf("the link was busy %.0f%% of the time, want ≥ 85%%", 100*use)
			}
			if limit := max(c.rtt/4, minQueueTarget) + txMax + txMax/2; worstQueue > limit {
				t.Errorf("a frame waited %v at the bottleneck, want ≤ %v", worstQueue, limit)
			}
			if r := p.rate(); r < 0.8*c.rate || r > 1.1*c.rate {
				t.Errorf("estimated rate %.0f B/s, the link's is %.0f", r, c.rate)
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
