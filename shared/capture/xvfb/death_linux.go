package xvfb

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill Xvfb if the process that started it dies first.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
