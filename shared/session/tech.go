package session

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
)

// technician is the technician's half of the live features.
type technician struct {
	h     *Host
	l     *link
	ctx   context.Context
	view  *screenView      // the customer's screen
	own   *screenShare     // the technician's screen, to the customer
	files *transfer.Engine // this connection's file transfers

	mu         sync.Mutex
	consent    *sender
	nextID     uint64
	asks       map[uint64]protocol.Permission
	controlled bool
	// unattendedGranted: the customer said yes to unattended access; their UnattendedReady is expected.
	unattendedGranted bool
	input             *sender
	inputOpen         bool // an input stream is being opened or is open
	workers           sync.WaitGroup
}

// The participant IDs of an attended session: the host assigns 1 to itself (the technician) and 2 to the
// customer.
const (
	TechnicianID protocol.ParticipantID = 1
	CustomerID   protocol.ParticipantID = 2
)

func newTechnician(h *Host, l *link) *technician {
	t := &technician{h: h, l: l, asks: map[uint64]protocol.Permission{}}
	// A connection that drops ends the streams too; Reconnecting says so, not a change of sharing.
	t.view = newScreenView(h.ev,
		func() { h.ev.send(SharingChanged{On: true}) },
		func(left bool) {
			if l.conn.Err() == nil {
				h.ev.send(SharingChanged{On: false, Paused: left})
			}
		})
	t.view.speed = func() bool { return !h.exact.Load() }
	t.own = &screenShare{conn: l.conn, me: h.me, workers: &t.workers, owns: true,
		onEnd: func(left bool) { h.ev.send(TechnicianScreenChanged{On: false, ClosedByCustomer: left}) }}
	return t
}

// start opens the consent stream, calls announce, and then serves the customer's streams; it returns once
// they are served (or the session is over). announce runs before anything the customer sends is read, so
// that what it says (joined, reconnected) comes before any news from this connection: a screen shared at
// once must not be seen before its sharer has joined.
func (t *technician) start(ctx context.Context, announce func()) {
	t.ctx = ctx
	st, err := t.l.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Consent})
	if err == nil {
		t.mu.Lock()
		t.consent = &sender{enc: protocol.NewEncoder(st, protocol.Consent)}
		t.mu.Unlock()
	}
	t.files = newFiles(t.l, t.h.ev, t.h.files, t.h.cfg.FilesDir, 0)
	announce()
	if err == nil {
		t.workers.Go(func() { t.readConsent(st) })
	}
	if st, err := t.l.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Chat}); err == nil {
		if t.h.chat.AttachQUIC(st, 0) != nil { // 0: the customer's program relays the other technicians' messages
			transport.Refuse(st, protocol.SessionEnded)
		}
	}
	t.workers.Go(func() { t.acceptStreams(ctx) })
	t.workers.Go(func() { readDatagrams(ctx, t.l.conn, t.view) })
}

func (t *technician) stop() {
	t.own.stop()
	t.files.Close()
	t.workers.Wait()
	t.own.mu.Lock()
	src := t.own.src // given to ShareScreen but never started
	t.own.src = nil
	t.own.mu.Unlock()
	if src != nil {
		_ = src.Close()
	}
	t.view.close()
}

func (t *technician) acceptStreams(ctx context.Context) {
	for {
		h, st, err := t.l.conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		if h.Kind == protocol.File {
			t.files.HandleStream(h, st)
			continue
		}
		if h.Kind != protocol.Screen || h.Sharer == t.h.me {
			transport.Refuse(st, protocol.UnknownStream)
			continue
		}
		if !t.view.take(st) {
			transport.Refuse(st, protocol.ProtocolViolation) // one shared screen at a time
			continue
		}
		t.workers.Go(func() { t.view.run(st) })
	}
}

func (t *technician) readConsent(st *quic.Stream) {
	dec := protocol.NewDecoder(st, protocol.Consent)
	for {
		m, err := dec.Decode()
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *protocol.ConsentAnswer:
			t.mu.Lock()
			what, ok := t.asks[m.ID]
			delete(t.asks, m.ID)
			grantsControl := ok && what == protocol.PermControl && m.Granted && !t.controlled
			if grantsControl {
				t.controlled = true
			}
			if ok && what == protocol.PermUnattended && m.Granted {
				t.unattendedGranted = true // UnattendedReady follows
			}
			t.mu.Unlock()
			if !ok {
				continue // an answer to nothing asked: ignore
			}
			t.h.ev.send(ConsentAnswered{What: what, Granted: m.Granted, Expired: m.Expired, Withdrawn: m.Withdrawn,
				Unavailable: m.Unavailable})
			if grantsControl {
				t.h.ev.send(ControlChanged{Granted: true})
			}
		case *protocol.UnattendedReady:
			t.mu.Lock()
			granted := t.unattendedGranted
			t.unattendedGranted = false
			t.mu.Unlock()
			if granted { // an answer to a request this side made and the customer granted; else ignored
				t.h.ev.send(unattendedSetUp(m, t.l.peer.Addr, t.h.cfg.Rendezvous))
			}
		case *protocol.ConsentRevoke:
			switch m.What {
			case protocol.PermControl:
				t.loseControlTo(m.To)
			case protocol.PermView:
				if !t.view.flowing() { // stopped before its screen stream arrived: say so (else its end does)
					t.h.ev.send(SharingChanged{On: false})
				}
			}
		}
	}
}

func (t *technician) loseControl() bool { return t.loseControlTo(0) }

// loseControlTo ends this technician's control, which moved to colleague to (0: it did not move).
func (t *technician) loseControlTo(to protocol.ParticipantID) bool {
	t.mu.Lock()
	was := t.controlled
	t.controlled = false
	t.mu.Unlock()
	if was {
		e := ControlChanged{Granted: false}
		if to != 0 {
			e.Moved, e.MovedTo = true, t.h.participantName(to)
		}
		t.h.ev.send(e)
	}
	return was
}

// request asks the customer for a permission.
func (t *technician) request(what protocol.Permission) error { return t.requestWith(what, "") }

// requestWith asks the customer for a permission, with the password proposed for unattended access.
func (t *technician) requestWith(what protocol.Permission, password string) error {
	t.mu.Lock()
	s := t.consent
	t.nextID++
	id := t.nextID
	if s != nil {
		t.asks[id] = what
	}
	t.mu.Unlock()
	if s == nil {
		return ErrEnded
	}
	return s.send(&protocol.ConsentRequest{ID: id, What: what, From: t.h.me, Password: password})
}

// sendInput sends one input message while the customer grants control.
func (t *technician) sendInput(ctx context.Context, m protocol.Message) error {
	if m.Type().Kind() != protocol.Input {
		return fmt.Errorf("%v is not input", m.Type())
	}
	t.mu.Lock()
	if !t.controlled {
		t.mu.Unlock()
		return ErrNotPermitted
	}
	s := t.input
	opening := s == nil && t.inputOpen
	if s == nil && !opening {
		t.inputOpen = true
	}
	t.mu.Unlock()
	if opening {
		return errors.New("input stream is opening")
	}
	if s == nil {
		st, err := t.l.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Input})
		if err != nil {
			t.mu.Lock()
			t.inputOpen = false
			t.mu.Unlock()
			return err
		}
		s = &sender{enc: protocol.NewEncoder(st, protocol.Input)}
		t.mu.Lock()
		t.input = s
		t.mu.Unlock()
	}
	return s.send(m)
}
