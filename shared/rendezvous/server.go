package rendezvous

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a running rendezvous: an embedded nats-server with JetStream, the rendezvous service on an
// in-process connection, an optional TURN/STUN relay and an optional metrics endpoint.
type Server struct {
	cfg     Config
	ns      *server.Server
	nc      *nats.Conn
	turn    *turnRelay
	svc     *service
	metrics *metrics

	metricsSrv *http.Server
	metricsLn  net.Listener
	tempDir    string

	internalPassword string // of the in-process service connection; kept for the log test

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	ready    chan struct{} // closed when the service answers requests
	closed   chan struct{}
	closeMu  sync.Mutex
	closeErr error
	isClosed bool
}

// TURNListeners are the bound addresses of the embedded TURN server; nil for a listener that is off.
type TURNListeners struct {
	UDP, TCP, TLS net.Addr
}

// routeUser is the NATS user name routes authenticate with when Config.ClusterSecret is set.
const routeUser = "tandem-route"

// natsStartTimeout bounds how long Start waits for nats-server to accept connections.
const natsStartTimeout = 10 * time.Second

// singleNodeReadyTimeout bounds how long Start waits for the service of a single node.
const singleNodeReadyTimeout = 30 * time.Second

// Start starts a rendezvous server. A single node is ready to serve when Start returns. A cluster node
// returns as soon as its listeners are up, because its JetStream buckets need the other nodes: wait with
// Ready. Close stops it.
func Start(cfg Config) (_ *Server, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ready: make(chan struct{}), closed: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	s.metrics = newMetrics(s.numClients)

	s.internalPassword = randomHex(32)
	sources := newSourceMap(cfg.now)
	opts, err := s.natsOptions(&authenticator{internalPassword: s.internalPassword, log: cfg.Log, sources: sources})
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("rendezvous: nats-server: %w", err)
	}
	ns.SetLoggerV2(natsLogger{cfg.Log}, false, false, false)
	s.ns = ns
	ns.Start()
	if !ns.ReadyForConnections(natsStartTimeout) {
		return nil, errors.New("rendezvous: nats-server did not start listening (is a port in use?)")
	}

	s.nc, err = nats.Connect("",
		nats.InProcessServer(ns),
		nats.UserInfo(internalUser, s.internalPassword),
		nats.Name("tandem-rendezvous-internal"),
		nats.MaxReconnects(-1),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			cfg.Log.Warn("internal NATS connection error", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("rendezvous: internal connection: %w", err)
	}

	s.turn, err = startTURN(cfg, s.metrics)
	if err != nil {
		return nil, err
	}
	stunURLs, turnURLs := iceURLs(cfg, s.turn)
	s.svc = newService(cfg, s.nc, sources, s.metrics, stunURLs, turnURLs, &s.wg)
	s.metrics.waitingGauge = func() int { return s.svc.created.live(cfg.now()) } // before /metrics is served

	if cfg.MetricsListen != "" {
		if err := s.startMetrics(); err != nil {
			return nil, err
		}
	}

	s.wg.Add(1)
	go s.setup()
	if cfg.ClusterName == "" {
		ctx, cancel := context.WithTimeout(context.Background(), singleNodeReadyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			return nil, err
		}
	}
	s.logListeners()
	return s, nil
}

func (s *Server) natsOptions(auth server.Authentication) (*server.Options, error) {
	cfg := s.cfg
	opts := &server.Options{
		ServerName:                 cfg.ServerName,
		JetStream:                  true,
		StoreDir:                   cfg.StoreDir,
		JetStreamMaxMemory:         64 << 20, // the buckets hold a few hundred bytes per nameplate and mailbox
		JetStreamMaxStore:          1 << 30,
		NoSigs:                     true,
		MaxPayload:                 MaxMessageSize + 4096,
		MaxSubs:                    1000,
		MaxControlLine:             1024,
		CustomClientAuthentication: auth,
	}
	if opts.StoreDir == "" {
		dir, err := os.MkdirTemp("", "tandem-rendezvous-")
		if err != nil {
			return nil, fmt.Errorf("rendezvous: JetStream store: %w", err)
		}
		s.tempDir = dir
		opts.StoreDir = dir
	}
	if cfg.NATSListen != "" {
		host, port, err := splitHostPort(cfg.NATSListen)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: client %w", err)
		}
		opts.Host, opts.Port = host, port
		if cfg.TLS != nil {
			opts.TLSConfig = cfg.TLS.Clone()
			opts.TLSTimeout = 5
		}
	} else {
		opts.DontListen = true
	}
	if cfg.WebSocketListen != "" {
		host, port, err := splitHostPort(cfg.WebSocketListen)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: websocket %w", err)
		}
		opts.Websocket = server.WebsocketOpts{Host: host, Port: port, Compression: false}
		if cfg.TLS != nil {
			opts.Websocket.TLSConfig = cfg.TLS.Clone()
		} else {
			opts.Websocket.NoTLS = true
		}
	}
	if cfg.ClusterName != "" {
		host, port, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("rendezvous: cluster %w", err)
		}
		// NoAdvertise: clients keep to the URL they were given (a pinned certificate belongs to one node).
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port, NoAdvertise: true}
		if cfg.ClusterSecret != "" {
			opts.Cluster.Username, opts.Cluster.Password = routeUser, cfg.ClusterSecret
		}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("rendezvous: route URL %q: want nats-route://host:port", r)
			}
			if cfg.ClusterSecret != "" {
				u.User = url.UserPassword(routeUser, cfg.ClusterSecret)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	return opts, nil
}

