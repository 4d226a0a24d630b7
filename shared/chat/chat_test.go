package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

// checkLog checks a room's history against the texts expected in it, each exactly once and delivered, with
// its author and name, and returns the history.
func checkLog(t *testing.T, r *Room, want []string, from map[string]protocol.ParticipantID) []Message {
	t.Helper()
	h := r.History()
	var got []string
	for _, m := range h {
		got = append(got, m.Text)
		if !m.Delivered || m.DeliveredAt.IsZero() {
			t.Errorf("participant %d: %q not delivered", r.Self(), m.Text)
		}
		if m.Outgoing != (m.From == r.Self()) {
			t.Errorf("participant %d: %q from %d has Outgoing %v", r.Self(), m.Text, m.From, m.Outgoing)
		}
		if f, ok := from[m.Text]; ok && (m.From != f || m.Name != names[f]) {
			t.Errorf("participant %d: %q from %d (%q), want %d", r.Self(), m.Text, m.From, m.Name, f)
		}
		if m.SentAt.IsZero() || m.LoggedAt.IsZero() || m.SentAt.After(time.Now()) {
			t.Errorf("participant %d: %q has times %v, %v", r.Self(), m.Text, m.SentAt, m.LoggedAt)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("participant %d: log %q, want %q", r.Self(), got, want)
	}
	return h
}

func TestOrderAndAcksBothWays(t *testing.T) {
	techRoom, techRec := newRoom(t, tech, 0)
	custRoom, custRec := newRoom(t, customer, 0)
	attachPair(t, techRoom, custRoom)

	const n = 30
	var techTexts, custTexts []string
	from := map[string]protocol.ParticipantID{}
	for i := range n {
		techTexts = append(techTexts, fmt.Sprintf("tech %d", i))
		custTexts = append(custTexts, fmt.Sprintf("customer %d", i))
		from[techTexts[i]], from[custTexts[i]] = tech, customer
	}
	var wg sync.WaitGroup
	for _, side := range []struct {
		r     *Room
		texts []string
	}{{techRoom, techTexts}, {custRoom, custTexts}} {
		wg.Go(func() {
			for _, text := range side.texts {
				m, err := side.r.Send(text)
				if err != nil {
					t.Error(err)
					return
				}
				if !m.Outgoing || m.Delivered || m.From != side.r.Self() || m.Text != text {
					t.Errorf("Send returned %+v", m)
				}
			}
		})
	}
	wg.Wait()
	waitDelivered(t, techRoom)
	waitDelivered(t, custRoom)

	for _, side := range []struct {
		r          *Room
		rec        *recorder
		sent, read []string
	}{{techRoom, techRec, techTexts, custTexts}, {custRoom, custRec, custTexts, techTexts}} {
		evs := side.rec.wait(t, "every event", func(evs []Event) bool {
			return len(only[Received](evs)) == n && len(only[Delivered](evs)) == n
		})
		var got []string
		for _, m := range received(evs) {
			got = append(got, m.Text)
		}
		if !slices.Equal(got, side.read) {
			t.Errorf("participant %d received %q, want %q", side.r.Self(), got, side.read)
		}
		for _, e := range only[Delivered](evs) {
			if !e.Message.Delivered || !e.Message.Outgoing {
				t.Errorf("Delivered event for %+v", e.Message)
			}
		}
		if len(only[LinkEnded](evs)) != 0 {
			t.Errorf("link ended: %v", evs)
		}
		// Each direction in order in the log, and both directions complete.
		h := side.r.History()
		var mine, theirs []string
		for _, m := range h {
			if m.Outgoing {
				mine = append(mine, m.Text)
			} else {
				theirs = append(theirs, m.Text)
			}
		}
		if !slices.Equal(mine, side.sent) || !slices.Equal(theirs, side.read) {
			t.Errorf("participant %d: log sent %q, read %q", side.r.Self(), mine, theirs)
		}
		var texts []string
		for _, m := range h {
			texts = append(texts, m.Text)
		}
		checkLog(t, side.r, texts, from)
	}
}

func TestSendTidiesAndRefuses(t *testing.T) {
	r, _ := newRoom(t, tech, 0)
	long := strings.Repeat("é", protocol.MaxChatText/2)
	for _, tc := range []struct {
		name, in, want string
		err            error // matched with errors.Is
	}{
		{"plain", "bonjour", "bonjour", nil},
		{"empty", "", "", ErrEmpty},
		{"blank", " \t\r\n\u00a0\u3000 ", "", ErrEmpty},
		{"controls only", "\x00\x1b\x7f", "", ErrEmpty},
		{"windows line breaks", "\r\nhello\r\nworld\r\n", "hello\nworld", nil},
		{"indent kept", "\n  \n  code\n    more  \n", "  code\n    more", nil},
		{"invisible controls removed", "a\x00b\x1b[31mc\x7fd\u0085e\u009bf", "ab[31mcd\nef", nil},
		{"vertical tab and form feed", "a\vb\fc", "a\nb\nc", nil},
		{"markup kept as text", "<b>hi</b> **x**", "<b>hi</b> **x**", nil},
		{"at the limit", long, long, nil},
		{"over the limit", long + "a", "", &protocol.Error{Code: protocol.TextTooLong}},
		{"limit after tidying", long + "\r\n\x00  ", long, nil},
		{"invalid UTF-8", "ab\xffcd", "", &protocol.Error{Code: protocol.Internal}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.History())
			m, err := r.Send(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Send: %v, want %v", err, tc.err)
				}
				if len(r.History()) != before {
					t.Fatal("a refused message was logged")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tc.want {
				t.Fatalf("sent %q, want %q", m.Text, tc.want)
			}
			if err := (&protocol.ChatMessage{ID: m.ID, From: m.From, Text: m.Text}).Validate(); err != nil {
				t.Fatalf("the tidied text breaks the protocol: %v", err)
			}
		})
	}
	// The UI translates the size error by its code.
	_, err := r.Send(long + "!")
	if protocol.CodeOf(err).MessageKey() != "error.text_too_long" {
		t.Fatalf("size error %v has key %q", err, protocol.CodeOf(err).MessageKey())
	}
	if r.Pending() != len(r.History()) {
		t.Fatalf("%d pending, %d logged: nothing is attached, so every message should wait", r.Pending(), len(r.History()))
	}
}

