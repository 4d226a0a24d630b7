package rendezvous

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetrics runs one of each event and reads them back from /metrics in the Prometheus text format; it also
// checks the per-user TURN allocation quota, whose refusals show up as failed allocations.
func TestMetrics(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxAllocationsPerUser = 1
	srv := startServer(t, cfg)
	expert, customer, stranger := dial(t, srv.ClientURL()), dial(t, srv.ClientURL()), dial(t, srv.ClientURL())
	np, err := expert.Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	cmb, _, err := customer.Claim(ctx(t), np.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmb.Send(ctx(t), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := stranger.Open(Claim{Mailbox: cmb.ID()}).Send(ctx(t), []byte("x")); !errors.Is(err, ErrUnknownMailbox) {
		t.Fatalf("stranger Send = %v", err)
	}
	unknown := "0000"
	if np.Name == unknown {
		unknown = "0001"
	}
	if _, _, err := stranger.Claim(ctx(t), unknown); !errors.Is(err, ErrUnknownNameplate) {
		t.Fatalf("claim of an unknown nameplate = %v", err)
	}

	addr, user, pass := turnAddr(t, np.ICE, "turn", "udp")
	relay, err := turnClient(t, "udp", addr, user, pass).Allocate()
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	defer relay.Close()
	relayBytes(t, relay, "seven b", "nine byte")
	if second, err := turnClient(t, "udp", addr, user, pass).Allocate(); err == nil {
		second.Close()
		t.Fatal("a second allocation of the same user passed the quota of 1")
	}

	resp, err := http.Get(srv.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	text := string(body)
	for _, line := range []string{
		"tandem_rendezvous_nameplates_created_total 1",
		"tandem_rendezvous_nameplates_claimed_total 1",
		"tandem_rendezvous_nameplates_waiting 1",
		"# TYPE tandem_rendezvous_nameplates_waiting gauge",
		`tandem_rendezvous_turn_relayed_bytes_total{direction="to_peers"} 7`,
		`tandem_rendezvous_turn_relayed_bytes_total{direction="from_peers"} 9`,
		`tandem_rendezvous_request_failures_total{op="claim",reason="unknown"} 1`,
		"tandem_rendezvous_turn_allocations_total 1",
		"tandem_rendezvous_turn_allocations_active 1",
		"tandem_rendezvous_clients_connected 3",
		"# TYPE tandem_rendezvous_turn_allocations_active gauge",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, text)
		}
	}
}

// relayBytes sends out through relay to a peer on loopback, and in from the peer back through the relay.
func relayBytes(t *testing.T, relay net.PacketConn, out, in string) {
	t.Helper()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	deadline := time.Now().Add(10 * time.Second)
	_ = peer.SetReadDeadline(deadline)
	_ = relay.SetReadDeadline(deadline)
	if _, err := relay.WriteTo([]byte(out), peer.LocalAddr()); err != nil {
		t.Fatalf("relay WriteTo: %v", err)
	}
	buf := make([]byte, 1500)
	n, from, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != out {
		t.Fatalf("peer ReadFrom = %q, %v", buf[:n], err)
	}
	if from.String() != relay.LocalAddr().String() {
		t.Errorf("datagram came from %s, want the relay address %s", from, relay.LocalAddr())
	}
	if _, err := peer.WriteTo([]byte(in), from); err != nil {
		t.Fatal(err)
	}
	if n, _, err = relay.ReadFrom(buf); err != nil || string(buf[:n]) != in {
		t.Fatalf("relay ReadFrom = %q, %v", buf[:n], err)
	}
}
