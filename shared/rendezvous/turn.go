package rendezvous

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// turnRelay is the embedded TURN/STUN server (pion/turn) with its listeners.
type turnRelay struct {
	srv                       *turn.Server
	udpAddr, tcpAddr, tlsAddr net.Addr
}

// startTURN opens the configured TURN listeners and starts pion/turn on them. It returns nil, nil when no
// listener is configured.
func startTURN(cfg Config, m *metrics) (_ *turnRelay, err error) {
	if cfg.TURNUDPListen == "" && cfg.TURNTCPListen == "" && cfg.TURNTLSListen == "" {
		return nil, nil
	}
	r := &turnRelay{}
	var closers []func() error
	defer func() {
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
		}
	}()
	var listenIP net.IP
	noteIP := func(a net.Addr) {
		if listenIP == nil {
			listenIP = remoteIP(a)
		}
	}

	var udp net.PacketConn
	if cfg.TURNUDPListen != "" {
		udp, err = net.ListenPacket("udp", cfg.TURNUDPListen)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: TURN UDP listener: %w", err)
		}
		closers = append(closers, udp.Close)
		r.udpAddr = udp.LocalAddr()
		noteIP(r.udpAddr)
	}
	var tcp, tlsl net.Listener
	if cfg.TURNTCPListen != "" {
		tcp, err = net.Listen("tcp", cfg.TURNTCPListen)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: TURN TCP listener: %w", err)
		}
		closers = append(closers, tcp.Close)
		r.tcpAddr = tcp.Addr()
		noteIP(r.tcpAddr)
	}
	if cfg.TURNTLSListen != "" {
		tc := cfg.TLS.Clone()
		tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
		tlsl, err = tls.Listen("tcp", cfg.TURNTLSListen, tc)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: TURN TLS listener: %w", err)
		}
		closers = append(closers, tlsl.Close)
		r.tlsAddr = tlsl.Addr()
		noteIP(r.tlsAddr)
	}

	relayIP := cfg.PublicIP
	if relayIP == nil {
		if listenIP == nil || listenIP.IsUnspecified() {
			return nil, errors.New("rendezvous: TURN listens on all addresses: set the public relay IP")
		}
		relayIP = listenIP
	}
	bindIP := "0.0.0.0"
	if listenIP != nil && !listenIP.IsUnspecified() {
		bindIP = listenIP.String()
	} else if relayIP.To4() == nil {
		bindIP = "::"
	}
	var gen turn.RelayAddressGenerator = &turn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: bindIP}
	if cfg.RelayPortMin != 0 {
		gen = &turn.RelayAddressGeneratorPortRange{
			RelayAddress: relayIP, Address: bindIP, MinPort: cfg.RelayPortMin, MaxPort: cfg.RelayPortMax,
		}
	}

	gen = countingGenerator{gen, m}
	perm := permissionHandler(cfg.AllowPrivatePeers, m, cfg.Log)
	sc := turn.ServerConfig{
		Realm:         cfg.Realm,
		LoggerFactory: pionLogs{cfg.Log},
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(string(cfg.TURNSecret), pionLogger{cfg.Log, "turn-auth"}),
	}
	quota := newQuota(cfg.MaxAllocationsPerUser, cfg.MaxAllocations, m, cfg.Log)
	sc.QuotaHandler = quota.allow
	sc.EventHandler = turn.EventHandler{
		OnAuth: func(src, _ net.Addr, _, _, _, method string, verdict bool) {
			if !verdict {
				m.turnAuthFailures.Add(1)
				cfg.Log.Debug("TURN credential refused", "remote", addrString(src), "method", method)
			}
		},
		OnAllocationCreated: func(src, _ net.Addr, proto, user, _ string, relay net.Addr, _ int) {
			quota.created(user)
			cfg.Log.Info("TURN allocation", "principal", user, "remote", addrString(src), "proto", proto, "relay", addrString(relay))
		},
		OnAllocationDeleted: func(src, _ net.Addr, _, user, _ string) {
			quota.deleted(user)
			cfg.Log.Debug("TURN allocation ended", "principal", user, "remote", addrString(src))
		},
	}
	if udp != nil {
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, turn.PacketConnConfig{
			PacketConn: udp, RelayAddressGenerator: gen, PermissionHandler: perm,
		})
	}
	for _, l := range []net.Listener{tcp, tlsl} {
		if l != nil {
			sc.ListenerConfigs = append(sc.ListenerConfigs, turn.ListenerConfig{
				Listener: l, RelayAddressGenerator: gen, PermissionHandler: perm,
			})
		}
	}
	r.srv, err = turn.NewServer(sc)
	if err != nil {
		return nil, fmt.Errorf("rendezvous: TURN server: %w", err)
	}
	return r, nil
}

// Close stops the TURN server and closes its listeners.
func (r *turnRelay) Close() error {
	if r == nil {
		return nil
	}
	if err := r.srv.Close(); err != nil {
		return fmt.Errorf("rendezvous: closing TURN server: %w", err)
	}
	return nil
}

// quota enforces MaxAllocationsPerUser and MaxAllocations, counting allocations through pion's events.
type quota struct {
	mu              sync.Mutex
	perUser         map[string]int
	total           int
	maxUser, maxAll int
	m               *metrics
	log             *slog.Logger
}

func newQuota(maxUser, maxAll int, m *metrics, log *slog.Logger) *quota {
	return &quota{perUser: make(map[string]int), maxUser: maxUser, maxAll: maxAll, m: m, log: log}
}

