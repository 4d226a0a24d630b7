// Package unattendedtest runs unattended access's agent on loopback for other packages' tests: a real agent whose
// local channel serves the test's own user only, with an administrator's channel open to it.
package unattendedtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tandem-remote/tandem/shared/unattended"
)

// Agent is a running agent and an administrator's channel to it, both closed when the test ends.
type Agent struct {
	*unattended.Agent
	Socket string
	Admin  *unattended.Admin
}

// Start runs an agent with its state in a temporary folder, its socket in another and technicians on loopback
// (a port the system picks).
func Start(t testing.TB) *Agent {
	t.Helper()
	return StartWith(t, func(cfg *unattended.AgentConfig) { cfg.Listen = "127.0.0.1:0" })
}

// StartWith is Start with the agent's configuration changed by change (its Listen is empty unless change sets
// it: technicians then reach the agent only through a rendezvous).
func StartWith(t testing.TB, change func(*unattended.AgentConfig)) *Agent {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "agent.sock")
	a := start(t, socket, change)
	ad, err := unattended.DialAdmin(t.Context(), socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ad.Close() })
	return &Agent{Agent: a, Socket: socket, Admin: ad}
}

// StartAt runs an agent on socket whose technicians reach it at listen, and closes it when the test ends.
func StartAt(t testing.TB, socket, listen string) *unattended.Agent {
	t.Helper()
	return start(t, socket, func(cfg *unattended.AgentConfig) { cfg.Listen = listen })
}

func start(t testing.TB, socket string, change func(*unattended.AgentConfig)) *unattended.Agent {
	t.Helper()
	me := uint32(os.Getuid())
	cfg := unattended.AgentConfig{Dir: filepath.Join(t.TempDir(), "state"), Socket: socket,
		MayUse: func(uid uint32) bool { return uid == me }}
	change(&cfg)
	a, err := unattended.StartAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}
