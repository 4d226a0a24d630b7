package session

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// TestMain checks for leaked goroutines once the tests pass, allowing the QUIC transports of listeners and
// dialers closed at the end of a test a while to finish (quic-go closes a transport after its last
// connection has drained).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var err error
		for deadline := time.Now().Add(15 * time.Second); ; {
			if err = goleak.Find(); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

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
		{"tandem://join?addr=192.0.2.1:4433&invite=" + testToken, true},
		{"tandem://join?addr=192.0.2.1:4433&invite=" + strings.ToUpper(testToken), true},
		{"tandem://join?rv=tls%3A%2F%2Frv.example%3A4222&invite=" + testToken + "&plate=0042", true},
		{"tandem://join?rv=tls%3A%2F%2Frv.example%3A4222&invite=" + testToken, false},               // which nameplate?
		{"tandem://join?rv=tls%3A%2F%2Frv.example%3A4222&invite=" + testToken + "&plate=42", false}, // four digits
		{"tandem://join?addr=192.0.2.1:4433&invite=" + testToken + "&plate=0042", false},            // direct: none
		{"tandem://join?addr=192.0.2.1:4433&invite=" + testToken + "&key=123456789", false},         // which one?
		{"tandem://join?addr=192.0.2.1:4433&invite=123456789", false},
		{"tandem://join?addr=192.0.2.1:4433&invite=", false},
	} {
		lk, err := ParseLink(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseLink(%q): %v", tc.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if again, err := ParseLink(lk.String()); err != nil || again != lk {
			t.Errorf("%q: %+v renders as %q, which reads back as %+v (%v)", tc.in, lk, lk.String(), again, err)
		}
		if lk.IsInvite() != strings.Contains(tc.in, "invite=") || lk.IsInvite() == (lk.Key != "") {
			t.Errorf("%q: invite %q, key %q", tc.in, lk.Invite, lk.Key)
		}
	}
}

// testToken is an invitation token in the form transport.NewInviteGate draws.
const testToken = "abcdefghijklmnopqrstuvwxyz"

// A customer who mistypes has MaxSourceFailures tries; then their address is refused without using up the key,
// which only strangers from other addresses retire. The technician hears of each attempt with where it came from.
func TestKeyRetiredAfterTooManyAttempts(t *testing.T) {
	h := newTestHost(t)
	lk := h.Link()
	lk.Key = "000000000"
	if lk.Key == h.Link().Key {
		lk.Key = "000000001"
	}
	refused := func(want protocol.Code) {
		t.Helper()
		e := next(t, h.Events())
		r, ok := e.(AttemptRefused)
		if !ok || protocol.CodeOf(r.Err) != want || !strings.HasPrefix(r.From, "127.0.0.") {
			t.Fatalf("host event %#v, want an attempt refused with %v from a loopback address", e, want)
		}
	}
	for range transport.MaxSourceFailures {
		if _, err := join(t, lk); protocol.CodeOf(err) != protocol.WrongKey {
			t.Fatalf("wrong key: %v", err)
		}
		refused(protocol.WrongKey)
	}
	if _, err := join(t, lk); protocol.CodeOf(err) != protocol.TooManyAttempts {
		t.Fatalf("wrong key once too often from one address: %v", err)
	}
	refused(protocol.TooManyAttempts)
	for i := transport.MaxSourceFailures; i < transport.MaxKeyAttempts; i++ {
		if _, err := dialFrom(t, fmt.Sprintf("127.0.0.%d", 2+i), h.Link().Addr, lk.Key); protocol.CodeOf(err) != protocol.WrongKey {
			t.Fatalf("a stranger's wrong key: %v", err)
		}
		refused(protocol.WrongKey)
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

// dialFrom confirms key with the host at addr from the loopback address local, as a program other than Tandem
// Customer could: it says nothing after the key.
func dialFrom(t *testing.T, local, addr, key string) (*transport.Conn, error) {
	t.Helper()
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := transport.Dial(ctx, addr, transport.DialConfig{Identity: id, Secret: []byte(key), LocalAddr: local})
	if err == nil {
		t.Cleanup(func() { _ = c.Close(protocol.NoError, "") })
	}
	return c, err
}

// Someone who proves the key and then says nothing neither holds up the customer nor ends the session: they are
// dropped after the Hello timeout with a code's sentence, the key still works, and one still silent when the
// customer joins is hung up on at once.
func TestSilentJoinerDoesNotEndTheSession(t *testing.T) {
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice",
		HelloTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	if _, err := dialFrom(t, "127.0.0.2", h.Link().Addr, h.Link().Key); err != nil {
		t.Fatalf("the silent joiner's key: %v", err)
	}
	e := next(t, h.Events())
	if r, ok := e.(AttemptRefused); !ok || protocol.CodeOf(r.Err) != protocol.Timeout || !strings.HasPrefix(r.From, "127.0.0.2:") {
		t.Fatalf("host event %#v, want an attempt refused for silence from 127.0.0.2", e)
	}

	silent, err := dialFrom(t, "127.0.0.3", h.Link().Addr, h.Link().Key)
	if err != nil {
		t.Fatalf("the second silent joiner's key: %v", err)
	}
	start := time.Now()
	if _, err := join(t, h.Link()); err != nil {
		t.Fatalf("the customer after a silent joiner: %v", err)
	}
	if j, ok := next(t, h.Events()).(Joined); !ok || j.Peer.Name != "Bob" {
		t.Fatalf("want Bob joined, got %#v", j)
	}
	select {
	case <-silent.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the silent joiner's connection is still open after the customer joined")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the join took %v", took)
	}
}
