package transfer

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// link reports a fixed round trip and queueing delay.
type link struct{ queue, minRTT time.Duration }

func (l link) QueueDelay() time.Duration { return l.queue }
func (l link) MinRTT() time.Duration     { return l.minRTT }

// pieces records the size of every write.
type pieces struct {
	bytes.Buffer
	sizes []int
}

func (p *pieces) Write(b []byte) (int, error) {
	p.sizes = append(p.sizes, len(b))
	return p.Buffer.Write(b)
}

// A file's writer hands QUIC its data whole and in order, in pieces of at most yieldPiece.
func TestFilesGoInPieces(t *testing.T) {
	data := bytes.Repeat([]byte("tandem"), 10_000) // 60 000 bytes: four pieces
	out := &pieces{}
	y := &yielding{w: out, conn: link{minRTT: time.Millisecond}, ctx: t.Context()}
	n, err := y.Write(data)
	if err != nil || n != len(data) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("wrote %d of %d bytes (%v), intact %v", n, len(data), err, bytes.Equal(out.Bytes(), data))
	}
	if len(out.sizes) != 4 {
		t.Fatalf("pieces of %v bytes", out.sizes)
	}
	for _, s := range out.sizes {
		if s > yieldPiece {
			t.Fatalf("a piece of %d bytes, more than %d", s, yieldPiece)
		}
	}
}

func TestFileWaitEndsWithTheTransfer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	y := &yielding{w: &pieces{}, conn: link{minRTT: time.Millisecond}, ctx: ctx}
	y.pace.rate, y.pace.checked, y.pace.next = minPaceRate, time.Now(), time.Now().Add(time.Hour)
	cancel()
	if _, err := y.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("a write waiting for its pace while the transfer ends: %v", err)
	}
}

// A file's pace, step by step: each step hands over pieces for a round trip at the rate allowed, then reads
// the link's queueing delay; the rate after it follows from the rate before and what went through.
func TestFilePaceFollowsTheQueue(t *testing.T) {
	const rtt = 100 * time.Millisecond
	slow := func(prev, _ float64) float64 { return prev * (1 + startGrowth) }
	grow := func(prev, _ float64) float64 { return prev * (1 + paceGrowth) }
	hold := func(prev, _ float64) float64 { return prev }
	cut := func(prev, went float64) float64 { return min(prev, went) * paceCut }
	type step struct {
		queue time.Duration // what the link shows at the end of the step
		want  func(prev, went float64) float64
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"a slow start while the queue stays short", []step{{0, slow}, {0, slow}, {5 * time.Millisecond, slow}}},
		{"a queue: cut to what went through, once per round trip and queue", []step{
			{0, slow}, {30 * time.Millisecond, cut},
			{30 * time.Millisecond, hold}, // 100 ms later: too soon to see the cut
			{30 * time.Millisecond, cut},
		}},
		{"after a cut, a gentler growth", []step{{30 * time.Millisecond, cut}, {0, grow}, {0, grow}}},
		{"between half the target and the target, the rate holds", []step{{0, slow}, {queueTarget * 3 / 4, hold}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p filePace
			now := time.Unix(1000, 0)
			if w := p.wait(now, 0, rtt); w != 0 || p.rate != startPaceRate {
				t.Fatalf("the first piece waits %v at %.0f B/s", w, p.rate)
			}
			for i, s := range c.steps {
				prev, sent := p.rate, 0
				end := now.Add(rtt)
				for at := later(now, p.next); at.Before(end); at = p.next {
					p.sending(yieldPiece, at)
					sent += yieldPiece
				}
				now = end
				p.wait(now, s.queue, rtt)
				if want := s.want(prev, float64(sent)/rtt.Seconds()); math.Abs(p.rate-want) > want*0.001 {
					t.Fatalf("step %d (queue %v): rate %.0f B/s, want %.0f", i, s.queue, p.rate, want)
				}
			}
		})
	}
}

// A rate the file does not use (the disk or QUIC holds it back) does not grow.
func TestFilePaceUnusedDoesNotGrow(t *testing.T) {
	var p filePace
	now := time.Unix(1000, 0)
	p.wait(now, 0, 100*time.Millisecond)
	p.sending(1000, now) // a kilobyte in a round trip: far below the rate
	p.wait(now.Add(100*time.Millisecond), 0, 100*time.Millisecond)
	if p.rate != startPaceRate {
		t.Fatalf("rate %.0f B/s after a round trip of little use, want %d", p.rate, startPaceRate)
	}
}

// However long the queue the link shows, a file keeps moving at minPaceRate.
func TestFilePaceHasAFloor(t *testing.T) {
	const rtt = 20 * time.Millisecond
	var p filePace
	now := time.Unix(1000, 0)
	p.wait(now, 0, rtt)
	for range 200 {
		end := now.Add(rtt)
		for at := now; at.Before(end); at = p.next {
			p.sending(yieldPiece, at)
		}
		now = end
		p.wait(now, 30*time.Millisecond, rtt)
		if p.rate < minPaceRate {
			t.Fatalf("rate %.0f B/s, below the floor", p.rate)
		}
	}
	if p.rate != minPaceRate {
		t.Fatalf("rate %.0f B/s after 4 s of queue, want the floor %d", p.rate, minPaceRate)
	}
}
