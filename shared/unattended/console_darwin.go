package unattended

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// consoleUID returns the user logged in at the Mac's screen: the owner of /dev/console (root while the login
// window shows, which counts as nobody).
func consoleUID() (uint32, bool) {
	var st unix.Stat_t
	if err := unix.Stat("/dev/console", &st); err != nil || st.Uid == 0 {
		return 0, false
	}
	return st.Uid, true
}

// GraphicalUsers returns the user logged in at the Mac's screen, if any.
func GraphicalUsers(context.Context) ([]uint32, error) {
	if uid, ok := consoleUID(); ok {
		return []uint32{uid}, nil
	}
	return nil, nil
}

// LocalUsers is the MayUse of a real agent: the administrator, and the user logged in at the screen.
func LocalUsers(uid uint32) bool {
	if uid == 0 {
		return true
	}
	c, ok := consoleUID()
	return ok && c == uid
}

// LaunchHelper starts the helper's LaunchAgent in the login of the user at the screen (launchctl kickstart);
// program and args are those of the LaunchAgent, which launchd already holds.
func LaunchHelper(string, ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		uid, ok := consoleUID()
		if !ok {
			return errors.New("nobody is logged in at the screen")
		}
		target := "gui/" + strconv.Itoa(int(uid)) + "/" + MacAgentLabel
		out, err := exec.CommandContext(ctx, "launchctl", "kickstart", target).CombinedOutput()
		if err != nil {
			return fmt.Errorf("launchctl kickstart %s: %w: %s", target, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}
