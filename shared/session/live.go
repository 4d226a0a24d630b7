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

// Events of the live features.
type (
	// ConsentRequested asks the customer a question (view the screen again, take control). Answer it with
	// Guest.Answer; ConsentExpired withdraws it.
	ConsentRequested struct {
		ID   uint64
		What protocol.Permission
		From string // the technician's name
		// Password is the password the technician proposes for unattended access ("" when they leave it to the
		// customer); show it masked.
		Password string
	}
	// ConsentExpired withdraws the question with that ID: nobody answered in time, or (Withdrawn) it no longer
	// makes sense: the screen stopped reaching the technician, or the technician left.
	ConsentExpired struct {
		ID        uint64
		Withdrawn bool
	}
	// ConsentAnswered tells the technician the customer's answer, or that nobody answered (Expired), or that
	// the question was withdrawn before an answer (Withdrawn: the screen stopped reaching this technician).
	ConsentAnswered struct {
		What                        protocol.Permission
		Granted, Expired, Withdrawn bool
		// Unavailable: the customer's computer cannot do it at all (its system did not allow it).
		Unavailable bool
	}
	// SharingChanged says the customer's screen is (On) or is no longer sent to the technician. Paused says
	// it is not sent because the technician stopped viewing, though the customer still allows it: the
	// technician's next RequestView resumes it without asking the customer again. On the customer's side,
	// Tech says which technician it is about (TechnicianID for the one who started the session); it is zero on
	// a technician's side.
	SharingChanged struct {
		On, Paused bool
		Tech       protocol.ParticipantID
	}
	// ControlChanged says the technician has (Granted) or no longer has control; Tech as in SharingChanged. On a
	// technician's side, Moved says that it ended because the customer gave control to a colleague, named
	// MovedTo (which may be empty: a colleague without a name).
	ControlChanged struct {
		Granted bool
		Tech    protocol.ParticipantID
		Moved   bool
		MovedTo string
	}
	// ScreenUpdated says the technician's copy of the customer's screen changed in those regions; read it
	// with Host.Screen. Seq is the frame's number on this screen stream, Bytes its size on the wire.
	ScreenUpdated struct {
		Changed []codec.Rect
		Seq     uint64 // 0 for a preview
		Bytes   int
		// Preview says the picture is a coarse preview, enlarged, sent first because the exact one takes the link
		// a while; the exact picture follows.
		Preview bool
		Sharer  protocol.ParticipantID // on the customer's side: the technician whose screen it is
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
	tech    protocol.ParticipantID // the participant ID of the technician at the other end
	inj     input.Injector
	timeout time.Duration
	share   *screenShare     // the customer's screen, to the technician
	view    *screenView      // the technician's screen, when they share it
	files   *transfer.Engine // this connection's file transfers
	ctx     context.Context
	quality qualityMeter // the rate received from this technician, for Guest.TechnicianQuality

	turn sync.Mutex // held while sharing starts or stops, so that a start never follows a stop it raced with

	mu      sync.Mutex
	st      consent                // what the technician may do, and the questions waiting
	timers  map[uint64]*time.Timer // each waiting question's expiry
	dropped int
	consent *sender
	workers sync.WaitGroup
}

// newCustomer makes the customer's half for a joined connection; prev, when set, is the half of the
// connection that dropped: the customer's choices (whether the screen may be seen) carry over, a control grant
// does not. The pictures, and the monitor shown, are the session's (Guest.shots).
// newCustomer makes the customer's half of technician tech's connection l (TechnicianID: the one who started the
// session, whose half prev was before a reconnection).
func newCustomer(g *Guest, l *link, you, tech protocol.ParticipantID, cfg GuestConfig, prev *customer) *customer {
	timeout := cfg.ConsentTimeout
	if timeout <= 0 {
		timeout = DefaultConsentTimeout
	}
	c := &customer{g: g, l: l, you: you, tech: tech, inj: cfg.Input, timeout: timeout, st: newConsent(cfg.Screen != nil),
		timers: map[uint64]*time.Timer{}}
	c.share = &screenShare{conn: l.conn, me: you, src: cfg.Screen, shots: g.shots,
		onSent: cfg.OnFrameSent, workers: &c.workers, onEnd: c.viewerLeft, moved: make(chan struct{}, 1)}
	if prev != nil {
		prev.mu.Lock()
		c.st.sharing, c.dropped = prev.st.sharing, prev.dropped
		prev.mu.Unlock()
	}
	mem := g.files
	if tech != TechnicianID {
		mem = newFilesMemory() // a colleague's transfers do not resume (no reconnection) nor mix with the owner's
	}
	c.files = newFiles(l, g.ev, mem, cfg.FilesDir, tech) // here, not in start: Guest.Files may reach it before
	c.view = newScreenView(g.ev,
		func() { g.ev.send(TechnicianScreenChanged{On: true, Sharer: tech}) },
		func(left bool) { g.ev.send(TechnicianScreenChanged{On: false, ClosedByCustomer: left, Sharer: tech}) })
	c.view.sharer = tech
	c.view.speed = func() bool { return !g.exact.Load() }
	return c
}

// start serves the technician's streams and starts sharing; it returns at once.
func (c *customer) start(ctx context.Context) {
	c.ctx = ctx
	c.workers.Go(func() { c.acceptStreams(ctx) })
	c.workers.Go(func() { readDatagrams(ctx, c.l.conn, c.view) })
	c.showScreen()
}

// stop waits for the workers after the connection has ended.
func (c *customer) stop() {
	c.mu.Lock()
	withdrawn, hadControl := c.st.end()
	for id, tm := range c.timers {
		tm.Stop()
		delete(c.timers, id)
	}
	c.mu.Unlock()
	c.withdraw(withdrawn, nil) // the technician left (or the connection dropped): their questions go
	if hadControl {
		c.g.ev.send(ControlChanged{Granted: false, Tech: c.tech}) // Reconnecting says why; a grant does not survive it
		c.g.team.stateChanged()
	}
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
			stopped := !c.st.sharing
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
			if c.g.chat.AttachQUIC(st, c.tech) != nil {
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
				c.releaseControl(false)
			}
		}
	}
}

