package unattended

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Where a Linux installation puts things, under Service.Root ("/" on a real system).
const (
	// ProgramPath is the copy of Tandem Customer that the service and the helper run.
	ProgramPath = "opt/tandem/tandem-customer"
	// UnitPath is the agent's systemd system unit.
	UnitPath = "etc/systemd/system/tandem-agent.service"
	// AutostartPath starts the helper in every graphical login (XDG autostart).
	AutostartPath = "etc/xdg/autostart/org.tandem-remote.helper.desktop"
	// StateDir is the agent's state (identity, secret, policy, access log), readable by the system only.
	StateDir = "var/lib/tandem"
	// SocketPath is the local channel.
	SocketPath = "run/tandem/agent.sock"
	// DefaultPort is the UDP port the agent listens on for technicians of the same network.
	DefaultPort = 47900
	// UnitName is the name systemctl knows the agent by.
	UnitName = "tandem-agent.service"
)

// Service installs and removes unattended access: on Linux a copy of the program, the agent's systemd unit and
// the helper's XDG autostart entry; on macOS a copy of the app bundle, the agent's LaunchDaemon and the helper's
// LaunchAgent. Install and Uninstall need root on a real system (Tandem Customer runs them through pkexec, or
// macOS's administrator prompt); tests point Root at a folder, where neither systemctl nor launchctl is run.
type Service struct {
	// System is "linux" or "darwin": the kind of installation. Empty: this system's.
	System string
	// Root is the system's root: "/" for real, a test's folder otherwise.
	Root string
	// Program is the file to install as ProgramPath: the running AppImage, or the binary.
	Program string
	// HelperNames are the helper's names in the desktop's startup applications, by language ("" is the
	// default, "fr" French…).
	HelperNames map[string]string
	// Port is the UDP port for technicians (DefaultPort if 0).
	Port int
	// Systemctl runs systemctl; nil runs the real one when Root is "/", nothing otherwise.
	Systemctl func(args ...string) error
	// Launchctl runs launchctl (macOS); nil runs the real one when Root is "/", nothing otherwise.
	Launchctl func(args ...string) error
	// ConsoleUser names the user logged in at the Mac's screen, whose login gets the helper at once (macOS);
	// nil asks the real system when Root is "/", and says nobody otherwise.
	ConsoleUser func() (uint32, bool)
}

func (s Service) system() string {
	if s.System == "" {
		return runtime.GOOS
	}
	return s.System
}

// Paths are where an installation of this system puts the program, the agent's state and the local channel.
type Paths struct {
	Program, State, Socket string
}

// LocalPaths returns the Paths of this system's installation (absolute).
func LocalPaths() Paths {
	switch runtime.GOOS {
	case "windows":
		dir := func(env, def string) string {
			if v := os.Getenv(env); v != "" {
				return v
			}
			return def
		}
		return Paths{Program: filepath.Join(dir("ProgramFiles", `C:\Program Files`), "Tandem", "tandem-customer.exe"),
			State: filepath.Join(dir("ProgramData", `C:\ProgramData`), "Tandem", "state"), Socket: `\\.\pipe\tandem-agent`}
	case "darwin":
		return Paths{Program: "/" + MacProgramPath, State: "/" + MacStateDir, Socket: "/" + MacSocketPath}
	}
	return Paths{Program: "/" + ProgramPath, State: "/" + StateDir, Socket: "/" + SocketPath}
}

func (s Service) path(rel string) string { return filepath.Join(s.Root, rel) }

func (s Service) systemctl(args ...string) error { return s.tool(s.Systemctl, "systemctl", args...) }

