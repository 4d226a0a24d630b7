package icepath

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/transport/v5"
)

// Signaller carries this package's messages to the other peer and back (a rendezvous mailbox); messages
// arrive in order, may be lost only if the whole mailbox fails. Send and Recv must return when their
// context ends. Recv returns the next message from the other peer; Send and Recv are called from different
// goroutines at the same time, each by one goroutine at a time.
type Signaller interface {
	Send(ctx context.Context, msg []byte) error
	Recv(ctx context.Context) ([]byte, error)
}

// Server is one STUN or TURN server, as the rendezvous hands it out.
type Server struct {
	// URLs like "stun:h:3478", "turn:h:3478?transport=udp", "turn:h:3478?transport=tcp",
	// "turns:h:5349?transport=tcp".
	URLs []string
	// Username and Credential are the TURN REST credentials ("expiry:user" and its HMAC); unused for STUN.
	Username, Credential string
}

// Defaults of [Config]'s durations.
const (
	// DefaultRelayAcceptanceMinWait is how long the offerer keeps checking for a direct pair once a relayed
	// pair works (pion's own default is 2 s). Measured with BenchmarkConnect on vnet (both sides behind
	// NATs, STUN/TURN on the virtual WAN, d = one-way delay added by each home router, so the peers' RTT
	// is 4d): with no wait at all, a direct pair between easy NATs became usable after 0.13, 0.34, 0.79
	// and 1.55 s from the start of the offer for d = 0, 20, 50, 100 ms, and the relay won one attempt in
	// ten at d = 0 although a direct pair existed. With 1 s, easy NATs ended direct in 40 of 40 attempts
	// (0.14, 0.37, 0.73, 1.59 s) and a symmetric NAT came up relayed after 1.01, 1.11, 1.27, 1.68 s. So 1 s
	// lets every direct pair with an RTT up to about 250 ms win, and brings a relayed path up about a
	// second sooner than pion's default.
	DefaultRelayAcceptanceMinWait = time.Second
	// DefaultDisconnectedTimeout is how long the selected pair may stay silent (no data, no keepalive
	// answer) before the path counts as disconnected; it may still come back.
	DefaultDisconnectedTimeout = 3 * time.Second
	// DefaultFailedTimeout is how much longer a disconnected path may stay silent before it is lost.
	// Together with DefaultDisconnectedTimeout a dead path is declared lost after 8 s, which is also how
	// long an attempt keeps checking without finding any working pair.
	DefaultFailedTimeout = 5 * time.Second
	// DefaultKeepaliveInterval is how often the ICE agent checks the selected pair (consent and NAT
	// bindings), next to QUIC's own traffic; several checks fit in the disconnected timeout.
	DefaultKeepaliveInterval = time.Second
)

// How long a working server-reflexive or peer-reflexive pair waits for a better one (pion: 500 ms and 1 s).
// A host pair, the only better one, works within milliseconds when it works at all (same network), so
// waiting only delays the usual direct path through two NATs, which the offerer sees as host ↔
// peer-reflexive: with pion's 1 s, every such path took at least 1 s. The 200 ms left for peer-reflexive
// candidates give the peer's signalled candidate time to arrive when the check came through its relay
// (a relay seen first as peer-reflexive), so that the relay wait applies to it.
const (
	srflxAcceptanceMinWait = 0
	prflxAcceptanceMinWait = 200 * time.Millisecond
)

// prflxSettle is how long a connected attempt whose remote candidate is peer-reflexive waits for the peer's
// signalled copy of it (its check came before its candidate through the mailbox), to say what the path is:
// a relay seen from the other side is peer-reflexive too, and must not be reported as a direct path.
const prflxSettle = time.Second

// MaxRemoteCandidates is how many candidates of the peer one attempt accepts; the rest are skipped.
const MaxRemoteCandidates = 64

