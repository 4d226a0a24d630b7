package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/shared/unattended/unattendedtest"
)

// customerComputer is the customer's side of unattended access on loopback: a real agent, and a helper that
// joins the sessions it hands over as the customer's program does (viewing and control granted).
type customerComputer struct {
	*unattendedtest.Agent

	mu     sync.Mutex
	guests []*session.Guest
	wg     sync.WaitGroup
	path   session.PathOptions // how the helper's sessions look for a path through a rendezvous
}

func startCustomerComputer(t *testing.T) *customerComputer {
	t.Helper()
	return &customerComputer{Agent: unattendedtest.Start(t)}
}

// acceptSetUp does what the customer's program does when the technician asks for unattended access and the
// customer says yes with password: set the agent up for the technician's Expert, and say how to reach it (as
// "zoe-laptop").
func (cc *customerComputer) acceptSetUp(t *testing.T, g *session.Guest, password string) (proposed string) {
	t.Helper()
	var ask session.ConsentRequested
	for e := range g.Events() {
		if q, ok := e.(session.ConsentRequested); ok && q.What == protocol.PermUnattended {
			ask = q
			break
		}
	}
	if err := g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := cc.Admin.SetUp(g.Technician().Cert, g.Technician().Name, password, g.Rendezvous()); err != nil {
		t.Fatal(err)
	}
	id := cc.Computer().ID()
	var port uint16
	if a, ok := cc.Addr().(*net.UDPAddr); ok {
		port = uint16(a.Port)
	}
	if err := g.UnattendedReady(ask.ID, session.UnattendedInfo{Computer: id, Secret: unattended.Secret(password, id),
		Port: port, Name: "zoe-laptop"}, nil); err != nil {
		t.Fatal(err)
	}
	return ask.Password
}

// serveHelper runs a helper until the test ends.
func (cc *customerComputer) serveHelper(t *testing.T) {
	t.Helper()
	hp, err := unattended.DialHelper(t.Context(), cc.Socket)
	if err != nil {
		t.Fatal(err)
	}
	cc.wg.Go(func() {
		for {
			o, err := hp.Next()
			if err != nil {
				return
			}
			if o.Kind == unattended.OrderEnd {
				cc.mu.Lock()
				for _, g := range cc.guests {
					go g.EndBecause(o.Code)
				}
				cc.mu.Unlock()
				continue
			}
			lk, err := session.ParseLink(o.Link)
			var g *session.Guest
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				g, err = session.Join(ctx, lk, session.GuestConfig{Name: "Zoé's computer", Unattended: true,
					Screen: capture.NewPattern(), Input: input.NewRecorder(), Path: cc.path})
				cancel()
			}
			if err == nil {
				cc.mu.Lock()
				cc.guests = append(cc.guests, g)
				cc.mu.Unlock()
			}
			_ = hp.Opened(o.ID, err)
		}
	})
	t.Cleanup(func() {
		_ = hp.Close()
		cc.mu.Lock()
		gs := cc.guests
		cc.mu.Unlock()
		for _, g := range gs {
			g.End()
		}
		cc.wg.Wait()
	})
}

