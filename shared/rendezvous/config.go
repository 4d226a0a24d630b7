package rendezvous

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Config configures a rendezvous server. The zero value of most fields picks the documented default; an empty
// listen address turns that listener off.
type Config struct {
	// NATSListen is the host:port of the NATS client listener (TCP, TLS when TLS is set). Port 0 picks a free
	// port. Empty: no TCP listener (WebSocket only).
	NATSListen string
	// WebSocketListen is the host:port of NATS's WebSocket listener (wss when TLS is set). Empty: none.
	WebSocketListen string
	// NoTLS allows client listeners without TLS on addresses other than loopback. Without TLS a client's token
	// and every signalling message cross the network in clear text, so it is for tests and trusted networks;
	// loopback listeners need no TLS and no NoTLS.
	NoTLS bool
	// TLS holds the server certificate, used for the NATS client listener, the WebSocket listener and TURN over
	// TLS. Nil: no TLS (see NoTLS).
	TLS *tls.Config

	// StoreDir is the JetStream storage directory. Empty: a temporary directory removed by Close.
	StoreDir string
	// ServerName names this node; it must be unique in a cluster. Empty: a random name.
	ServerName string

	// ClusterName turns on clustering: the NATS cluster (and JetStream meta group) name. Empty: a single node.
	ClusterName string
	// ClusterListen is the host:port of the route listener for the other nodes. Port 0 picks a free port.
	ClusterListen string
	// Routes are the route URLs of the other nodes, e.g. "nats-route://10.0.0.2:6222".
	Routes []string
	// ClusterSecret, when set, is the password routes authenticate with (all nodes need the same). Without it,
	// keep the route port on a private network: any route peer sees all traffic.
	ClusterSecret string
	// Replicas is the JetStream replica count of the two KV buckets. Zero: 3 when clustered, 1 otherwise.
	Replicas int

	// TURNUDPListen is the host:port of the TURN/STUN UDP listener. Empty: none.
	TURNUDPListen string
	// TURNTCPListen is the host:port of the TURN/STUN TCP listener. Empty: none.
	TURNTCPListen string
	// TURNTLSListen is the host:port of the TURN-over-TLS listener, with the TLS certificate. Empty: none.
	TURNTLSListen string
	// PublicIP is the relay address written into relayed candidates. Nil: the IP of the first TURN listener,
	// which must then not be unspecified.
	PublicIP net.IP
	// PublicHost is the host name or IP put into the STUN/TURN URLs handed to clients. Empty: PublicIP.
	PublicHost string
	// Realm is the TURN realm. Empty: "tandem".
	Realm string
	// TURNSecret is the shared secret of the TURN REST credentials (coturn's static-auth-secret). Empty: 32
	// random bytes, hex-encoded, drawn at start (then only the embedded TURN server can check them).
	TURNSecret []byte
	// CredentialLifetime is how long a TURN credential is valid. Zero: 10 minutes.
	CredentialLifetime time.Duration
	// ExternalTURN lists stun:/turn:/turns: URLs of external servers (e.g. coturn with use-auth-secret and the
	// same TURNSecret). When set, clients get these URLs, with credentials, instead of the embedded listeners.
	ExternalTURN []string
	// AllowPrivatePeers lets TURN relay toward private, loopback, link-local, CGNAT and metadata addresses. For
	// tests only: otherwise a client could use the relay to reach the rendezvous host's own network.
	AllowPrivatePeers bool
	// MaxAllocationsPerUser caps the live TURN allocations of one TURN user (one principal). Zero: 10.
	MaxAllocationsPerUser int
	// MaxAllocations caps all live TURN allocations. Zero: 1000.
	MaxAllocations int
	// RelayPortMin and RelayPortMax bound the relay ports (inclusive). Zero: any port.
	RelayPortMin, RelayPortMax uint16

	// NameplateTTL is how long an unclaimed nameplate lives. Zero: 10 minutes.
	NameplateTTL time.Duration
	// MaxClaims is how many claims of a nameplate its owner accepts (it is told at create, and refuses the
	// claims after those): the tries a guesser of the secret has. Zero: 5.
	MaxClaims int
	// PresenceTTL is how long an unattended computer stays present unless it renews its presence (it does every
	// third of that). Zero: 3 minutes.
	PresenceTTL time.Duration
	// CreatesPerMinute caps nameplate creations per source IP per minute. Zero: 30.
	CreatesPerMinute int
	// ClaimsPerMinute caps claims per source IP per minute. Zero: 30.
	ClaimsPerMinute int

	// MetricsListen is the host:port serving Prometheus text format on /metrics. Empty: none.
	MetricsListen string

	// JoinPage is the address of the page where customers type the support key (https://rv.example.org/),
	// told to technicians with each nameplate so that their invitation can name it. Empty: no page.
	JoinPage string

	// Log receives one line per event; never a token, password or credential. Nil: discard.
	Log *slog.Logger

	// now replaces time.Now in tests.
	now func() time.Time
}

