package unattended

import (
	"context"
	"encoding/hex"
	"errors"
	"log"
	"slices"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/meet"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/icepath"
)

// Reaching a computer from anywhere: the agent keeps the computer present at every rendezvous through which a
// technician on its list set access up (rendezvous.Client.Present, proved with the computer's identity key and
// renewed before it lapses). A technician's Expert knocks at the computer's ID there, which opens a mailbox;
// the two find an ICE path through it (the technician offers, the agent answers) and QUIC runs over that path
// exactly as over the LAN: the technician pins the computer's certificate and proves the password end to end,
// and the rendezvous can deny service, never join.

const (
	// rendezvousTimeout bounds each exchange with a rendezvous (connecting, knocking).
	rendezvousTimeout = 15 * time.Second
	// answerTimeout bounds how long the agent looks for a path with one knocker.
	answerTimeout = time.Minute
	// maxAnswers bounds the knocks the agent answers at once: each holds an ICE agent for up to answerTimeout.
	maxAnswers = 8
	// presenceRetry is the first wait before the agent connects to a rendezvous again; it doubles up to
	// presenceRetryMax.
	presenceRetry    = 5 * time.Second
	presenceRetryMax = 2 * time.Minute
)

// validRendezvous reports whether s is a rendezvous address the agent can use.
func validRendezvous(s string) bool {
	_, err := rendezvous.ParseURL(s)
	return err == nil && len(s) <= 2048
}

// unattendedPath is what both sides know of a path found through a rendezvous, bound into the key confirmation.
func unattendedPath(computer, mailbox string, p *icepath.Path) []byte {
	return transport.PathContext("unattended", computer, mailbox, p.OffererUfrag(), p.AnswererUfrag())
}

// computerKey is the key a computer is present under at a rendezvous.
func computerKey(id transport.ID) string { return hex.EncodeToString(id[:]) }

// stayPresent keeps one presence per rendezvous the computer's state names, following its changes.
func (a *Agent) stayPresent() {
	defer a.wg.Done()
	running := make(map[string]context.CancelFunc)
	var wg sync.WaitGroup
	defer func() {
		for _, stop := range running {
			stop()
		}
		wg.Wait()
	}()
	for {
		changed := a.comp.Changed()
		want := a.comp.Rendezvous()
		for url, stop := range running {
			if !slices.Contains(want, url) {
				stop()
				delete(running, url)
			}
		}
		for _, url := range want {
			if _, ok := running[url]; !ok {
				ctx, cancel := context.WithCancel(a.ctx)
				running[url] = cancel
				wg.Go(func() { a.presentAt(ctx, url) })
			}
		}
		select {
		case <-changed:
		case <-a.ctx.Done():
			return
		}
	}
}

// presentAt keeps the computer present at the rendezvous at url until ctx ends, connecting again after a failure.
func (a *Agent) presentAt(ctx context.Context, url string) {
	wait := presenceRetry
	for ctx.Err() == nil {
		start := time.Now()
		err := a.presentOnce(ctx, url)
		if ctx.Err() != nil {
			return
		}
		log.Printf("unattended: present at %s: %v", rendezvous.HostOf(url), err)
		if time.Since(start) > presenceRetryMax {
			wait = presenceRetry // it worked for a while: this is a new failure
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, presenceRetryMax)
	}
}

// presentOnce connects to the rendezvous, is present there and answers knocks until ctx ends (nil) or the
// rendezvous fails.
func (a *Agent) presentOnce(ctx context.Context, url string) error {
	dctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
	rv, err := rendezvous.Dial(dctx, url, rendezvous.DialOptions{Name: "tandem-agent"})
	cancel()
	if err != nil {
		return err
	}
	defer rv.Close()
	id := a.comp.Identity()
	cert := id.Certificate()
	actx, stopAnswers := context.WithCancel(ctx)
	var answers sync.WaitGroup
	defer answers.Wait()
	defer stopAnswers()
	present := func() (time.Duration, error) {
		pctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
		defer cancel()
		expires, err := rv.Present(pctx, cert, id.Sign)
		return rendezvous.Renewal(expires), err
	}
	renew, err := present()
	if err != nil {
		return err
	}
	log.Printf("unattended: present at %s: technicians on the list reach this computer from anywhere through it",
		rendezvous.HostOf(url))
	opts := a.cfg.Path.For(url)
	slots := make(chan struct{}, maxAnswers)
	t := time.NewTimer(renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			gctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = rv.Absent(gctx, cert)
			cancel()
			return nil
		case <-t.C:
			if renew, err = present(); err != nil {
				return err
			}
			t.Reset(renew)
		case k := <-rv.Knocks():
			mb := rv.OpenKnock(k)
			select {
			case slots <- struct{}{}:
			default:
				mb.Close() // too many at once: this knocker tries again
				continue
			}
			answers.Go(func() {
				defer func() { <-slots }()
				defer mb.Close()
				a.answerKnock(actx, rv, mb, opts)
			})
		}
	}
}

