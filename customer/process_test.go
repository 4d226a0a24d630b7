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
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test must run there")
		}
		t.Skip("the agent serves its local channel to root and logind's graphical users: run as root")
	}
	if testing.Short() {
		t.Skip("builds the program")
	}
	display := xvfb.ForTest(t, 800, 600)
	bin := filepath.Join(t.TempDir(), "tandem-customer")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	root := t.TempDir()
	run(t, bin, "agent", "install", "-root", root, "-program", bin)
	installed := filepath.Join(root, unattended.ProgramPath)
	for _, rel := range []string{unattended.ProgramPath, unattended.UnitPath, unattended.AutostartPath} {
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Fatalf("install wrote no %s: %v", rel, err)
		}
	}

	// The agent, as the unit starts it, with its paths moved into the test root and a loopback port.
	unit, err := os.ReadFile(filepath.Join(root, unattended.UnitPath))
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
	port := freeUDPPort(t)
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "/"):
			args[i] = filepath.Join(root, a)
		case strings.HasPrefix(a, ":"):
			args[i] = net.JoinHostPort("127.0.0.1", itoa(port))
		}
	}
	socket := filepath.Join(root, unattended.SocketPath)
	agent := start(t, args[0], args[1:], nil)
	ad := waitAdminProcess(t, socket)
	defer ad.Close()
	expert, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "the customer's own password"
	if err := ad.SetUp(expert.ID(), "Alice", pw); err != nil {
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
	agent.stop(t)

	run(t, bin, "agent", "uninstall", "-root", root)
	for _, rel := range []string{unattended.ProgramPath, unattended.UnitPath, unattended.AutostartPath, unattended.StateDir} {
		if _, err := os.Stat(filepath.Join(root, rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after uninstall (%v)", rel, err)
		}
	}
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