func TestReconnectNeitherLosesNorDuplicates(t *testing.T) {
	techRoom, techRec := newRoom(t, tech, 0)
	custRoom, custRec := newRoom(t, customer, 0)

	// First connection: the technician's acknowledgements (and messages) never reach the customer.
	dialer, listener := transporttest.Pair(t)
	cs, ts := chatStreams(t, dialer, listener)
	if err := custRoom.AttachQUIC(cs, tech); err != nil {
		t.Fatal(err)
	}
	if err := techRoom.Attach(muted{quicStream{ts}}, customer); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two"} {
		if _, err := custRoom.Send(text); err != nil {
			t.Fatal(err)
		}
	}
	techRec.wait(t, "the customer's messages", func(evs []Event) bool { return len(received(evs)) == 2 })
	if _, err := techRoom.Send("three"); err != nil {
		t.Fatal(err)
	}
	if custRoom.Pending() != 2 || techRoom.Pending() != 1 {
		t.Fatalf("pending %d and %d before the cut, want 2 and 1", custRoom.Pending(), techRoom.Pending())
	}

	// The connection drops: both links end on their own.
	dialer.Close(protocol.ConnectionLost, "cut")
	listener.Close(protocol.ConnectionLost, "cut")
	for _, rec := range []*recorder{techRec, custRec} {
		if e := rec.waitLinkEnded(t, 1); e.Err == nil {
			t.Error("LinkEnded without a reason after the connection dropped")
		}
	}
	if techRoom.Attached() || custRoom.Attached() {
		t.Fatal("a room still attached after its link ended")
	}
	if _, err := custRoom.Send("four (while disconnected)"); err != nil {
		t.Fatal(err)
	}

	// Second connection: the pending messages go again; duplicates are dropped and acknowledged.
	attachPair(t, techRoom, custRoom)
	waitDelivered(t, custRoom)
	waitDelivered(t, techRoom)
	if _, err := techRoom.Send("five"); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, techRoom)

	from := map[string]protocol.ParticipantID{"one": customer, "two": customer, "three": tech,
		"four (while disconnected)": customer, "five": tech}
	checkLog(t, techRoom, []string{"one", "two", "three", "four (while disconnected)", "five"}, from)
	// The customer logged "four" before "three" reached it.
	checkLog(t, custRoom, []string{"one", "two", "four (while disconnected)", "three", "five"}, from)
	for _, side := range []struct {
		rec  *recorder
		want []string
	}{{techRec, []string{"one", "two", "four (while disconnected)"}}, {custRec, []string{"three", "five"}}} {
		evs := side.rec.wait(t, "events", func(evs []Event) bool { return len(received(evs)) >= len(side.want) })
		var got []string
		for _, m := range received(evs) {
			got = append(got, m.Text)
		}
		if !slices.Equal(got, side.want) {
			t.Errorf("Received events %q, want %q", got, side.want)
		}
	}
}