// answerKnock finds a path with one knocker and serves it on the agent's listener, where the computer's gate
// checks the technician as on the LAN.
func (a *Agent) answerKnock(ctx context.Context, rv *rendezvous.Client, mb *rendezvous.Mailbox, opts meet.PathOptions) {
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	servers, err := rv.ICEServers(ctx)
	if err != nil {
		log.Printf("unattended: asking the rendezvous for a relay: %v", err)
	}
	p, err := icepath.Answer(ctx, opts.ICEConfig(servers), mb)
	if err != nil {
		if ctx.Err() == nil {
			log.Printf("unattended: finding a path with a technician: %v", err)
		}
		return
	}
	// Attempts over this knock's path count as one source: a relay's address is shared by strangers.
	if err := a.ln.ServePath(p, unattendedPath(computerKey(a.comp.ID()), mb.ID(), p), "mailbox "+mb.ID()); err != nil {
		log.Printf("unattended: serving a path: %v", err)
	}
}

// dialThrough reaches the computer of to through its rendezvous: it knocks at the computer's ID, finds a path
// and confirms the password over it.
func dialThrough(ctx context.Context, to Target, dc transport.DialConfig) (*transport.Conn, error) {
	rctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
	defer cancel()
	rv, err := dialRendezvous(rctx, to)
	if err != nil {
		return nil, err
	}
	defer rv.Close()
	key := computerKey(to.ID)
	mb, servers, err := rv.KnockAt(rctx, key)
	switch {
	case errors.Is(err, rendezvous.ErrAbsent):
		return nil, &protocol.Error{Code: protocol.Unreachable, Detail: "the computer is not connected to the rendezvous"}
	case err != nil:
		return nil, &protocol.Error{Code: protocol.NoRendezvous, Detail: "knocking at the computer", Err: err}
	}
	defer mb.Close()
	p, err := icepath.Offer(ctx, to.Path.For(to.Rendezvous).ICEConfig(servers), mb)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.NoPath, Detail: "finding a path to the computer", Err: err}
	}
	dc.PathContext = unattendedPath(key, mb.ID(), p)
	return transport.DialPath(ctx, p, p.RemoteAddr(), dc)
}

// dialRendezvous connects the technician's side to the rendezvous of to.
func dialRendezvous(ctx context.Context, to Target) (*rendezvous.Client, error) {
	rv, err := rendezvous.Dial(ctx, to.Rendezvous, rendezvous.DialOptions{Name: "tandem-expert"})
	if err != nil {
		return nil, &protocol.Error{Code: protocol.NoRendezvous, Detail: "connecting to the rendezvous", Err: err}
	}
	return rv, nil
}

// lookup tells whether the computer of to is present at its rendezvous.
func lookup(ctx context.Context, to Target) error {
	rctx, cancel := context.WithTimeout(ctx, rendezvousTimeout)
	defer cancel()
	rv, err := dialRendezvous(rctx, to)
	if err != nil {
		return err
	}
	defer rv.Close()
	present, err := rv.Lookup(rctx, computerKey(to.ID))
	switch {
	case err != nil:
		return &protocol.Error{Code: protocol.NoRendezvous, Detail: "asking the rendezvous", Err: err}
	case !present:
		return &protocol.Error{Code: protocol.Unreachable, Detail: "the computer is not connected to the rendezvous"}
	}
	return nil
}
