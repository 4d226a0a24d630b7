// Command capacitybench measures how many meetings per second a rendezvous (shared/rendezvous: embedded
// nats-server, JetStream KV nameplates, per-principal mailboxes) carries, and how long one takes, with many
// meetings in flight.
//
//	go run ./shared/rendezvous/capacitybench [-d 10s | -n COUNT] [-warmup 2s] [-concurrency 1000] [-cluster 3]
//	    [-server child|inproc] [-server-procs 1] [-server-cpus 0] [-load-cpus 1-N] [-url URL[,URL...]]
//	    [-msgs 8] [-size 200] [-redial] [-json] [-cpuprofile FILE] [-server-cpuprofile FILE]
//
// One session is what a real meeting costs the rendezvous: the technician's client creates a nameplate, the
// customer's client claims it, the technician receives the claim on Nameplate.Claims and opens the mailbox, the
// two exchange ICE signalling through it (by default 8 messages of about 200 bytes each way: offer, answer, six
// candidates and "end", shaped like shared/transport/icepath's), and the technician releases the nameplate.
// -concurrency sessions run at once, each on its own pair of real rendezvous.Dial clients over loopback TCP.
// The clients are long-lived (a pool of 2×concurrency connections, each pair running its sessions back to
// back) unless -redial dials a fresh pair for every session, as the programs do.
//
// By default the rendezvous runs in a child process (this program with -server-only) with GOMAXPROCS
// -server-procs (1), pinned with taskset to -server-cpus (CPU 0) when taskset exists and the machine has more
// than one CPU; the load generator then pins itself to the other CPUs (-load-cpus). The CPU the server used
// during the measurement is read from /proc and printed, so a load generator that cannot saturate the server
// shows as a server below one core. -server inproc runs the server in this process instead (one GOMAXPROCS for
// both). -cluster 3 runs three nodes (child processes, or in this process with -server inproc) with routes on
// loopback and R3 buckets; technicians talk to node i, their customers to node i+1. -url runs the load against
// running rendezvous (comma-separated URLs, spread as with -cluster), e.g. one started with
//
//	GOMAXPROCS=1 taskset -c 0 capacitybench -server-only 127.0.0.1:4222
//
// Every session that fails is counted and the first errors are printed; the exit status is 1 if any failed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
)

type options struct {
	dur, warmup, sessionTimeout time.Duration
	count                       int
	concurrency                 int
	cluster                     int
	serverMode                  string
	serverProcs, serverGOGC     int
	serverCPUs, loadCPUs        string
	urls                        string
	msgs, size                  int
	redial, retryLimited        bool
	sameNode                    bool
	asJSON                      bool
	cpuProfile, serverProfile   string
}

type result struct {
	Setup           string         `json:"setup"`
	Nodes           int            `json:"nodes"`
	ServerGOMAXPROC int            `json:"server_gomaxprocs"`
	ServerCPUs      string         `json:"server_cpus,omitempty"`
	LoadGOMAXPROCS  int            `json:"load_gomaxprocs"`
	LoadCPUs        string         `json:"load_cpus,omitempty"`
	Concurrency     int            `json:"concurrency"`
	Clients         string         `json:"clients"`
	MsgsEachWay     int            `json:"msgs_each_way"`
	MsgBytes        int            `json:"msg_bytes"`
	Seconds         float64        `json:"seconds"`
	Sessions        int            `json:"sessions"`
	SessionsPerSec  float64        `json:"sessions_per_second"`
	RequestsPerSec  float64        `json:"requests_per_second"`
	LatencyP50Ms    float64        `json:"latency_p50_ms"`
	LatencyP95Ms    float64        `json:"latency_p95_ms"`
	LatencyP99Ms    float64        `json:"latency_p99_ms"`
	LatencyMaxMs    float64        `json:"latency_max_ms"`
	ServerCPUCores  float64        `json:"server_cpu_cores"` // -1: unknown (external server)
	ServerCPUMsPer  float64        `json:"server_cpu_ms_per_session"`
	ServerCPUShared bool           `json:"server_cpu_includes_load,omitempty"` // -server inproc
	LoadCPUCores    float64        `json:"load_cpu_cores"`
	LimitedRetries  int64          `json:"limited_retries"`
	Failures        int            `json:"failures"`
	ClientEvents    map[string]int `json:"client_events,omitempty"`
	FailureKinds    map[string]int `json:"failure_kinds,omitempty"`
	FailureSamples  []string       `json:"failure_samples,omitempty"`
}