// setup creates the KV buckets and subscribes the service, retrying until it works (a cluster node waits here
// for its peers) or the server closes.
func (s *Server) setup() {
	defer s.wg.Done()
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.svc.start(s.ctx)
		if err == nil {
			s.cfg.Log.Info("rendezvous service ready", "server", s.cfg.ServerName, "replicas", s.cfg.Replicas)
			close(s.ready)
			return
		}
		if attempt == 1 || attempt%20 == 0 {
			s.cfg.Log.Info("rendezvous service not ready yet, retrying", "err", err)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Ready waits until the service answers requests (its KV buckets exist and it is subscribed).
func (s *Server) Ready(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-s.closed:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("rendezvous: waiting for the service: %w", ctx.Err())
	}
}

func (s *Server) startMetrics() error {
	ln, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("rendezvous: metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.metrics)
	s.metricsLn = ln
	s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

func (s *Server) numClients() int {
	if s.ns == nil {
		return 0
	}
	return max(0, s.ns.NumClients()-1) // the internal connection is a client too
}

func (s *Server) logListeners() {
	log := s.cfg.Log
	if u := s.ClientURL(); u != "" {
		log.Info("listening for NATS clients", "url", u)
	}
	if u := s.WebSocketURL(); u != "" {
		log.Info("listening for WebSocket clients", "url", u)
	}
	if a := s.ClusterAddr(); a != nil {
		log.Info("listening for cluster routes", "addr", a.String())
	}
	t := s.TURNAddrs()
	for _, l := range []struct {
		name string
		addr net.Addr
	}{{"udp", t.UDP}, {"tcp", t.TCP}, {"tls", t.TLS}} {
		if l.addr != nil {
			log.Info("listening for TURN", "transport", l.name, "addr", l.addr.String())
		}
	}
	if s.metricsLn != nil {
		log.Info("serving metrics", "url", s.MetricsURL())
	}
}

// ClientURL returns the URL of the NATS client listener (nats:// or tls://), or "" without one.
func (s *Server) ClientURL() string {
	if s.cfg.NATSListen == "" {
		return ""
	}
	return s.ns.ClientURL()
}

// WebSocketURL returns the URL of the WebSocket listener (ws:// or wss://), or "" without one.
func (s *Server) WebSocketURL() string {
	if s.cfg.WebSocketListen == "" {
		return ""
	}
	return s.ns.WebsocketURL()
}

// ClusterAddr returns the bound route listener address, or nil when not clustered.
func (s *Server) ClusterAddr() net.Addr {
	if s.cfg.ClusterName == "" {
		return nil
	}
	if a := s.ns.ClusterAddr(); a != nil {
		return a
	}
	return nil
}

// TURNAddrs returns the bound addresses of the embedded TURN listeners.
func (s *Server) TURNAddrs() TURNListeners {
	if s.turn == nil {
		return TURNListeners{}
	}
	return TURNListeners{UDP: s.turn.udpAddr, TCP: s.turn.tcpAddr, TLS: s.turn.tlsAddr}
}

// MetricsURL returns the URL of the metrics endpoint, or "" without one.
func (s *Server) MetricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return "http://" + s.metricsLn.Addr().String() + "/metrics"
}

// Close stops the service, the TURN relay, the metrics endpoint and nats-server, and waits for every goroutine
// it started. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.isClosed {
		return s.closeErr
	}
	s.isClosed = true
	close(s.closed)
	s.cancel()
	var errs []error
	if s.metricsSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.metricsSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("rendezvous: metrics shutdown: %w", err))
		}
		cancel()
	}
	if s.svc != nil {
		s.svc.stop()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if err := s.turn.Close(); err != nil {
		errs = append(errs, err)
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	s.wg.Wait()
	if s.tempDir != "" {
		if err := os.RemoveAll(s.tempDir); err != nil {
			errs = append(errs, fmt.Errorf("rendezvous: removing the JetStream store: %w", err))
		}
	}
	s.closeErr = errors.Join(errs...)
	s.cfg.Log.Info("rendezvous stopped", "server", s.cfg.ServerName)
	return s.closeErr
}

// natsLogger routes nats-server's log to slog. Its notices are start-up chatter and go to Debug; tracing stays
// off, so a CONNECT line (with a token) is never logged.
type natsLogger struct{ log *slog.Logger }

func (l natsLogger) Noticef(f string, v ...any) {
	l.log.Debug(fmt.Sprintf(f, v...), "component", "nats")
}
func (l natsLogger) Warnf(f string, v ...any) { l.log.Warn(fmt.Sprintf(f, v...), "component", "nats") }
func (l natsLogger) Fatalf(f string, v ...any) {
	l.log.Error(fmt.Sprintf(f, v...), "component", "nats")
}
func (l natsLogger) Errorf(f string, v ...any) { l.log.Info(fmt.Sprintf(f, v...), "component", "nats") }
func (l natsLogger) Debugf(f string, v ...any) {}
func (l natsLogger) Tracef(f string, v ...any) {}

// NameplateWaiting reports whether a nameplate exists and has not expired: whether a support key that starts
// with it can still be used. The join page asks it before it offers a download, so that a mistyped key gets a
// sentence at once. It says nothing of the key's secret digits, which the rendezvous never sees. A lookup counts
// as a claim from the address from (its /64 for IPv6): beyond ClaimsPerMinute it fails with ErrRateLimited, so
// the page cannot be used to find the nameplates in use faster than claiming them.
func (s *Server) NameplateWaiting(ctx context.Context, from net.IP, nameplate string) (bool, error) {
	if !validNameplate(nameplate) {
		return false, nil
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if from != nil && !s.svc.claimLim.allow(sourceKey(from)) {
		return false, ErrRateLimited
	}
	return s.svc.waiting(ctx, nameplate)
}
