// Package transport carries a Tandem session over QUIC (quic-go): listening and dialling, self-signed Ed25519
// identities, and the key confirmation that must succeed before any session data flows.
//
// The QUIC role (who listens, who dials) is independent of who is customer and who is technician: today the
// technician's Expert listens and the customer dials the address of the join link; later both may dial out
// to a relay. TLS 1.3 with ALPN protocol.ALPN encrypts everything, but a self-signed certificate proves
// nothing, so right after the handshake both sides run CPace (package cpace) with the support key (or an
// unattended password's secret) as password, and the TLS exporter plus both certificate fingerprints as
// channel binding, then exchange MACs (see confirm.go for the bytes). A wrong key, a replayed transcript or a
// machine in the middle (two TLS sessions, hence two different exporters) fails the MACs, and the connection
// closes with a protocol.Code before either side accepts an application stream.
//
// Failures reach the caller as *protocol.Error values whose Code the UI translates, whether they were found
// here or sent by the peer as a QUIC application error code.
package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/fec"
)

// Timeouts of the transport.
const (
	// ConfirmTimeout bounds the whole key confirmation after the QUIC handshake.
	ConfirmTimeout = 15 * time.Second
	// IdleTimeout is how long a silent peer is kept before its connection is declared lost.
	IdleTimeout = 15 * time.Second
	keepAlive   = 5 * time.Second
)

// quicConfig is the QUIC configuration; idle is the idle timeout (0: IdleTimeout).
func quicConfig(idle time.Duration) *quic.Config {
	if idle <= 0 {
		idle = IdleTimeout
	}
	return &quic.Config{
		HandshakeIdleTimeout: 10 * time.Second,
		MaxIdleTimeout:       idle,
		KeepAlivePeriod:      min(keepAlive, idle/3),
		EnableDatagrams:      true,
		// QUIC's datagrams stay at packetSize so that a parity datagram of the FEC layer, which carries one of
		// them and its group's listing, fits a path's 1400-byte MTU.
		InitialPacketSize:       packetSize,
		DisablePathMTUDiscovery: true,
	}
}

// packetSize is the size of QUIC's datagrams (its minimum, 1200, plus a little).
const packetSize = 1280

// shield puts the FEC layer (package fec) between QUIC and the socket or path it runs over: every connection
// gets its parity, whatever way it goes, since random loss cuts quic-go's loss-based congestion control to a
// fraction of the link.
func shield(pc net.PacketConn) *fec.Conn { return fec.Wrap(pc) }

// socket opens a UDP socket on laddr (nil: any address and port) behind the FEC layer, and a QUIC transport over
// it; closePath closes both.
func socket(laddr *net.UDPAddr) (*quic.Transport, *fec.Conn, error) {
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, nil, err
	}
	sock := shield(udp)
	return &quic.Transport{Conn: sock}, sock, nil
}

func tlsConfig(id *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.cert},
		NextProtos:   []string{protocol.ALPN},
		ClientAuth:   tls.RequireAnyClientCert,
		// The certificate is checked by key confirmation, not by a CA: TLS only makes sure the peer holds
		// the certificate's key, and peerID checks its kind.
		InsecureSkipVerify: true, //nolint:gosec // see above
	}
}

// Conn is a confirmed connection to a peer.
type Conn struct {
	qc      *quic.Conn
	peer    ID
	version uint8
	path    net.PacketConn // what ServePath or DialPath ran it over; nil on a socket of its own
	// pathClosed is closed once path is, a moment after the connection ends; nil without a path.
	pathClosed <-chan struct{}
}

// Attempt tells a listener's owner about one connection that failed key confirmation, for the user to see.
type Attempt struct {
	Remote net.Addr
	Err    error // a *protocol.Error where the cause is known
}

// Listener accepts connections and confirms them against its gate.
type Listener struct {
	ql      *quic.Listener
	tr      *quic.Transport // ql's, over sock
	sock    *fec.Conn       // the listener's own socket, closed once ql is and no connection runs over it
	sockMu  sync.Mutex
	live    int  // connections accepted on sock that have not ended
	stopped bool // ql is closed
	gate    Gate
	id      *Identity
	onFail  func(Attempt)
	idle    time.Duration
	conns   chan *Conn
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once
}