func main() {
	var o options
	flag.DurationVar(&o.dur, "d", 10*time.Second, "how long to measure (after the warm-up)")
	flag.IntVar(&o.count, "n", 0, "measure this many sessions instead of a duration")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "sessions run this long before the measurement starts")
	flag.DurationVar(&o.sessionTimeout, "session-timeout", 30*time.Second, "a session that takes longer fails")
	flag.IntVar(&o.concurrency, "concurrency", 1000, "sessions in flight")
	flag.IntVar(&o.cluster, "cluster", 1, "number of rendezvous nodes (1, or 3 for a cluster)")
	flag.StringVar(&o.serverMode, "server", "child", "where the rendezvous runs: child (processes of its own) or inproc")
	flag.IntVar(&o.serverProcs, "server-procs", 1, "GOMAXPROCS of each server child process")
	flag.IntVar(&o.serverGOGC, "server-gogc", 0, "GOGC of the server child processes (0: as tandem-rendezvous, rendezvous.GCPercent unless GOGC is set)")
	flag.StringVar(&o.serverCPUs, "server-cpus", "auto", "taskset CPU list of the server child processes (auto: CPU 0 for one node and more than one CPU, else none; \"\": no pinning)")
	flag.StringVar(&o.loadCPUs, "load-cpus", "auto", "taskset CPU list of the load generator (auto: the CPUs the server does not get)")
	flag.StringVar(&o.urls, "url", "", "run the load against these running rendezvous (comma-separated)")
	flag.IntVar(&o.msgs, "msgs", 8, "mailbox messages each way per session")
	flag.IntVar(&o.size, "size", 200, "bytes per mailbox message")
	flag.BoolVar(&o.redial, "redial", false, "dial a fresh pair of clients for every session instead of a long-lived pool")
	flag.BoolVar(&o.retryLimited, "retry-limited", false, "retry a request the rendezvous refused as \"limited\" (its cap on control requests in flight) after 5-25 ms, instead of failing the session; retries are counted")
	flag.BoolVar(&o.sameNode, "same-node", false, "with several nodes: put each customer on its technician's node (default: on the next node)")
	flag.BoolVar(&o.asJSON, "json", false, "print one JSON object")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (the load generator; the server too with -server inproc)")
	flag.StringVar(&o.serverProfile, "server-cpuprofile", "", "write a CPU profile of each server child process (FILE, or FILE.N for node N of a cluster)")
	serverOnly := flag.String("server-only", "", "run one rendezvous node listening for NATS clients on this host:port, print its URL, until stdin closes or a signal")
	clusterName := flag.String("cluster-name", "", "with -server-only: the cluster name")
	clusterListen := flag.String("cluster-listen", "", "with -server-only: the route listener host:port")
	routes := flag.String("routes", "", "with -server-only: comma-separated route URLs of all nodes")
	nodeName := flag.String("node-name", "", "with -server-only: this node's name")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("capacitybench: ")

	if *serverOnly != "" {
		rendezvous.TuneGC() // as tandem-rendezvous
		if err := serveOnly(*serverOnly, *nodeName, *clusterName, *clusterListen, *routes, o.cpuProfile); err != nil {
			log.Fatal(err)
		}
		return
	}
	res, err := run(o)
	if err != nil {
		log.Fatal(err)
	}
	if o.asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
	} else {
		srvCPU := "server CPU unknown"
		if res.Nodes > 0 && res.ServerCPUShared {
			srvCPU = fmt.Sprintf("CPU of server and load together %.2f cores (%.3f ms/session)", res.ServerCPUCores, res.ServerCPUMsPer)
		} else if res.ServerCPUCores >= 0 {
			srvCPU = fmt.Sprintf("server CPU %.2f cores (%.3f ms/session)", res.ServerCPUCores, res.ServerCPUMsPer)
		}
		fmt.Printf("%s; %d concurrent on %s; %d+%d msgs of %d B: %d sessions in %.1f s = %.0f sessions/s "+
			"(%.0f requests/s); latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms; %s; load CPU %.2f cores; "+
			"%d \"limited\" retries; %d failures\n",
			res.Setup, res.Concurrency, res.Clients, res.MsgsEachWay, res.MsgsEachWay, res.MsgBytes, res.Sessions,
			res.Seconds, res.SessionsPerSec, res.RequestsPerSec, res.LatencyP50Ms, res.LatencyP95Ms, res.LatencyP99Ms,
			res.LatencyMaxMs, srvCPU, res.LoadCPUCores, res.LimitedRetries, res.Failures)
		kinds := slices.SortedFunc(maps.Keys(res.FailureKinds), func(a, b string) int {
			return res.FailureKinds[b] - res.FailureKinds[a]
		})
		for _, k := range kinds {
			fmt.Printf("  %d× %s\n", res.FailureKinds[k], k)
		}
		for k, n := range res.ClientEvents {
			fmt.Printf("  client log: %d× %s\n", n, k)
		}
		for _, s := range res.FailureSamples {
			fmt.Println("  failure:", s)
		}
	}
	if res.Failures > 0 {
		os.Exit(1)
	}
}

