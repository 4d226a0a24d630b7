package session

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// resumable is a live session whose customer reaches the technician through a relay.
type resumable struct {
	*liveSession
	relay *relay.Relay
}

func newResumable(t *testing.T, hostIdle, guestIdle, window time.Duration) *resumable {
	t.Helper()
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)",
		IdleTimeout: hostIdle, ReconnectWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	r := relay.New(t, h.Link().Addr)
	rec := input.NewRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, Link{Addr: r.Addr(), Key: h.Link().Key}, GuestConfig{Name: "Bob", Screen: capture.NewPattern(),
		Input: rec, IdleTimeout: guestIdle, ReconnectWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	return &resumable{liveSession: &liveSession{h: h, g: g, rec: rec}, relay: r}
}

func TestDroppedConnectionComesBack(t *testing.T) {
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 20*time.Second)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.grantControl(t)

	s.relay.Cut(true)
	waitFor(t, s.h.Events(), func(Reconnecting) bool { return true })
	waitFor(t, s.g.Events(), func(Reconnecting) bool { return true })
	s.relay.Cut(false)
	waitFor(t, s.g.Events(), func(Reconnected) bool { return true })
	waitFor(t, s.h.Events(), func(Reconnected) bool { return true })

	// The screen flows again by itself; control does not come back without asking.
	waitFor(t, s.h.Events(), func(e SharingChanged) bool { return e.On })
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	if s.h.Controlling() || s.g.Controlled() {
		t.Fatal("control survived the reconnection without the customer's consent")
	}
	s.grantControl(t)
}

func TestReturnReplacesAConnectionTheHostStillHolds(t *testing.T) {
	// The technician's side would notice the loss only after 20 s: the customer's return replaces it.
	s := newResumable(t, 20*time.Second, 600*time.Millisecond, 20*time.Second)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.relay.Cut(true)
	waitFor(t, s.g.Events(), func(Reconnecting) bool { return true })
	// Stopping the sharing while the connection is down holds after it comes back.
	s.g.StopSharing()
	s.relay.Cut(false)
	waitFor(t, s.g.Events(), func(Reconnected) bool { return true })
	waitFor(t, s.h.Events(), func(e Event) bool {
		if _, ok := e.(Reconnecting); ok {
			t.Fatal("the host saw the loss although the return replaced the connection")
		}
		_, ok := e.(Reconnected)
		return ok
	})
	if s.g.Sharing() {
		t.Fatal("sharing resumed although the customer stopped it while disconnected")
	}
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermView })
}

func TestConnectionThatDoesNotComeBackEndsTheSession(t *testing.T) {
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 1500*time.Millisecond)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.relay.Cut(true)
	for _, ch := range []<-chan Event{s.h.Events(), s.g.Events()} {
		waitFor(t, ch, func(Reconnecting) bool { return true })
		end := waitFor(t, ch, func(Ended) bool { return true })
		if protocol.CodeOf(end.Err) != protocol.ConnectionLost {
			t.Fatalf("ended with %v, want connection lost", end.Err)
		}
	}
}

func TestOnlyTheCustomerCanReturn(t *testing.T) {
	s := newResumable(t, 20*time.Second, 20*time.Second, 20*time.Second)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Someone else who somehow holds the resume secret: another certificate is refused.
	other, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = connect(ctx, directWay{addr: s.h.Link().Addr}, other, s.g.welcome.ResumeSecret, GuestConfig{Name: "Mallory"}, s.g.welcome.SessionID)
	if protocol.CodeOf(err) != protocol.NotPermitted {
		t.Fatalf("another certificate with the resume secret: %v, want not permitted", err)
	}
	// The support key no longer opens anything.
	_, _, err = connect(ctx, directWay{addr: s.h.Link().Addr}, other, []byte(s.h.Link().Key), GuestConfig{Name: "Mallory"}, protocol.SessionID{})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code == protocol.NoError {
		t.Fatalf("the spent support key: %v", err)
	}
	// The session was not disturbed.
	if !s.g.Sharing() || s.h.SharingScreen() {
		t.Fatal("the session changed")
	}
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
}

func TestStrangersCannotUseUpTheReturnAttempts(t *testing.T) {
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 20*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	other, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	guess := make([]byte, protocol.ResumeSecretSize)
	for range transport.MaxKeyAttempts + 2 {
		_, _, err = connect(ctx, directWay{addr: s.h.Link().Addr}, other, guess, GuestConfig{Name: "Mallory"}, s.g.welcome.SessionID)
		if protocol.CodeOf(err) != protocol.NotPermitted {
			t.Fatalf("a stranger's guess: %v, want not permitted before any attempt", err)
		}
	}
	// The customer can still come back.
	s.relay.Cut(true)
	waitFor(t, s.g.Events(), func(Reconnecting) bool { return true })
	s.relay.Cut(false)
	waitFor(t, s.g.Events(), func(Reconnected) bool { return true })
	waitFor(t, s.h.Events(), func(Reconnected) bool { return true })
}

// A session over a home connection, profile A of issue 16 (10 Mbit/s, 100 ms round trip, 1 % loss each way):
// the customer joins, the screen reaches the technician, and the technician's typing reaches the customer
// whole and in order while frames fill the link.
func TestSessionOverASlowLossyLink(t *testing.T) {
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	r := relay.New(t, h.Link().Addr)
	home := relay.Link{Rate: 10_000_000, Delay: 50 * time.Millisecond, Loss: 0.01}
	r.SetLinks(home, home)
	rec := input.NewRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	g, err := Join(ctx, Link{Addr: r.Addr(), Key: h.Link().Key}, GuestConfig{Name: "Bob",
		Screen: capture.NewPattern(image.Rect(0, 0, 1280, 800)), Input: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	waitFor(t, h.Events(), func(ScreenUpdated) bool { return true })
	s := &liveSession{h: h, g: g, rec: rec}
	s.grantControl(t)
	const typed = "the printer is on the second floor"
	for _, r := range typed {
		if err := h.SendInput(&protocol.Text{Text: string(r)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rec.Wait(ctx, len(typed))
	if err != nil {
		t.Fatalf("typing over the slow link: %v (got %d events)", err, len(got))
	}
	var text []byte
	for _, e := range got {
		text = append(text, e.Text...)
	}
	if string(text) != typed {
		t.Fatalf("the customer got %q", text)
	}
	up, down := r.Stats()
	if up.Lost+down.Lost == 0 || down.Bytes == 0 {
		t.Fatalf("the link lost nothing or carried nothing: up %+v, down %+v", up, down)
	}
}
