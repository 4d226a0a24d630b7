package unattended

import (
	"context"
	"slices"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/tandem-remote/tandem/shared/picker/portaltest"
)

// fakeLogind stands in for org.freedesktop.login1 on a private bus, with the sessions given.
type fakeLogind struct{ sessions []fakeSession }

type fakeSession struct {
	uid         uint32
	active      bool
	kind, class string
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
	for i, s := range f.sessions {
		out = append(out, struct {
			ID   string
			UID  uint32
			User string
			Seat string
			Path dbus.ObjectPath
		}{ID: string(rune('1' + i)), UID: s.uid, User: "u", Seat: "seat0", Path: s.path})
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
		s := sessions[i]
		if _, err := prop.Export(conn, s.path, prop.Map{"org.freedesktop.login1.Session": {
			"Active": {Value: s.active},
			"Type":   {Value: s.kind},
			"Class":  {Value: s.class},
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
