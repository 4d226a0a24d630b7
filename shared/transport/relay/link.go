package relay

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Link is what the path does to the datagrams of one direction, as a home connection would: a bottleneck of
// Rate bits per second with a queue of Queue bytes in front of it (a datagram that finds the queue full is
// dropped, as a router drops it), then Delay, plus up to Jitter more (datagrams stay in order), and a random
// Loss. The zero Link passes everything at once.
type Link struct {
	Rate   int64         // bits per second; 0: no bottleneck
	Queue  int           // bytes the bottleneck holds; 0: what 100 ms at Rate fills, at least 64 KiB
	Delay  time.Duration // one way
	Jitter time.Duration // extra delay, uniform in [0, Jitter)
	Loss   float64       // probability that a datagram is lost, 0 to 1
}

// LinkStats counts what one direction did.
type LinkStats struct {
	Sent, Lost, Overflowed int   // datagrams delivered, lost at random, dropped by a full queue
	Bytes                  int64 // bytes delivered
	// Queued counts the datagrams that entered the bottleneck by how long they waited in its queue, in whole
	// milliseconds (the last count holds the longer waits).
	Queued [queuedBuckets]int
}

// queuedBuckets is how many milliseconds LinkStats.Queued tells apart.
const queuedBuckets = 1000

// QueuedPercentile returns the p-th percentile (0 to 100) of how long the datagrams that entered the bottleneck
// since an earlier snapshot waited in its queue, to the millisecond; 0 when none entered.
func (s LinkStats) QueuedPercentile(since LinkStats, p float64) time.Duration {
	total := 0
	for i := range s.Queued {
		total += s.Queued[i] - since.Queued[i]
	}
	if total == 0 {
		return 0
	}
	rank := min(int(p/100*float64(total)), total-1)
	for i := range s.Queued {
		if rank -= s.Queued[i] - since.Queued[i]; rank < 0 {
			return time.Duration(i) * time.Millisecond
		}
	}
	return (queuedBuckets - 1) * time.Millisecond
}

// pipe carries one direction's datagrams through a Link: a goroutine delivers them at their times.
type pipe struct {
	mu      sync.Mutex
	link    Link
	rng     *rand.Rand
	depart  time.Time // when the bottleneck is free again
	deliver time.Time // the last delivery time handed out (datagrams stay in order)
	queue   []packet
	wake    chan struct{}
	stats   LinkStats
	now     func() time.Time
}

type packet struct {
	at   time.Time
	data []byte
	send func([]byte)
}

func newPipe(seed uint64) *pipe {
	return &pipe{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), wake: make(chan struct{}, 1), now: time.Now}
}

func (p *pipe) set(l Link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.link = l
}

// queueBytes is the bottleneck's queue size for l.
func queueBytes(l Link) int {
	if l.Queue > 0 {
		return l.Queue
	}
	return max(int(l.Rate/8/10), 64<<10)
}

// push takes a datagram (copied) towards its delivery by send, or drops it.
func (p *pipe) push(b []byte, send func([]byte)) {
	p.mu.Lock()
	l := p.link
	if l == (Link{}) && len(p.queue) == 0 {
		p.stats.Sent++
		p.stats.Bytes += int64(len(b))
		p.mu.Unlock()
		send(b)
		return
	}
	if l.Loss > 0 && p.rng.Float64() < l.Loss {
		p.stats.Lost++
		p.mu.Unlock()
		return
	}
	now := p.now()
	leave := now
	if l.Rate > 0 {
		start := p.depart
		if start.Before(now) {
			start = now
		}
		backlog := int64(start.Sub(now)) * l.Rate / 8 / int64(time.Second) // bytes still in the queue
		if backlog+int64(len(b)) > int64(queueBytes(l)) {
			p.stats.Overflowed++
			p.mu.Unlock()
			return
		}
		leave = start.Add(time.Duration(int64(len(b)) * 8 * int64(time.Second) / l.Rate))
		p.depart = leave
		p.stats.Queued[min(int(start.Sub(now)/time.Millisecond), queuedBuckets-1)]++
	}
	at := leave.Add(l.Delay)
	if l.Jitter > 0 {
		at = at.Add(time.Duration(p.rng.Int64N(int64(l.Jitter))))
	}
	if at.Before(p.deliver) {
		at = p.deliver
	}
	p.deliver = at
	p.queue = append(p.queue, packet{at: at, data: append([]byte(nil), b...), send: send})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run delivers the queued datagrams at their times until stop is closed.
func (p *pipe) run(stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		var next *packet
		if len(p.queue) > 0 {
			next = &p.queue[0]
		}
		wait := time.Hour
		if next != nil {
			wait = next.at.Sub(p.now())
		}
		if next != nil && wait <= 0 {
			pk := *next
			p.queue = p.queue[1:]
			p.stats.Sent++
			p.stats.Bytes += int64(len(pk.data))
			p.mu.Unlock()
			pk.send(pk.data)
			continue
		}
		p.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-p.wake:
		case <-stop:
			return
		}
	}
}

func (p *pipe) snapshot() LinkStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
