//go:build linux || freebsd || openbsd || netbsd

package picker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	portalName      = "org.freedesktop.portal.Desktop"
	portalPath      = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	fileChooser     = "org.freedesktop.portal.FileChooser"
	requestIface    = "org.freedesktop.portal.Request"
	responseSignal  = requestIface + ".Response"
	responseSuccess = 0
)

// openNative shows the portal's FileChooser.OpenFile dialog. It subscribes to the request's Response before
// the call, on a connection of its own (closed at the end), as the portal's documentation asks: the answer
// cannot come before anyone listens.
func openNative(ctx context.Context, o Options, multiple, directory bool) ([]string, error) {
	// No autolaunch: a desktop without a session bus has no portal either, and starting a bus would not help.
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Auth(nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := conn.Hello(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	token := "tandem" + hex.EncodeToString(b[:])
	names := conn.Names()
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no name on the session bus", ErrUnavailable)
	}
	sender := strings.ReplaceAll(strings.TrimPrefix(names[0], ":"), ".", "_")
	expected := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + sender + "/" + token)
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(requestIface), dbus.WithMatchMember("Response"),
		dbus.WithMatchObjectPath(expected)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)

	opts := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"modal":        dbus.MakeVariant(true),
		"multiple":     dbus.MakeVariant(multiple),
		"directory":    dbus.MakeVariant(directory),
	}
	if o.Accept != "" {
		opts["accept_label"] = dbus.MakeVariant(o.Accept)
	}
	var handle dbus.ObjectPath
	call := conn.Object(portalName, portalPath).CallWithContext(ctx, fileChooser+".OpenFile", 0, o.Parent, o.Title, opts)
	if err := call.Store(&handle); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err) // no portal, or one without a FileChooser
	}
	for {
		select {
		case s := <-signals:
			if s == nil || s.Name != responseSignal || (s.Path != handle && s.Path != expected) {
				continue
			}
			return readResponse(s)
		case <-ctx.Done():
			_ = conn.Object(portalName, handle).Call(requestIface+".Close", 0).Err // the dialog goes away
			return nil, ctx.Err()
		}
	}
}

// readResponse reads a Response signal's (status, results): the chosen URIs as paths.
func readResponse(s *dbus.Signal) ([]string, error) {
	if len(s.Body) != 2 {
		return nil, errors.New("picker: a malformed answer from the portal")
	}
	status, ok := s.Body[0].(uint32)
	results, ok2 := s.Body[1].(map[string]dbus.Variant)
	if !ok || !ok2 {
		return nil, errors.New("picker: a malformed answer from the portal")
	}
	if status != responseSuccess {
		return nil, nil // cancelled, or closed some other way
	}
	var uris []string
	if v, ok := results["uris"]; ok {
		if err := v.Store(&uris); err != nil {
			return nil, fmt.Errorf("picker: the portal's answer: %w", err)
		}
	}
	paths := make([]string, 0, len(uris))
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "file" || p.Path == "" {
			return nil, fmt.Errorf("picker: the portal answered %q, which is no local file", u)
		}
		paths = append(paths, p.Path)
	}
	return paths, nil
}
