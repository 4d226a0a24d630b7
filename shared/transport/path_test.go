package transport

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// udpPath opens a loopback UDP socket to stand for one end of a path: ServePath and DialPath take any
// net.PacketConn, and a socket is the simplest real one. It notes when it is closed.
func udpPath(t *testing.T) *watchedConn {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &watchedConn{UDPConn: pc, closed: make(chan struct{})}
}

type watchedConn struct {
	*net.UDPConn
	once   sync.Once
	closed chan struct{}
}

func (w *watchedConn) Close() error {
	w.once.Do(func() { close(w.closed) })
	return w.UDPConn.Close()
}

// pathHost is a listener without a socket of its own, serving one path.
func pathHost(t *testing.T, key *SupportKey, pc net.PacketConn, ctx []byte) *Listener {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("", ListenConfig{Identity: id, Gate: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if ln.Addr() != nil {
		t.Fatalf("a listener without a socket has address %v", ln.Addr())
	}
	if err := ln.ServePath(pc, ctx, ""); err != nil {
		t.Fatal(err)
	}
	return ln
}

func dialPath(t *testing.T, pc net.PacketConn, remote net.Addr, secret string, ctx []byte) (*Conn, error) {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return DialPath(dctx, pc, remote, DialConfig{Identity: id, Secret: []byte(secret), PathContext: ctx})
}

// closed reports whether a path has been closed, waiting up to wait for it.
func closed(pc *watchedConn, wait time.Duration) bool {
	select {
	case <-pc.closed:
		return true
	case <-time.After(wait):
		return false
	}
}

func TestPathCarriesAConfirmedConnectionAndClosesWithIt(t *testing.T) {
	key, err := NewNameplateKeyGate("4821", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if np, _ := SplitKey(key.Key()); np != "4821" || len(key.Key()) != KeyDigits {
		t.Fatalf("key %q does not start with its nameplate", key.Key())
	}
	a, b := udpPath(t), udpPath(t)
	ctx := PathContext("4821", "mailbox", "ufragA", "ufragB")
	ln := pathHost(t, key, a, ctx)
	_, secret := SplitKey(key.Key())
	dc, err := dialPath(t, b, a.LocalAddr(), secret, ctx)
	if err != nil {
		t.Fatalf("dial over the path with the key's secret: %v", err)
	}
	lc, err := ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st, err := dc.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.Chat})
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("salut"))
	st.Close()
	_, rs, err := lc.AcceptStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rs); err != nil || string(got) != "salut" {
		t.Fatalf("read %q, %v", got, err)
	}
	if dc.Path() != net.PacketConn(b) || lc.Path() != net.PacketConn(a) {
		t.Fatal("a connection does not name the path it runs over")
	}
	if closed(a, 0) || closed(b, 0) {
		t.Fatal("a path closed while its connection runs")
	}
	dc.Close(protocol.SessionEnded, "")
	<-lc.Done()
	if code := protocol.CodeOf(lc.Err()); code != protocol.SessionEnded {
		t.Fatalf("the listener's side ended with %v, want the dialer's session-ended", code)
	}
	for _, pc := range []*watchedConn{a, b} {
		if !closed(pc, 5*time.Second) {
			t.Fatalf("path %v still open after its connection ended", pc.LocalAddr())
		}
	}
}

func TestPathConfirmationRefusesWhatDoesNotMatch(t *testing.T) {
	for _, tc := range []struct {
		name           string
		hostCtx, dialC []byte
		secret         func(key string) string
	}{
		{"the rendezvous told the two sides different ufrags", PathContext("4821", "m", "a", "b"),
			PathContext("4821", "m", "a", "x"), func(k string) string { _, s := SplitKey(k); return s }},
		{"fields moved between neighbours", PathContext("4821", "ma", "b"),
			PathContext("4821", "m", "ab"), func(k string) string { _, s := SplitKey(k); return s }},
		{"the whole key is not the secret", PathContext("4821"), PathContext("4821"),
			func(k string) string { return k }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := NewNameplateKeyGate("4821", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			a, b := udpPath(t), udpPath(t)
			ln := pathHost(t, key, a, tc.hostCtx)
			_, err = dialPath(t, b, a.LocalAddr(), tc.secret(key.Key()), tc.dialC)
			wantCode(t, err, protocol.WrongKey)
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			if c, err := ln.Accept(ctx); err == nil {
				c.Close(protocol.NoError, "")
				t.Fatal("listener accepted a connection whose path context or secret differs")
			}
			if !closed(b, 5*time.Second) {
				t.Fatal("the dialer's path is still open after a refused confirmation")
			}
		})
	}
}

func TestNameplateKeyGateRefusesBadNameplates(t *testing.T) {
	for _, np := range []string{"", "123", "12345", "12a4"} {
		if _, err := NewNameplateKeyGate(np, time.Minute); err == nil {
			t.Errorf("nameplate %q accepted", np)
		}
	}
}
