package unattended

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// The lockout: MaxWrongPasswords wrong passwords in a row lock unattended access for LockFor.
const (
	MaxWrongPasswords = 5
	LockFor           = 15 * time.Minute
	// maxInFlight caps the password attempts under way at once, so that a burst cannot make many more than
	// MaxWrongPasswords guesses before the lock.
	maxInFlight = 2
	// MaxTechnicians bounds the list of technicians' computers that may connect.
	MaxTechnicians = 64
	stateFile      = "computer.json"
	stateVersion   = 1
)

// Technician is one technician's computer that may connect: its Tandem Expert's certificate fingerprint, pinned
// when unattended access was set up with it.
type Technician struct {
	ID    transport.ID
	Name  string
	Added time.Time
	// LastSeen is when this technician last proved the password (zero: never since it was set up).
	LastSeen time.Time
	// Rendezvous is the URL of the rendezvous through which the technician set access up; empty for a direct
	// link. The agent keeps the computer present there, so that the technician reaches it from anywhere.
	Rendezvous string
	// generation is the password generation this technician last proved (or was set up with).
	generation int
}

// Status is what the customer's Unattended access window shows.
type Status struct {
	ID          transport.ID
	SetUp       bool // a password is set
	Blocked     bool
	Technicians []Technician
	// Failures is the wrong passwords since the last right one or the last lock.
	Failures    int
	LockedUntil time.Time // zero when not locked
}

// Computer is the agent's persistent state: the identity, the password's secret, the policy and the lockout,
// in one file only the agent's account may read, rewritten atomically on every change. Safe for concurrent use.
// It is the agent's transport.Gate.
type Computer struct {
	dir string
	log *Log
	now func() time.Time

	mu       sync.Mutex
	id       *transport.Identity
	st       fileState
	inFlight int
	changed  chan struct{}
	refusals refusalBudget // c.mu
}

// Refusals before any proof cost nothing to make, so the log takes at most maxRefusalsLogged of them a minute:
// a stranger hammering the port cannot push the real entries out of the log (it keeps 1 MiB or more).
const (
	maxRefusalsLogged = 20
	refusalWindow     = time.Minute
)

// refusalBudget counts the refusals logged in the current window, and those left out.
type refusalBudget struct {
	start         time.Time
	logged, quiet int
	log           *Log
}

// allow reports whether one more refusal may be logged now; when a new window starts, it first logs how many
// the last one left out.
func (b *refusalBudget) allow(now time.Time) bool {
	if now.Sub(b.start) >= refusalWindow {
		if b.quiet > 0 {
			_ = b.log.Add(Entry{What: EventRefusedMore, Detail: strconv.Itoa(b.quiet)})
		}
		b.start, b.logged, b.quiet = now, 0, 0
	}
	if b.logged >= maxRefusalsLogged {
		b.quiet++
		return false
	}
	b.logged++
	return true
}

// fileState is what stateFile holds.
type fileState struct {
	Version     int              `json:"version"`
	Identity    string           `json:"identity"` // transport.Identity.MarshalPEM
	Secret      []byte           `json:"secret,omitempty"`
	Generation  int              `json:"generation"`
	Blocked     bool             `json:"blocked"`
	Technicians []fileTechnician `json:"technicians"`
	Failures    int              `json:"failures"`
	LockedUntil time.Time        `json:"locked_until,omitzero"`
}

