package transport

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
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
	// proved that the dialer holds its key), coming from the network address from, and done, which the
	// listener calls once with the attempt's outcome; or a *protocol.Error saying why no attempt may be made.
	Begin(peer ID, from net.Addr) (secret []byte, done func(Outcome), err error)
}

// A ProofJudge is a Gate that says itself what a wrong proof was: an unattended computer answers WrongPassword,
// or that its password has changed since that technician last proved it, where a support key says WrongKey.
type ProofJudge interface {
	Gate
	// WrongProof returns the error (a *protocol.Error) sent to the dialer whose certificate is peer after its
	// proof failed.
	WrongProof(peer ID) error
}

// Outcome is how a confirmation attempt ended.
type Outcome int

// The outcomes of a confirmation attempt.
const (
	// Abandoned: the dialer went away, stalled or sent nonsense before its proof: it had nothing to check a
	// guess of the key against, so the attempt costs the key nothing.
	Abandoned Outcome = iota
	// Failed: the dialer's proof was wrong, one guess of the key.
	Failed
	// Confirmed: the dialer proved the key.
	Confirmed
)

// KeyState says where a support key stands.
type KeyState int

// The states of a support key.
const (
	KeyWaiting KeyState = iota // nobody has joined yet
	KeyUsed                    // a customer joined; the key is spent
	KeyExpired                 // nobody joined within KeyLifetime
	KeyRetired                 // MaxKeyAttempts confirmations failed
)

// Limits on the attempts at one key, so that strangers who reach the listener cannot keep the customer out:
// failures are counted per source as well as in all, and attempts under way are capped, per source and in all.
// A source is a network address (IPv4, or the /64 of IPv6), or what a listener names it for paths
// (Listener.ServePath: the rendezvous's mailbox of one claim).
const (
	// MaxSourceFailures is how many wrong proofs one source may give before it is refused, without counting
	// against the key: a single stranger cannot retire it, and a customer who mistypes has three tries.
	MaxSourceFailures = 3
	// MaxSourceInFlight is how many attempts one source may have under way at once (and never more than it has
	// failures left).
	MaxSourceInFlight = 2
	// MaxInFlight is how many attempts may be under way at once in all. An attempt under way may turn out a
	// wrong proof, so strangers from many sources can make at most MaxKeyAttempts-1+MaxInFlight guesses before
	// the key retires.
	MaxInFlight = 8
)

// SupportKey is the Gate of an attended session: one key, spent by Spend when its customer has joined, at most
// MaxKeyAttempts wrong proofs (MaxSourceFailures from any one source), and KeyLifetime to be used.
type SupportKey struct {
	key     string
	secret  string // what the confirmation uses: the whole key, or the part after a nameplate
	expires time.Time
	now     func() time.Time

	mu       sync.Mutex
	failures int
	inFlight int
	sources  map[string]*sourceAttempts
	used     bool
	changed  chan struct{} // closed and replaced on every state change
}

// sourceAttempts is what one source has done with a key.
type sourceAttempts struct{ inFlight, failures int }

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
	return &SupportKey{key: key, secret: key, expires: now().Add(lifetime), now: now, changed: make(chan struct{}),
		sources: make(map[string]*sourceAttempts)}
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

// Begin implements Gate. Only wrong proofs count against the key; a source with MaxSourceFailures of them is
// refused without counting, so one stranger cannot retire the key, and attempts under way are capped per source
// and in all.
func (k *SupportKey) Begin(_ ID, from net.Addr) ([]byte, func(Outcome), error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch k.stateLocked() {
	case KeyUsed:
		return nil, nil, &protocol.Error{Code: protocol.KeyExpired, Detail: "support key already used"}
	case KeyRetired:
		return nil, nil, &protocol.Error{Code: protocol.TooManyAttempts, Detail: "support key retired after failed attempts"}
	case KeyExpired:
		return nil, nil, &protocol.Error{Code: protocol.KeyExpired, Detail: "support key expired"}
	}
	src := SourceOf(from)
	sa := k.sources[src]
	var seen sourceAttempts
	if sa != nil {
		seen = *sa
	}
	switch {
	case seen.failures >= MaxSourceFailures:
		return nil, nil, &protocol.Error{Code: protocol.TooManyAttempts, Detail: "too many wrong keys from " + src}
	case seen.inFlight >= MaxSourceInFlight || seen.failures+seen.inFlight >= MaxSourceFailures || k.inFlight >= MaxInFlight:
		return nil, nil, &protocol.Error{Code: protocol.Busy, Detail: "too many attempts under way"}
	}
	// Only sources with an attempt under way or a wrong proof are remembered: fewer than
	// MaxKeyAttempts+MaxInFlight of them.
	if sa == nil {
		sa = &sourceAttempts{}
		k.sources[src] = sa
	}
	sa.inFlight++
	k.inFlight++
	var once sync.Once
	return []byte(k.secret), func(o Outcome) { once.Do(func() { k.done(src, sa, o) }) }, nil
}

func (k *SupportKey) done(src string, sa *sourceAttempts, o Outcome) {
	k.mu.Lock()
	defer k.mu.Unlock()
	sa.inFlight--
	k.inFlight--
	if o == Failed {
		sa.failures++
		k.failures++
	}
	if sa.inFlight == 0 && sa.failures == 0 {
		delete(k.sources, src)
	}
	close(k.changed)
	k.changed = make(chan struct{})
}

// Spend marks the key used: its customer has joined, and nobody else may.
func (k *SupportKey) Spend() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.used {
		k.used = true
		close(k.changed)
		k.changed = make(chan struct{})
	}
}

// SourceOf names where an attempt comes from for the limits: the IP address (IPv4) or its /64 (IPv6) of a
// network address, or its String for other kinds.
func SourceOf(a net.Addr) string {
	var ip net.IP
	switch a := a.(type) {
	case nil:
		return ""
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	case sourceAddr:
		return string(a)
	default:
		return a.String()
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// sourceAddr is a source named by a listener's caller (ServePath), as a net.Addr.
type sourceAddr string

func (s sourceAddr) Network() string { return "tandem-source" }
func (s sourceAddr) String() string  { return string(s) }
