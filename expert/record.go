package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/transfer"
)

// storeTimeout bounds one write to the history.
const storeTimeout = 5 * time.Second

// recorder writes one session's history (shared/store) as it happens, so that a report can be made later and a
// crash loses nothing already shown. The goroutine that follows the session's events calls event; session
// actions report what the technician did (asked, chatSent) from the worker. A store that fails is logged and
// the session goes on.
type recorder struct {
	st   *store.Store // nil: no history (it could not be opened)
	tech string
	// computer is the ID of the unattended computer the session is with; "" for an attended session. Set before
	// the session starts.
	computer string

	mu       sync.Mutex
	id       protocol.SessionID // zero until the customer joined
	me       protocol.ParticipantID
	others   map[protocol.ParticipantID]protocol.Participant // the other technicians in the session now, as announced
	customer string
	sharing  bool
	monitor  uint32
}

func newRecorder(st *store.Store, techName string) *recorder {
	return &recorder{st: st, tech: techName, me: technicianID, others: map[protocol.ParticipantID]protocol.Participant{}}
}

// self returns this technician's participant ID in the session: technicianID unless they joined as a colleague.
func (r *recorder) self() protocol.ParticipantID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.me
}

// session returns the session's ID, zero before the customer joined or without a store.
func (r *recorder) session() protocol.SessionID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.id
}

func (r *recorder) do(what string, f func(ctx context.Context) error) {
	if r.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := f(ctx); err != nil {
		log.Printf("history: %s: %v", what, err)
	}
}

// event records a session event.
func (r *recorder) event(host *session.Host, e session.Event) {
	if j, ok := e.(session.Joined); ok {
		r.joined(host, j)
		return
	}
	id := r.session()
	if id.IsZero() || r.st == nil {
		return
	}
	me := r.self()
	rec := func(k store.EventKind, actor protocol.ParticipantID, perm protocol.Permission, detail string) {
		r.do(string(k), func(ctx context.Context) error {
			return r.st.RecordEvent(ctx, id, store.Event{Kind: k, Actor: actor, Permission: perm, Detail: detail})
		})
	}
	switch e := e.(type) {
	case session.Reconnected:
		rt := host.Route()
		rec(store.EventConnected, 0, 0, store.RouteDetail(rt.Rendezvous, rt.Relayed))
	case session.ConsentAnswered:
		switch {
		case e.Granted:
			rec(store.EventConsentGiven, customerID, e.What, "")
		case e.Expired:
			rec(store.EventConsentExpired, 0, e.What, "")
		case e.Withdrawn:
			rec(store.EventConsentWithdrawn, 0, e.What, "")
		default:
			rec(store.EventConsentRefused, customerID, e.What, "")
		}
	case session.SharingChanged:
		r.mu.Lock()
		changed := r.sharing != e.On
		r.sharing = e.On
		r.mu.Unlock()
		switch {
		case changed && e.On:
			rec(store.EventSharingStarted, customerID, 0, "")
		case changed && e.Paused:
			rec(store.EventSharingStopped, me, 0, "paused by the technician")
		case changed:
			rec(store.EventSharingStopped, customerID, 0, "")
		}
	case session.ControlChanged:
		if e.Granted {
			rec(store.EventControlGranted, me, 0, "")
		} else {
			rec(store.EventControlRevoked, 0, 0, "")
		}
	case session.MonitorsChanged:
		r.mu.Lock()
		changed := r.monitor != 0 && r.monitor != e.Current
		r.monitor = e.Current
		r.mu.Unlock()
		if changed {
			for i, m := range e.Monitors {
				if m.ID == e.Current {
					rec(store.EventMonitorChanged, me, 0, monitorDetail(i+1, m))
				}
			}
		}
	case session.TechnicianScreenChanged:
		if e.On {
			rec(store.EventTechSharingStarted, me, 0, "")
		} else if e.ClosedByCustomer {
			rec(store.EventTechSharingStopped, customerID, 0, "closed by the customer")
		} else {
			rec(store.EventTechSharingStopped, me, 0, "")
		}
	case session.ChatReceived:
		m := e.Message
		r.do("chat", func(ctx context.Context) error {
			return r.st.RecordChat(ctx, id, store.ChatMessage{ID: m.ID, Author: m.From, AuthorName: m.Name, Sent: m.SentAt,
				Text: m.Text, Delivered: true})
		})
	case session.ChatDelivered:
		// The worker may not have written the message yet (chatSent): write it here if so; a second write of
		// the same message is ignored.
		m := e.Message
		r.do("chat delivered", func(ctx context.Context) error {
			if err := r.st.RecordChat(ctx, id, store.ChatMessage{ID: m.ID, Author: m.From, AuthorName: m.Name,
				Sent: m.SentAt, Text: m.Text, Delivered: true}); err != nil {
				return err
			}
			return r.st.MarkChatDelivered(ctx, id, m.From, m.ID)
		})
	case session.FileTransfer:
		r.transferEvent(id, e)
	case session.ParticipantsChanged:
		r.participants(id, e.List)
	case session.Ended:
		var by protocol.ParticipantID
		code := protocol.CodeOf(e.Err)
		switch {
		case e.Err == nil:
			by, code = me, protocol.SessionEnded
		case code == protocol.SessionEnded:
			by = customerID
		}
		r.do("end", func(ctx context.Context) error { return r.st.EndSession(ctx, id, time.Time{}, by, code) })
	}
}

