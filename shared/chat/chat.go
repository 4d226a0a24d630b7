// Package chat is the chat engine of a session: one Room per side of a session keeps the chat log, sends this
// side's messages in order, acknowledges the peer's, and survives a short reconnect without losing or
// duplicating a message. It knows nothing of Fyne, nor of the session engine: the session creates the Room,
// forwards its events, and attaches it to a chat stream each time a connection is (re)established.
//
// # Wire
//
// A Room runs on one chat stream (protocol.Chat) per connection, in both directions at once: each side writes
// its ChatMessages and the ChatAcks of the messages it received, and reads the peer's. Which side opens the
// stream is the session's business (the side that opens it writes the stream header, so the peer sees it at
// once; the technician's side, as for consent, is a natural choice); both sides then call AttachQUIC (or
// Attach) with it, which gives it urgency Priority. A ChatMessage is acknowledged after it has been
// logged and its Received event handled, or at once if it is a duplicate. ChatAcks for IDs this side never
// sent, or already acknowledged, are ignored.
//
// # Several participants
//
// A Room may run on several streams at once, one per peer (Attach with each peer's ID). A relaying Room
// (Config.Relay: the customer's program, with several technicians) sends every message in its log to every
// peer but the message's author, so that each technician sees the whole conversation, each message with its
// author; a Room that does not relay sends only this side's messages. A ChatAck names the message's author
// (protocol.ChatAck.From), and a Room remembers for each peer how far it has acknowledged the log, so that
// a stream attached again for that peer (a reconnection) resends from there. A peer attached for the first
// time receives the log kept so far: a colleague who joins late reads what was said.
//
// # Reconnect
//
// A message stays pending until its ChatAck arrives. When a stream is attached, every pending message is
// (re)sent first, in order, then new ones follow. The receiver recognises a message it already holds by its
// (From, ID) pair, drops it and acknowledges it again, so a message whose ack was lost with the connection
// becomes delivered on the next one. Message IDs start at a random value and only grow, so that a Room made
// afresh for the same participant never reuses an ID its peer has seen.
//
// # Text
//
// Chat text is plain text, never markup: a UI must show it as plain text (a Label, an Entry, a plain
// RichText segment; never Markdown, HTML or anything that interprets it), and a report must escape it
// (html/template does). Text from a peer holds valid UTF-8 of 1..protocol.MaxChatText bytes without control
// characters other than tab and line feed (the protocol's decoder refuses the rest, and the Room checks
// again); a peer's CR LF and lone CR become LF. A peer that sends anything else breaks the protocol: the Room
// abandons the stream with protocol.ProtocolViolation and reports LinkEnded. Any other Unicode is kept as
// sent, so that the log is faithful, including bidirectional controls (U+202E…) and zero-width characters: a
// UI shows each message in a widget of its own, apart from its author's name, so that they cannot reorder
// anything else, and a report isolates each message the same way (e.g. <bdi> or dir="auto" on its element).
// See Send for what is done to this side's text.
//
// # Bounds
//
// The log keeps at most Config.MaxHistory messages (DefaultMaxHistory, 10 000): beyond that the oldest are
// dropped (Dropped counts them), with their duplicate-detection entries and, for this side's, their pending
// state. A peer that floods messages is slowed by back-pressure: the Room reads its next message only after
// the previous one is logged and its event handled, and holds at most MaxHistory acknowledgements waiting to
// be written: a peer that does not read them is not read either, and QUIC's flow control stops it.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// DefaultMaxHistory is the number of messages a Room keeps when Config.MaxHistory is zero.
const DefaultMaxHistory = 10000

// Errors of Send and the other actions.
var (
	// ErrEmpty: the text holds nothing but white space. A UI keeps its Send button disabled instead.
	ErrEmpty = errors.New("chat: empty message")
	// ErrClosed: the Room was closed.
	ErrClosed = errors.New("chat: room closed")
	// ErrUnknownMessage: WaitDelivered was asked about an ID this side did not send, or one dropped from the
	// log.
	ErrUnknownMessage = errors.New("chat: no such message")
)

