//go:build !darwin && !windows

package unattended

// consoleUID is the Mac's screen user; other systems find theirs otherwise (logind on Linux).
func consoleUID() (uint32, bool) { return 0, false }
