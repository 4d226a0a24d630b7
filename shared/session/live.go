package session

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Live features of a session: the customer's screen flows to the technician while the customer shares it,
// and the technician's input reaches the customer's computer only while the customer grants control. Every
// rule is enforced on the customer's side, whatever the technician's program does.
//
// Streams: the technician opens one consent stream after the Welcome (requests one way, answers and
// revocations the other); the customer opens a screen stream each time sharing starts and closes it when
// sharing stops; the technician opens an input stream when it first sends input.

// DefaultConsentTimeout is how long a consent request waits for the customer's answer.
const DefaultConsentTimeout = time.Minute

// maxInFlight is how many frames the sharer sends ahead of the viewer's acknowledgements.
const maxInFlight = 2

// idleInterval is how long the sharer waits before capturing again when nothing changed.
const idleInterval = 30 * time.Millisecond

// Events of the live features.
type (
	// ConsentRequested asks the customer a question (view the screen again, take control). Answer it with
	// Guest.Answer; ConsentExpired withdraws it.
	ConsentRequested struct {
		ID   uint64
		What protocol.Permission
		From string // the technician's name
	}
	// ConsentExpired withdraws the question with that ID: nobody answered in time.
	ConsentExpired struct{ ID uint64 }
	// ConsentAnswered tells the technician the customer's answer (or that nobody answered: Expired).
	ConsentAnswered struct {
		What             protocol.Permission
		Granted, Expired bool
	}
	// SharingChanged says the customer's screen is (On) or is no longer sent to the technician. Paused says
	// it is not sent because the technician stopped viewing, though the customer still allows it: the
	// technician's next RequestView resumes it without asking the customer again.
	SharingChanged struct{ On, Paused bool }
	// ControlChanged says the technician has (Granted) or no longer has control.
	ControlChanged struct{ Granted bool }
	// ScreenUpdated says the technician's copy of the customer's screen changed in those regions; read it
	// with Host.Screen. Seq is the frame's number on this screen stream, Bytes its size on the wire.
	ScreenUpdated struct {
		Changed []codec.Rect
		Seq     uint64
		Bytes   int
	}
)

func (ConsentRequested) isEvent() {}
func (ConsentExpired) isEvent()   {}
func (ConsentAnswered) isEvent()  {}
func (SharingChanged) isEvent()   {}
func (ControlChanged) isEvent()   {}
func (ScreenUpdated) isEvent()    {}

// ErrNotPermitted is returned by actions the other side has not consented to.
var ErrNotPermitted = &protocol.Error{Code: protocol.NotPermitted, Detail: "not permitted"}

// sender writes messages on one stream from several goroutines.
type sender struct {
	mu  sync.Mutex
	enc *protocol.Encoder
}

func (s *sender) send(m protocol.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enc.Encode(m)
}

// customer is the customer's half of the live features.
type customer struct {
	g       *Guest
	l       *link                  // the connection this half serves; a reconnection makes a new customer
	you     protocol.ParticipantID // the customer's participant ID
	inj     input.Injector
	timeout time.Duration
	share   *screenShare     // the customer's screen, to the technician
	view    *screenView      // the technician's screen, when they share it
	files   *transfer.Engine // this connection's file transfers
	ctx     context.Context

	mu         sync.Mutex
	sharing    bool // the customer lets the technician see the screen (the technician may have paused viewing)
	controlled bool
	dropped    int
	pending    map[uint64]pendingAsk
	consent    *sender
	workers    sync.WaitGroup
}

type pendingAsk struct {
	what  protocol.Permission
	timer *time.Timer
}

// newCustomer makes the customer's half for a joined connection; prev, when set, is the half of the
// connection that dropped: the customer's choices (whether the screen may be seen, the monitor) carry over,
// a control grant does not.
func newCustomer(g *Guest, l *link, you protocol.ParticipantID, cfg GuestConfig, prev *customer) *customer {
	timeout := cfg.ConsentTimeout
	if timeout <= 0 {
		timeout = DefaultConsentTimeout
	}
	c := &customer{g: g, l: l, you: you, inj: cfg.Input, timeout: timeout, pending: map[uint64]pendingAsk{}}
	c.share = &screenShare{conn: l.conn, me: you, src: cfg.Screen, monitor: cfg.Monitor,
		onSent: cfg.OnFrameSent, workers: &c.workers, onEnd: c.viewerLeft}
	c.sharing = cfg.Screen != nil
	if prev != nil {
		prev.mu.Lock()
		c.sharing, c.dropped = prev.sharing, prev.dropped
		prev.mu.Unlock()
		prev.share.mu.Lock()
		c.share.monitor = prev.share.monitor
		prev.share.mu.Unlock()
	}
	c.files = newFiles(l, g.ev, g.files, cfg.FilesDir) // here, not in start: Guest.Files may reach it before
	c.view = newScreenView(g.ev,
		func() { g.ev.send(TechnicianScreenChanged{On: true}) },
		func(left bool) { g.ev.send(TechnicianScreenChanged{On: false, ClosedByCustomer: left}) })
	return c
}

