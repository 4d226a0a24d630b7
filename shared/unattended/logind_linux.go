package unattended

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// GraphicalUsers asks logind (org.freedesktop.login1 on the system bus) for the users of the active graphical
// sessions (X11 or Wayland, of class user): the people who may be the helper and manage access. An error means
// logind could not be asked (no system bus, no logind); callers then serve the administrator only.
func GraphicalUsers(ctx context.Context) ([]uint32, error) {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("logind: %w", err)
	}
	defer func() { _ = conn.Close() }()
	mgr := conn.Object("org.freedesktop.login1", "/org/freedesktop/login1")
	var sessions []struct {
		ID   string
		UID  uint32
		User string
		Seat string
		Path dbus.ObjectPath
	}
	if err := mgr.CallWithContext(ctx, "org.freedesktop.login1.Manager.ListSessions", 0).Store(&sessions); err != nil {
		return nil, fmt.Errorf("logind: listing sessions: %w", err)
	}
	var users []uint32
	for _, s := range sessions {
		obj := conn.Object("org.freedesktop.login1", s.Path)
		var props map[string]dbus.Variant
		if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0,
			"org.freedesktop.login1.Session").Store(&props); err != nil {
			continue // the session ended meanwhile
		}
		active, _ := props["Active"].Value().(bool)
		kind, _ := props["Type"].Value().(string)
		class, _ := props["Class"].Value().(string)
		if active && class == "user" && (kind == "x11" || kind == "wayland") {
			users = append(users, s.UID)
		}
	}
	return users, nil
}

// LocalUsers is the MayUse of a real agent: the system's administrator, and the users of the active graphical
// sessions as logind says at the moment they knock.
func LocalUsers(uid uint32) bool {
	if uid == 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), localTimeout)
	defer cancel()
	users, err := GraphicalUsers(ctx)
	if err != nil {
		return false
	}
	for _, u := range users {
		if u == uid {
			return true
		}
	}
	return false
}
