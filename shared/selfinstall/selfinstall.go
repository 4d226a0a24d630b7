// Package selfinstall does what Tandem Customer needs from the desktop of the person who runs it, without any
// UI: on Linux, register Customer as the handler of tandem:// join links for that user (a desktop entry in
// $XDG_DATA_HOME/applications made the default with xdg-mime), take that registration back, and remove the
// running AppImage when Customer uninstalls itself.
//
// A program started from an AppImage finds its file with RunningAppImage, offers to register it with
// LinkHandler.Register (ForCurrentUser gives the user's LinkHandler; Registered tells whether links already
// start that file), and at uninstall calls LinkHandler.Unregister, then RemoveAppImage.
//
// Installed otherwise, by Tandem's MSI on Windows or as an application bundle on macOS, InstalledPackage finds
// the installation and Package.RemoveAfterExit starts a helper that removes it once the program has exited:
// msiexec /x with the MSI's ProductCode, or NSFileManager's move to the Trash. Nothing here asks the user
// anything: the program does, before it calls.
package selfinstall

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

const (
	// MIMEType is the type under which desktops look up the handler of tandem:// links.
	MIMEType = "x-scheme-handler/tandem"
	// DesktopID names the desktop entry that Register writes (and the only one Unregister removes).
	DesktopID = "org.tandem-remote.customer-link.desktop"
	// marker is the line that tells a desktop entry written by Register from any other of the same name.
	marker = "X-Tandem-Link-Handler=true"
)

// ErrNotAppImage is returned when the program does not run from an AppImage, or when a path to remove is not one.
var ErrNotAppImage = errors.New("selfinstall: not an AppImage")

// A LinkHandler registers a program as the tandem:// link handler of one user, as the freedesktop.org desktop
// entry and MIME applications specifications describe. Its fields are the user's directories; tests point
// them at temporary ones.
type LinkHandler struct {
	DataHome   string // $XDG_DATA_HOME: the desktop entry goes into DataHome/applications
	ConfigHome string // $XDG_CONFIG_HOME: where mimeapps.list lives
	XDGMime    string // the xdg-mime program that Register runs; "" writes mimeapps.list directly
}

// ForCurrentUser returns the LinkHandler of the user running the program: $XDG_DATA_HOME and $XDG_CONFIG_HOME
// (or their defaults under $HOME), and xdg-mime from $PATH when it is there. It fails on systems without
// freedesktop.org desktops (Windows and macOS register links in their installers) with errors.ErrUnsupported.
func ForCurrentUser() (*LinkHandler, error) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return nil, fmt.Errorf("selfinstall: tandem:// links on %s are registered by the installer: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("selfinstall: finding the home folder: %w", err)
	}
	h := &LinkHandler{
		DataHome:   xdgDir("XDG_DATA_HOME", filepath.Join(home, ".local", "share")),
		ConfigHome: xdgDir("XDG_CONFIG_HOME", filepath.Join(home, ".config")),
	}
	if p, err := exec.LookPath("xdg-mime"); err == nil {
		h.XDGMime = p
	}
	return h, nil
}

// xdgDir is the directory that the environment variable name holds, or def when it is unset, empty or relative
// (which the XDG base directory specification says to ignore).
func xdgDir(name, def string) string {
	if d := os.Getenv(name); filepath.IsAbs(d) {
		return d
	}
	return def
}

func (h *LinkHandler) desktopFile() string {
	return filepath.Join(h.DataHome, "applications", DesktopID)
}

// Register makes exe (an absolute path, such as the running AppImage) the program that opens tandem:// links
// for this user: it writes the desktop entry DesktopID, whose Exec passes the link as the one argument, and makes
// it the default for MIMEType with xdg-mime (or, without xdg-mime, in mimeapps.list). Registering again replaces
// the earlier registration.
func (h *LinkHandler) Register(exe string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("selfinstall: the link handler must be an absolute path, not %q", exe)
	}
	if strings.ContainsAny(exe, "\n\r\x00") {
		return fmt.Errorf("selfinstall: the link handler's path %q has a line break in it", exe)
	}
	entry := strings.Join([]string{
		"[Desktop Entry]",
		"Type=Application",
		"Name=Tandem Customer",
		"Comment=Opens tandem:// join links",
		"Comment[fr]=Ouvre les liens tandem://",
		"TryExec=" + escapeString(exe),
		"Exec=" + escapeString(quoteArg(exe)) + " %u",
		"Terminal=false",
		"NoDisplay=true",
		"MimeType=" + MIMEType + ";",
		marker,
		"",
	}, "\n")
	if err := writeFileAtomic(h.desktopFile(), []byte(entry)); err != nil {
		return fmt.Errorf("selfinstall: writing the tandem:// link handler: %w", err)
	}
	if h.XDGMime == "" {
		return h.editMimeapps(filepath.Join(h.ConfigHome, "mimeapps.list"), true)
	}
	if err := h.xdgMime("default", DesktopID, MIMEType); err != nil {
		return fmt.Errorf("selfinstall: making %s the default for %s: %w", DesktopID, MIMEType, err)
	}
	return nil
}

