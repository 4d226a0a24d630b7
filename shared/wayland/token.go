package wayland

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// maxToken bounds a restore token read back from its file.
const maxToken = 4096

// TokenFile keeps the portal's restore token in a file only its owner reads.
type TokenFile string

// DefaultTokenFile is the file name in the Tandem folder of the user's configuration directory (each program
// keeps its own: a token restores one kind of session).
func DefaultTokenFile(name string) (TokenFile, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory: %w", err)
	}
	return TokenFile(filepath.Join(dir, "Tandem", name)), nil
}

// Load returns the stored token, "" when there is none (or the file is not a token).
func (f TokenFile) Load() string {
	b, err := os.ReadFile(string(f))
	if err != nil || len(b) > maxToken || !utf8.Valid(b) || bytes.ContainsAny(b, "\x00\n\r") {
		return ""
	}
	return string(b)
}

// Save replaces the stored token with token (a token is single use), or removes it when token is "". The
// file is written beside and renamed into place, so a crash never leaves half a token.
func (f TokenFile) Save(token string) error {
	path := string(f)
	if token == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the portal's restore token: %w", err)
		}
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the portal's restore token: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".portal-token-*")
	if err != nil {
		return fmt.Errorf("saving the portal's restore token: %w", err)
	}
	_, werr := tmp.WriteString(token)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("saving the portal's restore token: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("saving the portal's restore token: %w", err)
	}
	return nil
}
