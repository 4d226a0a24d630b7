//go:build unix

package selfinstall

import (
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
)

// afterExit starts, in a session of its own (so that it outlives this program), a shell that waits for process
// pid to exit and then runs argv. The arguments never pass through the shell's parser.
func afterExit(pid int, argv ...string) error {
	if len(argv) == 0 {
		return fmt.Errorf("selfinstall: nothing to run after exit")
	}
	script := `while kill -0 "$0" 2>/dev/null; do sleep 0.2; done; exec "$@"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, strconv.Itoa(pid)}, argv...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("selfinstall: starting the removal: %w", err)
	}
	// Reaped by this program while it lives (so that tests leave no zombie), by init once it has exited.
	go func() { _ = cmd.Wait() }()
	return nil
}