// serverConfig is the rendezvous configuration of the bench: rendezvoustest's loopback configuration without
// TURN (the bench never relays) and with rate limits no bench reaches (every client comes from 127.0.0.1).
func serverConfig(listen string) rendezvous.Config {
	cfg := rendezvoustest.Config()
	cfg.NATSListen = listen
	cfg.TURNUDPListen, cfg.TURNTCPListen, cfg.TURNTLSListen = "", "", ""
	cfg.CreatesPerMinute, cfg.ClaimsPerMinute = math.MaxInt32, math.MaxInt32
	return cfg
}

// serveOnly runs one node until stdin reaches its end (the parent bench closed it or died) or a signal.
func serveOnly(listen, name, clusterName, clusterListen, routes, profile string) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	cfg := serverConfig(listen)
	cfg.ServerName = name
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name)
	if clusterName != "" {
		cfg.ClusterName, cfg.ClusterListen, cfg.Routes = clusterName, clusterListen, strings.Split(routes, ",")
	}
	srv, err := rendezvous.Start(cfg)
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	err = srv.Ready(ctx)
	cancel()
	if err != nil {
		return err
	}
	fmt.Printf("url %s gomaxprocs %d\n", srv.ClientURL(), runtime.GOMAXPROCS(0))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-sig:
	case <-eof:
	}
	return nil
}

// node is one rendezvous the load goes to: in this process, a child process, or external.
type node struct {
	url   string
	srv   *rendezvous.Server
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func (n *node) close() error {
	if n.srv != nil {
		return n.srv.Close()
	}
	if n.cmd == nil {
		return nil
	}
	_ = n.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("server process %d: %w", n.cmd.Process.Pid, err)
		}
		return nil
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		err := <-done
		return fmt.Errorf("server process %d did not stop within 15 s; killed: %w", n.cmd.Process.Pid, err)
	}
}

