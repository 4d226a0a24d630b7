//go:build !windows && !darwin

package selfinstall

import "fmt"

// InstalledPackage finds no package here: on Linux and the BSDs, Tandem ships as an AppImage (RunningAppImage),
// and a distribution's package is removed by its package manager.
func InstalledPackage(string) (Package, error) {
	return Package{}, fmt.Errorf("%w on this system", ErrNoPackage)
}

// RemoveAfterExit cannot remove anything here.
func (p Package) RemoveAfterExit() error { return ErrNoPackage }
