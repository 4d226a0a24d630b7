package rendezvous

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// turnAddr returns the host:port of the first URL in ice with the given prefix and transport.
func turnAddr(t *testing.T, ice []ICEServer, scheme, transport string) (addr, user, pass string) {
	t.Helper()
	for _, s := range ice {
		for _, u := range s.URLs {
			rest, ok := strings.CutPrefix(u, scheme+":")
			if !ok {
				continue
			}
			hp, q, _ := strings.Cut(rest, "?")
			if transport == "" || q == "transport="+transport {
				return hp, s.Username, s.Credential
			}
		}
	}
	t.Fatalf("no %s URL with transport %q in %+v", scheme, transport, ice)
	return "", "", ""
}

// turnClient connects a pion/turn client over UDP or TCP and closes it at the end of the test.
func turnClient(t *testing.T, network, addr, user, pass string) *turn.Client {
	t.Helper()
	var conn net.PacketConn
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	case "tcp":
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn = turn.NewSTUNConn(c)
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: user, Password: pass, Realm: "tandem",
		RTO: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		_ = conn.Close()
	})
	return c
}

// TestTURN allocates relays with the REST credentials of a create reply, over UDP and TCP, and relays
// datagrams both ways to a loopback peer (AllowPrivatePeers); an expired or forged credential is refused.
func TestTURN(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	expert := dial(t, srv.ClientURL())
	np, err := expert.Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	stunAddr, _, _ := turnAddr(t, np.ICE, "stun", "")
	if stunAddr != srv.TURNAddrs().UDP.String() {
		t.Errorf("STUN URL %s, want the UDP listener %s", stunAddr, srv.TURNAddrs().UDP)
	}

	for _, network := range []string{"udp", "tcp"} {
		t.Run("relay over "+network, func(t *testing.T) {
			addr, user, pass := turnAddr(t, np.ICE, "turn", network)
			c := turnClient(t, network, addr, user, pass)
			relay, err := c.Allocate()
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			defer relay.Close()
			relayBytes(t, relay, "to peer", "to client")
		})
	}

	t.Run("STUN binding", func(t *testing.T) {
		c := turnClient(t, "udp", stunAddr, "", "")
		mapped, err := c.SendBindingRequest()
		if err != nil {
			t.Fatalf("binding request: %v", err)
		}
		if !strings.HasPrefix(mapped.String(), "127.0.0.1:") {
			t.Errorf("mapped address %s", mapped)
		}
	})

	addr, user, pass := turnAddr(t, np.ICE, "turn", "udp")
	expiredUser, expiredPass, err := turnCredentials(cfg.TURNSecret, expert.Principal(), -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, user, pass string }{
		{"expired credential", expiredUser, expiredPass},
		{"forged credential", user, pass[:len(pass)-2] + "AA"},
		{"foreign secret", func() string { u, _, _ := turnCredentials([]byte("other"), "x", time.Minute); return u }(), pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := turnClient(t, "udp", addr, tc.user, tc.pass)
			if relay, err := c.Allocate(); err == nil {
				relay.Close()
				t.Fatal("Allocate succeeded")
			}
		})
	}
}

// TestTURNPrivatePeers shows that without AllowPrivatePeers the relay refuses a permission toward loopback,
// and that publicPeer classifies the address ranges a relay must not reach.
func TestTURNPrivatePeers(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowPrivatePeers = false
	srv := startServer(t, cfg)
	np, err := dial(t, srv.ClientURL()).Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	addr, user, pass := turnAddr(t, np.ICE, "turn", "udp")
	c := turnClient(t, "udp", addr, user, pass)
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	defer relay.Close()
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	if err := c.CreatePermission(peer); err == nil {
		t.Fatal("CreatePermission toward 127.0.0.1 succeeded")
	}

	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"127.0.0.1", false}, {"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false},
		{"169.254.169.254", false}, {"100.64.0.1", false}, {"0.0.0.0", false}, {"224.0.0.1", false},
		{"255.255.255.255", false}, {"::1", false}, {"fe80::1", false}, {"fd00:ec2::254", false},
		{"::ffff:10.0.0.1", false}, {"::", false}, {"ff02::1", false},
		{"8.8.8.8", true}, {"2606:4700:4700::1111", true}, {"100.128.0.1", true},
	} {
		if got := publicPeer(net.ParseIP(tc.ip)); got != tc.public {
			t.Errorf("publicPeer(%s) = %v, want %v", tc.ip, got, tc.public)
		}
	}
}
