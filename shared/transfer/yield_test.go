package transfer

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// queueOf reports a queueing delay from a list, one per call, then the last one.
type queueOf struct{ delays []time.Duration }

func (q *queueOf) QueueDelay() time.Duration {
	d := q.delays[0]
	if len(q.delays) > 1 {
		q.delays = q.delays[1:]
	}
	return d
}

// pieces records the size of every write.
type pieces struct {
	bytes.Buffer
	sizes []int
}

func (p *pieces) Write(b []byte) (int, error) {
	p.sizes = append(p.sizes, len(b))
	return p.Buffer.Write(b)
}

// A file hands QUIC its data in small pieces, and waits before one while the link shows a queue: as long as
// the queue lasts, but never more than yieldMax.
func TestFilesGiveWayToAQueue(t *testing.T) {
	data := bytes.Repeat([]byte("tandem"), 10_000) // 60 000 bytes: four pieces
	q := &queueOf{delays: []time.Duration{0, 80 * time.Millisecond, 80 * time.Millisecond, 5 * time.Millisecond, time.Second}}
	out := &pieces{}
	y := &yielding{w: out, conn: q, ctx: t.Context()}
	start := time.Now()
	n, err := y.Write(data)
	if err != nil || n != len(data) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("wrote %d of %d bytes (%v), intact %v", n, len(data), err, bytes.Equal(out.Bytes(), data))
	}
	for _, s := range out.sizes {
		if s > yieldPiece {
			t.Fatalf("a piece of %d bytes, more than %d", s, yieldPiece)
		}
	}
	// The second piece waited out two queued readings; the last one waited yieldMax for a queue that stayed.
	if took := time.Since(start); took < yieldMax+2*yieldStep {
		t.Fatalf("the writes took %v: they did not wait for the queue", took)
	}
	if len(q.delays) != 1 {
		t.Fatalf("the queue was not looked at before each piece (%d readings left)", len(q.delays))
	}
}

func TestFileWaitEndsWithTheTransfer(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	y := &yielding{w: &pieces{}, conn: &queueOf{delays: []time.Duration{time.Second}}, ctx: ctx}
	if _, err := y.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("a write waiting for a queue while the transfer ends: %v", err)
	}
}