// Questions from several technicians reach the customer's program under one numbering: a question's ID is its
// technician's participant ID in the top byte and the technician's own request ID below (which must fit).
const questionBits = 56

// question is the ID under which the customer's program sees this technician's request id.
func (c *customer) question(id uint64) uint64 { return uint64(c.tech)<<questionBits | id }

// questionOf splits a question's ID into its technician and the technician's request ID.
func questionOf(q uint64) (protocol.ParticipantID, uint64) {
	return protocol.ParticipantID(q >> questionBits), q & (1<<questionBits - 1)
}

// ask puts a technician's request to the customer, or answers it at once when there is nothing to ask.
func (c *customer) ask(req *protocol.ConsentRequest) {
	if req.ID>>questionBits != 0 { // an ID this side cannot tell apart from another technician's
		c.answerNow(req.ID, false)
		return
	}
	possible := req.What == protocol.PermView && c.share.has() || req.What == protocol.PermControl && c.inj != nil ||
		req.What == protocol.PermUnattended && c.g.cfg.CanSetUpUnattended
	c.mu.Lock()
	verdict := c.st.ask(req.ID, req.What, possible)
	if verdict == askCustomer {
		id := req.ID
		c.timers[id] = time.AfterFunc(c.timeout, func() { c.expire(id) })
	}
	c.mu.Unlock()
	switch verdict {
	case askCustomer:
		if c.g.cfg.Unattended && !c.g.userSpoke.Load() && req.What != protocol.PermUnattended { // granted at set-up
			_ = c.answer(req.ID, true)
			return
		}
		c.g.ev.send(ConsentRequested{ID: c.question(req.ID), What: req.What, From: c.l.peer.Name, Password: req.Password})
	case grantNow:
		if req.What == protocol.PermView {
			c.showScreen() // the technician paused viewing and looks again: allowed already
		}
		c.answerNow(req.ID, true)
	case refuseNow:
		c.answerNow(req.ID, false) // cannot be done now (or a flood of requests)
	case unavailable:
		if s := c.consentSender(); s != nil {
			_ = s.send(&protocol.ConsentAnswer{ID: req.ID, Unavailable: true})
		}
	}
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

// forget stops the timer of a question that is no longer waiting. The caller holds c.mu.
func (c *customer) forget(id uint64) {
	if tm, ok := c.timers[id]; ok {
		tm.Stop()
		delete(c.timers, id)
	}
}

func (c *customer) expire(id uint64) {
	c.mu.Lock()
	ok := c.st.expire(id)
	c.forget(id)
	s := c.consent
	c.mu.Unlock()
	if !ok {
		return
	}
	c.g.ev.send(ConsentExpired{ID: c.question(id)})
	if s != nil {
		_ = s.send(&protocol.ConsentAnswer{ID: id, Expired: true})
	}
}

// withdraw tells the customer's program, and the technician on s unless nil, that questions were withdrawn.
func (c *customer) withdraw(ids []uint64, s *sender) {
	for _, id := range ids {
		c.mu.Lock()
		c.forget(id)
		c.mu.Unlock()
		c.g.ev.send(ConsentExpired{ID: c.question(id), Withdrawn: true})
		if s != nil {
			_ = s.send(&protocol.ConsentAnswer{ID: id, Withdrawn: true})
		}
	}
}

// errWithdrawn is Guest.Answer's error for a question that was withdrawn or that ended before the answer.
var errWithdrawn = &protocol.Error{Code: protocol.NotPermitted, Detail: "the question is no longer waiting"}

// answer records the customer's answer to a pending request. The consent state decides, at this moment,
// whether a yes can be granted: a yes to control of a screen that no longer reaches the technician is not.
func (c *customer) answer(id uint64, yes bool) error {
	c.mu.Lock()
	asked := c.st.pending[id]
	c.mu.Unlock()
	if yes && asked == protocol.PermControl {
		c.g.controlGranted(c) // control moves: whoever had it loses it before this technician gets it
	}
	c.mu.Lock()
	what, granted, withdrawn, ok := c.st.answer(id, yes)
	c.forget(id)
	s := c.consent
	c.mu.Unlock()
	if !ok {
		return errWithdrawn
	}
	switch {
	case withdrawn:
		c.g.ev.send(ConsentExpired{ID: c.question(id), Withdrawn: true})
		_ = s.send(&protocol.ConsentAnswer{ID: id, Withdrawn: true})
		return errWithdrawn
	case granted && what == protocol.PermView:
		c.showScreen()
	case granted && what == protocol.PermControl:
		c.g.ev.send(ControlChanged{Granted: true, Tech: c.tech})
		c.g.team.stateChanged()
	}
	return s.send(&protocol.ConsentAnswer{ID: id, Granted: granted})
}

// state says whether the screen reaches this half's technician now and whether they control the computer.
func (c *customer) state() (viewing, controlling bool) {
	c.mu.Lock()
	controlling = c.st.controlled
	c.mu.Unlock()
	return c.share.running(), controlling
}

// releaseControl ends the control grant, if any; tell says whether to tell the technician (a revocation).
func (c *customer) releaseControl(tell bool) { c.releaseControlTo(tell, 0) }

// releaseControlTo is releaseControl when control moves to technician to (0: it does not).
func (c *customer) releaseControlTo(tell bool, to protocol.ParticipantID) {
	c.mu.Lock()
	had := c.st.release()
	s := c.consent
	c.mu.Unlock()
	c.controlEndedTo(had, tell, s, to)
}

// controlEnded tells the customer's program (and the technician on s when tell) that control ended, if it had.
func (c *customer) controlEnded(had, tell bool, s *sender) { c.controlEndedTo(had, tell, s, 0) }

// controlEndedTo is controlEnded, saying to the technician that control moved to technician to (0: it did not).
func (c *customer) controlEndedTo(had, tell bool, s *sender, to protocol.ParticipantID) {
	if !had {
		return
	}
	if tell && s != nil {
		_ = s.send(&protocol.ConsentRevoke{What: protocol.PermControl, To: to})
	}
	c.g.ev.send(ControlChanged{Granted: false, Tech: c.tech})
	c.g.team.stateChanged()
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
		allowed := c.st.mayInject() && c.inj != nil // checked at each message: sharing and control both hold
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
		if err := c.inj.Move(x, y); err != nil {
			return err
		}
		c.share.pointerMoved()
		return nil
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

// showScreen starts sending the screen if the customer allows it, and records that it reaches the technician.
func (c *customer) showScreen() {
	c.turn.Lock()
	defer c.turn.Unlock()
	c.mu.Lock()
	allowed := c.st.sharing
	c.mu.Unlock()
	if !allowed {
		return
	}
	started := c.share.start(c.ctx)
	c.mu.Lock()
	if c.share.running() { // a loop that ended at once has told viewerLeft, after this lock
		c.st.shown()
	}
	c.mu.Unlock()
	if started {
		c.g.ev.send(SharingChanged{On: true, Tech: c.tech})
		c.g.team.stateChanged()
	}
}

// stopSharing stops sending the screen and withdraws the permission; control, and questions about it, go
// with it.
func (c *customer) stopSharing() {
	c.turn.Lock()
	defer c.turn.Unlock()
	c.mu.Lock()
	was := c.st.sharing
	withdrawn, hadControl := c.st.stopSharing()
	s := c.consent
	c.mu.Unlock()
	if c.share.stop() || was {
		c.g.ev.send(SharingChanged{On: false, Tech: c.tech})
		c.g.team.stateChanged()
	}
	c.withdraw(withdrawn, s)
	if was && s != nil {
		// The screen stream's end says it too, but there may be none yet (stopped before the first frame).
		_ = s.send(&protocol.ConsentRevoke{What: protocol.PermView})
	}
	c.controlEnded(hadControl, true, s)
}

// viewerLeft is called when the technician stopped viewing (or the screen stream failed): nothing is sent
// until they look again, and control, which needs a seen screen, goes back to the customer with the questions
// about it.
func (c *customer) viewerLeft(bool) {
	lost := c.l.conn.Err() != nil
	c.mu.Lock()
	allowed := c.st.sharing
	withdrawn, hadControl := c.st.unseen()
	s := c.consent
	c.mu.Unlock()
	if lost { // the connection dropped: Reconnecting says so; nothing reaches the technician any more
		c.withdraw(withdrawn, nil)
		c.controlEnded(hadControl, false, nil)
		return
	}
	if allowed {
		c.g.ev.send(SharingChanged{On: false, Paused: true, Tech: c.tech})
		c.g.team.stateChanged()
	}
	c.withdraw(withdrawn, s)
	c.controlEnded(hadControl, true, s)
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
