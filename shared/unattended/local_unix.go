//go:build !windows

package unattended

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// unixListener is the local channel as a Unix socket; peerUID tells who opened each connection.
type unixListener struct{ *net.UnixListener }

func (u unixListener) accept() (localConn, error) { return u.AcceptUnix() }

// listenLocal opens the local channel's socket (in a directory others may enter) that anyone may connect to:
// the agent checks who did. A path that starts with "@" is a Linux abstract socket, which has no file (tests).
func listenLocal(path string) (localListener, error) {
	abstract := strings.HasPrefix(path, "@")
	if !abstract {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { //nolint:gosec // others must reach the socket
			return nil, fmt.Errorf("local channel: %w", err)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path) // a socket left by an agent that did not stop cleanly
		}
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("local channel: %w", err)
	}
	if abstract {
		return unixListener{ul}, nil
	}
	ul.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o666); err != nil { //nolint:gosec // anyone may knock; peerUID decides
		_ = ul.Close()
		return nil, fmt.Errorf("local channel: %w", err)
	}
	return unixListener{ul}, nil
}

// dialLocalConn opens the local channel's socket.
func dialLocalConn(ctx context.Context, socket string) (localConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}
