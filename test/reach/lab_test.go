//go:build linux

package reach

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/test/reach/netlab"
)

// The lab's own behaviour, checked with plain sockets: what the internet sees of a host behind each kind of
// router, that routers drop unsolicited UDP, that a UDP-less site still gets out over TCP, that no namespace
// has a way to the machine's real network, and that closing the lab leaves nothing behind.

func init() {
	helperRoles["echo"] = echoServer
	helperRoles["probe"] = probe
}

// echoServer listens on ECHO_ADDR for UDP and TCP. To each UDP datagram it first answers from a second socket
// (ECHO_ADDR's port + 1, which no router's conntrack knows: that answer must never arrive), then from the
// socket the datagram reached, with the address it came from. Each TCP connection gets its peer's address.
func echoServer(h *helper) error {
	addr := os.Getenv("ECHO_ADDR")
	uc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	defer uc.Close()
	ap := netip.MustParseAddrPort(addr)
	alt, err := net.ListenPacket("udp4", netip.AddrPortFrom(ap.Addr(), ap.Port()+1).String())
	if err != nil {
		return err
	}
	defer alt.Close()
	tl, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	defer tl.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = alt.WriteTo([]byte("alt "+from.String()), from)
			_, _ = uc.WriteTo([]byte(from.String()), from)
		}
	}()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte(c.RemoteAddr().String()))
			_ = c.Close()
		}
	}()
	h.say(msg{Ev: "ready", Addr: addr})
	for c := h.command(); c != ""; c = h.command() {
		// "knock ADDR": an unsolicited datagram from the echo's socket, as a peer's early hole punch.
		if to, ok := strings.CutPrefix(c, "knock "); ok {
			ua, err := net.ResolveUDPAddr("udp4", to)
			if err != nil {
				return err
			}
			if _, err := uc.WriteTo([]byte("knock"), ua); err != nil {
				return err
			}
			h.say(msg{Ev: "knocked", Addr: to})
		}
	}
	return nil
}

// probe sends, from one UDP socket, a datagram to each of PROBE_TARGETS (comma-separated) until the target's
// echo answers (at most probeWait), from PROBE_LOCAL (default any port), then reports per target what the echo saw of it ("" for no answer, with
// " +alt" appended if the unsolicited answer got through). With PROBE_TCP=1 it dials each target over TCP instead.
func probe(h *helper) error {
	targets := strings.Split(os.Getenv("PROBE_TARGETS"), ",")
	const probeWait = 2 * time.Second
	var seen []string
	if os.Getenv("PROBE_TCP") == "1" {
		for _, tgt := range targets {
			d := net.Dialer{Timeout: probeWait}
			c, err := d.DialContext(h.ctx, "tcp4", tgt)
			if err != nil {
				seen = append(seen, "")
				continue
			}
			_ = c.SetDeadline(time.Now().Add(probeWait))
			b := make([]byte, 100)
			n, _ := c.Read(b)
			seen = append(seen, string(b[:n]))
			_ = c.Close()
		}
		h.say(msg{Ev: "probe", Seen: seen})
		return nil
	}
	uc, err := net.ListenPacket("udp4", ":"+cmp.Or(os.Getenv("PROBE_LOCAL"), "0"))
	if err != nil {
		return err
	}
	defer uc.Close()
	for _, tgt := range targets {
		to, err := net.ResolveUDPAddr("udp4", tgt)
		if err != nil {
			return err
		}
		got, altSeen := "", false
		deadline := time.Now().Add(probeWait)
		buf := make([]byte, 1500)
	send:
		for time.Now().Before(deadline) {
			if _, err := uc.WriteTo([]byte("probe"), to); err != nil {
				break // e.g. EPERM when the router drops it locally: no answer
			}
			_ = uc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			for {
				n, from, err := uc.ReadFrom(buf)
				if err != nil {
					break // resend
				}
				if from.(*net.UDPAddr).Port != to.Port {
					altSeen = true
					continue
				}
				got = string(buf[:n])
				break send
			}
		}
		if altSeen {
			got += " +alt"
		}
		seen = append(seen, got)
	}
	h.say(msg{Ev: "probe", Addr: uc.LocalAddr().String(), Seen: seen})
	return nil
}

