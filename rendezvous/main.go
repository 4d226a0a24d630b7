// tandem-rendezvous lets Tandem Expert and Tandem Customer, which can only dial out, meet: it hands out
// nameplates, relays their signalling messages between exactly two parties, and runs a TURN/STUN relay with
// short-lived credentials. It holds nothing the end-to-end security depends on. See README.md.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tandem-remote/tandem/shared/rendezvous"
)

func main() {
	rendezvous.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "tandem-rendezvous:", err)
		os.Exit(1)
	}
}

// flags holds the command line.
type flags struct {
	nats, ws                           string
	turnUDP, turnTCP, turnTLS          string
	publicIP, host                     string
	cert, key                          string
	turnSecretFile, turnExternal       string
	realm                              string
	credLifetime                       time.Duration
	cluster, clusterListen, routes     string
	clusterSecretFile                  string
	replicas                           int
	store, name                        string
	metrics                            string
	allowPrivatePeers, insecure        bool
	nameplateTTL                       time.Duration
	maxClaims, createsPerMin, claimsPM int
	maxAlloc, maxAllocPerUser          int
	relayPorts                         string
	logLevel                           string
	urlFile                            string
	web, releases, pageURL             string
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("tandem-rendezvous", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.nats, "nats", ":4222", "NATS client listener host:port (TLS with -cert); empty: none")
	fs.StringVar(&f.ws, "ws", "", "WebSocket listener host:port, e.g. :443 (wss with -cert); empty: none")
	fs.StringVar(&f.turnUDP, "turn-udp", ":3478", "TURN/STUN UDP listener host:port; empty: none")
	fs.StringVar(&f.turnTCP, "turn-tcp", ":3478", "TURN/STUN TCP listener host:port; empty: none")
	fs.StringVar(&f.turnTLS, "turn-tls", "", "TURN over TLS listener host:port, e.g. :5349 (needs -cert); empty: none")
	fs.StringVar(&f.publicIP, "public-ip", "", "public IP of this host, written into relayed candidates (needed when TURN listens on all addresses)")
	fs.StringVar(&f.host, "host", "", "host name clients use to reach this server, put into STUN/TURN URLs and printed URLs (default: -public-ip)")
	fs.StringVar(&f.cert, "cert", "", "PEM certificate chain file for NATS, WebSocket and TURN over TLS")
	fs.StringVar(&f.key, "key", "", "PEM private key file for -cert")
	fs.StringVar(&f.turnSecretFile, "turn-secret-file", "", "file holding the TURN REST shared secret (coturn's static-auth-secret); default: random at each start")
	fs.StringVar(&f.turnExternal, "turn-external", "", "comma-separated stun:/turn:/turns: URLs of external TURN servers (e.g. coturn) handed to clients instead of the embedded ones; needs -turn-secret-file")
	fs.StringVar(&f.realm, "realm", "tandem", "TURN realm")
	fs.DurationVar(&f.credLifetime, "credential-lifetime", 10*time.Minute, "lifetime of TURN credentials")
	fs.StringVar(&f.cluster, "cluster", "", "cluster name: join a cluster of rendezvous nodes (needs -cluster-listen and -routes)")
	fs.StringVar(&f.clusterListen, "cluster-listen", ":6222", "route listener host:port for the other nodes, with -cluster")
	fs.StringVar(&f.routes, "routes", "", "comma-separated route URLs of all nodes, e.g. nats-route://10.0.0.1:6222,nats-route://10.0.0.2:6222")
	fs.StringVar(&f.clusterSecretFile, "cluster-secret-file", "", "file holding the password routes authenticate with (the same on every node)")
	fs.IntVar(&f.replicas, "replicas", 0, "JetStream replicas of the nameplate bucket (default: 3 in a cluster, else 1)")
	fs.StringVar(&f.store, "store", "", "JetStream storage directory (default: a temporary directory removed at exit)")
	fs.StringVar(&f.name, "name", "", "server name, unique in a cluster (default: random)")
	fs.StringVar(&f.metrics, "metrics", "", "host:port serving Prometheus metrics on /metrics; empty: none")
	fs.BoolVar(&f.allowPrivatePeers, "allow-private-peers", false, "FOR TESTS ONLY: let TURN relay toward private, loopback and link-local addresses")
	fs.BoolVar(&f.insecure, "insecure", false, "allow client listeners without TLS on addresses other than loopback (tokens in clear text)")
	fs.DurationVar(&f.nameplateTTL, "nameplate-ttl", 10*time.Minute, "lifetime of an unclaimed nameplate")
	fs.IntVar(&f.maxClaims, "max-claims", 5, "claims of one nameplate that its owner accepts")
	fs.IntVar(&f.createsPerMin, "creates-per-minute", 30, "nameplate creations per source IP per minute")
	fs.IntVar(&f.claimsPM, "claims-per-minute", 30, "claims per source IP per minute")
	fs.IntVar(&f.maxAlloc, "max-allocations", 1000, "TURN allocations alive at once")
	fs.IntVar(&f.maxAllocPerUser, "max-allocations-per-user", 10, "TURN allocations alive at once per client")
	fs.StringVar(&f.relayPorts, "relay-ports", "", "TURN relay port range LOW-HIGH, e.g. 49152-65535 (default: any)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.urlFile, "url-file", "", "once ready, write the URL that Tandem Expert and Customer use (pinned to the certificate, if any) to this file")
	fs.StringVar(&f.web, "web", "", "join page listener host:port, e.g. :443 (HTTPS with -cert): customers type the key there and download Tandem Customer; empty: none")
	fs.StringVar(&f.releases, "releases", "", "folder of Tandem Customer release files the join page hands out (tandem-customer-VERSION-x86_64.AppImage, -x64.msi, -macos.dmg)")
	fs.StringVar(&f.pageURL, "page-url", "", "public address of the join page that technicians' invitations name (default: from -host and -web)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (all settings are flags; see -help)", fs.Arg(0))
	}
	return f, nil
}

