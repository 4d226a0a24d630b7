//go:build !windows

package unattended

import (
	"errors"
	"os"
)

var errNotWindows = errors.New("unattended: a Windows installation is made on Windows")

func (Service) installWindows() error   { return errNotWindows }
func (Service) uninstallWindows() error { return errNotWindows }
func (Service) installedWindows() bool  { return false }

// makePrivate leaves dir to its owner alone.
func makePrivate(dir string) error { return os.Chmod(dir, privateDirMode) }
