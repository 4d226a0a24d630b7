package session

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Several technicians in one session (work in progress, issue 14). The customer's program is the hub: each
// technician has a connection of their own to it, and nothing passes from one technician to another but
// through the customer's engine, which applies the customer's consent to each.
//
// The technician who started the session (the owner, participant 1) invites a colleague: InviteRequest on
// the owner's control stream; the customer is asked (InviteRequested, Guest.AnswerInvite); on Yes the
// customer's program mints a single-use invitation (transport.NewInviteGate), listens for the colleague on a
// socket of its own and answers with the join link (InviteAnswer, the owner's InviteAnswered). The colleague's
// Expert joins with it (JoinColleague): it dials the customer's program, confirms the token, says Hello as a
// technician and is welcomed with a participant ID of its own (3, 4, 5) and a resume secret; from there the
// connection carries the same streams as the owner's, served by a customer half of its own on the customer's
// side. Chat is relayed by the customer's room; pictures are captured once for every viewer.

// MaxTechnicians is how many technicians a session takes, its owner included.
const MaxTechnicians = 4

// Events of invitations.
type (
	// InviteRequested asks the customer whether the technician From may invite a colleague; answer with
	// Guest.AnswerInvite. ConsentExpired with the same ID withdraws it.
	InviteRequested struct {
		ID   uint64
		From string
	}
	// InviteAnswered tells the technician who asked: Granted with the Link to give the colleague (valid
	// until Expires, once), or Err saying why not (Refused, Busy, Timeout).
	InviteAnswered struct {
		Granted bool
		Link    Link
		Expires time.Time
		Err     error
	}
	// ColleagueJoined says, on the customer's side, that a technician joined the session with an invitation.
	ColleagueJoined struct {
		ID       protocol.ParticipantID
		Peer     Peer
		Returned bool // back after their connection dropped
	}
	// ColleagueLeft says, on the customer's side, that a colleague is no longer in the session: Err is nil
	// when they ended it, else why their connection ended (code Removed when the customer removed them).
	ColleagueLeft struct {
		ID   protocol.ParticipantID
		Name string
		Err  error
	}
	// ParticipantsChanged says, on a technician's side, who is in the session now and who leads it (the
	// customer's program announces it when someone joins or leaves, or the lead is handed over).
	ParticipantsChanged struct {
		List  []protocol.Participant
		Owner protocol.ParticipantID
	}
	// HandedOver says, on the customer's side, that the technician who led the session (From) left it to a
	// colleague who stays (To, participant ID ToID), who now leads it.
	HandedOver struct {
		From, To     string
		FromID, ToID protocol.ParticipantID
	}
)

func (InviteRequested) isEvent()     {}
func (InviteAnswered) isEvent()      {}
func (ColleagueJoined) isEvent()     {}
func (ColleagueLeft) isEvent()       {}
func (ParticipantsChanged) isEvent() {}
func (HandedOver) isEvent()          {}

// Me returns this technician's participant ID: TechnicianID for the one who started the session, 3 and up for
// colleagues who joined with an invitation.
func (h *Host) Me() protocol.ParticipantID { return h.me }

// Participants returns who is in the session, as the customer's program last said.
func (h *Host) Participants() []protocol.Participant { return h.people.get() }

// Owner returns the technician who leads the session: the one who started it until they hand it over.
func (h *Host) Owner() protocol.ParticipantID { return h.people.leader() }

// Leave leaves the session: a technician who leads it hands it over to a colleague who stays (who then leads
// it), another technician just goes; the session goes on with the others. With no other technician the
// session ends, as with End. The customer's program decides, from who is connected there: a colleague who has
// just joined, whom this side has not heard of yet, still takes the lead. Ended{Left: true} follows when this
// side knew of another technician.
func (h *Host) Leave() {
	t, err := h.tech()
	if err != nil {
		h.End()
		return
	}
	others := false
	for _, p := range h.people.get() {
		others = others || p.Role == protocol.RoleTechnician && p.ID != h.me
	}
	h.left.Store(others)
	if h.people.leader() == h.me {
		t.l.leaving.Store(int64(protocol.HandedOver)) // the hub hands over, or ends the session if nobody is there
	}
	h.End()
}