// config turns the flags into an engine configuration. It also returns the leaf certificate (DER) for the
// printed pins, nil without -cert.
func (f *flags) config(log *slog.Logger) (rendezvous.Config, []byte, error) {
	cfg := rendezvous.Config{
		NATSListen: f.nats, WebSocketListen: f.ws,
		TURNUDPListen: f.turnUDP, TURNTCPListen: f.turnTCP, TURNTLSListen: f.turnTLS,
		PublicHost: f.host, Realm: f.realm, CredentialLifetime: f.credLifetime,
		ClusterName: f.cluster, Replicas: f.replicas, StoreDir: f.store, ServerName: f.name,
		MetricsListen: f.metrics, AllowPrivatePeers: f.allowPrivatePeers,
		NameplateTTL: f.nameplateTTL, MaxClaims: f.maxClaims,
		CreatesPerMinute: f.createsPerMin, ClaimsPerMinute: f.claimsPM,
		MaxAllocations: f.maxAlloc, MaxAllocationsPerUser: f.maxAllocPerUser,
		Log: log,
	}
	if f.publicIP != "" {
		cfg.PublicIP = net.ParseIP(f.publicIP)
		if cfg.PublicIP == nil {
			return cfg, nil, fmt.Errorf("-public-ip %q is not an IP address", f.publicIP)
		}
	} else {
		for _, l := range []struct{ flag, addr string }{{"-turn-udp", f.turnUDP}, {"-turn-tcp", f.turnTCP}, {"-turn-tls", f.turnTLS}} {
			if l.addr != "" && listensOnAll(l.addr) {
				return cfg, nil, fmt.Errorf("%s %s listens on all addresses: give -public-ip (the address clients "+
					"reach the relay at), or listen on one IP", l.flag, l.addr)
			}
		}
	}
	var leaf []byte
	switch {
	case f.cert != "" && f.key != "":
		cert, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return cfg, nil, fmt.Errorf("loading -cert and -key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		leaf = cert.Certificate[0]
	case f.cert != "" || f.key != "":
		return cfg, nil, errors.New("-cert and -key go together")
	default:
		for _, l := range []struct{ flag, addr string }{{"-nats", f.nats}, {"-ws", f.ws}} {
			if l.addr != "" && !rendezvous.IsLoopback(l.addr) && !f.insecure {
				return cfg, nil, fmt.Errorf("%s %s listens beyond loopback without a certificate: client tokens and "+
					"signalling would cross the network in clear text. Give -cert and -key (a self-signed "+
					"certificate is fine: clients pin it with the printed #sha256= URL), or -insecure to accept that",
					l.flag, l.addr)
			}
		}
		cfg.NoTLS = f.insecure
	}
	if f.turnSecretFile != "" {
		b, err := os.ReadFile(f.turnSecretFile)
		if err != nil {
			return cfg, nil, fmt.Errorf("-turn-secret-file: %w", err)
		}
		cfg.TURNSecret = []byte(strings.TrimSpace(string(b)))
		if len(cfg.TURNSecret) < 16 {
			return cfg, nil, errors.New("-turn-secret-file: the secret must be at least 16 characters")
		}
	}
	if f.turnExternal != "" {
		if f.turnSecretFile == "" {
			return cfg, nil, errors.New("-turn-external needs -turn-secret-file with the external servers' static-auth-secret")
		}
		for _, u := range splitList(f.turnExternal) {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				return cfg, nil, fmt.Errorf("-turn-external: %q is not a stun:, turn: or turns: URL", u)
			}
			cfg.ExternalTURN = append(cfg.ExternalTURN, u)
		}
	}
	if f.cluster != "" {
		cfg.ClusterListen = f.clusterListen
		cfg.Routes = splitList(f.routes)
		if f.clusterSecretFile != "" {
			b, err := os.ReadFile(f.clusterSecretFile)
			if err != nil {
				return cfg, nil, fmt.Errorf("-cluster-secret-file: %w", err)
			}
			cfg.ClusterSecret = strings.TrimSpace(string(b))
		}
	} else if f.routes != "" || f.clusterSecretFile != "" {
		return cfg, nil, errors.New("-routes and -cluster-secret-file need -cluster NAME")
	}
	if f.relayPorts != "" {
		lo, hi, ok := strings.Cut(f.relayPorts, "-")
		l, err1 := strconv.ParseUint(lo, 10, 16)
		h, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || l == 0 || l > h {
			return cfg, nil, fmt.Errorf("-relay-ports %q: want LOW-HIGH, e.g. 49152-65535", f.relayPorts)
		}
		cfg.RelayPortMin, cfg.RelayPortMax = uint16(l), uint16(h)
	}
	return cfg, leaf, nil
}

