//go:build windows

package unattended

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the local channel is a named pipe (\\.\pipe\tandem-agent) whose ACL lets only the system, the
// administrators and interactive users (those logged in at a screen) open it; the agent then asks which process
// opened it and serves only the system and the processes of the session at the console (see peerUID). The
// pipe's handles are opened for overlapped I/O, so the runtime's poller serves them and deadlines work.

// pipeSDDL: full access for SYSTEM and Administrators, read and write for interactive users; nothing for network
// logons or services, and remote clients are refused by the pipe mode.
const pipeSDDL = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;IU)"

// pipeBuffer is each direction's buffer of a pipe instance.
const pipeBuffer = 64 << 10

// pipeListener hands out one pipe instance per program that opens the local channel.
type pipeListener struct {
	name  string
	sa    *windows.SecurityAttributes
	first bool // the next instance is the first: nobody else may have created the pipe before the agent

	mu      sync.Mutex
	closed  bool
	pending windows.Handle // the instance for the next client (0: none yet)
	waiting bool           // accept waits on pending: Close cancels the wait, and accept closes it
}

// pipeConn is an opened pipe instance and the client process that opened it.
type pipeConn struct {
	*os.File
	pid uint32
}

func listenLocal(name string) (localListener, error) {
	if !strings.HasPrefix(name, `\\.\pipe\`) {
		return nil, fmt.Errorf("local channel: %q is not a named pipe (\\\\.\\pipe\\…)", name)
	}
	sd, err := windows.SecurityDescriptorFromString(pipeSDDL)
	if err != nil {
		return nil, fmt.Errorf("local channel: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	l := &pipeListener{name: name, sa: sa, first: true}
	// The first instance is made now, so that a pipe of that name squatted by another program fails the start.
	h, err := l.instance()
	if err != nil {
		return nil, err
	}
	l.pending = h
	return l, nil
}

// instance creates a pipe instance for the next client.
func (l *pipeListener) instance() (windows.Handle, error) {
	name, err := windows.UTF16PtrFromString(l.name)
	if err != nil {
		return windows.InvalidHandle, err
	}
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if l.first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	h, err := windows.CreateNamedPipe(name, flags, windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|
		windows.PIPE_REJECT_REMOTE_CLIENTS, windows.PIPE_UNLIMITED_INSTANCES, pipeBuffer, pipeBuffer, 0, l.sa)
	if err != nil {
		return windows.InvalidHandle, fmt.Errorf("local channel: creating %s: %w", l.name, err)
	}
	l.first = false
	return h, nil
}

// accept waits for a program to open the pipe and returns its end, with the client's process ID. A client that
// goes away while it is accepted costs nothing: accept waits for the next, until Close.
func (l *pipeListener) accept() (localConn, error) {
	for {
		c, err := l.acceptOnce()
		if err == nil || errors.Is(err, os.ErrClosed) {
			return c, err
		}
		time.Sleep(10 * time.Millisecond) // not a loop that eats the processor if the pipe keeps failing
	}
}

func (l *pipeListener) acceptOnce() (localConn, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, os.ErrClosed
	}
	h := l.pending
	if h == 0 {
		var err error
		if h, err = l.instance(); err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.pending = h
	}
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("local channel: %w", err)
	}
	defer func() { _ = windows.CloseHandle(ev) }()
	ov := &windows.Overlapped{HEvent: ev}
	// Issued under the lock: Close, which takes it, then finds the wait to cancel.
	err = windows.ConnectNamedPipe(h, ov)
	l.waiting = true
	l.mu.Unlock()
	switch {
	case err == nil || errors.Is(err, windows.ERROR_PIPE_CONNECTED):
	case errors.Is(err, windows.ERROR_IO_PENDING):
		var n uint32
		err = windows.GetOverlappedResult(h, ov, &n, true)
	}
	l.mu.Lock()
	l.pending, l.waiting = 0, false
	closed := l.closed
	if !closed && (err == nil || errors.Is(err, windows.ERROR_PIPE_CONNECTED)) {
		// The next program finds an instance waiting while this one is served.
		if next, nerr := l.instance(); nerr == nil {
			l.pending = next
		}
	}
	l.mu.Unlock()
	if closed || (err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED)) {
		_ = windows.CloseHandle(h)
		if closed {
			return nil, os.ErrClosed
		}
		return nil, fmt.Errorf("local channel: %w", err)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(h, &pid); err != nil {
		_ = windows.CloseHandle(h)
		return nil, fmt.Errorf("local channel: the client's process: %w", err)
	}
	return &pipeConn{File: os.NewFile(uintptr(h), l.name), pid: pid}, nil
}

// Close stops accepting: a wait for a client is cancelled.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	switch {
	case l.pending != 0 && l.waiting:
		_ = windows.CancelIoEx(l.pending, nil) // accept wakes up, sees closed and closes it
	case l.pending != 0:
		_ = windows.CloseHandle(l.pending)
		l.pending = 0
	}
	return nil
}

// dialLocalConn opens the agent's pipe for overlapped I/O.
func dialLocalConn(ctx context.Context, name string) (localConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	for {
		h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED, 0)
		if err == nil {
			return os.NewFile(uintptr(h), name), nil
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) { // every instance is taken: one comes back in a moment
			return nil, fmt.Errorf("opening %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("opening %s: %w", name, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// peerUID says who opened the pipe, in the terms of AgentConfig.MayUse: 0 for the system itself (LocalSystem),
// else 1 + the Windows session of the client's process.
func peerUID(lc localConn) (uint32, error) {
	c, ok := lc.(*pipeConn)
	if !ok {
		return 0, fmt.Errorf("local channel: a %T, not a named pipe", lc)
	}
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, c.pid)
	if err != nil {
		return 0, fmt.Errorf("local channel: the client's process: %w", err)
	}
	defer func() { _ = windows.CloseHandle(p) }()
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return 0, fmt.Errorf("local channel: the client's token: %w", err)
	}
	defer func() { _ = tok.Close() }()
	u, err := tok.GetTokenUser()
	if err != nil {
		return 0, fmt.Errorf("local channel: the client's user: %w", err)
	}
	if u.User.Sid.IsWellKnown(windows.WinLocalSystemSid) {
		return 0, nil
	}
	var session uint32
	if err := windows.ProcessIdToSessionId(c.pid, &session); err != nil {
		return 0, fmt.Errorf("local channel: the client's session: %w", err)
	}
	return session + 1, nil
}
