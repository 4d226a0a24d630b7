package unattended

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerUID returns the user of the process at the other end of a Unix socket, as the kernel saw it connect.
func peerUID(lc localConn) (uint32, error) {
	c, ok := lc.(*net.UnixConn)
	if !ok {
		return 0, fmt.Errorf("local channel: a %T, not a Unix socket", lc)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, fmt.Errorf("reading the local peer's credentials: %w", cerr)
	}
	return cred.Uid, nil
}
