package rendezvous

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	done chan struct{}

	mu        sync.Mutex
	closed    bool
	claims    map[string]*ownPlate // by nameplate, until released
	open      map[string]*Mailbox  // opened by Open or Claim
	pending   map[string]*Mailbox  // announced by a claim or already receiving, not opened yet
	pendOrder []string
	dropped   map[string]struct{} // closed mailboxes: later messages are dropped
	present   map[string]bool     // computer keys this client is present for (Present, until Absent)
	knocks    chan Knock
}

// Claim tells a nameplate's owner that someone claimed it; open its mailbox with Client.Open.
type Claim struct {
	// Nameplate is the claimed nameplate.
	Nameplate string
	// Mailbox is the ID of the mailbox shared with the claimer.
	Mailbox string
	// Peer is the claimer's principal: the mailbox keeps only its messages, and sends go to it.
	Peer string
}

// ownPlate is a nameplate of this client's: where its claims go, and how many more it accepts.
type ownPlate struct {
	ch   chan Claim // nil once the last claim it accepts came (then closed)
	left int
}

// stop closes the channel of claims, if it is not already.
func (o *ownPlate) stop() {
	if o.ch != nil {
		close(o.ch)
		o.ch = nil
	}
}

// Nameplate is a nameplate this client created.
type Nameplate struct {
	// Name is the four digits to show (with the secret) to the customer.
	Name string
	// ICE lists STUN/TURN servers with fresh credentials.
	ICE []ICEServer
	// Expires is when the nameplate lapses if nobody claims it.
	Expires time.Time
	// JoinPage is the address of the rendezvous's join page (where a customer types the key); empty when it
	// serves none. It is an http(s) URL: the client checks it, since a person will open it.
	JoinPage string
	// Claims delivers each claim of this nameplate, up to the rendezvous's maximum (5 by default): the client
	// refuses the claims after those, so a guesser has that many tries. It is closed after the last one, by
	// Release of this nameplate and by Close.
	Claims <-chan Claim
}

