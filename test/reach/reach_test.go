//go:build linux

package reach

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/test/reach/netlab"
)

// Real Tandem sessions across the lab: the technician's program in site A's host, the customer's in site B's,
// the real tandem-rendezvous program in the internet namespace.

func init() {
	helperRoles["host"] = hostRole
	helperRoles["guest"] = guestRole
}

// Ports of a rendezvous in the lab.
const (
	natsPort    = 4222
	routePort   = 6222
	wsPort      = 8080
	turnPort    = 3478
	metricsPort = 9090
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// rendezvousBinary builds the tandem-rendezvous program once per test run.
func rendezvousBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tandem-reach-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is needed to build the rendezvous: %w", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goTool, "build", "-o", filepath.Join(buildDir, "tandem-rendezvous"),
			"github.com/tandem-remote/tandem/rendezvous").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building the rendezvous: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "tandem-rendezvous")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// rv is a rendezvous process in the lab's internet.
type rv struct {
	*proc
	addr netip.Addr
	args []string
	url  string
}

// rendezvousArgs are the flags of a rendezvous listening on addr, with extra ones (a cluster's).
func rendezvousArgs(addr netip.Addr, extra ...string) []string {
	hp := func(port int) string { return netip.AddrPortFrom(addr, uint16(port)).String() }
	return append([]string{
		"-nats", hp(natsPort), "-ws", hp(wsPort),
		"-turn-udp", hp(turnPort), "-turn-tcp", hp(turnPort),
		"-public-ip", addr.String(), "-host", addr.String(),
		"-metrics", hp(metricsPort),
		"-insecure", // plain NATS on a non-loopback address, without a certificate
	}, extra...)
}

// startRendezvous runs the rendezvous on addr (one of the lab's server addresses) and waits until it is ready.
func startRendezvous(t *testing.T, lab *netlab.Lab, addr netip.Addr, extra ...string) *rv {
	t.Helper()
	r := newRV(addr, extra...)
	r.run(t, lab)
	return r
}

func newRV(addr netip.Addr, extra ...string) *rv {
	return &rv{addr: addr, args: rendezvousArgs(addr, extra...), url: "nats://" + netip.AddrPortFrom(addr, natsPort).String()}
}

// run starts the rendezvous (again, after a kill) and waits until it is ready.
func (r *rv) run(t *testing.T, lab *netlab.Lab) {
	t.Helper()
	r.launch(t, lab)
	r.waitReady(t)
}

// launch starts the rendezvous.
func (r *rv) launch(t *testing.T, lab *netlab.Lab) {
	t.Helper()
	cmd := lab.Command(context.Background(), lab.Pub, rendezvousBinary(t), r.args...)
	r.proc = start(t, "rendezvous@"+r.addr.String(), cmd, false)
}

// waitReady waits until the rendezvous says it serves ("ready" on stdout, after its listeners' URLs; in a
// cluster, once the nodes have formed it).
func (r *rv) waitReady(t *testing.T) {
	t.Helper()
	for {
		if m := r.next(); m.Ev == "line" && strings.HasSuffix(strings.TrimSpace(m.Text), "ready") {
			return
		}
	}
}

// again says whether attempt, which ended with err, should be tried again: err has one of codes and RETRIES
// allows more attempts. It waits a second first.
func (h *helper) again(attempt int, err error, codes ...protocol.Code) bool {
	retries, _ := strconv.Atoi(os.Getenv("RETRIES"))
	if err == nil || !slices.Contains(codes, protocol.CodeOf(err)) || attempt > retries {
		return false
	}
	fmt.Fprintf(os.Stderr, "attempt %d: %v\n", attempt, err)
	select {
	case <-h.ctx.Done():
		return false
	case <-time.After(time.Second):
		return true
	}
}

// stderrLog gets the path attempts of a helper's session, shown when a test fails.
var stderrLog = slog.New(slog.NewTextHandler(os.Stderr, nil))