// Invite asks the customer's program to let a colleague join; InviteAnswered follows.
func (h *Host) Invite() error {
	t, err := h.tech()
	if err != nil {
		return err
	}
	h.lifeMu.Lock()
	h.nextInvite++
	id := h.nextInvite
	h.lifeMu.Unlock()
	return t.l.send(&protocol.InviteRequest{ID: id})
}

// control handles the control messages of a technician's link beyond the session's end.
func (h *Host) control(m protocol.Message) {
	switch m := m.(type) {
	case *protocol.InviteAnswer:
		a := InviteAnswered{Granted: m.Granted}
		if m.Granted {
			lk, err := ParseLink(m.Link)
			if err != nil || !lk.IsInvite() {
				a = InviteAnswered{Err: &protocol.Error{Code: protocol.ProtocolViolation, Detail: "an invitation that is no join link"}}
				break
			}
			a.Link, a.Expires = lk, time.Unix(m.Expires, 0)
		} else {
			a.Err = &protocol.Error{Code: m.Code}
		}
		h.ev.send(a)
	case *protocol.Participants:
		h.people.set(m.List)
		h.people.setLeader(m.Owner)
		h.ev.send(ParticipantsChanged{List: h.people.get(), Owner: h.people.leader()})
	}
}

// people is a side's list of the session's participants, from its Welcome and the hub's announcements, and who
// leads the session.
type people struct {
	mu    sync.Mutex
	list  []protocol.Participant
	owner protocol.ParticipantID // zero: the one who started it
}

func (p *people) setLeader(id protocol.ParticipantID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.owner = id
}

// leader returns who leads the session.
func (p *people) leader() protocol.ParticipantID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owner == 0 {
		return TechnicianID
	}
	return p.owner
}

func (p *people) set(list []protocol.Participant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append([]protocol.Participant(nil), list...)
}

func (p *people) get() []protocol.Participant {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]protocol.Participant(nil), p.list...)
}

func (p *people) name(id protocol.ParticipantID) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range p.list {
		if x.ID == id {
			return x.Name
		}
	}
	return ""
}

// team is the customer's side of several technicians: the questions about invitations, and the colleagues.
type team struct {
	g *Guest

	mu      sync.Mutex
	asks    map[uint64]*inviteAsk // questions put to the customer, by the ID ConsentRequested-like events carry
	nextAsk uint64
	members map[protocol.ParticipantID]*member
	nextID  protocol.ParticipantID
	owner   protocol.ParticipantID // who leads the session: TechnicianID until handed over
	handed  bool                   // the technician who started the session left it to a colleague
	changed chan struct{}          // a colleague left (for wait)
	why     error                  // why the colleague who leads ended the session for everyone
	annMu   sync.Mutex             // serialises announcements
	prefs   protocol.Preferences   // the preferences of the colleague who leads, once handed over
	dirty   chan struct{}          // what a technician may do changed: announce (announcer)
	ended   chan struct{}          // closed when the customer's session is over: every colleague's ends with it
	endOnce sync.Once
}

// inviteAsk is a technician's request waiting for the customer's answer.
type inviteAsk struct {
	l     *link // the asker's connection
	id    uint64
	timer *time.Timer
}

func newTeam(g *Guest) *team {
	return &team{g: g, asks: map[uint64]*inviteAsk{}, members: map[protocol.ParticipantID]*member{}, nextID: 3,
		owner: TechnicianID, changed: make(chan struct{}, 1), dirty: make(chan struct{}, 1), ended: make(chan struct{})}
}

// end ends every colleague's part of the session: the customer's session is over.
func (tm *team) end() {
	tm.mu.Lock()
	tm.endOnce.Do(func() { close(tm.ended) })
	asks := tm.asks
	tm.asks = map[uint64]*inviteAsk{}
	tm.mu.Unlock()
	for _, a := range asks {
		a.timer.Stop()
	}
}

// technicians counts the technicians in the session (invitations waiting for their colleague included).
// Call with tm.mu held.
func (tm *team) technicians() int {
	if tm.handed {
		return len(tm.members)
	}
	return len(tm.members) + 1
}

// leads reports whether colleague id leads the session (the one who started it handed it to them).
func (tm *team) leads(id protocol.ParticipantID) bool {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.owner == id
}

