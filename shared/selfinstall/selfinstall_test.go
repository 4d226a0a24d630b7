package selfinstall

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testHome points HOME and the XDG variables at a new temporary folder, so that nothing (xdg-mime included)
// can reach the real user's files, and hides the desktop that xdg-mime would otherwise talk to. It returns a
// LinkHandler for that folder.
func testHome(t *testing.T, xdgMime string) *LinkHandler {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP",
		"DESKTOP_SESSION", "KDE_FULL_SESSION", "KDE_SESSION_VERSION", "GNOME_DESKTOP_SESSION_ID",
		"MATE_DESKTOP_SESSION_ID", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"} {
		t.Setenv(v, "")
	}
	t.Setenv("XDG_DATA_DIRS", filepath.Join(home, "system"))
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(home, "system-config"))
	return &LinkHandler{
		DataHome:   filepath.Join(home, ".local", "share"),
		ConfigHome: filepath.Join(home, ".config"),
		XDGMime:    xdgMime,
	}
}

// handlers runs the test with mimeapps.list written directly and, where xdg-mime is installed, with it.
func handlers(t *testing.T, test func(t *testing.T, h *LinkHandler)) {
	t.Run("direct", func(t *testing.T) { test(t, testHome(t, "")) })
	t.Run("xdg-mime", func(t *testing.T) {
		p, err := exec.LookPath("xdg-mime")
		if err != nil {
			t.Skip("xdg-mime is not installed (Debian: xdg-utils)")
		}
		test(t, testHome(t, p))
	})
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterThenUnregister(t *testing.T) {
	handlers(t, func(t *testing.T, h *LinkHandler) {
		mimeapps := filepath.Join(h.ConfigHome, "mimeapps.list")
		before := "[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/tandem=old-tandem.desktop;\n\n" +
			"[Added Associations]\nx-scheme-handler/tandem=other.desktop;\n"
		writeFile(t, mimeapps, before)
		exe := filepath.Join(filepath.Dir(h.DataHome), "Apps", "tandem-customer-1.0-x86_64.AppImage")

		if got, err := h.Registered(); err != nil || got != "" {
			t.Fatalf("Registered before Register = %q, %v; want nothing", got, err)
		}
		if err := h.Register(exe); err != nil {
			t.Fatal(err)
		}
		entry := readFile(t, filepath.Join(h.DataHome, "applications", DesktopID))
		for _, want := range []string{"\nExec=" + exe + " %u\n", "\nMimeType=x-scheme-handler/tandem;\n", "\nTryExec=" + exe + "\n"} {
			if !strings.Contains(entry, want) {
				t.Errorf("the desktop entry lacks %q:\n%s", want, entry)
			}
		}
		validate(t, filepath.Join(h.DataHome, "applications", DesktopID))
		if got := defaultHandler(readFile(t, mimeapps)); got != DesktopID {
			t.Errorf("the default for tandem:// is %q, want %q:\n%s", got, DesktopID, readFile(t, mimeapps))
		}
		if !strings.Contains(readFile(t, mimeapps), "text/html=firefox.desktop") {
			t.Errorf("Register lost another default:\n%s", readFile(t, mimeapps))
		}
		if got, err := h.Registered(); err != nil || got != exe {
			t.Fatalf("Registered = %q, %v; want %q", got, err, exe)
		}
		if err := h.Register(exe); err != nil { // again: same result
			t.Fatal(err)
		}
		if got, err := h.Registered(); err != nil || got != exe {
			t.Fatalf("Registered after a second Register = %q, %v; want %q", got, err, exe)
		}

		if err := h.Unregister(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(h.DataHome, "applications", DesktopID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the desktop entry is still there after Unregister (%v)", err)
		}
		after := readFile(t, mimeapps)
		if strings.Contains(after, DesktopID) {
			t.Errorf("mimeapps.list still names %s after Unregister:\n%s", DesktopID, after)
		}
		for _, want := range []string{"text/html=firefox.desktop", "x-scheme-handler/tandem=other.desktop;"} {
			if !strings.Contains(after, want) {
				t.Errorf("Unregister lost %q:\n%s", want, after)
			}
		}
		if got, err := h.Registered(); err != nil || got != "" {
			t.Fatalf("Registered after Unregister = %q, %v; want nothing", got, err)
		}
		if err := h.Unregister(); err != nil {
			t.Fatalf("a second Unregister: %v", err)
		}
	})
}

func TestRegisterWithoutMimeappsList(t *testing.T) {
	handlers(t, func(t *testing.T, h *LinkHandler) {
		if err := h.Register("/opt/tandem/tandem-customer"); err != nil {
			t.Fatal(err)
		}
		if got := defaultHandler(readFile(t, filepath.Join(h.ConfigHome, "mimeapps.list"))); got != DesktopID {
			t.Errorf("the default for tandem:// is %q, want %q", got, DesktopID)
		}
		if err := h.Unregister(); err != nil {
			t.Fatal(err)
		}
		if got, err := h.Registered(); err != nil || got != "" {
			t.Fatalf("Registered after Unregister = %q, %v; want nothing", got, err)
		}
	})
}

func TestRegisteredIsFalseWhenAnotherHandlerIsTheDefault(t *testing.T) {
	handlers(t, func(t *testing.T, h *LinkHandler) {
		if err := h.Register("/opt/tandem/tandem-customer"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(h.DataHome, "applications", "other.desktop"),
			"[Desktop Entry]\nType=Application\nName=Other\nExec=/bin/true %u\nMimeType=x-scheme-handler/tandem;\n")
		writeFile(t, filepath.Join(h.ConfigHome, "mimeapps.list"), "[Default Applications]\nx-scheme-handler/tandem=other.desktop;\n")
		if got, err := h.Registered(); err != nil || got != "" {
			t.Fatalf("Registered = %q, %v; want nothing while other.desktop is the default", got, err)
		}
	})
}

func TestUnregisterLeavesAnEntryItDidNotWrite(t *testing.T) {
	h := testHome(t, "")
	name := filepath.Join(h.DataHome, "applications", DesktopID)
	someone := "[Desktop Entry]\nType=Application\nName=Not ours\nExec=/bin/true\n"
	writeFile(t, name, someone)
	if err := h.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, name); got != someone {
		t.Errorf("Unregister changed a desktop entry that Register did not write:\n%s", got)
	}
}

func TestUnregisterCleansTheDeprecatedMimeappsList(t *testing.T) {
	h := testHome(t, "")
	old := filepath.Join(h.DataHome, "applications", "mimeapps.list")
	writeFile(t, old, "[Added Associations]\nx-scheme-handler/tandem="+DesktopID+";\ntext/plain=gedit.desktop;\n")
	if err := h.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, old), "[Added Associations]\ntext/plain=gedit.desktop;\n"; got != want {
		t.Errorf("the deprecated mimeapps.list is\n%s\nwant\n%s", got, want)
	}
}