// muted is a stream whose writes never reach the peer: it holds back every acknowledgement.
type muted struct{ Stream }

func (muted) Write(p []byte) (int, error) { return len(p), nil }

func TestReconnectMidBurst(t *testing.T) {
	techRoom, techRec := newRoom(t, tech, 0)
	custRoom, custRec := newRoom(t, customer, 0)
	dialer, listener := attachPair(t, techRoom, custRoom)

	const n, cutAt = 300, 150
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("message %d", i))
		if _, err := custRoom.Send(want[i]); err != nil {
			t.Fatal(err)
		}
		if i == cutAt {
			dialer.Close(protocol.ConnectionLost, "cut")
			listener.Close(protocol.ConnectionLost, "cut")
		}
	}
	techRec.waitLinkEnded(t, 1)
	custRec.waitLinkEnded(t, 1)
	if custRoom.Pending() == 0 {
		t.Log("every message got through before the cut: the resend path was not exercised")
	}
	attachPair(t, techRoom, custRoom)
	waitDelivered(t, custRoom)

	from := map[string]protocol.ParticipantID{}
	for _, s := range want {
		from[s] = customer
	}
	checkLog(t, custRoom, want, from)
	checkLog(t, techRoom, want, from)
}

func TestMisbehavingPeer(t *testing.T) {
	room, rec := newRoom(t, tech, 0)
	dialer, listener := transporttest.Pair(t)
	raw, st := chatStreams(t, dialer, listener)
	if err := room.AttachQUIC(st, customer); err != nil {
		t.Fatal(err)
	}
	mine, err := room.Send("hello")
	if err != nil {
		t.Fatal(err)
	}
	dec := protocol.NewDecoder(raw, protocol.Chat)
	m, err := dec.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.(*protocol.ChatMessage); !ok || got.ID != mine.ID || got.From != tech || got.Text != "hello" {
		t.Fatalf("the peer read %#v", m)
	}

	enc := protocol.NewEncoder(raw, protocol.Chat)
	dup := &protocol.ChatMessage{ID: 7, From: customer, SentAt: 1, Text: "only once"}
	for _, msg := range []protocol.Message{
		dup, dup, dup,
		&protocol.ChatAck{ID: 999}, // never sent
		&protocol.ChatAck{ID: mine.ID},
		&protocol.ChatAck{ID: mine.ID}, // again
		&protocol.ChatAck{ID: 7},       // the peer's own ID
		&protocol.ChatMessage{ID: 8, From: customer, SentAt: 2, Text: "after"},
	} {
		if err := enc.Encode(msg); err != nil {
			t.Fatal(err)
		}
	}
	var acks []uint64
	for len(acks) < 4 {
		m, err := dec.Decode()
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, m.(*protocol.ChatAck).ID)
	}
	if !slices.Equal(acks, []uint64{7, 7, 7, 8}) {
		t.Fatalf("acks %v, want every copy acknowledged", acks)
	}
	evs := rec.wait(t, "the second message", func(evs []Event) bool { return len(received(evs)) == 2 })
	if len(only[Delivered](evs)) != 1 || len(evs) != 3 {
		t.Fatalf("events %v, want Received, Delivered, Received", evs)
	}
	checkLog(t, room, []string{"hello", "only once", "after"},
		map[string]protocol.ParticipantID{"hello": tech, "only once": customer, "after": customer})

	// Finishing the stream ends the link without an error.
	raw.Close()
	if e := rec.waitLinkEnded(t, 1); e.Err != nil {
		t.Fatalf("LinkEnded %v after the peer finished the stream", e.Err)
	}
}

