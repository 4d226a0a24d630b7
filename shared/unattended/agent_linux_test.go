package unattended

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// The local channel serves only the user that MayUse names: another user (here the "nobody" account, which
// needs root to become) is told NotAllowed.
func TestLocalChannelRefusesAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root; this test must run there")
		}
		t.Skip("needs root to run a process as another user")
	}
	// A folder the other user may enter, for the socket and a copy of this test program.
	shared, err := os.MkdirTemp("", "tandem-agent-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	a := startAgentAt(t, filepath.Join(shared, "run", "agent.sock")) // serves uid 0 only
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(shared, "child.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil { //nolint:gosec // the other user must run it
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe)
	cmd.Env = append(os.Environ(), "TANDEM_TEST_SOCKET="+a.cfg.Socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	// This test's own user is served.
	if _, err := a.adminStatus(t); err != nil {
		t.Fatalf("root: %v", err)
	}
}