func TestRegisterRefusesBadPaths(t *testing.T) {
	h := testHome(t, "")
	for _, exe := range []string{"tandem-customer", "./tandem-customer", "/tmp/two\nlines", ""} {
		if err := h.Register(exe); err == nil {
			t.Errorf("Register(%q) succeeded", exe)
		}
	}
	if _, err := os.Stat(filepath.Join(h.DataHome, "applications", DesktopID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Register left a desktop entry (%v)", err)
	}
}

// TestExecQuoting checks the Exec line for paths that need quoting and escaping, and that Registered reads the
// same path back; desktop-file-validate checks each entry where it is installed.
func TestExecQuoting(t *testing.T) {
	for _, tc := range []struct{ exe, exec string }{
		{"/home/ana/tandem.AppImage", `/home/ana/tandem.AppImage`},
		{"/home/ana/My Apps/tandem.AppImage", `"/home/ana/My Apps/tandem.AppImage"`},
		{"/home/ana/100%/t.AppImage", `/home/ana/100%%/t.AppImage`},
		{`/home/ana/"q" $x/t`, `"/home/ana/\\"q\\" \\$x/t"`},
		{`/home/ana/back\slash/t`, `"/home/ana/back\\\\slash/t"`},
		{"/home/ana/tick`/t", "\"/home/ana/tick\\\\`/t\""},
	} {
		t.Run(tc.exe, func(t *testing.T) {
			h := testHome(t, "")
			if err := h.Register(tc.exe); err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(h.DataHome, "applications", DesktopID)
			if entry := readFile(t, name); !strings.Contains(entry, "\nExec="+tc.exec+" %u\n") {
				t.Errorf("want Exec=%s %%u in\n%s", tc.exec, entry)
			}
			validate(t, name)
			if got, err := h.Registered(); err != nil || got != tc.exe {
				t.Errorf("Registered = %q, %v; want %q", got, err, tc.exe)
			}
		})
	}
}

// validate runs desktop-file-validate on the desktop entry name, where it is installed.
func validate(t *testing.T, name string) {
	t.Helper()
	p, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		return
	}
	if out, err := exec.Command(p, name).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", name, err, out)
	}
}

func TestForCurrentUser(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "relative/is/ignored")
	h, err := ForCurrentUser()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".local", "share"); h.DataHome != want {
		t.Errorf("DataHome = %q, want %q", h.DataHome, want)
	}
	if want := filepath.Join(home, ".config"); h.ConfigHome != want {
		t.Errorf("ConfigHome = %q, want %q", h.ConfigHome, want)
	}
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	if h, err = ForCurrentUser(); err != nil {
		t.Fatal(err)
	}
	if h.DataHome != filepath.Join(home, "data") || h.ConfigHome != filepath.Join(home, "config") {
		t.Errorf("ForCurrentUser = %+v, want the XDG folders", h)
	}
}