func TestHostileText(t *testing.T) {
	room, rec := newRoom(t, tech, 0)
	dialer, listener := transporttest.Pair(t)
	long := strings.Repeat("é", protocol.MaxChatText/2)
	for i, tc := range []struct {
		name string
		env  []byte        // the raw envelope the peer sends
		want string        // the text logged, if accepted
		code protocol.Code // the code the stream is abandoned with, if refused
	}{
		{name: "html", env: rawChat(1, customer, 1, []byte(`<script>alert(1)</script><img src=x onerror=alert(1)>`)),
			want: `<script>alert(1)</script><img src=x onerror=alert(1)>`},
		{name: "markdown", env: rawChat(2, customer, 1, []byte("**bold** [click](javascript:alert(1)) &amp; # h")),
			want: "**bold** [click](javascript:alert(1)) &amp; # h"},
		{name: "templates", env: rawChat(3, customer, 1, []byte("{{.Name}} %s %!v ${HOME} `rm -rf ~`")),
			want: "{{.Name}} %s %!v ${HOME} `rm -rf ~`"},
		{name: "CR LF and CR", env: rawChat(4, customer, 1, []byte("a\r\nb\rc\n\td")), want: "a\nb\nc\n\td"},
		{name: "bidi override", env: rawChat(5, customer, 1, []byte("invoice\u202egpj.exe")), want: "invoice\u202egpj.exe"},
		{name: "zero width and combining", env: rawChat(6, customer, 1, []byte("a\u200bb e\u0301 \u2028 🙂")),
			want: "a\u200bb e\u0301 \u2028 🙂"},
		{name: "at the limit", env: rawChat(7, customer, 1, []byte(long)), want: long},
		{name: "far future time", env: rawChat(8, customer, 1<<52, []byte("later")), want: "later"},

		{name: "empty", env: rawChat(20, customer, 1, nil), code: protocol.ProtocolViolation},
		{name: "NUL", env: rawChat(21, customer, 1, []byte("a\x00b")), code: protocol.ProtocolViolation},
		{name: "ANSI escape", env: rawChat(22, customer, 1, []byte("a\x1b[2J\x1b]0;title\x07")), code: protocol.ProtocolViolation},
		{name: "DEL", env: rawChat(23, customer, 1, []byte("a\x7f")), code: protocol.ProtocolViolation},
		{name: "C1 CSI", env: rawChat(24, customer, 1, []byte("a\u009b31m")), code: protocol.ProtocolViolation},
		{name: "vertical tab", env: rawChat(25, customer, 1, []byte("a\vb")), code: protocol.ProtocolViolation},
		{name: "invalid UTF-8", env: rawChat(26, customer, 1, []byte("a\xff\xfe")), code: protocol.ProtocolViolation},
		{name: "surrogate", env: rawChat(27, customer, 1, []byte("a\xed\xa0\x80")), code: protocol.ProtocolViolation},
		{name: "overlong slash", env: rawChat(28, customer, 1, []byte("..\xc0\xaf")), code: protocol.ProtocolViolation},
		{name: "over the limit", env: rawChat(29, customer, 1, []byte(long+"a")), code: protocol.ProtocolViolation},
		{name: "over the envelope limit", env: rawChat(30, customer, 1, make([]byte, protocol.MaxChatMessage)),
			code: protocol.MessageTooLarge},
		{name: "no ID", env: rawChat(0, customer, 1, []byte("x")), code: protocol.ProtocolViolation},
		{name: "negative time", env: rawChat(31, customer, -5, []byte("x")), code: protocol.ProtocolViolation},
		{name: "posing as this side", env: rawChat(32, tech, 1, []byte("it's me")), code: protocol.ProtocolViolation},
		{name: "posing as a third", env: rawChat(33, 3, 1, []byte("another")), code: protocol.ProtocolViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := room.History()
			raw, st := chatStreams(t, dialer, listener)
			if err := room.AttachQUIC(st, customer); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Write(tc.env); err != nil {
				if tc.code == protocol.NoError {
					t.Fatal(err)
				}
				if got := streamCode(t, err); got != tc.code { // refused before the peer finished writing
					t.Fatalf("the peer's stream was stopped with %v, want %v", got, tc.code)
				}
			}
			if tc.code != protocol.NoError {
				e := rec.waitLinkEnded(t, i+1)
				if got := protocol.CodeOf(e.Err); got != tc.code {
					t.Fatalf("link ended with %v (%v), want %v", got, e.Err, tc.code)
				}
				_, err := io.ReadAll(raw)
				if got := streamCode(t, err); got != tc.code {
					t.Fatalf("the peer's stream was reset with %v, want %v", got, tc.code)
				}
				if len(room.History()) != len(before) {
					t.Fatal("a refused message was logged")
				}
				return
			}
			m, err := protocol.NewDecoder(raw, protocol.Chat).Decode()
			if err != nil {
				t.Fatal(err)
			}
			id := m.(*protocol.ChatAck).ID
			h := room.History()
			if len(h) != len(before)+1 || h[len(h)-1].ID != id || h[len(h)-1].Text != tc.want {
				t.Fatalf("logged %+v, want %q", h[len(h)-1], tc.want)
			}
			raw.Close()
			if e := rec.waitLinkEnded(t, i+1); e.Err != nil {
				t.Fatal(e.Err)
			}
		})
	}
}

