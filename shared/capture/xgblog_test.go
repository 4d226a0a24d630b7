//go:build linux || freebsd || openbsd || netbsd

package capture

import (
	"bytes"
	"log"
	"testing"
)

func TestXGBAuthorityNotesAreDropped(t *testing.T) {
	var out bytes.Buffer
	l := log.New(dropAuthorityNotes{&out}, "XGB: ", 0)
	l.Printf("Could not get authority info: %v", "open /root/.Xauthority: no such file or directory")
	l.Println("Trying connection without authority info...")
	if out.Len() != 0 {
		t.Fatalf("the authority notes were printed: %q", out.String())
	}
	l.Printf("A read error is unrecoverable: %s", "EOF")
	if out.String() != "XGB: A read error is unrecoverable: EOF\n" {
		t.Fatalf("other lines: %q", out.String())
	}
}
