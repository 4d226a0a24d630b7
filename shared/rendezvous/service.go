package rendezvous

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// service answers the requests of the protocol on the internal connection.
type service struct {
	cfg        Config
	nc         *nats.Conn
	sources    *sourceMap
	m          *metrics
	stunURLs   []string
	turnURLs   []string
	createLim  *limiter
	claimLim   *limiter
	presentLim *limiter
	lookupLim  *limiter
	wg         *sync.WaitGroup
	sem        chan struct{} // bounds concurrent control requests
	created    createdPlates

	mu       sync.Mutex
	plates   jetstream.KeyValue
	presence jetstream.KeyValue
	subs     []*nats.Subscription
	stopped  bool // set by stop: no new handler goroutine may start
	ctx      context.Context
}

const (
	maxConcurrent  = 1024
	slotWait       = time.Second
	requestTimeout = 10 * time.Second // longer than a leader election after a node of a cluster is lost (see kv)
	createAttempts = 32
	maxValueSize   = 1024
	// claimAckWait is how long a claim waits for the nameplate's owner to acknowledge it (and how long a client
	// may answer an event it received).
	claimAckWait = 5 * time.Second
)

func newService(cfg Config, nc *nats.Conn, sources *sourceMap, m *metrics, stunURLs, turnURLs []string, wg *sync.WaitGroup) *service {
	return &service{
		cfg: cfg, nc: nc, sources: sources, m: m, stunURLs: stunURLs, turnURLs: turnURLs, wg: wg,
		createLim: newLimiter(cfg.CreatesPerMinute, cfg.now),
		claimLim:  newLimiter(cfg.ClaimsPerMinute, cfg.now),
		// A computer renews its presence about once a minute; more than a few a minute from one source is a loop.
		presentLim: newLimiter(max(cfg.CreatesPerMinute, 10), cfg.now),
		// An Expert checks each saved computer when its list is shown.
		lookupLim: newLimiter(20*cfg.ClaimsPerMinute, cfg.now),
		sem:       make(chan struct{}, maxConcurrent),
	}
}

// start creates (or adopts) the nameplate bucket and subscribes to the request subjects.
func (s *service) start(ctx context.Context) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	plates, err := openBucket(cctx, js, jetstream.KeyValueConfig{
		Bucket: nameplateBucket, Description: "Tandem nameplates", History: 1, TTL: s.cfg.NameplateTTL,
		MaxValueSize: maxValueSize, Storage: jetstream.FileStorage, Replicas: s.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("nameplate bucket: %w", err)
	}
	presence, err := openBucket(cctx, js, jetstream.KeyValueConfig{
		Bucket: presenceBucket, Description: "Tandem unattended computers present", History: 1, TTL: s.cfg.PresenceTTL,
		MaxValueSize: maxValueSize, Storage: jetstream.FileStorage, Replicas: s.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("presence bucket: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return context.Canceled
	}
	s.plates, s.presence, s.ctx = plates, presence, ctx
	// Requests go to any node's service and run concurrently. Mailbox messages never reach the service: they go
	// from one client to the other, in order, over the routes of a cluster.
	ctl, err := s.nc.QueueSubscribe(reqPrefix+"*.*", queueGroup, s.onControl)
	if err != nil {
		return fmt.Errorf("subscribing: %w", err)
	}
	_ = ctl.SetPendingLimits(100000, 256<<20)
	s.subs = []*nats.Subscription{ctl}
	if err := s.nc.Flush(); err != nil {
		return fmt.Errorf("subscribing: %w", err)
	}
	return nil
}

// openBucket creates or updates a KV bucket, then, when it is replicated, turns off its direct gets and binds
// to it. nats.go creates KV streams with AllowDirect, which lets any replica answer a Get, so in a cluster a read
// right after a write on another node can miss it (a claim on node 3 of a nameplate just created on node 1 saw
// "unknown"). Without direct gets every Get goes to the stream leader and sees every acknowledged write. A bucket
// with one replica has one server to answer, so it keeps direct gets, which are cheaper (no JSON, no base64).
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, "KV_"+cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("reading the stream: %w", err)
	}
	if sc := st.CachedInfo().Config; sc.AllowDirect && sc.Replicas > 1 {
		sc.AllowDirect = false
		if _, err := js.UpdateStream(ctx, sc); err != nil {
			return nil, fmt.Errorf("turning off direct gets: %w", err)
		}
	}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("binding: %w", err)
	}
	return kv, nil
}

