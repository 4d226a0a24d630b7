package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// setupTimeout bounds setting unattended access up, the administrator's prompt included.
const setupTimeout = 3 * time.Minute

// agentWait is how long a freshly installed agent has to open its socket.
const agentWait = 20 * time.Second

// unattendedSetup is how this program installs unattended access and reaches its agent. The real one runs
// `pkexec … agent install` and talks to the system's socket; tests give their own.
type unattendedSetup struct {
	// socket is the agent's local channel.
	socket string
	// install makes the agent run: installs the service with the administrator's approval.
	install func(ctx context.Context) error
	// startHelper starts the helper in this desktop session at once (the desktop starts it at every login).
	startHelper func() error
	// uninstall removes unattended access (the service, its state), with the administrator's approval.
	uninstall func(ctx context.Context) error
	// port is the UDP port the agent listens on.
	port uint16
}

// systemSetup is the unattended access of this system, or nil where it is not built.
func systemSetup() *unattendedSetup {
	if !unattended.ServiceSupported() {
		return nil
	}
	paths := unattended.LocalPaths()
	return &unattendedSetup{
		socket: paths.Socket,
		port:   unattended.DefaultPort,
		install: func(ctx context.Context) error {
			// The file to install is named here: run as root and unpacked, the program no longer knows it.
			prog := runningProgram()
			return asAdministrator(ctx, prog, "agent", "install", "-program", prog)
		},
		uninstall: func(ctx context.Context) error {
			program := paths.Program
			if runtime.GOOS == "windows" { // Windows cannot delete a program that runs: this one does the work
				program = runningProgram()
			}
			return asAdministrator(ctx, program, "agent", "uninstall")
		},
		startHelper: func() error {
			if runtime.GOOS == "darwin" { // the helper is the user's LaunchAgent: launchd starts it
				target := "gui/" + strconv.Itoa(os.Getuid()) + "/" + unattended.MacAgentLabel
				return exec.Command("launchctl", "kickstart", target).Run()
			}
			return startDetached(paths.Program, "-helper")
		},
	}
}

