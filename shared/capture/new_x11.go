//go:build linux || freebsd || openbsd || netbsd

package capture

import (
	"errors"
	"fmt"
	"os"
)

// New opens the best source for this system: on X11 (DISPLAY set) the persistent X11 source, falling back to
// Screenshot if it fails; Screenshot otherwise (e.g. a Wayland session, where the library goes through the
// desktop portal).
func New() (Source, error) {
	var x11err error
	if os.Getenv("DISPLAY") != "" {
		s, err := NewX11(X11Options{})
		if err == nil {
			return s, nil
		}
		x11err = err
	}
	s, err := NewScreenshot()
	if err != nil {
		return nil, fmt.Errorf("capture: no usable back end: %w", errors.Join(x11err, err))
	}
	return s, nil
}
