package session

import (
	"context"
	"fmt"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"

	"github.com/tandem-remote/tandem/shared/protocol"
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
}

// Guest is the customer's side of an attended session.
type Guest struct {
	l        *link
	welcome  *protocol.Welcome
	ev       *events
	live     *customer
	stopLive context.CancelFunc
	lifetime
}

// Join dials the technician named by link, confirms the key and exchanges Hellos. Errors are *protocol.Error
// values (WrongKey, KeyExpired, TooManyAttempts, VersionMismatch, Unreachable, …) that a UI can translate.
func Join(ctx context.Context, lk Link, cfg GuestConfig) (*Guest, error) {
	id, err := transport.NewIdentity()
	if err != nil {
		return nil, err
	}
	c, err := transport.Dial(ctx, lk.Addr, transport.DialConfig{Identity: id, Secret: []byte(lk.Key)})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, HelloTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.Close(protocol.Timeout, "no welcome") })
	defer stop()
	st, err := c.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Control})
	if err != nil {
		_ = c.Close(protocol.Internal, "")
		return nil, err
	}
	l := &link{conn: c, ctl: st, enc: protocol.NewEncoder(st, protocol.Control), dec: protocol.NewDecoder(st, protocol.Control)}
	local := hello(cfg.Name, protocol.RoleCustomer)
	if err := l.enc.Encode(local); err != nil {
		return nil, l.fail(err)
	}
	if err := l.readHello(local); err != nil {
		return nil, l.fail(l.cause(err))
	}
	m, err := l.dec.Decode()
	if err != nil {
		return nil, l.fail(l.cause(err))
	}
	switch m := m.(type) {
	case *protocol.Welcome:
		g := &Guest{l: l, welcome: m, lifetime: newLifetime()}
		g.ev = newEvents(g.ended)
		g.live = newCustomer(g, cfg)
		var liveCtx context.Context
		liveCtx, g.stopLive = context.WithCancel(context.Background())
		g.live.start(liveCtx) // before Join returns, so that StopSharing can never come first
		g.wg.Add(1)
		go g.run()
		return g, nil
	case *protocol.SessionEnd:
		return nil, l.fail(&protocol.Error{Code: m.Code, Detail: m.Reason})
	default:
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: fmt.Sprintf("expected welcome, got %v", m.Type())})
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
func (g *Guest) Technician() Peer { return g.l.peer }

// Preferences returns the host's settings for this session.
func (g *Guest) Preferences() protocol.Preferences { return g.welcome.Preferences }

// Events returns the session's events; the channel closes after Ended.
func (g *Guest) Events() <-chan Event { return g.ev.ch }

func (g *Guest) run() {
	defer g.wg.Done()
	defer g.ev.close()
	err := g.l.serve(g.ended)
	g.stopLive()
	g.live.stop()
	g.ev.send(Ended{Err: err})
}

// Sharing reports whether the customer lets the technician see the screen (it may be paused: see Viewed).
func (g *Guest) Sharing() bool {
	g.live.mu.Lock()
	defer g.live.mu.Unlock()
	return g.live.sharing
}

// Viewed reports whether the screen is being sent to the technician now.
func (g *Guest) Viewed() bool { return g.live.share.running() }

// StopSharing stops screen sharing at once: nothing more of the screen leaves the computer until the customer
// says Yes to a technician's request. Control, if granted, is taken back with it.
func (g *Guest) StopSharing() { g.live.stopSharing() }

// Controlled reports whether the technician has control.
func (g *Guest) Controlled() bool {
	g.live.mu.Lock()
	defer g.live.mu.Unlock()
	return g.live.controlled
}

// RevokeControl takes control back from the technician at once.
func (g *Guest) RevokeControl() { g.live.setControlled(false, true) }

// Answer answers the question of a ConsentRequested event: yes starts sharing again or grants control.
func (g *Guest) Answer(id uint64, yes bool) error {
	select {
	case <-g.ended:
		return ErrEnded
	default:
	}
	return g.live.answer(id, yes)
}

// DroppedInput returns how many input messages arrived without a control grant and were dropped.
func (g *Guest) DroppedInput() int {
	g.live.mu.Lock()
	defer g.live.mu.Unlock()
	return g.live.dropped
}

// TechnicianScreen calls fn with the customer's copy of the technician's screen, while the technician shares
// it (the frame is only valid during the call). It reports false when there is no picture.
func (g *Guest) TechnicianScreen(fn func(codec.Frame)) bool {
	if !g.live.view.flowing() {
		return false
	}
	return g.live.view.screen(fn)
}

// CloseTechnicianScreen stops receiving the technician's screen (the customer closed its window); the
// technician is told and may share again. It reports whether the screen was shown.
func (g *Guest) CloseTechnicianScreen() bool { return g.live.view.leave() }

// TechnicianMonitors returns the technician's monitors as last announced.
func (g *Guest) TechnicianMonitors() MonitorsChanged { return g.live.view.monitorsNow() }

// SelectTechnicianMonitor asks the technician's program to show another of their monitors.
func (g *Guest) SelectTechnicianMonitor(id uint32) error { return g.live.view.selectMonitor(id) }
