package session

import (
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/icepath"
)

// Route says how a connection reaches the other side, for the programs to show (viewer, customer window,
// session report, logs).
type Route struct {
	// Rendezvous is the host of the rendezvous that helped the two sides meet; empty for a direct link.
	Rendezvous string
	// Relayed is true when the packets go through the rendezvous's TURN relay rather than straight between
	// the two computers (still end-to-end encrypted: the relay sees only QUIC packets).
	Relayed bool
	// Local and Remote describe the ICE pair in use ("srflx udp 203.0.113.7:40122"), for logs and reports;
	// empty for a direct link.
	Local, Remote string
}

// routeOf says how c runs: over an ICE path that rendezvousURL helped find, or over the transport's own socket.
func routeOf(c *transport.Conn, rendezvousURL string) Route {
	p, ok := c.Path().(*icepath.Path)
	if !ok {
		return Route{}
	}
	return Route{Rendezvous: rendezvous.HostOf(rendezvousURL), Relayed: p.Kind() == icepath.Relayed,
		Local: p.LocalCandidate(), Remote: p.RemoteCandidate()}
}

// String describes the route for logs and reports, in English: "direct", "direct, met through rv.example.com
// (srflx udp 203.0.113.7:40122 ↔ host udp 198.51.100.4:50000)", "relayed through rv.example.com (…)".
func (r Route) String() string {
	s := "direct"
	switch {
	case r.Relayed:
		s = "relayed through " + r.Rendezvous
	case r.Rendezvous != "":
		s = "direct, met through " + r.Rendezvous
	}
	if r.Local != "" || r.Remote != "" {
		s += " (" + r.Local + " ↔ " + r.Remote + ")"
	}
	return s
}