// handOver gives the lead to the colleague who joined first of those connected, if any, after the technician
// who led (from, named fromName) left it to them; the customer and every technician are told.
func (tm *team) handOver(from protocol.ParticipantID, fromName string) bool {
	tm.mu.Lock()
	var next *member
	var name string
	for _, m := range tm.members {
		m.mu.Lock()
		if m.l != nil && (next == nil || m.id < next.id) {
			next, name = m, m.l.peer.Name
		}
		m.mu.Unlock()
	}
	if next == nil {
		tm.mu.Unlock()
		return false
	}
	tm.owner, tm.handed, tm.prefs = next.id, true, next.prefs
	tm.mu.Unlock()
	tm.g.ev.send(HandedOver{From: fromName, FromID: from, To: name, ToID: next.id})
	tm.announce(tm.participants(0, ""))
	return true
}

// finish ends the session for everyone: the technician who leads it ended it.
func (tm *team) finish() {
	tm.mu.Lock()
	tm.why = &protocol.Error{Code: protocol.SessionEnded, Detail: "the technician who leads the session ended it"}
	tm.mu.Unlock()
	tm.g.stop()
}

// wait waits, once the session is in the colleagues' hands, until it ends here (nil) or the last of them has
// left (SessionEnded).
func (tm *team) wait(ended <-chan struct{}) error {
	for {
		tm.mu.Lock()
		n := len(tm.members)
		tm.mu.Unlock()
		if n == 0 {
			return &protocol.Error{Code: protocol.SessionEnded, Detail: "the last technician left"}
		}
		select {
		case <-ended:
			tm.mu.Lock()
			defer tm.mu.Unlock()
			return tm.why // nil: the customer ended it
		case <-tm.changed:
		}
	}
}

// remove takes a colleague who left out of the session, and tells the others.
func (tm *team) remove(m *member, name string, err error) {
	tm.mu.Lock()
	delete(tm.members, m.id)
	tm.mu.Unlock()
	select {
	case tm.changed <- struct{}{}:
	default:
	}
	if name == "" {
		return // an invitation nobody used
	}
	tm.announce(tm.participants(0, ""))
	tm.g.ev.send(ColleagueLeft{ID: m.id, Name: name, Err: err})
}

// control handles the control messages of a technician's connection l on the customer's side.
func (tm *team) control(l *link, m protocol.Message) {
	req, ok := m.(*protocol.InviteRequest)
	if !ok {
		return
	}
	tm.mu.Lock()
	if tm.technicians() >= MaxTechnicians {
		tm.mu.Unlock()
		_ = l.send(&protocol.InviteAnswer{ID: req.ID, Code: protocol.Busy})
		return
	}
	tm.nextAsk++
	q := tm.nextAsk
	a := &inviteAsk{l: l, id: req.ID}
	a.timer = time.AfterFunc(tm.g.consentTimeout(), func() { tm.expire(q) })
	tm.asks[q] = a
	tm.mu.Unlock()
	tm.g.ev.send(InviteRequested{ID: q, From: l.peer.Name})
}

func (tm *team) expire(q uint64) {
	tm.mu.Lock()
	a, ok := tm.asks[q]
	delete(tm.asks, q)
	tm.mu.Unlock()
	if !ok {
		return
	}
	tm.g.ev.send(ConsentExpired{ID: q})
	_ = a.l.send(&protocol.InviteAnswer{ID: a.id, Code: protocol.Timeout})
}

// answer takes the customer's answer to invitation question q: on yes, an invitation is made and its link
// sent to the technician who asked.
func (tm *team) answer(q uint64, yes bool) error {
	tm.mu.Lock()
	a, ok := tm.asks[q]
	delete(tm.asks, q)
	full := tm.technicians() >= MaxTechnicians
	tm.mu.Unlock()
	if !ok {
		return errWithdrawn
	}
	a.timer.Stop()
	switch {
	case !yes:
		return a.l.send(&protocol.InviteAnswer{ID: a.id, Code: protocol.Refused})
	case full:
		return a.l.send(&protocol.InviteAnswer{ID: a.id, Code: protocol.Busy})
	}
	m, err := tm.invite()
	if err != nil {
		_ = a.l.send(&protocol.InviteAnswer{ID: a.id, Code: protocol.Internal})
		return err
	}
	return a.l.send(&protocol.InviteAnswer{ID: a.id, Granted: true, Link: m.link.String(),
		Expires: m.gate.key.ExpiresAt().Unix()})
}