// cpuTicks returns the user+system CPU time of a child process, from /proc.
func (n *node) cpuTime() (time.Duration, bool) {
	if n.cmd == nil {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from 3 (state) on
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const clkTck = 100 // USER_HZ, 100 on every Linux ABI Go supports
	return time.Duration(ut+st) * time.Second / clkTck, true
}

func run(o options) (res result, err error) {
	if o.concurrency < 1 || o.msgs < 1 || o.size < 64 || o.size > rendezvous.MaxMessageSize {
		return res, errors.New("want -concurrency ≥ 1, -msgs ≥ 1 and 64 ≤ -size ≤ 65536")
	}
	if o.cluster != 1 && o.cluster != 3 && o.urls == "" {
		return res, errors.New("-cluster is 1 or 3")
	}
	if o.serverMode != "child" && o.serverMode != "inproc" {
		return res, errors.New("-server is child or inproc")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Where everything runs.
	ncpu := runtime.NumCPU()
	taskset, _ := exec.LookPath("taskset")
	external := o.urls != ""
	child := !external && o.serverMode == "child"
	if o.serverCPUs == "auto" {
		o.serverCPUs = ""
		if child && taskset != "" && ncpu > 1 && o.cluster == 1 {
			o.serverCPUs = "0"
		}
	}
	if o.loadCPUs == "auto" {
		o.loadCPUs = ""
		if o.serverCPUs == "0" && taskset != "" && ncpu > 1 {
			o.loadCPUs = fmt.Sprintf("1-%d", ncpu-1)
		}
	}
	if (o.serverCPUs != "" || o.loadCPUs != "") && taskset == "" {
		return res, errors.New("-server-cpus and -load-cpus need taskset, which is not installed")
	}
	if !child {
		o.serverCPUs = ""
	}
	if o.loadCPUs != "" {
		out, err := exec.Command(taskset, "-a", "-p", "-c", o.loadCPUs, strconv.Itoa(os.Getpid())).CombinedOutput()
		if err != nil {
			return res, fmt.Errorf("pinning the load generator to CPUs %s: %w: %s", o.loadCPUs, err, out)
		}
		runtime.GOMAXPROCS(cpuCount(o.loadCPUs, ncpu))
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return res, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}

	// The servers.
	var nodes []*node
	defer func() {
		for i, n := range nodes {
			if cerr := n.close(); cerr != nil && err == nil {
				err = fmt.Errorf("node %d: %w", i+1, cerr)
			}
		}
	}()
	switch {
	case external:
		for _, u := range strings.Split(o.urls, ",") {
			nodes = append(nodes, &node{url: u})
		}
	case child:
		nodes, err = startChildren(o, taskset)
	default:
		nodes, err = startInProcess(o.cluster)
	}
	if err != nil {
		return res, err
	}

	res.Nodes = len(nodes)
	res.ServerGOMAXPROC = o.serverProcs
	res.ServerCPUs = o.serverCPUs
	res.LoadGOMAXPROCS = runtime.GOMAXPROCS(0)
	res.LoadCPUs = o.loadCPUs
	res.Concurrency = o.concurrency
	res.MsgsEachWay, res.MsgBytes = o.msgs, o.size
	where := map[bool]string{true: "child processes", false: "child process"}[len(nodes) > 1]
	switch {
	case external:
		res.ServerGOMAXPROC = 0
		res.Setup = fmt.Sprintf("%d external rendezvous node(s) %s", len(nodes), o.urls)
	case child:
		res.Setup = fmt.Sprintf("%d rendezvous node(s) in %s with GOMAXPROCS=%d", len(nodes), where, o.serverProcs)
		gogc := strconv.Itoa(rendezvous.GCPercent)
		if v, ok := os.LookupEnv("GOGC"); ok {
			gogc = v
		}
		if o.serverGOGC != 0 {
			gogc = strconv.Itoa(o.serverGOGC)
		}
		res.Setup += " GOGC=" + gogc
		if o.serverCPUs != "" {
			res.Setup += " on CPUs " + o.serverCPUs + " (taskset)"
		} else {
			res.Setup += " unpinned"
		}
	default:
		res.ServerGOMAXPROC = runtime.GOMAXPROCS(0)
		res.Setup = fmt.Sprintf("%d rendezvous node(s) in the load generator's process", len(nodes))
	}
	res.Setup += fmt.Sprintf(", load generator GOMAXPROCS=%d", res.LoadGOMAXPROCS)
	if o.loadCPUs != "" {
		res.Setup += " on CPUs " + o.loadCPUs
	}
	res.Setup += fmt.Sprintf(" (%d CPUs)", ncpu)
	if o.redial {
		res.Clients = "a fresh pair of clients per session"
	} else {
		res.Clients = fmt.Sprintf("%d long-lived clients (a pair per slot, sessions back to back)", 2*o.concurrency)
	}
	if len(nodes) > 1 {
		res.Clients += map[bool]string{true: ", customer on the technician's node", false: ", technician on node i, customer on node i+1"}[o.sameNode]
	}

	if err := load(ctx, o, nodes, &res); err != nil {
		return res, err
	}
	return res, nil
}

// cpuCount counts the CPUs of a taskset list such as "1-3,5".
func cpuCount(list string, ncpu int) int {
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, ok := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if ok {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || b < a {
			return ncpu
		}
		n += b - a + 1
	}
	return max(1, min(n, ncpu))
}

// freePorts reserves n loopback TCP ports and releases them for the nodes to bind (JetStream needs every route
// up front).
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func clusterArgs(n int) (routes string, listens []string, err error) {
	ports, err := freePorts(n)
	if err != nil {
		return "", nil, err
	}
	var rs []string
	for _, p := range ports {
		rs = append(rs, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
		listens = append(listens, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return strings.Join(rs, ","), listens, nil
}

// closeNodes stops the nodes started so far, for a start that failed with err.
func closeNodes(nodes []*node, err error) ([]*node, error) {
	for _, n := range nodes {
		_ = n.close()
	}
	return nil, err
}

func startInProcess(count int) ([]*node, error) {
	var nodes []*node
	fail := func(err error) ([]*node, error) { return closeNodes(nodes, err) }
	var routes string
	var listens []string
	if count > 1 {
		var err error
		if routes, listens, err = clusterArgs(count); err != nil {
			return nil, err
		}
	}
	for i := range count {
		cfg := serverConfig("127.0.0.1:0")
		cfg.ServerName = fmt.Sprintf("bench-node%d", i+1)
		if count > 1 {
			cfg.ClusterName, cfg.ClusterListen, cfg.Routes = "bench", listens[i], strings.Split(routes, ",")
		}
		srv, err := rendezvous.Start(cfg)
		if err != nil {
			return fail(fmt.Errorf("starting node %d: %w", i+1, err))
		}
		nodes = append(nodes, &node{url: srv.ClientURL(), srv: srv})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, n := range nodes {
		if err := n.srv.Ready(ctx); err != nil {
			return fail(fmt.Errorf("node %d: %w", i+1, err))
		}
	}
	return nodes, nil
}

func startChildren(o options, taskset string) ([]*node, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to run the server: %w", err)
	}
	var nodes []*node
	fail := func(err error) ([]*node, error) { return closeNodes(nodes, err) }
	var routes string
	var listens []string
	if o.cluster > 1 {
		if routes, listens, err = clusterArgs(o.cluster); err != nil {
			return nil, err
		}
	}
	type started struct {
		line string
		err  error
	}
	var lines []chan started
	for i := range o.cluster {
		args := []string{"-server-only", "127.0.0.1:0", "-node-name", fmt.Sprintf("bench-node%d", i+1)}
		if o.cluster > 1 {
			args = append(args, "-cluster-name", "bench", "-cluster-listen", listens[i], "-routes", routes)
		}
		if o.serverProfile != "" {
			p := o.serverProfile
			if o.cluster > 1 {
				p += fmt.Sprintf(".%d", i+1)
			}
			args = append(args, "-cpuprofile", p)
		}
		name := exe
		if o.serverCPUs != "" {
			args = append([]string{"-c", o.serverCPUs, exe}, args...)
			name = taskset
		}
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", o.serverProcs))
		if o.serverGOGC != 0 {
			cmd.Env = append(cmd.Env, fmt.Sprintf("GOGC=%d", o.serverGOGC))
		}
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return fail(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return fail(err)
		}
		if err := cmd.Start(); err != nil {
			return fail(fmt.Errorf("starting server node %d: %w", i+1, err))
		}
		nodes = append(nodes, &node{cmd: cmd, stdin: stdin})
		ch := make(chan started, 1)
		lines = append(lines, ch)
		go func() {
			line, err := bufio.NewReader(stdout).ReadString('\n')
			ch <- started{line, err}
			_, _ = io.Copy(io.Discard, stdout)
		}()
	}
	timeout := time.After(90 * time.Second)
	for i, ch := range lines {
		select {
		case s := <-ch:
			f := strings.Fields(s.line)
			if s.err != nil || len(f) < 4 || f[0] != "url" {
				return fail(fmt.Errorf("server node %d did not start (%q): %w", i+1, s.line, s.err))
			}
			nodes[i].url = f[1]
			if f[3] != strconv.Itoa(o.serverProcs) {
				return fail(fmt.Errorf("server node %d runs with GOMAXPROCS %s, not %d", i+1, f[3], o.serverProcs))
			}
		case <-timeout:
			return fail(fmt.Errorf("server node %d not ready within 90 s", i+1))
		}
	}
	return nodes, nil
}

// events counts what the clients log (disconnections, reconnections, errors), by message.
type events struct {
	mu sync.Mutex
	n  map[string]int
}

func (e *events) Enabled(context.Context, slog.Level) bool { return true }
func (e *events) WithAttrs([]slog.Attr) slog.Handler       { return e }
func (e *events) WithGroup(string) slog.Handler            { return e }
func (e *events) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelInfo {
		return nil
	}
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = make(map[string]int)
	}
	e.n[msg]++
	return nil
}

// stats gathers what the sessions report.
type stats struct {
	mu      sync.Mutex
	lat     []time.Duration // of sessions that ended inside the measurement window
	fails   int
	kinds   map[string]int
	samples []string
	lastEnd time.Time
}

func (s *stats) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails++
	if s.kinds == nil {
		s.kinds = make(map[string]int)
	}
	s.kinds[kind(err)]++
	if len(s.samples) < 10 {
		s.samples = append(s.samples, err.Error())
	}
}

// kind names the sort of a session's failure: its error without the session's particulars.
func kind(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil || strings.HasPrefix(err.Error(), "rendezvous:") {
			break
		}
		err = u
	}
	k := err.Error()
	if i := strings.Index(k, "out of place"); i >= 0 {
		k = k[:i+len("out of place")]
	}
	return k
}

func load(ctx context.Context, o options, nodes []*node, res *result) error {
	var ev events
	clientLog := slog.New(&ev)
	defer func() {
		ev.mu.Lock()
		res.ClientEvents = maps.Clone(ev.n)
		ev.mu.Unlock()
	}()
	dialCtx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	type pair struct{ tech, cust *rendezvous.Client }
	pairs := make([]pair, o.concurrency)
	techURL := func(i int) string { return nodes[i%len(nodes)].url }
	custURL := func(i int) string { return nodes[(i+1)%len(nodes)].url }
	if o.sameNode {
		custURL = techURL
	}
	var all []*rendezvous.Client
	var allMu sync.Mutex
	defer func() {
		for _, c := range all {
			c.Close()
		}
	}()
	if !o.redial {
		sem := make(chan struct{}, 64)
		var wg sync.WaitGroup
		var dialErr atomic.Pointer[error]
		for i := range pairs {
			for side := range 2 {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					u := techURL(i)
					if side == 1 {
						u = custURL(i)
					}
					c, err := rendezvous.Dial(dialCtx, u, rendezvous.DialOptions{Name: "capacitybench", Log: clientLog})
					if err != nil {
						err = fmt.Errorf("dialing client %d: %w", 2*i+side, err)
						dialErr.CompareAndSwap(nil, &err)
						return
					}
					allMu.Lock()
					all = append(all, c)
					allMu.Unlock()
					if side == 0 {
						pairs[i].tech = c
					} else {
						pairs[i].cust = c
					}
				})
			}
		}
		wg.Wait()
		if p := dialErr.Load(); p != nil {
			return *p
		}
	}

	var st stats
	start := time.Now()
	warmEnd := start.Add(o.warmup)
	measureEnd := warmEnd.Add(o.dur) // with -n: when the last of the -n sessions ends
	var stopping atomic.Bool
	reached := make(chan struct{}) // -n sessions completed
	var reachedOnce sync.Once
	var cpu1 cpuSample

	var wg sync.WaitGroup
	for i := range pairs {
		wg.Go(func() {
			// Slots start spread over the first 100 ms rather than all at once.
			time.Sleep(time.Duration(i) * 100 * time.Millisecond / time.Duration(len(pairs)))
			for seq := 0; !stopping.Load() && ctx.Err() == nil; seq++ {
				t0 := time.Now()
				sctx, cancel := context.WithTimeout(ctx, o.sessionTimeout)
				err := func() error {
					p := pairs[i]
					if o.redial {
						var err error
						if p.tech, err = rendezvous.Dial(sctx, techURL(i), rendezvous.DialOptions{Name: "capacitybench", Log: clientLog}); err != nil {
							return fmt.Errorf("dialing the technician: %w", err)
						}
						defer p.tech.Close()
						if p.cust, err = rendezvous.Dial(sctx, custURL(i), rendezvous.DialOptions{Name: "capacitybench", Log: clientLog}); err != nil {
							return fmt.Errorf("dialing the customer: %w", err)
						}
						defer p.cust.Close()
					}
					return session(sctx, p.tech, p.cust, o, i, seq)
				}()
				cancel()
				t1 := time.Now()
				if err != nil {
					if ctx.Err() == nil {
						st.fail(fmt.Errorf("slot %d session %d after %v: %w", i, seq, t1.Sub(t0).Round(time.Millisecond), err))
					}
					continue
				}
				// A session counts if it ends inside the measurement window.
				if t1.Before(warmEnd) || (o.count == 0 && t1.After(measureEnd)) {
					continue
				}
				st.mu.Lock()
				if o.count > 0 && len(st.lat) >= o.count {
					st.mu.Unlock()
					continue
				}
				st.lat = append(st.lat, t1.Sub(t0))
				st.lastEnd = t1
				if o.count > 0 && len(st.lat) == o.count {
					cpu1 = sampleCPU(nodes)
					reachedOnce.Do(func() { close(reached) })
				}
				st.mu.Unlock()
			}
		})
	}
	// The clock: start the measurement after the warm-up, end it after -d (or when -n sessions completed), and
	// bound the whole run.
	var cpu0 cpuSample
	var measured time.Duration
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(warmEnd)):
		cpu0 = sampleCPU(nodes)
	}
	if o.count == 0 {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(measureEnd)):
			cpu1 = sampleCPU(nodes)
			measured = o.dur
		}
	} else {
		bound := 10 * time.Minute
		select {
		case <-ctx.Done():
		case <-reached:
			st.mu.Lock()
			measured = st.lastEnd.Sub(warmEnd)
			st.mu.Unlock()
		case <-time.After(bound):
			stopping.Store(true)
			return fmt.Errorf("-n %d sessions did not complete within %v", o.count, bound)
		}
	}
	stopping.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(o.sessionTimeout + 10*time.Second):
		return errors.New("sessions still running long after the end; giving up")
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.lat) == 0 {
		res.Failures, res.FailureKinds, res.FailureSamples = st.fails, st.kinds, st.samples
		return fmt.Errorf("no session completed in the measurement window (%d failures: %v)", st.fails, st.samples)
	}
	lat := st.lat
	slices.Sort(lat)
	res.Seconds = measured.Seconds()
	res.Sessions = len(lat)
	res.SessionsPerSec = float64(len(lat)) / res.Seconds
	res.RequestsPerSec = res.SessionsPerSec * float64(3+2*o.msgs)
	res.LatencyP50Ms = ms(pct(lat, 50))
	res.LatencyP95Ms = ms(pct(lat, 95))
	res.LatencyP99Ms = ms(pct(lat, 99))
	res.LatencyMaxMs = ms(lat[len(lat)-1])
	wall := cpu1.at.Sub(cpu0.at).Seconds()
	res.ServerCPUCores = -1
	if cpu0.serverOK && cpu1.serverOK && wall > 0 {
		res.ServerCPUCores = (cpu1.server - cpu0.server).Seconds() / wall
		res.ServerCPUMsPer = ms(cpu1.server-cpu0.server) / (res.SessionsPerSec * wall)
	}
	if wall > 0 {
		res.LoadCPUCores = (cpu1.self - cpu0.self).Seconds() / wall
	}
	if nodes[0].srv != nil && wall > 0 { // in process: server and load share the figure
		res.ServerCPUCores, res.ServerCPUShared = res.LoadCPUCores, true
		res.ServerCPUMsPer = ms(cpu1.self-cpu0.self) / (res.SessionsPerSec * wall)
	}
	res.Failures, res.FailureKinds, res.FailureSamples = st.fails, st.kinds, st.samples
	res.LimitedRetries = limitedRetries.Load()
	return nil
}

