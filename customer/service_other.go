//go:build !windows

package main

import "github.com/tandem-remote/tandem/shared/unattended"

// runAsService is for Windows's service manager; elsewhere the system's service starts the agent as a program.
func runAsService(unattended.AgentConfig) (handled bool, code int) { return false, 0 }
