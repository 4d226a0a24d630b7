package transport

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// An invitation lets a technician's colleague join a session that is already running: the customer's program,
// on the customer's Yes, mints a token and listens for the colleague, who confirms the token as a joiner
// confirms a support key (CPace, the token as password). A token is 128 random bits, which nobody guesses; it
// is used once and lasts InviteLifetime.
const (
	// InviteTokenBytes is the number of random bytes in an invitation token.
	InviteTokenBytes = 16
	// InviteLifetime is how long an invitation waits for the colleague.
	InviteLifetime = 10 * time.Minute
)

// inviteEncoding writes tokens in lower-case base32 without padding: 26 letters and digits that survive being
// pasted into a chat, a mail or a link.
var inviteEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrInviteFormat is returned by ParseInviteToken for text that is not an invitation token.
var ErrInviteFormat = errors.New("not an invitation token")

// NewInviteGate makes the Gate of one invitation: a fresh token (Key) that confirms one colleague within
// lifetime (InviteLifetime if 0), with the limits on attempts of a support key. Spend it once the colleague has
// joined.
func NewInviteGate(lifetime time.Duration) (*SupportKey, error) {
	if lifetime <= 0 {
		lifetime = InviteLifetime
	}
	b := make([]byte, InviteTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("drawing an invitation token: %w", err)
	}
	return newSupportKeyGate(strings.ToLower(inviteEncoding.EncodeToString(b)), time.Now, lifetime), nil
}

// ParseInviteToken accepts an invitation token as NewInviteGate's Key gives it, in either case, and returns
// it as the gate holds it.
func ParseInviteToken(s string) (string, error) {
	b, err := inviteEncoding.DecodeString(strings.ToUpper(strings.TrimSpace(s)))
	if err != nil || len(b) != InviteTokenBytes {
		return "", ErrInviteFormat
	}
	return strings.ToLower(inviteEncoding.EncodeToString(b)), nil
}