// ListenConfig configures Listen.
type ListenConfig struct {
	// Identity is this side's certificate; required.
	Identity *Identity
	// Gate supplies the secret and counts attempts; required.
	Gate Gate
	// OnFailure, if set, is called (from the listener's goroutines) for every refused attempt.
	OnFailure func(Attempt)
	// IdleTimeout, if set, replaces IdleTimeout for the accepted connections (tests shorten it).
	IdleTimeout time.Duration
}

// Listen starts listening on the UDP address addr ("127.0.0.1:0", ":47800"). With addr "" it opens no socket
// of its own and accepts only over the paths given to ServePath.
func Listen(addr string, cfg ListenConfig) (*Listener, error) {
	if cfg.Identity == nil || cfg.Gate == nil {
		return nil, errors.New("transport: Listen needs an identity and a gate")
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{gate: cfg.Gate, id: cfg.Identity, onFail: cfg.OnFailure, idle: cfg.IdleTimeout,
		conns: make(chan *Conn), ctx: ctx, cancel: cancel}
	if addr != "" {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err == nil {
			l.tr, l.sock, err = socket(ua)
		}
		if err == nil {
			if l.ql, err = l.tr.Listen(tlsConfig(cfg.Identity), quicConfig(cfg.IdleTimeout)); err != nil {
				closePath(l.tr, l.sock)
			}
		}
		if err != nil {
			cancel()
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
	}
	ql := l.ql
	if ql != nil {
		l.wg.Add(1)
		go l.acceptLoop(ql)
	}
	return l, nil
}

// Addr returns the local UDP address, nil for a listener without a socket of its own.
func (l *Listener) Addr() net.Addr {
	if l.ql == nil {
		return nil
	}
	return l.ql.Addr()
}

// Accept returns the next confirmed connection.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops listening, abandons confirmations in progress and waits for the listener's goroutines.
// Connections already returned by Accept stay open.
func (l *Listener) Close() error {
	var err error
	l.closeMu.Do(func() {
		l.cancel()
		if l.ql != nil {
			err = l.ql.Close()
			l.sockMu.Lock()
			l.stopped = true
			l.sockMu.Unlock()
			l.releaseSock()
		}
		l.wg.Wait()
	})
	return err
}

// holdSock keeps the listener's socket open while qc runs over it.
func (l *Listener) holdSock(qc *quic.Conn) {
	l.sockMu.Lock()
	l.live++
	l.sockMu.Unlock()
	context.AfterFunc(qc.Context(), func() {
		l.sockMu.Lock()
		l.live--
		l.sockMu.Unlock()
		l.releaseSock()
	})
}

// releaseSock closes the socket once the listener is closed and no connection runs over it (as quic-go does with
// the socket of quic.ListenAddr); a connection's close gets pathLinger to reach the peer first.
func (l *Listener) releaseSock() {
	l.sockMu.Lock()
	last := l.stopped && l.live == 0 && l.sock != nil
	sock, tr := l.sock, l.tr
	if last {
		l.sock = nil
	}
	l.sockMu.Unlock()
	if last {
		time.AfterFunc(pathLinger, func() { closePath(tr, sock) })
	}
}

// acceptLoop confirms the connections that ql accepts, with path as the path context, until the listener
// closes or ql fails.
func (l *Listener) acceptLoop(ql *quic.Listener) {
	defer l.wg.Done()
	for {
		qc, err := ql.Accept(l.ctx)
		if err != nil {
			return
		}
		l.holdSock(qc)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c, err := l.confirm(qc, nil, qc.RemoteAddr())
			if err != nil {
				closeWith(qc, err)
				if l.onFail != nil {
					l.onFail(Attempt{Remote: qc.RemoteAddr(), Err: err})
				}
				return
			}
			select {
			case l.conns <- c:
			case <-l.ctx.Done():
				_ = c.Close(protocol.SessionEnded, "host stopped listening")
			}
		}()
	}
}

// confirm runs the key confirmation on a new connection; path is its PathContext (nil for a direct one), from
// where it counts as coming from for the gate's limits.
func (l *Listener) confirm(qc *quic.Conn, path []byte, from net.Addr) (*Conn, error) {
	ctx, cancel := context.WithTimeout(l.ctx, ConfirmTimeout)
	defer cancel()
	peer, err := peerID(qc.ConnectionState().TLS.PeerCertificates)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.ProtocolViolation, Detail: err.Error()}
	}
	b, err := bindingOf(qc, l.id.ID(), peer, path)
	if err != nil {
		return nil, err
	}
	st, err := qc.AcceptStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("waiting for key confirmation: %w", remoteCause(qc, err))
	}
	defer func() { _ = st.Close() }()
	stopDeadline := setDeadline(ctx, st)
	defer stopDeadline()
	v, err := confirmListener(st, l.gate, peer, from, b, rand.Reader)
	if err != nil {
		err = remoteCause(qc, err)
		closeWith(qc, err) // before the deferred stream close, so the dialer reads the reason, not an EOF
		return nil, err
	}
	return &Conn{qc: qc, peer: peer, version: v}, nil
}