// Config configures one attempt. The zero value works on the real network with host candidates only.
type Config struct {
	// Servers from the rendezvous: STUN for server-reflexive candidates, TURN for relayed ones. Bad URLs are
	// skipped with a logged reason.
	Servers []Server

	// RelayAcceptanceMinWait is how long a working relayed pair waits for a better one before the offerer
	// picks it; 0 means [DefaultRelayAcceptanceMinWait], a negative value no wait. Only the offerer's
	// setting matters (the controlling agent picks the pair).
	RelayAcceptanceMinWait time.Duration

	// DisconnectedTimeout, FailedTimeout and KeepaliveInterval tune how fast a lost path is noticed (see
	// the defaults above); 0 means the default.
	DisconnectedTimeout, FailedTimeout, KeepaliveInterval time.Duration

	// Net is nil for the real network; a pion/transport vnet.Net in tests.
	Net transport.Net

	// IncludeLoopback lets host candidates use loopback addresses (tests and same-machine demos).
	IncludeLoopback bool

	// IPFilter, if set, keeps only the local addresses it accepts for candidates and drops remote
	// candidates whose address it refuses (tests keep everything on loopback with it).
	IPFilter func(net.IP) bool

	// RelayOnly gathers relayed candidates only: this side's addresses are not shown to the peer, and the
	// path is relayed. It needs a TURN server in Servers.
	RelayOnly bool

	// TURNInsecureSkipVerify accepts any certificate from a "turns:" server. pion/ice takes no tls.Config:
	// without this, the server's certificate must be valid for its host name under the system's roots.
	TURNInsecureSkipVerify bool

	// Generation is the offerer's generation for this attempt; 0 draws a random one. Ignored by Answer.
	Generation uint64

	// Seen remembers the generations this side has taken part in; share one between the attempts of a
	// session so that Answer ignores offers left over from earlier attempts. Nil remembers nothing.
	Seen *Generations

	// Log gets one line per attempt result and, at debug level, skipped messages and pion's own logs. Nil
	// logs nothing.
	Log *slog.Logger

	// candidateLag holds back this side's candidate notices (tests only): pion tells of a local candidate
	// from its own goroutine, and may already check from it before the notice comes.
	candidateLag time.Duration
}

// Generations remembers recent generations (the last 64), so that later attempts ignore leftovers of
// earlier ones. The zero value is ready to use; it is safe for concurrent use.
type Generations struct {
	mu   sync.Mutex
	gens []uint64
}

const maxGenerations = 64

// Add records gen.
func (g *Generations) Add(gen uint64) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if slices.Contains(g.gens, gen) {
		return
	}
	if len(g.gens) == maxGenerations {
		g.gens = slices.Delete(g.gens, 0, 1)
	}
	g.gens = append(g.gens, gen)
}

// Has reports whether gen was recorded.
func (g *Generations) Has(gen uint64) bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Contains(g.gens, gen)
}

// Errors of an attempt and of a path. An attempt that ends with its context returns the context's cause.
var (
	// ErrFailed: ICE checked every pair it had and none worked within the timeouts.
	ErrFailed = errors.New("icepath: no candidate pair works")
	// ErrPathLost: a connected path stopped carrying packets; reads and writes fail with it.
	ErrPathLost = errors.New("icepath: path lost")
	// ErrSignalling wraps an error of the Signaller.
	ErrSignalling = errors.New("icepath: signalling failed")
)

// errSuperseded ends an answerer's attempt when a newer offer arrives.
var errSuperseded = errors.New("icepath: superseded by a newer offer")

// errAttemptOver stops an attempt's goroutines once it has its result.
var errAttemptOver = errors.New("icepath: attempt over")

type role int

const (
	offerer role = iota
	answerer
)

func (r role) String() string {
	if r == offerer {
		return "offerer"
	}
	return "answerer"
}

// Offer makes one attempt as the offerer: it sends an offer of a new generation through sig, trickles its
// candidates, waits for the answer and the answerer's candidates, and returns once a pair is selected. It
// fails when ctx ends, when the Signaller fails, or when no pair works ([ErrFailed]); the agent is then
// closed.
func Offer(ctx context.Context, cfg Config, sig Signaller) (*Path, error) {
	gen := cfg.Generation
	for gen == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		gen = binary.BigEndian.Uint64(b[:])
	}
	cfg.Seen.Add(gen)
	start := time.Now()
	a, err := newAttempt(cfg, offerer, gen)
	if err == nil {
		var p *Path
		p, _, err = a.run(ctx, sig, message{})
		if err == nil {
			a.logResult(start, p)
			return p, nil
		}
	}
	err = fmt.Errorf("icepath: offer of generation %d: %w", gen, err)
	logger(cfg.Log).Warn("ice path", "role", offerer.String(), "gen", gen, "result", "failed",
		"after", time.Since(start).Round(time.Millisecond), "err", err)
	return nil, err
}

