package rendezvous

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// DialOptions tunes Dial. The zero value is fine.
type DialOptions struct {
	// Name is the connection name the rendezvous shows in its monitoring. Empty: "tandem".
	Name string
	// Log receives connection events (disconnects, reconnects, refused subjects). Nil: discard.
	Log *slog.Logger
	// TLSConfig is the base TLS configuration for tls:// and wss:// URLs without a pin, e.g. with private
	// RootCAs. Nil: the system roots.
	TLSConfig *tls.Config
	// Token is this client's secret token (32 to 128 lower-case hex digits); its hash is the principal. Empty:
	// 128 random bits. Keeping the token keeps the principal across reconnections; nothing needs it later.
	Token string
}

// Client is a connection to a rendezvous, acting as one principal. Its methods are safe for concurrent use.
type Client struct {
	nc   *nats.Conn
	p    string
	log  *slog.Logger
	sub  *nats.Subscription
	done chan struct{}

	mu        sync.Mutex
	closed    bool
	claims    map[string]chan Claim // by nameplate, until released
	open      map[string]*Mailbox   // opened by Open or Claim
	pending   map[string]*Mailbox   // announced by a claim or already receiving, not opened yet
	pendOrder []string
	dropped   map[string]struct{} // closed mailboxes: later messages are dropped
}

// Claim tells a nameplate's owner that someone claimed it; open its mailbox with Client.Open.
type Claim struct {
	// Nameplate is the claimed nameplate.
	Nameplate string
	// Mailbox is the ID of the mailbox shared with the claimer.
	Mailbox string
}

// Nameplate is a nameplate this client created.
type Nameplate struct {
	// Name is the four digits to show (with the secret) to the customer.
	Name string
	// ICE lists STUN/TURN servers with fresh credentials.
	ICE []ICEServer
	// Expires is when the nameplate lapses if nobody claims it.
	Expires time.Time
	// Claims delivers each claim of this nameplate (up to the rendezvous's maximum, 5 by default). It is
	// closed by Release of this nameplate and by Close.
	Claims <-chan Claim
}

const (
	defaultRequestTimeout = 10 * time.Second
	claimsBuffer          = 16
	maxPendingMailboxes   = 16
	maxQueued             = 1024
	maxDropped            = 1024
)

// ErrOverflow is returned by Mailbox.Recv after more than 1024 messages were left unread: later ones were lost.
var ErrOverflow = errors.New("rendezvous: mailbox overflow, messages were lost")