func (q *quota) allow(user, _ string, src net.Addr) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.total >= q.maxAll || q.perUser[user] >= q.maxUser {
		q.log.Info("TURN allocation quota reached", "principal", user, "remote", addrString(src))
		return false
	}
	return true
}

func (q *quota) created(user string) {
	q.mu.Lock()
	q.perUser[user]++
	q.total++
	q.mu.Unlock()
	q.m.turnAllocations.Add(1)
	q.m.turnAllocationsLive.Add(1)
}

func (q *quota) deleted(user string) {
	q.mu.Lock()
	if q.perUser[user] > 1 {
		q.perUser[user]--
	} else {
		delete(q.perUser, user)
	}
	if q.total > 0 {
		q.total--
	}
	q.mu.Unlock()
	q.m.turnAllocationsLive.Add(-1)
}

// permissionHandler refuses TURN permissions toward addresses a relay must not reach from the outside, unless
// allowPrivate (tests) is set.
func permissionHandler(allowPrivate bool, m *metrics, log *slog.Logger) turn.PermissionHandler {
	return func(client net.Addr, peer net.IP) bool {
		if allowPrivate || publicPeer(peer) {
			return true
		}
		m.turnPermsRefused.Add(1)
		log.Info("TURN permission refused toward a non-public address", "remote", addrString(client), "peer", peer.String())
		return false
	}
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// publicPeer reports whether a relay may send to ip: not private, loopback, link-local (this includes the cloud
// metadata address 169.254.169.254), unspecified, multicast, CGNAT or reserved. fd00:ec2::254 is in fc00::/7.
func publicPeer(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// turnCredentials returns a TURN REST user name "<unix expiry>:<principal>" and its password.
func turnCredentials(secret []byte, principal string, lifetime time.Duration) (string, string, error) {
	u, p, err := turn.GenerateLongTermTURNRESTCredentials(string(secret), principal, lifetime)
	if err != nil {
		return "", "", fmt.Errorf("rendezvous: TURN credentials: %w", err)
	}
	return u, p, nil
}

// iceURLs lists the STUN and TURN URLs handed to clients: the external ones when configured, else one per
// embedded listener.
func iceURLs(cfg Config, r *turnRelay) (stunURLs, turnURLs []string) {
	if len(cfg.ExternalTURN) > 0 {
		for _, u := range cfg.ExternalTURN {
			if len(u) >= 5 && u[:5] == "stun:" {
				stunURLs = append(stunURLs, u)
			} else {
				turnURLs = append(turnURLs, u)
			}
		}
		return stunURLs, turnURLs
	}
	if r == nil {
		return nil, nil
	}
	host := func(a net.Addr) string {
		if cfg.PublicHost != "" {
			return cfg.PublicHost
		}
		if cfg.PublicIP != nil {
			return cfg.PublicIP.String()
		}
		return remoteIP(a).String()
	}
	hp := func(a net.Addr) string {
		_, port, _ := net.SplitHostPort(a.String())
		return net.JoinHostPort(host(a), port)
	}
	if r.udpAddr != nil {
		stunURLs = append(stunURLs, "stun:"+hp(r.udpAddr))
		turnURLs = append(turnURLs, "turn:"+hp(r.udpAddr)+"?transport=udp")
	}
	if r.tcpAddr != nil {
		turnURLs = append(turnURLs, "turn:"+hp(r.tcpAddr)+"?transport=tcp")
	}
	if r.tlsAddr != nil {
		turnURLs = append(turnURLs, "turns:"+hp(r.tlsAddr)+"?transport=tcp")
	}
	return stunURLs, turnURLs
}

// pionLogs adapts slog to pion's LoggerFactory. pion's errors are mostly caused by remote clients, so they are
// logged at Info; trace output is dropped.
type pionLogs struct{ log *slog.Logger }

// NewLogger implements logging.LoggerFactory.
func (f pionLogs) NewLogger(scope string) logging.LeveledLogger { return pionLogger{f.log, scope} }

type pionLogger struct {
	log   *slog.Logger
	scope string
}

func (l pionLogger) out(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg, "component", "turn", "scope", l.scope)
}

func (l pionLogger) Trace(string)                 {}
func (l pionLogger) Tracef(string, ...any)        {}
func (l pionLogger) Debug(msg string)             { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(f string, args ...any) { l.out(slog.LevelDebug, fmt.Sprintf(f, args...)) }
func (l pionLogger) Info(msg string)              { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Infof(f string, args ...any)  { l.out(slog.LevelDebug, fmt.Sprintf(f, args...)) }
func (l pionLogger) Warn(msg string)              { l.out(slog.LevelInfo, msg) }
func (l pionLogger) Warnf(f string, args ...any)  { l.out(slog.LevelInfo, fmt.Sprintf(f, args...)) }
func (l pionLogger) Error(msg string)             { l.out(slog.LevelInfo, msg) }
func (l pionLogger) Errorf(f string, args ...any) { l.out(slog.LevelInfo, fmt.Sprintf(f, args...)) }

// countingGenerator hands out relay sockets that count the bytes they relay, for the metrics.
type countingGenerator struct {
	turn.RelayAddressGenerator
	m *metrics
}

func (g countingGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, addr, err := g.RelayAddressGenerator.AllocatePacketConn(c)
	if err != nil {
		return nil, nil, err
	}
	return countingConn{conn, g.m}, addr, nil
}

// countingConn is a relay socket: what it reads came from peers, what it writes goes to them.
type countingConn struct {
	net.PacketConn
	m *metrics
}

func (c countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	c.m.turnFromPeers.Add(int64(n))
	return n, addr, err
}

func (c countingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	c.m.turnToPeers.Add(int64(n))
	return n, err
}
