package session

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
)

// HostConfig configures NewHost.
type HostConfig struct {
	// Listen is the UDP address to listen on; empty means all interfaces on a port the system picks.
	Listen string
	// Advertise is the host name or address the join link names; empty means this machine's first
	// non-loopback IPv4 address (127.0.0.1 when it has none).
	Advertise string
	// Name is the technician's display name.
	Name string
	// Preferences are sent to the customer when it joins.
	Preferences protocol.Preferences
	// ReconnectWindow is how long the host waits for the customer to come back after the connection drops
	// (DefaultReconnectWindow if 0).
	ReconnectWindow time.Duration
	// IdleTimeout is how long a silent connection lasts before it counts as dropped (transport.IdleTimeout if
	// 0; tests shorten it).
	IdleTimeout time.Duration
	// KeyLifetime is how long the support key waits for the customer (transport.KeyLifetime if 0; tests
	// shorten it).
	KeyLifetime time.Duration
	// HelloTimeout is how long a joiner who proved the key has to introduce itself (HelloTimeout if 0; tests
	// shorten it).
	HelloTimeout time.Duration
	// FilesDir is the folder whose free space an incoming offer reports (the technician's usual folder for
	// received files); empty for none.
	FilesDir string
	// Rendezvous, if set, is the URL of the rendezvous through which the customer reaches this program from
	// anywhere: the key's first digits are a nameplate it assigns, and Listen and Advertise are unused (the
	// program opens no port of its own). Empty keeps the direct link of one network.
	Rendezvous string
	// Path tunes the search for a path through the rendezvous.
	Path PathOptions
	// Identity is the certificate this program presents: Tandem Expert's own, which the computers it may reach
	// unattended know it by; nil makes one for this session.
	Identity *transport.Identity
}

// Host is the technician's side of an attended session: it waits for the customer with a support key.
type Host struct {
	cfg   HostConfig
	me    protocol.ParticipantID // this technician's participant ID: TechnicianID for the session's owner
	key   *transport.SupportKey
	meet  *meeting // the rendezvous's nameplate and paths; nil for a direct link
	gate  *hostGate
	ln    *transport.Listener
	conns chan *transport.Conn // confirmed connections: the customer joining, later returning
	// Set by the first welcome, read by the session's goroutine only.
	sid        protocol.SessionID
	secret     []byte
	customer   transport.ID // the customer's certificate: a return must come from it
	link       Link
	ev         *events
	fails      chan transport.Attempt
	live       *technician // set once the customer has joined, before Joined is sent
	chat       *chat.Room
	files      *filesMemory
	peerMu     sync.Mutex
	peer       string             // the customer's name, for the chat log
	session    protocol.SessionID // h.sid, for SessionID
	people     people             // everyone in the session, as the customer's program announces them
	left       atomic.Bool        // Leave was called: the session goes on without this technician
	quality    qualityMeter       // the received rate, for Quality
	exact      atomic.Bool        // the technician prefers exactness to speed (SetPreferQuality)
	lifeMu     sync.Mutex
	nextInvite uint64 // the last InviteRequest's ID
	lifetime
}

// NewHost starts listening with a fresh support key.
func NewHost(cfg HostConfig) (*Host, error) {
	id, err := cfg.Identity, error(nil)
	if id == nil {
		if id, err = transport.NewIdentity(); err != nil {
			return nil, err
		}
	}
	lifetime := cfg.KeyLifetime
	if lifetime <= 0 {
		lifetime = transport.KeyLifetime
	}
	var meet *meeting
	var key *transport.SupportKey
	if cfg.Rendezvous != "" {
		if meet, err = openMeeting(cfg.Rendezvous, cfg.Path); err != nil {
			return nil, err
		}
		key, err = transport.NewNameplateKeyGate(meet.nameplate.Name, lifetime)
	} else {
		key, err = transport.NewSupportKeyGateFor(lifetime)
	}
	if err != nil {
		if meet != nil {
			meet.close()
		}
		return nil, err
	}
	h, err := newHost(cfg, id, key, meet)
	if err != nil && meet != nil {
		meet.close()
	}
	return h, err
}

