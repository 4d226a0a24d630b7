package chat

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The participants of the tests: the technician hosts (1), the customer joins (2), colleagues of the
// technician join later (3, 4).
const (
	tech       protocol.ParticipantID = 1
	customer   protocol.ParticipantID = 2
	colleague  protocol.ParticipantID = 3
	colleague2 protocol.ParticipantID = 4
)

var names = map[protocol.ParticipantID]string{tech: "Tess (technician)", customer: "Carl <customer>",
	colleague: "Cora (colleague)", colleague2: "Dev (colleague)"}

func nameOf(p protocol.ParticipantID) string { return names[p] }

// waitTime bounds every wait of the tests.
const waitTime = 10 * time.Second

// recorder keeps a Room's events.
type recorder struct {
	mu      sync.Mutex
	evs     []Event
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) on(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.evs...)
}

// wait waits until ok holds for the events so far, and returns them.
func (r *recorder) wait(t testing.TB, what string, ok func([]Event) bool) []Event {
	t.Helper()
	deadline := time.After(waitTime)
	for {
		r.mu.Lock()
		evs, changed := append([]Event(nil), r.evs...), r.changed
		r.mu.Unlock()
		if ok(evs) {
			return evs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited for %s; events: %v", what, evs)
		}
	}
}

// waitLinkEnded waits for the n-th LinkEnded event and returns it.
func (r *recorder) waitLinkEnded(t testing.TB, n int) LinkEnded {
	t.Helper()
	evs := r.wait(t, "the link to end", func(evs []Event) bool { return len(only[LinkEnded](evs)) >= n })
	return only[LinkEnded](evs)[n-1]
}

// only returns the events of type E.
func only[E Event](evs []Event) []E {
	var out []E
	for _, ev := range evs {
		if e, ok := ev.(E); ok {
			out = append(out, e)
		}
	}
	return out
}

func received(evs []Event) []Message {
	var out []Message
	for _, e := range only[Received](evs) {
		out = append(out, e.Message)
	}
	return out
}

// newRoom returns a Room for self with a recorder, closed when the test ends.
func newRoom(t testing.TB, self protocol.ParticipantID, maxHistory int) (*Room, *recorder) {
	t.Helper()
	rec := newRecorder()
	r, err := New(Config{Self: self, Names: nameOf, OnEvent: rec.on, MaxHistory: maxHistory})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, rec
}

// chatStreams opens a chat stream from the dialer's side and accepts it on the listener's.
func chatStreams(t testing.TB, dialer, listener *transport.Conn) (opened, accepted *quic.Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	opened, err := dialer.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Chat})
	if err != nil {
		t.Fatal(err)
	}
	h, accepted, err := listener.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != protocol.Chat {
		t.Fatalf("accepted a %v stream", h.Kind)
	}
	return opened, accepted
}

// attachPair connects a technician's room (listening, as Expert does) and a customer's (dialling) on a new
// connection, and returns the connection's two ends.
func attachPair(t testing.TB, techRoom, custRoom *Room) (dialer, listener *transport.Conn) {
	t.Helper()
	dialer, listener = transporttest.Pair(t)
	cs, ts := chatStreams(t, dialer, listener)
	if err := custRoom.AttachQUIC(cs, tech); err != nil {
		t.Fatal(err)
	}
	if err := techRoom.AttachQUIC(ts, customer); err != nil {
		t.Fatal(err)
	}
	return dialer, listener
}

// waitDelivered waits until the room has nothing pending.
func waitDelivered(t testing.TB, r *Room) {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for r.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("participant %d: %d messages still pending", r.Self(), r.Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// streamCode returns the code a QUIC stream error carries, or fails.
func streamCode(t testing.TB, err error) protocol.Code {
	t.Helper()
	var se *quic.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a stream reset", err)
	}
	return protocol.Code(se.ErrorCode)
}

// rawChat returns the envelope of a ChatMessage built by hand, so that it may break every rule: a CBOR map
// {1: id, 2: from, 3: sentAt, 4: text} with shortest-form heads, text sent as is.
func rawChat(id uint64, from protocol.ParticipantID, sentAt int64, text []byte) []byte {
	body := []byte{0xa4}
	body = cborHead(body, 0, 1)
	body = cborHead(body, 0, id)
	body = cborHead(body, 0, 2)
	body = cborHead(body, 0, uint64(from))
	body = cborHead(body, 0, 3)
	if sentAt < 0 {
		body = cborHead(body, 1, uint64(-1-sentAt))
	} else {
		body = cborHead(body, 0, uint64(sentAt))
	}
	body = cborHead(body, 0, 4)
	body = cborHead(body, 3, uint64(len(text)))
	body = append(body, text...)
	env := binary.AppendUvarint(nil, uint64(len(body)))
	env = append(env, byte(protocol.TypeChatMessage))
	return append(env, body...)
}

func cborHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}
