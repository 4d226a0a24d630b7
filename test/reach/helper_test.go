//go:build linux

package reach

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/test/reach/netlab"
)

// The tests run programs inside the lab's namespaces: the rendezvous binary, and this test binary itself,
// re-executed under `ip netns exec NS` with helperEnv naming its role (TestReachHelperProcess). A helper talks
// to the test through lines: it prints "REACH {json}" messages on stdout and reads commands on stdin; it ends
// when stdin closes (so it never outlives the test) or after helperLifetime.
const (
	helperEnv      = "TANDEM_REACH_HELPER"
	helperPrefix   = "REACH "
	helperLifetime = 2 * time.Minute
	// waitTimeout bounds every wait for a helper's message.
	waitTimeout = 45 * time.Second
)

// msg is one message from a helper.
type msg struct {
	Ev    string   `json:"ev"`              // what happened: ready, link, joined, refused, chat, ended, error, probe…
	Link  string   `json:"link,omitempty"`  // host: the join link
	Route *route   `json:"route,omitempty"` // joined: how the connection goes
	Code  int      `json:"code,omitempty"`  // refused, error, ended: protocol.CodeOf
	Err   string   `json:"err,omitempty"`   // the error's text, for the test's log
	Text  string   `json:"text,omitempty"`  // chat
	Addr  string   `json:"addr,omitempty"`  // ready: the address listened on; probe: the local address
	Seen  []string `json:"seen,omitempty"`  // probe: per target, what answered
	// Attempts is how many times the host asked for a key (link), or the guest tried to join (joined, error).
	Attempts int `json:"attempts,omitempty"`
}

// route mirrors session.Route (the helpers marshal the real one).
type route struct {
	Rendezvous    string
	Relayed       bool
	Local, Remote string
}

// proc is a helper or server process running inside a namespace.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	msgs  chan msg
	exit  chan struct{} // closed when the process has ended
	err   error         // its exit status, set before exit closes

	// helper: a helper of this test binary, which ends when its stdin closes and must end with status 0;
	// otherwise a server, asked to end with SIGTERM.
	helper bool

	mu     sync.Mutex
	stderr bytes.Buffer
	killed bool
}

// startHelper runs this test binary inside ns as the helper of role, with extra environment variables.
func startHelper(t *testing.T, lab *netlab.Lab, ns, role string, env ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := lab.Command(context.Background(), ns, exe, "-test.run=^TestReachHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + role}, env...)...)
	return start(t, role+"@"+ns, cmd, true)
}

// start starts cmd and reads its messages; a cleanup stops it (closing stdin, then killing it) and fails the
// test if it reported a data race.
func start(t *testing.T, name string, cmd *exec.Cmd, helper bool) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, helper: helper, msgs: make(chan msg, 64), exit: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stderr.Write(b)
	})
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m msg
			if line, ok := strings.CutPrefix(sc.Text(), helperPrefix); ok {
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					continue
				}
			} else if p.helper {
				continue // the test framework's own output
			} else {
				m = msg{Ev: "line", Text: sc.Text()} // a server's output, line by line
			}
			select {
			case p.msgs <- m:
			default: // nobody reads: a test that stopped caring
			}
		}
		p.err = cmd.Wait()
		close(p.exit)
	}()
	t.Cleanup(func() {
		p.stop()
		p.mu.Lock()
		defer p.mu.Unlock()
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race:\n%s", name, p.stderr.String())
		} else if t.Failed() && p.stderr.Len() > 0 {
			t.Logf("%s stderr:\n%s", name, tail(p.stderr.String(), 4000))
		}
	})
	return p
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// next returns the next message, failing the test if none comes in time or the process ends first.
func (p *proc) next() msg {
	p.t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-p.exit:
		select {
		case m := <-p.msgs:
			return m
		default:
		}
		p.t.Fatalf("%s ended (%v) without a message; stderr:\n%s", p.name, p.err, tail(p.stderrText(), 4000))
	case <-time.After(waitTimeout):
		p.t.Fatalf("%s: no message within %v; stderr:\n%s", p.name, waitTimeout, tail(p.stderrText(), 4000))
	}
	return msg{}
}

// want returns the next message, failing the test unless it is ev.
func (p *proc) want(ev string) msg {
	p.t.Helper()
	m := p.next()
	if m.Ev != ev {
		p.t.Fatalf("%s: got %+v, want %q", p.name, m, ev)
	}
	return m
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// send writes one command line to the process.
func (p *proc) send(cmd string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.stdin, cmd); err != nil {
		p.t.Fatalf("%s: sending %q: %v", p.name, cmd, err)
	}
}

// kill sends SIGKILL and waits for the end.
func (p *proc) kill() {
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exit:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s: still running 10 s after SIGKILL", p.name)
	}
}

// stop closes stdin and waits a little for the process to end by itself, then kills it. A helper that ends
// with an error status it was not killed for fails the test.
func (p *proc) stop() {
	_ = p.stdin.Close()
	if !p.helper {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.exit:
	case <-time.After(10 * time.Second):
		p.kill()
	}
	p.mu.Lock()
	killed := p.killed
	p.mu.Unlock()
	if p.helper && !killed && p.err != nil {
		p.t.Errorf("%s: %v", p.name, p.err)
	}
}

// TestReachHelperProcess is not a test: it is the body of the helper processes, and does nothing otherwise.
func TestReachHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), helperLifetime)
	defer cancel()
	h := &helper{ctx: ctx, cmds: make(chan string, 16)}
	go func() { // commands from the test; stdin's end means the test is done with us
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			h.cmds <- sc.Text()
		}
		close(h.cmds)
	}()
	fn, ok := helperRoles[role]
	if !ok {
		h.say(msg{Ev: "error", Err: "unknown helper role " + role})
		os.Exit(2)
	}
	if err := fn(h); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// helper is what a role's function gets: a context bounded by helperLifetime, the test's commands, and say.
type helper struct {
	ctx  context.Context
	cmds chan string
	mu   sync.Mutex
}

// helperRoles maps a role to its body; the files that need a role add theirs in init.
var helperRoles = map[string]func(*helper) error{}

// say prints a message for the test.
func (h *helper) say(m msg) {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(os.Stdout, "%s%s\n", helperPrefix, b)
}

// command waits for the test's next command; "" when stdin closed or the helper's lifetime is over.
func (h *helper) command() string {
	select {
	case c, ok := <-h.cmds:
		if !ok {
			return ""
		}
		return c
	case <-h.ctx.Done():
		return ""
	}
}

// needLab skips the test when the lab cannot run here, except in CI (CI=true), where it fails: CI runs as
// root with iproute2 and iptables, and these tests must not silently vanish there.
func needLab(t *testing.T) {
	t.Helper()
	if err := netlab.Check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true, and the network lab cannot run: %v", err)
		}
		t.Skip(err)
	}
}

// newLab builds a lab that the test's cleanup deletes (after the processes started later have been stopped:
// cleanups run last-registered first).
func newLab(t *testing.T, cfg netlab.Config) *netlab.Lab {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	lab, err := netlab.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("deleting the lab: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if left, err := lab.Namespaces(ctx); err != nil || len(left) > 0 {
			t.Errorf("namespaces left after the lab closed: %v %v", left, err)
		}
	})
	return lab
}
