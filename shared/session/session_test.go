package session

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestHost(t *testing.T) *Host {
	t.Helper()
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)",
		Preferences: protocol.Preferences{UninstallAtEnd: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return h
}

func join(t *testing.T, lk Link) (*Guest, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, lk, GuestConfig{Name: "Bob"})
	if err == nil {
		t.Cleanup(g.End)
	}
	return g, err
}

// next returns the next event, failing the test if none comes.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("event stream closed")
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

func wantEnded(t *testing.T, e Event, code protocol.Code) {
	t.Helper()
	end, ok := e.(Ended)
	if !ok {
		t.Fatalf("event %#v, want Ended", e)
	}
	if got := protocol.CodeOf(end.Err); got != code {
		t.Fatalf("ended with %v (%v), want %v", got, end.Err, code)
	}
}

func TestJoinThenEnd(t *testing.T) {
	for _, ender := range []string{"customer", "technician"} {
		t.Run(ender, func(t *testing.T) {
			h := newTestHost(t)
			if lk, err := ParseLink(h.Link().String()); err != nil || lk != h.Link() {
				t.Fatalf("link %q round-trips to %+v, %v", h.Link(), lk, err)
			}
			g, err := join(t, h.Link())
			if err != nil {
				t.Fatalf("join: %v", err)
			}
			if tech := g.Technician(); tech.Name != "Alice (support)" || tech.Role != protocol.RoleTechnician {
				t.Fatalf("technician %+v", tech)
			}
			if !g.Preferences().UninstallAtEnd {
				t.Fatal("host preferences not received")
			}
			e := next(t, h.Events())
			j, ok := e.(Joined)
			if !ok || j.Peer.Name != "Bob" || j.Peer.Role != protocol.RoleCustomer {
				t.Fatalf("host event %#v", e)
			}
			if ender == "customer" {
				g.End()
				wantEnded(t, next(t, g.Events()), protocol.NoError)
				wantEnded(t, next(t, h.Events()), protocol.SessionEnded)
			} else {
				h.End()
				wantEnded(t, next(t, h.Events()), protocol.NoError)
				wantEnded(t, next(t, g.Events()), protocol.SessionEnded)
			}
		})
	}
}

func TestWrongKeyIsReportedToBoth(t *testing.T) {
	h := newTestHost(t)
	lk := h.Link()
	lk.Key = "000000000"
	if lk.Key == h.Link().Key {
		lk.Key = "000000001"
	}
	_, err := join(t, lk)
	if protocol.CodeOf(err) != protocol.WrongKey {
		t.Fatalf("join with a wrong key: %v", err)
	}
	e := next(t, h.Events())
	if r, ok := e.(AttemptRefused); !ok || protocol.CodeOf(r.Err) != protocol.WrongKey {
		t.Fatalf("host event %#v", e)
	}
}

func TestUnreachable(t *testing.T) {
	// A port nobody listens on: reserve one and close it.
	h := newTestHost(t)
	lk := h.Link()
	h.End()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err := Join(ctx, lk, GuestConfig{Name: "Bob"})
	if protocol.CodeOf(err) != protocol.Unreachable {
		t.Fatalf("join of a closed host: %v", err)
	}
}

func TestParseLink(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"tandem://join?addr=192.0.2.1:4433&key=123456789", true},
		{"  tandem://join?addr=192.0.2.1:4433&key=123%20456%20789\n", true},
		{"TANDEM://join?addr=[2001:db8::1]:4433&key=123456789", true},
		{"tandem://join?addr=192.0.2.1&key=123456789", false},
		{"tandem://join?addr=192.0.2.1:4433&key=12345", false},
		{"https://join?addr=192.0.2.1:4433&key=123456789", false},
		{"tandem://other?addr=192.0.2.1:4433&key=123456789", false},
		{"123 456 789", false},
	} {
		_, err := ParseLink(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseLink(%q): %v", tc.in, err)
		}
	}
}

func TestKeyRetiredAfterTooManyAttempts(t *testing.T) {
	h := newTestHost(t)
	lk := h.Link()
	lk.Key = "000000000"
	if lk.Key == h.Link().Key {
		lk.Key = "000000001"
	}
	for range transport.MaxKeyAttempts {
		if _, err := join(t, lk); protocol.CodeOf(err) != protocol.WrongKey {
			t.Fatalf("wrong key: %v", err)
		}
		if _, ok := next(t, h.Events()).(AttemptRefused); !ok {
			t.Fatal("want AttemptRefused")
		}
	}
	e := next(t, h.Events())
	if lost, ok := e.(KeyLost); !ok || protocol.CodeOf(lost.Err) != protocol.TooManyAttempts {
		t.Fatalf("after %d failures: %#v, want KeyLost(too many attempts)", transport.MaxKeyAttempts, e)
	}
	// The right key no longer works, and the customer is told why.
	if _, err := join(t, h.Link()); protocol.CodeOf(err) != protocol.TooManyAttempts {
		t.Fatalf("right key after retirement: %v", err)
	}
}