type cpuSample struct {
	at       time.Time
	self     time.Duration
	server   time.Duration
	serverOK bool
}

func sampleCPU(nodes []*node) cpuSample {
	s := cpuSample{at: time.Now(), self: selfCPU(), serverOK: true}
	for _, n := range nodes {
		t, ok := n.cpuTime()
		s.server += t
		s.serverOK = s.serverOK && ok
	}
	return s
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var limitedRetries atomic.Int64

// retry runs a control request again while the rendezvous refuses it as "limited", if -retry-limited.
func retry(ctx context.Context, o options, f func() error) error {
	for {
		err := f()
		if !o.retryLimited || !errors.Is(err, rendezvous.ErrRateLimited) {
			return err
		}
		limitedRetries.Add(1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (retrying after \"limited\")", err)
		case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond):
		}
	}
}

// session runs one meeting between tech and cust; slot and seq only label the messages.
func session(ctx context.Context, tech, cust *rendezvous.Client, o options, slot, seq int) error {
	var np *rendezvous.Nameplate
	err := retry(ctx, o, func() (err error) { np, err = tech.Create(ctx); return err })
	if err != nil {
		return err
	}
	released := false
	defer func() {
		if !released { // leave no nameplate behind after a failure
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = retry(rctx, o, func() error { return tech.Release(rctx, np.Name) })
			cancel()
		}
	}()
	var cmb *rendezvous.Mailbox
	err = retry(ctx, o, func() (err error) { cmb, _, err = cust.Claim(ctx, np.Name); return err })
	if err != nil {
		return err
	}
	defer cmb.Close()
	var claim rendezvous.Claim
	select {
	case c, ok := <-np.Claims:
		if !ok {
			return errors.New("the claims of the nameplate closed before the claim arrived")
		}
		claim = c
	case <-ctx.Done():
		return fmt.Errorf("waiting for the claim: %w", ctx.Err())
	}
	if claim.Nameplate != np.Name || claim.Mailbox != cmb.ID() {
		return fmt.Errorf("claim event %+v does not match nameplate %s, mailbox %s", claim, np.Name, cmb.ID())
	}
	tmb := tech.Open(claim)
	defer tmb.Close()

	// ICE signalling as icepath does it: the customer offers, the technician answers, then both trickle their
	// candidates and an end marker at once.
	gen := strconv.FormatUint(uint64(slot)<<32|uint64(seq), 10)
	errs := make(chan error, 2)
	go func() { errs <- side(ctx, cmb, "offer", "answer", gen, o, true) }()
	go func() { errs <- side(ctx, tmb, "answer", "offer", gen, o, false) }()
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return err
	}
	released = true
	return retry(ctx, o, func() error { return tech.Release(ctx, np.Name) })
}

