package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
)

// GuestConfig configures Join.
type GuestConfig struct {
	// Name is the customer's display name.
	Name string
	// Screen is what the customer shares; nil shares nothing (view requests are refused).
	Screen capture.Source
	// Monitor is the index (capture.Monitor.Index) of the monitor shared.
	Monitor int
	// Input injects the technician's input while the customer grants control; nil refuses control.
	Input input.Injector
	// ConsentTimeout is how long a question waits for the customer's answer (DefaultConsentTimeout if 0).
	ConsentTimeout time.Duration
	// OnFrameSent, if set, is called by the capture loop for every frame it sends: its number, when it was
	// captured, and its size. For measurements; it must return quickly.
	OnFrameSent func(seq uint64, captured time.Time, bytes int)
	// ReconnectWindow is how long the customer's program tries to get back into the session after its
	// connection drops (DefaultReconnectWindow if 0).
	ReconnectWindow time.Duration
	// IdleTimeout is how long a silent connection lasts before it counts as dropped (transport.IdleTimeout if
	// 0; tests shorten it).
	IdleTimeout time.Duration
	// FilesDir is the folder whose free space an incoming offer reports (the customer's Downloads folder);
	// empty for none.
	FilesDir string
	// CtrlAltDel says that Input's Ctrl+Alt+Del reaches this system (input.PassesCtrlAltDel); the technician
	// is told, through protocol.CapCtrlAltDel.
	CtrlAltDel bool
	// Path tunes the search for a path through a rendezvous (a link that names one).
	Path PathOptions
	// InviteListen is the UDP address an invitation listens on for the colleague (":0" if empty); tests use
	// "127.0.0.1:0".
	InviteListen string
	// InviteAdvertise is the host an invitation's link names (this machine's address if empty).
	InviteAdvertise string
	// InviteLifetime is how long an invitation waits for its colleague (transport.InviteLifetime if 0).
	InviteLifetime time.Duration
	// Unattended says the session was opened through unattended access (package unattended): nobody may be at
	// the computer to answer, so a technician's request to view or control is granted at once, as the user
	// allowed when setting unattended access up; the toolbar still shows the session and ends it, and the
	// user can stop sharing or take control back, after which requests are put to them as in an attended
	// session. The technician is told, through protocol.CapUnattended.
	Unattended bool
	// CanSetUpUnattended says this program can install unattended access here (package unattended's
	// ServiceSupported): a technician's request for it is put to the customer (ConsentRequested with
	// protocol.PermUnattended), whose program answers with Guest.UnattendedReady once it is done. Otherwise such
	// a request is refused at once.
	CanSetUpUnattended bool
}

// Guest is the customer's side of an attended session.
type Guest struct {
	cfg     GuestConfig
	way     way                 // to the technician, for the first connection and every return
	id      *transport.Identity // kept: a reconnection must come from the same certificate
	welcome *protocol.Welcome   // the first Welcome (session ID, preferences, resume secret)
	shots   *capturer           // the pictures of cfg.Screen for every connection, and the monitor shown; nil without a screen
	ev      *events
	chat    *chat.Room
	files   *filesMemory
	people  people // everyone in the session
	team    *team  // the colleagues the owner invites

	// userSpoke is set once the user stopped sharing or took control back: from then on, an unattended session
	// asks, as an attended one does, since someone is there and said no once.
	userSpoke atomic.Bool
	// exact: the customer prefers exactness to speed for the technicians' screens (SetPreferQuality).
	exact atomic.Bool

	mu       sync.Mutex // guards l, live and stopLive, which a reconnection replaces
	l        *link
	live     *customer
	stopLive context.CancelFunc
	lifetime
}

