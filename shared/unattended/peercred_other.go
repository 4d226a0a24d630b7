//go:build !linux && !darwin

package unattended

import (
	"errors"
	"net"
)

// peerUID cannot tell who opened a Unix socket on this system, so the agent serves nobody over one (Windows
// will use a named pipe with an ACL instead).
func peerUID(*net.UnixConn) (uint32, error) {
	return 0, errors.New("this system does not say who opened a local socket")
}
