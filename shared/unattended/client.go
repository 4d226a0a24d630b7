package unattended

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// ErrNoAgent is what the clients of the local channel return when no agent listens on its socket: unattended
// access is not installed on this computer, or its service is stopped.
var ErrNoAgent = errors.New("unattended access is not installed or its service is not running")

// dialLocal opens the local channel and says which role this end takes; it returns the computer ID the agent
// welcomed it with, or a *protocol.Error (NotAllowed: this user may not).
func dialLocal(ctx context.Context, socket, hello string) (*line, transport.ID, error) {
	c, err := dialLocalConn(ctx, socket)
	if err != nil {
		return nil, transport.ID{}, fmt.Errorf("%w (%w)", ErrNoAgent, err)
	}
	l := newLine(c)
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	// The agent may refuse this user and hang up before the hello is written: its answer is read all the same.
	serr := l.send(localMsg{Op: hello})
	m, err := l.read()
	if err != nil && serr != nil {
		err = serr
	}
	if err == nil && m.Op == opRefused {
		err = &protocol.Error{Code: m.Code, Detail: "the agent refused this user"}
	}
	var id transport.ID
	if err == nil {
		if m.Op != opWelcome {
			err = &protocol.Error{Code: protocol.ProtocolViolation, Detail: "the agent said " + m.Op}
		} else {
			id, err = transport.ParseID(m.Computer)
		}
	}
	if err != nil {
		_ = l.close()
		return nil, transport.ID{}, err
	}
	_ = c.SetDeadline(time.Time{})
	return l, id, nil
}

// Admin is Tandem Customer's Unattended access window's way to the agent. Its calls are serialised.
type Admin struct {
	l  *line
	id transport.ID
	mu sync.Mutex
}

// DialAdmin opens the local channel at socket as its administrator.
func DialAdmin(ctx context.Context, socket string) (*Admin, error) {
	l, id, err := dialLocal(ctx, socket, opHelloAdmin)
	if err != nil {
		return nil, err
	}
	return &Admin{l: l, id: id}, nil
}

// ComputerID returns the computer ID the agent holds.
func (ad *Admin) ComputerID() transport.ID { return ad.id }

// Close closes the channel.
func (ad *Admin) Close() error { return ad.l.close() }

func (ad *Admin) call(m localMsg) (localMsg, error) {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	_ = ad.l.c.SetDeadline(time.Now().Add(localTimeout))
	defer func() { _ = ad.l.c.SetDeadline(time.Time{}) }()
	if err := ad.l.send(m); err != nil {
		return localMsg{}, fmt.Errorf("local channel: %w", err)
	}
	r, err := ad.l.read()
	if err != nil {
		return localMsg{}, fmt.Errorf("local channel: %w", err)
	}
	if r.Op != opReply {
		return localMsg{}, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "the agent said " + r.Op}
	}
	if r.Code != protocol.NoError {
		return r, &protocol.Error{Code: r.Code, Detail: r.Error}
	}
	return r, nil
}

// AgentStatus is what the agent says of unattended access.
type AgentStatus struct {
	Status
	// Sessions is how many unattended sessions run now.
	Sessions int
	// Helper says whether a helper runs in a user's session, so that a technician would see a screen.
	Helper bool
}

// Status returns where unattended access stands.
func (ad *Admin) Status() (AgentStatus, error) {
	r, err := ad.call(localMsg{Op: opStatus})
	if err != nil {
		return AgentStatus{}, err
	}
	if r.Status == nil {
		return AgentStatus{}, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "status without a status"}
	}
	ws := r.Status
	s := AgentStatus{Status: Status{SetUp: ws.SetUp, Blocked: ws.Blocked, Failures: ws.Failures,
		LockedUntil: ws.LockedUntil}, Sessions: ws.Sessions, Helper: ws.Helper}
	s.ID, err = transport.ParseID(ws.ID)
	if err != nil {
		return AgentStatus{}, err
	}
	for _, ft := range ws.Technicians {
		if t, ok := ft.technician(); ok {
			s.Technicians = append(s.Technicians, t)
		}
	}
	return s, nil
}

