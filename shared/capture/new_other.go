//go:build !(linux || freebsd || openbsd || netbsd)

package capture

import "fmt"

// New opens the best source for this system: Screenshot (GDI on Windows, CoreGraphics on macOS).
func New() (Source, error) {
	s, err := NewScreenshot()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return s, nil
}
