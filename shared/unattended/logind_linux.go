package unattended

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/godbus/dbus/v5"
)

// GraphicalSession is an active graphical session as logind lists it.
type GraphicalSession struct {
	ID      string
	UID     uint32
	Display string // the X11 display logind knows for it ("" for Wayland)
}

// GraphicalSessions asks logind (org.freedesktop.login1 on the system bus) for the active graphical sessions
// (X11 or Wayland, of class user): the people who may be the helper and manage access. An error means logind
// could not be asked (no system bus, no logind); callers then serve the administrator only.
func GraphicalSessions(ctx context.Context) ([]GraphicalSession, error) {
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
	var out []GraphicalSession
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
		display, _ := props["Display"].Value().(string)
		if active && class == "user" && (kind == "x11" || kind == "wayland") {
			out = append(out, GraphicalSession{ID: s.ID, UID: s.UID, Display: display})
		}
	}
	return out, nil
}

// GraphicalUsers returns the users of the active graphical sessions (GraphicalSessions).
func GraphicalUsers(ctx context.Context) ([]uint32, error) {
	ss, err := GraphicalSessions(ctx)
	if err != nil {
		return nil, err
	}
	users := make([]uint32, 0, len(ss))
	for _, s := range ss {
		users = append(users, s.UID)
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

// sessionVars are what the helper takes from the environment of the session's own programs.
var sessionVars = []string{"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
	"XDG_SESSION_TYPE", "XDG_SESSION_ID", "XDG_CURRENT_DESKTOP", "HOME", "USER", "LOGNAME", "PATH", "LANG", "LANGUAGE",
	"LC_ALL", "LC_MESSAGES"}

// LaunchHelper returns the Launch of a real agent: it starts program with args as the user of the first active
// graphical session that logind names, in that session's display. The display is taken from the environment of
// one of the session's programs (XDG_SESSION_ID names the session; DISPLAY and XAUTHORITY, or WAYLAND_DISPLAY),
// as the user's own programs have it; logind's Display stands in when none is found.
func LaunchHelper(program string, args ...string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ss, err := GraphicalSessions(ctx)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return errors.New("nobody is logged in to a graphical session")
		}
		s := ss[0]
		env := sessionEnv("/proc", s)
		if !hasDisplay(env) {
			if s.Display == "" {
				return fmt.Errorf("no display found for session %s", s.ID)
			}
			env = append(env, "DISPLAY="+s.Display)
		}
		cmd := exec.Command(program, args...)
		cmd.Env = env
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if s.UID != uint32(os.Getuid()) {
			cred, err := credentialOf(s.UID)
			if err != nil {
				return err
			}
			cmd.SysProcAttr.Credential = cred
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting the helper for session %s: %w", s.ID, err)
		}
		return cmd.Process.Release() // the session's from now on
	}
}

func hasDisplay(env []string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			return true
		}
	}
	return false
}

// sessionEnv finds, among the processes under proc of the session's user, one of that session with a display,
// and returns its sessionVars (nil when there is none).
func sessionEnv(proc string, s GraphicalSession) []string {
	des, err := os.ReadDir(proc)
	if err != nil {
		return nil
	}
	for _, de := range des {
		if _, err := strconv.Atoi(de.Name()); err != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(proc, de.Name()))
		if err != nil {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != s.UID {
			continue
		}
		b, err := os.ReadFile(filepath.Join(proc, de.Name(), "environ"))
		if err != nil {
			continue
		}
		vars := map[string]string{}
		for _, kv := range strings.Split(string(b), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
		if vars["XDG_SESSION_ID"] != s.ID || (vars["DISPLAY"] == "" && vars["WAYLAND_DISPLAY"] == "") {
			continue
		}
		var env []string
		for _, k := range sessionVars {
			if v, ok := vars[k]; ok {
				env = append(env, k+"="+v)
			}
		}
		return env
	}
	return nil
}

// credentialOf returns the user's identity for a process: uid, primary group and groups.
func credentialOf(uid uint32) (*syscall.Credential, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	cred := &syscall.Credential{Uid: uid, Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}