// Unregister takes back what Register did: it removes the desktop entry DesktopID (only when Register wrote it)
// and every mention of it for MIMEType in the user's mimeapps.list files. Other handlers and associations are
// left as they are. Unregistering when nothing is registered is not an error.
func (h *LinkHandler) Unregister() error {
	data, err := os.ReadFile(h.desktopFile())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("selfinstall: reading the tandem:// link handler: %w", err)
	case bytes.Contains(data, []byte("\n"+marker+"\n")):
		if err := os.Remove(h.desktopFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("selfinstall: removing the tandem:// link handler: %w", err)
		}
	}
	// The current place of mimeapps.list, and the deprecated one that older desktops still write.
	for _, f := range []string{filepath.Join(h.ConfigHome, "mimeapps.list"), filepath.Join(h.DataHome, "applications", "mimeapps.list")} {
		if err := h.editMimeapps(f, false); err != nil {
			return err
		}
	}
	return nil
}

// Registered returns the program that tandem:// links start through Register's desktop entry, or "" when that
// entry is missing or is not the user's default for MIMEType.
func (h *LinkHandler) Registered() (string, error) {
	data, err := os.ReadFile(h.desktopFile())
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("selfinstall: reading the tandem:// link handler: %w", err)
	}
	var def string
	if h.XDGMime != "" {
		out, err := h.xdgMimeOutput("query", "default", MIMEType)
		if err != nil {
			return "", fmt.Errorf("selfinstall: asking xdg-mime for the handler of %s: %w", MIMEType, err)
		}
		def = strings.TrimSpace(string(out))
	} else {
		list, err := os.ReadFile(filepath.Join(h.ConfigHome, "mimeapps.list"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("selfinstall: reading mimeapps.list: %w", err)
		}
		def = defaultHandler(string(list))
	}
	if def != DesktopID {
		return "", nil
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "TryExec="); ok {
			return unescapeString(v), nil
		}
	}
	return "", nil
}

// defaultHandler is the first desktop entry that the mimeapps.list text lists for MIMEType under
// [Default Applications].
func defaultHandler(list string) string {
	section := ""
	for line := range strings.Lines(list) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		if v, ok := strings.CutPrefix(line, MIMEType+"="); ok && section == "[Default Applications]" {
			first, _, _ := strings.Cut(v, ";")
			return strings.TrimSpace(first)
		}
	}
	return ""
}

// editMimeapps rewrites the mimeapps.list file so that DesktopID is not listed for MIMEType in any section and,
// when makeDefault is true, is the only default for it. Every other line is kept. A file that does not exist is
// created only when makeDefault is true.
func (h *LinkHandler) editMimeapps(file string, makeDefault bool) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) && !makeDefault {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("selfinstall: reading %s: %w", file, err)
	}
	var out strings.Builder
	section, added, changed := "", false, false
	addDefault := func() {
		if makeDefault && !added && section == "[Default Applications]" {
			out.WriteString(MIMEType + "=" + DesktopID + ";\n")
			added, changed = true, true
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			section = trimmed
			out.WriteString(line + "\n")
			addDefault()
			continue
		}
		key, value, isEntry := strings.Cut(trimmed, "=")
		if !isEntry || strings.TrimSpace(key) != MIMEType {
			out.WriteString(line + "\n")
			continue
		}
		if makeDefault && section == "[Default Applications]" {
			continue // addDefault wrote the one line this section needs
		}
		var kept []string
		found := false
		for _, id := range strings.Split(value, ";") {
			switch id = strings.TrimSpace(id); id {
			case "":
			case DesktopID:
				found = true
			default:
				kept = append(kept, id)
			}
		}
		switch {
		case !found:
			out.WriteString(line + "\n")
		case len(kept) > 0:
			out.WriteString(MIMEType + "=" + strings.Join(kept, ";") + ";\n")
			changed = true
		default:
			changed = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("selfinstall: reading %s: %w", file, err)
	}
	if makeDefault && !added {
		if out.Len() > 0 && !strings.HasSuffix(out.String(), "\n\n") {
			out.WriteString("\n")
		}
		section = "[Default Applications]"
		out.WriteString(section + "\n")
		addDefault()
	}
	if !changed {
		return nil
	}
	if err := writeFileAtomic(file, []byte(out.String())); err != nil {
		return fmt.Errorf("selfinstall: writing %s: %w", file, err)
	}
	return nil
}

// xdgMime runs xdg-mime with args in this LinkHandler's directories.
func (h *LinkHandler) xdgMime(args ...string) error {
	_, err := h.xdgMimeOutput(args...)
	return err
}

func (h *LinkHandler) xdgMimeOutput(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.XDGMime, args...)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+h.DataHome, "XDG_CONFIG_HOME="+h.ConfigHome)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("xdg-mime %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// writeFileAtomic writes data to file (mode 0644, creating its directory) through a temporary file and a
// rename, so that a desktop never reads half a file.
func writeFileAtomic(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// quoteArg quotes one argument of a desktop entry's Exec key: reserved characters need double quotes, inside
// which ", `, $ and \ take a backslash, and a literal % is written %%.
func quoteArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`=") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if strings.ContainsRune("\"`$\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// escapeString applies the escapes of a desktop entry's string values (backslash, and the control characters
// that may not appear as they are).
func escapeString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// unescapeString undoes escapeString.
func unescapeString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
