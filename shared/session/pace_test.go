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
		name  string
		rate  float64 // bytes per second
		rtt   time.Duration
		frame int
	}{
		{"profile A, text frames", 1.25e6, 100 * time.Millisecond, 30_000},
		{"profile A, frames larger than the round trip holds", 1.25e6, 100 * time.Millisecond, 300_000},
		{"profile B", 0.25e6, 200 * time.Millisecond, 20_000},
		{"loopback", 500e6, 200 * time.Microsecond, 100_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p pacer
			now := time.Unix(0, 0)
			free := now // when the bottleneck is free
			type pending struct {
				seq uint64
				at  time.Time
			}
			var acks []pending
			var seq uint64
			var worstQueue time.Duration
			var busy time.Duration
			tx := time.Duration(float64(c.frame) / c.rate * float64(time.Second))
			span := min(20*time.Second, 2000*tx)
			end := now.Add(span)
			for now.Before(end) {
				// Acknowledgements due by now.
				for len(acks) > 0 && !acks[0].at.After(now) {
					p.ack(acks[0].seq, c.rtt, acks[0].at)
					acks = acks[1:]
				}
				ok, wait := p.mayShip(c.rtt, now)
				if ok {
					seq++
					p.sent(seq, c.frame, now)
					start := free
					if start.Before(now) {
						start = now
					}
					worstQueue = max(worstQueue, start.Sub(now))
					free = start.Add(tx)
					busy += tx
					acks = append(acks, pending{seq, free.Add(c.rtt)})
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
			if limit := max(c.rtt/4, minQueueTarget) + tx + tx/2; worstQueue > limit {
				t.Errorf("a frame waited %v at the bottleneck, want ≤ %v", worstQueue, limit)
			}
			if r := p.rate(); r < 0.8*c.rate || r > 1.3*c.rate {
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
	p.ack(2, time.Second, now.Add(3*time.Second))
	if ok, _ := p.mayShip(time.Second, now.Add(3*time.Second)); !ok || p.inFlight() != 0 {
		t.Fatal("everything acknowledged, and no frame may go")
	}
}