func TestFloodKeepsMemoryBounded(t *testing.T) {
	const keep, n = 100, 2000
	room, rec := newRoom(t, tech, keep)
	dialer, listener := transporttest.Pair(t)
	raw, st := chatStreams(t, dialer, listener)
	if err := room.AttachQUIC(st, customer); err != nil {
		t.Fatal(err)
	}
	// The peer writes as fast as it can (and reads the acknowledgements): the log keeps the last messages.
	text := []byte(strings.Repeat("x", 1000))
	written := make(chan error, 1)
	go func() {
		for id := range uint64(n) {
			if _, err := raw.Write(rawChat(id+1, customer, 1, text)); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	acks := 0
	dec := protocol.NewDecoder(raw, protocol.Chat)
	for acks < n {
		if _, err := dec.Decode(); err != nil {
			t.Fatal(err)
		}
		acks++
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "every message", func(evs []Event) bool { return len(received(evs)) == n })
	h := room.History()
	if len(h) != keep || room.Dropped() != n-keep || h[0].ID != n-keep+1 || h[keep-1].ID != n {
		t.Fatalf("log of %d from %d to %d, %d dropped; want the last %d", len(h), h[0].ID, h[len(h)-1].ID,
			room.Dropped(), keep)
	}
	if len(room.seen) != keep {
		t.Fatalf("%d entries kept for duplicate detection, want %d", len(room.seen), keep)
	}
}

func TestHistoryBound(t *testing.T) {
	r, _ := newRoom(t, tech, 5)
	r.nextID = 1
	for i := range 3 {
		if _, err := r.Send(fmt.Sprint("mine ", i)); err != nil {
			t.Fatal(err)
		}
	}
	for id := range uint64(4) {
		if _, _, err := r.handle(customer, &protocol.ChatMessage{ID: id + 1, From: customer, Text: fmt.Sprint("theirs ", id)}); err != nil {
			t.Fatal(err)
		}
	}
	// 7 messages, 5 kept: two of this side's messages were dropped, with their pending state.
	var got []string
	for _, m := range r.History() {
		got = append(got, m.Text)
	}
	want := []string{"mine 2", "theirs 0", "theirs 1", "theirs 2", "theirs 3"}
	if !slices.Equal(got, want) || r.Dropped() != 2 || r.Pending() != 1 || len(r.pending) != 1 {
		t.Fatalf("log %q, %d dropped, %d pending (%v)", got, r.Dropped(), r.Pending(), r.pending)
	}
	if err := r.WaitDelivered(context.Background(), 1); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("WaitDelivered of a dropped message: %v", err)
	}
	// An ack for a dropped message is ignored; one for a kept one counts once.
	for i, tc := range []struct {
		id        uint64
		delivered bool
	}{{1, false}, {3, true}, {3, false}, {4, false}} {
		ev, ack, err := r.handle(customer, &protocol.ChatAck{ID: tc.id})
		if _, ok := ev.(Delivered); err != nil || ack.ID != 0 || ok != tc.delivered {
			t.Fatalf("ack %d (#%d): %v, %v, %v", tc.id, i, ev, ack, err)
		}
	}
	if r.Pending() != 0 || len(r.pending) != 0 {
		t.Fatalf("%d pending after the ack", r.Pending())
	}
	if err := r.WaitDelivered(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	techRoom, _ := newRoom(t, tech, 0)
	custRoom, custRec := newRoom(t, customer, 0)
	attachPair(t, techRoom, custRoom)
	m, err := techRoom.Send("bye")
	if err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, techRoom)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := techRoom.WaitDelivered(ctx, m.ID); err != nil {
		t.Fatalf("WaitDelivered of a delivered message: %v", err)
	}

	// Detach, then Close: no LinkEnded on this side; the peer's link ends with Cancelled.
	techRoom.Detach()
	techRoom.Detach()
	if techRoom.Attached() {
		t.Fatal("attached after Detach")
	}
	if e := custRec.waitLinkEnded(t, 1); protocol.CodeOf(e.Err) != protocol.Cancelled {
		t.Fatalf("the peer's link ended with %v, want cancelled", e.Err)
	}
	pending, err := techRoom.Send("never sent")
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() { waiting <- techRoom.WaitDelivered(context.Background(), pending.ID) }()
	techRoom.Close()
	techRoom.Close()
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitDelivered after Close: %v", err)
	}
	if _, err := techRoom.Send("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if err := techRoom.Attach(muted{}, customer); !errors.Is(err, ErrClosed) {
		t.Fatalf("Attach after Close: %v", err)
	}
	if len(techRoom.History()) != 2 {
		t.Fatal("the log is gone after Close")
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a participant ID")
	}
}

