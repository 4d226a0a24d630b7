package selfinstall

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Every type-2 AppImage starts with an ELF header and has "AI\x02" at offset 8.
const (
	elfMagic      = "\x7fELF"
	appImageMagic = "AI\x02"
)

// RunningAppImage returns the path of the AppImage that the program runs from, which the AppImage runtime puts
// in $APPIMAGE (in FUSE and extract-and-run modes alike), after checking that it is one. It returns an error
// wrapping ErrNotAppImage when the program was not started from an AppImage.
func RunningAppImage() (string, error) {
	path := os.Getenv("APPIMAGE")
	if path == "" {
		return "", fmt.Errorf("selfinstall: $APPIMAGE is not set: %w", ErrNotAppImage)
	}
	if err := checkAppImage(path); err != nil {
		return "", err
	}
	return path, nil
}

// RemoveAppImage deletes the AppImage file at path, once it has checked that path is an absolute path to a
// regular file that starts as a type-2 AppImage does; anything else is left alone and an error wrapping
// ErrNotAppImage returned. A running AppImage can be deleted: the program keeps running until it exits.
func RemoveAppImage(path string) error {
	if err := checkAppImage(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("selfinstall: removing the AppImage: %w", err)
	}
	return nil
}

// checkAppImage returns nil when path is an absolute path to a regular file (not a link) with the AppImage
// type-2 magic.
func checkAppImage(path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("selfinstall: %q is not an absolute path: %w", path, ErrNotAppImage)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("selfinstall: %w: %w", ErrNotAppImage, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("selfinstall: %s is not a regular file: %w", path, ErrNotAppImage)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("selfinstall: %w: %w", ErrNotAppImage, err)
	}
	defer func() { _ = f.Close() }() // read only
	head := make([]byte, 11)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:4]) != elfMagic || string(head[8:]) != appImageMagic {
		return fmt.Errorf("selfinstall: %s does not start as an AppImage does: %w", path, ErrNotAppImage)
	}
	return nil
}