// stop unsubscribes; the handlers still running finish on the server's WaitGroup.
func (s *service) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.subs = nil
}

// requester returns the principal and operation of a request subject, and whether it may be answered.
func (s *service) requester(msg *nats.Msg, wantTokens int) (p string, tokens []string, ok bool) {
	tokens = strings.Split(msg.Subject, ".")
	if len(tokens) != wantTokens {
		return "", nil, false
	}
	p = tokens[3]
	if !validPrincipal(p) {
		return "", nil, false
	}
	// Answer only into the requester's own inbox: anything else would let a client make the service publish
	// into another principal's mailbox subjects.
	if msg.Reply != "" && !strings.HasPrefix(msg.Reply, inboxPrefix+p+".") {
		s.m.fail("reply", codeBadRequest)
		return "", nil, false
	}
	return p, tokens, true
}

func (s *service) onControl(msg *nats.Msg) {
	p, tokens, ok := s.requester(msg, 5)
	if !ok {
		return
	}
	op := tokens[4]
	if !s.takeSlot() {
		s.respond(msg, Reply{Error: codeLimited})
		s.m.fail(op, codeLimited)
		return
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		<-s.sem
		return
	}
	s.wg.Add(1) // under mu, so never after stop has returned and Close waits
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		ctx, cancel := context.WithTimeout(s.ctx, requestTimeout)
		defer cancel()
		var reply any
		var code string
		switch op {
		case opCreate:
			reply, code = s.create(ctx, p)
		case opClaim:
			reply, code = s.claim(ctx, p, msg.Data)
		case opRelease, opRetire:
			reply, code = s.release(ctx, p, msg.Data)
		case opICE:
			reply, code = s.ice(p)
		case opPresent:
			reply, code = s.present(ctx, p, msg.Data)
		case opAbsent:
			reply, code = s.absent(ctx, p, msg.Data)
		case opKnock:
			reply, code = s.knock(ctx, p, msg.Data)
		case opLookup:
			reply, code = s.lookup(ctx, p, msg.Data)
		default:
			code = codeBadRequest
		}
		if code != "" {
			s.m.fail(op, code)
			reply = Reply{Error: code}
		}
		s.respond(msg, reply)
	}()
}

// takeSlot takes one of the maxConcurrent slots of control requests, waiting up to slotWait for one: a burst
// queues for a moment (the subscription holds the requests behind it) instead of being refused at once.
func (s *service) takeSlot() bool {
	select {
	case s.sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

func (s *service) respond(msg *nats.Msg, v any) {
	if msg.Reply == "" {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		s.cfg.Log.Error("encoding a reply", "err", err)
		return
	}
	if err := s.nc.Publish(msg.Reply, b); err != nil {
		s.cfg.Log.Warn("sending a reply", "err", err)
	}
}

func (s *service) create(ctx context.Context, p string) (any, string) {
	if !s.createLim.allow(s.sources.source(p)) {
		s.cfg.Log.Info("create refused: rate limit", "principal", p)
		return nil, codeLimited
	}
	expires := s.cfg.now().Add(s.cfg.NameplateTTL)
	val, _ := json.Marshal(nameplateEntry{Owner: p, Expires: expires.Unix()})
	for range createAttempts {
		name := randomNameplate()
		rev, err := kv(ctx, func(c context.Context) (uint64, error) { return s.plates.Create(c, name, val) })
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			s.cfg.Log.Error("create failed", "principal", p, "err", err)
			return nil, codeInternal
		}
		s.created.put(name, p, rev, expires, s.cfg.now())
		s.m.nameplatesCreated.Add(1)
		s.cfg.Log.Info("nameplate created", "principal", p, "nameplate", name)
		ice, err := s.iceServers(p)
		if err != nil {
			return nil, codeInternal
		}
		return CreateReply{Nameplate: name, ICE: ice, Expires: expires.Unix(), MaxClaims: s.cfg.MaxClaims,
			JoinPage: s.cfg.JoinPage}, ""
	}
	s.cfg.Log.Warn("create refused: no free nameplate found", "principal", p)
	return nil, codeBusy
}

// randomNameplate draws four decimal digits uniformly.
func randomNameplate() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%04d", binary.BigEndian.Uint64(b[:])%10000) // bias below 2^-50
}

