//go:build !unix && !windows

package main

import "errors"

// startDetached is only needed where unattended access is built (Linux).
func startDetached(string, ...string) error {
	return errors.New("starting the helper is not built for this system yet")
}
