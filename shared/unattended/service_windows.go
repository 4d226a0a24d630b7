package unattended

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// On Windows the agent is a service of the system (WindowsServiceName, automatic start, restarted after a
// failure), the helper starts at every logon through the machine's Run key, and a firewall rule lets technicians
// of the network reach the agent's UDP port. Everything goes into the real system: Service.Root must be "/" or "".
const (
	// WindowsServiceName is the name the service control manager knows the agent by.
	WindowsServiceName = "TandemAgent"
	runKey             = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValue           = "TandemHelper"
	firewallRule       = "Tandem unattended access"
	serviceStopWait    = 20 * time.Second
)

func (s Service) realSystem() error {
	if s.Root != "" && filepath.Clean(s.Root) != "/" && filepath.Clean(s.Root) != `\` {
		return errors.New("unattended: a Windows installation goes into the system itself, not a folder")
	}
	return nil
}

func (s Service) installWindows() error {
	if err := s.realSystem(); err != nil {
		return err
	}
	paths := LocalPaths()
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("unattended: the service manager: %w", err)
	}
	defer func() { _ = m.Disconnect() }()
	old, err := m.OpenService(WindowsServiceName)
	if err == nil {
		defer func() { _ = old.Close() }()
		if err := stopService(old); err != nil { // its program is replaced below
			return err
		}
	}
	if err := copyFileAtomic(s.Program, paths.Program, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(paths.State, privateDirMode); err != nil {
		return fmt.Errorf("unattended: %w", err)
	}
	if err := makePrivate(paths.State); err != nil {
		return err
	}
	args := []string{"agent", "-state", paths.State, "-socket", paths.Socket, "-listen", ":" + strconv.Itoa(s.port())}
	var service *mgr.Service
	if old != nil {
		cfg, err := old.Config()
		if err != nil {
			return fmt.Errorf("unattended: the service's configuration: %w", err)
		}
		cfg.BinaryPathName = windows.ComposeCommandLine(append([]string{paths.Program}, args...))
		cfg.StartType = mgr.StartAutomatic
		if err := old.UpdateConfig(cfg); err != nil {
			return fmt.Errorf("unattended: updating the service: %w", err)
		}
		service = old
	} else {
		service, err = m.CreateService(WindowsServiceName, paths.Program, mgr.Config{StartType: mgr.StartAutomatic,
			DisplayName: "Tandem unattended access", Description: "Lets the technicians the user chose reach this " +
				"computer with a password; Tandem Customer's Unattended access window blocks or removes it."}, args...)
		if err != nil {
			return fmt.Errorf("unattended: creating the service: %w", err)
		}
		defer func() { _ = service.Close() }()
	}
	if err := service.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 5 * time.Second}},
		24*60*60); err != nil {
		return fmt.Errorf("unattended: the service's restarts: %w", err)
	}
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("unattended: the helper's start at logon: %w", err)
	}
	err = k.SetStringValue(runValue, windows.ComposeCommandLine([]string{paths.Program, "-helper"}))
	_ = k.Close()
	if err != nil {
		return fmt.Errorf("unattended: the helper's start at logon: %w", err)
	}
	_ = netsh("delete", "rule", "name="+firewallRule) // a second install replaces the rule
	if err := netsh("add", "rule", "name="+firewallRule, "dir=in", "action=allow", "protocol=UDP",
		"localport="+strconv.Itoa(s.port()), "program="+paths.Program); err != nil {
		return err
	}
	if err := service.Start(); err != nil {
		return fmt.Errorf("unattended: starting the service: %w", err)
	}
	return nil
}

// uninstallWindows stops and deletes the service, then removes the Run value, the firewall rule, the program
// and the agent's state. The program may be the one running this: it then goes at the next restart.
func (s Service) uninstallWindows() error {
	if err := s.realSystem(); err != nil {
		return err
	}
	paths := LocalPaths()
	var errs []error
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("unattended: the service manager: %w", err)
	}
	defer func() { _ = m.Disconnect() }()
	if service, err := m.OpenService(WindowsServiceName); err == nil {
		errs = append(errs, stopService(service), service.Delete())
		_ = service.Close()
	}
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, runKey, registry.SET_VALUE); err == nil {
		if err := k.DeleteValue(runValue); err != nil && !errors.Is(err, registry.ErrNotExist) {
			errs = append(errs, err)
		}
		_ = k.Close()
	}
	_ = netsh("delete", "rule", "name="+firewallRule)
	if err := os.RemoveAll(paths.State); err != nil {
		errs = append(errs, err)
	}
	if err := os.Remove(paths.Program); err != nil && !errors.Is(err, os.ErrNotExist) {
		p, perr := windows.UTF16PtrFromString(paths.Program)
		if perr == nil {
			perr = windows.MoveFileEx(p, nil, windows.MOVEFILE_DELAY_UNTIL_REBOOT)
		}
		if perr != nil {
			errs = append(errs, err)
		}
	}
	_ = os.Remove(filepath.Dir(paths.Program))
	return errors.Join(errs...)
}

func (s Service) installedWindows() bool {
	m, err := mgr.Connect()
	if err != nil {
		return false
	}
	defer func() { _ = m.Disconnect() }()
	service, err := m.OpenService(WindowsServiceName)
	if err != nil {
		return false
	}
	_ = service.Close()
	return true
}

// stopService asks the service to stop and waits until it has.
func stopService(service *mgr.Service) error {
	st, err := service.Query()
	if err != nil {
		return fmt.Errorf("unattended: the service's state: %w", err)
	}
	if st.State == svc.Stopped {
		return nil
	}
	if _, err := service.Control(svc.Stop); err != nil && st.State != svc.StopPending {
		return fmt.Errorf("unattended: stopping the service: %w", err)
	}
	for deadline := time.Now().Add(serviceStopWait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if st, err = service.Query(); err == nil && st.State == svc.Stopped {
			return nil
		}
	}
	return errors.New("unattended: the service did not stop")
}

// netsh runs "netsh advfirewall firewall" with args.
func netsh(args ...string) error {
	out, err := exec.Command("netsh", append([]string{"advfirewall", "firewall"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("unattended: netsh %v: %w: %s", args, err, out)
	}
	return nil
}

// makePrivate gives dir an ACL of its own, inherited by what is made in it: the system and the administrators
// only (the agent's identity key and secret are in it; ProgramData lets users read by default).
func makePrivate(dir string) error {
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;GA;;;SY)(A;OICI;GA;;;BA)")
	if err != nil {
		return fmt.Errorf("unattended: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("unattended: %w", err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("unattended: securing %s: %w", dir, err)
	}
	return nil
}
