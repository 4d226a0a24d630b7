package main

import (
	"context"
	"errors"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// helperRetry is how long the helper waits before it knocks at the agent again (the agent starts after the
// desktop, or restarts).
const helperRetry = 3 * time.Second

// helper is Tandem Customer started by the desktop at login with -helper, when unattended access is installed:
// it shows nothing until the agent hands it a technician's session, then joins it as the toolbar joins an
// attended one (viewing and control granted, as the user allowed when setting unattended access up), shows the
// toolbar with the technician's name and End session, and hides it again when the session ends. It keeps
// knocking at the agent while the agent is not there. close stops it.
type helper struct {
	t      *toolbar
	socket string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	line *unattended.Helper // the channel now, nil between two
}

// startHelper starts serving the agent at socket for t.
func startHelper(t *toolbar, socket string) *helper {
	hp := &helper{t: t, socket: socket}
	hp.ctx, hp.cancel = context.WithCancel(context.Background())
	hp.wg.Add(1)
	go hp.run()
	return hp
}

// close stops serving the agent and waits for the helper's goroutine; a session that runs is the toolbar's.
func (hp *helper) close() {
	hp.cancel()
	hp.mu.Lock()
	if hp.line != nil {
		_ = hp.line.Close()
	}
	hp.mu.Unlock()
	hp.wg.Wait()
}

func (hp *helper) run() {
	defer hp.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(hp.ctx, 10*time.Second)
		line, err := unattended.DialHelper(ctx, hp.socket)
		cancel()
		if err == nil {
			hp.mu.Lock()
			hp.line = line
			hp.mu.Unlock()
			if hp.ctx.Err() != nil { // closed meanwhile: close could not see this channel
				_ = line.Close()
			}
			log.Printf("unattended access: serving computer %s", line.ComputerID())
			hp.serve(line)
			hp.mu.Lock()
			hp.line = nil
			hp.mu.Unlock()
		} else if !errors.Is(err, unattended.ErrNoAgent) {
			log.Printf("unattended access: %v", err)
		}
		select {
		case <-hp.ctx.Done():
			return
		case <-time.After(helperRetry):
		}
	}
}

// serve carries the agent's orders to the toolbar until the channel closes.
func (hp *helper) serve(line *unattended.Helper) {
	defer func() { _ = line.Close() }()
	for {
		o, err := line.Next()
		if err != nil {
			return
		}
		switch o.Kind {
		case unattended.OrderOpen:
			hp.t.opts.do(func() { hp.t.openUnattended(line, o) })
		case unattended.OrderEnd:
			hp.t.opts.do(func() { hp.t.endUnattended(line, o) })
		}
	}
}

// unattendedRun is the unattended session the toolbar runs: the agent's order and what the agent's log has been
// told of it.
type unattendedRun struct {
	line    *unattended.Helper
	id      uint64
	tech    string
	endCode atomic.Uint64 // the protocol.Code the agent ended it with (Blocked, NotAllowed); zero otherwise

	viewed bool // reported once; the follow goroutine's
}

// observe tells the agent's access log what the technician did; it runs on the goroutine that follows the
// session's events.
func (r *unattendedRun) observe(e session.Event) {
	switch e := e.(type) {
	case session.SharingChanged:
		if e.On && !r.viewed {
			r.viewed = true
			_ = r.line.Report(r.id, unattended.EventViewed, "")
		}
	case session.ControlChanged:
		if e.Granted {
			_ = r.line.Report(r.id, unattended.EventControlled, "")
		}
	case session.FileTransfer:
		if fc, ok := e.Event.(transfer.FileCompleted); ok {
			what := unattended.EventFileSent
			if fc.ID.Dir == transfer.Incoming {
				what = unattended.EventFileReceived
			}
			_ = r.line.Report(r.id, what, fc.Result.File.Name)
		}
	case session.Ended:
		reason := "ended on this computer"
		if e.Err != nil {
			reason = protocol.CodeOf(e.Err).String()
		}
		if c := protocol.Code(r.endCode.Load()); c != 0 {
			reason = c.String()
		}
		_ = r.line.Report(r.id, unattended.EventSessionEnded, reason)
	}
}

// openUnattended joins the technician's session that the agent hands over, unless one runs already.
func (t *toolbar) openUnattended(line *unattended.Helper, o unattended.Order) {
	if t.guest != nil || t.joining != nil {
		_ = line.Opened(o.ID, &protocol.Error{Code: protocol.Busy, Detail: "a session runs already"})
		return
	}
	lk, err := session.ParseLink(o.Link)
	if err == nil && lk.IsInvite() {
		err = errors.New("an invitation")
	}
	if err != nil {
		_ = line.Opened(o.ID, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "not a session link"})
		return
	}
	run := &unattendedRun{line: line, id: o.ID, tech: o.Technician}
	ctx, cancel := context.WithCancel(context.Background())
	t.joining = cancel
	t.status.SetText(lang.L("unattended.connecting", map[string]any{"Name": o.Technician}))
	done := make(chan struct{})
	t.joinDone = done
	name := t.opts.name
	if name == "" { // nobody typed a name: the technician sees which computer it is
		name, _ = os.Hostname()
	}
	cfg := t.guestConfig(name)
	cfg.Unattended = true
	go func() {
		defer close(done)
		g, err := session.Join(ctx, lk, cfg)
		_ = line.Opened(o.ID, err)
		t.opts.do(func() {
			if err == nil {
				t.unattended = run
			}
			t.joined(ctx, g, err)
		})
	}()
}

// endUnattended ends the unattended session the agent names, at once: the user blocked access or removed the
// technician.
func (t *toolbar) endUnattended(line *unattended.Helper, o unattended.Order) {
	r, g := t.unattended, t.guest
	if r == nil || g == nil || r.line != line || r.id != o.ID {
		return
	}
	r.endCode.Store(uint64(o.Code))
	t.act(func() { g.EndBecause(o.Code) })
}
