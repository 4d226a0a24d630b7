// Package session is the session engine both programs drive: it hosts or joins a session over the transport,
// exchanges Hellos, and reports what happens as events. It never imports Fyne: the UIs subscribe to Events and
// call the actions.
//
// This first cut holds the attended join (the technician's Expert hosts with a support key, the customer's
// program joins) and the end of a session; screen, consent, chat and files join it in later work.
package session

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/version"
)

// HelloTimeout bounds the Hello/Welcome exchange after key confirmation.
const HelloTimeout = 10 * time.Second

// Peer is the other side of a session as it introduced itself.
type Peer struct {
	Name           string
	Role           protocol.Role
	ProgramVersion string
	Addr           string
	Capabilities   []string // from its Hello (protocol.Cap…); unknown ones included
	Route          Route    // how the connection reaches the peer (direct, relayed)
	// Cert is the fingerprint of the certificate the peer's program presented: a technician's Tandem Expert keeps
	// one (HostConfig.Identity), which unattended access lets in.
	Cert transport.ID
}

// Can reports whether the peer announced the capability c.
func (p Peer) Can(c string) bool { return slices.Contains(p.Capabilities, c) }

// Event is something that happened in a session. The concrete types are below.
type Event interface{ isEvent() }

// Joined says the peer is in the session.
type Joined struct{ Peer Peer }

// AttemptRefused says someone tried to join and was refused (wrong key, incompatible version, silent after the
// key…). From is where the attempt came from (host:port), empty when unknown.
type AttemptRefused struct {
	Err  error
	From string
}

// KeyLost says the support key can no longer be used to join: it expired, or too many attempts failed. Err is
// a *protocol.Error with code KeyExpired or TooManyAttempts.
type KeyLost struct{ Err error }

// Ended says the session is over. Err is nil when this side ended it, otherwise a *protocol.Error saying why
// (SessionEnded when the peer ended it, ConnectionLost when the network went away). Left, with a nil Err, says
// that this technician left a session that goes on with the other technicians (Host.Leave).
type Ended struct {
	Err  error
	Left bool
}

func (Joined) isEvent()         {}
func (AttemptRefused) isEvent() {}
func (KeyLost) isEvent()        {}
func (Ended) isEvent()          {}

// link is a joined connection with its control stream.
type link struct {
	conn *transport.Conn
	ctl  *quic.Stream
	enc  *protocol.Encoder
	dec  *protocol.Decoder
	peer Peer
	// resume is, on the host, the session the peer's Hello says it returns to (zero for a first join).
	resume protocol.SessionID
	// prefs are the preferences a colleague's Hello gave (protocol.Hello.Preferences).
	prefs protocol.Preferences
	// handle, when set before the session runs, receives the control messages other than SessionEnd that
	// watch reads (an invitation, its answer); it must not block for long.
	handle func(protocol.Message)
	// leaving, when set before the session ends here, is the code end sends instead of SessionEnded (HandedOver:
	// a technician who leads the session leaves it to the others).
	leaving atomic.Int64

	sendMu sync.Mutex // serialises writes to the control stream once the session runs
}

// send writes m on the control stream; several goroutines may.
func (l *link) send(m protocol.Message) error {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	return l.enc.Encode(m)
}

func hello(name string, role protocol.Role) *protocol.Hello {
	return &protocol.Hello{ProtocolVersion: protocol.Version, MinVersion: protocol.MinVersion,
		ProgramVersion: version.Program, Name: name, Role: role}
}

// readHello reads the peer's Hello and negotiates the version; on mismatch it tells the peer and hangs up.
func (l *link) readHello(local *protocol.Hello) error {
	m, err := l.dec.Decode()
	if err != nil {
		return err
	}
	h, ok := m.(*protocol.Hello)
	if !ok {
		return &protocol.Error{Code: protocol.ProtocolViolation, Detail: fmt.Sprintf("expected hello, got %v", m.Type())}
	}
	if _, err := protocol.Negotiate(*local, *h); err != nil {
		_ = l.enc.Encode(&protocol.SessionEnd{Code: protocol.CodeOf(err), Reason: "incompatible protocol version"})
		return err
	}
	l.peer = Peer{Name: h.Name, Role: h.Role, ProgramVersion: h.ProgramVersion, Addr: l.conn.RemoteAddr().String(),
		Capabilities: h.Capabilities, Cert: l.conn.PeerID()}
	l.resume = h.Resume
	if h.Preferences != nil {
		l.prefs = *h.Preferences
	}
	return nil
}

