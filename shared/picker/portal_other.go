//go:build !(linux || freebsd || openbsd || netbsd)

package picker

import "context"

// openNative: the Common Item Dialog (Windows) and NSOpenPanel (macOS) are not built yet.
func openNative(context.Context, Options, bool, bool) ([]string, error) { return nil, ErrUnavailable }
