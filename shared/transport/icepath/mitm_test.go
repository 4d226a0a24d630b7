package icepath

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// pipe copies datagrams from one path to the other until either ends: a machine in the middle that terminates
// ICE on both sides and passes QUIC along.
func pipe(a, b *Path) {
	buf := make([]byte, 1500)
	for {
		n, _, err := a.ReadFrom(buf)
		if err != nil {
			return
		}
		if _, err := b.WriteTo(buf[:n], nil); err != nil && !errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// confirmOver runs the transport's key confirmation over two paths that the two programs believe they share:
// the technician serves its path, the customer dials with the right secret; each binds the path as it saw it.
func confirmOver(t *testing.T, customer, technician *Path) error {
	t.Helper()
	key, err := transport.NewNameplateKeyGate("4821", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	hostID, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := transport.Listen("", transport.ListenConfig{Identity: hostID, Gate: key})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bind := func(p *Path) []byte {
		return transport.PathContext("4821", "mailbox", p.OffererUfrag(), p.AnswererUfrag())
	}
	if err := ln.ServePath(technician, bind(technician), ""); err != nil {
		t.Fatal(err)
	}
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	_, secret := transport.SplitKey(key.Key())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := transport.DialPath(ctx, customer, customer.RemoteAddr(),
		transport.DialConfig{Identity: id, Secret: []byte(secret), PathContext: bind(customer)})
	if err != nil {
		return err
	}
	defer c.Close(protocol.SessionEnded, "")
	lc, err := ln.Accept(ctx)
	if err != nil {
		t.Fatalf("the customer confirmed but the technician accepted nothing: %v", err)
	}
	lc.Close(protocol.SessionEnded, "")
	return nil
}

// A rendezvous that answers the customer with an ICE agent of its own and offers to the technician with
// another (swapping the candidates and credentials each side sees) can carry the packets, but it cannot get
// the two programs to confirm the key, even the right one: each binds the ICE user fragments it saw.
func TestRendezvousInTheMiddleCannotConfirm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		middle bool
	}{
		{"honest rendezvous", false},
		{"rendezvous in the middle", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cfg := loopbackConfig(t)
			if !tc.middle {
				cust, tech := signallerPair()
				c, h := connect(t, ctx, cfg, cfg, cust, tech)
				if err := confirmOver(t, c, h); err != nil {
					t.Fatalf("an honest path: %v", err)
				}
				return
			}
			custSig, midAns := signallerPair()
			midOff, techSig := signallerPair()
			c, m1 := connect(t, ctx, cfg, cfg, custSig, midAns)
			m2, h := connect(t, ctx, cfg, cfg, midOff, techSig)
			var wg sync.WaitGroup
			wg.Go(func() { pipe(m1, m2) })
			wg.Go(func() { pipe(m2, m1) })
			defer func() { m1.Close(); m2.Close(); wg.Wait() }()
			err := confirmOver(t, c, h)
			if code := protocol.CodeOf(err); code != protocol.WrongKey {
				t.Fatalf("through a machine in the middle with the right secret: %v (%v), want wrong key", code, err)
			}
		})
	}
}
