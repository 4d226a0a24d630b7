package session

import (
	"context"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/meet"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/icepath"
)

// PathOptions tune how the two programs look for a path through a rendezvous (see meet.PathOptions).
type PathOptions = meet.PathOptions

// rendezvousTimeout bounds each exchange with the rendezvous (connecting, creating, claiming).
const rendezvousTimeout = 15 * time.Second

// pathContext is what both sides know of a path that a rendezvous helped find, for the key confirmation.
func pathContext(nameplate, mailbox string, p *icepath.Path) []byte {
	return transport.PathContext(nameplate, mailbox, p.OffererUfrag(), p.AnswererUfrag())
}

// unreachable says why the rendezvous could not be used, as a *protocol.Error a UI translates.
func unreachable(what string, err error) error {
	return &protocol.Error{Code: protocol.NoRendezvous, Detail: what, Err: err}
}

// pathCloseWait bounds how long a session's end waits for its last path to close.
const pathCloseWait = 2 * time.Second

// waitPathClosed waits (a moment at most) until the path under l's connection is closed, so that nothing of a
// path outlives the session that used it. l may be nil.
func waitPathClosed(l *link) {
	if l == nil {
		return
	}
	t := time.NewTimer(pathCloseWait)
	defer t.Stop()
	select {
	case <-l.conn.PathClosed():
	case <-t.C:
	}
}

// way is how the customer's program reaches the technician's: one confirmed connection per call to dial.
type way interface {
	// dial connects and confirms secret (with dc's identity and idle timeout).
	dial(ctx context.Context, dc transport.DialConfig) (*transport.Conn, error)
	// rendezvous is the URL of the rendezvous in use, "" for a direct link.
	rendezvous() string
	close()
}

// directWay dials the address of a direct join link.
type directWay struct{ addr string }

func (d directWay) dial(ctx context.Context, dc transport.DialConfig) (*transport.Conn, error) {
	return transport.Dial(ctx, d.addr, dc)
}
func (directWay) rendezvous() string { return "" }
func (directWay) close()             {}

// meetWay reaches the technician through a rendezvous: it claims the key's nameplate once, then finds a new ICE
// path in the claim's mailbox for every connection (the first, and each return after a drop).
type meetWay struct {
	url       string
	rv        *rendezvous.Client
	mb        *rendezvous.Mailbox
	nameplate string
	servers   []rendezvous.ICEServer // from the claim, used by the first attempt; later ones ask afresh
	opts      PathOptions
}

// claim connects to the rendezvous at url and claims nameplate.
func claim(ctx context.Context, url, nameplate string, opts PathOptions) (*meetWay, error) {
	cctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
	defer cancel()
	rv, err := rendezvous.Dial(cctx, url, rendezvous.DialOptions{})
	if err != nil {
		return nil, unreachable("connecting to the rendezvous", err)
	}
	mb, servers, err := rv.Claim(cctx, nameplate)
	if err != nil {
		rv.Close()
		if rendezvous.IsUnknownNameplate(err) {
			return nil, &protocol.Error{Code: protocol.KeyExpired, Detail: "the rendezvous knows no such key"}
		}
		return nil, unreachable("claiming the key", err)
	}
	return &meetWay{url: url, rv: rv, mb: mb, nameplate: nameplate, servers: servers, opts: opts.For(url)}, nil
}

func (m *meetWay) dial(ctx context.Context, dc transport.DialConfig) (*transport.Conn, error) {
	servers := m.servers
	m.servers = nil
	if servers == nil {
		sctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
		var err error
		servers, err = m.rv.ICEServers(sctx)
		cancel()
		if err != nil {
			return nil, unreachable("asking the rendezvous for a relay", err)
		}
	}
	p, err := icepath.Offer(ctx, m.opts.ICEConfig(servers), m.mb)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.NoPath, Detail: "finding a path to the technician", Err: err}
	}
	dc.PathContext = pathContext(m.nameplate, m.mb.ID(), p)
	return transport.DialPath(ctx, p, p.RemoteAddr(), dc)
}

func (m *meetWay) rendezvous() string { return m.url }

