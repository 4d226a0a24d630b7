//go:build !unix && !windows

package transfer

import (
	"fmt"
	"io/fs"
	"os"
)

// partialOpenFlag is added to the flags that open a partial file to resume
// it: nothing on this system.
const partialOpenFlag = 0

// checkPartial reports why the file fi describes may not be resumed as a
// partial file, or nil: here only a file that is not regular is refused,
// the system telling neither its links nor its owner.
func checkPartial(fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("it is not a regular file (%v)", fi.Mode().Type())
	}
	return nil
}

// checkOpenPartial is checkPartial on an open partial file.
func checkOpenPartial(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return checkPartial(fi)
}
