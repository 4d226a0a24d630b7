package rendezvous

import (
	"net"
	"testing"
)

// TestRestart restarts the rendezvous on the same port and store: the clients reconnect by themselves, keep
// their principals (derived from their own tokens, nothing the server had to remember), and the mailbox, kept
// in the JetStream store, still carries messages both ways.
func TestRestart(t *testing.T) {
	cfg := testConfig(t)
	cfg.StoreDir = t.TempDir()
	cfg.WebSocketListen, cfg.MetricsListen = "", ""
	first, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	url := first.ClientURL()
	cfg.NATSListen = first.ns.Addr().(*net.TCPAddr).String()
	cfg.TURNUDPListen = first.TURNAddrs().UDP.String()
	cfg.TURNTCPListen = first.TURNAddrs().TCP.String()

	expert, customer, np, cmb := claimed(t, url)
	emb := expert.Open(<-np.Claims)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, cfg)
	if second.ClientURL() != url {
		t.Fatalf("restarted on %s, want %s", second.ClientURL(), url)
	}
	// Mailbox messages are not stored: one published while its recipient is still reconnecting is lost (the
	// ICE exchange above this package retries). So wait until both clients are back, their subscriptions
	// included: a flush's PING is answered only after nats.go has resent them.
	wait := ctx(t)
	for _, c := range []*Client{expert, customer} {
		for {
			err := c.nc.FlushWithContext(wait)
			if err == nil {
				break
			}
			if wait.Err() != nil {
				t.Fatalf("%s did not reconnect: %v", c.Principal(), err)
			}
		}
	}
	if err := cmb.Send(ctx(t), []byte("after restart")); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if got := recv(t, emb); got != "after restart" {
		t.Errorf("expert got %q", got)
	}
	if err := emb.Send(ctx(t), []byte("reply")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cmb); got != "reply" {
		t.Errorf("customer got %q", got)
	}
}