// side plays one side of the signalling: first (offerer) or after the peer's first message (answerer), then
// sends its remaining messages while it receives the peer's.
func side(ctx context.Context, mb *rendezvous.Mailbox, mine, theirs, gen string, o options, offerer bool) error {
	msgs := make([][]byte, o.msgs)
	for k := range msgs {
		msgs[k] = message(mine, gen, k, o)
	}
	recv := func(k int) error {
		b, err := mb.Recv(ctx)
		if err != nil {
			return fmt.Errorf("%s side, receiving message %d: %w", mine, k, err)
		}
		// The peer's message k is known to the byte; comparing is cheaper for the load generator than decoding.
		if want := message(theirs, gen, k, o); !bytes.Equal(b, want) {
			return fmt.Errorf("%s side: message %d is %.80q, want %.80q", mine, k, b, want)
		}
		return nil
	}
	if offerer {
		if err := mb.Send(ctx, msgs[0]); err != nil {
			return fmt.Errorf("sending the offer: %w", err)
		}
		if err := recv(0); err != nil {
			return err
		}
	} else {
		if err := recv(0); err != nil {
			return err
		}
		if err := mb.Send(ctx, msgs[0]); err != nil {
			return fmt.Errorf("sending the answer: %w", err)
		}
	}
	sent := make(chan error, 1)
	go func() {
		for k := 1; k < o.msgs; k++ {
			if err := mb.Send(ctx, msgs[k]); err != nil {
				sent <- fmt.Errorf("%s side, sending message %d: %w", mine, k, err)
				return
			}
		}
		sent <- nil
	}()
	var err error
	for k := 1; k < o.msgs && err == nil; k++ {
		err = recv(k)
	}
	if serr := <-sent; err == nil {
		err = serr
	}
	return err
}

