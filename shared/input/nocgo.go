//go:build !cgo || !(linux || windows || darwin)

package input

import "fmt"

// New returns the system's injector. This build has none: robotgo needs cgo (and Linux, Windows or macOS).
func New() (Injector, error) {
	return nil, fmt.Errorf("input: built without cgo: %w", ErrUnsupported)
}