// Dial connects to the rendezvous at rawURL (see ParseURL) with a fresh token, unless opts.Token is set.
// The NATS client reconnects by itself after a network failure; the principal stays the same.
func Dial(ctx context.Context, rawURL string, opts DialOptions) (*Client, error) {
	ep, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	token := opts.Token
	if token == "" {
		token = randomHex(16)
	} else if !validToken(token) {
		return nil, errors.New("rendezvous: the token must be 32 to 128 lower-case hex digits")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := opts.Name
	if name == "" {
		name = "tandem"
	}
	c := &Client{
		p: Principal(token), log: log, done: make(chan struct{}), claims: make(map[string]chan Claim),
		open: make(map[string]*Mailbox), pending: make(map[string]*Mailbox), dropped: make(map[string]struct{}),
	}
	timeout := defaultRequestTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	var pinFailed atomic.Bool
	nopts := []nats.Option{
		nats.UserInfo(clientUser, token),
		nats.CustomInboxPrefix(inboxPrefix + c.p),
		nats.Name(name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(500*time.Millisecond, 2*time.Second),
		nats.IgnoreDiscoveredServers(),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("rendezvous connection error", "subject", subj, "err", err)
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Info("rendezvous disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("rendezvous reconnected") }),
	}
	if ep.Secure() {
		var tc *tls.Config
		switch {
		case ep.Pin != nil:
			tc = pinnedTLS(ep.Pin)
			verify := tc.VerifyConnection
			tc.VerifyConnection = func(cs tls.ConnectionState) error {
				err := verify(cs)
				if err != nil {
					pinFailed.Store(true)
				}
				return err
			}
		case opts.TLSConfig != nil:
			tc = opts.TLSConfig.Clone()
		default:
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		nopts = append(nopts, nats.Secure(tc))
	}
	nc, err := nats.Connect(ep.URL, nopts...)
	if err != nil {
		if pinFailed.Load() {
			return nil, fmt.Errorf("rendezvous: connecting to %s: %w", ep.URL, ErrPinMismatch)
		}
		return nil, fmt.Errorf("rendezvous: connecting to %s: %w", ep.URL, err)
	}
	c.nc = nc
	c.sub, err = nc.Subscribe(boxSubject(c.p, ">"), c.dispatch)
	if err == nil {
		_ = c.sub.SetPendingLimits(-1, 256<<20)
		err = nc.FlushTimeout(timeout)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("rendezvous: subscribing to the mailboxes: %w", err)
	}
	return c, nil
}

// Principal returns this client's principal (32 hex digits), which the rendezvous knows it by.
func (c *Client) Principal() string { return c.p }

// dispatch runs on the subscription's goroutine for every message to tandem.v1.box.P.>, in order.
func (c *Client) dispatch(msg *nats.Msg) {
	tail := msg.Subject[strings.LastIndexByte(msg.Subject, '.')+1:]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if tail == claimedToken {
		var ev ClaimedEvent
		if err := json.Unmarshal(msg.Data, &ev); err != nil || !validMailbox(ev.Mailbox) {
			c.log.Warn("malformed claim event from the rendezvous")
			return
		}
		ch, ok := c.claims[ev.Nameplate]
		if !ok {
			c.log.Info("claim of a released nameplate ignored", "nameplate", ev.Nameplate)
			return
		}
		c.mailboxLocked(ev.Mailbox) // the claimer may speak before the owner opens the mailbox
		select {
		case ch <- Claim(ev):
		default:
			c.log.Warn("claim dropped: nobody reads Nameplate.Claims", "nameplate", ev.Nameplate)
		}
		return
	}
	if !validMailbox(tail) {
		return
	}
	if _, gone := c.dropped[tail]; gone {
		return
	}
	c.mailboxLocked(tail).push(msg.Data)
}

// mailboxLocked returns the mailbox with this ID, open or pending, creating a pending one if needed.
func (c *Client) mailboxLocked(id string) *Mailbox {
	if mb, ok := c.open[id]; ok {
		return mb
	}
	if mb, ok := c.pending[id]; ok {
		return mb
	}
	if len(c.pendOrder) >= maxPendingMailboxes {
		oldest := c.pendOrder[0]
		c.pendOrder = c.pendOrder[1:]
		delete(c.pending, oldest)
	}
	mb := &Mailbox{c: c, id: id, notify: make(chan struct{}, 1), done: make(chan struct{})}
	c.pending[id] = mb
	c.pendOrder = append(c.pendOrder, id)
	return mb
}

// Open returns the mailbox with this ID (from a Claim), with any message that already arrived. Opening an open
// mailbox returns the same Mailbox.
func (c *Client) Open(id string) *Mailbox {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.dropped, id)
	mb := c.mailboxLocked(id)
	if _, ok := c.pending[id]; ok {
		delete(c.pending, id)
		for i, p := range c.pendOrder {
			if p == id {
				c.pendOrder = append(c.pendOrder[:i], c.pendOrder[i+1:]...)
				break
			}
		}
		c.open[id] = mb
	}
	return mb
}

// request sends a request of operation op and decodes the reply into out, which must have an Error field
// through errorCode.
func (c *Client) request(ctx context.Context, subject, op string, body []byte, out interface{ errorCode() string }) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultRequestTimeout)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, subject, body)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("rendezvous: %s: %w", op, ErrUnavailable)
	case errors.Is(err, nats.ErrConnectionClosed):
		return fmt.Errorf("rendezvous: %s: %w", op, ErrClosed)
	case err != nil:
		return fmt.Errorf("rendezvous: %s: %w", op, err)
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return fmt.Errorf("rendezvous: %s: malformed reply: %w", op, err)
	}
	if err := codeError(out.errorCode(), op); err != nil {
		return fmt.Errorf("rendezvous: %s: %w", op, err)
	}
	return nil
}

func (r *CreateReply) errorCode() string { return r.Error }
func (r *ClaimReply) errorCode() string  { return r.Error }
func (r *ICEReply) errorCode() string    { return r.Error }
func (r *Reply) errorCode() string       { return r.Error }

// Create asks for a fresh nameplate. Claims of it arrive on its Claims channel.
func (c *Client) Create(ctx context.Context) (*Nameplate, error) {
	var r CreateReply
	body, _ := json.Marshal(CreateRequest{})
	if err := c.request(ctx, reqSubject(c.p, opCreate), opCreate, body, &r); err != nil {
		return nil, err
	}
	if !validNameplate(r.Nameplate) {
		return nil, fmt.Errorf("rendezvous: create: malformed nameplate %q", r.Nameplate)
	}
	ch := make(chan Claim, claimsBuffer)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("rendezvous: create: %w", ErrClosed)
	}
	if old, ok := c.claims[r.Nameplate]; ok {
		close(old) // a nameplate of ours that lapsed and came back
	}
	c.claims[r.Nameplate] = ch
	return &Nameplate{Name: r.Nameplate, ICE: r.ICE, Expires: time.Unix(r.Expires, 0), Claims: ch}, nil
}

