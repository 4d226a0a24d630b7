package session

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose sleeps pass at once and move it on.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) bool {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err() == nil
}

// pieceLog records what reached the stream, and when.
type pieceLog struct {
	clock *fakeClock
	fail  error
	mu    sync.Mutex
	data  bytes.Buffer
	at    []time.Time
	sizes []int
}

func (l *pieceLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	l.at, l.sizes = append(l.at, l.clock.Now()), append(l.sizes, len(b))
	l.data.Write(b)
	return len(b), nil
}

// frameBytes returns n bytes that tell their place apart.
func frameBytes(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed)
	}
	return b
}

// waitForBytes waits (in real time, at most 10 s) until n bytes have reached l.
func waitForBytes(l *pieceLog, n int) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		l.mu.Lock()
		got := l.data.Len()
		l.mu.Unlock()
		if got >= n {
			return
		}
	}
}

// paceBacklog writes one backlog of size bytes through a paced stream set to rate, on a link of round trip rtt
// that shows no queue, and returns what reached the stream and the fake time it started at.
func paceBacklog(t *testing.T, rate float64, rtt time.Duration, size int) (*pieceLog, time.Time) {
	t.Helper()
	return paceBacklogQueued(t, rate, rtt, 0, size)
}

// paceBacklogQueued is paceBacklog on a link that shows a queue of queue.
func paceBacklogQueued(t *testing.T, rate float64, rtt, queue time.Duration, size int) (*pieceLog, time.Time) {
	t.Helper()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	log := &pieceLog{clock: clock}
	ps := newPacedStream(t.Context(), log, func() (time.Duration, time.Duration) { return queue, rtt }, clock)
	ps.setRate(rate)
	start := clock.Now()
	if _, err := ps.Write(frameBytes(size, 0)); err != nil {
		t.Fatal(err)
	}
	waitForBytes(log, size)
	ps.stop()
	if log.data.Len() != size {
		t.Fatalf("%d bytes written, want %d", log.data.Len(), size)
	}
	return log, start
}

// Frames written through the paced stream reach the stream whole and in order, in pieces none of which goes
// ahead of the rate by more than the slack, and no later than the rate gives them; with no rate known, as fast as
// they come. The link here shows a queue at the target: neither more nor less than the estimate.
func TestPacedStreamKeepsToTheRate(t *testing.T) {
	const rtt = 100 * time.Millisecond
	for _, c := range []struct {
		name   string
		rate   float64
		frames []int
	}{
		{"profile A, a large frame then small ones", 1.25e6, []int{300_000, 3_000, 20_000}},
		{"profile B, a frame smaller than a piece", 0.25e6, []int{3_000}},
		{"loopback", 500e6, []int{2_000_000}},
		{"rate unknown", 0, []int{300_000, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1000, 0)}
			log := &pieceLog{clock: clock}
			queue := func() (time.Duration, time.Duration) { return queueTarget(rtt), rtt }
			ps := newPacedStream(t.Context(), log, queue, clock)
			ps.setRate(c.rate)
			start := clock.Now()
			var want bytes.Buffer
			total := 0
			for i, n := range c.frames {
				f := frameBytes(n, i)
				want.Write(f)
				total += n
				if k, err := ps.Write(f); k != n || err != nil {
					t.Fatalf("wrote %d, %v", k, err)
				}
			}
			waitForBytes(log, total)
			ps.stop()
			if !bytes.Equal(log.data.Bytes(), want.Bytes()) {
				t.Fatalf("the stream got %d bytes, not the %d written, whole and in order", log.data.Len(), want.Len())
			}
			if c.rate == 0 {
				if took := clock.Now().Sub(start); took != 0 {
					t.Errorf("with no rate, the stream waited %v", took)
				}
				return
			}
			sent := 0
			for i, at := range log.at {
				if log.sizes[i] > pacePiece {
					t.Fatalf("piece %d is %d bytes, more than %d", i, log.sizes[i], pacePiece)
				}
				early := paceSlack + queueTarget(rtt)/2 // the slack, and the burst an idle stream may send
				if due := start.Add(time.Duration(float64(sent) / c.rate * float64(time.Second))).Add(-early); at.Before(due) {
					t.Fatalf("piece %d went at %v, before its bytes were due at %v", i, at.Sub(start), due.Sub(start))
				}
				sent += log.sizes[i]
			}
			if took, want := clock.Now().Sub(start), time.Duration(float64(total)/c.rate*float64(time.Second)); took > want {
				t.Errorf("the frames took %v to write, want at most %v at the rate", took, want)
			}
		})
	}
}