// Join dials the technician named by link, confirms the key and exchanges Hellos. Errors are *protocol.Error
// values (WrongKey, KeyExpired, TooManyAttempts, VersionMismatch, Unreachable, …) that a UI can translate.
func Join(ctx context.Context, lk Link, cfg GuestConfig) (*Guest, error) {
	if lk.IsInvite() {
		return nil, errInviteLink
	}
	id, err := transport.NewIdentity()
	if err != nil {
		return nil, err
	}
	var wy way = directWay{addr: lk.Addr}
	secret := lk.Key
	if lk.Rendezvous != "" {
		var nameplate string
		nameplate, secret = transport.SplitKey(lk.Key)
		if wy, err = claim(ctx, lk.Rendezvous, nameplate, cfg.Path); err != nil {
			return nil, err
		}
	}
	l, w, err := connect(ctx, wy, id, []byte(secret), cfg, protocol.SessionID{})
	if err != nil {
		wy.close()
		return nil, err
	}
	g := &Guest{cfg: cfg, way: wy, id: id, welcome: w, l: l, lifetime: newLifetime()}
	if cfg.Screen != nil {
		g.shots = newCapturer(cfg.Screen, cfg.Monitor)
	}
	g.ev = newEvents(g.ended)
	g.files = newFilesMemory()
	g.people.set(w.Participants)
	g.team = newTeam(g)
	l.handle = func(m protocol.Message) { g.team.control(l, m) }
	if g.chat, err = newRoom(w.You, g.participantName, g.ev, true); err != nil {
		_ = l.conn.Close(protocol.Internal, "")
		wy.close()
		return nil, err
	}
	g.live = newCustomer(g, l, w.You, TechnicianID, cfg, nil)
	var liveCtx context.Context
	liveCtx, g.stopLive = context.WithCancel(context.Background())
	g.live.start(liveCtx) // before Join returns, so that StopSharing can never come first
	g.wg.Add(2)
	go g.team.announcer()
	go g.run()
	return g, nil
}

// errInviteLink is Join's error for a colleague's invitation: it is for a technician's program.
var errInviteLink = &protocol.Error{Code: protocol.NotPermitted, Detail: "a colleague's invitation is for Tandem Expert"}

// connect dials the host, confirms secret (the support key, or the resume secret when resume names the session
// to return to) and exchanges Hello and Welcome.
func connect(ctx context.Context, wy way, id *transport.Identity, secret []byte, cfg GuestConfig,
	resume protocol.SessionID) (*link, *protocol.Welcome, error) {
	local := hello(cfg.Name, protocol.RoleCustomer)
	if cfg.CtrlAltDel && cfg.Input != nil {
		local.Capabilities = append(local.Capabilities, protocol.CapCtrlAltDel)
	}
	if cfg.Unattended {
		local.Capabilities = append(local.Capabilities, protocol.CapUnattended)
	}
	return connectAs(ctx, wy, id, secret, local, cfg.IdleTimeout, resume)
}

// connectAs is connect for any participant: it dials with secret, says the Hello local (with resume set) and
// reads the Welcome.
func connectAs(ctx context.Context, wy way, id *transport.Identity, secret []byte, local *protocol.Hello,
	idle time.Duration, resume protocol.SessionID) (*link, *protocol.Welcome, error) {
	c, err := wy.dial(ctx, transport.DialConfig{Identity: id, Secret: secret, IdleTimeout: idle})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, HelloTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.Close(protocol.Timeout, "no welcome") })
	defer stop()
	st, err := c.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Control})
	if err != nil {
		_ = c.Close(protocol.Internal, "")
		return nil, nil, err
	}
	l := &link{conn: c, ctl: st, enc: protocol.NewEncoder(st, protocol.Control), dec: protocol.NewDecoder(st, protocol.Control)}
	local.Resume = resume
	if err := l.enc.Encode(local); err != nil {
		return nil, nil, l.fail(err)
	}
	if err := l.readHello(local); err != nil {
		return nil, nil, l.fail(l.cause(err))
	}
	l.peer.Route = routeOf(c, wy.rendezvous())
	m, err := l.dec.Decode()
	if err != nil {
		return nil, nil, l.fail(l.cause(err))
	}
	switch m := m.(type) {
	case *protocol.Welcome:
		if !resume.IsZero() && m.SessionID != resume {
			return nil, nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "welcomed into another session"})
		}
		return l, m, nil
	case *protocol.SessionEnd:
		return nil, nil, l.fail(&protocol.Error{Code: m.Code, Detail: m.Reason})
	default:
		return nil, nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: fmt.Sprintf("expected welcome, got %v", m.Type())})
	}
}

// cause prefers the reason the host gave (a close code) over a local read error.
func (l *link) cause(err error) error {
	if cerr := l.conn.Err(); cerr != nil {
		return cerr
	}
	return transport.Cause(err)
}

// Technician returns the technician as they introduced themselves.
func (g *Guest) Technician() Peer {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.l.peer
}

// Route says how the connection of the moment reaches the technician.
func (g *Guest) Route() Route { return g.Technician().Route }

// Preferences returns the settings of the technician who leads the session (the one who started it gave them in
// the Welcome; a colleague who came to lead it, in their Hello).
func (g *Guest) Preferences() protocol.Preferences {
	tm := g.team
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.handed {
		return tm.prefs // the session follows the colleague who leads it now
	}
	return g.welcome.Preferences
}