// member is one colleague's place in the session: the invitation's listener, then the colleague's connection.
type member struct {
	tm   *team
	id   protocol.ParticipantID
	gate *hostGate
	ln   *transport.Listener
	meet *meeting // the invitation's nameplate at the rendezvous the session met through; nil for a direct one
	link Link     // the invitation

	secret []byte               // the colleague's resume secret, once joined (the run goroutine's)
	prefs  protocol.Preferences // what the colleague asks of the customer's program, should they lead

	mu      sync.Mutex
	l       *link
	live    *customer
	removed bool // the customer removed this colleague
}

// invite makes an invitation: a participant ID, a token, and a listener for the colleague.
func (tm *team) invite() (*member, error) {
	g := tm.g
	key, err := transport.NewInviteGate(g.cfg.InviteLifetime)
	if err != nil {
		return nil, err
	}
	id, err := transport.NewIdentity()
	if err != nil {
		return nil, err
	}
	gate := &hostGate{key: key}
	var meet *meeting
	listen := g.cfg.InviteListen
	switch url := g.way.rendezvous(); {
	case url != "": // the colleague meets this program where the technician did, from anywhere
		if meet, err = openMeeting(url, g.cfg.Path); err != nil {
			return nil, err
		}
		listen = "" // only the paths that the meeting finds
	case listen == "":
		listen = ":0"
	}
	ln, err := transport.Listen(listen, transport.ListenConfig{Identity: id, Gate: gate,
		IdleTimeout: g.cfg.IdleTimeout})
	if err != nil {
		if meet != nil {
			meet.close()
		}
		return nil, err
	}
	lk := Link{Invite: key.Key()}
	if meet != nil {
		meet.start(ln)
		lk.Rendezvous, lk.Nameplate = meet.url, meet.nameplate.Name
	} else {
		adv := g.cfg.InviteAdvertise
		if adv == "" {
			adv = advertisedAddr()
		}
		lk.Addr = net.JoinHostPort(adv, strconv.Itoa(ln.Addr().(*net.UDPAddr).Port))
	}
	tm.mu.Lock()
	select {
	case <-tm.ended: // the session ended as the customer said yes
		tm.mu.Unlock()
		if meet != nil {
			meet.close()
		}
		_ = ln.Close()
		return nil, ErrEnded
	default:
	}
	m := &member{tm: tm, id: tm.nextID, gate: gate, ln: ln, meet: meet, link: lk}
	tm.nextID++
	tm.members[m.id] = m
	// Under tm.mu, before end closes tm.ended: Guest.run, which calls end, still holds the wait group then, so
	// this Add never races the final Wait.
	g.wg.Add(1)
	tm.mu.Unlock()
	go m.run()
	return m, nil
}

