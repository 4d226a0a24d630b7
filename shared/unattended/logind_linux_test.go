package unattended

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/tandem-remote/tandem/shared/picker/portaltest"
)

// fakeLogind stands in for org.freedesktop.login1 on a private bus, with the sessions given.
type fakeLogind struct{ sessions []fakeSession }

type fakeSession struct {
	id          string
	uid         uint32
	active      bool
	kind, class string
	display     string
	path        dbus.ObjectPath
}

func (f fakeLogind) ListSessions() ([]struct {
	ID   string
	UID  uint32
	User string
	Seat string
	Path dbus.ObjectPath
}, *dbus.Error) {
	var out []struct {
		ID   string
		UID  uint32
		User string
		Seat string
		Path dbus.ObjectPath
	}
	for _, s := range f.sessions {
		out = append(out, struct {
			ID   string
			UID  uint32
			User string
			Seat string
			Path dbus.ObjectPath
		}{ID: s.id, UID: s.uid, User: "u", Seat: "seat0", Path: s.path})
	}
	return out, nil
}

func startFakeLogind(t *testing.T, sessions []fakeSession) {
	t.Helper()
	addr := portaltest.StartBusOnly(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for i := range sessions {
		sessions[i].path = dbus.ObjectPath("/org/freedesktop/login1/session/_3" + string(rune('1'+i)))
		if sessions[i].id == "" {
			sessions[i].id = string(rune('1' + i))
		}
		s := sessions[i]
		if _, err := prop.Export(conn, s.path, prop.Map{"org.freedesktop.login1.Session": {
			"Active":  {Value: s.active},
			"Type":    {Value: s.kind},
			"Class":   {Value: s.class},
			"Display": {Value: s.display},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Export(fakeLogind{sessions: sessions}, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking logind's name: %v %v", r, err)
	}
}

func TestGraphicalUsersFromLogind(t *testing.T) {
	startFakeLogind(t, []fakeSession{
		{uid: 1000, active: true, kind: "x11", class: "user"},
		{uid: 1001, active: false, kind: "wayland", class: "user"}, // switched away
		{uid: 1002, active: true, kind: "tty", class: "user"},      // a text console: no screen to show
		{uid: 1003, active: true, kind: "wayland", class: "user"},  // another seat
		{uid: 110, active: true, kind: "x11", class: "greeter"},    // the login screen
	})
	users, err := GraphicalUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(users)
	if !slices.Equal(users, []uint32{1000, 1003}) {
		t.Fatalf("graphical users %v, want [1000 1003]", users)
	}
	for uid, want := range map[uint32]bool{0: true, 1000: true, 1003: true, 1001: false, 1002: false, 110: false} {
		if got := LocalUsers(uid); got != want {
			t.Errorf("LocalUsers(%d) = %v, want %v", uid, got, want)
		}
	}
}

func TestWithoutLogindOnlyTheAdministrator(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+t.TempDir()+"/none")
	if _, err := GraphicalUsers(context.Background()); err == nil {
		t.Fatal("no logind, no error")
	}
	if !LocalUsers(0) || LocalUsers(1000) {
		t.Fatal("without logind, only the administrator may use the agent")
	}
}

// LaunchHelper starts the helper in the active graphical session's display, as its user, with the display found
// in the environment of that session's own programs (logind's Display when none has one), and nothing else of
// the agent's environment.
func TestLaunchHelperFindsTheSessionsDisplay(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("t%d", os.Getpid())
	t.Setenv("TANDEM_AGENT_SECRET_VAR", "the agent's")
	// A program of the user's desktop session, whose environment says where its display is.
	desktop := exec.Command("sleep", "60")
	desktop.Env = []string{"XDG_SESSION_ID=" + id, "DISPLAY=:77", "XAUTHORITY=/run/user/1000/xauth_X", "LANG=fr_FR.UTF-8"}
	if err := desktop.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = desktop.Process.Kill(); _ = desktop.Wait() })

	for _, tc := range []struct {
		name    string
		session fakeSession
		want    []string
	}{
		{"from the session's programs", fakeSession{id: id, display: ":0"},
			[]string{"DISPLAY=:77", "XAUTHORITY=/run/user/1000/xauth_X", "LANG=fr_FR.UTF-8", "XDG_SESSION_ID=" + id}},
		{"from logind", fakeSession{id: id + "-other", display: ":88"}, []string{"DISPLAY=:88"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.session
			s.uid, s.active, s.kind, s.class = uint32(os.Getuid()), true, "x11", "user"
			startFakeLogind(t, []fakeSession{s})
			out := filepath.Join(t.TempDir(), "launched")
			if err := LaunchHelper(self, "-helper", "-socket", out)(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []byte
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if got, err = os.ReadFile(out); err == nil && len(got) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the helper did not start")
				}
			}
			env := strings.Split(strings.TrimSpace(string(got)), "\n")
			for _, w := range tc.want {
				if !slices.Contains(env, w) {
					t.Errorf("the helper's environment %q lacks %q", env, w)
				}
			}
			for _, kv := range env {
				if strings.HasPrefix(kv, "TANDEM_AGENT_SECRET_VAR=") {
					t.Errorf("the agent's own environment leaked into the helper's: %q", kv)
				}
			}
		})
	}
	// Nobody logged in to a graphical session.
	startFakeLogind(t, []fakeSession{{uid: 1000, active: false, kind: "x11", class: "user"}})
	if err := LaunchHelper(self, "-helper")(context.Background()); err == nil {
		t.Fatal("launched a helper with nobody logged in")
	}
}

// launchedMain is what this test program does when LaunchHelper starts it as the helper: it writes its
// environment to the file named after -socket, and ends.
func launchedMain() {
	if len(os.Args) < 4 || os.Args[1] != "-helper" || os.Args[2] != "-socket" {
		return
	}
	tmp := os.Args[3] + ".tmp"
	if os.WriteFile(tmp, []byte(strings.Join(os.Environ(), "\n")+"\n"), 0o600) == nil {
		_ = os.Rename(tmp, os.Args[3])
	}
	os.Exit(0)
}

func TestMain(m *testing.M) {
	launchedMain()
	os.Exit(m.Run())
}
