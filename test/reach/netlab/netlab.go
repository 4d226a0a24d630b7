//go:build linux

// Package netlab builds a small internet out of Linux network namespaces, for tests and benches that need real
// NAT: a "pub" namespace (the internet, 203.0.113.0/24 on one bridge, where servers run), and for each site a
// router namespace (a WAN side on pub's bridge, a LAN side, iptables MASQUERADE) and a host namespace behind it.
//
// Everything happens inside namespaces that the lab creates, named with a prefix and the process id so that two
// runs never collide: the machine's own namespace (its interfaces, routes and iptables) is never touched, and no
// namespace has a route to the machine's real network. [Lab.Close] deletes the namespaces, and with them every
// interface and rule made in them; [Sweep] deletes the namespaces left by lab processes that died without
// closing theirs. It needs root and the `ip` (iproute2) and `iptables` commands.
//
// Addresses: pub's bridge has 203.0.113.1 … 203.0.113.N (N = [Config.Servers]); router i has 203.0.113.(11+i) on
// its WAN side and 10.77.(i+1).1 on its LAN side; host i has 10.77.(i+1).2, with a default route through its
// router. 203.0.113.0/24 (TEST-NET-3, RFC 5737) is a documentation range, routed nowhere on the real internet but
// neither private nor reserved to net/netip or to the rendezvous's relay filter (which refuses 198.18.0.0/15, the
// benchmarking range): servers treat the routers' addresses as the public ones they stand for.
package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// NAT is how a router maps its LAN's outgoing UDP and TCP.
type NAT int

const (
	// Easy is port-preserving MASQUERADE: an endpoint keeps its port toward every destination, so a hole
	// punch goes through.
	Easy NAT = iota
	// Hard is MASQUERADE --random-fully: each new destination gets a random port, which defeats hole punching.
	Hard
)

func (n NAT) String() string {
	if n == Hard {
		return "hard"
	}
	return "easy"
}

// Site is one LAN behind its router.
type Site struct {
	NAT NAT
	// DropUDP drops every UDP packet from the LAN toward the internet at the router (only TCP gets out).
	DropUDP bool
}

// Config describes a lab.
type Config struct {
	// Servers is how many addresses pub's bridge gets (203.0.113.1 upward), one per server process; at least 1.
	Servers int
	// Sites are the LANs, named A, B, C… in order.
	Sites []Site
}

// Namespace and address plan.
const (
	prefix = "tndm" // every namespace a lab makes starts with it, then the pid: "tndm1234-1-pub"
	// CommandTimeout bounds each `ip`/`iptables`/`sysctl` command the lab runs.
	CommandTimeout = 10 * time.Second
)

var seq atomic.Int64

// pubAddr is the address with last byte n in the internet's 203.0.113.0/24.
func pubAddr(n int) netip.Addr { return netip.AddrFrom4([4]byte{203, 0, 113, byte(n)}) }

// Lab is a running set of namespaces.
type Lab struct {
	// Pub is the namespace of the internet, where servers run.
	Pub string
	// Servers are pub's addresses for servers, 203.0.113.1 upward.
	Servers []netip.Addr
	// Sites, in the order of Config.Sites.
	Sites []*SiteNS

	name      string
	mu        sync.Mutex
	made      []string // namespaces created, deleted in reverse by Close
	closeOnce sync.Once
	closeErr  error
}

// SiteNS is one site of a running lab.
type SiteNS struct {
	Site
	Name   string     // "A", "B"…
	Router string     // namespace of the router
	Host   string     // namespace of the host behind it
	WAN    netip.Addr // the router's public address (what the internet sees of the host)
	LAN    netip.Addr // the host's own address
}

// Check says why a lab cannot run here: not root, or `ip` or `iptables` missing. Nil when it can.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("netlab: needs root (network namespaces and iptables)")
	}
	for _, c := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("netlab: %s not found (install iproute2 and iptables): %w", c, err)
		}
	}
	return nil
}

// New builds a lab. On error, whatever was made is deleted again.
func New(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if err := Check(); err != nil {
		return nil, err
	}
	if cfg.Servers < 1 {
		cfg.Servers = 1
	}
	if cfg.Servers > 9 || len(cfg.Sites) > 26 {
		return nil, errors.New("netlab: at most 9 servers and 26 sites")
	}
	Sweep(ctx)
	l := &Lab{name: fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), seq.Add(1))}
	defer func() {
		if err != nil {
			_ = l.Close()
		}
	}()
	l.Pub = l.name + "-pub"
	if err := l.addNS(ctx, l.Pub); err != nil {
		return nil, err
	}
	pub := [][]string{
		{"ip", "link", "add", "name", "br0", "type", "bridge"},
		{"ip", "link", "set", "br0", "up"},
	}
	for i := range cfg.Servers {
		a := pubAddr(1 + i)
		l.Servers = append(l.Servers, a)
		pub = append(pub, []string{"ip", "addr", "add", a.String() + "/24", "dev", "br0"})
	}
	if err := l.runAll(ctx, l.Pub, pub); err != nil {
		return nil, err
	}
	for i, s := range cfg.Sites {
		site := &SiteNS{Site: s, Name: string(rune('A' + i)),
			WAN: pubAddr(11 + i),
			LAN: netip.AddrFrom4([4]byte{10, 77, byte(1 + i), 2})}
		site.Router = l.name + "-nat" + site.Name
		site.Host = l.name + "-lan" + site.Name
		if err := l.addSite(ctx, site, i); err != nil {
			return nil, err
		}
		l.Sites = append(l.Sites, site)
	}
	return l, nil
}

