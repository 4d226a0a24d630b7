package unattended

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
)

// startAgent runs an agent on loopback whose local channel serves only this test's user.
func startAgent(t *testing.T) *Agent {
	return startAgentAt(t, filepath.Join(t.TempDir(), "run", "agent.sock"))
}

func startAgentAt(t *testing.T, socket string) *Agent {
	t.Helper()
	me := uint32(os.Getuid())
	a, err := StartAgent(AgentConfig{Dir: filepath.Join(t.TempDir(), "state"), Listen: "127.0.0.1:0",
		Socket: socket, MayUse: func(uid uint32) bool { return uid == me },
		OpenTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// technicianSession opens a session as Expert's New session does, for the computer to join.
func technicianSession(t *testing.T, name string) *session.Host {
	t.Helper()
	h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return h
}

// helperStub is the helper's loop as the customer's program runs it, joining real sessions: it serves the
// agent's orders until its channel closes.
type helperStub struct {
	h    *Helper
	mu   sync.Mutex
	g    map[uint64]*session.Guest
	by   map[uint64]string // the technician's name each order gave
	wg   sync.WaitGroup
	path session.PathOptions // for sessions through a rendezvous
}

func startHelper(t *testing.T, a *Agent) *helperStub {
	t.Helper()
	return startHelperWith(t, a, session.PathOptions{})
}

func startHelperWith(t *testing.T, a *Agent, path session.PathOptions) *helperStub {
	t.Helper()
	h, err := DialHelper(t.Context(), a.cfg.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if h.ComputerID() != a.Computer().ID() {
		t.Fatal("the helper was welcomed with another computer ID")
	}
	s := &helperStub{h: h, g: map[uint64]*session.Guest{}, by: map[uint64]string{}, path: path}
	s.wg.Add(1)
	go s.run()
	t.Cleanup(s.stop)
	return s
}

func (s *helperStub) run() {
	defer s.wg.Done()
	for {
		o, err := s.h.Next()
		if err != nil {
			return
		}
		switch o.Kind {
		case OrderOpen:
			lk, err := session.ParseLink(o.Link)
			var g *session.Guest
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				g, err = session.Join(ctx, lk, session.GuestConfig{Name: "Zoé's computer", IdleTimeout: 5 * time.Second,
					Path: s.path})
				cancel()
			}
			if err == nil {
				s.mu.Lock()
				s.g[o.ID], s.by[o.ID] = g, o.Technician
				s.mu.Unlock()
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					for range g.Events() {
					}
					_ = s.h.Report(o.ID, EventSessionEnded, "ended")
				}()
			}
			_ = s.h.Opened(o.ID, err)
		case OrderEnd:
			s.mu.Lock()
			g := s.g[o.ID]
			s.mu.Unlock()
			if g != nil {
				g.End()
			}
		}
	}
}

func (s *helperStub) stop() {
	_ = s.h.Close()
	s.mu.Lock()
	for _, g := range s.g {
		g.End()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func waitEvent[E session.Event](t *testing.T, ch <-chan session.Event) E {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("events closed before a %T", *new(E))
			}
			if e, ok := ev.(E); ok {
				return e
			}
		case <-timeout:
			t.Fatalf("no %T", *new(E))
		}
	}
}

func TestTechnicianConnectsThroughTheAgent(t *testing.T) {
	a := startAgent(t)
	comp := a.Computer()
	ana := newTech(t, "Ana")
	const pw = "the customer's password"
	ad, err := DialAdmin(t.Context(), a.cfg.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	if ad.ComputerID() != comp.ID() {
		t.Fatal("the admin was welcomed with another computer ID")
	}
	if err := ad.SetUp(ana.id.ID(), "Ana", "too short", ""); protocol.CodeOf(err) != protocol.Refused {
		t.Fatalf("set up with a weak password: %v", err)
	}
	must(t, ad.SetUp(ana.id.ID(), "Ana\n(support)", pw, ""))
	target := Target{Addr: a.Addr().String(), ID: comp.ID(), Secret: Secret(pw, comp.ID())}

	// Nobody logged in: the technician is told so, in a code the UI says in words.
	host := technicianSession(t, "Ana")
	err = Open(t.Context(), target, ana.id, "Ana", host.Link().String())
	if protocol.CodeOf(err) != protocol.NobodyLoggedIn {
		t.Fatalf("without a helper: %v", err)
	}

	// With the helper, the computer joins the technician's session.
	hs := startHelper(t, a)
	if err := Open(t.Context(), target, ana.id, "Ana", host.Link().String()); err != nil {
		t.Fatalf("open: %v", err)
	}
	joined := waitEvent[session.Joined](t, host.Events())
	if joined.Peer.Name != "Zoé's computer" {
		t.Fatalf("joined by %+v", joined.Peer)
	}
	hs.mu.Lock()
	by := hs.by[1]
	hs.mu.Unlock()
	if by != "Ana (support)" { // the name as the list holds it, made one line
		t.Fatalf("the helper was told the technician is %q", by)
	}
	if st, err := a.adminStatus(t); err != nil || st.Sessions != 1 {
		t.Fatalf("status %+v, %v", st, err)
	}

	// Blocking ends the running session at once.
	must(t, ad.SetBlocked(true))
	ended := waitEvent[session.Ended](t, host.Events())
	if ended.Err == nil {
		t.Fatal("the technician's session ended without a reason")
	}
	// And nobody gets in while blocked.
	host2 := technicianSession(t, "Ana")
	if err := Open(t.Context(), target, ana.id, "Ana", host2.Link().String()); protocol.CodeOf(err) != protocol.Blocked {
		t.Fatalf("while blocked: %v", err)
	}
	must(t, ad.SetBlocked(false))

	// Changing the password takes effect at once.
	if err := ad.ChangePassword("short"); protocol.CodeOf(err) != protocol.Refused {
		t.Fatalf("a weak password: %v", err)
	}
	const pw2 = "a brand new password"
	must(t, ad.ChangePassword(pw2))
	if err := Open(t.Context(), target, ana.id, "Ana", host2.Link().String()); protocol.CodeOf(err) != protocol.PasswordChanged {
		t.Fatalf("the old password: %v", err)
	}
	target.Secret = Secret(pw2, comp.ID())
	if err := Open(t.Context(), target, ana.id, "Ana", host2.Link().String()); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	waitEvent[session.Joined](t, host2.Events())

	// Removing the technician ends their session too.
	must(t, ad.RemoveTechnician(ana.id.ID()))
	waitEvent[session.Ended](t, host2.Events())

	// Another computer pretending to be this one is refused before any password is offered.
	impostor := target
	impostor.ID[0] ^= 1
	if err := Open(t.Context(), impostor, ana.id, "Ana", host2.Link().String()); protocol.CodeOf(err) != protocol.IdentityChanged {
		t.Fatalf("impostor: %v", err)
	}

	// The log has every attempt and the sessions.
	entries, err := ad.Log(0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[Event]int{}
	for _, e := range entries {
		count[e.What]++
	}
	for ev, n := range map[Event]int{EventNobodyLoggedIn: 1, EventConnected: 2, EventBlocked: 1, EventRefusedBlocked: 1,
		EventPasswordChanged: 1, EventWrongPassword: 1, EventRemoved: 1} {
		if count[ev] != n {
			t.Errorf("log has %d %q, want %d: %v", count[ev], ev, n, count)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for count[EventSessionEnded] < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		entries, _ = ad.Log(0)
		count[EventSessionEnded] = 0
		for _, e := range entries {
			if e.What == EventSessionEnded {
				count[EventSessionEnded]++
				if e.Technician != "Ana (support)" || e.From == "" {
					t.Errorf("session end logged as %+v", e)
				}
			}
		}
	}
	if count[EventSessionEnded] != 2 {
		t.Errorf("%d sessions ended in the log, want 2", count[EventSessionEnded])
	}
}

func (a *Agent) adminStatus(t *testing.T) (AgentStatus, error) {
	t.Helper()
	ad, err := DialAdmin(t.Context(), a.cfg.Socket)
	if err != nil {
		return AgentStatus{}, err
	}
	defer ad.Close()
	return ad.Status()
}

func TestNoAgentSaysSo(t *testing.T) {
	_, err := DialAdmin(t.Context(), filepath.Join(t.TempDir(), "none.sock"))
	if !errors.Is(err, ErrNoAgent) {
		t.Fatalf("no agent: %v", err)
	}
}

// Without a helper, the agent starts one (Launch) and waits for it; a launch that fails, or a helper that does not
// come, is nobody logged in.
func TestAgentLaunchesTheHelper(t *testing.T) {
	for _, tc := range []struct {
		name string
		come bool // the launched helper connects
		fail bool // the launch fails
		want protocol.Code
	}{
		{"the helper comes", true, false, protocol.NoError},
		{"the launch fails", false, true, protocol.NobodyLoggedIn},
		{"the helper does not come", false, false, protocol.NobodyLoggedIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			me := uint32(os.Getuid())
			socket := filepath.Join(t.TempDir(), "agent.sock")
			launches := 0
			var mu sync.Mutex
			a, err := StartAgent(AgentConfig{Dir: filepath.Join(t.TempDir(), "state"), Listen: "127.0.0.1:0", Socket: socket,
				MayUse: func(uid uint32) bool { return uid == me }, HelperWait: 500 * time.Millisecond,
				Launch: func(context.Context) error {
					mu.Lock()
					launches++
					mu.Unlock()
					if tc.fail {
						return errors.New("no graphical session")
					}
					if tc.come {
						go startHelperOf(t, socket)
					}
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			ana := newTech(t, "Ana")
			const pw = "a password that is long"
			must(t, a.Computer().SetUp(Secret(pw, a.Computer().ID()), ana.tech))
			host := technicianSession(t, "Ana")
			err = Open(t.Context(), Target{Addr: a.Addr().String(), ID: a.Computer().ID(), Secret: Secret(pw, a.Computer().ID())},
				ana.id, "Ana", host.Link().String())
			if protocol.CodeOf(err) != tc.want {
				t.Fatalf("open: %v, want %v", err, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if launches != 1 {
				t.Fatalf("%d launches", launches)
			}
		})
	}
}

// After a switch of users, the helper still connected belongs to a user no longer at the screen: the agent lets
// it go and launches one in the session at the screen, rather than show the technician a session in the
// background.
func TestAgentFollowsASwitchOfUsers(t *testing.T) {
	me := uint32(os.Getuid())
	socket := filepath.Join(t.TempDir(), "agent.sock")
	var mu sync.Mutex
	atScreen, launches := true, 0 // whether this test's user is the one at the screen
	a, err := StartAgent(AgentConfig{Dir: filepath.Join(t.TempDir(), "state"), Listen: "127.0.0.1:0", Socket: socket,
		MayUse: func(uid uint32) bool {
			mu.Lock()
			defer mu.Unlock()
			return uid == me && atScreen
		},
		HelperWait: 500 * time.Millisecond,
		Launch: func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			launches++
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	startHelper(t, a)
	if st, err := a.adminStatus(t); err != nil || !st.Helper {
		t.Fatalf("status %+v, %v", st, err)
	}
	ana := newTech(t, "Ana")
	const pw = "a password that is long"
	must(t, a.Computer().SetUp(Secret(pw, a.Computer().ID()), ana.tech))
	mu.Lock()
	atScreen = false // another user's session takes the console
	mu.Unlock()
	host := technicianSession(t, "Ana")
	err = Open(t.Context(), Target{Addr: a.Addr().String(), ID: a.Computer().ID(), Secret: Secret(pw, a.Computer().ID())},
		ana.id, "Ana", host.Link().String())
	if protocol.CodeOf(err) != protocol.NobodyLoggedIn {
		t.Fatalf("open: %v, want nobody logged in (no helper came in the new session)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if launches != 1 {
		t.Fatalf("%d launches, want one in the session at the screen", launches)
	}
}

// startHelperOf connects a helper to the agent at socket, as a launched program would, for the test's length.
func startHelperOf(t *testing.T, socket string) {
	h, err := DialHelper(context.Background(), socket)
	if err != nil {
		t.Error(err)
		return
	}
	s := &helperStub{h: h, g: map[uint64]*session.Guest{}, by: map[uint64]string{}}
	s.wg.Add(1)
	go s.run()
	t.Cleanup(s.stop)
}
