package unattended

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/meet"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// DefaultOpenTimeout is how long the helper has to join a technician's session before the agent tells the
// technician it timed out.
const DefaultOpenTimeout = 45 * time.Second

// answerLinger is how long the agent keeps a technician's connection after its answer, for the technician to
// read it and hang up first.
const answerLinger = 5 * time.Second

// AgentConfig configures an Agent.
type AgentConfig struct {
	// Dir holds the computer's state and access log (OpenComputer); it should be readable by the agent only.
	Dir string
	// Listen is the UDP address where technicians on the network reach the computer (":47900"); empty: none.
	Listen string
	// Socket is the path of the local channel's Unix socket.
	Socket string
	// MayUse says whether a local user may be the helper or manage access: the user of the active graphical
	// session, and the system's administrator. Required.
	MayUse func(uid uint32) bool
	// OpenTimeout replaces DefaultOpenTimeout when set.
	OpenTimeout time.Duration
	// IdleTimeout, if set, replaces transport.IdleTimeout for technicians' connections (tests shorten it).
	IdleTimeout time.Duration
	// Launch, if set, starts the helper in the active graphical session when a technician comes and none is
	// connected (the user quit it, or the desktop's autostart did not run it); the agent then waits HelperWait
	// for it. Nil: only the desktop starts the helper.
	Launch func(ctx context.Context) error
	// HelperWait replaces DefaultHelperWait when set.
	HelperWait time.Duration
	// Path tunes how paths through a rendezvous are looked for (tests keep them on loopback).
	Path meet.PathOptions
}

// DefaultHelperWait is how long the agent waits for a helper it launched to connect.
const DefaultHelperWait = 15 * time.Second

// Agent is the privileged half of unattended access: it answers technicians with the computer's gate, hands
// the sessions they open to the helper, ends them when the user blocks access, and serves the user's Unattended
// access window. Close stops it.
type Agent struct {
	cfg  AgentConfig
	comp *Computer
	ln   *transport.Listener
	sock localListener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	helper   *helperPeer
	arrived  chan struct{}      // closed and replaced when a helper connects
	peers    map[*line]struct{} // every open local channel, closed by Close
	nextID   uint64
	sessions map[uint64]*running
}

// helperPeer is the helper currently connected.
type helperPeer struct {
	l       *line
	uid     uint32
	pending map[uint64]*pendingOpen // opens waiting for the helper's answer
}

// pendingOpen is an open the helper has not answered yet: the session it becomes, and where its answer goes.
type pendingOpen struct {
	run    *running
	answer chan protocol.Code // buffered: the helper's goroutine never waits on it
}

// running is an unattended session the helper has joined.
type running struct {
	id      uint64
	tech    Technician
	from    string
	started time.Time
	helper  *helperPeer
	ended   bool // told to end; the helper's session-ended report removes it
}