// run waits for the colleague, then serves their connection until they leave or the session ends.
func (m *member) run() {
	g := m.tm.g
	defer g.wg.Done()
	defer func() { _ = m.ln.Close() }()
	if m.meet != nil {
		defer m.meet.close() // before the listener: it hands the listener paths
	}
	ctx, cancel := context.WithDeadline(context.Background(), m.gate.key.ExpiresAt())
	var c *transport.Conn
	accepted := make(chan *transport.Conn, 1)
	var accepting sync.WaitGroup
	defer accepting.Wait()
	defer cancel()
	accepting.Go(func() {
		conn, err := m.ln.Accept(ctx)
		if err == nil {
			accepted <- conn
		}
		close(accepted)
	})
	select {
	case <-m.tm.ended:
		m.tm.remove(m, "", nil)
		return
	case c = <-accepted:
		if c == nil {
			m.tm.remove(m, "", nil) // the invitation expired unused
			return
		}
	}
	l, err := m.admit(c, false)
	if err != nil {
		m.tm.remove(m, "", nil)
		return
	}
	var removed bool
	var prev *customer // the half of the connection that dropped: the customer's choices carry over
	for first := true; ; first = false {
		h := newCustomer(g, l, CustomerID, m.id, g.cfg, prev)
		prev = h
		m.mu.Lock()
		m.l, m.live = l, h
		m.mu.Unlock()
		liveCtx, stopLive := context.WithCancel(context.Background())
		h.start(liveCtx)
		g.ev.send(ColleagueJoined{ID: m.id, Peer: l.peer, Returned: !first})
		l.handle = func(msg protocol.Message) { m.tm.control(l, msg) }
		err = l.serve(m.tm.ended)
		stopLive()
		h.stop()
		g.chat.DetachPeer(m.id)
		m.mu.Lock()
		m.l, m.live = nil, nil
		removed = m.removed
		m.mu.Unlock()
		if removed || !lost(err) {
			break
		}
		nl := m.awaitReturn() // the connection dropped: the colleague may come back
		if nl == nil {
			break
		}
		l = nl
	}
	code := protocol.CodeOf(err)
	switch {
	case removed:
		err = &protocol.Error{Code: protocol.Removed}
	case code == protocol.SessionEnded || code == protocol.HandedOver:
		err = nil // the colleague left
	}
	leader := m.tm.leads(m.id)
	m.tm.remove(m, l.peer.Name, err)
	switch {
	case !leader:
	case removed || code == protocol.HandedOver || lost(err): // the colleague who led is gone: the next leads
		if !m.tm.handOver(m.id, l.peer.Name) {
			m.tm.finish()
		}
	case code == protocol.SessionEnded: // the colleague who leads ended it for everyone
		m.tm.finish()
	}
}

// admit greets the colleague on c and welcomes them.
func (m *member) admit(c *transport.Conn, returning bool) (*link, error) {
	g := m.tm.g
	ctx, cancel := context.WithTimeout(context.Background(), HelloTimeout)
	defer cancel()
	hdr, st, err := c.AcceptStream(ctx)
	if err != nil {
		_ = c.Close(protocol.Timeout, "no hello")
		return nil, err
	}
	l := &link{conn: c, ctl: st, enc: protocol.NewEncoder(st, protocol.Control), dec: protocol.NewDecoder(st, protocol.Control)}
	if hdr.Kind != protocol.Control {
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "first stream is not control"})
	}
	local := hello(g.cfg.Name, protocol.RoleCustomer)
	if err := l.readHello(local); err != nil {
		return nil, l.fail(err)
	}
	l.peer.Route = routeOf(c, g.way.rendezvous())
	switch {
	case l.peer.Role != protocol.RoleTechnician:
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "not a technician"})
	case returning && l.resume != g.welcome.SessionID, !returning && !l.resume.IsZero():
		return nil, l.fail(&protocol.Error{Code: protocol.ProtocolViolation, Detail: "not this colleague's place in the session"})
	}
	secret := m.secret
	if !returning {
		var err error
		if secret, err = newResumeSecret(); err != nil {
			return nil, l.fail(err)
		}
	}
	list := m.tm.participants(m.id, l.peer.Name)
	w := &protocol.Welcome{Version: uint(c.Version()), SessionID: g.welcome.SessionID, You: m.id,
		Participants: list, ResumeSecret: secret}
	if err := l.send(local); err != nil {
		return nil, l.fail(err)
	}
	if err := l.send(w); err != nil {
		return nil, l.fail(err)
	}
	if !returning {
		m.gate.key.Spend()
		if m.meet != nil {
			m.meet.release() // the invitation is spent: its nameplate goes back
		}
		m.secret = secret
		m.tm.mu.Lock()
		m.prefs = l.prefs
		m.tm.mu.Unlock()
		m.gate.allowReturn(secret, c.PeerID())
	}
	m.tm.announce(list)
	return l, nil
}

// awaitReturn waits, after the colleague's connection dropped, for them to come back within the reconnect
// window (or until the session ends); it returns their new connection, nil if they did not come back.
func (m *member) awaitReturn() *link {
	g := m.tm.g
	window := g.cfg.ReconnectWindow
	if window <= 0 {
		window = DefaultReconnectWindow
	}
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	var watching sync.WaitGroup
	defer watching.Wait()
	defer cancel()
	watching.Go(func() {
		select {
		case <-m.tm.ended:
			cancel()
		case <-ctx.Done():
		}
	})
	for {
		c, err := m.ln.Accept(ctx)
		if err != nil {
			return nil
		}
		if l, err := m.admit(c, true); err == nil {
			return l
		}
	}
}

