//go:build cgo && linux

package input

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>

static volatile unsigned long tandemXErrors;

static int tandemXErrorHandler(Display *d, XErrorEvent *e) {
	(void)d; (void)e;
	tandemXErrors++;
	return 0;
}

static void tandemInstallXErrorHandler(void) { XSetErrorHandler(tandemXErrorHandler); }

static unsigned long tandemXErrorCount(void) { return tandemXErrors; }

static int tandemCanOpenDisplay(void) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) return 0;
	XCloseDisplay(d);
	return 1;
}
*/
import "C"

import (
	"fmt"
	"os"

	"github.com/go-vgo/robotgo"
)

// platformInit checks that the X display opens (robotgo would crash on a missing one) and installs the
// counting error handler.
func platformInit() error {
	if os.Getenv("DISPLAY") == "" {
		return fmt.Errorf("DISPLAY is not set (a Wayland session without XWayland?): %w", ErrUnsupported)
	}
	if C.tandemCanOpenDisplay() == 0 {
		return fmt.Errorf("cannot open X display %q: %w", os.Getenv("DISPLAY"), ErrUnsupported)
	}
	C.tandemInstallXErrorHandler()
	return nil
}

// platformErrors returns how many X errors the process has seen.
func platformErrors() uint64 { return uint64(C.tandemXErrorCount()) }

// platformClose closes robotgo's X connection.
func platformClose() { robotgo.CloseMainDisplay() }
