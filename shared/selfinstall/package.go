package selfinstall

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// PackageKind is the kind of installation that an operating system's installer or file manager owns.
type PackageKind int

const (
	// NoPackage: the program does not run from an installation it can remove (a developer build, a copy, a
	// system package).
	NoPackage PackageKind = iota
	// MSI: installed by Tandem's Windows Installer package; removed through Windows Installer (msiexec /x).
	MSI
	// AppBundle: a macOS application bundle (Tandem Customer.app); moved to the Trash.
	AppBundle
)

// Package is the installation the running program comes from, where the operating system owns it: an MSI
// install on Windows, an application bundle on macOS. The running program cannot remove those itself, so
// RemoveAfterExit starts a helper that removes it once the program has exited. (An AppImage, which a running
// program can delete, is RunningAppImage's.)
type Package struct {
	Kind PackageKind
	// Path is the install folder (MSI) or the bundle (AppBundle).
	Path string
	// productCode is the MSI's ProductCode, which msiexec /x takes.
	productCode string
}

// ErrNoPackage is returned when the program does not run from a package it can remove.
var ErrNoPackage = errors.New("selfinstall: not installed from a package that can be removed")

// MSIRegistryKey is the key, under HKLM, where Tandem's MSI writes InstallDir and ProductCode for program (see
// packaging/windows/*.wxs), so that the program can tell that it runs from that installation and remove it.
func MSIRegistryKey(program string) string { return `Software\Tandem\` + program }

// productCodeRE is the form of an MSI ProductCode: a GUID in braces, upper case as Windows Installer writes it.
var productCodeRE = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)

// msiUninstallScript is the PowerShell command that waits for process pid to exit, then has Windows Installer
// remove the product with a progress window (and the elevation prompt that a per-machine product needs).
// code must match productCodeRE: it is put in the command as it is.
func msiUninstallScript(pid int, code string) (string, error) {
	if !productCodeRE.MatchString(code) {
		return "", fmt.Errorf("selfinstall: %q is not an MSI product code: %w", code, ErrNoPackage)
	}
	return fmt.Sprintf("Wait-Process -Id %d -ErrorAction SilentlyContinue; "+
		"Start-Process -FilePath msiexec.exe -ArgumentList '/x','%s','/qb'", pid, code), nil
}

// uninstallScript is msiUninstallScript for this package and process pid.
func (p Package) uninstallScript(pid int) (string, error) {
	if p.Kind != MSI {
		return "", ErrNoPackage
	}
	return msiUninstallScript(pid, p.productCode)
}

// appBundle returns the application bundle that the executable exe belongs to
// (/Applications/Tandem Customer.app for /Applications/Tandem Customer.app/Contents/MacOS/tandem-customer).
func appBundle(exe string) (string, bool) {
	const inside = ".app/Contents/MacOS/"
	i := strings.LastIndex(exe, inside)
	if i < 0 || !filepath.IsAbs(exe) || strings.Contains(exe[i+len(inside):], "/") {
		return "", false
	}
	bundle := exe[:i+len(".app")]
	if filepath.Base(bundle) == ".app" || strings.HasPrefix(bundle, "/Volumes/") {
		// No name, or run from a mounted disk image (read-only: ejecting it is the removal).
		return "", false
	}
	return bundle, true
}
