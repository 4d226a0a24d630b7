//go:build linux

package reach

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/test/reach/netlab"
)

// Unattended access across the lab: the customer's computer (its agent, with no port open to the network, and its
// helper) behind one NAT, the technician's Expert behind another, the real rendezvous between them. The agent
// is present at the rendezvous; the technician reaches it by its ID and the password alone.

func init() {
	helperRoles["agent"] = agentRole
	helperRoles["tech"] = techRole
}

// agentRole is the customer's computer with unattended access set up through RV_URL for the technician whose
// Expert's certificate is TECH_ID, with PASSWORD: an agent that listens on no port of its own, and a helper
// that joins the sessions the agent hands it. It says "ready" with the computer ID (Text), then "joined" with
// the route of each session the helper joins, until stdin closes.
func agentRole(h *helper) error {
	dir, err := os.MkdirTemp("", "tandem-reach-agent")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	socket := "@tandem-reach-agent-" + strconv.Itoa(os.Getpid()) // abstract: in this namespace only
	me := uint32(os.Getuid())
	a, err := unattended.StartAgent(unattended.AgentConfig{Dir: filepath.Join(dir, "state"), Socket: socket,
		MayUse: func(uid uint32) bool { return uid == me }, Path: session.PathOptions{Log: stderrLog}})
	if err != nil {
		return err
	}
	defer func() { _ = a.Close() }()
	tech, err := transport.ParseID(os.Getenv("TECH_ID"))
	if err != nil {
		return err
	}
	ad, err := unattended.DialAdmin(h.ctx, socket)
	if err != nil {
		return err
	}
	defer func() { _ = ad.Close() }()
	if err := ad.SetUp(tech, "tech", os.Getenv("PASSWORD"), os.Getenv("RV_URL")); err != nil {
		return err
	}
	hp, err := unattended.DialHelper(h.ctx, socket)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var guests []*session.Guest
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			o, err := hp.Next()
			if err != nil {
				return
			}
			if o.Kind != unattended.OrderOpen {
				continue
			}
			var g *session.Guest
			lk, err := session.ParseLink(o.Link)
			if err == nil {
				ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
				g, err = session.Join(ctx, lk, session.GuestConfig{Name: "computer", Unattended: true,
					Path: session.PathOptions{Log: stderrLog}})
				cancel()
			}
			_ = hp.Opened(o.ID, err)
			if err != nil {
				h.say(msg{Ev: "error", Code: int(protocol.CodeOf(err)), Err: err.Error()})
				continue
			}
			mu.Lock()
			guests = append(guests, g)
			mu.Unlock()
			h.say(msg{Ev: "joined", Route: routeOf(g.Route())})
		}
	})
	h.say(msg{Ev: "ready", Text: a.Computer().ID().String()})
	for h.command() != "" {
	}
	_ = hp.Close()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, g := range guests {
		g.End()
	}
	return nil
}

// techRole is the technician's Expert: with the identity TECH_PEM (base64 of its PEM), it opens a session through
// RV_URL and asks the computer COMPUTER_ID to join it with PASSWORD, again while the computer is not present yet
// (up to RETRIES times). It says "opened" then "joined" with the route, or "error" with the code, and waits for
// stdin to close.
func techRole(h *helper) error {
	pemBytes, err := base64.StdEncoding.DecodeString(os.Getenv("TECH_PEM"))
	if err != nil {
		return err
	}
	me, err := transport.ParseIdentity(pemBytes)
	if err != nil {
		return err
	}
	id, err := transport.ParseID(os.Getenv("COMPUTER_ID"))
	if err != nil {
		return err
	}
	url := os.Getenv("RV_URL")
	host, err := session.NewHost(session.HostConfig{Name: "tech", Rendezvous: url, Identity: me,
		Path: session.PathOptions{Log: stderrLog}})
	if err != nil {
		return err
	}
	defer host.End()
	target := unattended.Target{Rendezvous: url, ID: id, Secret: unattended.Secret(os.Getenv("PASSWORD"), id),
		Path: session.PathOptions{Log: stderrLog}}
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(h.ctx, 60*time.Second)
		err = unattended.Open(ctx, target, me, "tech", host.Link().String())
		cancel()
		if !h.again(attempt, err, protocol.Unreachable, protocol.NoPath, protocol.NoRendezvous) {
			break
		}
	}
	if err != nil {
		h.say(msg{Ev: "error", Code: int(protocol.CodeOf(err)), Err: err.Error()})
	} else {
		h.say(msg{Ev: "opened"})
		for e := range host.Events() {
			if j, ok := e.(session.Joined); ok {
				h.say(msg{Ev: "joined", Route: routeOf(j.Peer.Route)})
				break
			}
		}
	}
	for h.command() != "" {
	}
	return nil
}

func TestUnattendedReach(t *testing.T) {
	needLab(t)
	easy, hard := netlab.Site{NAT: netlab.Easy}, netlab.Site{NAT: netlab.Hard}
	for _, tc := range []struct {
		name    string
		a, b    netlab.Site // the technician's network, the computer's
		relayed bool
	}{
		{"easy to easy punches through", easy, easy, false},
		{"hard to hard is relayed", hard, hard, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := labFor(t, 1, tc.a, tc.b)
			r := startRendezvous(t, lab, lab.Servers[0])
			expert, err := transport.NewIdentity()
			if err != nil {
				t.Fatal(err)
			}
			pemBytes, err := expert.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			const pw = "the customer's own password"
			agent := startHelper(t, lab, lab.Sites[1].Host, "agent", "RV_URL="+r.url, "TECH_ID="+expert.ID().String(),
				"PASSWORD="+pw)
			computer := agent.want("ready").Text
			tech := func(password string) *proc {
				return startHelper(t, lab, lab.Sites[0].Host, "tech", "RV_URL="+r.url, "COMPUTER_ID="+computer,
					"TECH_PEM="+base64.StdEncoding.EncodeToString(pemBytes), "PASSWORD="+password, "RETRIES=20")
			}
			// A wrong password is refused by the computer, through the same path.
			if m := tech("not the customer's password").want("error"); m.Code != int(protocol.WrongPassword) {
				t.Fatalf("with a wrong password: %+v", m)
			}
			p := tech(pw)
			p.want("opened")
			tj, aj := p.want("joined"), agent.want("joined")
			for side, rt := range map[string]*route{"technician": tj.Route, "computer": aj.Route} {
				if rt.Relayed != tc.relayed || rt.Rendezvous != r.addr.String() {
					t.Errorf("the %s's route %+v, want relayed=%v through %v", side, *rt, tc.relayed, r.addr)
				}
			}
			t.Logf("technician's route %s", fmt.Sprint(*tj.Route))
		})
	}
}
