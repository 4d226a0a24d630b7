package unattended

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Where a macOS installation puts things, under Service.Root ("/" on a real Mac). The whole app bundle is copied
// out of wherever the user ran it (a DMG, Downloads): the agent and the helper must not depend on that place,
// and macOS ties the Screen Recording and Accessibility grants to the bundle.
const (
	// MacAppPath is the copy of the app bundle that the LaunchDaemon and the LaunchAgent run.
	MacAppPath = "Library/Application Support/Tandem/Tandem Customer.app"
	// MacProgramPath is the program inside it (the bundle's CFBundleExecutable).
	MacProgramPath = MacAppPath + "/Contents/MacOS/tandem-customer"
	// MacDaemonPath is the agent's LaunchDaemon, started by launchd at boot as root.
	MacDaemonPath = "Library/LaunchDaemons/" + MacDaemonLabel + ".plist"
	// MacAgentPath is the helper's LaunchAgent, started by launchd in every user's graphical login.
	MacAgentPath = "Library/LaunchAgents/" + MacAgentLabel + ".plist"
	// MacStateDir is the agent's state.
	MacStateDir = "Library/Application Support/Tandem/state"
	// MacSocketPath is the local channel.
	MacSocketPath = "var/run/tandem/agent.sock"
	// MacLogPath is where launchd writes what the agent prints.
	MacLogPath = "Library/Logs/Tandem/agent.log"

	MacDaemonLabel = "org.tandem-remote.agent"
	MacAgentLabel  = "org.tandem-remote.helper"
)

// plistValue is a value of a property list: string, int, bool, []string or a nested plistDict.
type plistValue any

// plistDict is a property list dictionary whose keys keep their order.
type plistDict []struct {
	Key   string
	Value plistValue
}

func (d plistDict) with(key string, v plistValue) plistDict {
	return append(d, struct {
		Key   string
		Value plistValue
	}{key, v})
}

// encodePlist writes d as an XML property list (launchd's format).
func encodePlist(d plistDict) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n" +
		`<plist version="1.0">` + "\n")
	writePlist(&b, d, "")
	b.WriteString("</plist>\n")
	return b.String()
}

