// Package rendezvoustest runs a real rendezvous (embedded NATS, TURN) on loopback for the tests of the packages
// that use one, stopped at the end of the test.
package rendezvoustest

import (
	"testing"

	"github.com/tandem-remote/tandem/shared/rendezvous"
)

// Config is the configuration of a rendezvous on loopback: NATS and TURN over UDP and TCP on ports the system
// picks, a relay that may relay to loopback (both programs of a test are on this machine), and rate limits high
// enough for a test that opens many sessions from one address.
func Config() rendezvous.Config {
	return rendezvous.Config{NATSListen: "127.0.0.1:0", TURNUDPListen: "127.0.0.1:0", TURNTCPListen: "127.0.0.1:0",
		AllowPrivatePeers: true, CreatesPerMinute: 10000, ClaimsPerMinute: 10000}
}

// Start runs a rendezvous with Config until the end of the test.
func Start(t testing.TB) *rendezvous.Server {
	t.Helper()
	srv, err := rendezvous.Start(Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}