func (s *service) claim(ctx context.Context, q string, body []byte) (any, string) {
	var req ClaimRequest
	if err := json.Unmarshal(body, &req); err != nil || !validNameplate(req.Nameplate) {
		return nil, codeBadRequest
	}
	if !s.claimLim.allow(s.sources.source(q)) {
		s.cfg.Log.Info("claim refused: rate limit", "principal", q)
		return nil, codeLimited
	}
	owner, code := s.owner(ctx, q, req.Nameplate)
	if code != "" {
		s.cfg.Log.Info("claim refused", "principal", q, "nameplate", req.Nameplate, "reason", code)
		return nil, code
	}
	// The owner hears of the claim first and answers once it keeps the claimer's messages; only then does the
	// claimer learn the mailbox, so its first message never comes before the owner knows whom it is from.
	m := randomHex(16)
	ev, _ := json.Marshal(ClaimedEvent{Nameplate: req.Nameplate, Mailbox: m, Claimer: q})
	if !s.askOwner(ctx, owner, claimedToken, ev) { // refused (used up, released), not connected, or no answer
		s.cfg.Log.Info("claim refused or unanswered by the owner", "principal", q, "owner", owner, "nameplate", req.Nameplate)
		return nil, codeUnknown
	}
	ice, err := s.iceServers(q)
	if err != nil {
		return nil, codeInternal
	}
	s.m.nameplatesClaimed.Add(1)
	s.cfg.Log.Info("nameplate claimed", "principal", q, "owner", owner, "nameplate", req.Nameplate, "mailbox", m)
	return ClaimReply{Mailbox: m, Owner: owner, ICE: ice}, ""
}

// owner reads a nameplate and returns its owner, for a claim by q. Claims are not counted here: the owner's
// client counts them (it is the one a guesser would try keys against) and refuses those beyond MaxClaims, so a
// claim writes nothing.
func (s *service) owner(ctx context.Context, q, name string) (owner, code string) {
	np, _, code := s.readPlate(ctx, name)
	if code != "" {
		return "", code
	}
	if s.cfg.now().Unix() >= np.Expires {
		return "", codeUnknown // the bucket's TTL removes it
	}
	if np.Owner == q {
		return "", codeForbidden
	}
	return np.Owner, ""
}

// waiting reports whether nameplate name exists and has not expired (the join page's check of a typed key).
func (s *service) waiting(ctx context.Context, name string) (bool, error) {
	np, _, code := s.readPlate(ctx, name)
	switch code {
	case "":
		return s.cfg.now().Unix() < np.Expires, nil
	case codeUnknown:
		return false, nil
	default:
		return false, codeError(code)
	}
}