// Answer makes one attempt as the answerer: it waits for the next offer of a generation it has not taken
// part in (skipping leftovers of earlier attempts), answers it with its own credentials and candidates,
// and returns once the offerer has selected a pair. An offer of a newer generation that arrives while it
// is connecting replaces the one under way (with a fresh agent). It fails when ctx ends, when the
// Signaller fails, or when no pair works ([ErrFailed]); the agent is then closed.
func Answer(ctx context.Context, cfg Config, sig Signaller) (*Path, error) {
	log := logger(cfg.Log)
	start := time.Now()
	if cfg.Seen == nil {
		cfg.Seen = &Generations{} // at least this call's offers: duplicates never restart an attempt
	}
	offer, err := waitOffer(ctx, cfg, sig, log)
	for err == nil {
		offered := time.Now()
		cfg.Seen.Add(offer.Gen)
		var a *attempt
		if a, err = newAttempt(cfg, answerer, offer.Gen); err != nil {
			break
		}
		var p *Path
		var newer message
		p, newer, err = a.run(ctx, sig, offer)
		if err == nil {
			a.logResult(offered, p)
			return p, nil
		}
		if !errors.Is(err, errSuperseded) {
			break
		}
		log.Info("ice path: newer offer, restarting", "role", answerer.String(), "gen", offer.Gen,
			"newer", newer.Gen)
		offer, err = newer, nil
	}
	err = fmt.Errorf("icepath: answer of generation %d: %w", offer.Gen, err)
	log.Warn("ice path", "role", answerer.String(), "gen", offer.Gen, "result", "failed",
		"after", time.Since(start).Round(time.Millisecond), "err", err)
	return nil, err
}

// waitOffer receives until an offer of a generation not in cfg.Seen arrives.
func waitOffer(ctx context.Context, cfg Config, sig Signaller, log *slog.Logger) (message, error) {
	for {
		b, err := sig.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return message{}, context.Cause(ctx)
			}
			return message{}, fmt.Errorf("%w: %w", ErrSignalling, err)
		}
		m, err := decodeMessage(b)
		switch {
		case err != nil:
			log.Warn("ice path: skipping message", "role", answerer.String(), "reason", err)
		case m.T != typeOffer:
			log.Debug("ice path: skipping message while waiting for an offer", "type", m.T, "gen", m.Gen)
		case cfg.Seen.Has(m.Gen):
			log.Debug("ice path: skipping offer of an earlier attempt", "gen", m.Gen)
		default:
			return m, nil
		}
	}
}

// attempt is one ICE agent's way to a path.
type attempt struct {
	cfg   Config
	log   *slog.Logger
	role  role
	gen   uint64
	agent *ice.Agent
	path  *Path
	ufrag string // local
	pwd   string

	outMu     sync.Mutex
	out       [][]byte            // messages waiting for sendLoop
	told      map[string]struct{} // the local candidates queued for the peer, as sent
	outSignal chan struct{}       // cap 1: out has grown

	remoteMu   sync.Mutex
	remote     []ice.Candidate // the peer's signalled candidates, as accepted
	remoteEnd  bool            // the peer said it gathered all its candidates
	remoteNews chan struct{}   // cap 1: remote or remoteEnd changed
}

// heard records a signalled remote candidate (c) or the end of them (c nil).
func (a *attempt) heard(c ice.Candidate) {
	a.remoteMu.Lock()
	if c == nil {
		a.remoteEnd = true
	} else {
		a.remote = append(a.remote, c)
	}
	a.remoteMu.Unlock()
	select {
	case a.remoteNews <- struct{}{}:
	default:
	}
}

// signalled returns the peer's signalled candidate at the transport address of c, if it has come; done
// reports that no more will come.
func (a *attempt) signalled(c ice.Candidate) (match ice.Candidate, done bool) {
	a.remoteMu.Lock()
	defer a.remoteMu.Unlock()
	for _, r := range a.remote {
		if r.NetworkType() == c.NetworkType() && r.Address() == c.Address() && r.Port() == c.Port() {
			return r, true
		}
	}
	return nil, a.remoteEnd
}