// listensOnAll reports whether host:port has an empty or unspecified host.
func listensOnAll(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false // the engine reports the syntax error
	}
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func logger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// run starts the rendezvous, prints its URLs on stdout and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := logger(f.logLevel, stderr)
	if err != nil {
		return err
	}
	cfg, leaf, err := f.config(log)
	if err != nil {
		return err
	}
	host := f.host
	if host == "" {
		host = f.publicIP
	}
	page, err := f.listenWeb(cfg, host)
	if err != nil {
		return err
	}
	if page != nil {
		cfg.JoinPage = page.url
		defer page.close()
	}
	srv, err := rendezvous.Start(cfg)
	if err != nil {
		return err
	}
	if page != nil {
		if err := page.serve(srv, f.releases, customerURL(srv, host, leaf)); err != nil {
			_ = srv.Close()
			return err
		}
	}
	printURLs(stdout, srv, host, leaf)
	if page != nil {
		fmt.Fprintf(stdout, "%-10s %s\n", "join-page", page.url)
	}
	readyDone := make(chan struct{})
	go func() {
		defer close(readyDone)
		if err := srv.Ready(ctx); err == nil {
			if f.urlFile != "" {
				if err := writeURLFile(f.urlFile, programURL(srv, host, leaf)); err != nil {
					log.Error("writing -url-file", "err", err)
				}
			}
			fmt.Fprintln(stdout, "ready")
		}
	}()
	<-ctx.Done()
	log.Info("stopping")
	err = srv.Close()
	<-readyDone
	return err
}

// programURL is the URL the programs use: the NATS listener's (else the WebSocket one's), with host, pinned to
// the certificate when there is one.
func programURL(srv *rendezvous.Server, host string, leaf []byte) string {
	u := srv.ClientURL()
	if u == "" {
		u = srv.WebSocketURL()
	}
	return pinned(withHost(u, host), leaf)
}

// customerURL is the URL stamped into the copies of Tandem Customer that the join page hands out: the
// WebSocket listener's when there is one (wss on 443 passes most firewalls), else the NATS listener's, pinned
// to the certificate when there is one.
func customerURL(srv *rendezvous.Server, host string, leaf []byte) string {
	u := srv.WebSocketURL()
	if u == "" {
		u = srv.ClientURL()
	}
	return pinned(withHost(u, host), leaf)
}

// pinned adds the certificate's fingerprint to u, when there is a certificate.
func pinned(u string, leaf []byte) string {
	if leaf != nil {
		u += "#sha256=" + rendezvous.Fingerprint(leaf)
	}
	return u
}

// writeURLFile writes url to path through a temporary file, so that a reader never sees half of it.
func writeURLFile(path, url string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// withHost puts host (if set) in place of the host of the URL u, keeping its scheme and port.
func withHost(u, host string) string {
	if host == "" {
		return u
	}
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	hostport, path, _ := strings.Cut(rest, "/")
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return u
	}
	out := scheme + "://" + net.JoinHostPort(host, port)
	if path != "" {
		out += "/" + path
	}
	return out
}

// printURLs prints one line per listener with the URL clients use, and the pinned form when a certificate is
// in use.
func printURLs(w io.Writer, srv *rendezvous.Server, host string, leaf []byte) {
	for _, l := range []struct{ name, url string }{{"nats", srv.ClientURL()}, {"websocket", srv.WebSocketURL()}} {
		if l.url == "" {
			continue
		}
		u := withHost(l.url, host)
		fmt.Fprintf(w, "%-10s %s\n", l.name, u)
		if leaf != nil {
			fmt.Fprintf(w, "%-10s %s#sha256=%s\n", l.name+"-pin", u, rendezvous.Fingerprint(leaf))
		}
	}
	t := srv.TURNAddrs()
	for _, l := range []struct {
		name string
		addr net.Addr
	}{{"turn-udp", t.UDP}, {"turn-tcp", t.TCP}, {"turn-tls", t.TLS}} {
		if l.addr != nil {
			fmt.Fprintf(w, "%-10s %s\n", l.name, l.addr)
		}
	}
	if a := srv.ClusterAddr(); a != nil {
		fmt.Fprintf(w, "%-10s %s\n", "cluster", a)
	}
	if u := srv.MetricsURL(); u != "" {
		fmt.Fprintf(w, "%-10s %s\n", "metrics", u)
	}
}
