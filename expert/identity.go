package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tandem-remote/tandem/shared/transport"
)

// identityFile is where Tandem Expert keeps its certificate, beside the history: the computers set up for
// unattended access know this Expert by it.
const identityFile = "expert-identity.pem"

// loadIdentity reads the identity at path, or makes one there (owner-only) the first time.
func loadIdentity(path string) (*transport.Identity, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		id, err := transport.ParseIdentity(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	id, err := transport.NewIdentity()
	if err != nil {
		return nil, err
	}
	b, err = id.MarshalPEM()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two Experts starting at once keep the first one's identity.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadIdentity(path)
	}
	if err != nil {
		return nil, err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("saving %s: %w", path, err)
	}
	return id, nil
}