// A backlog on a link that shows room grows its rate, a round trip at a time: the exact picture of a paused
// video, sent after seconds of small frames that taught the estimate nothing, does not crawl at that estimate.
func TestPacedStreamGrowsWhileTheLinkHasRoom(t *testing.T) {
	const rtt, rate, size = 100 * time.Millisecond, 100e3, 1_400_000
	log, start := paceBacklog(t, rate, rtt, size)
	// At the estimate it would take 14 s; doubling every round trip up to maxBoost, about a second.
	if took, limit := log.clock.Now().Sub(start), 2*time.Second; took > limit {
		t.Fatalf("%d bytes written in %v, want them within %v", size, took, limit)
	}
}

// A backlog that drains soon at the estimate (a frame or two of a moving screen) is never boosted, however much
// room the link shows: its pieces keep to the room gain.
func TestPacedStreamDoesNotBoostAFrameOrTwo(t *testing.T) {
	const rtt, rate, size = 100 * time.Millisecond, 1e6, 180_000 // 150 ms at the room gain
	log, start := paceBacklog(t, rate, rtt, size)
	sent := 0
	for i, at := range log.at {
		due := start.Add(time.Duration(float64(sent) / (roomGain * rate) * float64(time.Second))).Add(-paceSlack - queueTarget(rtt)/2)
		if at.Before(due) {
			t.Fatalf("piece %d went at %v, before %v: faster than the room gain", i, at.Sub(start), due.Sub(start))
		}
		sent += log.sizes[i]
	}
}

// A stream that was idle sends half the queue target's worth of the link at once (with the slack): a frame of a
// loopback session or a LAN is not held back for milliseconds, and the rest of a larger one keeps to the pace.
func TestPacedStreamSendsASmallBurstAtOnce(t *testing.T) {
	const rtt, rate, size = 100 * time.Millisecond, 1.25e6, 100_000
	log, start := paceBacklog(t, rate, rtt, size)
	burst := roomGain * rate * (queueTarget(rtt)/2 + paceSlack).Seconds() // 22 kB
	atOnce := 0
	for i, at := range log.at {
		if at.Equal(start) {
			atOnce += log.sizes[i]
		}
	}
	if atOnce < 2*pacePiece || atOnce > int(burst)+pacePiece {
		t.Errorf("%d bytes went at once, want %d to %d", atOnce, 2*pacePiece, int(burst)+pacePiece)
	}
}

// An error from the stream comes back from the next Write; a cancelled context ends the goroutine and the writes.
func TestPacedStreamErrorsAndCancel(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	broken := errors.New("stream reset")
	log := &pieceLog{clock: clock, fail: broken}
	queue := func() (time.Duration, time.Duration) { return 0, time.Millisecond }
	ps := newPacedStream(t.Context(), log, queue, clock)
	if _, err := ps.Write([]byte("frame")); err != nil {
		t.Fatalf("the first write failed before the stream did: %v", err)
	}
	var err error
	for deadline := time.Now().Add(10 * time.Second); err == nil && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		_, err = ps.Write([]byte("x"))
	}
	if !errors.Is(err, broken) {
		t.Fatalf("write after the stream broke: %v, want %v", err, broken)
	}
	ps.stop()

	ctx, cancel := context.WithCancel(t.Context())
	ps = newPacedStream(ctx, &pieceLog{clock: clock}, queue, clock)
	cancel()
	ps.stop() // returns: the goroutine ended
	if _, err := ps.Write([]byte("late")); err == nil {
		t.Fatal("a write after the context ended was taken")
	}
}

// The stream's rate: more than the estimate while the link shows almost no queue, less once the queue is over
// the target.
func TestWriteRateFollowsTheQueue(t *testing.T) {
	const est, rtt = 1e6, 100 * time.Millisecond
	for _, c := range []struct {
		queue time.Duration
		want  float64
	}{
		{0, est * roomGain},
		{queueTarget(rtt) / 2, est},
		{queueTarget(rtt), est},
		{queueTarget(rtt) + time.Millisecond, est * drainGain},
	} {
		if got := writeRate(est, c.queue, rtt); got != c.want {
			t.Errorf("queue %v: rate %.0f, want %.0f", c.queue, got, c.want)
		}
	}
	if got := writeRate(0, 0, rtt); got != 0 {
		t.Errorf("no estimate: rate %.0f, want 0 (unpaced)", got)
	}
}

// An estimate far below any link the programs run on (a few samples of small frames acknowledged late), while
// QUIC's round trip still shows the queue of the last large frame (no boost then), does not hold a backlog for
// tens of seconds: the stream writes at minPaceRate at least.
func TestPacedStreamHasAFloor(t *testing.T) {
	const rtt, rate, size = 50 * time.Millisecond, 3_000, 120_000 // 53 s at the estimate and drainGain
	log, start := paceBacklogQueued(t, rate, rtt, 3*queueTarget(rtt), size)
	if took, limit := log.clock.Now().Sub(start), time.Duration(float64(size)/minPaceRate*float64(time.Second))+time.Second; took > limit {
		t.Fatalf("%d bytes written in %v at an estimate of %d B/s, want them within %v", size, took, rate, limit)
	}
}
