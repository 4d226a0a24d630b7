// Package transporttest gives the tests of the packages built on transport (chat, transfer) a confirmed QUIC
// connection on loopback, over the real stack.
package transporttest

import (
	"context"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Timeout bounds the dial and the accept of Pair.
const Timeout = 20 * time.Second

// Pair returns the two ends of a new connection on loopback, each with its own identity, confirmed with a fresh
// support key. Both close when the test ends (a test may close them before).
func Pair(tb testing.TB) (dialer, listener *transport.Conn) {
	tb.Helper()
	key, err := transport.NewSupportKeyGate()
	if err != nil {
		tb.Fatal(err)
	}
	lid, err := transport.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	did, err := transport.NewIdentity()
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := transport.Listen("127.0.0.1:0", transport.ListenConfig{Identity: lid, Gate: key})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = ln.Close() }() // the connection it accepted outlives it
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	dialer, err = transport.Dial(ctx, ln.Addr().String(), transport.DialConfig{Identity: did, Secret: []byte(key.Key())})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = dialer.Close(protocol.NoError, "") })
	listener, err = ln.Accept(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = listener.Close(protocol.NoError, "") })
	return dialer, listener
}
