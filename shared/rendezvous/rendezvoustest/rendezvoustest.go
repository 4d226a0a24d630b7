// Package rendezvoustest runs a real rendezvous (embedded NATS, TURN) on loopback for the tests of the packages
// that use one, stopped at the end of the test.
package rendezvoustest

import (
	"testing"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/internal/testcert"
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

// StartTLS runs a rendezvous on loopback with a self-signed certificate, NATS over TLS and TURN over TLS only
// (no TURN over UDP or TCP: a network that lets only TLS out), until the end of the test. It returns the server
// and the URL that pins its certificate, as programs reach a rendezvous without a certificate from a public CA.
func StartTLS(t testing.TB) (*rendezvous.Server, string) {
	t.Helper()
	cfg := Config()
	var der []byte
	cfg.TLS, der = testcert.SelfSigned(t)
	cfg.TURNUDPListen, cfg.TURNTCPListen, cfg.TURNTLSListen = "", "", "127.0.0.1:0"
	srv, err := rendezvous.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, srv.ClientURL() + "#sha256=" + rendezvous.Fingerprint(der)
}