// withDefaults returns a copy of c with the defaults filled in, or an error naming what is wrong.
func (c Config) withDefaults() (Config, error) {
	if c.NATSListen == "" && c.WebSocketListen == "" {
		return c, errors.New("rendezvous: no client listener: set NATSListen or WebSocketListen")
	}
	if c.TLS == nil && !c.NoTLS {
		for _, a := range []string{c.NATSListen, c.WebSocketListen} {
			if a != "" && !IsLoopback(a) {
				return c, fmt.Errorf("rendezvous: client listener %s is not on loopback and has no TLS certificate: "+
					"tokens would cross the network in clear text (set TLS, or NoTLS to accept that)", a)
			}
		}
	}
	if c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil {
		return c, errors.New("rendezvous: TLS config has no certificate")
	}
	if c.TURNTLSListen != "" && c.TLS == nil {
		return c, errors.New("rendezvous: TURN over TLS needs a TLS certificate")
	}
	if c.ClusterName == "" && (c.ClusterListen != "" || len(c.Routes) > 0) {
		return c, errors.New("rendezvous: a cluster listener or routes need a cluster name")
	}
	if c.ClusterName != "" && (c.ClusterListen == "" || len(c.Routes) == 0) {
		return c, errors.New("rendezvous: a cluster needs a cluster listen address and routes (JetStream requires " +
			"configured routes; listing every node, this one included, is fine)")
	}
	if c.ServerName == "" {
		c.ServerName = "tandem-rendezvous-" + randomHex(4)
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if c.ClusterName != "" {
			c.Replicas = 3
		}
	}
	if c.Realm == "" {
		c.Realm = "tandem"
	}
	if len(c.TURNSecret) == 0 {
		c.TURNSecret = []byte(randomHex(32))
	}
	setDefault(&c.CredentialLifetime, 10*time.Minute)
	setDefault(&c.NameplateTTL, 10*time.Minute)
	setDefault(&c.MaxClaims, 5)
	setDefault(&c.PresenceTTL, 3*time.Minute)
	setDefault(&c.CreatesPerMinute, 30)
	setDefault(&c.ClaimsPerMinute, 30)
	setDefault(&c.MaxAllocationsPerUser, 10)
	setDefault(&c.MaxAllocations, 1000)
	if (c.RelayPortMin == 0) != (c.RelayPortMax == 0) || c.RelayPortMin > c.RelayPortMax {
		return c, fmt.Errorf("rendezvous: relay port range %d-%d: give both bounds, low to high", c.RelayPortMin, c.RelayPortMax)
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// IsLoopback reports whether a listen address host:port names a loopback host ("localhost", 127.0.0.0/8, ::1).
// An empty or unspecified host listens on every interface and is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// splitHostPort splits host:port for a NATS option, where port 0 means "pick one" (-1 in nats-server).
func splitHostPort(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: bad port", addr)
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics instead)
	return hex.EncodeToString(b)
}