func (l *Lab) addSite(ctx context.Context, s *SiteNS, i int) error {
	if err := l.addNS(ctx, s.Router); err != nil {
		return err
	}
	if err := l.addNS(ctx, s.Host); err != nil {
		return err
	}
	gw := netip.AddrFrom4([4]byte{10, 77, byte(1 + i), 1})
	port := "wan" + s.Name // pub's end of the router's WAN link
	// The veth pairs are made inside the namespaces (never in the machine's own).
	if err := l.runAll(ctx, l.Pub, [][]string{
		{"ip", "link", "add", "name", port, "type", "veth", "peer", "name", "wan", "netns", s.Router},
		{"ip", "link", "set", port, "master", "br0"},
		{"ip", "link", "set", port, "up"},
	}); err != nil {
		return err
	}
	masq := []string{"iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "wan", "-j", "MASQUERADE"}
	if s.NAT == Hard {
		masq = append(masq, "--random-fully")
	}
	router := [][]string{
		{"ip", "link", "add", "name", "lan", "type", "veth", "peer", "name", "eth0", "netns", s.Host},
		{"ip", "addr", "add", s.WAN.String() + "/24", "dev", "wan"},
		{"ip", "addr", "add", gw.String() + "/24", "dev", "lan"},
		{"ip", "link", "set", "wan", "up"},
		{"ip", "link", "set", "lan", "up"},
		{"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
		masq,
		// New inbound UDP to the router itself is dropped, as home routers do: otherwise an early punch
		// from the other side creates a conntrack entry that clashes with the LAN host's later mapping.
		{"iptables", "-A", "INPUT", "-i", "wan", "-p", "udp", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"},
	}
	if s.DropUDP {
		router = append(router, []string{"iptables", "-A", "FORWARD", "-i", "lan", "-p", "udp", "-j", "DROP"})
	}
	if err := l.runAll(ctx, s.Router, router); err != nil {
		return err
	}
	return l.runAll(ctx, s.Host, [][]string{
		{"ip", "addr", "add", s.LAN.String() + "/24", "dev", "eth0"},
		{"ip", "link", "set", "eth0", "up"},
		{"ip", "route", "add", "default", "via", gw.String()},
	})
}

// addNS creates a namespace with its loopback up and IPv6 off (the lab is IPv4 only; no link-local addresses
// for ICE to gather).
func (l *Lab) addNS(ctx context.Context, ns string) error {
	if err := run(ctx, "ip", "netns", "add", ns); err != nil {
		return err
	}
	l.mu.Lock()
	l.made = append(l.made, ns)
	l.mu.Unlock()
	return l.runAll(ctx, ns, [][]string{
		{"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"},
		{"sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "link", "set", "lo", "up"},
	})
}

// runAll runs each command inside ns, stopping at the first failure.
func (l *Lab) runAll(ctx context.Context, ns string, cmds [][]string) error {
	for _, c := range cmds {
		if err := run(ctx, append([]string{"ip", "netns", "exec", ns}, c...)...); err != nil {
			return err
		}
	}
	return nil
}

// Run runs a command inside ns and waits for it (at most CommandTimeout), returning its output.
func (l *Lab) Run(ctx context.Context, ns string, args ...string) (string, error) {
	return output(ctx, append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// Command prepares a command to run inside ns (through `ip netns exec`, which execs it: the process's pid is the
// command's own, so signals reach it directly). The process is killed if the calling process dies.
func (l *Lab) Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	// If the caller dies without stopping it (a test killed on its timeout), so does the process, rather than
	// live on in a namespace nobody can name any more.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Close deletes every namespace the lab made (and so its interfaces and rules). Processes still running in
// them must be stopped first by whoever started them; a namespace lives on, unnamed, until its last process
// ends. Close may be called more than once.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l.mu.Lock()
		made := l.made
		l.made = nil
		l.mu.Unlock()
		var errs []error
		for i := len(made) - 1; i >= 0; i-- {
			if err := run(ctx, "ip", "netns", "delete", made[i]); err != nil {
				errs = append(errs, err)
			}
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Namespaces lists the namespaces of this lab still present on the machine.
func (l *Lab) Namespaces(ctx context.Context) ([]string, error) {
	all, err := listNS(ctx)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, ns := range all {
		if strings.HasPrefix(ns, l.name+"-") {
			mine = append(mine, ns)
		}
	}
	return mine, nil
}

// Sweep deletes the namespaces of labs whose process is gone (a test killed before its cleanup ran). Namespaces
// of running processes are left alone.
func Sweep(ctx context.Context) {
	all, err := listNS(ctx)
	if err != nil {
		return
	}
	for _, ns := range all {
		rest, ok := strings.CutPrefix(ns, prefix)
		if !ok {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue // still running (or the pid was reused: leave it, a later sweep gets it)
		}
		_ = run(ctx, "ip", "netns", "delete", ns)
	}
}

func listNS(ctx context.Context) ([]string, error) {
	out, err := output(ctx, "ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

func run(ctx context.Context, args ...string) error {
	_, err := output(ctx, args...)
	return err
}

func output(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("netlab: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
