package transfer

import (
	"context"
	"io"
	"time"
)

// Files give way to everything else on the link: frames, input, the pointer and chat must not wait behind a
// file in the bottleneck's queue. QUIC's congestion control fills that queue until it overflows, and the
// connection's round trip shows the queue only a round trip after it formed: a writer that merely waited while
// the round trip showed a queue would hand QUIC a congestion window's worth each time the queue had drained, and
// fill it again. A file's writer therefore paces itself. It hands QUIC its data in small pieces at a rate of its
// own, which starts at startPaceRate and grows by startGrowth per round trip while the queue stays under half of
// queueTarget (a slow start that, unlike QUIC's, ends on delay rather than on loss); once the link shows a queue
// over queueTarget, the rate is cut to paceCut of what actually went through (once per round trip and queue: the
// time a cut takes to show), and from then on it grows by paceGrowth per round trip of short queue. This is
// LEDBAT's idea (RFC 6817) as a rate, on top of QUIC's own control.
const (
	// yieldPiece is how much of a file is handed to QUIC at once.
	yieldPiece = 16 << 10
	// queueTarget is the queueing delay over which a file slows down; it grows again under half of it.
	queueTarget = 20 * time.Millisecond
	// paceCut is the share of what went through that a file keeps when the link shows a queue.
	paceCut = 0.85
	// paceGrowth is how much faster a file may go after each round trip of short queue.
	paceGrowth = 0.125
	// startPaceRate and startGrowth are a file's first rate, in bytes per second, and how much faster it may go
	// after each round trip of short queue until the link first shows one (on loopback, it is at a gigabyte per
	// second within a tenth of a second).
	startPaceRate, startGrowth = 256 << 10, 0.5
	// minPaceEvery is how often, at most, the rate is looked at (on links of a tiny round trip).
	minPaceEvery = 5 * time.Millisecond
	// minPaceSleep is the shortest wait worth a timer: at fast rates a piece is due every few microseconds,
	// which timers cannot keep, and a file runs at most this far ahead of its rate.
	minPaceSleep = time.Millisecond
	// minPaceRate is the slowest a file goes, in bytes per second: however busy the link, it moves.
	minPaceRate = 64 << 10
)

// linkDelays is what the pacing of files reads of a connection (a *transport.Conn).
type linkDelays interface {
	// QueueDelay is how much longer than the shortest the latest round trip was.
	QueueDelay() time.Duration
	// MinRTT is the shortest round trip seen.
	MinRTT() time.Duration
}

// yielding writes to w in pieces of yieldPiece, at the pace that conn's queueing delay allows.
type yielding struct {
	w    io.Writer
	conn linkDelays
	ctx  context.Context
	pace filePace
}

func (y *yielding) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if wait := y.pace.wait(time.Now(), y.conn.QueueDelay(), y.conn.MinRTT()); wait > minPaceSleep {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-y.ctx.Done():
				t.Stop()
				return n, y.ctx.Err()
			}
		}
		piece := b[:min(len(b), yieldPiece)]
		y.pace.sending(len(piece), time.Now())
		k, err := y.w.Write(piece)
		n += k
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// filePace is the rate a file goes at, adjusted to the queueing delay that the link shows.
type filePace struct {
	rate    float64   // bytes per second; 0 before the first piece
	next    time.Time // when the next piece may go at that rate
	checked time.Time // when the rate was last looked at
	cut     time.Time // when it was last cut
	sent    int       // bytes handed over since checked
}

// wait adjusts the rate to the link's queueing delay and shortest round trip, as read at now, and returns how
// long to wait before the next piece.
func (p *filePace) wait(now time.Time, queue, minRTT time.Duration) time.Duration {
	every := max(minRTT, minPaceEvery)
	switch d := now.Sub(p.checked); {
	case p.rate == 0:
		p.rate, p.checked = startPaceRate, now
	case d >= every:
		went := float64(p.sent) / d.Seconds()
		switch {
		case queue > queueTarget && now.Sub(p.cut) >= minRTT+queue:
			p.rate = max(min(p.rate, went)*paceCut, minPaceRate)
			p.cut = now
		case queue < queueTarget/2 && went >= p.rate/2:
			// (a rate the file does not use, held back by QUIC or the disk, is no reason to allow more)
			growth := paceGrowth
			if p.cut.IsZero() {
				growth = startGrowth
			}
			p.rate *= 1 + growth*min(float64(d)/float64(every), 4)
		}
		p.checked, p.sent = now, 0
	}
	return max(0, p.next.Sub(now))
}

// sending notes n bytes handed over at now.
func (p *filePace) sending(n int, now time.Time) {
	p.sent += n
	p.next = later(p.next, now).Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