// Events returns the session's events; the channel closes after Ended.
func (g *Guest) Events() <-chan Event { return g.ev.ch }

// SendChat sends a chat message to the technician; it is in the log (Chat) at once and ChatDelivered follows
// when the technician's program has it. Errors: chat.ErrEmpty, a *protocol.Error (TextTooLong), chat.ErrClosed
// after the session.
func (g *Guest) SendChat(text string) (chat.Message, error) { return g.chat.Send(text) }

// Files returns the file-transfer actions with the technician who started the session (on the connection of
// the moment). Actions on a transfer ID reach the technician the transfer is with, whoever that is.
func (g *Guest) Files() Files { return g.FilesWith(TechnicianID) }

// FilesWith returns the file-transfer actions with technician tech: Send offers files to them. The IDs of a
// colleague's transfers carry the colleague's participant ID (FileTransfer.Tech says it too), so that they
// never mix with another technician's.
func (g *Guest) FilesWith(tech protocol.ParticipantID) Files {
	return Files{tech: tech, engine: func(tech protocol.ParticipantID) (*transfer.Engine, error) {
		select {
		case <-g.ended:
			return nil, ErrEnded
		default:
		}
		c := g.half(tech)
		if c == nil {
			return nil, errNoTechnician
		}
		return c.files, nil
	}}
}

// Chat returns the whole chat log, oldest first.
func (g *Guest) Chat() []chat.Message { return g.chat.History() }

// participantName names a participant in the chat log.
func (g *Guest) participantName(id protocol.ParticipantID) string { return g.people.name(id) }

// cur returns the customer's half of the current connection.
func (g *Guest) cur() *customer {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.live
}

func (g *Guest) run() {
	defer g.wg.Done()
	defer g.team.end() // the session is over for the colleagues too
	defer g.way.close()
	defer g.ev.close()
	defer g.chat.Close()
	life, endLife := context.WithCancel(context.Background()) // cancelled when the session ends here
	var watching sync.WaitGroup
	watching.Go(func() {
		select {
		case <-g.ended:
			endLife()
		case <-life.Done():
		}
	})
	defer watching.Wait()
	defer endLife()
	defer func() {
		g.mu.Lock()
		l := g.l
		g.mu.Unlock()
		waitPathClosed(l)
	}()
	for {
		g.mu.Lock()
		l, c, stop := g.l, g.live, g.stopLive
		g.mu.Unlock()
		err := l.serve(g.ended)
		stop()
		c.stop()
		if protocol.CodeOf(err) == protocol.HandedOver {
			if g.team.handOver(TechnicianID, l.peer.Name) { // the session goes on with the colleagues
				g.chat.DetachPeer(TechnicianID)
				g.ev.send(Ended{Err: g.team.wait(g.ended)})
				return
			}
			err = &protocol.Error{Code: protocol.SessionEnded, Detail: "left, and nobody to hand the session to"}
		}
		if !lost(err) || len(g.welcome.ResumeSecret) == 0 {
			g.ev.send(Ended{Err: err})
			return
		}
		g.ev.send(Reconnecting{})
		nl, w, rerr := g.redial(life)
		if nl == nil {
			if life.Err() != nil {
				rerr = nil // ended here meanwhile
			}
			g.ev.send(Ended{Err: rerr})
			return
		}
		nl.handle = func(m protocol.Message) { g.team.control(nl, m) }
		nc := newCustomer(g, nl, w.You, TechnicianID, g.cfg, c)
		ctx, cancel := context.WithCancel(context.Background())
		g.mu.Lock()
		g.l, g.live, g.stopLive = nl, nc, cancel
		g.mu.Unlock()
		g.ev.send(Reconnected{})
		nc.start(ctx)
		nc.workers.Go(func() { g.files.resume(nc.files) })
	}
}

// Sharing reports whether the customer lets the technician see the screen (it may be paused: see Viewed).
func (g *Guest) Sharing() bool {
	c := g.cur()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.sharing
}

// Viewed reports whether the screen is being sent to the technician now.
func (g *Guest) Viewed() bool { return g.cur().share.running() }

// AsksTheUser reports whether requests are put to the user: always in an attended session; in an unattended one,
// once the user at the computer stopped sharing or took control back.
func (g *Guest) AsksTheUser() bool { return !g.cfg.Unattended || g.userSpoke.Load() }

