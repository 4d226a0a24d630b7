// Package joinstamp carries a session from a join page into the copy of Tandem Customer it hands out: the
// file's name holds the support key ("tandem-customer-123456789-x86_64.AppImage", "Tandem Customer
// 123456789.msi") and, where the file's format allows bytes after its end (an AppImage, an ELF or PE program),
// a stamp appended to the file names the rendezvous through which the customer meets the technician.
//
// The stamp holds nothing secret: the key's secret digits confirm the session end to end, and the rendezvous,
// like the page that served the file, can deny service but never join.
//
// Layout of a stamp, at the very end of the file: the rendezvous URL (UTF-8, at most MaxURL bytes), its length
// as a big-endian uint32, then the 8 bytes of Magic.
package joinstamp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Magic ends every stamp.
const Magic = "TNDMJN01"

// MaxURL is the longest rendezvous URL a stamp holds.
const MaxURL = 2048

const trailer = 4 + len(Magic)

// ErrNoStamp is returned by Read for a file that carries no stamp.
var ErrNoStamp = errors.New("joinstamp: the file carries no stamp")

// Append writes the stamp naming rendezvous to w, which must be positioned at the end of the file's content.
func Append(w io.Writer, rendezvous string) error {
	if rendezvous == "" || len(rendezvous) > MaxURL {
		return fmt.Errorf("joinstamp: a rendezvous URL of %d bytes", len(rendezvous))
	}
	b := make([]byte, 0, len(rendezvous)+trailer)
	b = append(b, rendezvous...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(rendezvous)))
	b = append(b, Magic...)
	_, err := w.Write(b)
	return err
}

// Size is how many bytes Append adds for rendezvous.
func Size(rendezvous string) int64 { return int64(len(rendezvous) + trailer) }

// Read returns the rendezvous URL stamped at the end of the file at path, or ErrNoStamp.
func Read(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read only
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.Size() < int64(trailer) {
		return "", ErrNoStamp
	}
	var tail [trailer]byte
	if _, err := f.ReadAt(tail[:], st.Size()-int64(trailer)); err != nil {
		return "", err
	}
	if string(tail[4:]) != Magic {
		return "", ErrNoStamp
	}
	n := int64(binary.BigEndian.Uint32(tail[:4]))
	if n == 0 || n > MaxURL || n > st.Size()-int64(trailer) {
		return "", ErrNoStamp
	}
	url := make([]byte, n)
	if _, err := f.ReadAt(url, st.Size()-int64(trailer)-n); err != nil {
		return "", err
	}
	return string(url), nil
}

// keyInName finds the nine digits after "tandem customer" (any case, with spaces, dashes or underscores), so
// that the names a browser gives a second download ("Tandem Customer 123456789 (1).msi") still match.
var keyInName = regexp.MustCompile(`(?i)tandem[ _-]customer[ _-]+([0-9]{9})(?:[^0-9]|$)`)

// KeyFromName returns the support key carried by the base name of path, or "" when it carries none.
func KeyFromName(path string) string {
	m := keyInName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return ""
	}
	return m[1]
}

// FileName is the name under which a join page hands out a release file for key: the program's own name with
// the key in it, keeping the file's extension (and, for Linux, its architecture). platform is "linux" (an
// AppImage), "linux-bin" (a bare program), "windows" or "macos".
func FileName(key, platform, arch string) string {
	switch platform {
	case "linux":
		return "tandem-customer-" + key + "-" + arch + ".AppImage"
	case "linux-bin": // a bare program
		return "tandem-customer-" + key + "-linux-" + arch
	case "windows":
		return "Tandem Customer " + key + ".msi"
	case "macos":
		return "Tandem Customer " + key + ".dmg"
	}
	return "tandem-customer-" + key + "-" + strings.ToLower(platform)
}