// Message is one entry of the chat log.
type Message struct {
	// ID is the message's number, unique per author; with From it identifies the message.
	ID uint64
	// From is the author.
	From protocol.ParticipantID
	// Name is the author's name when the message entered the log (Config.Names), "" if unknown.
	Name string
	// SentAt is when the author sent it, by the author's clock, to the millisecond.
	SentAt time.Time
	// LoggedAt is when it entered this side's log, by this side's clock.
	LoggedAt time.Time
	// Text is plain text: show it as such, never as markup.
	Text string
	// Outgoing is true for messages this side sent.
	Outgoing bool
	// Delivered is true once the peer acknowledged an outgoing message; always true for incoming ones.
	Delivered bool
	// DeliveredAt is when the acknowledgement arrived (outgoing) or equals LoggedAt (incoming).
	DeliveredAt time.Time
}

// Event is something that happened in a Room. The concrete types are Received, Delivered and LinkEnded.
type Event interface{ isEvent() }

// Received says a peer's message entered the log. Duplicates never produce one.
type Received struct{ Message Message }

// Delivered says the peer acknowledged one of this side's messages; Message has Delivered set.
type Delivered struct{ Message Message }

// LinkEnded says the stream attached for Peer stopped on its own (never after Detach or Close): Err is nil
// when the peer finished the stream, a *protocol.Error when the peer broke the protocol (the stream was
// abandoned with its code) or closed the stream or connection with a code, another error when the transport
// failed. Pending messages wait for the next Attach.
type LinkEnded struct {
	Peer protocol.ParticipantID
	Err  error
}

func (Received) isEvent()  {}
func (Delivered) isEvent() {}
func (LinkEnded) isEvent() {}

// Config configures New.
type Config struct {
	// Self is this side's participant ID; required (non-zero).
	Self protocol.ParticipantID
	// Names, if set, returns a participant's display name; called outside the Room's lock when a message
	// enters the log.
	Names func(protocol.ParticipantID) string
	// OnEvent, if set, receives the Room's events. It is called from the Room's goroutines, one call at a
	// time and in order. It may call Send, History and the other queries, but not Attach, Detach or Close,
	// which wait for it. The next message from the peer is read, and the current one acknowledged, only
	// after it returns: a slow OnEvent slows the peer rather than growing a queue.
	OnEvent func(Event)
	// MaxHistory bounds the log; zero means DefaultMaxHistory.
	MaxHistory int
	// Relay makes the Room pass every participant's messages on to its other peers (the customer's program,
	// which each technician reaches); without it only this side's messages are sent.
	Relay bool
}

// key identifies a message across the session: its author and the author's ID for it.
type key struct {
	from protocol.ParticipantID
	id   uint64
}

// Room is one side's chat: its log, its pending messages and, while attached, the stream they travel on.
// Its methods are safe for concurrent use.
type Room struct {
	self    protocol.ParticipantID
	names   func(protocol.ParticipantID) string
	onEvent func(Event)
	relay   bool

	attachMu sync.Mutex // serialises Attach, Detach and Close

	mu      sync.Mutex
	log     ring
	seen    map[key]uint64 // every logged message → its sequence number in log
	pending []uint64       // IDs of this side's messages not yet acknowledged, in send order (may hold stale ones)
	nextID  uint64
	links   map[protocol.ParticipantID]*link  // the attached streams, by the peer they serve
	acked   map[protocol.ParticipantID]uint64 // per peer: the log up to this sequence number is acknowledged or theirs
	changed chan struct{}                     // closed and replaced when a message is delivered
	closed  bool
	done    chan struct{} // closed by Close
}