// SetUp lets the technician whose Tandem Expert's certificate is tech (named name) connect with password
// (CheckPassword must accept it). A password that differs from the one set before replaces it for everyone.
// rendezvous is the URL of the rendezvous the technician's session came through, where the agent keeps the
// computer present from now on; empty when the technician came by a direct link.
func (ad *Admin) SetUp(tech transport.ID, name, password, rendezvous string) error {
	_, err := ad.call(localMsg{Op: opSetUp, TechID: tech.String(), Name: name, Password: password,
		Rendezvous: rendezvous})
	return err
}

// SetBlocked blocks unattended access (a running unattended session ends at once) or allows it again.
func (ad *Admin) SetBlocked(blocked bool) error {
	_, err := ad.call(localMsg{Op: opSetBlocked, Blocked: blocked})
	return err
}

// ChangePassword sets a new password (CheckPassword must accept it): every stored password stops working.
func (ad *Admin) ChangePassword(password string) error {
	_, err := ad.call(localMsg{Op: opChangePassword, Password: password})
	return err
}

// RemoveTechnician takes a technician's computer off the list (its running session ends).
func (ad *Admin) RemoveTechnician(id transport.ID) error {
	_, err := ad.call(localMsg{Op: opRemove, TechID: id.String()})
	return err
}

// Log returns the last n entries of the access log (at most MaxLogRead), oldest first.
func (ad *Admin) Log(n int) ([]Entry, error) {
	r, err := ad.call(localMsg{Op: opReadLog, N: n})
	if err != nil {
		return nil, err
	}
	return r.Log, nil
}

// Helper is the helper's end of the local channel: it receives the agent's orders (Next) and answers and
// reports from any goroutine.
type Helper struct {
	l  *line
	id transport.ID
}

// DialHelper opens the local channel at socket as the helper of this user's graphical session.
func DialHelper(ctx context.Context, socket string) (*Helper, error) {
	l, id, err := dialLocal(ctx, socket, opHelloHelper)
	if err != nil {
		return nil, err
	}
	return &Helper{l: l, id: id}, nil
}

// ComputerID returns the computer ID the agent holds.
func (h *Helper) ComputerID() transport.ID { return h.id }

// Close closes the channel: the agent ends the helper's sessions in its log.
func (h *Helper) Close() error { return h.l.close() }

// OrderKind says what the agent asks of the helper.
type OrderKind int

// The orders.
const (
	// OrderOpen: join the technician's session at Link, then call Opened.
	OrderOpen OrderKind = iota + 1
	// OrderEnd: end session ID at once (Code says why: Blocked, NotAllowed).
	OrderEnd
)

// Order is what the agent asks of the helper.
type Order struct {
	Kind         OrderKind
	ID           uint64 // the session's number on this channel
	Technician   string
	TechnicianID transport.ID
	Link         string
	Code         protocol.Code
}

// Next waits for the agent's next order; it fails once the channel is closed (by Close or by the agent).
func (h *Helper) Next() (Order, error) {
	for {
		m, err := h.l.read()
		if err != nil {
			return Order{}, err
		}
		switch m.Op {
		case opOpen:
			id, err := transport.ParseID(m.TechID)
			if err != nil || m.Link == "" {
				continue
			}
			return Order{Kind: OrderOpen, ID: m.ID, Technician: m.Name, TechnicianID: id, Link: m.Link}, nil
		case opEnd:
			return Order{Kind: OrderEnd, ID: m.ID, Code: m.Code}, nil
		}
	}
}

// Opened tells the agent whether the helper joined session id: nil, or why not.
func (h *Helper) Opened(id uint64, err error) error {
	code := protocol.NoError
	if err != nil {
		if code = protocol.CodeOf(err); code == protocol.NoError {
			code = protocol.Internal
		}
	}
	return h.l.send(localMsg{Op: opOpened, ID: id, Code: code})
}

// Report tells the agent, for its log, what happened in session id: EventViewed, EventControlled, EventFileSent,
// EventFileReceived (detail: the file's name), or EventSessionEnded (detail: why).
func (h *Helper) Report(id uint64, what Event, detail string) error {
	return h.l.send(localMsg{Op: opEvent, ID: id, What: what, Detail: detail})
}