// participants lists everyone in the session, with the colleague id about to join as name (id 0: none).
func (tm *team) participants(id protocol.ParticipantID, name string) []protocol.Participant {
	g := tm.g
	halves := map[protocol.ParticipantID]*customer{}
	tm.mu.Lock()
	var list []protocol.Participant
	for _, p := range g.welcome.Participants {
		if !tm.handed || p.ID != TechnicianID {
			list = append(list, p)
		}
	}
	if !tm.handed {
		halves[TechnicianID] = g.cur()
	}
	for _, m := range tm.members {
		m.mu.Lock()
		if m.l != nil {
			list = append(list, protocol.Participant{ID: m.id, Name: m.l.peer.Name, Role: protocol.RoleTechnician})
			halves[m.id] = m.live
		}
		m.mu.Unlock()
	}
	tm.mu.Unlock()
	for i, p := range list { // what each technician may do now, read without the team's lock
		if c := halves[p.ID]; c != nil {
			list[i].Viewing, list[i].Controlling = c.state()
		}
	}
	if id != 0 {
		list = append(list, protocol.Participant{ID: id, Name: name, Role: protocol.RoleTechnician})
	}
	slices.SortFunc(list, func(a, b protocol.Participant) int { return cmp.Compare(a.ID, b.ID) })
	return list
}

// stateChanged has the technicians told, soon, that what one of them may do changed (announcer).
func (tm *team) stateChanged() {
	select {
	case tm.dirty <- struct{}{}:
	default: // an announcement is due already
	}
}

// announcer announces who is in the session, with what each may do, whenever that changed, until the session
// ends.
func (tm *team) announcer() {
	defer tm.g.wg.Done()
	for {
		select {
		case <-tm.ended:
			return
		case <-tm.dirty:
			tm.announce(tm.participants(0, ""))
		}
	}
}

// announce tells every technician who is in the session.
func (tm *team) announce(list []protocol.Participant) {
	g := tm.g
	tm.annMu.Lock() // one announcement at a time, so that none overtakes a newer one
	defer tm.annMu.Unlock()
	g.people.set(list)
	tm.mu.Lock()
	msg := &protocol.Participants{List: list, Owner: tm.owner}
	var to []*link
	if !tm.handed {
		g.mu.Lock()
		to = append(to, g.l)
		g.mu.Unlock()
	}
	for _, m := range tm.members {
		m.mu.Lock()
		if m.l != nil {
			to = append(to, m.l)
		}
		m.mu.Unlock()
	}
	tm.mu.Unlock()
	for _, l := range to { // without the team's lock: a technician slow to read holds up nobody's questions
		_ = l.send(msg)
	}
}

// half returns the customer's half serving colleague id, nil when they are not connected.
func (tm *team) half(id protocol.ParticipantID) *customer {
	tm.mu.Lock()
	m := tm.members[id]
	tm.mu.Unlock()
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live
}

// halves returns the customer's halves of the colleagues connected.
func (tm *team) halves() []*customer {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var out []*customer
	for _, m := range tm.members {
		m.mu.Lock()
		if m.live != nil {
			out = append(out, m.live)
		}
		m.mu.Unlock()
	}
	return out
}

// RemoveTechnician cuts colleague id off the session (they are told: code Removed); the others stay.
// ColleagueLeft follows. The technician who started the session cannot be removed this way: End ends it.
func (g *Guest) RemoveTechnician(id protocol.ParticipantID) error {
	g.team.mu.Lock()
	m := g.team.members[id]
	g.team.mu.Unlock()
	if m == nil {
		return errNoTechnician
	}
	m.mu.Lock()
	l := m.l
	m.removed = l != nil
	m.mu.Unlock()
	if l == nil {
		return errNoTechnician
	}
	l.endWith(protocol.Removed)
	return nil
}

// errNoTechnician is returned for a technician who is not (or no longer) in the session.
var errNoTechnician = &protocol.Error{Code: protocol.NotPermitted, Detail: "no such technician in the session"}

