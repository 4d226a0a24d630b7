package chat

import (
	"errors"
	"io"
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
// side (the stream to a Room that relays several participants). A stream already attached for peer is first
// detached; those of other peers go on. What peer has not acknowledged is sent first, in order.
//
// Attach returns ErrClosed after Close; the Room then does not take s, which the caller abandons.
func (r *Room) Attach(s Stream, peer protocol.ParticipantID) error {
	if peer == r.self {
		return errors.New("chat: Attach to this side's own participant ID")
	}
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detach(peer)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	from, known := r.acked[peer]
	if !known {
		from = r.log.base // a peer new to the Room reads the log kept so far
	}
	l := &link{s: s, peer: peer, maxOwed: r.log.max, next: from,
		wake: make(chan struct{}, 1), drained: make(chan struct{}, 1), stop: make(chan struct{}),
		writerDone: make(chan struct{}), done: make(chan struct{})}
	r.acked[peer] = from
	r.links[peer] = l
	r.mu.Unlock()
	go r.write(l)
	go r.read(l)
	l.poke() // what the peer has not acknowledged
	return nil
}

// Detach stops using every attached stream, abandoning them with code protocol.Cancelled, and waits for the
// Room's goroutines; it does nothing when no stream is attached. Pending messages wait for the next Attach.
// No LinkEnded event follows.
func (r *Room) Detach() {
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detachAll()
}

// detachAll stops every link and waits for them. Called with attachMu held.
func (r *Room) detachAll() {
	r.mu.Lock()
	peers := make([]protocol.ParticipantID, 0, len(r.links))
	for p := range r.links {
		peers = append(peers, p)
	}
	r.mu.Unlock()
	for _, p := range peers {
		r.detach(p)
	}
}

// DetachPeer is Detach for the stream of one peer (a participant who left); the others go on.
func (r *Room) DetachPeer(peer protocol.ParticipantID) {
	r.attachMu.Lock()
	defer r.attachMu.Unlock()
	r.detach(peer)
}

// Attached reports whether a stream is attached and running.
func (r *Room) Attached() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.links) > 0
}

// detach stops the link of peer, if any, and waits for it. Called with attachMu held.
func (r *Room) detach(peer protocol.ParticipantID) {
	r.mu.Lock()
	l := r.links[peer]
	delete(r.links, peer)
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
	owed []protocol.ChatAck // acknowledgements of received messages still to be written

	wake    chan struct{} // cap 1: owed acks or pending messages for the writer
	drained chan struct{} // cap 1: the writer took the owed acks
	stop    chan struct{} // closed by end

	once  sync.Once
	err   error // why the link ended (nil: the peer finished it, or local)
	local bool  // ended by Detach or Close

	next uint64 // the writer's: the sequence number of the next log entry to consider for this stream

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

// owe queues the acknowledgement ack for the writer, waiting while maxOwed are queued (the peer is not
// reading what this side writes). It returns false if the link stops first.
func (l *link) owe(ack protocol.ChatAck) bool {
	for {
		l.mu.Lock()
		if len(l.owed) < l.maxOwed {
			l.owed = append(l.owed, ack)
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
func (l *link) takeOwed() []protocol.ChatAck {
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
		if ack.ID != 0 && !l.owe(ack) {
			break
		}
	}
	if err == io.EOF { //nolint:errorlint // the decoder returns io.EOF unwrapped for a finished stream
		err = nil
	}
	l.end(err, false)
	<-l.writerDone
	r.mu.Lock()
	if r.links[l.peer] == l {
		delete(r.links, l.peer)
	}
	r.mu.Unlock()
	if !l.local {
		r.emit(LinkEnded{Peer: l.peer, Err: l.err})
	}
}

// handle takes one message from the peer of a link: the event to report, the acknowledgement to write (ID
// 0: none), or the protocol violation that ends the link.
func (r *Room) handle(peer protocol.ParticipantID, m protocol.Message) (Event, protocol.ChatAck, error) {
	switch m := m.(type) {
	case *protocol.ChatMessage:
		if m.ID == 0 || m.From == 0 {
			return nil, protocol.ChatAck{}, violation("chat message: no ID or author")
		}
		if m.From == r.self {
			return nil, protocol.ChatAck{}, violation("chat message: from this side's participant ID")
		}
		if peer != 0 && m.From != peer {
			return nil, protocol.ChatAck{}, violation("chat message: from participant " +
				strconv.FormatUint(uint64(m.From), 10) + " on the stream of participant " + strconv.FormatUint(uint64(peer), 10))
		}
		text, err := incoming(m.Text)
		if err != nil {
			return nil, protocol.ChatAck{}, err
		}
		ack := protocol.ChatAck{ID: m.ID, From: m.From}
		k := key{m.From, m.ID}
		name := r.name(m.From)
		now := time.Now()
		msg := Message{ID: m.ID, From: m.From, Name: name, SentAt: time.UnixMilli(max(m.SentAt, 0)), LoggedAt: now,
			Text: text, Delivered: true, DeliveredAt: now}
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, dup := r.seen[k]; dup {
			return nil, ack, nil // its ack was lost, or the peer misbehaves: acknowledge again
		}
		r.addLocked(msg)
		if r.relay {
			r.pokeLocked(peer) // on to the other participants
		}
		return Received{Message: msg}, ack, nil

	case *protocol.ChatAck:
		from := m.From
		if from == 0 {
			from = r.self
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		seq, ok := r.seen[key{from, m.ID}]
		if !ok {
			return nil, protocol.ChatAck{}, nil // never logged, or forgotten: ignored
		}
		if seq >= r.acked[peer] {
			r.acked[peer] = seq + 1 // the writer goes in log order, and the peer acknowledges in that order
		}
		msg := r.log.at(seq)
		if from != r.self || msg.Delivered {
			return nil, protocol.ChatAck{}, nil // another's, or acknowledged already
		}
		msg.Delivered, msg.DeliveredAt = true, time.Now()
		r.trimPending()
		close(r.changed)
		r.changed = make(chan struct{})
		return Delivered{Message: *msg}, protocol.ChatAck{}, nil
	}
	return nil, protocol.ChatAck{}, nil // the chat decoder returns no other type
}

// writeBatch bounds how many messages the writer takes at a time.
const writeBatch = 64

// unsent returns the log entries not yet written on l that its peer should have, at most writeBatch, and marks
// them written: this side's messages, and with Relay every participant's but the peer's own.
func (r *Room) unsent(l *link) []protocol.ChatMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []protocol.ChatMessage
	for l.next = max(l.next, r.log.base); l.next < r.log.next() && len(out) < writeBatch; l.next++ {
		m := r.log.at(l.next)
		if m.From == l.peer || !r.relay && m.From != r.self {
			continue
		}
		out = append(out, protocol.ChatMessage{ID: m.ID, From: m.From, SentAt: m.SentAt.UnixMilli(), Text: m.Text})
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
			for i := range acks {
				if err := enc.Encode(&acks[i]); err != nil {
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
