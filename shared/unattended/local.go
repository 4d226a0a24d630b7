package unattended

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// The local channel between the agent and the programs of the logged-in user (the helper, and Tandem Customer's
// Unattended access window) is a Unix socket that anyone may open and the agent then checks: it reads the peer's
// user from the kernel (SO_PEERCRED) and serves only the user of the active graphical session and the system's
// administrator; anyone else is told NotAllowed and cut off. Messages are JSON lines of at most maxLocalLine
// bytes; the first line says which of the two roles the peer takes.
const (
	maxLocalLine = 1 << 20
	// MaxLogRead bounds how many log entries one request returns.
	MaxLogRead = 1000
	// localTimeout bounds a request on the local channel.
	localTimeout = 30 * time.Second
)

// The operations on the local channel.
const (
	opHelloHelper = "hello-helper" // peer → agent: I show the screen of this user's session
	opHelloAdmin  = "hello-admin"  // peer → agent: I manage access (Tandem Customer's window)
	opWelcome     = "welcome"      // agent → peer: served (ComputerID set)
	opRefused     = "refused"      // agent → peer: not served (Code says why); the agent closes the channel

	opOpen   = "open"   // agent → helper: join this technician's session (ID, Name, TechID, Link)
	opOpened = "opened" // helper → agent: joined (Code NoError) or not (Code), for the open with ID
	opEvent  = "event"  // helper → agent: something of session ID for the log (What, Detail, Duration)
	opEnd    = "end"    // agent → helper: end session ID at once (Code: Blocked, NotAllowed)

	opSetUp          = "set-up"          // admin → agent: let this technician in with this password (TechID, Name, Password, Rendezvous)
	opStatus         = "status"          // admin → agent → admin (Status)
	opSetBlocked     = "set-blocked"     // admin → agent (Blocked)
	opChangePassword = "change-password" // admin → agent (Password)
	opRemove         = "remove"          // admin → agent (TechID)
	opReadLog        = "log"             // admin → agent (N) → admin (Log)
	opReply          = "reply"           // agent → admin: the answer to the last request (Code, Error)
)

// localMsg is one line of the local channel.
type localMsg struct {
	Op       string        `json:"op"`
	ID       uint64        `json:"id,omitempty"`
	Code     protocol.Code `json:"code,omitempty"`
	Error    string        `json:"error,omitempty"` // a local failure, in English, for the log of the program that asked
	Name     string        `json:"name,omitempty"`
	TechID   string        `json:"tech_id,omitempty"`
	Link     string        `json:"link,omitempty"`
	What     Event         `json:"what,omitempty"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Blocked  bool          `json:"blocked,omitempty"`
	Password string        `json:"password,omitempty"`
	N        int           `json:"n,omitempty"`
	Computer string        `json:"computer,omitempty"`
	Status   *wireStatus   `json:"status,omitempty"`
	Log      []Entry       `json:"log,omitempty"`
	// Rendezvous is the URL of the rendezvous a technician set access up through (set-up).
	Rendezvous string `json:"rendezvous,omitempty"`
}

// wireStatus is Status on the local channel.
type wireStatus struct {
	ID          string           `json:"id"`
	SetUp       bool             `json:"set_up"`
	Blocked     bool             `json:"blocked"`
	Technicians []fileTechnician `json:"technicians"`
	Failures    int              `json:"failures"`
	LockedUntil time.Time        `json:"locked_until,omitzero"`
	Sessions    int              `json:"sessions"`
	Helper      bool             `json:"helper"`
}

// localConn is one end of the local channel: a Unix socket (Linux, macOS), or a named pipe (Windows).
type localConn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	SetDeadline(time.Time) error
}

// localListener accepts the local channels that programs open.
type localListener interface {
	accept() (localConn, error)
	Close() error
}

// line is one end of the local channel: JSON lines in, JSON lines out, writes from any goroutine.
type line struct {
	c  localConn
	sc *bufio.Scanner
	mu sync.Mutex
}

func newLine(c localConn) *line {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 4096), maxLocalLine)
	return &line{c: c, sc: sc}
}

func (l *line) send(m localMsg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) >= maxLocalLine {
		return fmt.Errorf("local channel: a %d-byte message", len(b))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.c.SetWriteDeadline(time.Now().Add(localTimeout))
	_, err = l.c.Write(append(b, '\n'))
	return err
}

// read returns the next message; a line over the limit or that is not a message ends the channel.
func (l *line) read() (localMsg, error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return localMsg{}, err
		}
		return localMsg{}, net.ErrClosed
	}
	var m localMsg
	if err := json.Unmarshal(l.sc.Bytes(), &m); err != nil || m.Op == "" {
		return localMsg{}, errors.New("local channel: not a message")
	}
	return m, nil
}

func (l *line) close() error { return l.c.Close() }
