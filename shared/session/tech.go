package session

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// technician is the technician's half of the live features.
type technician struct {
	h *Host
	l *link

	mu         sync.Mutex
	consent    *sender
	nextID     uint64
	asks       map[uint64]protocol.Permission
	controlled bool
	sharing    bool
	input      *sender
	inputOpen  bool // an input stream is being opened or is open
	screen     *sender
	workers    sync.WaitGroup

	fbMu sync.Mutex // guards dec: the decoder's framebuffer is what Host.Screen shows
	dec  *codec.Decoder
}

// start opens the consent stream and serves the customer's streams; it returns once the consent stream is
// open (or the session is over).
func (t *technician) start(ctx context.Context) {
	t.asks = map[uint64]protocol.Permission{}
	t.dec = codec.NewDecoder(codec.DecoderOptions{})
	st, err := t.l.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Consent})
	if err == nil {
		t.mu.Lock()
		t.consent = &sender{enc: protocol.NewEncoder(st, protocol.Consent)}
		t.mu.Unlock()
		t.workers.Go(func() { t.readConsent(st) })
	}
	t.workers.Go(func() { t.acceptStreams(ctx) })
}

func (t *technician) stop() {
	t.workers.Wait()
	t.fbMu.Lock()
	t.dec.Close()
	t.fbMu.Unlock()
}

func (t *technician) acceptStreams(ctx context.Context) {
	for {
		h, st, err := t.l.conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		if h.Kind != protocol.Screen {
			transport.Refuse(st, protocol.UnknownStream)
			continue
		}
		t.mu.Lock()
		busy := t.screen != nil
		if !busy {
			t.screen = &sender{enc: protocol.NewEncoder(st, protocol.Screen)}
			t.sharing = true
		}
		t.mu.Unlock()
		if busy {
			transport.Refuse(st, protocol.ProtocolViolation) // one shared screen at a time
			continue
		}
		t.h.ev.send(SharingChanged{On: true})
		t.workers.Go(func() { t.view(st) })
	}
}

// view decodes the customer's frames into the framebuffer, acknowledging each, until sharing stops.
func (t *technician) view(st *quic.Stream) {
	t.fbMu.Lock()
	t.dec.Reset() // each screen stream starts with a key frame
	t.fbMu.Unlock()
	dec := protocol.NewDecoder(st, protocol.Screen)
	for {
		m, err := dec.Decode()
		if err != nil {
			break
		}
		pkt, ok := m.(*protocol.FramePacket)
		if !ok {
			continue
		}
		t.fbMu.Lock()
		err = t.dec.Decode(pkt.Data)
		changed := append([]codec.Rect(nil), t.dec.Changed()...)
		t.fbMu.Unlock()
		if err != nil {
			log.Printf("session: frame %d: %v; asking for a key frame", pkt.Seq, err)
			if t.send(&protocol.RefreshRequest{}) != nil {
				break
			}
		}
		if t.send(&protocol.FrameAck{Seq: pkt.Seq}) != nil {
			break
		}
		if err == nil && len(changed) > 0 {
			t.h.ev.send(ScreenUpdated{Changed: changed, Seq: pkt.Seq, Bytes: len(pkt.Data)})
		}
	}
	st.CancelRead(quic.StreamErrorCode(protocol.NoError))
	_ = st.Close()
	t.mu.Lock()
	t.screen, t.sharing = nil, false
	t.mu.Unlock()
	t.h.ev.send(SharingChanged{On: false})
}

// send writes on the current screen stream.
func (t *technician) send(m protocol.Message) error {
	t.mu.Lock()
	s := t.screen
	t.mu.Unlock()
	if s == nil {
		return errors.New("no screen is shared")
	}
	return s.send(m)
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
			t.mu.Unlock()
			if !ok {
				continue // an answer to nothing asked: ignore
			}
			t.h.ev.send(ConsentAnswered{What: what, Granted: m.Granted, Expired: m.Expired})
			if grantsControl {
				t.h.ev.send(ControlChanged{Granted: true})
			}
		case *protocol.ConsentRevoke:
			if m.What == protocol.PermControl {
				t.loseControl()
			}
		}
	}
}

func (t *technician) loseControl() bool {
	t.mu.Lock()
	was := t.controlled
	t.controlled = false
	t.mu.Unlock()
	if was {
		t.h.ev.send(ControlChanged{Granted: false})
	}
	return was
}

// request asks the customer for a permission.
func (t *technician) request(what protocol.Permission) error {
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
	return s.send(&protocol.ConsentRequest{ID: id, What: what, From: 1})
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
		st.SetPriority(1, false) // ahead of frames and files
		s = &sender{enc: protocol.NewEncoder(st, protocol.Input)}
		t.mu.Lock()
		t.input = s
		t.mu.Unlock()
	}
	return s.send(m)
}