// stalled is a stream whose peer sends messages but never reads: every Write blocks until Abort.
type stalled struct {
	data    *bytes.Reader
	aborted chan struct{}
	once    sync.Once
}

func (s *stalled) Read(p []byte) (int, error) {
	if s.data.Len() > 0 {
		return s.data.Read(p)
	}
	<-s.aborted
	return 0, errors.New("aborted")
}

func (s *stalled) Write([]byte) (int, error) {
	<-s.aborted
	return 0, errors.New("aborted")
}

func (s *stalled) Abort(protocol.Code) { s.once.Do(func() { close(s.aborted) }) }

func TestBackPressure(t *testing.T) {
	const keep, n = 50, 1000
	room, rec := newRoom(t, tech, keep)
	var data []byte
	for id := range uint64(n) {
		data = append(data, rawChat(id+1, customer, 1, []byte("spam"))...)
	}
	if err := room.Attach(&stalled{data: bytes.NewReader(data), aborted: make(chan struct{})}, customer); err != nil {
		t.Fatal(err)
	}
	// The writer blocks on its first batch of acks; then at most keep acks wait, and the room stops reading.
	rec.wait(t, "the room to read", func(evs []Event) bool { return len(received(evs)) >= keep })
	time.Sleep(100 * time.Millisecond)
	// The writer's batch (≤ keep), the waiting acks (keep), and the message read before waiting.
	if got := len(received(rec.events())); got > 2*keep+1 {
		t.Fatalf("the room read %d messages from a peer that reads nothing, want at most %d", got, 2*keep+1)
	}
	room.Detach()
	if len(only[LinkEnded](rec.events())) != 0 {
		t.Fatal("LinkEnded after Detach")
	}
}

// TestIncomingText checks the Room's own check of a peer's text, behind the decoder's.
func TestIncomingText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"plain", "plain", true},
		{"a\r\nb\rc\n\td", "a\nb\nc\n\td", true},
		{"<i>x</i>", "<i>x</i>", true},
		{strings.Repeat("a", protocol.MaxChatText), strings.Repeat("a", protocol.MaxChatText), true},
		{"", "", false},
		{strings.Repeat("a", protocol.MaxChatText+1), "", false},
		{"a\xffb", "", false},
		{"a\x00b", "", false},
		{"a\x1b[0m", "", false},
		{"a\u0085b", "", false},
		{"a\x7f", "", false},
	} {
		got, err := incoming(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("incoming(%q) = %q, %v", tc.in, got, err)
		}
		if err != nil && protocol.CodeOf(err) != protocol.ProtocolViolation {
			t.Errorf("incoming(%q): code %v", tc.in, protocol.CodeOf(err))
		}
	}
}