// settleRemote returns what the selected pair's remote candidate is: remote itself, unless it is
// peer-reflexive and the peer's signalled copy of it arrives within prflxSettle (or has already).
func (a *attempt) settleRemote(ctx context.Context, remote ice.Candidate) ice.Candidate {
	if remote.Type() != ice.CandidateTypePeerReflexive {
		return remote
	}
	timer := time.NewTimer(prflxSettle)
	defer timer.Stop()
	for {
		match, done := a.signalled(remote)
		switch {
		case match != nil:
			return match
		case done:
			return remote
		}
		select {
		case <-a.remoteNews:
		case <-timer.C:
			return remote
		case <-ctx.Done():
			return remote
		}
	}
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func newAttempt(cfg Config, r role, gen uint64) (*attempt, error) {
	log := logger(cfg.Log)
	opts, err := agentOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	agent, err := ice.NewAgentWithOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("create ICE agent: %w", err)
	}
	ufrag, pwd, err := agent.GetLocalUserCredentials()
	if err != nil {
		_ = agent.GracefulClose()
		return nil, fmt.Errorf("ICE credentials: %w", err)
	}
	a := &attempt{
		cfg: cfg, log: log, role: r, gen: gen, agent: agent, ufrag: ufrag, pwd: pwd,
		told: make(map[string]struct{}), outSignal: make(chan struct{}, 1), remoteNews: make(chan struct{}, 1),
	}
	a.path = &Path{agent: agent, gen: gen, offerer: r == offerer, localUfrag: ufrag, done: make(chan struct{})}
	return a, nil
}

func agentOptions(cfg Config, log *slog.Logger) ([]ice.AgentOption, error) {
	orDefault := func(d, def time.Duration) time.Duration {
		if d == 0 {
			return def
		}
		return max(d, 0)
	}
	urls := serverURLs(cfg.Servers, log)
	relayWait := orDefault(cfg.RelayAcceptanceMinWait, DefaultRelayAcceptanceMinWait)
	if cfg.RelayOnly && cfg.RelayAcceptanceMinWait == 0 {
		relayWait = 0 // every pair is relayed: nothing better can come
	}
	opts := []ice.AgentOption{
		ice.WithNetworkTypes([]ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeUDP6}),
		ice.WithMulticastDNSMode(ice.MulticastDNSModeDisabled),
		ice.WithUrls(urls),
		ice.WithRelayAcceptanceMinWait(relayWait),
		ice.WithSrflxAcceptanceMinWait(srflxAcceptanceMinWait),
		ice.WithPrflxAcceptanceMinWait(prflxAcceptanceMinWait),
		ice.WithDisconnectedTimeout(orDefault(cfg.DisconnectedTimeout, DefaultDisconnectedTimeout)),
		ice.WithFailedTimeout(orDefault(cfg.FailedTimeout, DefaultFailedTimeout)),
		ice.WithKeepaliveInterval(orDefault(cfg.KeepaliveInterval, DefaultKeepaliveInterval)),
		ice.WithInsecureSkipVerify(cfg.TURNInsecureSkipVerify),
		ice.WithLoggerFactory(pionLoggerFactory{log}),
	}
	if cfg.Net != nil {
		opts = append(opts, ice.WithNet(cfg.Net))
	}
	if cfg.IncludeLoopback {
		opts = append(opts, ice.WithIncludeLoopback())
	}
	if cfg.IPFilter != nil {
		opts = append(opts, ice.WithIPFilter(cfg.IPFilter), ice.WithRemoteIPFilter(cfg.IPFilter))
	}
	if cfg.RelayOnly {
		if !slices.ContainsFunc(urls, func(u *stun.URI) bool {
			return u.Scheme == stun.SchemeTypeTURN || u.Scheme == stun.SchemeTypeTURNS
		}) {
			return nil, errors.New("icepath: RelayOnly without a TURN server")
		}
		opts = append(opts, ice.WithCandidateTypes([]ice.CandidateType{ice.CandidateTypeRelay}))
	}
	return opts, nil
}

