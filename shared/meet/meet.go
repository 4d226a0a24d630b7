// Package meet holds what the programs share when a rendezvous helps them find a path: the path options
// (loopback only, relay only, a pinned relay) and the ICE configuration made from a rendezvous's relays. Both
// the session (support keys) and unattended access (computers found by their ID) use it.
package meet

import (
	"log/slog"
	"net"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport/icepath"
)

// PathOptions tune how the two programs look for a path through a rendezvous. The zero value is right for
// real use.
type PathOptions struct {
	// Loopback keeps the path on this machine's loopback addresses (a demo or a test with both programs and
	// the rendezvous on one machine): no other address is offered or tried.
	Loopback bool
	// RelayOnly sends everything through the rendezvous's relay: this computer's addresses are never shown
	// to the other side (for networks where that matters, and for tests).
	RelayOnly bool
	// TURNInsecureSkipVerify accepts any certificate from the relay's TLS port (a test relay's own).
	TURNInsecureSkipVerify bool
	// Log, if set, gets one line per path attempt (never a key or credential).
	Log *slog.Logger
}

// For adapts o to the rendezvous at url: a rendezvous whose certificate is pinned in its URL (a self-signed
// one) serves TURN over TLS with that certificate too, which the system's roots cannot check. The relay only
// ever sees QUIC packets, encrypted end to end, so its certificate guards nothing of the session.
func (o PathOptions) For(url string) PathOptions {
	if e, err := rendezvous.ParseURL(url); err == nil && e.Pin != nil {
		o.TURNInsecureSkipVerify = true
	}
	return o
}

// ICEConfig is the configuration of one ICE attempt with the rendezvous's relays.
func (o PathOptions) ICEConfig(servers []rendezvous.ICEServer) icepath.Config {
	cfg := icepath.Config{IncludeLoopback: o.Loopback, RelayOnly: o.RelayOnly,
		TURNInsecureSkipVerify: o.TURNInsecureSkipVerify, Log: o.Log}
	if o.Loopback {
		cfg.IPFilter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, icepath.Server{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return cfg
}