// start serves the technician's streams and starts sharing; it returns at once.
func (c *customer) start(ctx context.Context) {
	c.ctx = ctx
	c.workers.Go(func() { c.acceptStreams(ctx) })
	c.workers.Go(func() { readDatagrams(ctx, c.l.conn, c.view) })
	c.resume()
}

// stop waits for the workers after the connection has ended.
func (c *customer) stop() {
	c.mu.Lock()
	for id, p := range c.pending {
		p.timer.Stop()
		delete(c.pending, id)
	}
	c.mu.Unlock()
	c.share.stop()
	c.files.Close()
	c.workers.Wait()
	c.view.close()
}

func (c *customer) acceptStreams(ctx context.Context) {
	for {
		h, st, err := c.l.conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		switch h.Kind {
		case protocol.Consent:
			c.mu.Lock()
			first := c.consent == nil
			if first {
				c.consent = &sender{enc: protocol.NewEncoder(st, protocol.Consent)}
			}
			stopped := !c.sharing
			c.mu.Unlock()
			if !first {
				transport.Refuse(st, protocol.ProtocolViolation)
				continue
			}
			if stopped && c.share.has() { // the customer stopped sharing before this stream came: say so now
				_ = c.consentSender().send(&protocol.ConsentRevoke{What: protocol.PermView})
			}
			c.workers.Go(func() { c.readConsent(st) })
		case protocol.Input:
			st.CancelWrite(quic.StreamErrorCode(protocol.NoError)) // nothing goes back on it
			c.workers.Go(func() { c.readInput(st) })
		case protocol.File:
			c.files.HandleStream(h, st)
		case protocol.Chat:
			if c.g.chat.AttachQUIC(st, TechnicianID) != nil {
				transport.Refuse(st, protocol.SessionEnded)
			}
		case protocol.Screen:
			if h.Sharer == c.you || !c.view.take(st) {
				transport.Refuse(st, protocol.ProtocolViolation) // not the technician's, or one is shown already
				continue
			}
			c.workers.Go(func() { c.view.run(st) })
		default:
			transport.Refuse(st, protocol.UnknownStream)
		}
	}
}

func (c *customer) readConsent(st *quic.Stream) {
	dec := protocol.NewDecoder(st, protocol.Consent)
	for {
		m, err := dec.Decode()
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *protocol.ConsentRequest:
			c.ask(m)
		case *protocol.ConsentRevoke:
			if m.What == protocol.PermControl { // the technician gives control up
				c.setControlled(false, false)
			}
		}
	}
}

// ask puts a technician's request to the customer, or answers it at once when there is nothing to ask.
func (c *customer) ask(req *protocol.ConsentRequest) {
	c.mu.Lock()
	switch {
	case req.What == protocol.PermView && c.sharing:
		c.mu.Unlock()
		c.resume() // the technician paused viewing and looks again: allowed already
		c.answerNow(req.ID, true)
		return
	case req.What == protocol.PermControl && c.controlled:
		c.mu.Unlock()
		c.answerNow(req.ID, true) // already so: nothing to ask
		return
	case req.What == protocol.PermView && !c.share.has(),
		req.What == protocol.PermControl && (c.inj == nil || !c.sharing || !c.share.running()), // no control of an unseen screen
		req.What != protocol.PermView && req.What != protocol.PermControl,
		len(c.pending) >= 8:
		c.mu.Unlock()
		c.answerNow(req.ID, false) // cannot be done here (or a flood of requests)
		return
	}
	if _, dup := c.pending[req.ID]; dup {
		c.mu.Unlock()
		return
	}
	id := req.ID
	c.pending[id] = pendingAsk{what: req.What, timer: time.AfterFunc(c.timeout, func() { c.expire(id) })}
	c.mu.Unlock()
	c.g.ev.send(ConsentRequested{ID: id, What: req.What, From: c.l.peer.Name})
}

func (c *customer) answerNow(id uint64, yes bool) {
	if s := c.consentSender(); s != nil {
		_ = s.send(&protocol.ConsentAnswer{ID: id, Granted: yes})
	}
}

func (c *customer) consentSender() *sender {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.consent
}

func (c *customer) expire(id uint64) {
	c.mu.Lock()
	_, ok := c.pending[id]
	delete(c.pending, id)
	s := c.consent
	c.mu.Unlock()
	if !ok {
		return
	}
	c.g.ev.send(ConsentExpired{ID: id})
	if s != nil {
		_ = s.send(&protocol.ConsentAnswer{ID: id, Expired: true})
	}
}

