package session

import (
	"context"
	"crypto/rand"
	"net"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// A dropped connection does not end a session at once. The Welcome gives the customer a resume secret; when
// the connection is lost (the network went silent for the idle timeout, or failed), the customer's program dials
// the technician's again with the same certificate and confirms the resume secret instead of the support key,
// then says Hello with Resume set to the session's ID. The host, whose listener stays open for the whole
// session, accepts such a return (from that certificate only) while it waits after a loss, and also while it
// still serves the old connection, which the new one then replaces. Both sides give up after the reconnect
// window. The customer's choices carry over (whether the screen may be seen, the monitor); a control grant does
// not: it must be asked for again.

// DefaultReconnectWindow is how long both sides wait for a dropped connection to come back.
const DefaultReconnectWindow = time.Minute

// redialInterval is how long the customer's program waits between two attempts to get back.
const redialInterval = time.Second

// Events of a dropped connection.
type (
	// Reconnecting says the connection dropped and the session is trying to get it back; what was shared is
	// not (Ended follows if it does not come back within the reconnect window).
	Reconnecting struct{}
	// Reconnected says the connection is back; the screen flows again if the customer still shares it.
	Reconnected struct{}
)

func (Reconnecting) isEvent() {}
func (Reconnected) isEvent()  {}

// lost reports whether a session's end is a dropped connection that may come back (not an ending either side
// chose, nor a broken rule).
func lost(err error) bool { return err != nil && protocol.CodeOf(err) == protocol.ConnectionLost }

// errGone is why a session ends when the customer does not come back in time.
var errGone = &protocol.Error{Code: protocol.ConnectionLost, Detail: "the connection did not come back"}

// redial tries to get back into the session until the reconnect window closes or life ends. It returns the
// new link and Welcome, or nil and why it gave up.
func (g *Guest) redial(life context.Context) (*link, *protocol.Welcome, error) {
	var w *protocol.Welcome
	l, err := redialWithin(life, g.cfg.ReconnectWindow, func(ctx context.Context) (*link, error) {
		var l *link
		var err error
		l, w, err = connect(ctx, g.way, g.id, g.welcome.ResumeSecret, g.cfg, g.welcome.SessionID)
		return l, err
	})
	return l, w, err
}

// redialWithin calls try until it connects, the other side refuses for good, or window (the default if 0) or
// life ends (errGone).
func redialWithin(life context.Context, window time.Duration, try func(context.Context) (*link, error)) (*link, error) {
	if window <= 0 {
		window = DefaultReconnectWindow
	}
	ctx, cancel := context.WithTimeout(life, window)
	defer cancel()
	for {
		l, err := try(ctx)
		if err == nil {
			return l, nil
		}
		switch protocol.CodeOf(err) {
		case protocol.SessionEnded, protocol.NotPermitted, protocol.WrongKey, protocol.TooManyAttempts,
			protocol.VersionMismatch, protocol.ProtocolViolation, protocol.Removed:
			return nil, err // the other side is there and will not take us back
		}
		if !sleep(ctx, redialInterval) {
			return nil, errGone
		}
	}
}

// hostGate is the host listener's Gate: the support key until the customer joins, then only the customer's
// resume secret (the key is spent), with the same limit on failed attempts. Once the customer has joined, only
// their certificate may try: anyone else is refused before an attempt is counted, so that a stranger on the
// path cannot use up the attempts and keep the customer from coming back.
type hostGate struct {
	key *transport.SupportKey

	mu       sync.Mutex
	secret   []byte
	customer transport.ID
	failures int
}

// Begin implements transport.Gate.
func (g *hostGate) Begin(peer transport.ID, from net.Addr) ([]byte, func(transport.Outcome), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.secret == nil {
		return g.key.Begin(peer, from)
	}
	if peer != g.customer {
		return nil, nil, &protocol.Error{Code: protocol.NotPermitted, Detail: "not the customer of this session"}
	}
	if g.failures >= transport.MaxKeyAttempts {
		return nil, nil, &protocol.Error{Code: protocol.TooManyAttempts, Detail: "too many failed attempts to return"}
	}
	return g.secret, func(o transport.Outcome) {
		if o == transport.Failed {
			g.mu.Lock()
			g.failures++
			g.mu.Unlock()
		}
	}, nil
}

// allowReturn switches the gate to the resume secret, for the customer's certificate only.
func (g *hostGate) allowReturn(secret []byte, customer transport.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.secret, g.customer = secret, customer
}

func newResumeSecret() ([]byte, error) {
	b := make([]byte, protocol.ResumeSecretSize)
	_, err := rand.Read(b)
	return b, err
}
