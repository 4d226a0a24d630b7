// Package xvfb starts private Xvfb servers for tests and benchmarks that need a real X display.
//
// Each server gets a free display number from Xvfb itself (-displayfd), listens on its Unix socket only
// (-nolisten tcp), does not reset when its last client leaves (-noreset: a resetting server drops the
// connections that arrive meanwhile), and is stopped by Close (or, on Linux, killed when the process that
// started it dies).
package xvfb

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvRequire is the environment variable that, set to "require", turns a missing Xvfb from a skipped test
// into a failed one (the Makefile sets it).
const EnvRequire = "TANDEM_E2E"

// startTimeout bounds how long Start waits for the server to be ready.
const startTimeout = 15 * time.Second

// Server is a running Xvfb.
type Server struct {
	// Display is the display name to connect to, e.g. ":42".
	Display string

	cmd    *exec.Cmd
	stderr *limitedBuffer
	once   sync.Once
}

// Available reports whether the Xvfb program is installed.
func Available() bool {
	_, err := exec.LookPath("Xvfb")
	return err == nil
}

// Start starts an Xvfb with one screen of w×h pixels at depth 24 and returns once it accepts connections.
func Start(w, h int) (*Server, error) {
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		return nil, fmt.Errorf("xvfb: %w", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("xvfb: pipe: %w", err)
	}
	defer func() { _ = pr.Close() }()
	s := &Server{stderr: &limitedBuffer{max: 8 << 10}}
	s.cmd = exec.Command(path, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	s.cmd.ExtraFiles = []*os.File{pw} // fd 3 in the child
	s.cmd.Stderr = s.stderr
	setDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		_ = pw.Close()
		return nil, fmt.Errorf("xvfb: starting %s: %w", path, err)
	}
	_ = pw.Close() // the child has its copy: EOF on pr means it exited

	// Xvfb writes the display number and a newline once it is ready.
	_ = pr.SetReadDeadline(time.Now().Add(startTimeout))
	var line []byte
	buf := make([]byte, 16)
	for !bytes.Contains(line, []byte("\n")) && len(line) < 64 {
		n, err := pr.Read(buf)
		line = append(line, buf[:n]...)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("xvfb: waiting for the display number: %w (stderr: %s)", err, s.stderr.String())
		}
	}
	num, err := strconv.Atoi(strings.TrimSpace(string(line)))
	if err != nil || num < 0 {
		s.Close()
		return nil, fmt.Errorf("xvfb: display number %q: %w", line, err)
	}
	s.Display = ":" + strconv.Itoa(num)
	return s, nil
}

// Close stops the server and waits for it to exit. Calling it again does nothing.
func (s *Server) Close() {
	s.once.Do(func() {
		if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
			_ = s.cmd.Process.Kill()
		}
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }() // ends when the process does; Close waits for it below
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	})
}

// ForTest starts a server for a test and stops it when the test ends. Without Xvfb it skips the test, or
// fails it when the environment variable TANDEM_E2E is "require".
func ForTest(tb testing.TB, w, h int) *Server {
	tb.Helper()
	if !Available() {
		if os.Getenv(EnvRequire) == "require" {
			tb.Fatalf("Xvfb is not installed and %s=require", EnvRequire)
		}
		tb.Skip("Xvfb is not installed (set TANDEM_E2E=require to fail instead)")
	}
	s, err := Start(w, h)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}