func newHost(cfg HostConfig, id *transport.Identity, key *transport.SupportKey, meet *meeting) (*Host, error) {
	var err error
	h := &Host{meet: meet, cfg: cfg, me: TechnicianID, key: key, gate: &hostGate{key: key}, conns: make(chan *transport.Conn),
		fails: make(chan transport.Attempt, 8), lifetime: newLifetime()}
	h.ev = newEvents(h.ended)
	h.files = newFilesMemory()
	h.chat, err = newRoom(TechnicianID, h.participantName, h.ev, false)
	if err != nil {
		return nil, err
	}
	listen := cfg.Listen
	switch {
	case meet != nil:
		listen = "" // only the paths that the meeting finds
	case listen == "":
		listen = ":0"
	}
	h.ln, err = transport.Listen(listen, transport.ListenConfig{Identity: id, Gate: h.gate, IdleTimeout: cfg.IdleTimeout,
		OnFailure: func(a transport.Attempt) {
			select {
			case h.fails <- a:
			default: // a flood of attempts: the UI has heard enough
			}
		}})
	if err != nil {
		return nil, err
	}
	if meet != nil {
		meet.start(h.ln)
		h.link = Link{Rendezvous: cfg.Rendezvous, Key: key.Key()}
	} else {
		port := h.ln.Addr().(*net.UDPAddr).Port
		adv := cfg.Advertise
		if adv == "" {
			adv = advertisedAddr()
		}
		h.link = Link{Addr: net.JoinHostPort(adv, strconv.Itoa(port)), Key: key.Key()}
	}
	h.wg.Add(1)
	go h.run()
	return h, nil
}

// Link returns the join link (address and key) to give the customer.
func (h *Host) Link() Link { return h.link }

// JoinPage is the address of the rendezvous's join page, where a customer without Tandem types the key and
// downloads the program; empty for a direct link or a rendezvous that serves no page.
func (h *Host) JoinPage() string {
	if h.meet == nil {
		return ""
	}
	return h.meet.nameplate.JoinPage
}

// Route says how the connection of the moment reaches the customer (the zero Route before anyone joins).
func (h *Host) Route() Route {
	t, err := h.tech()
	if err != nil {
		return Route{}
	}
	return t.l.peer.Route
}

// ExpiresAt returns when the key expires if nobody joins.
func (h *Host) ExpiresAt() time.Time {
	if h.key == nil {
		return time.Time{} // a colleague's session has no key
	}
	return h.key.ExpiresAt()
}

// Events returns the session's events; the channel closes after Ended.
func (h *Host) Events() <-chan Event { return h.ev.ch }

func (h *Host) run() {
	defer h.wg.Done()
	defer h.ev.close()
	defer h.chat.Close()
	acceptCtx, stopAccepting := context.WithCancel(context.Background())
	var accepting sync.WaitGroup
	accepting.Go(func() { h.accept(acceptCtx) })
	defer func() {
		if h.meet != nil {
			h.meet.close() // before the listener: it hands the listener paths
		}
		_ = h.ln.Close() // an error closing the socket changes nothing
		stopAccepting()
		accepting.Wait()
	}()
	l, err := h.waitForCustomer()
	defer func() { waitPathClosed(l) }() // the last connection's; l changes with every return
	if err != nil {
		h.ev.send(Ended{Err: err})
		return
	}
	if l == nil { // ended locally before anyone joined
		h.ev.send(Ended{})
		return
	}
	for first := true; ; first = false {
		ctx, cancel := context.WithCancel(context.Background())
		t := h.startTechnician(ctx, l, first)
		switch {
		case !first:
			t.workers.Go(func() { h.files.resume(t.files) })
		case h.meet != nil:
			h.meet.release() // the key is spent
		}
		next, err := h.serve(l)
		cancel()
		t.stop()
		if next == nil && lost(err) {
			h.ev.send(Reconnecting{})
			next, err = h.waitForReturn()
		}
		if next == nil {
			h.ev.send(Ended{Err: err, Left: err == nil && h.left.Load()})
			return
		}
		l = next
	}
}

// startTechnician starts the technician's half of connection l; once it runs it becomes the session's live
// half and Joined (first) or Reconnected is told.
func (h *Host) startTechnician(ctx context.Context, l *link, first bool) *technician {
	l.handle = h.control
	t := newTechnician(h, l)
	t.start(ctx, func() {
		h.lifeMu.Lock()
		h.live = t
		h.lifeMu.Unlock()
		if first {
			h.ev.send(Joined{Peer: l.peer})
		} else {
			h.ev.send(Reconnected{})
		}
	})
	return t
}

// accept hands the listener's confirmed connections to the session until ctx ends.
func (h *Host) accept(ctx context.Context) {
	for {
		c, err := h.ln.Accept(ctx)
		if err != nil {
			return
		}
		select {
		case h.conns <- c:
		case <-ctx.Done():
			_ = c.Close(protocol.SessionEnded, "session ended")
			return
		}
	}
}

