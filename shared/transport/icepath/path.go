package icepath

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
)

// Kind tells a direct path from a relayed one.
type Kind int

const (
	// Direct: both selected candidates are host, server-reflexive or peer-reflexive; packets go straight
	// from one program to the other (through NATs).
	Direct Kind = iota
	// Relayed: at least one selected candidate is a TURN relay; packets pass through the relay server.
	Relayed
)

// String returns "direct" or "relayed".
func (k Kind) String() string {
	switch k {
	case Direct:
		return "direct"
	case Relayed:
		return "relayed"
	default:
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Path is a connected ICE candidate pair, used as a net.PacketConn with one fixed peer (see the package
// documentation). It is safe for concurrent use; Close it when done, also after it is lost.
type Path struct {
	agent *ice.Agent
	conn  *ice.Conn

	gen         uint64
	offerer     bool
	localUfrag  string
	remoteUfrag string

	kind            Kind
	localCandidate  string
	remoteCandidate string
	localAddr       *net.UDPAddr
	remoteAddr      *net.UDPAddr

	endOnce sync.Once
	done    chan struct{}
	lost    atomic.Bool
}

var _ net.PacketConn = (*Path)(nil)

// setPair fills in what the selected pair tells about the path.
func (p *Path) setPair(local, remote ice.Candidate) {
	p.kind = Direct
	if local.Type() == ice.CandidateTypeRelay || remote.Type() == ice.CandidateTypeRelay {
		p.kind = Relayed
	}
	p.localCandidate, p.remoteCandidate = describe(local), describe(remote)
	p.localAddr, p.remoteAddr = udpAddr(local), udpAddr(remote)
}

// describe gives a candidate as "type protocol address", e.g. "relay udp 203.0.113.5:50000"; a local relay
// reached over TCP or TLS says so ("relay udp 203.0.113.5:50000 via tls").
func describe(c ice.Candidate) string {
	s := fmt.Sprintf("%s %s %s", c.Type(), c.NetworkType().NetworkShort(),
		net.JoinHostPort(c.Address(), strconv.Itoa(c.Port())))
	if r, ok := c.(*ice.CandidateRelay); ok && r.RelayProtocol() != "" && r.RelayProtocol() != "udp" {
		s += " via " + r.RelayProtocol()
	}
	return s
}

func udpAddr(c ice.Candidate) *net.UDPAddr {
	ip, err := netip.ParseAddr(c.Address())
	if err != nil {
		return &net.UDPAddr{Port: c.Port()}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip.Unmap(), uint16(c.Port()))) //nolint:gosec // a port
}

// end closes Done once; lost says whether the path died rather than being closed.
func (p *Path) end(lost bool) {
	p.endOnce.Do(func() {
		if lost {
			p.lost.Store(true)
		}
		close(p.done)
	})
}

// lose is called from the agent's state callback when ICE reports the path failed: it ends the path and
// closes the agent, which makes blocked reads return (pion only releases the candidates on failure; its
// reads would block until a deadline).
func (p *Path) lose() {
	p.end(true)
	_ = p.agent.Close() // not GracefulClose: we are inside an agent callback
}

func (p *Path) isDone() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ioErr turns an error of the ICE connection into this package's: a timeout stays as it is (deadlines),
// a lost path gives ErrPathLost, a closed one net.ErrClosed.
func (p *Path) ioErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	if p.lost.Load() {
		return ErrPathLost
	}
	if p.isDone() {
		return net.ErrClosed
	}
	return err
}

// ReadFrom reads one datagram from the peer and reports it as coming from RemoteAddr.
func (p *Path) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := p.conn.Read(b)
	if err != nil {
		return n, nil, p.ioErr(err)
	}
	return n, p.remoteAddr, nil
}

// WriteTo sends b to the peer over the selected pair; addr is ignored (there is only one peer).
func (p *Path) WriteTo(b []byte, _ net.Addr) (int, error) {
	if stun.IsMessage(b) {
		// Both agents would take this datagram (by chance shaped like a STUN message, odds 2^-32) for ICE
		// and drop it; report it sent: it is one lost packet, which QUIC repairs.
		return len(b), nil
	}
	n, err := p.conn.Write(b)
	if err != nil {
		return n, p.ioErr(err)
	}
	return n, nil
}

// Close ends the path and closes its ICE agent (its sockets and TURN allocations); it waits for the agent's
// goroutines. Closing again does nothing.
func (p *Path) Close() error {
	p.end(false)
	return p.agent.GracefulClose()
}

// LocalAddr returns the address of the selected local candidate.
func (p *Path) LocalAddr() net.Addr { return p.localAddr }

// RemoteAddr returns the fixed address that ReadFrom reports for every datagram: the selected remote
// candidate's. It does not change for the life of the path.
func (p *Path) RemoteAddr() net.Addr { return p.remoteAddr }

// SetDeadline sets the read and write deadlines of the ICE connection.
func (p *Path) SetDeadline(t time.Time) error { return p.conn.SetDeadline(t) }

// SetReadDeadline sets the read deadline of the ICE connection.
func (p *Path) SetReadDeadline(t time.Time) error { return p.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline of the ICE connection (on the selected local candidate).
func (p *Path) SetWriteDeadline(t time.Time) error { return p.conn.SetWriteDeadline(t) }

// SetReadBuffer does nothing and reports success: the ICE agent buffers 1 MB of received datagrams
// whatever the socket's size. quic-go calls it and would otherwise log a warning about buffer sizes.
func (p *Path) SetReadBuffer(int) error { return nil }

// SetWriteBuffer does nothing and reports success, like SetReadBuffer.
func (p *Path) SetWriteBuffer(int) error { return nil }

// Kind tells whether the path is direct or relayed.
func (p *Path) Kind() Kind { return p.kind }

// LocalCandidate describes the selected local candidate, e.g. "srflx udp 198.51.100.7:40000", for logs and
// the session report.
func (p *Path) LocalCandidate() string { return p.localCandidate }

// RemoteCandidate describes the selected remote candidate, like LocalCandidate.
func (p *Path) RemoteCandidate() string { return p.remoteCandidate }

// LocalUfrag returns this side's ICE user fragment.
func (p *Path) LocalUfrag() string { return p.localUfrag }

// RemoteUfrag returns the peer's ICE user fragment.
func (p *Path) RemoteUfrag() string { return p.remoteUfrag }

// OffererUfrag returns the offerer's ICE user fragment (this side's or the peer's), for the key
// confirmation transcript.
func (p *Path) OffererUfrag() string {
	if p.offerer {
		return p.localUfrag
	}
	return p.remoteUfrag
}

// AnswererUfrag returns the answerer's ICE user fragment, for the key confirmation transcript.
func (p *Path) AnswererUfrag() string {
	if p.offerer {
		return p.remoteUfrag
	}
	return p.localUfrag
}

// Generation returns the generation of the attempt that made the path.
func (p *Path) Generation() uint64 { return p.gen }

// Done is closed when the path is lost or closed.
func (p *Path) Done() <-chan struct{} { return p.done }
