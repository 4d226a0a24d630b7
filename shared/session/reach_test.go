package session

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/transport"
)

// meetingHost is a technician's program that customers reach through the rendezvous at url.
func meetingHost(t *testing.T, url string, idle time.Duration) *Host {
	t.Helper()
	h, err := NewHost(HostConfig{Name: "Alice (support)", Rendezvous: url, Path: PathOptions{Loopback: true},
		IdleTimeout: idle, ReconnectWindow: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return h
}

func joinThrough(t *testing.T, lk Link, path PathOptions, idle time.Duration) (*Guest, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	g, err := Join(ctx, lk, GuestConfig{Name: "Bob", Path: path, IdleTimeout: idle, ReconnectWindow: 20 * time.Second})
	if err == nil {
		t.Cleanup(g.End)
	}
	return g, err
}

func TestJoinThroughRendezvous(t *testing.T) {
	srv := rendezvoustest.Start(t)
	for _, tc := range []struct {
		name    string
		path    PathOptions
		relayed bool
	}{
		{"direct", PathOptions{Loopback: true}, false},
		{"relayed", PathOptions{Loopback: true, RelayOnly: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := meetingHost(t, srv.ClientURL(), 0)
			lk := h.Link()
			if lk.Rendezvous != srv.ClientURL() || lk.Addr != "" || len(lk.Key) != transport.KeyDigits {
				t.Fatalf("link %+v does not name the rendezvous with a nine-digit key", lk)
			}
			if back, err := ParseLink(lk.String()); err != nil || back != lk {
				t.Fatalf("link %q round-trips to %+v, %v", lk, back, err)
			}
			g, err := joinThrough(t, lk, tc.path, 0)
			if err != nil {
				t.Fatalf("join through the rendezvous: %v", err)
			}
			j := waitFor(t, h.Events(), func(Joined) bool { return true })
			for side, r := range map[string]Route{"customer": g.Route(), "technician": j.Peer.Route, "host now": h.Route()} {
				if r.Relayed != tc.relayed || r.Rendezvous != "127.0.0.1" || r.Local == "" || r.Remote == "" {
					t.Errorf("%s's route %+v, want relayed=%v through 127.0.0.1", side, r, tc.relayed)
				}
			}
			if _, err := g.SendChat("bonjour"); err != nil {
				t.Fatal(err)
			}
			if m := waitFor(t, h.Events(), func(ChatReceived) bool { return true }); m.Message.Text != "bonjour" {
				t.Fatalf("chat %q", m.Message.Text)
			}
			// The nameplate was given back at the join: nobody else can claim the key.
			np, _ := transport.SplitKey(lk.Key)
			if _, err := joinThrough(t, Link{Rendezvous: lk.Rendezvous, Key: np + "00000"}, tc.path, 0); protocol.CodeOf(err) != protocol.KeyExpired {
				t.Fatalf("claiming a spent nameplate: %v, want key expired", err)
			}
			g.End()
			waitFor(t, g.Events(), func(e Ended) bool { return e.Err == nil })
			waitFor(t, h.Events(), func(e Ended) bool { return protocol.CodeOf(e.Err) == protocol.SessionEnded })
		})
	}
}

// A customer who shares the screen as soon as they join: the technician's program hears of the join before
// anything of the connection (the viewer it opens on Joined must not miss that the screen flows). Giving the
// nameplate back takes a round trip to the rendezvous, which is when the screen used to overtake the join.
func TestJoinedComesBeforeTheSharedScreen(t *testing.T) {
	srv := rendezvoustest.Start(t)
	for range 5 {
		h := meetingHost(t, srv.ClientURL(), 0)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Path: PathOptions{Loopback: true},
			Screen: capture.NewPattern()})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		read := make(chan struct{}) // the customer's engine waits for its events to be read
		go func() {
			defer close(read)
			for range g.Events() {
			}
		}()
		var first Event
		select {
		case first = <-h.Events():
		case <-time.After(20 * time.Second):
			t.Fatal("no event")
		}
		if _, ok := first.(Joined); !ok {
			t.Fatalf("the technician's first event is %T, want Joined", first)
		}
		waitFor(t, h.Events(), func(e SharingChanged) bool { return e.On })
		g.End()
		<-read
		h.End()
	}
}