// serve runs the session on l until it ends (nil and why: nil when ended here) or the customer returns on a
// new connection while this one still seems alive (that link, the old one closed).
func (h *Host) serve(l *link) (*link, error) {
	watched := make(chan error, 1)
	go func() { watched <- l.watch(h.ended) }()
	for {
		select {
		case <-h.ended:
			l.end()
			return nil, <-watched // nil: watch sees ended closed before the connection's end
		case err := <-watched:
			return nil, err
		case c := <-h.conns:
			next, err := h.resume(c)
			if err != nil {
				continue // not a valid return: the session goes on as it was
			}
			_ = l.conn.Close(protocol.ConnectionLost, "replaced by the customer's new connection")
			if err := <-watched; err != nil { // the old connection's end, which the new one supersedes
				log.Printf("session: replaced connection: %v", err)
			}
			return next, nil
		}
	}
}

// waitForReturn waits for the customer to come back after a dropped connection: their link, or nil and why
// not (nil when the session was ended here meanwhile).
func (h *Host) waitForReturn() (*link, error) {
	window := h.cfg.ReconnectWindow
	if window <= 0 {
		window = DefaultReconnectWindow
	}
	timer := time.NewTimer(window)
	defer timer.Stop()
	for {
		select {
		case <-h.ended:
			return nil, nil
		case <-timer.C:
			return nil, errGone
		case c := <-h.conns:
			if l, err := h.resume(c); err == nil {
				return l, nil
			}
		}
	}
}

// resume takes the customer back on a new connection: the same certificate (and, through the gate, the resume
// secret), and a Hello that names this session.
func (h *Host) resume(c *transport.Conn) (*link, error) {
	if c.PeerID() != h.customer {
		err := &protocol.Error{Code: protocol.NotPermitted, Detail: "not the customer of this session"}
		_ = c.Close(err.Code, "")
		return nil, err
	}
	return h.welcome(c, true)
}

func (h *Host) tech() (*technician, error) {
	h.lifeMu.Lock()
	defer h.lifeMu.Unlock()
	if h.live == nil {
		return nil, errors.New("no customer has joined")
	}
	select {
	case <-h.ended:
		return nil, ErrEnded
	default:
	}
	return h.live, nil
}

// RequestView asks the customer to share the screen again; ConsentAnswered brings the answer.
func (h *Host) RequestView() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.request(protocol.PermView)
}

// RequestControl asks the customer for control of mouse and keyboard; ConsentAnswered brings the answer.
func (h *Host) RequestControl() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.request(protocol.PermControl)
}

// RequestUnattended asks the customer to set up unattended access for this technician, proposing password
// ("" lets the customer choose): ConsentAnswered follows, then, if granted, UnattendedSetUp once the customer's
// program has installed it (or failed to).
func (h *Host) RequestUnattended(password string) error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.requestWith(protocol.PermUnattended, password)
}

// ReleaseControl gives control back to the customer.
func (h *Host) ReleaseControl() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	if t.loseControl() {
		t.mu.Lock()
		s := t.consent
		t.mu.Unlock()
		return s.send(&protocol.ConsentRevoke{What: protocol.PermControl})
	}
	return nil
}

// SendInput sends one input message (*protocol.MouseMove, MouseButton, Wheel, Key or Text) to the customer's
// computer. Without control it returns ErrNotPermitted (and the customer's side would drop it anyway).
func (h *Host) SendInput(m protocol.Message) error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.sendInput(context.Background(), m)
}

// RefreshScreen asks for a key frame (a whole new picture).
func (h *Host) RefreshScreen() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.view.send(&protocol.RefreshRequest{})
}

// Screen calls fn with the technician's copy of the customer's screen (the frame is only valid during the
// call; fn must not keep it). It reports false when no picture has arrived yet.
func (h *Host) Screen(fn func(codec.Frame)) bool {
	return h.ScreenSeq(func(f codec.Frame, _ uint64) { fn(f) })
}

// ScreenSeq is Screen that also gives the number (ScreenUpdated.Seq) of the last frame decoded into the copy.
func (h *Host) ScreenSeq(fn func(f codec.Frame, seq uint64)) bool {
	t, err := h.tech()
	if err != nil {
		return false
	}
	return t.view.screen(fn)
}

// StopViewing stops the customer's screen from flowing (SharingChanged{Paused: true} follows) without
// withdrawing the customer's permission: RequestView starts it again without asking the customer. Control, which
// needs a seen screen, goes back to the customer.
func (h *Host) StopViewing() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	if !t.view.leave() {
		return errNotShared
	}
	return nil
}

