package rendezvous

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// metrics holds the counters served on /metrics in the Prometheus text format.
type metrics struct {
	nameplatesCreated   atomic.Int64
	nameplatesClaimed   atomic.Int64
	nameplatesReleased  atomic.Int64
	turnAllocations     atomic.Int64
	turnAllocationsLive atomic.Int64
	turnAuthFailures    atomic.Int64
	turnPermsRefused    atomic.Int64
	turnToPeers         atomic.Int64 // bytes relayed from clients to peers
	turnFromPeers       atomic.Int64 // bytes relayed from peers to clients

	waitingGauge func() int // nameplates handed out by this node, neither released nor lapsed

	mu           sync.Mutex
	failures     map[string]int64 // "op/code" → count
	clientsGauge func() int
}

func newMetrics(clients func() int) *metrics {
	return &metrics{failures: make(map[string]int64), clientsGauge: clients}
}

// fail counts a refused request of operation op with error code code.
func (m *metrics) fail(op, code string) {
	m.mu.Lock()
	m.failures[op+"/"+code]++
	m.mu.Unlock()
}

// ServeHTTP writes the metrics in the Prometheus text exposition format (version 0.0.4).
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.write(w)
}

func (m *metrics) write(w io.Writer) {
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	counter("tandem_rendezvous_nameplates_created_total", "Nameplates handed out.", m.nameplatesCreated.Load())
	counter("tandem_rendezvous_nameplates_claimed_total", "Successful nameplate claims.", m.nameplatesClaimed.Load())
	counter("tandem_rendezvous_nameplates_released_total", "Nameplates released by their owner.", m.nameplatesReleased.Load())
	if m.waitingGauge != nil {
		gauge("tandem_rendezvous_nameplates_waiting", "Nameplates this node handed out that are neither released nor lapsed.",
			int64(m.waitingGauge()))
	}

	m.mu.Lock()
	keys := make([]string, 0, len(m.failures))
	for k := range m.failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const failName = "tandem_rendezvous_request_failures_total"
	fmt.Fprintf(w, "# HELP %s Refused requests by operation and reason.\n# TYPE %s counter\n", failName, failName)
	for _, k := range keys {
		op, code, _ := strings.Cut(k, "/")
		fmt.Fprintf(w, "%s{op=%q,reason=%q} %d\n", failName, op, code, m.failures[k])
	}
	m.mu.Unlock()

	counter("tandem_rendezvous_turn_allocations_total", "TURN allocations made.", m.turnAllocations.Load())
	gauge("tandem_rendezvous_turn_allocations_active", "TURN allocations alive.", m.turnAllocationsLive.Load())
	counter("tandem_rendezvous_turn_auth_failures_total", "TURN requests with a refused credential.", m.turnAuthFailures.Load())
	counter("tandem_rendezvous_turn_permissions_refused_total", "TURN permissions refused toward private addresses.", m.turnPermsRefused.Load())
	const relayedName = "tandem_rendezvous_turn_relayed_bytes_total"
	fmt.Fprintf(w, "# HELP %s Bytes relayed over UDP by the TURN relay.\n# TYPE %s counter\n", relayedName, relayedName)
	fmt.Fprintf(w, "%s{direction=\"to_peers\"} %d\n", relayedName, m.turnToPeers.Load())
	fmt.Fprintf(w, "%s{direction=\"from_peers\"} %d\n", relayedName, m.turnFromPeers.Load())
	var clients int64
	if m.clientsGauge != nil {
		clients = int64(m.clientsGauge())
	}
	gauge("tandem_rendezvous_clients_connected", "NATS client connections on this node (without the internal one).", clients)
}