func writePlist(b *strings.Builder, v plistValue, indent string) {
	esc := func(s string) string {
		var e strings.Builder
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	switch v := v.(type) {
	case string:
		fmt.Fprintf(b, "%s<string>%s</string>\n", indent, esc(v))
	case int:
		fmt.Fprintf(b, "%s<integer>%d</integer>\n", indent, v)
	case bool:
		fmt.Fprintf(b, "%s<%t/>\n", indent, v)
	case []string:
		fmt.Fprintf(b, "%s<array>\n", indent)
		for _, s := range v {
			writePlist(b, s, indent+"  ")
		}
		fmt.Fprintf(b, "%s</array>\n", indent)
	case plistDict:
		fmt.Fprintf(b, "%s<dict>\n", indent)
		for _, kv := range v {
			fmt.Fprintf(b, "%s  <key>%s</key>\n", indent, esc(kv.Key))
			writePlist(b, kv.Value, indent+"  ")
		}
		fmt.Fprintf(b, "%s</dict>\n", indent)
	}
}

// Daemon returns the agent's LaunchDaemon: root, at boot, kept alive.
func (s Service) Daemon() string {
	return encodePlist(plistDict{}.
		with("Label", MacDaemonLabel).
		with("ProgramArguments", []string{"/" + MacProgramPath, "agent", "-state", "/" + MacStateDir,
			"-socket", "/" + MacSocketPath, "-listen", ":" + strconv.Itoa(s.port())}).
		with("RunAtLoad", true).
		with("KeepAlive", true).
		with("Umask", 0o077). // the state is the agent's alone
		with("StandardOutPath", "/"+MacLogPath).
		with("StandardErrorPath", "/"+MacLogPath))
}

// Agent returns the helper's LaunchAgent: in every graphical login (Aqua), started again if it fails, not
// when the user quits it.
func (s Service) Agent() string {
	return encodePlist(plistDict{}.
		with("Label", MacAgentLabel).
		with("ProgramArguments", []string{"/" + MacProgramPath, "-helper", "-socket", "/" + MacSocketPath}).
		with("LimitLoadToSessionType", "Aqua").
		with("ProcessType", "Interactive").
		with("RunAtLoad", true).
		with("KeepAlive", plistDict{}.with("SuccessfulExit", false)))
}

func (s Service) port() int {
	if s.Port == 0 {
		return DefaultPort
	}
	return s.Port
}

// launchctl runs launchctl (see tool).
func (s Service) launchctl(args ...string) error { return s.tool(s.Launchctl, "launchctl", args...) }

// installMac copies the app bundle (or, outside one, the program alone), writes the LaunchDaemon and the
// LaunchAgent, and (on a real Mac) starts the agent and, in the console user's login, the helper.
func (s Service) installMac() error {
	app := bundleOf(s.Program)
	if app != "" {
		if err := copyTree(app, s.path(MacAppPath)); err != nil {
			return err
		}
	} else if err := copyFileAtomic(s.Program, s.path(MacProgramPath), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(s.path(MacDaemonPath), []byte(s.Daemon()), 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(s.path(MacAgentPath), []byte(s.Agent()), 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path(MacLogPath)), 0o755); err != nil { //nolint:gosec // a logs folder
		return fmt.Errorf("unattended: %w", err)
	}
	_ = s.launchctl("bootout", "system/"+MacDaemonLabel) // a second install replaces the first
	if err := s.launchctl("bootstrap", "system", "/"+MacDaemonPath); err != nil {
		return err
	}
	if uid, ok := s.consoleUser(); ok {
		domain := "gui/" + strconv.Itoa(int(uid))
		_ = s.launchctl("bootout", domain+"/"+MacAgentLabel)
		return s.launchctl("bootstrap", domain, "/"+MacAgentPath)
	}
	return nil
}

// uninstallMac stops the agent and the console user's helper, then removes all installMac wrote and the state.
func (s Service) uninstallMac() error {
	var errs []error
	if _, err := os.Stat(s.path(MacDaemonPath)); err == nil {
		errs = append(errs, s.launchctl("bootout", "system/"+MacDaemonLabel))
	}
	if uid, ok := s.consoleUser(); ok {
		_ = s.launchctl("bootout", "gui/"+strconv.Itoa(int(uid))+"/"+MacAgentLabel) // it may not run
	}
	for _, rel := range []string{MacDaemonPath, MacAgentPath} {
		if err := os.Remove(s.path(rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(s.path(filepath.Dir(MacAppPath))); err != nil { // the bundle and the state
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// consoleUser is the user logged in at the Mac's screen, when Root is the real system's.
func (s Service) consoleUser() (uint32, bool) {
	if s.ConsoleUser != nil {
		return s.ConsoleUser()
	}
	if filepath.Clean(s.Root) != "/" {
		return 0, false
	}
	return consoleUID()
}

// bundleOf returns the .app folder that holds program (…/X.app/Contents/MacOS/program), or "".
func bundleOf(program string) string {
	dir := filepath.Dir(program)
	if filepath.Base(dir) != "MacOS" || filepath.Base(filepath.Dir(dir)) != "Contents" {
		return ""
	}
	app := filepath.Dir(filepath.Dir(dir))
	if filepath.Ext(app) != ".app" {
		return ""
	}
	return app
}

// copyTree copies the folder from to the folder to, replacing it: files with their modes, folders and symbolic
// links (an app bundle's frameworks use them). The copy is made beside to and renamed over it at the end.
func copyTree(from, to string) error {
	tmp := to + ".tandem-partial"
	_ = os.RemoveAll(tmp)
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(tmp, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.Type().IsRegular():
			return copyFileAtomic(path, dst, info.Mode().Perm())
		default:
			return fmt.Errorf("%s is neither a file, a folder nor a link", path)
		}
	})
	if err == nil {
		_ = os.RemoveAll(to)
		err = os.Rename(tmp, to)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("unattended: copying %s: %w", from, err)
	}
	return nil
}