func (m *meetWay) close() {
	m.mb.Close()
	m.rv.Close()
}

// meeting is the technician's side of a rendezvous: the nameplate of the support key, and an answerer for every
// customer who claims it. Each answer's path goes to the session's listener, whose gate confirms the key.
type meeting struct {
	url       string
	rv        *rendezvous.Client
	nameplate *rendezvous.Nameplate
	opts      PathOptions
	ln        *transport.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// openMeeting connects to the rendezvous at url and gets a nameplate.
func openMeeting(url string, opts PathOptions) (*meeting, error) {
	ctx, cancel := context.WithTimeout(context.Background(), rendezvousTimeout)
	defer cancel()
	rv, err := rendezvous.Dial(ctx, url, rendezvous.DialOptions{})
	if err != nil {
		return nil, unreachable("connecting to the rendezvous", err)
	}
	np, err := rv.Create(ctx)
	if err != nil {
		rv.Close()
		return nil, unreachable("getting a key from the rendezvous", err)
	}
	m := &meeting{url: url, rv: rv, nameplate: np, opts: opts.For(url)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

// start answers the customers who claim the nameplate, giving their paths to ln.
func (m *meeting) start(ln *transport.Listener) {
	m.ln = ln
	m.wg.Go(func() {
		for {
			select {
			case <-m.ctx.Done():
				return
			case c, ok := <-m.nameplate.Claims:
				if !ok {
					return
				}
				mb := m.rv.Open(c)
				m.wg.Go(func() { m.answer(mb) })
			}
		}
	})
}

// answerRefresh is how long one answer waits for an offer before it asks the rendezvous for fresh relay
// credentials (they last ten minutes) and waits again.
const answerRefresh = 5 * time.Minute

// answer finds a path with the customer of one claim, then one more each time that customer comes back
// (after a drop), until the meeting closes.
func (m *meeting) answer(mb *rendezvous.Mailbox) {
	defer mb.Close()
	seen := &icepath.Generations{}
	for m.ctx.Err() == nil {
		cfg := m.opts.ICEConfig(m.servers())
		cfg.Seen = seen
		ctx, cancel := context.WithTimeout(m.ctx, answerRefresh)
		p, err := icepath.Answer(ctx, cfg, mb)
		waited := ctx.Err() != nil
		cancel()
		if err != nil {
			if !waited {
				m.logf("finding a path with a customer", err)
				if !sleep(m.ctx, redialInterval) {
					return
				}
			}
			continue
		}
		// Attempts over this claim's paths count as one source: a relay's address is shared by strangers.
		if err := m.ln.ServePath(p, pathContext(m.nameplate.Name, mb.ID(), p), "mailbox "+mb.ID()); err != nil {
			m.logf("serving a path", err)
		}
	}
}

// servers asks the rendezvous for relays with fresh credentials, for one answer: the node that handed out the
// nameplate may be gone by the time a customer claims it (in a cluster), and credentials expire. When the
// rendezvous cannot answer, the nameplate's own list is the best there is.
func (m *meeting) servers() []rendezvous.ICEServer {
	ctx, cancel := context.WithTimeout(m.ctx, rendezvousTimeout)
	defer cancel()
	servers, err := m.rv.ICEServers(ctx)
	if err != nil {
		m.logf("asking the rendezvous for a relay", err)
		return m.nameplate.ICE
	}
	return servers
}

func (m *meeting) logf(what string, err error) {
	if m.ctx.Err() == nil && m.opts.Log != nil {
		m.opts.Log.Info("rendezvous: "+what, "err", err)
	}
}

// release gives the nameplate back: the customer has joined (the key is spent), or the session ended.
func (m *meeting) release() {
	m.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.rv.Release(ctx, m.nameplate.Name); err != nil {
			m.logf("releasing the nameplate", err)
		}
	})
}

// close releases the nameplate, stops answering and leaves the rendezvous. Paths already found live on with
// their connections.
func (m *meeting) close() {
	m.release()
	m.cancel()
	m.wg.Wait()
	m.rv.Close()
}