// answer records the customer's answer to a pending request.
func (c *customer) answer(id uint64, yes bool) error {
	c.mu.Lock()
	p, ok := c.pending[id]
	delete(c.pending, id)
	s := c.consent
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("no question %d is waiting for an answer", id)
	}
	p.timer.Stop()
	if yes {
		switch p.what {
		case protocol.PermView:
			c.startSharing()
		case protocol.PermControl:
			c.setControlled(true, false)
		}
	}
	return s.send(&protocol.ConsentAnswer{ID: id, Granted: yes})
}

// setControlled changes the control grant; tell says whether to tell the technician (a revocation).
func (c *customer) setControlled(on, tell bool) {
	c.mu.Lock()
	changed := c.controlled != on
	c.controlled = on
	s := c.consent
	c.mu.Unlock()
	if !changed {
		return
	}
	if tell && s != nil {
		_ = s.send(&protocol.ConsentRevoke{What: protocol.PermControl})
	}
	c.g.ev.send(ControlChanged{Granted: on})
}

// readInput injects the technician's input while control is granted, and drops (and logs) everything else.
func (c *customer) readInput(st *quic.Stream) {
	dec := protocol.NewDecoder(st, protocol.Input)
	for {
		m, err := dec.Decode()
		if err != nil {
			st.CancelRead(quic.StreamErrorCode(protocol.CodeOf(err)))
			return
		}
		c.mu.Lock()
		allowed := c.controlled && c.inj != nil
		if !allowed {
			c.dropped++
		}
		c.mu.Unlock()
		if !allowed {
			log.Printf("session: dropped %v from %s: control not granted", m.Type(), c.l.peer.Name)
			continue
		}
		if err := c.inject(m); err != nil {
			log.Printf("session: injecting %v: %v", m.Type(), err)
		}
	}
}

func (c *customer) inject(m protocol.Message) error {
	switch m := m.(type) {
	case *protocol.MouseMove:
		mp, err := c.mapper()
		if err != nil {
			return err
		}
		x, y := mp.Map(int(m.X), int(m.Y))
		return c.inj.Move(x, y)
	case *protocol.MouseButton:
		b := map[protocol.Button]input.Button{protocol.ButtonLeft: input.ButtonLeft,
			protocol.ButtonMiddle: input.ButtonMiddle, protocol.ButtonRight: input.ButtonRight}[m.Button]
		if b == 0 {
			return fmt.Errorf("button %d not supported", m.Button)
		}
		if m.Down {
			return c.inj.ButtonDown(b)
		}
		return c.inj.ButtonUp(b)
	case *protocol.Wheel:
		return c.inj.Scroll(int(m.DX)/protocol.WheelNotch, int(m.DY)/protocol.WheelNotch)
	case *protocol.Key:
		key, ok := keyName(m.Name)
		if !ok {
			return fmt.Errorf("key %q not supported", m.Name)
		}
		mods := modifiers(m.Modifiers)
		if m.Down {
			return c.inj.KeyDown(key, mods)
		}
		return c.inj.KeyUp(key, mods)
	case *protocol.Text:
		return c.inj.Type(m.Text)
	}
	return nil
}

// mapper maps frame pixels to the shared monitor's place on the virtual screen (as the capture loop, which
// owns the source, last saw it).
func (c *customer) mapper() (input.Mapper, error) { return c.share.mapper() }

// startSharing lets the technician see the screen and starts sending it.
func (c *customer) startSharing() {
	if !c.share.has() {
		return
	}
	c.mu.Lock()
	c.sharing = true
	c.mu.Unlock()
	if c.share.start(c.ctx) {
		c.g.ev.send(SharingChanged{On: true})
	}
}

// resume starts sending again after the technician paused viewing, if the customer still allows it.
func (c *customer) resume() {
	c.mu.Lock()
	allowed := c.sharing
	c.mu.Unlock()
	if allowed && c.share.start(c.ctx) {
		c.g.ev.send(SharingChanged{On: true})
	}
}

// stopSharing stops sending the screen and withdraws the permission; control goes with it.
func (c *customer) stopSharing() {
	c.mu.Lock()
	was := c.sharing
	c.sharing = false
	c.mu.Unlock()
	if c.share.stop() || was {
		c.g.ev.send(SharingChanged{On: false})
	}
	if was {
		// The screen stream's end says it too, but there may be none yet (stopped before the first frame).
		if s := c.consentSender(); s != nil {
			_ = s.send(&protocol.ConsentRevoke{What: protocol.PermView})
		}
	}
	c.setControlled(false, true)
}

// viewerLeft is called when the technician stopped viewing (or the screen stream failed): nothing is sent
// until they look again, and control, which needs a seen screen, goes back to the customer.
func (c *customer) viewerLeft(bool) {
	if c.l.conn.Err() != nil {
		c.setControlled(false, false) // the connection dropped: Reconnecting says so; control does not survive it
		return
	}
	c.mu.Lock()
	allowed := c.sharing
	c.mu.Unlock()
	if allowed {
		c.g.ev.send(SharingChanged{On: false, Paused: true})
	}
	c.setControlled(false, true)
}

// sleep waits d or until ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
