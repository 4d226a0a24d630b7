package transport

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// Limits of an attended support key.
const (
	// KeyDigits is the number of decimal digits in a support key.
	KeyDigits = 9
	// KeyLifetime is how long a support key waits for a customer before it expires.
	KeyLifetime = 10 * time.Minute
	// MaxKeyAttempts is how many failed confirmations retire a key.
	MaxKeyAttempts = 5
	// NameplateDigits is how many leading digits of a key met through a rendezvous are its nameplate (which
	// the rendezvous assigned and so knows); the other SecretDigits are the secret only the two programs hold.
	NameplateDigits = 4
	// SecretDigits is how many digits of a key met through a rendezvous are its secret.
	SecretDigits = KeyDigits - NameplateDigits
)

// ErrKeyFormat is returned by ParseSupportKey for text that is not nine digits.
var ErrKeyFormat = errors.New("a support key is nine digits")

// NewSupportKey returns nine random digits from crypto/rand.
func NewSupportKey() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	if err != nil {
		return "", fmt.Errorf("generating support key: %w", err)
	}
	return fmt.Sprintf("%09d", n), nil
}

// FormatSupportKey shows nine digits in groups of three: "123 456 789".
func FormatSupportKey(key string) string {
	if len(key) != KeyDigits {
		return key
	}
	return key[0:3] + " " + key[3:6] + " " + key[6:9]
}

// ParseSupportKey accepts what a person types or pastes ("123 456 789", "123-456-789", " 123456789\n") and
// returns the nine digits.
func ParseSupportKey(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u202f':
		default:
			return "", ErrKeyFormat
		}
	}
	if b.Len() != KeyDigits {
		return "", ErrKeyFormat
	}
	return b.String(), nil
}

// A Gate holds the secret a listener confirms joiners against, and decides whether an attempt may be made.
type Gate interface {
	// Begin returns the secret for one confirmation attempt by the dialer whose certificate is peer (TLS has
	// proved that the dialer holds its key), or a *protocol.Error saying why none may be made.
	Begin(peer ID) ([]byte, error)
	// Done records the outcome of an attempt that Begin allowed.
	Done(ok bool)
}

// KeyState says where a support key stands.
type KeyState int

// The states of a support key.
const (
	KeyWaiting KeyState = iota // nobody has joined yet
	KeyUsed                    // a customer joined; the key is spent
	KeyExpired                 // nobody joined within KeyLifetime
	KeyRetired                 // MaxKeyAttempts confirmations failed
)

// SupportKey is the Gate of an attended session: one key, one successful join, at most MaxKeyAttempts
// failures, and KeyLifetime to be used.
type SupportKey struct {
	key     string
	secret  string // what the confirmation uses: the whole key, or the part after a nameplate
	expires time.Time
	now     func() time.Time

	mu       sync.Mutex
	failures int
	used     bool
	changed  chan struct{} // closed and replaced on every state change
}

// NewSupportKeyGate makes a fresh key that expires KeyLifetime from now.
func NewSupportKeyGate() (*SupportKey, error) { return NewSupportKeyGateFor(KeyLifetime) }

// NewSupportKeyGateFor makes a fresh key that expires lifetime from now (tests shorten it).
func NewSupportKeyGateFor(lifetime time.Duration) (*SupportKey, error) {
	key, err := NewSupportKey()
	if err != nil {
		return nil, err
	}
	return newSupportKeyGate(key, time.Now, lifetime), nil
}

func newSupportKeyGate(key string, now func() time.Time, lifetime time.Duration) *SupportKey {
	return &SupportKey{key: key, secret: key, expires: now().Add(lifetime), now: now, changed: make(chan struct{})}
}

// NewNameplateKeyGate makes a key met through a rendezvous: the nameplate the rendezvous assigned
// (NameplateDigits digits) followed by SecretDigits random digits, the only part the confirmation uses (see
// SplitKey). It expires lifetime from now.
func NewNameplateKeyGate(nameplate string, lifetime time.Duration) (*SupportKey, error) {
	if len(nameplate) != NameplateDigits || strings.Trim(nameplate, "0123456789") != "" {
		return nil, fmt.Errorf("nameplate %q is not %d digits", nameplate, NameplateDigits)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(100_000))
	if err != nil {
		return nil, fmt.Errorf("generating the key's secret: %w", err)
	}
	k := newSupportKeyGate(fmt.Sprintf("%s%05d", nameplate, n), time.Now, lifetime)
	k.secret = k.key[NameplateDigits:]
	return k, nil
}

// SplitKey parts the nine digits of a key met through a rendezvous (as ParseSupportKey returns them) into its
// nameplate and its secret.
func SplitKey(key string) (nameplate, secret string) {
	return key[:NameplateDigits], key[NameplateDigits:]
}

// Key returns the nine digits.
func (k *SupportKey) Key() string { return k.key }

// ExpiresAt returns when the key stops being accepted if nobody has joined.
func (k *SupportKey) ExpiresAt() time.Time { return k.expires }

// State returns where the key stands now.
func (k *SupportKey) State() KeyState {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stateLocked()
}

// Changed returns a channel closed at the next change of state caused by an attempt (expiry is a matter of time:
// watch ExpiresAt for it).
func (k *SupportKey) Changed() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.changed
}

func (k *SupportKey) stateLocked() KeyState {
	switch {
	case k.used:
		return KeyUsed
	case k.failures >= MaxKeyAttempts:
		return KeyRetired
	case !k.now().Before(k.expires):
		return KeyExpired
	}
	return KeyWaiting
}

// Begin implements Gate. Each call counts as an attempt until Done(true) says otherwise, so that parallel
// guesses cannot exceed MaxKeyAttempts.
func (k *SupportKey) Begin(ID) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch k.stateLocked() {
	case KeyUsed:
		return nil, &protocol.Error{Code: protocol.KeyExpired, Detail: "support key already used"}
	case KeyRetired:
		return nil, &protocol.Error{Code: protocol.TooManyAttempts, Detail: "support key retired after failed attempts"}
	case KeyExpired:
		return nil, &protocol.Error{Code: protocol.KeyExpired, Detail: "support key expired"}
	}
	k.failures++
	return []byte(k.secret), nil
}

// Done implements Gate.
func (k *SupportKey) Done(ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ok {
		k.failures--
		k.used = true
	}
	close(k.changed)
	k.changed = make(chan struct{})
}