// fail closes the connection with err's code and returns err.
func (l *link) fail(err error) error {
	code := protocol.CodeOf(err)
	if code == protocol.NoError {
		code = protocol.Internal
	}
	_ = l.conn.Close(code, "")
	return err
}

// watch reads the control stream until the session ends and returns why (nil if ended locally).
func (l *link) watch(local <-chan struct{}) error {
	for {
		m, err := l.dec.Decode()
		select {
		case <-local:
			return nil
		default:
		}
		if err != nil {
			if cerr := l.connEnd(err); cerr != nil {
				return cerr
			}
			err = transport.Cause(err)
			_ = l.conn.Close(protocol.CodeOf(err), "")
			return err
		}
		if end, ok := m.(*protocol.SessionEnd); ok {
			code := end.Code
			if code == protocol.NoError {
				code = protocol.SessionEnded
			}
			_ = l.conn.Close(protocol.SessionEnded, "")
			return &protocol.Error{Code: code, Detail: end.Reason}
		}
		if l.handle != nil {
			l.handle(m)
		}
	}
}

// connEndGrace is how long watch waits, after the control stream failed to read, for the connection's end that
// usually caused it: a path that dies fails the stream a moment before the connection reports its loss.
const connEndGrace = time.Second

// connEnd returns why the connection ended, if it has or does within connEndGrace of the read error err; nil
// when it goes on (err is then the stream's own fault). A malformed message (a *protocol.Error from the decoder)
// is the peer's fault at once: no wait.
func (l *link) connEnd(err error) error {
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		t := time.NewTimer(connEndGrace)
		defer t.Stop()
		select {
		case <-l.conn.Done():
		case <-t.C:
		}
	}
	return l.conn.Err()
}

// serve runs a joined session until it ends: locally (ended closes; the peer is told and nil is returned) or
// otherwise (the reason is returned).
func (l *link) serve(ended <-chan struct{}) error {
	watched := make(chan error, 1)
	go func() { watched <- l.watch(ended) }()
	select {
	case <-ended:
		l.end()
		return <-watched // nil: watch sees ended closed before the connection's end
	case err := <-watched:
		return err
	}
}

// lifetime is the ending that Host and Guest share: one goroutine runs the session and stops when ended
// closes.
type lifetime struct {
	ended chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func newLifetime() lifetime { return lifetime{ended: make(chan struct{})} }

// End ends the session: the peer (if any) is told and cut off at once, and a support key stops working. It is
// safe to call more than once and from any goroutine; it returns when the session has stopped.
func (lt *lifetime) End() {
	lt.stop()
	lt.wg.Wait()
}

// stop ends the session without waiting for it to stop (from one of its own goroutines).
func (lt *lifetime) stop() { lt.once.Do(func() { close(lt.ended) }) }

// end tells the peer the session is over (or that this side leaves it, with the code in leaving) and closes
// the connection.
func (l *link) end() {
	code := protocol.SessionEnded
	if c := protocol.Code(l.leaving.Load()); c != 0 {
		code = c
	}
	l.endWith(code)
}

// endWith tells the peer why the session is over for them and closes the connection with that code.
func (l *link) endWith(code protocol.Code) {
	_ = l.send(&protocol.SessionEnd{Code: code})
	_ = l.conn.Close(code, code.String())
}

// events is an owned event stream: the session's goroutines and the actions a UI calls send, and the channel
// closes once, when the session has stopped; a send after that is dropped (an action racing the end).
type events struct {
	ch   chan Event
	done <-chan struct{} // closed by End: a sender stops waiting for a reader that has gone

	mu     sync.RWMutex // held for reading by senders, for writing by close
	closed bool
}

func newEvents(done <-chan struct{}) *events { return &events{ch: make(chan Event, 16), done: done} }

func (e *events) send(ev Event) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return
	}
	select {
	case e.ch <- ev: // room in the buffer: never dropped, even after End
		return
	default:
	}
	select {
	case e.ch <- ev:
	case <-e.done:
	}
}

// close closes the channel once the senders in progress are done.
func (e *events) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		close(e.ch)
	}
}

func newSessionID() (protocol.SessionID, error) {
	var id protocol.SessionID
	_, err := rand.Read(id[:])
	return id, err
}

// ErrEnded is returned by actions on a session that is over.
var ErrEnded = errors.New("session ended")