// serverURLs parses the servers' URLs, skipping (with a log line) those that do not parse and TURN URLs
// without credentials (pion would then gather no relayed candidate at all).
func serverURLs(servers []Server, log *slog.Logger) []*stun.URI {
	var urls []*stun.URI
	for _, s := range servers {
		for _, raw := range s.URLs {
			u, err := stun.ParseURI(raw)
			if err != nil {
				log.Warn("ice path: skipping server URL", "url", raw, "reason", err)
				continue
			}
			if u.Scheme == stun.SchemeTypeTURN || u.Scheme == stun.SchemeTypeTURNS {
				if s.Username == "" || s.Credential == "" {
					log.Warn("ice path: skipping TURN server without credentials", "url", raw)
					continue
				}
				u.Username, u.Password = s.Username, s.Credential
			}
			urls = append(urls, u)
		}
	}
	return urls
}

// enqueue queues a message for sendLoop; it never blocks (agent callbacks call it).
func (a *attempt) enqueue(m message) {
	a.outMu.Lock()
	a.enqueueLocked(m)
	a.outMu.Unlock()
}

// tell queues local candidate c for the peer, unless it was already.
func (a *attempt) tell(c ice.Candidate) {
	m := message{T: typeCand, Gen: a.gen, Cand: "candidate:" + c.Marshal()}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	if _, ok := a.told[m.Cand]; ok {
		return
	}
	a.told[m.Cand] = struct{}{}
	a.enqueueLocked(m)
}

func (a *attempt) enqueueLocked(m message) {
	a.out = append(a.out, m.encode())
	select {
	case a.outSignal <- struct{}{}:
	default:
	}
}

// sendLoop sends the queued messages in order until ctx ends, or, once flush is closed, until what is
// queued then has been sent: the candidates that the peer has not had yet tell it what the path is.
func (a *attempt) sendLoop(ctx context.Context, sig Signaller, fail context.CancelCauseFunc, flush <-chan struct{}) {
	for {
		last := false
		select {
		case <-ctx.Done():
			return
		case <-a.outSignal:
		case <-flush:
			last = true
		}
		a.outMu.Lock()
		batch := a.out
		a.out = nil
		a.outMu.Unlock()
		for _, b := range batch {
			if err := sig.Send(ctx, b); err != nil {
				if ctx.Err() == nil {
					fail(fmt.Errorf("%w: send: %w", ErrSignalling, err))
				}
				return
			}
		}
		if last {
			return
		}
	}
}

// recvLoop handles the peer's messages until ctx ends: the answer (offerer only, handed to answers once),
// candidates and end-of-candidates of this generation, and (answerer only) a newer offer, which ends the
// attempt with errSuperseded after storing it in newer.
func (a *attempt) recvLoop(ctx context.Context, sig Signaller, fail context.CancelCauseFunc,
	answers chan<- message, newer *message) {
	accepted, skipped, answered := 0, 0, false
	for {
		b, err := sig.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				fail(fmt.Errorf("%w: receive: %w", ErrSignalling, err))
			}
			return
		}
		m, err := decodeMessage(b)
		if err != nil {
			a.log.Warn("ice path: skipping message", "role", a.role.String(), "gen", a.gen, "reason", err)
			continue
		}
		if m.Gen != a.gen {
			if a.role == answerer && m.T == typeOffer && !a.cfg.Seen.Has(m.Gen) {
				*newer = m
				fail(errSuperseded)
				return
			}
			a.log.Debug("ice path: skipping message of another generation", "role", a.role.String(),
				"gen", a.gen, "type", m.T, "its_gen", m.Gen)
			continue
		}
		switch {
		case m.T == typeAnswer && a.role == offerer:
			if !answered {
				answered = true
				answers <- m // buffered, read once
			}
		case m.T == typeCand:
			if accepted >= MaxRemoteCandidates {
				if skipped++; skipped == 1 {
					a.log.Warn("ice path: skipping candidates beyond the limit", "role", a.role.String(),
						"gen", a.gen, "limit", MaxRemoteCandidates)
				}
				continue
			}
			c, err := parseCandidate(m.Cand)
			if err != nil {
				a.log.Warn("ice path: skipping candidate", "role", a.role.String(), "gen", a.gen, "reason", err)
				continue
			}
			if err := a.agent.AddRemoteCandidate(c); err != nil {
				a.log.Warn("ice path: skipping candidate", "role", a.role.String(), "gen", a.gen, "reason", err)
				continue
			}
			accepted++
			a.heard(c)
		case m.T == typeEnd:
			a.heard(nil)
			a.log.Debug("ice path: peer gathered all candidates", "role", a.role.String(), "gen", a.gen,
				"accepted", accepted, "skipped", skipped)
		default:
			a.log.Debug("ice path: skipping unexpected message", "role", a.role.String(), "gen", a.gen,
				"type", m.T)
		}
	}
}

