package capture

import (
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"golang.org/x/sys/unix"
)

// shmSegment is a System V shared-memory segment attached both here and in the X server.
type shmSegment struct {
	seg  shm.Seg
	data []byte // our mapping; its length is the segment's size
}

// newSHMSegment creates a private segment of size bytes, attaches it here and in the server, and marks it
// for removal at once, so that it disappears when both sides detach (also if this process dies).
func newSHMSegment(c *xgb.Conn, size int) (*shmSegment, error) {
	if size <= 0 {
		return nil, fmt.Errorf("MIT-SHM: segment of %d bytes", size)
	}
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: shmget %d bytes: %w", size, err)
	}
	defer func() { _, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil) }() // after both attachments: freed when both detach
	data, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("MIT-SHM: shmat: %w", err)
	}
	seg, err := shm.NewSegId(c)
	if err != nil {
		_ = unix.SysvShmDetach(data)
		return nil, fmt.Errorf("MIT-SHM: segment id: %w", err)
	}
	if err := shm.AttachChecked(c, seg, uint32(id), false).Check(); err != nil {
		_ = unix.SysvShmDetach(data)
		return nil, fmt.Errorf("MIT-SHM: server attach: %w", err)
	}
	return &shmSegment{seg: seg, data: data}, nil
}

// ensure makes the segment at least size bytes, replacing it when it is smaller.
func (s *shmSegment) ensure(c *xgb.Conn, size int) error {
	if size <= len(s.data) {
		return nil
	}
	n, err := newSHMSegment(c, size)
	if err != nil {
		return err
	}
	err = s.close(c)
	*s = *n
	return err
}

// close detaches the segment from the server and from this process.
func (s *shmSegment) close(c *xgb.Conn) error {
	if s.data == nil {
		return nil
	}
	shm.Detach(c, s.seg)
	err := unix.SysvShmDetach(s.data)
	s.data = nil
	if err != nil {
		return fmt.Errorf("MIT-SHM: shmdt: %w", err)
	}
	return nil
}
