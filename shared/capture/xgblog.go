//go:build linux || freebsd || openbsd || netbsd

package capture

import (
	"bytes"
	"io"
	"log"
	"os"

	"github.com/jezek/xgb"
)

// X connections log through xgb.Logger. Two of its lines are no news: a display without an authority file
// (Xvfb, a container's X server) is connected to without one, and every connection said so on stderr twice.
// Those lines are dropped; anything else xgb says still reaches stderr.
func init() {
	xgb.Logger = log.New(dropAuthorityNotes{os.Stderr}, "XGB: ", log.Lshortfile)
}

type dropAuthorityNotes struct{ w io.Writer }

func (d dropAuthorityNotes) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Could not get authority info")) ||
		bytes.Contains(p, []byte("Trying connection without authority info")) {
		return len(p), nil
	}
	return d.w.Write(p)
}