// hostRole is the technician's program: it opens a session on RV_URL, says its link, then says every event
// (joined with the route, refused, chat, ended) until stdin closes.
func hostRole(h *helper) error {
	// RETRIES=n: when the rendezvous cannot serve, try again (up to n more times, a second apart).
	var host *session.Host
	var err error
	attempt := 1
	for ; ; attempt++ {
		host, err = session.NewHost(session.HostConfig{Name: "tech", Rendezvous: os.Getenv("RV_URL"),
			Path: session.PathOptions{Log: stderrLog}})
		if !h.again(attempt, err, protocol.NoRendezvous) {
			break
		}
	}
	if err != nil {
		h.say(msg{Ev: "error", Code: int(protocol.CodeOf(err)), Err: err.Error()})
		return nil
	}
	h.say(msg{Ev: "link", Link: host.Link().String(), Attempts: attempt})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range host.Events() {
			switch e := e.(type) {
			case session.Joined:
				h.say(msg{Ev: "joined", Route: routeOf(e.Peer.Route)})
			case session.AttemptRefused:
				h.say(msg{Ev: "refused", Code: int(protocol.CodeOf(e.Err)), Err: e.Err.Error()})
			case session.ChatReceived:
				h.say(msg{Ev: "chat", Text: e.Message.Text})
			case session.Ended:
				h.say(msg{Ev: "ended", Code: int(protocol.CodeOf(e.Err)), Err: errText(e.Err)})
				return
			}
		}
	}()
	for h.command() != "" {
	}
	host.End()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no Ended event 10 s after End")
	}
	return nil
}

// guestRole is the customer's program: it joins LINK (with the secret's last digit changed if WRONG_SECRET=1),
// says the route or the error, then obeys "chat TEXT" until stdin closes.
func guestRole(h *helper) error {
	lk, err := session.ParseLink(os.Getenv("LINK"))
	if err != nil {
		return err
	}
	if os.Getenv("WRONG_SECRET") == "1" {
		last := lk.Key[len(lk.Key)-1]
		lk.Key = lk.Key[:len(lk.Key)-1] + string('0'+(last-'0'+1)%10)
	}
	// RETRIES=n: when the rendezvous cannot serve or no path is found, try again (up to n more times, a
	// second apart), as a person would.
	var g *session.Guest
	attempts := 0
	for {
		attempts++
		ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
		g, err = session.Join(ctx, lk, session.GuestConfig{Name: "cust", Path: session.PathOptions{Log: stderrLog}})
		cancel()
		if !h.again(attempts, err, protocol.NoRendezvous, protocol.NoPath) {
			break
		}
	}
	if err != nil {
		h.say(msg{Ev: "error", Code: int(protocol.CodeOf(err)), Err: err.Error(), Attempts: attempts})
		return nil
	}
	defer g.End()
	h.say(msg{Ev: "joined", Route: routeOf(g.Route()), Attempts: attempts})
	for c := h.command(); c != ""; c = h.command() {
		if text, ok := strings.CutPrefix(c, "chat "); ok {
			if _, err := g.SendChat(text); err != nil {
				h.say(msg{Ev: "error", Code: int(protocol.CodeOf(err)), Err: err.Error()})
				continue
			}
			h.say(msg{Ev: "sent", Text: text})
		}
	}
	return nil
}

