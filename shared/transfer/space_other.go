//go:build !unix && !windows

package transfer

import (
	"errors"
	"syscall"
)

// FreeSpace is not available on this system: it always fails, and the
// engine then accepts transfers without checking.
func FreeSpace(dir string) (uint64, error) {
	return 0, errors.New("free space of " + dir + ": not supported on this system")
}

// isDiskFull reports whether err says that the disk is full.
func isDiskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }
