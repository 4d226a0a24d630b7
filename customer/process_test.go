package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// TestAgentAndHelperAsRealProcesses installs unattended access into a test root with the real program, runs the
// agent the unit describes and the helper in a desktop (Xvfb) as processes of their own, and has a technician
// connect with the password alone: nobody logged in (no helper) is said in words, the helper joins and shows the
// real screen, control is granted, blocking ends the session, and uninstalling removes it all. The agent serves
// root and the logged-in graphical users only, so the test runs as root (as CI does).
func TestAgentAndHelperAsRealProcesses(t *testing.T) {
	needRootForProcesses(t)
	ia := installAgent(t)
	display, ad, socket, installed, port, expert := ia.display, ia.ad, ia.socket, ia.installed, ia.port, ia.expert
	defer ad.Close()
	const pw = "the customer's own password"
	if err := ad.SetUp(expert.ID(), "Alice", pw, ""); err != nil {
		t.Fatal(err)
	}
	target := unattended.Target{Addr: net.JoinHostPort("127.0.0.1", itoa(port)), ID: ad.ComputerID(),
		Secret: unattended.Secret(pw, ad.ComputerID())}

	host := func() *session.Host {
		h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice",
			Identity: expert})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.End)
		return h
	}
	if err := unattended.Open(t.Context(), target, expert, "Alice", host().Link().String()); protocol.CodeOf(err) != protocol.NobodyLoggedIn {
		t.Fatalf("with nobody logged in: %v", err)
	}

	// The helper, as the desktop starts it at login.
	helper := start(t, installed, []string{"-helper", "-socket", socket, "-lang", "en"}, []string{"DISPLAY=" + display.Display})
	waitFor(t, "the helper at the agent", func() bool { st, err := ad.Status(); return err == nil && st.Helper })
	h := host()
	if err := unattended.Open(t.Context(), target, expert, "Alice", h.Link().String()); err != nil {
		t.Fatalf("open: %v", err)
	}
	joined := waitHost(t, h, func(session.Joined) bool { return true })
	if !joined.Peer.Can(protocol.CapUnattended) {
		t.Fatalf("the helper joined as %+v", joined.Peer)
	}
	waitHost(t, h, func(session.ScreenUpdated) bool { return true }) // the real screen of the desktop
	if err := h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	waitHost(t, h, func(e session.ControlChanged) bool { return e.Granted })

	// Blocked: the session ends at once, with the reason.
	if err := ad.SetBlocked(true); err != nil {
		t.Fatal(err)
	}
	ended := waitHost(t, h, func(session.Ended) bool { return true })
	if protocol.CodeOf(ended.Err) != protocol.Blocked {
		t.Fatalf("ended with %v", ended.Err)
	}
	if err := ad.SetBlocked(false); err != nil {
		t.Fatal(err)
	}

	// The helper gone (the user logged out): nobody logged in again.
	helper.stop(t)
	waitFor(t, "the helper gone", func() bool { st, err := ad.Status(); return err == nil && !st.Helper })
	if err := unattended.Open(t.Context(), target, expert, "Alice", host().Link().String()); protocol.CodeOf(err) != protocol.NobodyLoggedIn {
		t.Fatalf("after the helper left: %v", err)
	}
	entries, err := ad.Log(0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[unattended.Event]int{}
	for _, e := range entries {
		seen[e.What]++
	}
	for ev, n := range map[unattended.Event]int{unattended.EventNobodyLoggedIn: 2, unattended.EventConnected: 1,
		unattended.EventViewed: 1, unattended.EventControlled: 1, unattended.EventSessionEnded: 1, unattended.EventBlocked: 1} {
		if seen[ev] != n {
			t.Errorf("the log has %d %q, want %d: %v", seen[ev], ev, n, seen)
		}
	}
	ad.Close()
	ia.agent.stop(t)

	run(t, ia.bin, "agent", "uninstall", "-root", ia.root)
	for _, rel := range []string{unattended.ProgramPath, unattended.UnitPath, unattended.AutostartPath, unattended.StateDir} {
		if _, err := os.Stat(filepath.Join(ia.root, rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after uninstall (%v)", rel, err)
		}
	}
}

// needRootForProcesses skips a test of the agent as a real process unless it runs as root: the agent serves
// its local channel to root and logind's graphical users only. CI runs as root, where it must not skip.
func needRootForProcesses(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test must run there")
		}
		t.Skip("the agent serves its local channel to root and logind's graphical users: run as root")
	}
	if testing.Short() {
		t.Skip("builds the program")
	}
}