// StartAgent opens the state in cfg.Dir, listens on the local socket and, with cfg.Listen, on the network.
func StartAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.MayUse == nil || cfg.Socket == "" || cfg.Dir == "" {
		return nil, errors.New("unattended: an agent needs a state directory, a socket and MayUse")
	}
	if cfg.OpenTimeout <= 0 {
		cfg.OpenTimeout = DefaultOpenTimeout
	}
	comp, err := OpenComputer(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if cfg.HelperWait <= 0 {
		cfg.HelperWait = DefaultHelperWait
	}
	a := &Agent{cfg: cfg, comp: comp, sessions: make(map[uint64]*running), peers: make(map[*line]struct{}),
		arrived: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	if a.sock, err = listenLocal(cfg.Socket); err != nil {
		a.cancel()
		return nil, err
	}
	// Without cfg.Listen the listener has no socket of its own: it serves only the paths found through a
	// rendezvous.
	if a.ln, err = transport.Listen(cfg.Listen, transport.ListenConfig{Identity: comp.Identity(), Gate: comp,
		IdleTimeout: cfg.IdleTimeout}); err != nil {
		a.cancel()
		_ = a.sock.Close()
		return nil, err
	}
	a.wg.Add(4)
	go a.acceptTechnicians()
	go a.acceptLocal()
	go a.watchPolicy()
	go a.stayPresent()
	return a, nil
}

// Computer returns the computer's state.
func (a *Agent) Computer() *Computer { return a.comp }

// Addr returns where technicians reach the agent on the network (nil without cfg.Listen).
func (a *Agent) Addr() net.Addr {
	if a.ln == nil {
		return nil
	}
	return a.ln.Addr()
}

// Close stops listening, closes every local channel and waits for the agent's goroutines.
func (a *Agent) Close() error {
	a.cancel()
	if a.ln != nil {
		_ = a.ln.Close()
	}
	err := a.sock.Close()
	a.mu.Lock()
	for l := range a.peers {
		_ = l.close()
	}
	a.mu.Unlock()
	a.wg.Wait()
	return err
}

func (a *Agent) acceptTechnicians() {
	defer a.wg.Done()
	for {
		c, err := a.ln.Accept(a.ctx)
		if err != nil {
			return
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.serveTechnician(c)
		}()
	}
}

// serveTechnician reads the technician's UnattendedOpen, hands its link to the helper and answers.
func (a *Agent) serveTechnician(c *transport.Conn) {
	defer func() { _ = c.Close(protocol.NoError, "") }()
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.OpenTimeout+transport.ConfirmTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.Close(protocol.Timeout, "") })
	defer stop()
	h, st, err := c.AcceptStream(ctx)
	if err != nil {
		return
	}
	if h.Kind != protocol.Control {
		transport.Refuse(st, protocol.UnknownStream)
		return
	}
	m, err := protocol.ReadMessage(st, protocol.Control)
	open, ok := m.(*protocol.UnattendedOpen)
	if err != nil || !ok {
		_ = c.Close(protocol.ProtocolViolation, "want an unattended-open")
		return
	}
	tech, listed := a.comp.Technician(c.PeerID())
	code := protocol.NotAllowed
	if listed {
		code = a.open(ctx, tech, open.Link, c.RemoteAddr().String())
	}
	if err := protocol.WriteMessage(st, &protocol.UnattendedAnswer{Code: code}); err != nil {
		return
	}
	_ = st.Close()
	select { // the technician hangs up once it has the answer
	case <-c.Done():
	case <-time.After(answerLinger):
	case <-ctx.Done():
	}
}

// open asks the helper to join the session at link for tech, and returns what to tell the technician.
func (a *Agent) open(ctx context.Context, tech Technician, link, from string) protocol.Code {
	logRefusal := func(what Event, code protocol.Code) protocol.Code {
		_ = a.comp.Log().Add(Entry{What: what, Technician: tech.Name, TechnicianID: tech.ID.String(), From: from})
		return code
	}
	if a.comp.Blocked() {
		return logRefusal(EventRefusedBlocked, protocol.Blocked)
	}
	hp := a.helperFor(ctx)
	if hp == nil {
		return logRefusal(EventNobodyLoggedIn, protocol.NobodyLoggedIn)
	}
	a.mu.Lock()
	if a.helper != hp { // it went away meanwhile
		a.mu.Unlock()
		return logRefusal(EventNobodyLoggedIn, protocol.NobodyLoggedIn)
	}
	a.nextID++
	id := a.nextID
	answer := make(chan protocol.Code, 1)
	hp.pending[id] = &pendingOpen{run: &running{id: id, tech: tech, from: from, helper: hp}, answer: answer}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(hp.pending, id)
		a.mu.Unlock()
	}()
	if err := hp.l.send(localMsg{Op: opOpen, ID: id, Name: tech.Name, TechID: tech.ID.String(), Link: link}); err != nil {
		return logRefusal(EventNobodyLoggedIn, protocol.NobodyLoggedIn)
	}
	var code protocol.Code
	select {
	case code = <-answer:
	case <-time.After(a.cfg.OpenTimeout):
		code = protocol.Timeout
	case <-ctx.Done():
		code = protocol.Timeout
	}
	if code != protocol.NoError {
		_ = a.comp.Log().Add(Entry{What: EventNobodyLoggedIn, Technician: tech.Name, TechnicianID: tech.ID.String(),
			From: from, Detail: "the user's session did not join: " + code.String()})
		return code
	}
	if a.comp.Blocked() { // blocked while the helper joined: end it at once
		a.endSessions(func(*running) protocol.Code { return protocol.Blocked })
	}
	return protocol.NoError
}

