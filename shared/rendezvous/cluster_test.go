package rendezvous

import (
	"fmt"
	"net"
	"testing"
)

// freePorts reserves n loopback TCP ports and releases them for the caller to bind. JetStream clustering needs
// every node's routes up front, so the route ports must be known before the nodes start.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// TestCluster runs three nodes with routes between them and replicated KV buckets: a nameplate created on
// node 1 is claimed on node 3, and messages flow between clients of different nodes; a computer present through
// node 1 is knocked at through node 2.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes a few seconds")
	}
	ports := freePorts(t, 3)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	var nodes []*Server
	for i, p := range ports {
		cfg := testConfig(t)
		cfg.ServerName = fmt.Sprintf("node%d", i+1)
		cfg.ClusterName = "tandem-test"
		cfg.ClusterListen = fmt.Sprintf("127.0.0.1:%d", p)
		cfg.ClusterSecret = "route-secret"
		cfg.Routes = routes
		cfg.MetricsListen = ""
		nodes = append(nodes, startServer(t, cfg))
	}
	for i, n := range nodes {
		if err := n.Ready(ctx(t)); err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	expert := dial(t, nodes[0].ClientURL())
	customer := dial(t, nodes[2].WebSocketURL())
	np, err := expert.Create(ctx(t))
	if err != nil {
		t.Fatalf("Create on node 1: %v", err)
	}
	cmb, _, err := customer.Claim(ctx(t), np.Name)
	if err != nil {
		t.Fatalf("Claim on node 3: %v", err)
	}
	if err := cmb.Send(ctx(t), []byte("hello via node 3")); err != nil {
		t.Fatal(err)
	}
	emb := expert.Open(<-np.Claims)
	if got := recv(t, emb); got != "hello via node 3" {
		t.Errorf("expert got %q", got)
	}
	if err := emb.Send(ctx(t), []byte("hello via node 1")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cmb); got != "hello via node 1" {
		t.Errorf("customer got %q", got)
	}
	// A client on node 2 sees the same nameplate space: the released nameplate is gone there too.
	if err := expert.Release(ctx(t), np.Name); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dial(t, nodes[1].ClientURL()).Claim(ctx(t), np.Name); err == nil {
		t.Error("a released nameplate was claimed on node 2")
	}

	computer, tech := dial(t, nodes[0].ClientURL()), dial(t, nodes[1].ClientURL())
	cert, sign := computerCert(t)
	if _, err := computer.Present(ctx(t), cert, sign); err != nil {
		t.Fatalf("Present on node 1: %v", err)
	}
	tmb, _, err := tech.KnockAt(ctx(t), ComputerKey(cert))
	if err != nil {
		t.Fatalf("KnockAt on node 2: %v", err)
	}
	if err := tmb.Send(ctx(t), []byte("knock via node 2")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, computer.OpenKnock(<-computer.Knocks())); got != "knock via node 2" {
		t.Errorf("computer got %q", got)
	}
}