// New returns a Room with an empty log, not attached to any stream.
func New(cfg Config) (*Room, error) {
	if cfg.Self == 0 {
		return nil, errors.New("chat: New needs this side's participant ID")
	}
	maxHistory := cfg.MaxHistory
	if maxHistory <= 0 {
		maxHistory = DefaultMaxHistory
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("chat: drawing the first message ID: %w", err)
	}
	return &Room{
		self:    cfg.Self,
		names:   cfg.Names,
		onEvent: cfg.OnEvent,
		relay:   cfg.Relay,
		links:   make(map[protocol.ParticipantID]*link),
		acked:   make(map[protocol.ParticipantID]uint64),
		log:     ring{max: maxHistory},
		seen:    make(map[key]uint64),
		nextID:  binary.BigEndian.Uint64(b[:])>>16 + 1, // 1..2^48: room for 2^63 more
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// Self returns this side's participant ID.
func (r *Room) Self() protocol.ParticipantID { return r.self }

func (r *Room) name(p protocol.ParticipantID) string {
	if r.names == nil {
		return ""
	}
	return r.names(p)
}

// Send adds a message from this side to the log and queues it for the peer; it is sent at once when a stream
// is attached, otherwise on the next Attach. It returns the local copy (Delivered false); a Delivered event
// follows when the peer acknowledges it.
//
// The text is tidied first: line breaks become LF; vertical tab, form feed and NEL become LF; other control
// characters (invisible, and refused on the wire) are removed; white space at the end and blank lines at the
// start are removed. Then Send refuses, without logging anything: text with nothing left (ErrEmpty); text
// that is not valid UTF-8 (a *protocol.Error with code Internal: no UI produces it); text over
// protocol.MaxChatText bytes (a *protocol.Error with code protocol.TextTooLong, whose message key the UI
// translates).
func (r *Room) Send(text string) (Message, error) {
	text, err := prepare(text)
	if err != nil {
		return Message{}, err
	}
	name := r.name(r.self)
	now := time.Now()
	sentAt := time.UnixMilli(now.UnixMilli())

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Message{}, ErrClosed
	}
	m := Message{ID: r.nextID, From: r.self, Name: name, SentAt: sentAt, LoggedAt: now, Text: text, Outgoing: true}
	r.nextID++
	r.addLocked(m)
	r.pending = append(r.pending, m.ID)
	r.pokeLocked(0)
	r.mu.Unlock()
	return m, nil
}

// addLocked adds m to the log, forgetting the oldest message if the log is full. Called with mu held.
func (r *Room) addLocked(m Message) {
	seq, old, evicted := r.log.push(m)
	if evicted {
		delete(r.seen, key{old.From, old.ID})
		if old.Outgoing && !old.Delivered {
			r.trimPending()
		}
	}
	r.seen[key{m.From, m.ID}] = seq
}

// lookup returns the logged message k, or nil. Called with mu held.
func (r *Room) lookup(k key) *Message {
	seq, ok := r.seen[k]
	if !ok {
		return nil
	}
	return r.log.at(seq)
}

// trimPending drops acknowledged and forgotten messages from the front of pending. Called with mu held.
func (r *Room) trimPending() {
	i := 0
	for i < len(r.pending) {
		m := r.lookup(key{r.self, r.pending[i]})
		if m != nil && !m.Delivered {
			break
		}
		i++
	}
	if i > 0 {
		r.pending = append(r.pending[:0], r.pending[i:]...)
	}
}

// pokeLocked wakes the writers of every link but the one serving except (0: none). Called with mu held.
func (r *Room) pokeLocked(except protocol.ParticipantID) {
	for p, l := range r.links {
		if p != except || except == 0 {
			l.poke()
		}
	}
}

// History returns the whole log, oldest first: both directions, in the order messages entered it.
func (r *Room) History() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.all()
}

// Dropped returns how many messages were dropped from the front of the log to respect MaxHistory; a report
// says so when it is not zero.
func (r *Room) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.base
}

// Pending returns how many of this side's messages wait for the peer's acknowledgement.
func (r *Room) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range r.pending {
		if m := r.lookup(key{r.self, id}); m != nil && !m.Delivered {
			n++
		}
	}
	return n
}

// WaitDelivered waits until the peer has acknowledged this side's message id. It returns ErrUnknownMessage
// for an ID this side did not send (or one dropped from the log), ErrClosed if the Room closes first, and
// ctx's error if ctx ends first.
func (r *Room) WaitDelivered(ctx context.Context, id uint64) error {
	for {
		r.mu.Lock()
		m := r.lookup(key{r.self, id})
		delivered, changed := m != nil && m.Delivered, r.changed
		r.mu.Unlock()
		switch {
		case m == nil:
			return ErrUnknownMessage
		case delivered:
			return nil
		}
		select {
		case <-changed:
		case <-r.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// RoundTrip sends text and waits for its acknowledgement, returning the time between the two: the chat
// round-trip time that benchmarks report.
func (r *Room) RoundTrip(ctx context.Context, text string) (time.Duration, error) {
	start := time.Now()
	m, err := r.Send(text)
	if err != nil {
		return 0, err
	}
	if err := r.WaitDelivered(ctx, m.ID); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Close detaches the Room and waits for its goroutines; afterwards Send and Attach return ErrClosed. The log
// stays readable. Close may be called more than once.
func (r *Room) Close() {
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detachAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.done)
	}
}

func (r *Room) emit(ev Event) {
	if r.onEvent != nil {
		r.onEvent(ev)
	}
}