// asAdministrator runs program with args as root, after the system asked for the administrator's password: through
// pkexec on Linux (which clears the environment: an AppImage run so is told to unpack itself rather than mount,
// since root has no FUSE on many desktops), through the administrator prompt of AppleScript on macOS. A dismissed
// or refused prompt is a protocol.Refused error.
func asAdministrator(ctx context.Context, program string, args ...string) error {
	name, cmdArgs := adminCommand(runtime.GOOS, program, args...)
	out, err := exec.CommandContext(ctx, name, cmdArgs...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && adminRefused(runtime.GOOS, ee.ExitCode(), string(out)) {
		return &protocol.Error{Code: protocol.Refused, Detail: "the administrator's approval was not given"}
	}
	if err != nil {
		return fmt.Errorf("%s %v as administrator: %w: %s", program, args, err, out)
	}
	return nil
}

// adminCommand is the command that runs program with args as root on system goos, after asking.
func adminCommand(goos, program string, args ...string) (string, []string) {
	if goos == "windows" { // the UAC prompt, through PowerShell; the program's exit status comes back
		line := make([]string, len(args))
		for i, a := range args {
			line[i] = windowsArg(a)
		}
		quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
		return "powershell", []string{"-NoProfile", "-NonInteractive", "-Command",
			"$p = Start-Process -FilePath " + quote(program) + " -ArgumentList " + quote(strings.Join(line, " ")) +
				" -Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode"}
	}
	if goos == "darwin" {
		words := make([]string, 0, len(args)+1)
		for _, w := range append([]string{program}, args...) {
			words = append(words, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'") // one shell word each
		}
		script := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(strings.Join(words, " "))
		return "osascript", []string{"-e", `do shell script "` + script + `" with administrator privileges`}
	}
	return "pkexec", append([]string{"env", "APPIMAGE_EXTRACT_AND_RUN=1", program}, args...)
}

// windowsArg quotes one argument of a Windows command line as programs read it back (CommandLineToArgvW's rules,
// as Go's syscall.EscapeArg writes them).
func windowsArg(s string) string {
	if s == "" {
		return `""`
	}
	special, space := false, false
	for i := range len(s) {
		switch s[i] {
		case '"', '\\':
			special = true
		case ' ', '\t':
			space = true
		}
	}
	if !special && !space {
		return s
	}
	if !special {
		return `"` + s + `"`
	}
	var b []byte
	if space {
		b = append(b, '"')
	}
	slashes := 0
	for i := range len(s) {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			for ; slashes > 0; slashes-- {
				b = append(b, '\\')
			}
			b = append(b, '\\')
		default:
			slashes = 0
		}
		b = append(b, s[i])
	}
	if space {
		for ; slashes > 0; slashes-- {
			b = append(b, '\\')
		}
		b = append(b, '"')
	}
	return string(b)
}

// adminRefused reports whether an administrator prompt's failure (its exit code and output) means that the
// approval was not given: pkexec's 126 (dismissed) and 127 (refused), AppleScript's "User canceled" (-128),
// Windows's UAC prompt cancelled.
func adminRefused(goos string, code int, out string) bool {
	switch goos {
	case "darwin":
		return strings.Contains(out, "(-128)")
	case "windows":
		return strings.Contains(out, "canceled by the user")
	}
	return code == 126 || code == 127
}

// setUp installs unattended access if needed and lets tech in with password; it returns what the technician's
// Expert keeps.
// rendezvous is the URL of the rendezvous the session came through ("" for a direct link): the agent stays
// present there.
func (s *unattendedSetup) setUp(ctx context.Context, tech session.Peer, password, rendezvous string) (session.UnattendedInfo, error) {
	ad, err := unattended.DialAdmin(ctx, s.socket)
	if errors.Is(err, unattended.ErrNoAgent) {
		if err = s.install(ctx); err != nil {
			return session.UnattendedInfo{}, err
		}
		ad, err = waitAgent(ctx, s.socket)
	}
	if err != nil {
		return session.UnattendedInfo{}, err
	}
	defer func() { _ = ad.Close() }()
	if err := ad.SetUp(tech.Cert, tech.Name, password, rendezvous); err != nil {
		return session.UnattendedInfo{}, err
	}
	if st, err := ad.Status(); err == nil && !st.Helper && s.startHelper != nil {
		if err := s.startHelper(); err != nil {
			log.Printf("unattended access: starting the helper: %v", err) // it starts at the next login
		}
	}
	id := ad.ComputerID()
	name, _ := os.Hostname()
	return session.UnattendedInfo{Computer: id, Secret: unattended.Secret(password, id), Port: s.port, Name: name}, nil
}

// waitAgent waits for a freshly started agent's socket.
func waitAgent(ctx context.Context, socket string) (*unattended.Admin, error) {
	deadline := time.Now().Add(agentWait)
	for {
		ad, err := unattended.DialAdmin(ctx, socket)
		if err == nil || !errors.Is(err, unattended.ErrNoAgent) || time.Now().After(deadline) {
			return ad, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// askUnattended puts the technician's request for unattended access to the customer: what it allows and how to
// undo it, and the password they choose (twice).
func (t *toolbar) askUnattended(g *session.Guest, req session.ConsentRequested) {
	args := map[string]any{"Name": req.From}
	text := widget.NewLabel(lang.L("unattended.question", args))
	text.Wrapping = fyne.TextWrapWord
	pw, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pw.Validator = func(s string) error {
		if unattended.CheckPassword(s) != nil {
			return errors.New(lang.L("unattended.weak_password"))
		}
		return nil
	}
	again.Validator = func(s string) error {
		if s != pw.Text {
			return errors.New(lang.L("unattended.passwords_differ"))
		}
		return nil
	}
	pw.OnChanged = func(string) { _ = again.Validate() }
	if req.Password != "" { // the technician proposed one: shown masked, kept unless the customer types another
		text.SetText(text.Text + "\n\n" + lang.L("unattended.proposed", args))
		pw.SetText(req.Password)
		again.SetText(req.Password)
	}
	form := dialog.NewForm(lang.L("unattended.title"), lang.L("unattended.allow"), lang.L("unattended.refuse"),
		[]*widget.FormItem{
			widget.NewFormItem("", text),
			widget.NewFormItem(lang.L("unattended.password"), pw),
			widget.NewFormItem(lang.L("unattended.password_again"), again),
		}, func(yes bool) { t.answerUnattended(g, req, yes, pw.Text) }, t.win)
	a := &ask{req: req, dlg: form}
	t.asks[req.ID] = a
	form.Resize(fyne.NewSize(560, 380))
	t.showDialog(form)
	t.win.RequestFocus()
}

// answerUnattended sends the answer and, on yes, sets unattended access up in the background, then tells the
// technician's program how it went.
func (t *toolbar) answerUnattended(g *session.Guest, req session.ConsentRequested, yes bool, password string) {
	if _, ok := t.asks[req.ID]; !ok || t.guest != g {
		return
	}
	delete(t.asks, req.ID)
	args := map[string]any{"Name": req.From}
	if !yes {
		t.status.SetText(lang.L("unattended.refused", args))
		t.act(func() { _ = g.Answer(req.ID, false) })
		return
	}
	t.status.SetText(lang.L("unattended.setting_up", args))
	tech, setup, rv := g.Technician(), t.opts.setup, g.Rendezvous()
	t.act(func() {
		if err := g.Answer(req.ID, true); err != nil {
			t.opts.do(func() { t.expiredStatus(g, req) })
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		info, err := setup.setUp(ctx, tech, password, rv)
		if err != nil {
			log.Printf("unattended access: %v", err)
		}
		_ = g.UnattendedReady(req.ID, info, err)
		t.opts.do(func() {
			if t.guest != g {
				return
			}
			if err != nil {
				t.status.SetText(lang.L("unattended.setup_failed", map[string]any{"Reason": setupErrorText(err)}))
				return
			}
			t.status.SetText(setUpText(runtime.GOOS, args))
		})
	})
}

// setUpText says that unattended access is set up; on macOS, also what the system will ask before the
// technician sees or controls anything, since macOS asks the first time the helper records the screen.
func setUpText(goos string, args map[string]any) string {
	text := lang.L("unattended.set_up", args)
	if goos == "darwin" {
		text += "\n" + lang.L("unattended.macos_grants")
	}
	return text
}

// setupErrorText says why setting up failed, in words.
func setupErrorText(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return lang.L(pe.Code.MessageKey())
	}
	return lang.L("unattended.install_failed")
}
