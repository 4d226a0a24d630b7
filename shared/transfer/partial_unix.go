//go:build unix

package transfer

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// partialOpenFlag is added to the flags that open a partial file to resume
// it. Nothing here: os.Root already opens with O_NOFOLLOW, then resolves a
// final symbolic link itself (within the root), so a link is refused by
// openPartial's identity check against the Lstat instead.
const partialOpenFlag = 0

// checkPartial reports why the file fi describes may not be resumed as a
// partial file, or nil: it must be a regular file (not a link to one) with
// a single name, owned by the current user. A file with another name, such
// as a hard link planted to a file outside the folder, would be modified
// there too.
func checkPartial(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular() || !ok:
		return fmt.Errorf("it is not a regular file (%v)", fi.Mode().Type())
	case st.Nlink != 1:
		return fmt.Errorf("it has %d links", st.Nlink)
	case int64(st.Uid) != int64(os.Getuid()):
		return fmt.Errorf("it belongs to user %d", st.Uid)
	}
	return nil
}

// checkOpenPartial is checkPartial on an open partial file: what it says
// holds for the file being written, whatever happens to its name.
func checkOpenPartial(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return checkPartial(fi)
}
