package unattended

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Event is what an access log entry records.
type Event string

// The events of the access log.
const (
	EventConnected       Event = "connected"        // a technician proved the password; their session starts
	EventWrongPassword   Event = "wrong-password"   // a technician's computer on the list gave a wrong password
	EventLocked          Event = "locked"           // MaxWrongPasswords in a row: access locked for LockFor
	EventRefusedBlocked  Event = "refused-blocked"  // an attempt while access was blocked
	EventRefusedLocked   Event = "refused-locked"   // an attempt while access was locked
	EventRefusedUnknown  Event = "refused-unknown"  // a computer that is not on the list tried
	EventRefusedMore     Event = "refused-more"     // more refusals than the log takes in a minute (Detail: how many)
	EventNobodyLoggedIn  Event = "nobody-logged-in" // the password was right, but no helper runs to show a screen
	EventSessionEnded    Event = "session-ended"    // an unattended session ended (Duration says how long it ran)
	EventViewed          Event = "viewed"           // the technician saw the screen
	EventControlled      Event = "controlled"       // the technician controlled the computer
	EventFileSent        Event = "file-sent"        // a file went to the technician (Detail: its name)
	EventFileReceived    Event = "file-received"    // a file came from the technician (Detail: its name)
	EventSetUp           Event = "set-up"           // unattended access was set up for a technician
	EventBlocked         Event = "blocked"          // the user blocked unattended access
	EventUnblocked       Event = "unblocked"        // the user allowed it again
	EventPasswordChanged Event = "password-changed" // the user changed the password
	EventRemoved         Event = "technician-removed"
)

// Entry is one line of the access log.
type Entry struct {
	At           time.Time     `json:"at"`
	What         Event         `json:"what"`
	Technician   string        `json:"technician,omitempty"`    // the name the technician gave
	TechnicianID string        `json:"technician_id,omitempty"` // their computer's certificate fingerprint
	From         string        `json:"from,omitempty"`          // the network address the attempt came from
	Duration     time.Duration `json:"duration,omitempty"`
	Detail       string        `json:"detail,omitempty"`
}

// Limits of the access log: when the file passes MaxLogBytes it becomes the previous log (one is kept), so the
// log takes at most twice that on disk and always holds the last MaxLogBytes or more.
const (
	MaxLogBytes      = 1 << 20
	maxLogLine       = 4096
	logFile          = "access.log"
	previousLogFile  = "access.log.1"
	privateFileMode  = 0o600
	privateDirMode   = 0o700
	maxDetailLength  = 512
	maxNameInLogLine = 256
)

// Log is the computer's access log: JSON lines in a file only its owner can read, appended and synced one entry
// at a time so that a crash loses nothing already logged. Safe for concurrent use.
type Log struct {
	dir string
	mu  sync.Mutex
}

// OpenLog returns the access log kept in dir (which must exist).
func OpenLog(dir string) *Log { return &Log{dir: dir} }

// Add appends e (At set to now when zero).
func (l *Log) Add(e Entry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.Technician = clip(e.Technician, maxNameInLogLine)
	e.Detail = clip(e.Detail, maxDetailLength)
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	path := filepath.Join(l.dir, logFile)
	if fi, err := os.Stat(path); err == nil && fi.Size()+int64(len(b)) >= MaxLogBytes {
		if err := os.Rename(path, filepath.Join(l.dir, previousLogFile)); err != nil {
			return fmt.Errorf("access log: rotating: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, privateFileMode)
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	return nil
}

// Read returns the last n entries (all with n <= 0), oldest first. Lines it cannot read are skipped.
func (l *Log) Read(n int) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for _, name := range []string{previousLogFile, logFile} {
		es, err := readLog(filepath.Join(l.dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

func readLog(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	defer func() { _ = f.Close() }()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, maxLogLine), maxLogLine)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.What != "" {
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return out, fmt.Errorf("access log: %w", err)
	}
	return out, nil
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
