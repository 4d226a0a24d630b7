// Package ui holds the Fyne pieces both Tandem programs use. It is the only package under shared/ that imports
// Fyne.
package ui

import (
	"errors"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// ErrorText turns an error from the session engine (or the screen capture) into the translated sentence a
// person sees, never a Go error string: the sentence of its protocol.Code (Internal's for an error that carries
// none).
func ErrorText(err error) string {
	switch {
	case errors.Is(err, capture.ErrUnsupported):
		return lang.L("error.capture_unsupported")
	case errors.Is(err, capture.ErrNoMonitor):
		return lang.L("error.no_monitor")
	}
	return lang.L(protocol.CodeOf(err).MessageKey())
}