// run drives the attempt to a selected pair. For the answerer, offer is the offer being answered; when a
// newer one arrives, run fails with errSuperseded and returns it.
func (a *attempt) run(parent context.Context, sig Signaller, offer message) (*Path, message, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	p := a.path

	if err := a.agent.OnConnectionStateChange(func(s ice.ConnectionState) {
		switch s {
		case ice.ConnectionStateFailed:
			cancel(ErrFailed) // ends the attempt if it is still under way
			p.lose()
		case ice.ConnectionStateClosed:
			p.end(false)
		default:
		}
	}); err != nil {
		_ = a.agent.GracefulClose()
		return nil, message{}, err
	}
	if err := a.agent.OnCandidate(func(c ice.Candidate) {
		if a.cfg.candidateLag > 0 {
			time.Sleep(a.cfg.candidateLag)
		}
		if c == nil {
			a.enqueue(message{T: typeEnd, Gen: a.gen})
			return
		}
		a.tell(c)
	}); err != nil {
		_ = a.agent.GracefulClose()
		return nil, message{}, err
	}

	first := message{T: typeOffer, Gen: a.gen, Ufrag: a.ufrag, Pwd: a.pwd}
	if a.role == answerer {
		first.T = typeAnswer
	}
	a.enqueue(first)

	var wg sync.WaitGroup
	answers := make(chan message, 1)
	var newer message
	flush, sent := make(chan struct{}), make(chan struct{})
	wg.Go(func() {
		defer close(sent)
		a.sendLoop(ctx, sig, cancel, flush)
	})
	wg.Go(func() { a.recvLoop(ctx, sig, cancel, answers, &newer) })
	fail := func(err error) (*Path, message, error) {
		cancel(errAttemptOver)
		wg.Wait()
		_ = a.agent.GracefulClose()
		p.end(false)
		return nil, newer, err
	}
	// failCause reports why ctx ended: the caller's context, ICE failure, the Signaller, a newer offer.
	failCause := func(err error) (*Path, message, error) {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return fail(err)
	}

	if err := a.agent.GatherCandidates(); err != nil {
		return fail(fmt.Errorf("gather candidates: %w", err))
	}

	var conn *ice.Conn
	var err error
	if a.role == offerer {
		select {
		case <-ctx.Done():
			return failCause(nil)
		case ans := <-answers:
			p.remoteUfrag = ans.Ufrag
			conn, err = a.agent.Dial(ctx, ans.Ufrag, ans.Pwd)
		}
	} else {
		p.remoteUfrag = offer.Ufrag
		conn, err = a.agent.Accept(ctx, offer.Ufrag, offer.Pwd)
	}
	if err != nil {
		return failCause(fmt.Errorf("connect: %w", err))
	}

	pair, err := a.agent.GetSelectedCandidatePair()
	if err != nil || pair == nil || p.isDone() {
		return fail(ErrPathLost)
	}
	// Connected: what is queued still goes (the peer may know this side's candidate only from its checks),
	// and the peer's candidates are still read, for a little while. The selected local candidate goes even
	// if pion has not told of it yet: its checks may come before its notice.
	a.tell(pair.Local)
	close(flush)
	remote := a.settleRemote(ctx, pair.Remote)
	select {
	case <-sent:
	case <-time.After(prflxSettle):
	case <-ctx.Done():
	}
	cancel(errAttemptOver)
	wg.Wait()
	if errors.Is(context.Cause(ctx), errSuperseded) {
		return fail(errSuperseded) // the peer gave this attempt up while it settled
	}
	if p.isDone() {
		return fail(ErrPathLost)
	}
	p.conn = conn
	p.setPair(pair.Local, remote)
	return p, message{}, nil
}

// logResult logs a connected attempt; start is when the offer was made or received.
func (a *attempt) logResult(start time.Time, p *Path) {
	a.log.Info("ice path", "role", a.role.String(), "gen", a.gen, "result", "connected",
		"kind", p.Kind().String(), "local", p.LocalCandidate(), "remote", p.RemoteCandidate(),
		"after", time.Since(start).Round(time.Millisecond))
}