// DialConfig configures Dial.
type DialConfig struct {
	// Identity is this side's certificate; required.
	Identity *Identity
	// Secret is the support key (or unattended secret) to confirm.
	Secret []byte
	// IdleTimeout, if set, replaces IdleTimeout for this connection (tests shorten it).
	IdleTimeout time.Duration
	// PathContext is what DialPath's caller knows of the path (PathContext), the same bytes as the listener's
	// ServePath; nil for Dial.
	PathContext []byte
	// LocalAddr is the UDP address Dial sends from (host or host:port); empty lets the system choose.
	LocalAddr string
	// Expect, when set, is the only certificate fingerprint accepted from the listener (an unattended computer
	// saved with its ID): another one ends the connection with IdentityChanged before any proof of the secret.
	Expect ID
}

// Dial connects to a listener at the UDP address addr and confirms the secret.
func Dial(ctx context.Context, addr string, cfg DialConfig) (*Conn, error) {
	if cfg.Identity == nil {
		return nil, errors.New("transport: Dial needs an identity")
	}
	qc, err := dialQUIC(ctx, addr, cfg)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.Unreachable, Detail: fmt.Sprintf("connecting to %s: %v", addr, err)}
	}
	c, err := dialConfirm(ctx, qc, cfg)
	if err != nil {
		closeWith(qc, err)
		return nil, err
	}
	return c, nil
}

// dialQUIC makes the QUIC connection of Dial, from cfg.LocalAddr when it is set.
func dialQUIC(ctx context.Context, addr string, cfg DialConfig) (*quic.Conn, error) {
	var laddr *net.UDPAddr
	if local := cfg.LocalAddr; local != "" {
		if _, _, err := net.SplitHostPort(local); err != nil {
			local = net.JoinHostPort(local, "0")
		}
		var err error
		if laddr, err = net.ResolveUDPAddr("udp", local); err != nil {
			return nil, err
		}
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	tr, sock, err := socket(laddr)
	if err != nil {
		return nil, err
	}
	release := func() { closePath(tr, sock) }
	qc, err := tr.Dial(ctx, raddr, tlsConfig(cfg.Identity), quicConfig(cfg.IdleTimeout))
	if err != nil {
		release()
		return nil, err
	}
	context.AfterFunc(qc.Context(), release)
	return qc, nil
}

func dialConfirm(ctx context.Context, qc *quic.Conn, cfg DialConfig) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, ConfirmTimeout)
	defer cancel()
	peer, err := peerID(qc.ConnectionState().TLS.PeerCertificates)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.ProtocolViolation, Detail: err.Error()}
	}
	if cfg.Expect != (ID{}) && peer != cfg.Expect {
		return nil, &protocol.Error{Code: protocol.IdentityChanged, Detail: "the computer presented " + peer.String()}
	}
	b, err := bindingOf(qc, peer, cfg.Identity.ID(), cfg.PathContext)
	if err != nil {
		return nil, err
	}
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, remoteCause(qc, err)
	}
	defer func() { _ = st.Close() }()
	stopDeadline := setDeadline(ctx, st)
	defer stopDeadline()
	v, err := confirmDialer(st, cfg.Secret, b, rand.Reader)
	if err != nil {
		err = remoteCause(qc, err)
		closeWith(qc, err)
		return nil, err
	}
	return &Conn{qc: qc, peer: peer, version: v}, nil
}