// Monitors returns the customer's monitors and the one shown, as the customer's program last announced them.
func (h *Host) Monitors() MonitorsChanged {
	t, err := h.tech()
	if err != nil {
		return MonitorsChanged{}
	}
	return t.view.monitorsNow()
}

// SelectMonitor asks the customer's program to show the monitor with that ID (from MonitorsChanged); a new
// MonitorsChanged and a key frame follow.
func (h *Host) SelectMonitor(id uint32) error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	return t.view.selectMonitor(id)
}

// ShareScreen shows the technician's own screen (the monitor with that capture index) to the customer; the
// customer only sees it and never controls it. The session owns src from then on and closes it when sharing
// stops, except when ShareScreen returns an error (it is already shared, or no customer has joined).
func (h *Host) ShareScreen(src capture.Source, monitor int) error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	t.own.mu.Lock()
	if t.own.stopFn != nil || t.own.src != nil {
		t.own.mu.Unlock()
		return errors.New("the screen is shared already")
	}
	t.own.src, t.own.shots = src, newCapturer(src, monitor)
	t.own.mu.Unlock()
	if t.own.start(t.ctx) {
		h.ev.send(TechnicianScreenChanged{On: true})
	}
	return nil
}

// StopSharingScreen stops showing the technician's screen to the customer.
func (h *Host) StopSharingScreen() {
	t, err := h.tech()
	if err != nil {
		return
	}
	if t.own.stop() {
		h.ev.send(TechnicianScreenChanged{On: false})
	}
}

// SharingScreen reports whether the technician's screen is shown to the customer.
func (h *Host) SharingScreen() bool {
	t, err := h.tech()
	if err != nil {
		return false
	}
	return t.own.running()
}

// SendChat sends a chat message to the customer; it is in the log (Chat) at once and ChatDelivered follows
// when the customer's program has it. Errors: chat.ErrEmpty, a *protocol.Error (TextTooLong), chat.ErrClosed
// after the session.
func (h *Host) SendChat(text string) (chat.Message, error) { return h.chat.Send(text) }

// Files returns the file-transfer actions (on the connection of the moment).
func (h *Host) Files() Files {
	return Files{engine: func(protocol.ParticipantID) (*transfer.Engine, error) {
		t, err := h.tech()
		if err != nil {
			return nil, err
		}
		return t.files, nil
	}}
}

// SessionID returns the session's ID once the customer has joined (zero before).
func (h *Host) SessionID() protocol.SessionID {
	h.peerMu.Lock()
	defer h.peerMu.Unlock()
	return h.session
}

// Chat returns the whole chat log, oldest first.
func (h *Host) Chat() []chat.Message { return h.chat.History() }

// participantName names a participant in the chat log.
func (h *Host) participantName(id protocol.ParticipantID) string {
	if id == h.me {
		return h.cfg.Name
	}
	if n := h.people.name(id); n != "" || id != CustomerID {
		return n
	}
	h.peerMu.Lock()
	defer h.peerMu.Unlock()
	return h.peer
}

// Controlling reports whether the customer has granted control.
func (h *Host) Controlling() bool {
	t, err := h.tech()
	if err != nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.controlled
}

