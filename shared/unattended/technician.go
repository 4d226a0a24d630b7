package unattended

import (
	"context"
	"fmt"

	"github.com/tandem-remote/tandem/shared/meet"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Target is an unattended computer as a technician's Expert saved it.
type Target struct {
	// Addr is where its agent listens on the network (host:port); unused with Rendezvous.
	Addr string
	// Rendezvous, if set, is the URL of the rendezvous where the computer is present: it is reached from
	// anywhere through it, by its ID.
	Rendezvous string
	// Path tunes how a path through the rendezvous is looked for (tests keep it on loopback).
	Path meet.PathOptions
	// ID is the computer ID pinned when it was saved: another certificate is refused (IdentityChanged).
	ID transport.ID
	// Secret is Secret(password, ID).
	Secret []byte
}

// Open asks the computer's agent, as the technician whose Expert holds me and whose name is name, to have the
// user's session join the session at link (a session Expert opened and listens for). It returns once the agent
// has answered: nil when the computer is joining, else a *protocol.Error (WrongPassword, PasswordChanged,
// Blocked, Locked, NotAllowed, NobodyLoggedIn, IdentityChanged, Unreachable, Timeout…).
func Open(ctx context.Context, to Target, me *transport.Identity, name, link string) error {
	dc := transport.DialConfig{Identity: me, Secret: to.Secret, Expect: to.ID}
	var c *transport.Conn
	var err error
	if to.Rendezvous != "" {
		c, err = dialThrough(ctx, to, dc)
	} else {
		c, err = transport.Dial(ctx, to.Addr, dc)
	}
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(protocol.NoError, "") }()
	st, err := c.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Control})
	if err != nil {
		return transport.Cause(err)
	}
	stop := context.AfterFunc(ctx, func() { transport.Refuse(st, protocol.Cancelled) })
	defer stop()
	if err := protocol.WriteMessage(st, &protocol.UnattendedOpen{Name: name, Link: link}); err != nil {
		return transport.Cause(err)
	}
	m, err := protocol.ReadMessage(st, protocol.Control)
	if err != nil {
		if ctx.Err() != nil {
			return &protocol.Error{Code: protocol.Timeout, Detail: "the computer did not answer", Err: ctx.Err()}
		}
		return transport.Cause(err)
	}
	a, ok := m.(*protocol.UnattendedAnswer)
	if !ok {
		return &protocol.Error{Code: protocol.ProtocolViolation, Detail: fmt.Sprintf("the agent answered %v", m.Type())}
	}
	if a.Code != protocol.NoError {
		return &protocol.Error{Code: a.Code, Detail: "the computer answered " + a.Code.String()}
	}
	return nil
}

// Check tells whether the computer of to is on and still the one saved: nil when it is, else a *protocol.Error
// (Unreachable, IdentityChanged, NoRendezvous). It costs the agent nothing: on the LAN a TLS handshake with no
// proof, through a rendezvous a lookup of its presence (which only the holder of its identity key can make).
func Check(ctx context.Context, to Target, me *transport.Identity) error {
	if to.Rendezvous != "" {
		return lookup(ctx, to)
	}
	id, err := transport.Probe(ctx, to.Addr, me)
	if err != nil {
		return err
	}
	if id != to.ID {
		return &protocol.Error{Code: protocol.IdentityChanged, Detail: "the computer presents another certificate"}
	}
	return nil
}