// EndBecause ends the session as End does, telling every technician code in place of SessionEnded: Blocked when
// the user blocked unattended access, NotAllowed when the user removed the technician's computer from it.
func (g *Guest) EndBecause(code protocol.Code) {
	g.mu.Lock()
	l := g.l
	g.mu.Unlock()
	l.leaving.Store(int64(code))
	g.team.mu.Lock()
	for _, m := range g.team.members {
		m.mu.Lock()
		if m.l != nil {
			m.l.leaving.Store(int64(code))
		}
		m.mu.Unlock()
	}
	g.team.mu.Unlock()
	g.End()
}

// StopSharing stops screen sharing at once: nothing more of the screen leaves the computer until the customer
// says Yes to a technician's request. Control, if granted, is taken back with it.
func (g *Guest) StopSharing() {
	g.userSpoke.Store(true)
	for _, c := range g.halves() {
		c.stopSharing()
	}
}

// Controlled reports whether the technician has control.
func (g *Guest) Controlled() bool {
	for _, c := range g.halves() {
		c.mu.Lock()
		controlled := c.st.controlled
		c.mu.Unlock()
		if controlled {
			return true
		}
	}
	return false
}

// RevokeControl takes control back from the technician who has it, at once.
func (g *Guest) RevokeControl() {
	g.userSpoke.Store(true)
	for _, c := range g.halves() {
		c.releaseControl(true)
	}
}

// controlGranted makes sure only c's technician controls: the one who had control loses it, and is told.
func (g *Guest) controlGranted(c *customer) {
	for _, o := range g.halves() {
		if o != c {
			o.releaseControlTo(true, c.tech)
		}
	}
}

// Answer answers the question of a ConsentRequested event: yes starts sharing again for the technician who
// asked, or grants them control (which the technician who had it loses).
func (g *Guest) Answer(id uint64, yes bool) error {
	select {
	case <-g.ended:
		return ErrEnded
	default:
	}
	tech, local := questionOf(id)
	c := g.half(tech)
	if c == nil {
		return errWithdrawn
	}
	return c.answer(local, yes)
}

// half returns the customer's half serving technician tech, nil when they are not connected.
func (g *Guest) half(tech protocol.ParticipantID) *customer {
	if tech == TechnicianID {
		if g.handedOver() {
			return nil
		}
		return g.cur()
	}
	return g.team.half(tech)
}

// halves returns the customer's halves of every technician connected.
func (g *Guest) halves() []*customer {
	if g.handedOver() {
		return g.team.halves()
	}
	return append([]*customer{g.cur()}, g.team.halves()...)
}

// handedOver reports whether the technician who started the session left it to a colleague.
func (g *Guest) handedOver() bool {
	g.team.mu.Lock()
	defer g.team.mu.Unlock()
	return g.team.handed
}

// Leader returns the technician who leads the session: the one who started it, until they hand it over.
func (g *Guest) Leader() protocol.ParticipantID {
	g.team.mu.Lock()
	defer g.team.mu.Unlock()
	return g.team.owner
}

// DroppedInput returns how many input messages arrived without a control grant and were dropped, from every
// technician.
func (g *Guest) DroppedInput() int {
	n := 0
	for _, c := range g.halves() {
		c.mu.Lock()
		n += c.dropped
		c.mu.Unlock()
	}
	return n
}

// TechnicianScreen calls fn with the customer's copy of the screen of technician tech, while they share it (the
// frame is only valid during the call). It reports false when there is no picture.
func (g *Guest) TechnicianScreen(tech protocol.ParticipantID, fn func(codec.Frame)) bool {
	c := g.half(tech)
	if c == nil || !c.view.flowing() {
		return false
	}
	return c.view.screen(func(f codec.Frame, _ uint64) { fn(f) })
}

// CloseTechnicianScreen stops receiving the screen of technician tech (the customer closed its window); the
// technician is told and may share again. It reports whether the screen was shown.
func (g *Guest) CloseTechnicianScreen(tech protocol.ParticipantID) bool {
	c := g.half(tech)
	return c != nil && c.view.leave()
}

// TechnicianMonitors returns the monitors of technician tech as last announced.
func (g *Guest) TechnicianMonitors(tech protocol.ParticipantID) MonitorsChanged {
	if c := g.half(tech); c != nil {
		return c.view.monitorsNow()
	}
	return MonitorsChanged{}
}

// SelectTechnicianMonitor asks technician tech to show another of their monitors.
func (g *Guest) SelectTechnicianMonitor(tech protocol.ParticipantID, id uint32) error {
	c := g.half(tech)
	if c == nil {
		return errNoTechnician
	}
	return c.view.selectMonitor(id)
}