const (
	defaultRequestTimeout = 10 * time.Second
	claimsBuffer          = 16
	defaultMaxClaims      = 5  // when the rendezvous does not say
	maxClaimsCap          = 16 // whatever the rendezvous says: each claim is a mailbox held and an attempt at the key
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
		p: Principal(token), log: log, done: make(chan struct{}), claims: make(map[string]*ownPlate),
		open: make(map[string]*Mailbox), pending: make(map[string]*Mailbox), dropped: make(map[string]struct{}),
		knocks: make(chan Knock, knocksBuffer),
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
	// Events from the service, and the mailbox messages addressed to this principal (from anyone: dispatch
	// keeps those of a mailbox's other member only).
	for _, subject := range []string{boxSubject(c.p, ">"), mbSubject("*", c.p, "*")} {
		var sub *nats.Subscription
		if sub, err = nc.Subscribe(subject, c.dispatch); err != nil {
			break
		}
		_ = sub.SetPendingLimits(-1, 256<<20)
	}
	if err == nil {
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

// dispatch runs on a subscription's goroutine for every claim event (tandem.v1.box.P.claimed) and every mailbox
// message addressed to this principal (tandem.v1.mb.S.P.M), in the order each subscription receives them.
func (c *Client) dispatch(msg *nats.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	switch msg.Subject {
	case boxSubject(c.p, claimedToken):
		c.claimedLocked(msg)
		return
	case boxSubject(c.p, knockedToken):
		c.knockedLocked(msg)
		return
	}
	from, to, m, ok := parseMB(msg.Subject)
	if !ok || to != c.p {
		return
	}
	if _, gone := c.dropped[m]; gone {
		return
	}
	c.mailboxLocked(m).push(from, msg.Data)
}

// claimedLocked takes a claim event: it makes the mailbox ready for the claimer's messages, hands the claim on,
// and answers the service, which only then tells the claimer the mailbox. A claim that nobody waits for (the
// nameplate was released, or Claims is not read) is refused, and the claimer hears that the key is unknown.
func (c *Client) claimedLocked(msg *nats.Msg) {
	var ev ClaimedEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil || !validMailbox(ev.Mailbox) || !validPrincipal(ev.Claimer) {
		c.log.Warn("malformed claim event from the rendezvous")
		c.answerClaim(msg, codeBadRequest)
		return
	}
	own, ok := c.claims[ev.Nameplate]
	switch {
	case !ok:
		c.log.Info("claim of a released nameplate refused", "nameplate", ev.Nameplate)
		c.answerClaim(msg, codeUnknown)
		return
	case own.ch == nil:
		c.log.Info("claim refused: the nameplate had all the claims it accepts", "nameplate", ev.Nameplate)
		c.answerClaim(msg, codeUnknown)
		return
	}
	select {
	case own.ch <- Claim{Nameplate: ev.Nameplate, Mailbox: ev.Mailbox, Peer: ev.Claimer}:
	default:
		c.log.Warn("claim refused: nobody reads Nameplate.Claims", "nameplate", ev.Nameplate)
		c.answerClaim(msg, codeUnknown)
		return
	}
	if own.left--; own.left == 0 {
		own.stop()
	}
	c.mailboxForLocked(ev.Mailbox, ev.Claimer)
	c.answerClaim(msg, "")
}

func (c *Client) answerClaim(msg *nats.Msg, code string) {
	b, _ := json.Marshal(Reply{Error: code})
	if err := msg.Respond(b); err != nil {
		c.log.Warn("answering a claim event", "err", err)
	}
}

// mailboxForLocked returns mailbox id, open or pending (made pending if new, taken back if it was closed), which
// keeps only peer's messages.
func (c *Client) mailboxForLocked(id, peer string) *Mailbox {
	delete(c.dropped, id)
	mb := c.mailboxLocked(id)
	mb.setPeer(peer)
	return mb
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

// Open returns the mailbox of a claim (from Nameplate.Claims), with any message of the claimer that already
// arrived. Opening an open mailbox returns the same Mailbox.
func (c *Client) Open(cl Claim) *Mailbox {
	c.mu.Lock()
	defer c.mu.Unlock()
	mb := c.mailboxForLocked(cl.Mailbox, cl.Peer)
	if _, ok := c.pending[cl.Mailbox]; ok {
		delete(c.pending, cl.Mailbox)
		for i, p := range c.pendOrder {
			if p == cl.Mailbox {
				c.pendOrder = append(c.pendOrder[:i], c.pendOrder[i+1:]...)
				break
			}
		}
		c.open[cl.Mailbox] = mb
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
	if err := codeError(out.errorCode()); err != nil {
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
		old.stop() // a nameplate of ours that lapsed and came back
	}
	left := min(r.MaxClaims, maxClaimsCap)
	if left <= 0 {
		left = defaultMaxClaims
	}
	c.claims[r.Nameplate] = &ownPlate{ch: ch, left: left}
	return &Nameplate{Name: r.Nameplate, ICE: r.ICE, Expires: time.Unix(r.Expires, 0), Claims: ch,
		JoinPage: checkPage(r.JoinPage)}, nil
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
	if !validMailbox(r.Mailbox) || !validPrincipal(r.Owner) {
		return nil, nil, errors.New("rendezvous: claim: malformed mailbox or owner in the reply")
	}
	return c.Open(Claim{Nameplate: nameplate, Mailbox: r.Mailbox, Peer: r.Owner}), r.ICE, nil
}

// Release deletes this client's nameplate (after a successful join, or when giving up) and closes its Claims.
func (c *Client) Release(ctx context.Context, nameplate string) error {
	c.mu.Lock()
	if own, ok := c.claims[nameplate]; ok {
		own.stop()
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
		ch.stop()
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
	peer     string // the other member; "" until known (messages are kept meanwhile, with their sender)
	queue    []queued
	overflow bool
	closed   bool
}

type queued struct {
	from string
	b    []byte
}

// ID returns the mailbox ID (32 hex digits).
func (m *Mailbox) ID() string { return m.id }

// setPeer names the other member, once: the messages of anyone else, kept until now, are dropped.
func (m *Mailbox) setPeer(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.peer != "" || !validPrincipal(p) {
		return
	}
	m.peer = p
	m.queue = slices.DeleteFunc(m.queue, func(q queued) bool { return q.from != p })
}

func (m *Mailbox) push(from string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || (m.peer != "" && from != m.peer) {
		return
	}
	if len(m.queue) >= maxQueued {
		m.overflow = true
		return
	}
	m.queue = append(m.queue, queued{from: from, b: b})
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// Send sends one message (at most MaxMessageSize bytes) to the other member. Like every mailbox message it goes
// straight to the other member's connection, in order, and is not stored: it is lost if the other member is
// not connected. ErrUnknownMailbox means the mailbox was not opened from a claim.
func (m *Mailbox) Send(ctx context.Context, b []byte) error {
	if len(b) > MaxMessageSize {
		return fmt.Errorf("rendezvous: send: %d bytes: %w", len(b), ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rendezvous: send: %w", err)
	}
	m.mu.Lock()
	peer, closed := m.peer, m.closed
	m.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("rendezvous: send: %w", ErrClosed)
	case peer == "":
		return fmt.Errorf("rendezvous: send: %w", ErrUnknownMailbox)
	}
	err := m.c.nc.Publish(mbSubject(m.c.p, peer, m.id), b)
	switch {
	case errors.Is(err, nats.ErrConnectionClosed):
		return fmt.Errorf("rendezvous: send: %w", ErrClosed)
	case err != nil:
		return fmt.Errorf("rendezvous: send: %w", err)
	}
	return nil
}

// Recv returns the next message, waiting for one until ctx ends or the mailbox or client closes.
func (m *Mailbox) Recv(ctx context.Context) ([]byte, error) {
	for {
		m.mu.Lock()
		if len(m.queue) > 0 {
			b := m.queue[0].b
			m.queue[0] = queued{}
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

// Close stops receiving on this mailbox; later messages for it are dropped. The rendezvous keeps nothing of a
// mailbox.
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