// poll runs the window's callbacks until cond holds, for what changes outside the UI (a check of the network).
func (s *shown) poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		s.loop.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The whole of unattended access as the technician sees it: set up from an attended session's viewer, then
// Connect from Computers while nobody is at the computer, blocked, and after a password change.
func TestUnattendedSetUpThenConnectFromComputers(t *testing.T) {
	h := testHome(t, "en")
	cc := startCustomerComputer(t)
	comps := h.comps
	if len(comps.items) != 0 || !comps.empty.Visible() {
		t.Fatal("a computer before any was set up")
	}

	// An attended session; Unattended access… asks the customer.
	test.Tap(h.newSession)
	g, err := session.Join(t.Context(), h.cur().host.Link(), session.GuestConfig{Name: "Zoé", CanSetUpUnattended: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	for {
		if _, ok := h.waitEvent(t).(session.Joined); ok {
			break
		}
	}
	v := h.cur().view
	if !v.unattendedBtn.Visible() || v.unattendedBtn.Disabled() {
		t.Fatal("Unattended access… is not offered in an attended session")
	}
	test.Tap(v.unattendedBtn)
	form := v.win.Canvas().Overlays().Top()
	proposal := uitest.FindEntry(form)
	ask := uitest.FindButton(form, lang.L("viewer.unattended_ask"))
	test.Type(proposal, "short")
	if !ask.Disabled() {
		t.Fatal("Ask is enabled with a weak proposed password")
	}
	proposal.SetText("proposed by alice")
	test.Tap(ask)
	if got := cc.acceptSetUp(t, g, "zoé's chosen password"); got != "proposed by alice" {
		t.Fatalf("the customer was proposed %q", got)
	}
	h.loop.Until(t, 20*time.Second, "the computer saved", func() bool { return len(comps.items) == 1 })
	want := lang.L("viewer.unattended_done", map[string]any{"Computer": "zoe-laptop"})
	if !strings.Contains(v.status.Text, want) {
		t.Fatalf("viewer says %q, want it to say %q", v.status.Text, want)
	}
	it := comps.items[0]
	if it.ID != cc.Computer().ID().String() || it.Owner != "Zoé" || it.Name != "zoe-laptop" || !strings.HasPrefix(it.Addr, "127.0.0.1:") {
		t.Fatalf("saved %+v", it)
	}
	h.poll(t, "the computer to show online", func() bool { return comps.reach[it.ID] == reachOnline })
	g.End()

	// Connect with nobody logged in: said in words.
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.connect")))
	s := h.cur()
	if s.computer != it.ID || s.title.Text != "zoe-laptop" || s.key.Visible() {
		t.Fatalf("the card of an unattended session: computer %q, title %q, key shown %v", s.computer, s.title.Text, s.key.Visible())
	}
	h.poll(t, "the refusal", func() bool { return s.ended })
	if !strings.Contains(s.status.Text, lang.L(protocol.NobodyLoggedIn.MessageKey())) {
		t.Fatalf("card says %q", s.status.Text)
	}

	// With someone logged in, the computer joins; the viewer opens on its screen; the history says unattended.
	cc.serveHelper(t)
	h.poll(t, "the helper", func() bool { st, err := cc.Admin.Status(); return err == nil && st.Helper })
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.connect")))
	s = h.cur()
	for {
		if j, ok := h.waitEvent(t).(session.Joined); ok {
			if !j.Peer.Can(protocol.CapUnattended) {
				t.Fatal("the computer did not join as unattended")
			}
			break
		}
	}
	if s.view == nil || s.view.unattendedBtn.Visible() {
		t.Fatal("no viewer, or one that offers to set up unattended access again")
	}
	if !strings.Contains(s.view.status.Text, lang.L("viewer.unattended_mode")) {
		t.Fatalf("the viewer does not say the session is unattended: %q", s.view.status.Text)
	}
	var sums []store.Summary
	h.poll(t, "the unattended session in the history", func() bool {
		var err error
		sums, err = h.opts.store.ListSessions(context.Background(), store.Query{})
		return err == nil && len(sums) == 2 && sums[0].Kind == store.Unattended && sums[0].ComputerID == it.ID
	})
	if !strings.HasSuffix(historyTitle(sums[0]), lang.L("history.unattended")) || strings.HasSuffix(historyTitle(sums[1]), lang.L("history.unattended")) {
		t.Fatalf("the History list says %q and %q", historyTitle(sums[0]), historyTitle(sums[1]))
	}

	// The user blocks access: the session ends with that reason, and Connect is refused with it.
	if err := cc.Admin.SetBlocked(true); err != nil {
		t.Fatal(err)
	}
	for {
		if e, ok := h.waitEvent(t).(session.Ended); ok {
			if protocol.CodeOf(e.Err) != protocol.Blocked {
				t.Fatalf("ended with %v", e.Err)
			}
			break
		}
	}
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.connect")))
	s = h.cur()
	h.poll(t, "the refusal", func() bool { return s.ended })
	if !strings.Contains(s.status.Text, lang.L("error.blocked")) ||
		uitest.FindLabel(comps.list, lang.L("computers.state.blocked")) == nil {
		t.Fatalf("card says %q; the list does not say blocked", s.status.Text)
	}

	// Unblocked, the password changed: Connect asks for the new one and gets in with it.
	if err := cc.Admin.SetBlocked(false); err != nil {
		t.Fatal(err)
	}
	if err := cc.Admin.ChangePassword("a brand new password"); err != nil {
		t.Fatal(err)
	}
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.connect")))
	s = h.cur()
	h.poll(t, "the refusal", func() bool { return s.ended })
	if !strings.Contains(s.status.Text, lang.L("error.password_changed")) {
		t.Fatalf("card says %q", s.status.Text)
	}
	top := h.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no password dialog")
	}
	test.Type(uitest.FindEntry(top), "a brand new password")
	uitest.Answer(t, h.win, lang.L("computers.connect"))
	for {
		if _, ok := h.waitEvent(t).(session.Joined); ok {
			break
		}
	}
	h.cur().endNow()
}

// Rename and Remove change the saved list, after a question for Remove; a computer that is off says so.
func TestComputersRenameAndRemove(t *testing.T) {
	h := testHome(t, "fr")
	secret := make([]byte, 32)
	if err := h.opts.store.SaveComputer(context.Background(), store.Computer{ID: testIdentity(t).ID().String(),
		Name: "pc-compta", Owner: "Bob", Addr: "127.0.0.1:9", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	comps := h.comps
	comps.reload()
	h.poll(t, "the check of a computer that is off", func() bool {
		return uitest.FindLabel(comps.list, lang.L("computers.state.offline")) != nil
	})
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.rename")))
	top := h.win.Canvas().Overlays().Top()
	e := uitest.FindEntry(top)
	e.SetText("Comptabilité")
	uitest.Answer(t, h.win, lang.L("computers.rename"))
	h.loop.Drain()
	if len(comps.items) != 1 || comps.items[0].Name != "Comptabilité" ||
		uitest.FindLabel(comps.list, "Comptabilité") == nil {
		t.Fatalf("after Rename: %+v", comps.items)
	}
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.remove")))
	uitest.Answer(t, h.win, lang.L("Yes"))
	h.loop.Drain()
	cs, err := h.opts.store.Computers(context.Background())
	if err != nil || len(cs) != 0 || !comps.empty.Visible() {
		t.Fatalf("after Remove: %+v, %v; empty shown %v", cs, err, comps.empty.Visible())
	}
}

// Unattended access through a rendezvous, as a technician and a customer on two networks have it: set up in a
// session met through the rendezvous, the computer is saved with it, shows online while its agent is present
// there, and Connect reaches it by its ID alone (its agent has no port open to the network).
func TestUnattendedThroughARendezvous(t *testing.T) {
	url := rendezvoustest.Start(t).ClientURL()
	path := session.PathOptions{Loopback: true}
	h := testHome(t, "en")
	h.prefs.Rendezvous, h.opts.path = url, path
	cc := &customerComputer{Agent: unattendedtest.StartWith(t, func(cfg *unattended.AgentConfig) { cfg.Path = path }),
		path: path}
	comps := h.comps

	test.Tap(h.newSession)
	g, err := session.Join(t.Context(), h.cur().host.Link(), session.GuestConfig{Name: "Zoé", CanSetUpUnattended: true,
		Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	for {
		if _, ok := h.waitEvent(t).(session.Joined); ok {
			break
		}
	}
	v := h.cur().view
	test.Tap(v.unattendedBtn)
	test.Tap(uitest.FindButton(v.win.Canvas().Overlays().Top(), lang.L("viewer.unattended_ask")))
	cc.acceptSetUp(t, g, "zoé's chosen password")
	h.loop.Until(t, 20*time.Second, "the computer saved", func() bool { return len(comps.items) == 1 })
	it := comps.items[0]
	if it.Rendezvous != url || it.ID != cc.Computer().ID().String() {
		t.Fatalf("saved %+v, want it reached through %s", it, url)
	}
	if uitest.FindLabelFunc(comps.list, func(l *widget.Label) bool { return strings.Contains(l.Text, "through 127.0.0.1") }) == nil {
		t.Error("the list does not say the computer is reached through the rendezvous")
	}
	h.poll(t, "the computer to show online", func() bool { return comps.reach[it.ID] == reachOnline })
	g.End()

	cc.serveHelper(t)
	h.poll(t, "the helper", func() bool { st, err := cc.Admin.Status(); return err == nil && st.Helper })
	test.Tap(uitest.FindButton(comps.list, lang.L("computers.connect")))
	for {
		if j, ok := h.waitEvent(t).(session.Joined); ok {
			if !j.Peer.Can(protocol.CapUnattended) || j.Peer.Route.Rendezvous == "" {
				t.Fatalf("joined by %+v, want the unattended computer through the rendezvous", j.Peer)
			}
			break
		}
	}

	// The customer removes the technician: the computer leaves the rendezvous and shows offline.
	if err := cc.Admin.RemoveTechnician(h.opts.identity.ID()); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := h.waitEvent(t).(session.Ended); ok {
			break
		}
	}
	h.poll(t, "the computer to show offline", func() bool {
		if comps.reach[it.ID] == reachOnline {
			comps.reload() // check again
		}
		return comps.reach[it.ID] == reachOffline
	})
}
