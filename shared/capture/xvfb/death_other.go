//go:build !linux

package xvfb

import "os/exec"

// setDeathSignal does nothing here: Close must stop the server.
func setDeathSignal(*exec.Cmd) {}
