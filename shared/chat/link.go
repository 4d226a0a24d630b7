package chat

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// Priority is the QUIC urgency a chat stream is given by AttachQUIC. quic-go follows RFC 9218: urgency runs
// from 0 to 7 and LOWER values are sent first (the default is 3). Chat is small and waited for by a person,
// so it goes ahead of the default; screen frames and files should use larger numbers.
const Priority int8 = 1

// Stream is what a Room runs on: both directions of one chat stream, after its header. AttachQUIC adapts a
// *quic.Stream; tests may use anything that behaves like one.
type Stream interface {
	// Read reads the peer's bytes; io.EOF (unwrapped) when the peer finished the stream.
	Read(p []byte) (int, error)
	// Write sends bytes to the peer.
	Write(p []byte) (int, error)
	// Abort abandons both directions at once, telling the peer code where the transport can. A Read or
	// Write in progress returns.
	Abort(code protocol.Code)
}

// AttachQUIC runs the Room on a QUIC chat stream (see Attach), giving it urgency Priority.
func (r *Room) AttachQUIC(st *quic.Stream, peer protocol.ParticipantID) error {
	st.SetPriority(Priority, false)
	return r.Attach(quicStream{st}, peer)
}

// Attach runs the Room on s, the chat stream of a connection to peer, until s fails, the peer finishes it,
// or Detach or Close is called. Messages on s must come from peer; peer zero accepts any author but this
// side (for a stream that relays several participants). A stream already attached is first detached. The
// pending messages are sent first, in order.
//
// Attach returns ErrClosed after Close; the Room then does not take s, which the caller abandons.
func (r *Room) Attach(s Stream, peer protocol.ParticipantID) error {
	if peer == r.self {
		return errors.New("chat: Attach to this side's own participant ID")
	}
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detach()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	l := &link{s: s, peer: peer, maxOwed: r.log.max,
		wake: make(chan struct{}, 1), drained: make(chan struct{}, 1), stop: make(chan struct{}),
		writerDone: make(chan struct{}), done: make(chan struct{})}
	r.link = l
	r.mu.Unlock()
	go r.write(l)
	go r.read(l)
	l.poke() // the pending messages
	return nil
}

// Detach stops using the attached stream, abandoning it with code protocol.Cancelled, and waits for the
// Room's goroutines; it does nothing when no stream is attached. Pending messages wait for the next Attach.
// No LinkEnded event follows.
func (r *Room) Detach() {
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detach()
}

// Attached reports whether a stream is attached and running.
func (r *Room) Attached() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.link != nil
}

// detach stops the current link, if any, and waits for it. Called with attachMu held.
func (r *Room) detach() {
	r.mu.Lock()
	l := r.link
	r.link = nil
	r.mu.Unlock()
	if l != nil {
		l.end(nil, true)
		<-l.done
	}
}

// link is one attached stream and the two goroutines that run it: read (which owns the link and, when it
// ends, waits for write) and write.
type link struct {
	s       Stream
	peer    protocol.ParticipantID
	maxOwed int

	mu   sync.Mutex
	owed []uint64 // IDs of received messages whose ChatAck is still to be written

	wake    chan struct{} // cap 1: owed acks or pending messages for the writer
	drained chan struct{} // cap 1: the writer took the owed acks
	stop    chan struct{} // closed by end

	once  sync.Once
	err   error // why the link ended (nil: the peer finished it, or local)
	local bool  // ended by Detach or Close

	sentUpTo uint64 // the writer's: the last of this side's IDs written on this stream

	writerDone chan struct{}
	done       chan struct{} // closed when both goroutines have returned
}

func (l *link) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// end stops the link (the first call wins): it records why, abandons the stream, and closes stop.
func (l *link) end(err error, local bool) {
	l.once.Do(func() {
		l.err, l.local = err, local
		var code protocol.Code
		switch {
		case local:
			code = protocol.Cancelled
		case err == nil:
			code = protocol.NoError
		default:
			code = protocol.CodeOf(err)
		}
		l.s.Abort(code)
		close(l.stop)
	})
}

// owe queues the acknowledgement of id for the writer, waiting while maxOwed are queued (the peer is not
// reading what this side writes). It returns false if the link stops first.
func (l *link) owe(id uint64) bool {
	for {
		l.mu.Lock()
		if len(l.owed) < l.maxOwed {
			l.owed = append(l.owed, id)
			l.mu.Unlock()
			l.poke()
			return true
		}
		l.mu.Unlock()
		select {
		case <-l.drained:
		case <-l.stop:
			return false
		}
	}
}

// takeOwed returns the queued acknowledgements and empties the queue.
func (l *link) takeOwed() []uint64 {
	l.mu.Lock()
	owed := l.owed
	l.owed = nil
	l.mu.Unlock()
	if len(owed) > 0 {
		select {
		case l.drained <- struct{}{}:
		default:
		}
	}
	return owed
}