// release deletes the caller's nameplate. A nameplate of someone else is reported as unknown, so that release
// tells nobody which nameplates exist.
func (s *service) release(ctx context.Context, p string, body []byte) (any, string) {
	var req ReleaseRequest
	if err := json.Unmarshal(body, &req); err != nil || !validNameplate(req.Nameplate) {
		return nil, codeBadRequest
	}
	// A nameplate this node created for p is deleted at the revision it was created with, without a read. The
	// revision check refuses one that changed since: lapsed, or released through another node of a cluster and
	// made again; then the nameplate is read as for one this node does not know.
	if rev, ok := s.created.take(req.Nameplate, p); ok {
		err := s.deleteAt(ctx, req.Nameplate, rev)
		switch {
		case err == nil:
			return s.released(p, req.Nameplate)
		case !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists):
			return nil, codeInternal
		}
	}
	np, rev, code := s.readPlate(ctx, req.Nameplate)
	if code == "" && np.Owner != p {
		code = codeUnknown
	}
	if code != "" {
		return nil, code
	}
	if err := s.deleteAt(ctx, req.Nameplate, rev); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			return nil, codeUnknown // released meanwhile
		}
		return nil, codeInternal
	}
	return s.released(p, req.Nameplate)
}

// readPlate reads nameplate name and the revision it was read at, or the code of a reply: unknown when there
// is no such nameplate, internal when the store fails or holds something else.
func (s *service) readPlate(ctx context.Context, name string) (nameplateEntry, uint64, string) {
	var np nameplateEntry
	rev, code := s.readEntry(ctx, s.plates, name, &np)
	return np, rev, code
}

// readEntry reads key from bucket into v (JSON) and returns the revision it was read at, or the code of a reply:
// unknown when there is no such key, internal when the store fails or holds something else.
func (s *service) readEntry(ctx context.Context, bucket jetstream.KeyValue, key string, v any) (uint64, string) {
	e, err := kv(ctx, func(c context.Context) (jetstream.KeyValueEntry, error) { return bucket.Get(c, key) })
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return 0, codeUnknown
	}
	if err != nil {
		s.cfg.Log.Error("reading the store", "bucket", bucket.Bucket(), "err", err)
		return 0, codeInternal
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		s.cfg.Log.Error("an entry that does not decode", "bucket", bucket.Bucket(), "key", key, "err", err)
		return 0, codeInternal
	}
	return e.Revision(), ""
}

// deleteAt deletes nameplate name if its last revision is rev.
func (s *service) deleteAt(ctx context.Context, name string, rev uint64) error {
	_, err := kv(ctx, func(c context.Context) (struct{}, error) {
		return struct{}{}, s.plates.Delete(c, name, jetstream.LastRevision(rev))
	})
	return err
}

func (s *service) released(p, name string) (any, string) {
	s.m.nameplatesReleased.Add(1)
	s.cfg.Log.Info("nameplate released", "principal", p, "nameplate", name)
	return Reply{}, ""
}

func (s *service) ice(p string) (any, string) {
	ice, err := s.iceServers(p)
	if err != nil {
		return nil, codeInternal
	}
	return ICEReply{ICE: ice}, ""
}

// iceServers lists the STUN server and the TURN servers with fresh REST credentials for principal p.
func (s *service) iceServers(p string) ([]ICEServer, error) {
	var out []ICEServer
	if len(s.stunURLs) > 0 {
		out = append(out, ICEServer{URLs: s.stunURLs})
	}
	if len(s.turnURLs) > 0 {
		user, pass, err := turnCredentials(s.cfg.TURNSecret, p, s.cfg.CredentialLifetime)
		if err != nil {
			s.cfg.Log.Error("TURN credentials", "err", err)
			return nil, err
		}
		out = append(out, ICEServer{URLs: s.turnURLs, Username: user, Credential: pass})
	}
	return out, nil
}

// kvTry is how long one call to the KV store may take before it is made again, within the request's time: after
// a cluster loses a node, calls to the streams that node led go unanswered until a new leader is elected (a few
// seconds), and a claim should wait that out rather than fail.
const kvTry = time.Second

// kv makes the KV call f until the store answers (a value, or that there is none, or that a concurrent change won)
// or ctx ends, giving each try kvTry. A write whose first try went through unseen answers "exists" or "wrong
// revision" on the next; the callers treat those as they would a concurrent change.
func kv[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	for {
		tctx, cancel := context.WithTimeout(ctx, kvTry)
		v, err := f(tctx)
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) ||
			errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return v, err
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}