func bindingOf(qc *quic.Conn, listener, dialer ID, path []byte) (binding, error) {
	cs := qc.ConnectionState().TLS
	ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, exporterSize)
	if err != nil {
		return binding{}, fmt.Errorf("exporting TLS keying material: %w", err)
	}
	return newBinding(ekm, listener, dialer, path), nil
}

// setDeadline makes reads and writes on st fail once ctx ends; the returned func stops watching.
func setDeadline(ctx context.Context, st *quic.Stream) func() {
	if d, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.SetDeadline(time.Now()) })
	return func() { stop() }
}

// closeWith closes qc with the code that err carries (protocol.CodeOf: Timeout for a deadline, Internal when
// it carries none). Only a protocol.Error's Detail is sent: other errors may hold local details.
func closeWith(qc *quic.Conn, err error) {
	code, detail := protocol.CodeOf(err), ""
	var pe *protocol.Error
	if errors.As(err, &pe) {
		detail = pe.Detail
	}
	_ = qc.CloseWithError(quic.ApplicationErrorCode(code), detail)
}

// remoteCause prefers the reason the peer gave for closing the connection over the local symptom err, unless
// the peer gave none (NoError). A stream that ended early (EOF) usually means the peer is closing the
// connection with a reason on its way, so it waits a moment for that.
func remoteCause(qc *quic.Conn, err error) error {
	if pe := asProtocolError(err); pe != nil && pe.Code != protocol.NoError {
		return pe
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		select {
		case <-qc.Context().Done():
		case <-time.After(closeGrace):
		}
	}
	select {
	case <-qc.Context().Done():
		if cause := asProtocolError(context.Cause(qc.Context())); cause != nil && cause.Code != protocol.NoError {
			return cause
		}
	default:
	}
	return err
}

// closeGrace is how long remoteCause waits for the reason behind an early end of stream.
const closeGrace = 2 * time.Second

