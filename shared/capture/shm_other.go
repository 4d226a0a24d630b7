//go:build freebsd || openbsd || netbsd

package capture

import (
	"errors"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
)

// shmSegment is not available here: X11 captures use GetImage.
type shmSegment struct {
	seg  shm.Seg
	data []byte
}

// errNoSHM is returned by newSHMSegment where System V shared memory is not available.
var errNoSHM = errors.New("MIT-SHM: no System V shared memory on this system")

func newSHMSegment(*xgb.Conn, int) (*shmSegment, error) { return nil, errNoSHM }

func (s *shmSegment) ensure(*xgb.Conn, int) error { return errNoSHM }

func (s *shmSegment) close(*xgb.Conn) error { return nil }
