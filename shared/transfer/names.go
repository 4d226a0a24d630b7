package transfer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Name limits. A component is one element of a relative path (a folder or
// file name); file systems allow 255 bytes, and the collision suffix
// " (NNNN)" and the partial file's decorations need room on top.
const (
	// MaxComponentLen is the longest path component SanitizeName returns, in
	// bytes of UTF-8.
	MaxComponentLen = 240
	// PartialSuffix ends the name of every partial file the receiver writes
	// (".name.<id>.tandem-partial" beside the target).
	PartialSuffix = ".tandem-partial"

	maxExtLen        = 32  // a longer "extension" is not kept apart when truncating
	maxPartialLen    = 255 // partial names stay within the file systems' limit
	partialKeyHexLen = 16
	fallbackName     = "file"
)

// SanitizeName turns a name received from a peer (protocol.FileInfo.Name, a
// relative slash path) into a relative slash path that is safe to create
// under the receiving folder on Linux, Windows and macOS:
//
//   - backslashes are separators too; empty, "." and ".." components are
//     dropped, so the result never climbs out of the folder and never is
//     absolute (a leading "/" or "C:\" goes);
//   - invalid UTF-8 becomes "_"; each component is put in Unicode NFC;
//   - control characters, bidirectional overrides and the characters
//     Windows forbids (< > : " | ? *) become "_" (so "C:" becomes "C_");
//   - trailing dots and spaces, which Windows strips, are removed;
//   - Windows device names (CON, PRN, AUX, NUL, COM0–9, LPT0–9, CONIN$,
//     CONOUT$, with or without an extension, in any case) get a "_" prefix;
//   - a name ending in PartialSuffix gets a "_" suffix, so that it is never
//     taken for a partial file;
//   - a component over MaxComponentLen bytes is cut on a character
//     boundary, keeping its extension.
//
// A name with nothing left becomes "file". The result is never empty, and
// SanitizeName(SanitizeName(x)) == SanitizeName(x).
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.ReplaceAll(name, `\`, "/")
	var out []string
	for _, c := range strings.Split(name, "/") {
		if c = sanitizeComponent(c); c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return fallbackName
	}
	return strings.Join(out, "/")
}

// sanitizeComponent returns c made safe, or "" when nothing is left of it.
func sanitizeComponent(c string) string {
	c = strings.Map(func(r rune) rune {
		if badRune(r) {
			return '_'
		}
		return r
	}, c)
	c = norm.NFC.String(c)
	c = strings.TrimRight(c, ". ")
	if c == "" {
		return ""
	}
	if reservedOnWindows(c) {
		c = "_" + c
	}
	if strings.HasSuffix(strings.ToLower(c), PartialSuffix) {
		c += "_"
	}
	if len(c) > MaxComponentLen {
		c = truncateName(c, MaxComponentLen)
	}
	return c
}

// badRune reports whether r may not appear in a file name: controls,
// bidirectional formatting characters (which can disguise an extension),
// and the characters Windows forbids. "/" and "\" never reach here.
func badRune(r rune) bool {
	switch r {
	case '<', '>', ':', '"', '|', '?', '*',
		'\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
		'\u2066', '\u2067', '\u2068', '\u2069', '\ufeff':
		return true
	}
	return unicode.IsControl(r)
}

// windowsDevices are the names Windows reserves whatever their extension.
var windowsDevices = func() map[string]bool {
	m := map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true}
	for _, d := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"} {
		m["COM"+d], m["LPT"+d] = true, true
	}
	return m
}()

// reservedOnWindows reports whether c names a Windows device: its part
// before the first dot, without trailing spaces, is a device name.
func reservedOnWindows(c string) bool {
	stem, _, _ := strings.Cut(c, ".")
	stem = strings.TrimRight(stem, " ")
	return len(stem) <= 7 && windowsDevices[strings.ToUpper(stem)]
}

// splitExt splits a file name into stem and extension (".txt"), the
// extension being the part from the last dot when that dot is not the first
// character. Extensions longer than maxExtLen are not treated as such.
func splitExt(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || len(name)-i > maxExtLen {
		return name, ""
	}
	return name[:i], name[i:]
}

// truncateName cuts name to at most limit bytes on a character boundary,
// keeping its extension, and leaves it valid as a component (NFC, no
// trailing dot or space, not empty).
func truncateName(name string, limit int) string {
	stem, ext := splitExt(name)
	if len(ext) >= limit/2 {
		stem, ext = name, ""
	}
	for {
		stem = cutUTF8(stem, limit-len(ext))
		stem = strings.TrimRight(stem, ". ")
		if stem == "" {
			stem = "_"
		}
		out := norm.NFC.String(stem + ext)
		if len(out) <= limit {
			return out
		}
		limit-- // normalisation grew it: cut one byte more
	}
}

// cutUTF8 returns the longest prefix of s of at most n bytes that ends on a
// character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// clashKey is what two names must differ in to live in one folder on every
// file system Tandem runs on: Unicode normalisation (macOS, and what people
// see) and case (Windows, macOS) are ignored.
func clashKey(name string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(name)))
}

// numbered returns the n-th alternative of a file name: "name (n).ext";
// n == 0 returns name itself.
func numbered(name string, n int) string {
	if n == 0 {
		return name
	}
	stem, ext := splitExt(name)
	return stem + " (" + strconv.Itoa(n) + ")" + ext
}

// partialKey identifies a file offered by a peer, for resuming: its name as
// offered, size and modification time.
func partialKey(offered string, size uint64, modTime int64) string {
	h := sha256.New()
	h.Write([]byte(offered))
	var b [17]byte
	binary.BigEndian.PutUint64(b[1:], size)
	h.Write(b[:9])
	binary.BigEndian.PutUint64(b[1:], uint64(modTime)) //nolint:gosec // bits, not a value
	h.Write(b[:9])
	return hex.EncodeToString(h.Sum(nil))[:partialKeyHexLen]
}

// partialName is the name of the partial file kept beside base while it is
// received: ".base.<key>.tandem-partial", within maxPartialLen bytes.
func partialName(base, key string) string {
	room := maxPartialLen - len(".."+key+PartialSuffix)
	return "." + cutUTF8(base, room) + "." + key + PartialSuffix
}
