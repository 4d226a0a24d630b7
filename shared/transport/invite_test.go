package transport

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

func TestInviteToken(t *testing.T) {
	g, err := NewInviteGate(0)
	if err != nil {
		t.Fatal(err)
	}
	tok := g.Key()
	if len(tok) != 26 || strings.ToLower(tok) != tok {
		t.Fatalf("token %q: want 26 lower-case characters", tok)
	}
	if d := time.Until(g.ExpiresAt()); d <= InviteLifetime-time.Minute || d > InviteLifetime {
		t.Fatalf("expires in %v", d)
	}
	other, err := NewInviteGate(0)
	if err != nil || other.Key() == tok {
		t.Fatalf("two invitations share a token (%v)", err)
	}
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{tok, tok, nil},
		{" " + strings.ToUpper(tok) + "\n", tok, nil},
		{tok[:25], "", ErrInviteFormat},
		{tok + "a", "", ErrInviteFormat},
		{"123456789", "", ErrInviteFormat},
		{strings.Repeat("1", 26), "", ErrInviteFormat}, // 1 is not base32
		{"", "", ErrInviteFormat},
	} {
		got, err := ParseInviteToken(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ParseInviteToken(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// An invitation confirms its colleague once, over QUIC on loopback, and a wrong token is refused like a wrong key.
func TestInvitationConfirmsOnce(t *testing.T) {
	g, err := NewInviteGate(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen("127.0.0.1:0", ListenConfig{Identity: id, Gate: g})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	addr := l.Addr().(*net.UDPAddr).String()
	wrong, err := NewInviteGate(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, addr, wrong.Key()); protocol.CodeOf(err) != protocol.WrongKey {
		t.Fatalf("a wrong token: %v", err)
	}
	c, err := dial(t, addr, g.Key())
	if err != nil {
		t.Fatalf("the token: %v", err)
	}
	_ = c.Close(protocol.NoError, "")
	g.Spend() // the session admitted the colleague
	if _, err := dial(t, addr, g.Key()); protocol.CodeOf(err) != protocol.KeyExpired {
		t.Fatalf("the token again: %v", err)
	}
}
