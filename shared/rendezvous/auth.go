package rendezvous

import (
	"crypto/subtle"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// internalUser is the NATS user of the in-process service connection; its password is drawn at start.
const internalUser = "tandem-internal"

// authenticator implements server.Authentication: the internal service user gets every permission, a client
// with user "tandem" and a hex token gets only the subjects of its principal, everyone else is refused.
type authenticator struct {
	internalPassword string
	log              *slog.Logger
	sources          *sourceMap
}

// Check is called by nats-server for every client connection (TCP, WebSocket and in-process; routes and
// gateways are authorized separately and never reach it).
func (a *authenticator) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	opts := c.GetOpts()
	switch opts.Username {
	case internalUser:
		if subtle.ConstantTimeCompare([]byte(opts.Password), []byte(a.internalPassword)) != 1 {
			a.log.Warn("refused internal user with a wrong password", "remote", addrString(c.RemoteAddress()))
			return false
		}
		c.RegisterUser(&server.User{Username: internalUser}) // nil permissions: everything
		return true
	case clientUser:
		if !validToken(opts.Password) {
			a.log.Info("refused client with a malformed token", "remote", addrString(c.RemoteAddress()))
			return false
		}
		p := Principal(opts.Password)
		c.RegisterUser(&server.User{Username: clientUser, Permissions: clientPermissions(p)})
		if ip := remoteIP(c.RemoteAddress()); ip != nil {
			a.sources.set(p, sourceKey(ip))
		}
		a.log.Debug("client connected", "principal", p, "remote", addrString(c.RemoteAddress()))
		return true
	default:
		a.log.Info("refused client with an unknown user name", "remote", addrString(c.RemoteAddress()))
		return false
	}
}

// clientPermissions lets principal p publish requests and mailbox messages under its own name, subscribe to its
// own inbox, its own events and the mailbox messages addressed to it, and answer the events it receives (the
// service's claim events, which it acknowledges), nothing else: no JetStream API, no system subjects, no other
// principal's subjects.
func clientPermissions(p string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{reqPrefix + p + ".>", mbPrefix + p + ".*.*"}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			inboxPrefix + p + ".>",
			boxPrefix + p + ".>",
			mbPrefix + "*." + p + ".*",
		}},
		Response: &server.ResponsePermission{MaxMsgs: 1, Expires: claimAckWait},
	}
}

func remoteIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// sourceKey names the source a client's requests are counted against: its IPv4 address, or the /64 of its
// IPv6 address (one host usually holds a whole /64).
func sourceKey(ip net.IP) string {
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// sourceMap remembers the source IP of each principal's latest connection, for the per-source rate limits.
// Entries lapse after a day; the map is swept when it grows.
type sourceMap struct {
	mu      sync.Mutex
	entries map[string]sourceEntry
	now     func() time.Time
}

type sourceEntry struct {
	ip   string
	seen time.Time
}

const (
	sourceLife  = 24 * time.Hour
	sourceSweep = 10000
)

func newSourceMap(now func() time.Time) *sourceMap {
	return &sourceMap{entries: make(map[string]sourceEntry), now: now}
}

func (m *sourceMap) set(p, ip string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.entries) >= sourceSweep {
		for k, e := range m.entries {
			if now.Sub(e.seen) > sourceLife {
				delete(m.entries, k)
			}
		}
	}
	m.entries[p] = sourceEntry{ip: ip, seen: now}
}

// source returns the rate-limit key of principal p: its IP if this node saw it connect, else the principal
// itself (a cluster peer's client; NATS prefers local queue subscribers, so this is rare).
func (m *sourceMap) source(p string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[p]; ok {
		return "ip:" + e.ip
	}
	return "p:" + p
}
