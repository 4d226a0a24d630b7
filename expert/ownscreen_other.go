//go:build !(linux || freebsd || openbsd || netbsd)

package main

import "github.com/tandem-remote/tandem/shared/capture"

// ownScreen opens the technician's screen for Share my screen.
func ownScreen() (capture.Source, error) { return capture.New() }

// ownScreenReason: there is no desktop portal on this system.
func ownScreenReason(error) (string, bool) { return "", false }
