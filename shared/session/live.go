package session

import (
	"context"
	"fmt"
	"image"
	"log"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
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
	// SharingChanged says the customer's screen is (On) or is no longer shared.
	SharingChanged struct{ On bool }
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
	src     capture.Source
	inj     input.Injector
	monitor int
	timeout time.Duration
	onSent  func(seq uint64, captured time.Time, bytes int)

	mu         sync.Mutex
	sharing    bool
	stopShare  context.CancelFunc // stops the current capture loop
	shareDone  chan struct{}      // closed when the last capture loop has returned: one loop owns src at a time
	shared     image.Rectangle    // the shared monitor's place on the virtual screen, as the capture loop saw it
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

// start serves the technician's streams and starts sharing; it returns at once.
func (c *customer) start(ctx context.Context) {
	c.pending = map[uint64]pendingAsk{}
	c.workers.Go(func() { c.acceptStreams(ctx) })
	if c.src != nil {
		c.startSharing(ctx)
	}
}

// stop waits for the workers after the connection has ended.
func (c *customer) stop() {
	c.mu.Lock()
	for id, p := range c.pending {
		p.timer.Stop()
		delete(c.pending, id)
	}
	if c.stopShare != nil {
		c.stopShare()
	}
	c.mu.Unlock()
	c.workers.Wait()
}

func (c *customer) acceptStreams(ctx context.Context) {
	for {
		h, st, err := c.g.l.conn.AcceptStream(ctx)
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
			c.mu.Unlock()
			if !first {
				transport.Refuse(st, protocol.ProtocolViolation)
				continue
			}
			c.workers.Go(func() { c.readConsent(st) })
		case protocol.Input:
			st.CancelWrite(quic.StreamErrorCode(protocol.NoError)) // nothing goes back on it
			c.workers.Go(func() { c.readInput(st) })
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
	case req.What == protocol.PermView && c.sharing,
		req.What == protocol.PermControl && c.controlled:
		c.mu.Unlock()
		c.answerNow(req.ID, true) // already so: nothing to ask
		return
	case req.What == protocol.PermView && c.src == nil,
		req.What == protocol.PermControl && (c.inj == nil || !c.sharing), // no control of an unseen screen
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
	c.g.ev.send(ConsentRequested{ID: id, What: req.What, From: c.g.l.peer.Name})
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
func (c *customer) answer(ctx context.Context, id uint64, yes bool) error {
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
			c.startSharing(ctx)
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
			log.Printf("session: dropped %v from %s: control not granted", m.Type(), c.g.l.peer.Name)
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
func (c *customer) mapper() (input.Mapper, error) {
	c.mu.Lock()
	b := c.shared
	c.mu.Unlock()
	if b.Empty() {
		return input.Mapper{}, capture.ErrNoMonitor
	}
	return input.FrameToMonitor(b.Dx(), b.Dy(), b)
}

// locate records where the shared monitor is; only the capture loop calls it.
func (c *customer) locate() {
	mons, err := c.src.Monitors()
	if err != nil {
		log.Printf("session: monitors: %v", err)
		return
	}
	for _, m := range mons {
		if m.Index == c.monitor {
			c.mu.Lock()
			c.shared = m.Bounds
			c.mu.Unlock()
			return
		}
	}
}

// startSharing opens a screen stream and starts the capture loop on it.
func (c *customer) startSharing(ctx context.Context) {
	c.mu.Lock()
	if c.sharing || c.src == nil {
		c.mu.Unlock()
		return
	}
	loopCtx, cancel := context.WithCancel(ctx)
	c.sharing, c.stopShare = true, cancel
	prev, done := c.shareDone, make(chan struct{})
	c.shareDone = done
	c.workers.Go(func() {
		defer close(done)
		if prev != nil {
			<-prev // the loop before this one still owns the source until it returns
		}
		c.share(loopCtx)
	})
	c.mu.Unlock()
	c.g.ev.send(SharingChanged{On: true})
}

// stopSharing stops the capture loop and closes the screen stream; control goes with it.
func (c *customer) stopSharing() {
	c.mu.Lock()
	was := c.sharing
	if c.stopShare != nil {
		c.stopShare()
	}
	c.sharing, c.stopShare = false, nil
	c.mu.Unlock()
	if was {
		c.g.ev.send(SharingChanged{On: false})
	}
	c.setControlled(false, true)
}

// share sends the newest screen state while the viewer keeps up: at most maxInFlight frames unacknowledged,
// never a backlog, a key frame at the start and whenever the viewer asks.
func (c *customer) share(ctx context.Context) {
	c.locate()
	st, err := c.g.l.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Screen, Sharer: c.g.welcome.You})
	if err != nil {
		return
	}
	st.SetPriority(-1, false) // control, consent, input and chat first
	acks, refresh := make(chan uint64, 2*maxInFlight), make(chan struct{}, 1)
	var reader sync.WaitGroup
	readCtx, stopReading := context.WithCancel(ctx)
	reader.Go(func() { readAcks(readCtx, st, acks, refresh) })
	defer func() {
		_ = st.Close() // the viewer sees the end of the stream: sharing stopped
		st.CancelRead(quic.StreamErrorCode(protocol.NoError))
		stopReading()
		reader.Wait()
	}()

	enc, out := codec.NewEncoder(), protocol.NewEncoder(st, protocol.Screen)
	var frames [2]codec.Frame
	var pkt []byte
	var seq uint64
	inFlight := 0
	for cur := 0; ; cur ^= 1 {
		for inFlight >= maxInFlight {
			select {
			case <-acks:
				inFlight--
			case <-ctx.Done():
				return
			}
		}
		for drained := false; !drained; {
			select {
			case <-acks:
				inFlight--
			case <-refresh:
				enc.Reset()
			default:
				drained = true
			}
		}
		if ctx.Err() != nil {
			return
		}
		captured := time.Now()
		if err := c.src.Capture(c.monitor, &frames[cur]); err != nil {
			log.Printf("session: capture: %v", err)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if seq == 0 || frames[cur].Width != frames[cur^1].Width || frames[cur].Height != frames[cur^1].Height {
			c.locate() // the first frame, or the monitor changed size: where is it now?
		}
		pkt, err = enc.EncodeRetained(pkt[:0], frames[cur])
		if err != nil {
			log.Printf("session: encode: %v", err)
			return
		}
		if len(enc.Changed()) == 0 && seq > 0 {
			if !sleep(ctx, idleInterval) {
				return
			}
			continue
		}
		seq++
		if c.onSent != nil {
			c.onSent(seq, captured, len(pkt))
		}
		if err := out.Encode(&protocol.FramePacket{Seq: seq, Data: pkt}); err != nil {
			return
		}
		inFlight++
	}
}

func readAcks(ctx context.Context, st *quic.Stream, acks chan<- uint64, refresh chan<- struct{}) {
	dec := protocol.NewDecoder(st, protocol.Screen)
	for {
		m, err := dec.Decode()
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *protocol.FrameAck:
			select {
			case acks <- m.Seq:
			case <-ctx.Done():
				return
			}
		case *protocol.RefreshRequest:
			select {
			case refresh <- struct{}{}:
			default:
			}
		}
	}
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
