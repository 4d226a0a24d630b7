package main

import (
	"os/exec"
	"syscall"
)

// startDetached starts name with args in a process of its own, which outlives this one.
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	const detachedProcess = 0x00000008
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | detachedProcess}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
