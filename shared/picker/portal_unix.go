//go:build linux || freebsd || openbsd || netbsd

package picker

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/godbus/dbus/v5"

	"github.com/tandem-remote/tandem/shared/portal"
)

const fileChooser = "org.freedesktop.portal.FileChooser"

// openNative shows the portal's FileChooser.OpenFile dialog, on a connection of its own (closed at the end).
func openNative(ctx context.Context, o Options, multiple, directory bool) ([]string, error) {
	conn, err := portal.Connect()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() { _ = conn.Close() }()
	r, err := portal.NewRequester(conn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	results, err := r.Request(ctx, fileChooser+".OpenFile", func(opts map[string]dbus.Variant) []any {
		opts["modal"] = dbus.MakeVariant(true)
		opts["multiple"] = dbus.MakeVariant(multiple)
		opts["directory"] = dbus.MakeVariant(directory)
		if o.Accept != "" {
			opts["accept_label"] = dbus.MakeVariant(o.Accept)
		}
		return []any{o.Parent, o.Title, opts}
	})
	switch {
	case err == nil:
		return readURIs(results)
	case errors.Is(err, portal.ErrRefused):
		return nil, nil // cancelled, or closed some other way
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, portal.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err) // no portal, or one without a FileChooser
	}
	return nil, fmt.Errorf("picker: %w", err) // a malformed answer
}

// readURIs reads the chosen URIs of an OpenFile answer as paths.
func readURIs(results map[string]dbus.Variant) ([]string, error) {
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
