//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// startDetached starts a program in a session of its own, which outlives this one (the desktop's, from then on).
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
