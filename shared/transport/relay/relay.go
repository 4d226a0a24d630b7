// Package relay is a UDP relay for tests and benches: it stands between a client and a server like a network
// path. It can cut that path (every datagram dropped, both ways) and restore it, so that tests see a connection
// drop and come back over the real QUIC stack; and it can be a slow link (SetLinks: a bottleneck rate with its
// queue, delay, jitter and loss, each way), since this kernel has no netem.
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

	up, down  *pipe // client → server, server → client
	stop      chan struct{}
	closeOnce sync.Once
}

// New starts a relay to server ("host:port") that the test stops at its end.
func New(t testing.TB, server string) *Relay {
	t.Helper()
	r, err := Start(server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// Start starts a relay to server ("host:port") on a loopback port; Close stops it. Benches use it, tests use New.
func Start(server string) (*Relay, error) {
	sa, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return nil, err
	}
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	r := &Relay{front: front, server: sa, clients: map[string]*net.UDPConn{}, up: newPipe(1), down: newPipe(2),
		stop: make(chan struct{})}
	r.wg.Go(func() { r.up.run(r.stop) })
	r.wg.Go(func() { r.down.run(r.stop) })
	r.wg.Go(r.forward)
	return r, nil
}

// Addr is where clients send: use it in place of the server's address.
func (r *Relay) Addr() string { return r.front.LocalAddr().String() }

// SetLinks makes the path a slow link: up applies to the client's datagrams towards the server, down to the
// server's answers. It applies to the datagrams that come from now on.
func (r *Relay) SetLinks(up, down Link) {
	r.up.set(up)
	r.down.set(down)
}

// Stats returns what each direction did so far.
func (r *Relay) Stats() (up, down LinkStats) { return r.up.snapshot(), r.down.snapshot() }

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
			r.up.push(buf[:n], func(b []byte) { _, _ = up.Write(b) })
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
			r.down.push(buf[:n], func(b []byte) { _, _ = r.front.WriteToUDP(b, client) })
		}
	}
}

// Close stops the relay and waits for its goroutines; it may be called more than once.
func (r *Relay) Close() {
	r.closeOnce.Do(r.close)
}

func (r *Relay) close() {
	close(r.stop)
	_ = r.front.Close()
	r.mu.Lock()
	for _, up := range r.clients {
		_ = up.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