// Claim claims another client's nameplate and returns the mailbox shared with its owner, and ICE servers.
func (c *Client) Claim(ctx context.Context, nameplate string) (*Mailbox, []ICEServer, error) {
	if !validNameplate(nameplate) {
		return nil, nil, fmt.Errorf("rendezvous: claim: %q is not four digits: %w", nameplate, ErrBadRequest)
	}
	var r ClaimReply
	body, _ := json.Marshal(ClaimRequest{Nameplate: nameplate})
	if err := c.request(ctx, reqSubject(c.p, opClaim), opClaim, body, &r); err != nil {
		return nil, nil, err
	}
	if !validMailbox(r.Mailbox) {
		return nil, nil, errors.New("rendezvous: claim: malformed mailbox ID in the reply")
	}
	return c.Open(r.Mailbox), r.ICE, nil
}

// Release deletes this client's nameplate (after a successful join, or when giving up) and closes its Claims.
func (c *Client) Release(ctx context.Context, nameplate string) error {
	c.mu.Lock()
	if ch, ok := c.claims[nameplate]; ok {
		close(ch)
		delete(c.claims, nameplate)
	}
	c.mu.Unlock()
	var r Reply
	body, _ := json.Marshal(ReleaseRequest{Nameplate: nameplate})
	return c.request(ctx, reqSubject(c.p, opRelease), opRelease, body, &r)
}

// ICEServers asks for fresh STUN/TURN servers and credentials (for a reconnection late in a long session).
func (c *Client) ICEServers(ctx context.Context) ([]ICEServer, error) {
	var r ICEReply
	if err := c.request(ctx, reqSubject(c.p, opICE), opICE, nil, &r); err != nil {
		return nil, err
	}
	return r.ICE, nil
}

// Close closes the connection and every mailbox, and the Claims of every nameplate.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.done)
	for n, ch := range c.claims {
		close(ch)
		delete(c.claims, n)
	}
	c.mu.Unlock()
	c.nc.Close()
}

// Mailbox is a two-party channel through the rendezvous. Messages arrive in the order they were sent.
type Mailbox struct {
	c      *Client
	id     string
	notify chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	queue    [][]byte
	overflow bool
	closed   bool
}

// ID returns the mailbox ID (32 hex digits).
func (m *Mailbox) ID() string { return m.id }

func (m *Mailbox) push(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	if len(m.queue) >= maxQueued {
		m.overflow = true
		return
	}
	m.queue = append(m.queue, b)
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// Send sends one message (at most MaxMessageSize bytes) to the other member and waits for the rendezvous to
// accept it. ErrUnknownMailbox means the mailbox is gone or this client is not a member.
func (m *Mailbox) Send(ctx context.Context, b []byte) error {
	if len(b) > MaxMessageSize {
		return fmt.Errorf("rendezvous: send: %d bytes: %w", len(b), ErrTooLarge)
	}
	select {
	case <-m.done:
		return fmt.Errorf("rendezvous: send: %w", ErrClosed)
	default:
	}
	// To the service of the node this client is connected to, which relays one sender's messages in order
	// over the route to the receiver's node. If that node went away meanwhile (no responders), the client has
	// moved to another: send there.
	var r Reply
	err := m.c.request(ctx, reqSubject(m.c.p, opSend, m.c.nc.ConnectedServerId(), m.id), opSend, b, &r)
	if errors.Is(err, ErrUnavailable) {
		err = m.c.request(ctx, reqSubject(m.c.p, opSend, m.c.nc.ConnectedServerId(), m.id), opSend, b, &r)
	}
	return err
}

// Recv returns the next message, waiting for one until ctx ends or the mailbox or client closes.
func (m *Mailbox) Recv(ctx context.Context) ([]byte, error) {
	for {
		m.mu.Lock()
		if len(m.queue) > 0 {
			b := m.queue[0]
			m.queue[0] = nil
			m.queue = m.queue[1:]
			m.mu.Unlock()
			return b, nil
		}
		overflow := m.overflow
		m.mu.Unlock()
		if overflow {
			return nil, ErrOverflow
		}
		select {
		case <-m.notify:
		case <-m.done:
			return nil, ErrClosed
		case <-m.c.done:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("rendezvous: recv: %w", ctx.Err())
		}
	}
}

// Close stops receiving on this mailbox; later messages for it are dropped. The mailbox itself lapses on the
// rendezvous after its TTL.
func (m *Mailbox) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.queue = nil
	close(m.done)
	m.mu.Unlock()

	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, m.id)
	delete(c.pending, m.id)
	if len(c.dropped) >= maxDropped {
		clear(c.dropped)
	}
	c.dropped[m.id] = struct{}{}
}