// waitForCustomer returns the joined customer, nil when the session was ended first, or an error when the key
// can no longer be used. Each confirmed connection introduces itself in its own goroutine: one that knew the key
// but stays silent is dropped after HelloTimeout (AttemptRefused) while others go on, and the key stays usable.
func (h *Host) waitForCustomer() (*link, error) {
	expiry := time.NewTimer(time.Until(h.key.ExpiresAt()))
	defer expiry.Stop()
	type greeting struct {
		l    *link
		from string
		err  error
	}
	greetings := make(chan greeting)
	// Ending the wait hangs up on those still introducing themselves: the key is spent, or the session over.
	gctx, hangUp := context.WithCancel(context.Background())
	var greeters sync.WaitGroup
	defer func() {
		hangUp()
		greeters.Wait()
	}()
	for {
		select {
		case <-h.ended:
			return nil, nil
		case a := <-h.fails:
			h.ev.send(AttemptRefused{Err: a.Err, From: addrString(a.Remote)})
			if h.key.State() == transport.KeyRetired {
				h.keyLost(protocol.TooManyAttempts)
				<-h.ended
				return nil, nil
			}
		case <-expiry.C:
			h.keyLost(protocol.KeyExpired)
			<-h.ended
			return nil, nil
		case c := <-h.conns:
			greeters.Go(func() {
				l, err := h.greet(gctx, c)
				select {
				case greetings <- greeting{l, c.RemoteAddr().String(), err}:
				case <-gctx.Done():
					_ = c.Close(protocol.KeyExpired, "the key was used")
				}
			})
		case g := <-greetings:
			if g.err == nil {
				g.err = h.admit(g.l, false)
			}
			if g.err != nil {
				h.ev.send(AttemptRefused{Err: g.err, From: g.from})
				continue
			}
			return g.l, nil
		}
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// keyLost says that the key can no longer be used, and gives its nameplate back to the rendezvous.
func (h *Host) keyLost(code protocol.Code) {
	if h.meet != nil {
		h.meet.release()
	}
	h.ev.send(KeyLost{Err: &protocol.Error{Code: code}})
}

// welcome runs the host's half of the Hello exchange on the customer's control stream: a first join (a new
// session and resume secret), or the customer's return (resume: the Hello must name this session).
func (h *Host) welcome(c *transport.Conn, resume bool) (*link, error) {
	l, err := h.greet(context.Background(), c)
	if err != nil {
		return nil, err
	}
	if err := h.admit(l, resume); err != nil {
		return nil, err
	}
	return l, nil
}

// greet reads the joiner's Hello on its control stream, within HelloTimeout, and checks that it is a customer.
// It runs concurrently for several joiners and changes nothing of the host; ending parent hangs up on c.
func (h *Host) greet(parent context.Context, c *transport.Conn) (*link, error) {
	wait := h.cfg.HelloTimeout
	if wait <= 0 {
		wait = HelloTimeout
	}
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if parent.Err() != nil {
			_ = c.Close(protocol.KeyExpired, "the key was used")
			return
		}
		_ = c.Close(protocol.Timeout, "no hello")
	})
	defer stop()
	hdr, st, err := c.AcceptStream(ctx)
	if err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			err = &protocol.Error{Code: protocol.Timeout, Detail: "no hello after the key", Err: err}
		}
		_ = c.Close(protocol.CodeOf(err), "")
		return nil, err
	}
	l := &link{conn: c, ctl: st, enc: protocol.NewEncoder(st, protocol.Control), dec: protocol.NewDecoder(st, protocol.Control)}
	if hdr.Kind != protocol.Control {
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "first stream is not control"})
	}
	if err := l.readHello(hello(h.cfg.Name, protocol.RoleTechnician)); err != nil {
		if ctx.Err() != nil && parent.Err() == nil {
			err = &protocol.Error{Code: protocol.Timeout, Detail: "no hello after the key", Err: err}
		}
		return nil, l.fail(err)
	}
	l.peer.Route = routeOf(c, h.cfg.Rendezvous)
	if l.peer.Role != protocol.RoleCustomer {
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "joiner is not a customer"})
	}
	return l, nil
}

// admit makes the greeted joiner l the session's customer (a first join: a new session and resume secret; the
// key is spent) or takes the customer back (resume: the Hello must name this session), and sends the Welcome.
func (h *Host) admit(l *link, resume bool) error {
	c := l.conn
	if resume != !l.resume.IsZero() || resume && l.resume != h.sid {
		return l.fail(&protocol.Error{Code: protocol.NotPermitted, Detail: "not a return to this session"})
	}
	if !resume {
		var err error
		if h.sid, err = newSessionID(); err != nil {
			return l.fail(fmt.Errorf("session id: %w", err))
		}
		if h.secret, err = newResumeSecret(); err != nil {
			return l.fail(fmt.Errorf("resume secret: %w", err))
		}
		h.customer = c.PeerID()
	}
	h.peerMu.Lock()
	h.peer, h.session = l.peer.Name, h.sid
	h.peerMu.Unlock()
	w := &protocol.Welcome{Version: uint(c.Version()), SessionID: h.sid, You: CustomerID, Preferences: h.cfg.Preferences,
		ResumeSecret: h.secret, Participants: []protocol.Participant{
			{ID: TechnicianID, Name: h.cfg.Name, Role: protocol.RoleTechnician},
			{ID: CustomerID, Name: l.peer.Name, Role: protocol.RoleCustomer},
		}}
	if err := l.enc.Encode(hello(h.cfg.Name, protocol.RoleTechnician)); err != nil {
		return l.fail(err)
	}
	if err := l.enc.Encode(w); err != nil {
		return l.fail(err)
	}
	h.key.Spend()                            // the customer has joined: nobody else may with this key
	h.gate.allowReturn(h.secret, h.customer) // from now on only the customer's return is confirmed
	return nil
}

// advertisedAddr picks the address a join link names: the first up, non-loopback IPv4 address of this machine.
func advertisedAddr() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "127.0.0.1"
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLinkLocalUnicast() {
				return ip.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
