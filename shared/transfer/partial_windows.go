//go:build windows

package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// partialOpenFlag is added to the flags that open a partial file to resume
// it: a reparse point (a symbolic link or a junction) is opened itself,
// never followed, and checkOpenPartial then refuses it.
const partialOpenFlag = windows.FILE_FLAG_OPEN_REPARSE_POINT

// checkPartial reports why the file fi describes may not be resumed as a
// partial file, or nil. A FileInfo says here neither how many names the
// file has nor who owns it: checkOpenPartial checks the links on the open
// file.
func checkPartial(fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("it is not a regular file (%v)", fi.Mode().Type())
	}
	return nil
}

// checkOpenPartial reports why the open file f may not be resumed as a
// partial file, or nil: it must be a plain file, not a reparse point, with a
// single name. A file with another name, such as a hard link planted to a
// file outside the folder, would be modified there too.
func checkOpenPartial(f *os.File) error {
	var d windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &d); err != nil {
		return err
	}
	switch {
	case d.FileAttributes&(windows.FILE_ATTRIBUTE_REPARSE_POINT|windows.FILE_ATTRIBUTE_DIRECTORY) != 0:
		return errors.New("it is a link or a folder")
	case d.NumberOfLinks != 1:
		return fmt.Errorf("it has %d links", d.NumberOfLinks)
	}
	return nil
}
