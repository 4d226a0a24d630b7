package unattended

import (
	"bytes"
	"os"
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