// read is the link's reading goroutine; it owns the link.
func (r *Room) read(l *link) {
	defer close(l.done)
	dec := protocol.NewDecoder(l.s, protocol.Chat)
	var err error
	for {
		var m protocol.Message
		if m, err = dec.Decode(); err != nil {
			break
		}
		ev, ack, herr := r.handle(l.peer, m)
		if herr != nil {
			err = herr
			break
		}
		if ev != nil {
			r.emit(ev)
		}
		if ack != 0 && !l.owe(ack) {
			break
		}
	}
	if err == io.EOF { //nolint:errorlint // the decoder returns io.EOF unwrapped for a finished stream
		err = nil
	}
	l.end(err, false)
	<-l.writerDone
	r.mu.Lock()
	if r.link == l {
		r.link = nil
	}
	r.mu.Unlock()
	if !l.local {
		r.emit(LinkEnded{Err: l.err})
	}
}

// handle takes one message from the peer of a link: the event to report, the ID to acknowledge (0: none),
// or the protocol violation that ends the link.
func (r *Room) handle(peer protocol.ParticipantID, m protocol.Message) (Event, uint64, error) {
	switch m := m.(type) {
	case *protocol.ChatMessage:
		if m.ID == 0 || m.From == 0 {
			return nil, 0, violation("chat message: no ID or author")
		}
		if m.From == r.self {
			return nil, 0, violation("chat message: from this side's participant ID")
		}
		if peer != 0 && m.From != peer {
			return nil, 0, violation("chat message: from participant " + strconv.FormatUint(uint64(m.From), 10) +
				" on the stream of participant " + strconv.FormatUint(uint64(peer), 10))
		}
		text, err := incoming(m.Text)
		if err != nil {
			return nil, 0, err
		}
		k := key{m.From, m.ID}
		name := r.name(m.From)
		now := time.Now()
		msg := Message{ID: m.ID, From: m.From, Name: name, SentAt: time.UnixMilli(max(m.SentAt, 0)), LoggedAt: now,
			Text: text, Delivered: true, DeliveredAt: now}
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, dup := r.seen[k]; dup {
			return nil, m.ID, nil // its ack was lost, or the peer misbehaves: acknowledge again
		}
		r.addLocked(msg)
		return Received{Message: msg}, m.ID, nil

	case *protocol.ChatAck:
		r.mu.Lock()
		defer r.mu.Unlock()
		msg := r.lookup(key{r.self, m.ID})
		if msg == nil || msg.Delivered {
			return nil, 0, nil // not ours, forgotten, or acknowledged already: ignored
		}
		msg.Delivered, msg.DeliveredAt = true, time.Now()
		r.trimPending()
		close(r.changed)
		r.changed = make(chan struct{})
		return Delivered{Message: *msg}, 0, nil
	}
	return nil, 0, nil // the chat decoder returns no other type
}

// writeBatch bounds how many messages the writer takes at a time.
const writeBatch = 64

// unsent returns the pending messages not yet written on l, at most writeBatch, and marks them written.
func (r *Room) unsent(l *link) []protocol.ChatMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []protocol.ChatMessage
	start, _ := slices.BinarySearch(r.pending, l.sentUpTo+1) // pending is in ID order
	for _, id := range r.pending[start:] {
		m := r.lookup(key{r.self, id})
		if m == nil || m.Delivered {
			continue
		}
		out = append(out, protocol.ChatMessage{ID: m.ID, From: m.From, SentAt: m.SentAt.UnixMilli(), Text: m.Text})
		l.sentUpTo = id
		if len(out) == writeBatch {
			break
		}
	}
	return out
}

// write is the link's writing goroutine: acknowledgements first, then pending messages, whenever poked.
func (r *Room) write(l *link) {
	defer close(l.writerDone)
	enc := protocol.NewEncoder(l.s, protocol.Chat)
	for {
		select {
		case <-l.stop:
			return
		case <-l.wake:
		}
		for {
			acks, msgs := l.takeOwed(), r.unsent(l)
			if len(acks) == 0 && len(msgs) == 0 {
				break
			}
			for _, id := range acks {
				if err := enc.Encode(&protocol.ChatAck{ID: id}); err != nil {
					l.end(err, false)
					return
				}
			}
			for i := range msgs {
				if err := enc.Encode(&msgs[i]); err != nil {
					l.end(err, false)
					return
				}
			}
		}
	}
}

// quicStream adapts a *quic.Stream to Stream, turning QUIC's errors into *protocol.Error values where the
// peer gave a code or the network went silent.
type quicStream struct{ st *quic.Stream }

func (q quicStream) Read(p []byte) (int, error) {
	n, err := q.st.Read(p)
	return n, quicCause(err)
}

func (q quicStream) Write(p []byte) (int, error) {
	n, err := q.st.Write(p)
	return n, quicCause(err)
}

func (q quicStream) Abort(code protocol.Code) {
	q.st.CancelRead(quic.StreamErrorCode(code))
	q.st.CancelWrite(quic.StreamErrorCode(code))
}

func quicCause(err error) error {
	if err == nil || err == io.EOF { //nolint:errorlint // io.EOF stays unwrapped: the decoder's contract
		return err
	}
	var se *quic.StreamError
	if errors.As(err, &se) && se.Remote {
		return &protocol.Error{Code: protocol.Code(se.ErrorCode), Detail: "the peer abandoned the chat stream", Err: err}
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		return &protocol.Error{Code: protocol.Code(ae.ErrorCode), Detail: ae.ErrorMessage, Err: err}
	}
	var ie *quic.IdleTimeoutError
	if errors.As(err, &ie) {
		return &protocol.Error{Code: protocol.ConnectionLost, Err: err}
	}
	return err
}