func routeOf(r session.Route) *route {
	return &route{Rendezvous: r.Rendezvous, Relayed: r.Relayed, Local: r.Local, Remote: r.Remote}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// pair is a technician in site A and a customer in site B, joined through r.
type pair struct {
	host, guest           *proc
	hostRoute, guestRoute route
}

// joinPair starts a host in site A and a guest in site B and waits until both say they are joined.
func joinPair(t *testing.T, lab *netlab.Lab, url string) pair {
	t.Helper()
	host := startHelper(t, lab, lab.Sites[0].Host, "host", "RV_URL="+url)
	lk := host.want("link").Link
	guest := startHelper(t, lab, lab.Sites[1].Host, "guest", "LINK="+lk)
	gj := guest.next()
	if gj.Ev != "joined" {
		t.Fatalf("the customer did not join: %+v", gj)
	}
	hj := host.want("joined")
	t.Logf("customer's route: %+v", *gj.Route)
	t.Logf("technician's route: %+v", *hj.Route)
	return pair{host: host, guest: guest, hostRoute: *hj.Route, guestRoute: *gj.Route}
}

// labFor is a lab with one rendezvous address (or n) and the two sites.
func labFor(t *testing.T, servers int, a, b netlab.Site) *netlab.Lab {
	return newLab(t, netlab.Config{Servers: servers, Sites: []netlab.Site{a, b}})
}

func TestReach(t *testing.T) {
	needLab(t)
	easy, hard := netlab.Site{NAT: netlab.Easy}, netlab.Site{NAT: netlab.Hard}
	for _, tc := range []struct {
		name    string
		a, b    netlab.Site
		relayed bool
		local   string // what the customer's local candidate must contain, if anything
	}{
		{"easy to easy punches through", easy, easy, false, ""},
		{"easy to hard is relayed", easy, hard, true, ""},
		{"hard to hard is relayed", hard, hard, true, ""},
		{"no UDP out of the customer's network is relayed over TCP", easy,
			netlab.Site{NAT: netlab.Easy, DropUDP: true}, true, "via tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := labFor(t, 1, tc.a, tc.b)
			r := startRendezvous(t, lab, lab.Servers[0])
			p := joinPair(t, lab, r.url)
			for side, rt := range map[string]route{"customer": p.guestRoute, "technician": p.hostRoute} {
				if rt.Relayed != tc.relayed || rt.Rendezvous != r.addr.String() || rt.Local == "" || rt.Remote == "" {
					t.Errorf("%s's route %+v, want relayed=%v through %v", side, rt, tc.relayed, r.addr)
				}
			}
			if tc.local != "" && !strings.Contains(p.guestRoute.Local, tc.local) {
				t.Errorf("customer's local candidate %q, want it to contain %q", p.guestRoute.Local, tc.local)
			}
			if tc.relayed {
				// One side's relay at least (one allocation is enough: the other side sends to it directly).
				for side, rt := range map[string]route{"customer": p.guestRoute, "technician": p.hostRoute} {
					if !strings.HasPrefix(rt.Local, "relay ") && !strings.HasPrefix(rt.Remote, "relay ") {
						t.Errorf("%s's route %+v names no relayed candidate", side, rt)
					}
				}
			} else {
				// Straight between the two routers' public addresses.
				if want := lab.Sites[0].WAN.String() + ":"; !strings.Contains(p.guestRoute.Remote, want) {
					t.Errorf("customer's remote candidate %q, want the technician's router %s", p.guestRoute.Remote, want)
				}
				if want := lab.Sites[1].WAN.String() + ":"; !strings.Contains(p.hostRoute.Remote, want) {
					t.Errorf("technician's remote candidate %q, want the customer's router %s", p.hostRoute.Remote, want)
				}
			}
			p.guest.send("chat hello")
			p.guest.want("sent")
			if m := p.host.want("chat"); m.Text != "hello" {
				t.Errorf("chat %q", m.Text)
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		lab := labFor(t, 1, easy, easy)
		r := startRendezvous(t, lab, lab.Servers[0])
		host := startHelper(t, lab, lab.Sites[0].Host, "host", "RV_URL="+r.url)
		lk := host.want("link").Link
		guest := startHelper(t, lab, lab.Sites[1].Host, "guest", "LINK="+lk, "WRONG_SECRET=1")
		if m := guest.next(); m.Ev != "error" || protocol.Code(m.Code) != protocol.WrongKey {
			t.Fatalf("customer with a wrong secret: %+v, want the wrong-key error", m)
		}
		if m := host.next(); m.Ev != "refused" || protocol.Code(m.Code) != protocol.WrongKey {
			t.Fatalf("technician: %+v, want an attempt refused for a wrong key", m)
		}
	})

	t.Run("a cluster of three with one node down", func(t *testing.T) {
		// The technician uses node 1, the customer node 3; node 2 dies once the cluster has formed.
		lab := labFor(t, 3, easy, hard)
		var routes []string
		for _, a := range lab.Servers {
			routes = append(routes, "nats-route://"+netip.AddrPortFrom(a, routePort).String())
		}
		var nodes []*rv
		for i, a := range lab.Servers {
			n := newRV(a, "-cluster", "reach", "-name", fmt.Sprintf("node%d", i+1),
				"-cluster-listen", netip.AddrPortFrom(a, routePort).String(), "-routes", strings.Join(routes, ","))
			n.launch(t, lab)
			nodes = append(nodes, n)
		}
		for _, n := range nodes { // all three started: a lone node never becomes ready
			n.waitReady(t)
		}
		// Node 2 dies once the technician has a key: the customer claims it, and a second technician asks for a
		// key, while the streams node 2 led elect new leaders. Until they have, the rendezvous waits (up to 10 s)
		// for JetStream; a request that still gets "internal" (NoRendezvous) is tried again by the programs, as a
		// person would, and the attempts are logged.
		host := startHelper(t, lab, lab.Sites[0].Host, "host", "RV_URL="+nodes[0].url, "RETRIES=5")
		hl := host.want("link")
		lk, err := session.ParseLink(hl.Link)
		if err != nil {
			t.Fatal(err)
		}
		lk.Rendezvous = nodes[2].url
		nodes[1].kill()
		second := startHelper(t, lab, lab.Sites[0].Host, "host", "RV_URL="+nodes[0].url, "RETRIES=5")
		guest := startHelper(t, lab, lab.Sites[1].Host, "guest", "LINK="+lk.String(), "RETRIES=3")
		gj := guest.next()
		if gj.Ev != "joined" {
			t.Fatalf("the customer did not join through node 3: %+v", gj)
		}
		t.Logf("joined at attempt %d", gj.Attempts)
		if m := second.next(); m.Ev != "link" {
			t.Errorf("a technician asking for a key while node 2's streams elect leaders: %+v", m)
		} else {
			t.Logf("second key made at attempt %d", m.Attempts)
		}
		hj := host.want("joined")
		t.Logf("customer's route: %+v; technician's: %+v", *gj.Route, *hj.Route)
		if !gj.Route.Relayed || !hj.Route.Relayed {
			t.Errorf("easy to hard through a cluster: routes %+v and %+v, want relayed", *gj.Route, *hj.Route)
		}
		if gj.Route.Rendezvous != nodes[2].addr.String() || hj.Route.Rendezvous != nodes[0].addr.String() {
			t.Errorf("rendezvous %q and %q, want node 3 (%v) and node 1 (%v)", gj.Route.Rendezvous,
				hj.Route.Rendezvous, nodes[2].addr, nodes[0].addr)
		}
		guest.send("chat across the cluster")
		guest.want("sent")
		if m := host.want("chat"); m.Text != "across the cluster" {
			t.Errorf("chat %q", m.Text)
		}
	})

	t.Run("the session outlives its rendezvous", func(t *testing.T) {
		lab := labFor(t, 1, easy, easy)
		r := startRendezvous(t, lab, lab.Servers[0])
		p := joinPair(t, lab, r.url)
		r.kill()
		p.guest.send("chat still here")
		p.guest.want("sent")
		if m := p.host.want("chat"); m.Text != "still here" {
			t.Errorf("chat %q", m.Text)
		}
		// The same rendezvous, started again, brings two new programs together.
		r.run(t, lab)
		q := joinPair(t, lab, r.url)
		if q.guestRoute.Relayed || q.hostRoute.Relayed {
			t.Errorf("after the restart: routes %+v and %+v, want direct", q.guestRoute, q.hostRoute)
		}
	})
}