func TestLab(t *testing.T) {
	needLab(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	before := hostLinks(t)
	lab := newLab(t, netlab.Config{Servers: 2, Sites: []netlab.Site{
		{NAT: netlab.Easy}, {NAT: netlab.Hard}, {NAT: netlab.Easy, DropUDP: true}}})
	if after := hostLinks(t); !slices.Equal(before, after) {
		t.Fatalf("the machine's own interfaces changed: %v → %v", before, after)
	}

	var targets []string
	var echoes []*proc
	for _, s := range lab.Servers {
		addr := netip.AddrPortFrom(s, 4000).String()
		echoes = append(echoes, startHelper(t, lab, lab.Pub, "echo", "ECHO_ADDR="+addr))
		echoes[len(echoes)-1].want("ready")
		targets = append(targets, addr)
	}
	probeFrom := func(t *testing.T, s *netlab.SiteNS, tcp bool, env ...string) msg {
		env = append(env, "PROBE_TARGETS="+strings.Join(targets, ","))
		if tcp {
			env = append(env, "PROBE_TCP=1")
		}
		m := startHelper(t, lab, s.Host, "probe", env...).want("probe")
		if len(m.Seen) != len(targets) {
			t.Fatalf("probe from %s: %+v", s.Name, m)
		}
		return m
	}
	seenAddr := func(t *testing.T, s string) netip.AddrPort {
		a, err := netip.ParseAddrPort(s)
		if err != nil {
			t.Fatalf("echo answered %q (unsolicited answer got through, or no answer)", s)
		}
		return a
	}

	t.Run("easy NAT keeps the port and filters", func(t *testing.T) {
		a := lab.Sites[0]
		m := probeFrom(t, a, false)
		local := netip.MustParseAddrPort(m.Addr).Port()
		for i, s := range m.Seen {
			if got := seenAddr(t, s); got != netip.AddrPortFrom(a.WAN, local) {
				t.Errorf("server %d saw %v, want %v:%d", i, got, a.WAN, local)
			}
		}
	})
	t.Run("an early knock does not move the easy NAT's port", func(t *testing.T) {
		// Without the routers' DROP of new inbound UDP, the knock's conntrack entry would clash with the
		// host's mapping toward the same server, and MASQUERADE would pick another port.
		a := lab.Sites[0]
		const local = 5000
		echoes[0].send("knock " + netip.AddrPortFrom(a.WAN, local).String())
		echoes[0].want("knocked")
		m := probeFrom(t, a, false, "PROBE_LOCAL=5000")
		if got := seenAddr(t, m.Seen[0]); got != netip.AddrPortFrom(a.WAN, local) {
			t.Errorf("after a knock, the server saw %v, want %v:%d", got, a.WAN, local)
		}
	})
	t.Run("hard NAT changes the port and filters", func(t *testing.T) {
		b := lab.Sites[1]
		m := probeFrom(t, b, false)
		local := netip.MustParseAddrPort(m.Addr).Port()
		kept := 0
		for _, s := range m.Seen {
			got := seenAddr(t, s)
			if got.Addr() != b.WAN {
				t.Errorf("a server saw %v, want address %v", got, b.WAN)
			}
			if got.Port() == local {
				kept++
			}
		}
		// --random-fully draws each mapping's port at random: both equal to the local one is a 1 in ~10⁹ chance.
		if kept == len(m.Seen) {
			t.Errorf("every server saw the local port %d: %v", local, m.Seen)
		}
	})
	t.Run("no UDP out of a site that drops it, TCP gets out", func(t *testing.T) {
		c := lab.Sites[2]
		if m := probeFrom(t, c, false); slices.ContainsFunc(m.Seen, func(s string) bool { return s != "" }) {
			t.Errorf("UDP got out: %v", m.Seen)
		}
		for _, s := range probeFrom(t, c, true).Seen {
			if got := seenAddr(t, s); got.Addr() != c.WAN {
				t.Errorf("TCP: a server saw %v, want address %v", got, c.WAN)
			}
		}
	})
	t.Run("no way to the real network", func(t *testing.T) {
		// Only look (no packet is sent): the internet and the routers have no default route, and every
		// namespace holds only the lab's own interfaces.
		for _, ns := range []string{lab.Pub, lab.Sites[0].Router, lab.Sites[1].Router, lab.Sites[2].Router} {
			if out, err := lab.Run(ctx, ns, "ip", "-4", "route", "show", "default"); err != nil || strings.TrimSpace(out) != "" {
				t.Errorf("%s: default route %q (%v)", ns, out, err)
			}
		}
		want := map[string][]string{lab.Pub: {"br0", "lo", "wanA", "wanB", "wanC"}}
		for _, s := range lab.Sites {
			want[s.Router] = []string{"lan", "lo", "wan"}
			want[s.Host] = []string{"eth0", "lo"}
		}
		for ns, names := range want {
			out, err := lab.Run(ctx, ns, "ip", "-o", "link", "show")
			if err != nil {
				t.Fatal(err)
			}
			if got := linkNames(out); !slices.Equal(got, names) {
				t.Errorf("%s has interfaces %v, want %v", ns, got, names)
			}
		}
	})
}

// TestLabCleanup checks that Close deletes every namespace, also with a process still running in one (which
// keeps the namespace alive, unnamed, until it ends; the process is stopped by its own cleanup).
func TestLabCleanup(t *testing.T) {
	needLab(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	lab, err := netlab.New(ctx, netlab.Config{Sites: []netlab.Site{{NAT: netlab.Hard, DropUDP: true}}})
	if err != nil {
		t.Fatal(err)
	}
	names, err := lab.Namespaces(ctx)
	if err != nil || len(names) != 3 {
		t.Fatalf("namespaces %v, %v", names, err)
	}
	startHelper(t, lab, lab.Pub, "echo", "ECHO_ADDR=203.0.113.1:4000").want("ready")
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if names, err := lab.Namespaces(ctx); err != nil || len(names) != 0 {
		t.Fatalf("left: %v, %v", names, err)
	}
}

// hostLinks lists the interfaces of the machine's own namespace (read only).
func hostLinks(t *testing.T) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "ip", "-o", "link", "show").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ip link: %v: %s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return linkNames(string(out))
}

// linkNames takes the sorted interface names from `ip -o link show` ("3: wan@if4: <…"), without "@peer".
func linkNames(out string) []string {
	var names []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
