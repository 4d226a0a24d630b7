package unattended

import (
	"context"
	"fmt"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Target is an unattended computer as a technician's Expert saved it.
type Target struct {
	// Addr is where its agent listens (host:port).
	Addr string
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
	c, err := transport.Dial(ctx, to.Addr, transport.DialConfig{Identity: me, Secret: to.Secret, Expect: to.ID})
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
