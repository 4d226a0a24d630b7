//go:build unix

package transfer

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// FreeSpace returns the bytes that an unprivileged user may still write on
// the file system holding dir.
func FreeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:gosec,unconvert // field types differ between systems
}

// isDiskFull reports whether err says that the disk (or the user's quota) is
// full.
func isDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