// asProtocolError maps a connection's end to a *protocol.Error, or nil when it is not one. The code a peer
// closed the connection with, or the network's silence, wins over a *protocol.Error that a reader wrapped
// around that event.
func asProtocolError(err error) *protocol.Error {
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		return &protocol.Error{Code: protocol.Code(ae.ErrorCode), Detail: ae.ErrorMessage}
	}
	var ie *quic.IdleTimeoutError
	if errors.As(err, &ie) {
		return &protocol.Error{Code: protocol.ConnectionLost, Detail: err.Error()}
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// Cause returns why a stream or connection operation failed: the *protocol.Error the peer closed with (or
// ConnectionLost when the network went silent) if err carries one, else err itself.
func Cause(err error) error {
	if pe := asProtocolError(err); pe != nil {
		return pe
	}
	return err
}

// PeerID returns the fingerprint of the peer's certificate.
func (c *Conn) PeerID() ID { return c.peer }

// Version returns the protocol version both sides agreed on.
func (c *Conn) Version() int { return int(c.version) }

// Traffic returns QUIC's smoothed round trip and the bytes received so far on the connection.
func (c *Conn) Traffic() (rtt time.Duration, received uint64) {
	st := c.qc.ConnectionStats()
	return st.SmoothedRTT, st.BytesReceived
}

// QueueDelay returns how much longer than the shortest round trip the latest one was: the time datagrams now wait
// in queues along the path (0 before the first round trip).
func (c *Conn) QueueDelay() time.Duration {
	st := c.qc.ConnectionStats()
	return max(0, st.LatestRTT-st.MinRTT)
}

// MinRTT returns the shortest round trip QUIC has seen on the connection (0 before the first).
func (c *Conn) MinRTT() time.Duration { return c.qc.ConnectionStats().MinRTT }

// RemoteAddr returns the peer's UDP address (over a path, the address the path gives for the peer).
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// Path returns the path the connection runs over (what ServePath or DialPath was given), nil when it runs
// over a socket of the transport's own: the caller may ask it how it goes (direct, relayed).
func (c *Conn) Path() net.PacketConn { return c.path }

// closedChan is a channel that is already closed.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// PathClosed is closed once the connection has ended and its path (if any) has been closed with it: the owner
// of a session waits for it so that nothing of the connection outlives the session.
func (c *Conn) PathClosed() <-chan struct{} {
	if c.pathClosed == nil {
		return closedChan
	}
	return c.pathClosed
}

// Urgency is the sending priority of each stream kind, as quic-go takes it (RFC 9218 urgency: 0 is sent
// first, 7 last): what a person is waiting on goes ahead of frames, and frames ahead of files, so that a large
// transfer never delays control, consent, input, chat or the screen. OpenStream and AcceptStream apply it.
func Urgency(k protocol.StreamKind) int8 {
	switch k {
	case protocol.Control, protocol.Consent, protocol.Input:
		return 0
	case protocol.Chat:
		return 1
	case protocol.Screen:
		return 4
	case protocol.File:
		return 6
	}
	return 3 // quic-go's default
}

// OpenStream opens an application stream with its kind's Urgency and sends its header, so the peer sees it at
// once.
func (c *Conn) OpenStream(ctx context.Context, h protocol.StreamHeader) (*quic.Stream, error) {
	st, err := c.qc.OpenStreamSync(ctx)
	if err != nil {
		return nil, c.wrap("opening stream", err)
	}
	st.SetPriority(Urgency(h.Kind), false)
	if err := protocol.WriteStreamHeader(st, h); err != nil {
		Refuse(st, protocol.Internal)
		return nil, c.wrap("sending stream header", err)
	}
	return st, nil
}

// AcceptStream waits for the peer's next application stream, reads its header and gives it its kind's Urgency. A
// stream with a bad header
// is cancelled and skipped, as quic-go's http3 does with unknown stream types.
func (c *Conn) AcceptStream(ctx context.Context) (protocol.StreamHeader, *quic.Stream, error) {
	for {
		st, err := c.qc.AcceptStream(ctx)
		if err != nil {
			return protocol.StreamHeader{}, nil, c.wrap("accepting stream", err)
		}
		h, err := protocol.ReadStreamHeader(st)
		if err != nil {
			Refuse(st, protocol.ProtocolViolation)
			continue
		}
		st.SetPriority(Urgency(h.Kind), false) // for what this side sends back on it
		return h, st, nil
	}
}

// Refuse abandons both directions of a stream, telling the peer why: for a stream that has no business here or
// whose start could not be sent.
func Refuse(st *quic.Stream, code protocol.Code) {
	st.CancelRead(quic.StreamErrorCode(code))
	st.CancelWrite(quic.StreamErrorCode(code))
}

// SendDatagram sends b as one unreliable QUIC datagram: for state whose newest value is all that matters (the
// pointer's position). It fails when b does not fit in one packet.
func (c *Conn) SendDatagram(b []byte) error {
	if err := c.qc.SendDatagram(b); err != nil {
		return c.wrap("sending datagram", err)
	}
	return nil
}

// ReceiveDatagram waits for the peer's next datagram.
func (c *Conn) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	b, err := c.qc.ReceiveDatagram(ctx)
	if err != nil {
		return nil, c.wrap("receiving datagram", err)
	}
	return b, nil
}

// Close ends the connection at once, telling the peer why.
func (c *Conn) Close(code protocol.Code, reason string) error {
	return c.qc.CloseWithError(quic.ApplicationErrorCode(code), reason)
}

// Done is closed when the connection has ended, for any reason.
func (c *Conn) Done() <-chan struct{} { return c.qc.Context().Done() }

// Err says why the connection ended (nil while it runs): a *protocol.Error when the peer gave a code or the
// network went silent.
func (c *Conn) Err() error {
	select {
	case <-c.qc.Context().Done():
	default:
		return nil
	}
	cause := context.Cause(c.qc.Context())
	if pe := asProtocolError(cause); pe != nil {
		return pe
	}
	return &protocol.Error{Code: protocol.ConnectionLost, Detail: fmt.Sprint(cause)}
}

func (c *Conn) wrap(what string, err error) error {
	if cerr := c.Err(); cerr != nil {
		return fmt.Errorf("%s: %w", what, cerr)
	}
	return fmt.Errorf("%s: %w", what, err)
}
