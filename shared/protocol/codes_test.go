package protocol

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestCodeTable(t *testing.T) {
	keyRE := regexp.MustCompile(`^error\.[a-z][a-z_]*$`)
	names, keys := map[string]bool{}, map[string]bool{UnknownCodeKey: true}
	for i, c := range AllCodes() {
		if c != Code(i) || !c.Known() {
			t.Fatalf("AllCodes()[%d] = %v", i, c)
		}
		if names[c.String()] || keys[c.MessageKey()] {
			t.Errorf("%d: duplicate name %q or key %q", c, c, c.MessageKey())
		}
		names[c.String()], keys[c.MessageKey()] = true, true
		if !keyRE.MatchString(c.MessageKey()) {
			t.Errorf("%d: bad key %q", c, c.MessageKey())
		}
	}
	// Wire values never change.
	fixed := map[Code]uint64{NoError: 0, ProtocolViolation: 1, Internal: 2, WrongKey: 3, KeyExpired: 4,
		TooManyAttempts: 5, VersionMismatch: 6, SessionEnded: 7, Cancelled: 8, Busy: 9}
	for c, v := range fixed {
		if uint64(c) != v {
			t.Errorf("%v = %d, want %d", c, c, v)
		}
	}
	if WrongKey.MessageKey() != "error.wrong_key" || WrongKey.String() != "wrong key" {
		t.Error("WrongKey")
	}
	unknown := Code(1 << 40)
	if unknown.Known() || unknown.MessageKey() != UnknownCodeKey || unknown.String() != "code(1099511627776)" {
		t.Errorf("unknown code: %v %v", unknown, unknown.MessageKey())
	}
}

func TestErrorIsAs(t *testing.T) {
	base := &Error{Code: WrongKey, Detail: "confirmation MAC differs", Err: io.ErrUnexpectedEOF}
	wrapped := fmt.Errorf("join: %w", base)
	if !errors.Is(wrapped, &Error{Code: WrongKey}) {
		t.Error("Is by code")
	}
	if !errors.Is(wrapped, &Error{Code: WrongKey, Detail: "confirmation MAC differs"}) {
		t.Error("Is by code and detail")
	}
	if errors.Is(wrapped, &Error{Code: WrongKey, Detail: "other"}) || errors.Is(wrapped, &Error{Code: KeyExpired}) {
		t.Error("Is matched the wrong error")
	}
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Error("Unwrap")
	}
	var pe *Error
	if !errors.As(wrapped, &pe) || pe != base {
		t.Error("As")
	}
	if got := base.Error(); got != "protocol: wrong key: confirmation MAC differs: unexpected EOF" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Code: Busy}).Error(); got != "protocol: busy" {
		t.Errorf("Error() = %q", got)
	}
}

func TestCodeOf(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		err  error
		want Code
	}{
		{nil, NoError},
		{&Error{Code: Busy}, Busy},
		{fmt.Errorf("x: %w", &Error{Code: TooManyAttempts}), TooManyAttempts},
		{&VersionError{1, 1, 2, 2}, VersionMismatch},
		{ctx.Err(), Cancelled},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), Timeout},
		{os.ErrDeadlineExceeded, Timeout},
		{errors.New("boom"), Internal},
		{io.EOF, Internal},
	} {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessageFromError(t *testing.T) {
	m := NewErrorMessage(fmt.Errorf("save \"a\nb\x00\xff\": %w", &Error{Code: DiskFull}))
	if m.Code != DiskFull || strings.ContainsAny(m.Detail, "\n\x00") || m.Validate() != nil {
		t.Fatalf("%+v: %v", m, m.Validate())
	}
	if !errors.Is(m.Err(), &Error{Code: DiskFull}) {
		t.Fatal("Err()")
	}
	long := NewErrorMessage(errors.New(strings.Repeat("é", MaxReasonLen)))
	if len(long.Detail) > MaxReasonLen || long.Validate() != nil || long.Code != Internal {
		t.Fatalf("long detail: %d bytes, %v", len(long.Detail), long.Validate())
	}
	if m := NewErrorMessage(nil); m.Code != NoError || m.Detail != "" {
		t.Fatalf("nil: %+v", m)
	}
}

func TestSanitizeText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"aé", 2, "a"},
		{"aé", 3, "aé"},
		{"a\tb\x7f\u0085", 10, "a b  "},
		{"\xff", 10, "\uFFFD"},
		{"é", 0, ""},
	} {
		if got := SanitizeText(tc.in, tc.max); got != tc.want {
			t.Errorf("SanitizeText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