func (r *recorder) joined(host *session.Host, e session.Joined) {
	id := host.SessionID()
	r.mu.Lock()
	r.id, r.customer, r.me = id, e.Peer.Name, host.Me()
	r.mu.Unlock()
	defer r.participants(id, host.Participants()) // a colleague finds others already there
	r.do("start", func(ctx context.Context) error {
		kind := store.Attended
		if r.computer != "" {
			kind = store.Unattended
		}
		if err := r.st.StartSession(ctx, store.SessionStart{ID: id, Kind: kind, ComputerID: r.computer,
			CustomerName: e.Peer.Name, TechnicianName: r.tech}); err != nil {
			return err
		}
		if err := r.st.Join(ctx, id, store.Participant{ID: host.Me(), Name: r.tech, Role: protocol.RoleTechnician}); err != nil {
			return err
		}
		if err := r.st.Join(ctx, id, store.Participant{ID: customerID, Name: e.Peer.Name, Role: protocol.RoleCustomer}); err != nil {
			return err
		}
		return r.st.RecordEvent(ctx, id, store.Event{Kind: store.EventConnected,
			Detail: store.RouteDetail(e.Peer.Route.Rendezvous, e.Peer.Route.Relayed)})
	})
}

// participants records the other technicians who joined or left since the last list, and when the customer's
// screen began or stopped reaching each and each got or lost control.
func (r *recorder) participants(id protocol.SessionID, list []protocol.Participant) {
	r.mu.Lock()
	now := map[protocol.ParticipantID]protocol.Participant{}
	var events []store.Event
	var joined []protocol.Participant
	for _, p := range list {
		if p.Role != protocol.RoleTechnician || p.ID == r.me {
			continue
		}
		now[p.ID] = p
		was, known := r.others[p.ID]
		if !known {
			joined = append(joined, p)
		}
		if p.Viewing != was.Viewing {
			events = append(events, store.Event{Kind: viewingKind(p.Viewing), Actor: p.ID})
		}
		if p.Controlling != was.Controlling {
			events = append(events, store.Event{Kind: controlKind(p.Controlling), Actor: p.ID})
		}
	}
	var left []protocol.ParticipantID
	for p := range r.others {
		if _, ok := now[p]; !ok {
			left = append(left, p)
		}
	}
	r.others = now
	r.mu.Unlock()
	for _, p := range joined {
		r.do("colleague joined", func(ctx context.Context) error {
			return r.st.Join(ctx, id, store.Participant{ID: p.ID, Name: p.Name, Role: protocol.RoleTechnician})
		})
	}
	for _, e := range events {
		r.do(string(e.Kind), func(ctx context.Context) error { return r.st.RecordEvent(ctx, id, e) })
	}
	for _, p := range left {
		r.do("colleague left", func(ctx context.Context) error { return r.st.Leave(ctx, id, p, time.Time{}) })
	}
}

func viewingKind(on bool) store.EventKind {
	if on {
		return store.EventViewingStarted
	}
	return store.EventViewingStopped
}

func controlKind(on bool) store.EventKind {
	if on {
		return store.EventControlGranted
	}
	return store.EventControlRevoked
}

// asked records a request the technician made.
func (r *recorder) asked(what protocol.Permission) {
	if id := r.session(); !id.IsZero() {
		r.do("consent asked", func(ctx context.Context) error {
			return r.st.RecordEvent(ctx, id, store.Event{Kind: store.EventConsentAsked, Actor: r.self(), Permission: what})
		})
	}
}

// chatSent records a message the technician wrote.
func (r *recorder) chatSent(m chat.Message) {
	if id := r.session(); !id.IsZero() {
		r.do("chat", func(ctx context.Context) error {
			return r.st.RecordChat(ctx, id, store.ChatMessage{ID: m.ID, Author: m.From, AuthorName: m.Name, Sent: m.SentAt,
				Text: m.Text})
		})
	}
}

// The participant IDs of an attended session.
const (
	technicianID = session.TechnicianID
	customerID   = session.CustomerID
)

// monitorDetail names a monitor in the history (not translated: the report shows it as recorded).
func monitorDetail(n int, m protocol.Monitor) string {
	if m.Name == "" {
		return fmt.Sprintf("%d (%d×%d)", n, m.Width, m.Height)
	}
	return fmt.Sprintf("%d: %s (%d×%d)", n, m.Name, m.Width, m.Height)
}

// transferEvent records the files of a transfer when it is offered, and each one's outcome when it ends.
func (r *recorder) transferEvent(id protocol.SessionID, e session.FileTransfer) {
	dir, peer := store.Received, customerID // the customer is the other side either way
	if e.Event.Transfer().Dir == transfer.Outgoing {
		dir = store.Sent
	}
	n := e.Event.Transfer().N
	switch te := e.Event.(type) {
	case transfer.OfferSent:
		r.startFiles(id, n, dir, peer, te.Files)
	case transfer.OfferReceived:
		r.startFiles(id, n, dir, peer, te.Files)
	case transfer.Finished:
		r.do("transfer end", func(ctx context.Context) error {
			for _, res := range te.Results {
				var done uint64
				if res.Err == nil {
					done = res.File.Size
				}
				if err := r.st.FinishTransfer(ctx, id, dir, n, uint32(res.File.Index), store.TransferResult{ //nolint:gosec // file indexes are small
					Outcome: protocol.CodeOf(res.Err), SHA256: res.SHA256, BytesDone: done}); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func (r *recorder) startFiles(id protocol.SessionID, n uint64, dir store.Direction, peer protocol.ParticipantID, files []transfer.File) {
	r.do("transfer", func(ctx context.Context) error {
		for _, f := range files {
			if err := r.st.StartTransfer(ctx, id, store.Transfer{ID: n, FileIndex: uint32(f.Index), Direction: dir, //nolint:gosec // file indexes are small
				Peer: peer, Name: f.Name, Size: f.Size}); err != nil {
				return err
			}
		}
		return nil
	})
}