// TestAgentReachedThroughARendezvousAsRealProcesses: the installed agent, set up by a technician whose session came
// through a rendezvous, is present there; the technician, who has nothing but the computer's ID and the password,
// reaches it through the rendezvous, and the helper (a process in a desktop) joins the technician's session
// through it and shows the real screen. Stopped, the agent leaves the rendezvous: the computer shows offline.
func TestAgentReachedThroughARendezvousAsRealProcesses(t *testing.T) {
	needRootForProcesses(t)
	url := rendezvoustest.Start(t).ClientURL()
	ia := installAgent(t, "-rendezvous-loopback")
	defer ia.ad.Close()
	const pw = "the customer's own password"
	if err := ia.ad.SetUp(ia.expert.ID(), "Alice", pw, url); err != nil {
		t.Fatal(err)
	}
	path := session.PathOptions{Loopback: true}
	target := unattended.Target{Rendezvous: url, Path: path, ID: ia.ad.ComputerID(),
		Secret: unattended.Secret(pw, ia.ad.ComputerID())}
	check := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		return unattended.Check(ctx, target, ia.expert)
	}
	waitFor(t, "the computer present at the rendezvous", func() bool { return check() == nil })

	start(t, ia.installed, []string{"-helper", "-socket", ia.socket, "-lang", "en", "-rendezvous-loopback"},
		[]string{"DISPLAY=" + ia.display.Display})
	waitFor(t, "the helper at the agent", func() bool { st, err := ia.ad.Status(); return err == nil && st.Helper })
	h, err := session.NewHost(session.HostConfig{Name: "Alice", Identity: ia.expert, Rendezvous: url, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	if err := unattended.Open(t.Context(), target, ia.expert, "Alice", h.Link().String()); err != nil {
		t.Fatalf("open through the rendezvous: %v", err)
	}
	joined := waitHost(t, h, func(session.Joined) bool { return true })
	if !joined.Peer.Can(protocol.CapUnattended) || joined.Peer.Route.Rendezvous == "" {
		t.Fatalf("the helper joined as %+v, want unattended through the rendezvous", joined.Peer)
	}
	waitHost(t, h, func(session.ScreenUpdated) bool { return true })

	ia.ad.Close()
	ia.agent.stop(t)
	if err := check(); protocol.CodeOf(err) != protocol.Unreachable {
		t.Fatalf("after the agent stopped: %v, want unreachable", err)
	}
}

// installedAgent is unattended access installed by the real program into a test root, its agent running as the
// unit starts it (paths moved into the root, technicians of the network on a loopback port).
type installedAgent struct {
	display   *xvfb.Server
	bin, root string
	installed string // the program the install copied
	socket    string
	port      int
	agent     *process
	ad        *unattended.Admin
	expert    *transport.Identity // a technician's lasting identity
}

// installAgent builds the program, installs it into a test root and runs its agent with extra arguments.
func installAgent(t *testing.T, extra ...string) *installedAgent {
	t.Helper()
	ia := &installedAgent{display: xvfb.ForTest(t, 800, 600)}
	ia.bin = filepath.Join(t.TempDir(), "tandem-customer")
	build := exec.Command("go", "build", "-o", ia.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	ia.root = t.TempDir()
	run(t, ia.bin, "agent", "install", "-root", ia.root, "-program", ia.bin)
	ia.installed = filepath.Join(ia.root, unattended.ProgramPath)
	for _, rel := range []string{unattended.ProgramPath, unattended.UnitPath, unattended.AutostartPath} {
		if _, err := os.Stat(filepath.Join(ia.root, rel)); err != nil {
			t.Fatalf("install wrote no %s: %v", rel, err)
		}
	}
	unit, err := os.ReadFile(filepath.Join(ia.root, unattended.UnitPath))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatalf("no ExecStart in the unit:\n%s", unit)
	}
	args := strings.Fields(string(m[1]))
	if args[0] != "/"+unattended.ProgramPath || args[1] != "agent" {
		t.Fatalf("the unit starts %q", m[1])
	}
	ia.port = freeUDPPort(t)
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "/"):
			args[i] = filepath.Join(ia.root, a)
		case strings.HasPrefix(a, ":"):
			args[i] = net.JoinHostPort("127.0.0.1", itoa(ia.port))
		}
	}
	ia.socket = filepath.Join(ia.root, unattended.SocketPath)
	ia.agent = start(t, args[0], append(args[1:], extra...), nil)
	ia.ad = waitAdminProcess(t, ia.socket)
	if ia.expert, err = transport.NewIdentity(); err != nil {
		t.Fatal(err)
	}
	return ia
}

// run runs the program to its end, failing the test if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// process is a program the test started; its output goes to the test's log.
type process struct {
	cmd  *exec.Cmd
	done chan error
	wg   sync.WaitGroup
}

func start(t *testing.T, name string, args, env []string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	base := filepath.Base(name)
	p.wg.Go(func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			t.Logf("%s: %s", base, sc.Text())
		}
		_, _ = io.Copy(io.Discard, out)
	})
	go func() {
		p.wg.Wait()
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// stop asks the program to end (SIGTERM, as systemd and a logout do) and waits for it.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			t.Errorf("%s ended with %v", p.cmd.Path, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop", p.cmd.Path)
	}
}

func waitAdminProcess(t *testing.T, socket string) *unattended.Admin {
	t.Helper()
	var ad *unattended.Admin
	waitFor(t, "the agent's socket", func() bool {
		var err error
		ad, err = unattended.DialAdmin(context.Background(), socket)
		return err == nil
	})
	return ad
}

// waitFor checks cond every few milliseconds for 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}