// otherSecret returns the key with its secret changed.
func otherSecret(key string) string {
	last := key[len(key)-1]
	return key[:len(key)-1] + string('0'+(last-'0'+1)%10)
}

func TestWrongSecretThroughRendezvousRetiresTheKey(t *testing.T) {
	srv := rendezvoustest.Start(t)
	h := meetingHost(t, srv.ClientURL(), 0)
	lk := h.Link()
	wrong := Link{Rendezvous: lk.Rendezvous, Key: otherSecret(lk.Key)}
	_, err := joinThrough(t, wrong, PathOptions{Loopback: true}, 0)
	if protocol.CodeOf(err) != protocol.WrongKey {
		t.Fatalf("wrong secret: %v, want wrong key", err)
	}
	if e := waitFor(t, h.Events(), func(AttemptRefused) bool { return true }); protocol.CodeOf(e.Err) != protocol.WrongKey {
		t.Fatalf("host saw %v", e.Err)
	}
	// The right key still works after a wrong one.
	g, err := joinThrough(t, lk, PathOptions{Loopback: true}, 0)
	if err != nil {
		t.Fatalf("right key after a wrong one: %v", err)
	}
	waitFor(t, h.Events(), func(Joined) bool { return true })
	g.End()
}

func TestJoinThroughRendezvousErrors(t *testing.T) {
	srv := rendezvoustest.Start(t)
	// A port where nothing listens: the listener is closed before anyone dials.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "nats://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		lk   Link
		want protocol.Code
	}{
		{"nobody holds the nameplate", Link{Rendezvous: srv.ClientURL(), Key: "000012345"}, protocol.KeyExpired},
		{"the rendezvous is down", Link{Rendezvous: deadURL, Key: "123456789"}, protocol.NoRendezvous},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := joinThrough(t, tc.lk, PathOptions{Loopback: true}, 0)
			if got := protocol.CodeOf(err); got != tc.want {
				t.Fatalf("join: %v (%v), want %v", got, err, tc.want)
			}
		})
	}
	if _, err := NewHost(HostConfig{Rendezvous: deadURL}); protocol.CodeOf(err) != protocol.NoRendezvous {
		t.Fatalf("hosting through a rendezvous that is down: %v", err)
	}
}

func TestPathThroughRendezvousComesBackAfterADrop(t *testing.T) {
	srv := rendezvoustest.Start(t)
	h := meetingHost(t, srv.ClientURL(), 600*time.Millisecond)
	g, err := joinThrough(t, h.Link(), PathOptions{Loopback: true}, 600*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, h.Events(), func(Joined) bool { return true })
	// The customer's path dies (as when a laptop changes networks): both sides notice, and the customer finds a
	// new path in the same mailbox and comes back into the same session.
	g.mu.Lock()
	path := g.l.conn.Path()
	g.mu.Unlock()
	path.Close()
	waitFor(t, g.Events(), func(Reconnecting) bool { return true })
	waitFor(t, g.Events(), func(Reconnected) bool { return true })
	waitFor(t, h.Events(), func(Reconnected) bool { return true })
	if r := g.Route(); r.Rendezvous == "" || !strings.Contains(r.Remote, "127.0.0.1") {
		t.Fatalf("route after the return: %+v", r)
	}
	if _, err := g.SendChat("back"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, h.Events(), func(m ChatReceived) bool { return m.Message.Text == "back" })
}

// A rendezvous with a self-signed certificate, pinned in its URL, on a network that lets only TLS out: the
// session is relayed by TURN over TLS, whose certificate is the pinned one.
func TestJoinThroughPinnedRendezvousOverTURNTLS(t *testing.T) {
	_, url := rendezvoustest.StartTLS(t)
	if !strings.HasPrefix(url, "tls://") || !strings.Contains(url, "#sha256=") {
		t.Fatalf("url %q", url)
	}
	h := meetingHost(t, url, 0)
	g, err := joinThrough(t, h.Link(), PathOptions{Loopback: true, RelayOnly: true}, 0)
	if err != nil {
		t.Fatalf("join through a pinned rendezvous over TURN/TLS: %v", err)
	}
	waitFor(t, h.Events(), func(Joined) bool { return true })
	if r := g.Route(); !r.Relayed || !strings.HasSuffix(r.Local, "via tls") {
		t.Fatalf("route %+v, want relayed over TLS", r)
	}
}