type fileTechnician struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Added      time.Time `json:"added"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Generation int       `json:"generation"`
	Rendezvous string    `json:"rendezvous,omitempty"`
}

// OpenComputer reads the state kept in dir, or makes a fresh identity there (with no password yet) when dir
// holds none. dir is created owner-only.
func OpenComputer(dir string) (*Computer, error) {
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return nil, fmt.Errorf("unattended state: %w", err)
	}
	if err := makePrivate(dir); err != nil {
		return nil, fmt.Errorf("unattended state: %w", err)
	}
	c := &Computer{dir: dir, log: OpenLog(dir), now: time.Now, changed: make(chan struct{})}
	c.refusals.log = c.log
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if c.id, err = transport.NewIdentity(); err != nil {
			return nil, err
		}
		pemBytes, err := c.id.MarshalPEM()
		if err != nil {
			return nil, err
		}
		c.st = fileState{Version: stateVersion, Identity: string(pemBytes), Generation: 1}
		if err := c.saveLocked(); err != nil {
			return nil, err
		}
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("unattended state: %w", err)
	}
	if err := json.Unmarshal(b, &c.st); err != nil {
		return nil, fmt.Errorf("unattended state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if c.st.Version != stateVersion {
		return nil, fmt.Errorf("unattended state %s: version %d, this program reads %d", dir, c.st.Version, stateVersion)
	}
	if c.id, err = transport.ParseIdentity([]byte(c.st.Identity)); err != nil {
		return nil, fmt.Errorf("unattended state %s: %w", dir, err)
	}
	return c, nil
}

// saveLocked writes the state to a temporary file, syncs it and renames it over the old one.
func (c *Computer) saveLocked() error {
	b, err := json.MarshalIndent(c.st, "", "  ")
	if err != nil {
		return fmt.Errorf("unattended state: %w", err)
	}
	f, err := os.CreateTemp(c.dir, stateFile+".*")
	if err != nil {
		return fmt.Errorf("unattended state: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // after a successful rename there is nothing to remove
	if err = f.Chmod(privateFileMode); err == nil {
		if _, err = f.Write(b); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(c.dir, stateFile))
	}
	if err != nil {
		return fmt.Errorf("unattended state: %w", err)
	}
	return nil
}

// Identity returns the computer's persistent identity.
func (c *Computer) Identity() *transport.Identity { return c.id }

// ID returns the computer ID (the identity's certificate fingerprint).
func (c *Computer) ID() transport.ID { return c.id.ID() }

// Log returns the access log.
func (c *Computer) Log() *Log { return c.log }

// Changed returns a channel closed at the next change of the state (block, password, list, lockout).
func (c *Computer) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

func (c *Computer) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Status returns the state for the customer's window.
func (c *Computer) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{ID: c.ID(), SetUp: len(c.st.Secret) > 0, Blocked: c.st.Blocked, Failures: c.st.Failures}
	if c.now().Before(c.st.LockedUntil) {
		s.LockedUntil = c.st.LockedUntil
	}
	for _, ft := range c.st.Technicians {
		if t, ok := ft.technician(); ok {
			s.Technicians = append(s.Technicians, t)
		}
	}
	return s
}

// file is the technician as the state file and the local channel hold it (technician reads it back).
func (t Technician) file() fileTechnician {
	return fileTechnician{ID: t.ID.String(), Name: t.Name, Added: t.Added, LastSeen: t.LastSeen, Generation: t.generation,
		Rendezvous: t.Rendezvous}
}

func (ft fileTechnician) technician() (Technician, bool) {
	id, err := transport.ParseID(ft.ID)
	if err != nil {
		return Technician{}, false
	}
	return Technician{ID: id, Name: ft.Name, Added: ft.Added, LastSeen: ft.LastSeen, Rendezvous: ft.Rendezvous,
		generation: ft.Generation}, true
}

// SetUp stores the secret of a new password (Secret(password, ID())) and adds the technician who set it up to
// the list. Every secret stored before stops working: the technicians already on the list keep their place
// but must give the new password (they are told PasswordChanged).
func (c *Computer) SetUp(secret []byte, tech Technician) error {
	if err := checkSecret(secret); err != nil {
		return err
	}
	err := c.update(func(st *fileState) error {
		if len(st.Secret) > 0 {
			st.Generation++
		}
		st.Secret = slices.Clone(secret)
		st.Failures, st.LockedUntil = 0, time.Time{}
		st.Technicians = slices.Clone(st.Technicians) // the state before keeps its own list, should this fail
		return c.putTechnicianLocked(tech)
	})
	if err == nil {
		_ = c.log.Add(Entry{What: EventSetUp, Technician: tech.Name, TechnicianID: tech.ID.String()})
	}
	return err
}

// checkSecret refuses what is not a Secret.
func checkSecret(secret []byte) error {
	if len(secret) != SecretSize {
		return fmt.Errorf("unattended: a secret has %d bytes, not %d", SecretSize, len(secret))
	}
	return nil
}

// putTechnicianLocked adds tech to the list (or renews it) at the current generation.
func (c *Computer) putTechnicianLocked(tech Technician) error {
	ft := fileTechnician{ID: tech.ID.String(), Name: tech.Name, Added: c.now().UTC(), Generation: c.st.Generation,
		Rendezvous: tech.Rendezvous}
	for i, old := range c.st.Technicians {
		if old.ID == ft.ID {
			ft.Added, ft.LastSeen = old.Added, old.LastSeen
			c.st.Technicians[i] = ft
			return nil
		}
	}
	if len(c.st.Technicians) >= MaxTechnicians {
		return fmt.Errorf("unattended: already %d technicians on the list", MaxTechnicians)
	}
	c.st.Technicians = append(c.st.Technicians, ft)
	return nil
}

// ChangePassword replaces the secret: every technician's stored password stops working at once.
func (c *Computer) ChangePassword(secret []byte) error {
	if err := checkSecret(secret); err != nil {
		return err
	}
	err := c.update(func(st *fileState) error {
		st.Secret = slices.Clone(secret)
		st.Generation++
		st.Failures, st.LockedUntil = 0, time.Time{}
		return nil
	})
	if err == nil {
		_ = c.log.Add(Entry{What: EventPasswordChanged})
	}
	return err
}

// SetBlocked blocks unattended access (nobody may connect; the agent ends a running session) or allows it again.
func (c *Computer) SetBlocked(blocked bool) error {
	err := c.update(func(st *fileState) error {
		st.Blocked = blocked
		return nil
	})
	if err == nil {
		what := EventUnblocked
		if blocked {
			what = EventBlocked
		}
		_ = c.log.Add(Entry{What: what})
	}
	return err
}

// RemoveTechnician takes a technician's computer off the list.
func (c *Computer) RemoveTechnician(id transport.ID) error {
	var name string
	err := c.update(func(st *fileState) error {
		st.Technicians = slices.DeleteFunc(slices.Clone(st.Technicians), func(ft fileTechnician) bool {
			if ft.ID == id.String() {
				name = ft.Name
				return true
			}
			return false
		})
		return nil
	})
	if err == nil && name != "" {
		_ = c.log.Add(Entry{What: EventRemoved, Technician: name, TechnicianID: id.String()})
	}
	return err
}

// update changes the state with f (under c.mu) and saves it; when f or the save fails, the state is as before.
func (c *Computer) update(f func(*fileState) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.st
	err := f(&c.st)
	if err == nil {
		err = c.saveLocked()
	}
	if err != nil {
		c.st = prev
		return err
	}
	c.notifyLocked()
	return nil
}

// Rendezvous returns the rendezvous through which the technicians on the list set access up, each once, in
// order; none while no password is set.
func (c *Computer) Rendezvous() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if len(c.st.Secret) == 0 {
		return nil
	}
	for _, ft := range c.st.Technicians {
		if ft.Rendezvous != "" && !slices.Contains(out, ft.Rendezvous) {
			out = append(out, ft.Rendezvous)
		}
	}
	slices.Sort(out)
	return out
}

// Blocked reports whether the user has blocked unattended access.
func (c *Computer) Blocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Blocked
}

// technicianLocked returns the index of the technician whose computer is id, or -1.
func (c *Computer) technicianLocked(id transport.ID) int {
	s := id.String()
	return slices.IndexFunc(c.st.Technicians, func(ft fileTechnician) bool { return ft.ID == s })
}

// Technician returns the list's entry for the technician's computer id.
func (c *Computer) Technician(id transport.ID) (Technician, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.technicianLocked(id)
	if i < 0 {
		return Technician{}, false
	}
	return c.st.Technicians[i].technician()
}

// Begin implements transport.Gate: it refuses when no password is set, when access is blocked or locked, when
// the technician's computer is not on the list, and when attempts are already under way; every refusal and
// every wrong password is logged.
func (c *Computer) Begin(peer transport.ID, from net.Addr) ([]byte, func(transport.Outcome), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	src := ""
	if from != nil {
		src = from.String()
	}
	i := c.technicianLocked(peer)
	name := ""
	if i >= 0 {
		name = c.st.Technicians[i].Name
	}
	refuse := func(what Event, code protocol.Code, detail string) ([]byte, func(transport.Outcome), error) {
		if c.refusals.allow(c.now()) {
			_ = c.log.Add(Entry{What: what, Technician: name, TechnicianID: peer.String(), From: src})
		}
		return nil, nil, &protocol.Error{Code: code, Detail: detail}
	}
	switch {
	case len(c.st.Secret) == 0:
		return refuse(EventRefusedUnknown, protocol.NotAllowed, "unattended access is not set up")
	case c.st.Blocked:
		return refuse(EventRefusedBlocked, protocol.Blocked, "unattended access is blocked")
	case c.now().Before(c.st.LockedUntil):
		return refuse(EventRefusedLocked, protocol.Locked, "locked until "+c.st.LockedUntil.Format(time.RFC3339))
	case i < 0:
		return refuse(EventRefusedUnknown, protocol.NotAllowed, "this technician's computer is not on the list")
	case c.inFlight >= maxInFlight:
		return nil, nil, &protocol.Error{Code: protocol.Busy, Detail: "password attempts under way"}
	}
	c.inFlight++
	secret := slices.Clone(c.st.Secret)
	var once sync.Once
	return secret, func(o transport.Outcome) {
		once.Do(func() { c.done(peer, name, src, secret, o) })
	}, nil
}

// WrongProof implements transport.ProofJudge: a technician who last proved an older password is told the
// password changed; anyone else that it is wrong.
func (c *Computer) WrongProof(peer transport.ID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.technicianLocked(peer); i >= 0 && c.st.Technicians[i].Generation < c.st.Generation {
		return &protocol.Error{Code: protocol.PasswordChanged, Detail: "the password changed"}
	}
	return &protocol.Error{Code: protocol.WrongPassword, Detail: "wrong password"}
}

// done counts an attempt's outcome: a wrong password towards the lock, a right one clears the count and
// brings the technician up to the current password.
func (c *Computer) done(peer transport.ID, name, src string, secret []byte, o transport.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	switch o {
	case transport.Failed:
		c.st.Failures++
		entries := []Entry{{What: EventWrongPassword, Technician: name, TechnicianID: peer.String(), From: src}}
		if c.st.Failures >= MaxWrongPasswords {
			c.st.LockedUntil = c.now().Add(LockFor).UTC()
			c.st.Failures = 0
			entries = append(entries, Entry{What: EventLocked, Detail: "until " + c.st.LockedUntil.Format(time.RFC3339)})
		}
		_ = c.saveLocked()
		for _, e := range entries {
			_ = c.log.Add(e)
		}
	case transport.Confirmed:
		// The password proved is the one handed out by Begin; it may have changed since.
		if subtle.ConstantTimeCompare(secret, c.st.Secret) == 1 {
			c.st.Failures = 0
			if i := c.technicianLocked(peer); i >= 0 {
				c.st.Technicians[i].Generation = c.st.Generation
				c.st.Technicians[i].LastSeen = c.now().UTC()
			}
		}
		_ = c.saveLocked()
	default:
		return
	}
	c.notifyLocked()
}
