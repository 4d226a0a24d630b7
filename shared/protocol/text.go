package protocol

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// textRule says which characters a text field may hold. Every text field is
// valid UTF-8 within its byte limit; none holds C0 or C1 control characters
// or DEL, except that multi-line fields may hold tab, line feed and carriage
// return.
type textRule uint8

const (
	singleLine textRule = iota // names, versions, reasons
	multiLine                  // chat text, typed text
)

// checkText validates one text field against its rule and limit; required
// fields must not be empty.
func checkText(field, s string, max int, rule textRule, required bool) error {
	if len(s) > max {
		return invalidf(field + " too long (" + strconv.Itoa(len(s)) + " > " + strconv.Itoa(max) + " bytes)")
	}
	if required && s == "" {
		return invalidf(field + " empty")
	}
	if !utf8.ValidString(s) {
		return invalidf(field + " not valid UTF-8")
	}
	for _, r := range s {
		if isControl(r) && !(rule == multiLine && (r == '\t' || r == '\n' || r == '\r')) {
			return invalidf(field + " holds control character " + strconv.QuoteRune(r))
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// SanitizeText returns s made acceptable for a single-line text field of at
// most max bytes: invalid UTF-8 becomes U+FFFD, control characters become
// spaces, and the result is cut at a character boundary. Use it to build a
// SessionEnd reason or ErrorMessage detail from an arbitrary Go error.
func SanitizeText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := 0
	for i := range s {
		if i > max {
			break
		}
		cut = i
	}
	return s[:cut]
}
