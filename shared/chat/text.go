package chat

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// isControl reports whether r is a C0 or C1 control character or DEL, as the protocol counts them.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// prepare tidies text typed on this side and checks it (see Send).
func prepare(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", &protocol.Error{Code: protocol.Internal, Detail: "chat: text is not valid UTF-8"}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return r
		case r == '\r' || r == '\v' || r == '\f' || r == 0x85: // line breaks of other traditions
			return '\n'
		case isControl(r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			break
		}
		s = s[i+1:]
	}
	if strings.TrimSpace(s) == "" {
		return "", ErrEmpty
	}
	if len(s) > protocol.MaxChatText {
		return "", &protocol.Error{Code: protocol.TextTooLong,
			Detail: "chat message of " + strconv.Itoa(len(s)) + " bytes, limit " + strconv.Itoa(protocol.MaxChatText)}
	}
	return s, nil
}

// incoming checks a peer's text (the decoder has already checked it; this guards the Room's promise
// whatever the decoder lets through) and turns CR LF and lone CR into LF.
func incoming(s string) (string, error) {
	switch {
	case s == "":
		return "", violation("chat message: empty text")
	case len(s) > protocol.MaxChatText:
		return "", violation("chat message: text of " + strconv.Itoa(len(s)) + " bytes")
	case !utf8.ValidString(s):
		return "", violation("chat message: text not valid UTF-8")
	}
	cr := false
	for _, r := range s {
		if r == '\r' {
			cr = true
		} else if isControl(r) && r != '\t' && r != '\n' {
			return "", violation("chat message: text holds control character " + strconv.QuoteRune(r))
		}
	}
	if cr {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return s, nil
}

func violation(detail string) *protocol.Error {
	return &protocol.Error{Code: protocol.ProtocolViolation, Err: protocol.ErrInvalid, Detail: detail}
}
