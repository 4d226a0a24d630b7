package selfinstall

import (
	"fmt"
	"os"
	"path/filepath"
)

// InstalledPackage returns the application bundle the program runs from; program is not needed on macOS.
func InstalledPackage(string) (Package, error) {
	exe, err := os.Executable()
	if err != nil {
		return Package{}, fmt.Errorf("%w: %w", ErrNoPackage, err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	bundle, ok := appBundle(exe)
	if !ok {
		return Package{}, fmt.Errorf("%w: %s is not inside an application bundle", ErrNoPackage, exe)
	}
	return Package{Kind: AppBundle, Path: bundle}, nil
}

// RemoveAfterExit starts a helper that waits for this program to exit, then moves the bundle to the Trash.
func (p Package) RemoveAfterExit() error {
	if p.Kind != AppBundle {
		return ErrNoPackage
	}
	return afterExit(os.Getpid(), "/usr/bin/osascript", "-l", "JavaScript", "-e", trashScript, p.Path)
}

// trashScript is the JavaScript for Automation that moves its argument to the Trash through NSFileManager
// (as the Finder's Move to Trash does, without asking the Finder, which would need the user's permission).
const trashScript = `function run(argv) {
  ObjC.import('Foundation');
  const url = $.NSURL.fileURLWithPath(argv[0]);
  if (!$.NSFileManager.defaultManager.trashItemAtURLResultingItemURLError(url, null, null)) {
    throw new Error('cannot move ' + argv[0] + ' to the Trash');
  }
}`
