package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-remote/tandem/i18n"
)

// The administrator prompts: pkexec gets the program and its arguments as they are; on macOS, the AppleScript
// string holds one shell word per argument, whatever quotes, spaces or backslashes they hold (checked by running
// the shell command the script holds with sh).
func TestAdminCommand(t *testing.T) {
	args := []string{"%s|", "it's", `a "b" \c`, "d e", "$(touch x)"}
	name, got := adminCommand("linux", "/usr/bin/printf", args...)
	if name != "pkexec" || !slices.Equal(got, append([]string{"env", "APPIMAGE_EXTRACT_AND_RUN=1", "/usr/bin/printf"}, args...)) {
		t.Fatalf("linux: %s %q", name, got)
	}

	name, got = adminCommand("darwin", "/usr/bin/printf", args...)
	if name != "osascript" || len(got) != 2 || got[0] != "-e" {
		t.Fatalf("darwin: %s %q", name, got)
	}
	const pre, post = `do shell script "`, `" with administrator privileges`
	script, okPre := strings.CutPrefix(got[1], pre)
	script, okPost := strings.CutSuffix(script, post)
	if !okPre || !okPost {
		t.Fatalf("darwin: the script %q", got[1])
	}
	// AppleScript's string: \\ is \ and \" is ".
	shell := strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(script)
	out, err := exec.Command("sh", "-c", shell).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", shell, err)
	}
	if want := `it's|a "b" \c|d e|$(touch x)|`; string(out) != want {
		t.Fatalf("the shell ran %q, want %q", out, want)
	}
}

func TestAdminRefused(t *testing.T) {
	for _, tc := range []struct {
		goos string
		code int
		out  string
		want bool
	}{
		{"linux", 126, "", true},
		{"linux", 127, "", true},
		{"linux", 1, "Error executing command", false},
		{"darwin", 1, "0:144: execution error: User canceled. (-128)", true},
		{"darwin", 1, "sh: no such file", false},
	} {
		if got := adminRefused(tc.goos, tc.code, tc.out); got != tc.want {
			t.Errorf("adminRefused(%s, %d, %q) = %v", tc.goos, tc.code, tc.out, got)
		}
	}
}

// On macOS the set-up's sentence also says what the system will ask, in the customer's language.
func TestSetUpTextSaysWhatMacOSAsks(t *testing.T) {
	if err := i18n.Register("en"); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"Name": "Alice"}
	if got := setUpText("linux", args); strings.Contains(got, "macOS") {
		t.Fatalf("linux: %q", got)
	}
	if got := setUpText("darwin", args); !strings.Contains(got, "Screen Recording") || !strings.Contains(got, "Alice") {
		t.Fatalf("darwin: %q", got)
	}
}

// Windows: each argument is one word of the command line as CommandLineToArgvW reads it, and the PowerShell
// script that asks UAC holds the program and that line as single-quoted strings.
func TestAdminCommandWindows(t *testing.T) {
	for in, want := range map[string]string{
		"":                              `""`,
		"agent":                         "agent",
		`C:\Program Files\Tandem\x.exe`: `"C:\Program Files\Tandem\x.exe"`,
		`a"b`:                           `a\"b`,
		`a\\ b\`:                        `"a\\ b\\"`,
		`say "hi"`:                      `"say \"hi\""`,
	} {
		if got := windowsArg(in); got != want {
			t.Errorf("windowsArg(%q) = %q, want %q", in, got, want)
		}
	}
	name, got := adminCommand("windows", `C:\Users\zoé\Downloads\Tandem Customer.exe`, "agent", "install", "-program",
		`C:\Users\zoé's files\x.exe`)
	want := `$p = Start-Process -FilePath 'C:\Users\zoé\Downloads\Tandem Customer.exe' -ArgumentList ` +
		`'agent install -program "C:\Users\zoé''s files\x.exe"' -Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode`
	if name != "powershell" || len(got) != 4 || got[3] != want {
		t.Fatalf("windows: %s %q,\nwant the script %s", name, got, want)
	}
	if !adminRefused("windows", 1, "Start-Process : This command cannot be run due to the error: The operation was canceled by the user.") ||
		adminRefused("windows", 1, "Start-Process : file not found") {
		t.Error("adminRefused does not tell UAC's cancel from another failure")
	}
}