// message builds signalling message k of one side, padded to o.size bytes: {"t":"offer"|"answer"|"cand"|"end",
// "gen":…, "seq":…, plus ufrag/pwd or a candidate line}.
func message(t, gen string, k int, o options) []byte {
	if k > 0 {
		t = "cand"
		if k == o.msgs-1 {
			t = "end"
		}
	}
	// Built by hand (the values need no escaping): json.Marshal of a map cost the load generator more CPU than
	// the rendezvous spent routing the message.
	b := make([]byte, 0, max(o.size, 160))
	b = append(b, `{"gen":"`...)
	b = append(b, gen...)
	b = append(b, `","seq":"`...)
	b = strconv.AppendInt(b, int64(k), 10)
	b = append(b, `","t":"`...)
	b = append(b, t...)
	b = append(b, '"')
	switch t {
	case "offer", "answer":
		b = append(b, `,"ufrag":"kQbPSTyuXwzVamLn","pwd":"aoZrbCfNqzYJpIuTmwXkLhEvGs"`...)
	case "cand":
		b = fmt.Appendf(b, `,"c":"candidate:%d 1 udp 2130706431 192.0.2.%d %d typ host"`, 1000+k, k, 50000+k)
	}
	if pad := o.size - len(b) - len(`,"pad":""}`); pad > 0 {
		b = append(b, `,"pad":"`...)
		b = append(b, strings.Repeat("x", pad)...)
		b = append(b, '"')
	}
	b = append(b, '}')
	return b
}