// Technicians returns the technicians in the session, the one who started it first.
func (g *Guest) Technicians() []protocol.Participant {
	var out []protocol.Participant
	for _, p := range g.team.participants(0, "") {
		if p.Role == protocol.RoleTechnician {
			out = append(out, p)
		}
	}
	return out
}

// AnswerInvite answers the question of an InviteRequested event.
func (g *Guest) AnswerInvite(id uint64, yes bool) error {
	select {
	case <-g.ended:
		return ErrEnded
	default:
	}
	return g.team.answer(id, yes)
}

func (g *Guest) consentTimeout() time.Duration {
	if g.cfg.ConsentTimeout > 0 {
		return g.cfg.ConsentTimeout
	}
	return DefaultConsentTimeout
}

// JoinColleague joins a running session with a colleague's invitation (a Link with Invite set): it dials the
// customer's program, confirms the token, and is welcomed as a technician of the session.
func JoinColleague(ctx context.Context, lk Link, cfg HostConfig) (*Host, error) {
	if !lk.IsInvite() {
		return nil, fmt.Errorf("session: not an invitation: %w", ErrBadLink)
	}
	id, err := transport.NewIdentity()
	if err != nil {
		return nil, err
	}
	var wy way = directWay{addr: lk.Addr}
	if lk.Rendezvous != "" {
		if wy, err = claim(ctx, lk.Rendezvous, lk.Nameplate, cfg.Path); err != nil {
			return nil, err
		}
	}
	joined := false
	defer func() {
		if !joined {
			wy.close()
		}
	}()
	local := hello(cfg.Name, protocol.RoleTechnician)
	local.Preferences = &cfg.Preferences
	l, w, err := connectAs(ctx, wy, id, []byte(lk.Invite), local, cfg.IdleTimeout, protocol.SessionID{})
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, me: w.You, sid: w.SessionID, session: w.SessionID, lifetime: newLifetime()}
	h.people.set(w.Participants)
	h.ev = newEvents(h.ended)
	h.files = newFilesMemory()
	if h.chat, err = newRoom(w.You, h.participantName, h.ev, false); err != nil {
		return nil, l.fail(err)
	}
	h.wg.Add(1)
	joined = true
	go h.runColleague(l, &colleagueWay{way: wy, id: id, secret: w.ResumeSecret})
	return h, nil
}

// colleagueWay is how a colleague's program reaches the customer's, and gets back after a drop.
type colleagueWay struct {
	way
	id     *transport.Identity
	secret []byte // the Welcome's resume secret
}

// redialColleague tries to get back into the session until the reconnect window closes or life ends.
func (h *Host) redialColleague(life context.Context, cw *colleagueWay) (*link, error) {
	return redialWithin(life, h.cfg.ReconnectWindow, func(ctx context.Context) (*link, error) {
		l, _, err := connectAs(ctx, cw.way, cw.id, cw.secret, hello(h.cfg.Name, protocol.RoleTechnician),
			h.cfg.IdleTimeout, h.sid)
		return l, err
	})
}

// runColleague runs a colleague's session on l, reached by cw, until it ends; a dropped connection is dialled
// again within the reconnect window.
func (h *Host) runColleague(l *link, cw *colleagueWay) {
	defer h.wg.Done()
	defer cw.close()
	defer h.ev.close()
	defer h.chat.Close()
	life, endLife := context.WithCancel(context.Background()) // cancelled when the session ends here
	var watching sync.WaitGroup
	watching.Go(func() {
		select {
		case <-h.ended:
			endLife()
		case <-life.Done():
		}
	})
	defer watching.Wait()
	defer endLife()
	for first := true; ; first = false {
		ctx, cancel := context.WithCancel(context.Background())
		t := h.startTechnician(ctx, l, first)
		err := l.serve(h.ended)
		cancel()
		t.stop()
		if !lost(err) || len(cw.secret) == 0 {
			h.ev.send(Ended{Err: err, Left: err == nil && h.left.Load()})
			return
		}
		h.ev.send(Reconnecting{})
		nl, rerr := h.redialColleague(life, cw)
		if nl == nil {
			if life.Err() != nil {
				rerr = nil // ended here meanwhile
			}
			h.ev.send(Ended{Err: rerr})
			return
		}
		l = nl
	}
}
