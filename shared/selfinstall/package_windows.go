package selfinstall

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// InstalledPackage returns the MSI installation the program runs from: the one whose InstallDir, under
// HKLM\MSIRegistryKey(program), holds the running executable.
func InstalledPackage(program string) (Package, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, MSIRegistryKey(program), registry.QUERY_VALUE)
	if err != nil {
		return Package{}, fmt.Errorf("%w: %w", ErrNoPackage, err)
	}
	defer func() { _ = k.Close() }()
	dir, _, err := k.GetStringValue("InstallDir")
	if err != nil {
		return Package{}, fmt.Errorf("%w: InstallDir: %w", ErrNoPackage, err)
	}
	code, _, err := k.GetStringValue("ProductCode")
	if err != nil || !productCodeRE.MatchString(code) {
		return Package{}, fmt.Errorf("%w: no valid ProductCode (%q)", ErrNoPackage, code)
	}
	exe, err := os.Executable()
	if err != nil {
		return Package{}, fmt.Errorf("%w: %w", ErrNoPackage, err)
	}
	if !strings.EqualFold(filepath.Clean(filepath.Dir(exe)), filepath.Clean(dir)) {
		return Package{}, fmt.Errorf("%w: %s is not in the installed folder %s", ErrNoPackage, exe, dir)
	}
	return Package{Kind: MSI, Path: filepath.Clean(dir), productCode: code}, nil
}

// RemoveAfterExit starts a hidden PowerShell that waits for this program to exit, then asks Windows Installer
// to remove the product (msiexec /x, with its progress window; Windows asks for permission, as the install is
// for all users).
func (p Package) RemoveAfterExit() error {
	script, err := p.uninstallScript(os.Getpid())
	if err != nil {
		return err
	}
	sysRoot := os.Getenv("SystemRoot")
	if sysRoot == "" {
		return errors.New("selfinstall: %SystemRoot% is not set")
	}
	ps := filepath.Join(sysRoot, "System32", "WindowsPowerShell", "v1.0", "powershell.exe")
	cmd := exec.Command(ps, "-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-Command", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true,
		CreationFlags: windows.CREATE_NO_WINDOW | windows.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("selfinstall: starting the removal: %w", err)
	}
	return cmd.Process.Release()
}