// helperFor returns the connected helper; without one, it launches one (cfg.Launch) and waits for it. A helper
// whose user is no longer at the screen (another user's session took the console: a switch of users) is let go,
// and one is launched in the session at the screen now.
func (a *Agent) helperFor(ctx context.Context) *helperPeer {
	a.mu.Lock()
	hp, arrived := a.helper, a.arrived
	a.mu.Unlock()
	if hp != nil && !a.cfg.MayUse(hp.uid) {
		log.Printf("unattended: the helper's user is no longer at the screen; starting another")
		_ = hp.l.close() // its serveHelper forgets it
		a.mu.Lock()
		if a.helper == hp {
			a.helper = nil
		}
		a.mu.Unlock()
		hp = nil
	}
	if hp != nil || a.cfg.Launch == nil {
		return hp
	}
	if err := a.cfg.Launch(ctx); err != nil {
		log.Printf("unattended: starting the helper: %v", err)
		return nil
	}
	select {
	case <-arrived:
	case <-time.After(a.cfg.HelperWait):
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.helper
}

// watchPolicy ends running sessions as soon as the user blocks access or removes their technician.
func (a *Agent) watchPolicy() {
	defer a.wg.Done()
	for {
		ch := a.comp.Changed()
		a.endSessions(func(r *running) protocol.Code {
			if a.comp.Blocked() {
				return protocol.Blocked
			}
			if _, ok := a.comp.Technician(r.tech.ID); !ok {
				return protocol.NotAllowed
			}
			return protocol.NoError
		})
		select {
		case <-ch:
		case <-a.ctx.Done():
			return
		}
	}
}

// endSessions tells the helper to end every running session for which why returns a code.
func (a *Agent) endSessions(why func(*running) protocol.Code) {
	a.mu.Lock()
	var ends []struct {
		r    *running
		code protocol.Code
	}
	for _, r := range a.sessions {
		if r.ended {
			continue
		}
		if code := why(r); code != protocol.NoError {
			r.ended = true
			ends = append(ends, struct {
				r    *running
				code protocol.Code
			}{r, code})
		}
	}
	a.mu.Unlock()
	for _, e := range ends {
		if e.r.helper.l.send(localMsg{Op: opEnd, ID: e.r.id, Code: e.code}) != nil {
			_ = e.r.helper.l.close() // a helper that cannot be told loses its channel, which ends its sessions
		}
	}
}

func (a *Agent) acceptLocal() {
	defer a.wg.Done()
	for {
		c, err := a.sock.accept()
		if err != nil {
			return
		}
		l := newLine(c)
		a.mu.Lock()
		select {
		case <-a.ctx.Done():
			a.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		a.peers[l] = struct{}{}
		a.wg.Add(1)
		a.mu.Unlock()
		go func() {
			defer a.wg.Done()
			defer func() {
				a.mu.Lock()
				delete(a.peers, l)
				a.mu.Unlock()
				_ = l.close()
			}()
			a.serveLocal(c, l)
		}()
	}
}

// serveLocal checks who opened the channel, then serves it as a helper's or an administrator's.
func (a *Agent) serveLocal(c localConn, l *line) {
	uid, err := peerUID(c)
	if err != nil || !a.cfg.MayUse(uid) {
		_ = l.send(localMsg{Op: opRefused, Code: protocol.NotAllowed})
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(localTimeout))
	hello, err := l.read()
	if err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	switch hello.Op {
	case opHelloHelper:
		a.serveHelper(l, uid)
	case opHelloAdmin:
		if l.send(localMsg{Op: opWelcome, Computer: a.comp.ID().String()}) == nil {
			a.serveAdmin(l)
		}
	default:
		_ = l.send(localMsg{Op: opRefused, Code: protocol.ProtocolViolation})
	}
}

// serveHelper makes l the helper (a newer helper replaces an older one: the user switched) until it hangs up;
// its sessions end with it.
func (a *Agent) serveHelper(l *line, uid uint32) {
	hp := &helperPeer{l: l, uid: uid, pending: make(map[uint64]*pendingOpen)}
	a.mu.Lock()
	old := a.helper
	a.helper = hp
	close(a.arrived)
	a.arrived = make(chan struct{})
	a.mu.Unlock()
	if old != nil {
		_ = old.l.close()
	}
	defer func() {
		a.mu.Lock()
		if a.helper == hp {
			a.helper = nil
		}
		var gone []*running
		for id, r := range a.sessions {
			if r.helper == hp {
				gone = append(gone, r)
				delete(a.sessions, id)
			}
		}
		a.mu.Unlock()
		for _, r := range gone {
			a.logEnd(r, "the user's session went away")
		}
	}()
	if l.send(localMsg{Op: opWelcome, Computer: a.comp.ID().String()}) != nil {
		return
	}
	for {
		m, err := l.read()
		if err != nil {
			return
		}
		switch m.Op {
		case opOpened:
			// The session counts from here, before the helper's next report (what the technician saw) is read.
			a.mu.Lock()
			p := hp.pending[m.ID]
			delete(hp.pending, m.ID)
			if p != nil && m.Code == protocol.NoError {
				p.run.started = time.Now()
				a.sessions[m.ID] = p.run
			}
			a.mu.Unlock()
			if p == nil {
				continue
			}
			if m.Code == protocol.NoError {
				r := p.run
				_ = a.comp.Log().Add(Entry{What: EventConnected, Technician: r.tech.Name, TechnicianID: r.tech.ID.String(),
					From: r.from})
			}
			p.answer <- m.Code
		case opEvent:
			a.helperEvent(hp, m)
		}
	}
}

// helperEvent logs what the helper reports of a session it runs.
func (a *Agent) helperEvent(hp *helperPeer, m localMsg) {
	a.mu.Lock()
	r := a.sessions[m.ID]
	if r == nil || r.helper != hp {
		a.mu.Unlock()
		return
	}
	if m.What == EventSessionEnded {
		delete(a.sessions, m.ID)
	}
	a.mu.Unlock()
	switch m.What {
	case EventSessionEnded:
		a.logEnd(r, m.Detail)
	case EventViewed, EventControlled, EventFileSent, EventFileReceived:
		_ = a.comp.Log().Add(Entry{What: m.What, Technician: r.tech.Name, TechnicianID: r.tech.ID.String(), From: r.from,
			Detail: m.Detail})
	}
}

func (a *Agent) logEnd(r *running, detail string) {
	_ = a.comp.Log().Add(Entry{What: EventSessionEnded, Technician: r.tech.Name, TechnicianID: r.tech.ID.String(),
		From: r.from, Duration: time.Since(r.started).Round(time.Second), Detail: detail})
}

// serveAdmin answers the requests of Tandem Customer's Unattended access window.
func (a *Agent) serveAdmin(l *line) {
	for {
		m, err := l.read()
		if err != nil {
			return
		}
		reply := localMsg{Op: opReply}
		fail := func(code protocol.Code, err error) {
			reply.Code = code
			if err != nil {
				reply.Error = err.Error()
			}
		}
		switch m.Op {
		case opStatus:
			reply.Status = a.status()
		case opSetUp:
			id, err := transport.ParseID(m.TechID)
			switch {
			case err != nil:
				fail(protocol.ProtocolViolation, err)
			case CheckPassword(m.Password) != nil:
				fail(protocol.Refused, CheckPassword(m.Password))
			case m.Rendezvous != "" && !validRendezvous(m.Rendezvous):
				fail(protocol.ProtocolViolation, fmt.Errorf("unattended: %q is not a rendezvous address", m.Rendezvous))
			default:
				name := protocol.SanitizeText(m.Name, protocol.MaxNameLen)
				tech := Technician{ID: id, Name: name, Rendezvous: m.Rendezvous}
				if err := a.comp.SetUp(Secret(m.Password, a.comp.ID()), tech); err != nil {
					fail(protocol.Internal, err)
				}
			}
		case opSetBlocked:
			if err := a.comp.SetBlocked(m.Blocked); err != nil {
				fail(protocol.Internal, err)
			}
		case opChangePassword:
			if err := CheckPassword(m.Password); err != nil {
				fail(protocol.Refused, err)
			} else if err := a.comp.ChangePassword(Secret(m.Password, a.comp.ID())); err != nil {
				fail(protocol.Internal, err)
			}
		case opRemove:
			id, err := transport.ParseID(m.TechID)
			if err == nil {
				err = a.comp.RemoveTechnician(id)
			}
			if err != nil {
				fail(protocol.Internal, err)
			}
		case opReadLog:
			n := m.N
			if n <= 0 || n > MaxLogRead {
				n = MaxLogRead
			}
			es, err := a.comp.Log().Read(n)
			if err != nil {
				fail(protocol.Internal, err)
			}
			reply.Log = es
		default:
			fail(protocol.ProtocolViolation, fmt.Errorf("unknown request %q", m.Op))
		}
		if l.send(reply) != nil {
			return
		}
	}
}

func (a *Agent) status() *wireStatus {
	st := a.comp.Status()
	ws := &wireStatus{ID: st.ID.String(), SetUp: st.SetUp, Blocked: st.Blocked, Failures: st.Failures,
		LockedUntil: st.LockedUntil}
	for _, t := range st.Technicians {
		ws.Technicians = append(ws.Technicians, t.file())
	}
	a.mu.Lock()
	ws.Sessions, ws.Helper = len(a.sessions), a.helper != nil
	a.mu.Unlock()
	return ws
}
