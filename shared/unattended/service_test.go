package unattended

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestServiceInstallsAndRemovesEverything(t *testing.T) {
	root := t.TempDir()
	program := filepath.Join(t.TempDir(), "Tandem_Customer.AppImage")
	body := bytes.Repeat([]byte("ELF and more "), 1000)
	if err := os.WriteFile(program, body, 0o700); err != nil {
		t.Fatal(err)
	}
	var calls []string
	s := Service{Root: root, Program: program, HelperNames: map[string]string{"": "Tandem unattended access",
		"fr": "Accès sans surveillance Tandem"}, Systemctl: func(args ...string) error {
		calls = append(calls, strings.Join(args, " "))
		return nil
	}}
	if s.Installed() {
		t.Fatal("installed before Install")
	}
	for range 2 { // a second Install replaces the first
		if err := s.Install(); err != nil {
			t.Fatal(err)
		}
	}
	if !s.Installed() {
		t.Fatal("not installed after Install")
	}
	got, err := os.ReadFile(filepath.Join(root, ProgramPath))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("installed program differs (%v)", err)
	}
	for rel, mode := range map[string]os.FileMode{ProgramPath: 0o755, UnitPath: 0o644, AutostartPath: 0o644} {
		fi, err := os.Stat(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", rel, fi.Mode().Perm(), mode)
		}
	}
	unit, _ := os.ReadFile(filepath.Join(root, UnitPath))
	for _, want := range []string{"ExecStart=/opt/tandem/tandem-customer agent -state /var/lib/tandem -socket /run/tandem/agent.sock -listen :47900",
		"StateDirectoryMode=0700", "WantedBy=multi-user.target"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	auto, _ := os.ReadFile(filepath.Join(root, AutostartPath))
	for _, want := range []string{"Exec=/opt/tandem/tandem-customer -helper", "Name=Tandem unattended access\n",
		"Name[fr]=Accès sans surveillance Tandem\n", "NoDisplay=true"} {
		if !strings.Contains(string(auto), want) {
			t.Errorf("autostart entry lacks %q:\n%s", want, auto)
		}
	}
	// No temporary file is left beside them.
	for _, dir := range []string{filepath.Dir(ProgramPath), filepath.Dir(UnitPath), filepath.Dir(AutostartPath)} {
		es, _ := os.ReadDir(filepath.Join(root, dir))
		if len(es) != 1 {
			t.Errorf("%s holds %d files", dir, len(es))
		}
	}
	wantCalls := []string{"daemon-reload", "enable --now tandem-agent.service", "daemon-reload", "enable --now tandem-agent.service"}
	if !slices.Equal(calls, wantCalls) {
		t.Fatalf("systemctl %q, want %q", calls, wantCalls)
	}

	// The agent's state goes with the service.
	if _, err := OpenComputer(filepath.Join(root, StateDir)); err != nil {
		t.Fatal(err)
	}
	calls = nil
	if err := s.Uninstall(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{ProgramPath, UnitPath, AutostartPath, StateDir, filepath.Dir(ProgramPath)} {
		if _, err := os.Stat(filepath.Join(root, rel)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", rel, err)
		}
	}
	if !slices.Equal(calls, []string{"disable --now tandem-agent.service", "daemon-reload"}) {
		t.Fatalf("systemctl %q at uninstall", calls)
	}
}

func TestServiceInstallOfAMissingProgramWritesNothing(t *testing.T) {
	root := t.TempDir()
	s := Service{Root: root, Program: filepath.Join(root, "none")}
	if err := s.Install(); err == nil {
		t.Fatal("installed a missing program")
	}
	if s.Installed() {
		t.Fatal("the unit was written for a program that is not there")
	}
}

// The macOS installation, written into a test root on this system: the whole app bundle is copied (links and
// modes kept), the LaunchDaemon and the LaunchAgent are valid property lists that run the copy, launchd is told
// (the agent in the system domain, the helper in the console user's login), and Uninstall removes it all.
func TestMacServiceInstallsAndRemovesEverything(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(t.TempDir(), "Tandem Customer.app")
	exe := filepath.Join(app, "Contents", "MacOS", "tandem-customer")
	for path, body := range map[string]string{exe: "Mach-O and more", filepath.Join(app, "Contents", "Info.plist"): "<plist/>",
		filepath.Join(app, "Contents", "Frameworks", "A", "lib.dylib"): "dylib"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("A", filepath.Join(app, "Contents", "Frameworks", "Current")); err != nil {
		t.Fatal(err)
	}
	var calls []string
	s := Service{System: "darwin", Root: root, Program: exe, Port: 47901,
		Launchctl: func(args ...string) error {
			calls = append(calls, strings.Join(args, " "))
			return nil
		},
		ConsoleUser: func() (uint32, bool) { return 501, true }}
	for range 2 { // a second Install replaces the first
		if err := s.Install(); err != nil {
			t.Fatal(err)
		}
	}
	if !s.Installed() {
		t.Fatal("not installed after Install")
	}
	if got, err := os.ReadFile(filepath.Join(root, MacProgramPath)); err != nil || string(got) != "Mach-O and more" {
		t.Fatalf("the program in the copied bundle: %q, %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(root, MacProgramPath)); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("the program's mode: %v, %v", fi, err)
	}
	if target, err := os.Readlink(filepath.Join(root, MacAppPath, "Contents", "Frameworks", "Current")); err != nil || target != "A" {
		t.Fatalf("the bundle's link: %q, %v", target, err)
	}
	if es, _ := os.ReadDir(filepath.Dir(filepath.Join(root, MacAppPath))); len(es) != 1 {
		t.Errorf("beside the bundle: %v", es)
	}
	daemon, _ := os.ReadFile(filepath.Join(root, MacDaemonPath))
	agent, _ := os.ReadFile(filepath.Join(root, MacAgentPath))
	for _, want := range []string{"<string>/Library/Application Support/Tandem/Tandem Customer.app/Contents/MacOS/tandem-customer</string>",
		"<string>/Library/Application Support/Tandem/state</string>", "<string>/var/run/tandem/agent.sock</string>",
		"<string>:47901</string>", "<key>RunAtLoad</key>\n  <true/>", "<key>Umask</key>\n  <integer>63</integer>"} {
		if !strings.Contains(string(daemon), want) {
			t.Errorf("the LaunchDaemon lacks %q:\n%s", want, daemon)
		}
	}
	for _, want := range []string{"<string>-helper</string>", "<string>Aqua</string>", "<key>SuccessfulExit</key>\n    <false/>"} {
		if !strings.Contains(string(agent), want) {
			t.Errorf("the LaunchAgent lacks %q:\n%s", want, agent)
		}
	}
	checkPlist(t, filepath.Join(root, MacDaemonPath))
	checkPlist(t, filepath.Join(root, MacAgentPath))
	once := []string{"bootout system/org.tandem-remote.agent",
		"bootstrap system /Library/LaunchDaemons/org.tandem-remote.agent.plist",
		"bootout gui/501/org.tandem-remote.helper", "bootstrap gui/501 /Library/LaunchAgents/org.tandem-remote.helper.plist"}
	if want := append(slices.Clone(once), once...); !slices.Equal(calls, want) {
		t.Fatalf("launchctl %q, want %q", calls, want)
	}

	if _, err := OpenComputer(filepath.Join(root, MacStateDir)); err != nil {
		t.Fatal(err)
	}
	calls = nil
	if err := s.Uninstall(); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{MacAppPath, MacDaemonPath, MacAgentPath, MacStateDir, filepath.Dir(MacAppPath)} {
		if _, err := os.Stat(filepath.Join(root, rel)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", rel, err)
		}
	}
	if !slices.Equal(calls, []string{"bootout system/org.tandem-remote.agent", "bootout gui/501/org.tandem-remote.helper"}) {
		t.Fatalf("launchctl %q at uninstall", calls)
	}
}

// checkPlist has libplist read the property list at path (converted to the binary form and back).
func checkPlist(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("plistutil"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("plistutil (libplist-utils) is missing: .ci/deps.sh installs it")
		}
		t.Log("no plistutil: the property list is not checked by libplist")
		return
	}
	bin := filepath.Join(t.TempDir(), "out.bplist")
	if out, err := exec.Command("plistutil", "-i", path, "-o", bin, "-f", "bin").CombinedOutput(); err != nil {
		t.Fatalf("libplist does not read %s: %v\n%s", path, err, out)
	}
	if fi, err := os.Stat(bin); err != nil || fi.Size() == 0 {
		t.Fatalf("libplist wrote nothing for %s", path)
	}
}
