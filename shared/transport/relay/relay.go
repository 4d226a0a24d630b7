// Package relay is a UDP relay for tests: it stands between a client and a server like a network path, and can
// cut that path (every datagram dropped, both ways) and restore it, so that tests see a connection drop and
// come back over the real QUIC stack.
package relay

import (
	"net"
	"sync"
	"testing"
)

// Relay passes UDP datagrams between clients and a server, like a network path; Cut makes it drop everything
// (the network went away) until it is undone.
type Relay struct {
	front  *net.UDPConn
	server *net.UDPAddr

	mu      sync.Mutex
	cut     bool
	clients map[string]*net.UDPConn // client address → the relay's socket towards the server for it
	wg      sync.WaitGroup
}

// New starts a relay to server ("host:port") that the test stops at its end.
func New(t testing.TB, server string) *Relay {
	t.Helper()
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		t.Fatal(err)
	}
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{front: front, server: sa, clients: map[string]*net.UDPConn{}}
	r.wg.Go(r.forward)
	t.Cleanup(r.close)
	return r
}

// Addr is where clients send: use it in place of the server's address.
func (r *Relay) Addr() string { return r.front.LocalAddr().String() }

// Cut drops every datagram both ways while on.
func (r *Relay) Cut(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = on
}

func (r *Relay) dropping() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cut
}

// forward reads the clients' datagrams and sends them on to the server, each client through its own socket.
func (r *Relay) forward() {
	buf := make([]byte, 65536)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if r.dropping() {
			continue
		}
		r.mu.Lock()
		up, ok := r.clients[from.String()]
		if !ok {
			up, err = net.DialUDP("udp", nil, r.server)
			if err == nil {
				r.clients[from.String()] = up
				r.wg.Go(func() { r.back(up, from) })
			}
		}
		r.mu.Unlock()
		if up != nil {
			_, _ = up.Write(buf[:n])
		}
	}
}

// back sends the server's datagrams for one client back to it.
func (r *Relay) back(up *net.UDPConn, client *net.UDPAddr) {
	buf := make([]byte, 65536)
	for {
		n, err := up.Read(buf)
		if err != nil {
			return
		}
		if !r.dropping() {
			_, _ = r.front.WriteToUDP(buf[:n], client)
		}
	}
}

func (r *Relay) close() {
	_ = r.front.Close()
	r.mu.Lock()
	for _, up := range r.clients {
		_ = up.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
