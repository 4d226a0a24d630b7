package session

import (
	"context"
	"fmt"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// GuestConfig configures Join.
type GuestConfig struct {
	// Name is the customer's display name.
	Name string
}

// Guest is the customer's side of an attended session.
type Guest struct {
	l       *link
	welcome *protocol.Welcome
	ev      events
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
	defer close(g.ev.ch)
	g.ev.send(Ended{Err: g.l.serve(g.ended)})
}
