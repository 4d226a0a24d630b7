//go:build !linux && !darwin && !windows

package unattended

import (
	"context"
	"errors"
)

// GraphicalUsers needs logind, which only Linux has; the agent of other systems finds the console user its own
// way (not built yet), so here it serves the administrator only.
func GraphicalUsers(context.Context) ([]uint32, error) {
	return nil, errors.New("finding the logged-in users is not built for this system yet")
}

// LocalUsers is the MayUse of a real agent: here, the administrator only.
func LocalUsers(uid uint32) bool { return uid == 0 }

// LaunchHelper is not built for this system: the agent waits for the desktop to start the helper.
func LaunchHelper(string, ...string) func(context.Context) error {
	return func(context.Context) error { return errors.New("starting the helper is not built for this system yet") }
}
