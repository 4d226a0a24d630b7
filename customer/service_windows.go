package main

import (
	"log"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows/svc"

	"github.com/tandem-remote/tandem/shared/unattended"
)

// runAsService runs the agent under Windows's service manager when it started this program (handled is then
// true): the service has no console, so what the agent says goes into agent.log beside its state.
func runAsService(cfg unattended.AgentConfig) (handled bool, code int) {
	inService, err := svc.IsWindowsService()
	if err != nil || !inService {
		return false, 0
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Dir), 0o755); err == nil { //nolint:gosec // ProgramData\Tandem
		if f, err := os.OpenFile(filepath.Join(filepath.Dir(cfg.Dir), "agent.log"),
			os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
			defer func() { _ = f.Close() }()
			log.SetOutput(f)
		}
	}
	if err := svc.Run(unattended.WindowsServiceName, agentService{cfg}); err != nil {
		log.Printf("unattended access: the service: %v", err)
		return true, 1
	}
	return true, 0
}

// agentService runs the agent from the service manager's start to its stop or the system's shutdown.
type agentService struct{ cfg unattended.AgentConfig }

func (s agentService) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	a, err := unattended.StartAgent(s.cfg)
	if err != nil {
		log.Printf("starting the agent: %v", err)
		return true, 1
	}
	log.Printf("Tandem unattended access: computer %s, local channel %s", a.Computer().ID(), s.cfg.Socket)
	changes <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	defer func() { _ = a.Close() }()
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			changes <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			changes <- svc.Status{State: svc.StopPending}
			return false, 0
		}
	}
	return false, 0
}
