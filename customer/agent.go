package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/selfinstall"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// agentMain runs what the system runs of unattended access, without any window: "agent" (the service: see
// package unattended), "install" and "uninstall" (run as root through pkexec by the customer's own program).
// It returns the exit status.
func agentMain(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: tandem-customer agent [run|install|uninstall] [flags]")
		return 2
	}
	cmd, args := args[0], args[1:]
	if cmd != "run" && cmd != "install" && cmd != "uninstall" { // "agent -state …" is "agent run -state …"
		cmd, args = "run", append([]string{cmd}, args...)
	}
	if !unattended.ServiceSupported() {
		fmt.Fprintln(stderr, "unattended access is not built for this system yet")
		return 1
	}
	fs := flag.NewFlagSet("agent "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "/", "the system's root (install, uninstall)")
	switch cmd {
	case "run":
		state := fs.String("state", unattended.LocalPaths().State, "the agent's state folder")
		socket := fs.String("socket", unattended.LocalPaths().Socket, "the local channel's socket")
		listen := fs.String("listen", ":"+strconv.Itoa(unattended.DefaultPort), "UDP address for technicians of this network")
		loopback := fs.Bool("rendezvous-loopback", false, "let paths through a rendezvous use loopback addresses (a demo on one machine)")
		if fs.Parse(args) != nil || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "usage: tandem-customer agent [run|install|uninstall] [flags]")
			return 2
		}
		// When no helper is connected as a technician comes, the agent starts one in the active graphical
		// session: this same program (the installed copy), as that session's user.
		helper := []string{"-helper", "-socket", *socket}
		if *loopback {
			helper = append(helper, "-rendezvous-loopback")
		}
		return runAgent(unattended.AgentConfig{Dir: *state, Socket: *socket, Listen: *listen,
			MayUse: unattended.LocalUsers, Launch: unattended.LaunchHelper(runningProgram(), helper...),
			Path: session.PathOptions{Loopback: *loopback}}, stderr)
	case "install":
		program := fs.String("program", runningProgram(), "the program to install")
		if fs.Parse(args) != nil {
			return 2
		}
		s := unattended.Service{Root: *root, Program: *program, HelperNames: helperNames()}
		if err := s.Install(); err != nil {
			fmt.Fprintln(stderr, "installing unattended access:", err)
			return 1
		}
		return 0
	default:
		if fs.Parse(args) != nil {
			return 2
		}
		if err := (unattended.Service{Root: *root}).Uninstall(); err != nil {
			fmt.Fprintln(stderr, "removing unattended access:", err)
			return 1
		}
		return 0
	}
}

// runAgent serves unattended access until the system stops it (SIGTERM) or an interrupt.
func runAgent(cfg unattended.AgentConfig, stderr io.Writer) int {
	if handled, code := runAsService(cfg); handled {
		return code
	}
	logger := log.New(stderr, "", 0) // the journal stamps the time
	a, err := unattended.StartAgent(cfg)
	if err != nil {
		logger.Printf("starting the agent: %v", err)
		return 1
	}
	addr := "none"
	if a.Addr() != nil {
		addr = a.Addr().String()
	}
	logger.Printf("Tandem unattended access: computer %s, technicians at %s, local channel %s", a.Computer().ID(), addr,
		cfg.Socket)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := a.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		logger.Printf("stopping: %v", err)
	}
	return 0
}

// runningProgram is the file to install: the AppImage the program runs from, or its own binary.
func runningProgram() string {
	if p, err := selfinstall.RunningAppImage(); err == nil {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		return real
	}
	return exe
}

// helperNames are the helper's names in the desktop's startup applications, in every language Tandem speaks.
func helperNames() map[string]string {
	names := map[string]string{}
	for _, l := range i18n.Languages {
		b, err := i18n.Bundle(l)
		if err != nil || b["unattended.helper_name"] == "" {
			continue
		}
		key := l
		if l == "en" {
			key = "" // the default Name
		}
		names[key] = b["unattended.helper_name"]
	}
	return names
}
