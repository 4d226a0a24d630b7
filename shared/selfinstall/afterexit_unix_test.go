//go:build unix

package selfinstall

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAfterExitWaitsForTheProcess runs what macOS's removal runs (a shell that waits for the program to exit,
// then runs a command), with touch in place of osascript.
func TestAfterExitWaitsForTheProcess(t *testing.T) {
	program := exec.Command("sleep", "60") // stands for the running program
	if err := program.Start(); err != nil {
		t.Fatal(err)
	}
	done := filepath.Join(t.TempDir(), `it's "odd" $(x) & done.txt`) // passed as is, never parsed
	if err := afterExit(program.Process.Pid, "touch", done); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // three turns of the helper's loop
	if _, err := os.Stat(done); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the command ran while the program was still running: %v", err)
	}
	_ = program.Process.Kill()
	_ = program.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not run after the program exited")
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Dir(done))
	if len(entries) != 1 || !strings.Contains(entries[0].Name(), `"odd" $(x)`) {
		t.Fatalf("files: %v", entries)
	}
	if err := afterExit(1); err == nil {
		t.Fatal("nothing to run was accepted")
	}
}