// tool runs a system tool (systemctl, launchctl): through override when a test sets it, for real when Root is
// "/", not at all otherwise.
func (s Service) tool(override func(...string) error, name string, args ...string) error {
	if override != nil {
		return override(args...)
	}
	if filepath.Clean(s.Root) != "/" {
		return nil
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Unit returns the agent's systemd unit.
func (s Service) Unit() string {
	port := s.port()
	return fmt.Sprintf(`# Tandem unattended access: the agent. Written by Tandem Customer; "Remove unattended access" removes it.
[Unit]
Description=Tandem unattended access agent
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/%s agent -state /%s -socket /%s -listen :%d
# An AppImage runs without FUSE when started by the system.
Environment=APPIMAGE_EXTRACT_AND_RUN=1
Restart=on-failure
RestartSec=5
StateDirectory=tandem
StateDirectoryMode=0700
RuntimeDirectory=tandem
RuntimeDirectoryMode=0755
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`, ProgramPath, StateDir, SocketPath, port)
}

// Autostart returns the helper's XDG autostart entry.
func (s Service) Autostart() string {
	var b strings.Builder
	b.WriteString("[Desktop Entry]\nType=Application\n")
	langs := make([]string, 0, len(s.HelperNames))
	for l := range s.HelperNames {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		key := "Name"
		if l != "" {
			key += "[" + l + "]"
		}
		fmt.Fprintf(&b, "%s=%s\n", key, oneLine(s.HelperNames[l]))
	}
	if s.HelperNames[""] == "" {
		b.WriteString("Name=Tandem unattended access\n")
	}
	fmt.Fprintf(&b, "Exec=/%s -helper\nNoDisplay=true\nTerminal=false\nX-GNOME-Autostart-enabled=true\n", ProgramPath)
	return b.String()
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// Install copies the program, writes the agent's and the helper's definitions, and (on a real system) starts
// the agent. Each file appears under its name whole or not at all; a second Install replaces them.
func (s Service) Install() error {
	if s.Program == "" {
		return errors.New("unattended: no program to install")
	}
	switch s.system() {
	case "linux":
		return s.installLinux()
	case "darwin":
		return s.installMac()
	case "windows":
		return s.installWindows()
	}
	return fmt.Errorf("unattended: installing is not built for %s", s.system())
}

func (s Service) installLinux() error {
	if err := copyFileAtomic(s.Program, s.path(ProgramPath), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(s.path(UnitPath), []byte(s.Unit()), 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(s.path(AutostartPath), []byte(s.Autostart()), 0o644); err != nil {
		return err
	}
	if err := s.systemctl("daemon-reload"); err != nil {
		return err
	}
	return s.systemctl("enable", "--now", UnitName)
}

// Uninstall stops and disables the agent (on a real system), then removes everything Install wrote and the
// agent's state: the identity and the secret go with it, so every technician's saved password is worthless.
func (s Service) Uninstall() error {
	switch s.system() {
	case "linux":
		return s.uninstallLinux()
	case "darwin":
		return s.uninstallMac()
	case "windows":
		return s.uninstallWindows()
	}
	return fmt.Errorf("unattended: uninstalling is not built for %s", s.system())
}

func (s Service) uninstallLinux() error {
	var errs []error
	if _, err := os.Stat(s.path(UnitPath)); err == nil {
		errs = append(errs, s.systemctl("disable", "--now", UnitName))
	}
	for _, rel := range []string{UnitPath, AutostartPath, ProgramPath} {
		if err := os.Remove(s.path(rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(s.path(StateDir)); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(filepath.Dir(s.path(ProgramPath))) // the folder, if nothing else is in it
	errs = append(errs, s.systemctl("daemon-reload"))
	return errors.Join(errs...)
}

// Installed reports whether the agent's definition (unit, LaunchDaemon) is installed.
func (s Service) Installed() bool {
	if s.system() == "windows" {
		return s.installedWindows()
	}
	rel := UnitPath
	if s.system() == "darwin" {
		rel = MacDaemonPath
	}
	_, err := os.Stat(s.path(rel))
	return err == nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicFile(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func copyFileAtomic(from, to string, mode os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("unattended: %w", err)
	}
	defer func() { _ = src.Close() }()
	return atomicFile(to, mode, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

// atomicFile writes path through a temporary file in its folder, synced and renamed over it.
func atomicFile(path string, mode os.FileMode, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { //nolint:gosec // system folders others read
		return fmt.Errorf("unattended: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("unattended: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	err = fill(f)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("unattended: writing %s: %w", path, err)
	}
	return nil
}

// ServiceSupported reports whether Install and Uninstall are built for this system: Linux with systemd, macOS
// with launchd, Windows with its service manager.
func ServiceSupported() bool {
	return runtime.GOOS == "linux" || runtime.GOOS == "darwin" || runtime.GOOS == "windows"
}
