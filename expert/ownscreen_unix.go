//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/capture/pipewire"
	"github.com/tandem-remote/tandem/shared/wayland"
)

// ownScreenAnswer bounds how long Share my screen waits for the technician to answer the system's window.
const ownScreenAnswer = 5 * time.Minute

// ownScreen opens the technician's screen for Share my screen. On a Wayland desktop, where X11 capture would
// show only XWayland's windows, it goes through the desktop portal: the system asks the technician which
// screens to share (nothing about control), and remembers the choice until they revoke it.
func ownScreen() (capture.Source, error) {
	if wayland.Detect(os.Getenv) != wayland.Wayland {
		return capture.New()
	}
	tokens, err := wayland.DefaultTokenFile("portal-screen-token")
	if err != nil {
		log.Printf("wayland: the system will ask every time: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ownScreenAnswer)
	defer cancel()
	d, err := wayland.Open(ctx, wayland.Options{Tokens: tokens, ScreenOnly: true})
	if err != nil {
		return nil, err
	}
	src, err := d.Source()
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	return src, nil // closing it ends the portal session
}

// ownScreenReason says in plain words why the portal gave no screen; false if err is not the portal's.
func ownScreenReason(err error) (string, bool) {
	switch {
	case errors.Is(err, wayland.ErrRefused):
		return lang.L("viewer.why_share_refused"), true
	case errors.Is(err, wayland.ErrNoPortal):
		return lang.L("viewer.why_share_no_portal"), true
	case errors.Is(err, pipewire.ErrUnavailable):
		return lang.L("viewer.why_share_pipewire"), true
	}
	return "", false
}
