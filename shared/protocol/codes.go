package protocol

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
)

// Code is a Tandem error code. The same numbers travel in SessionEnd,
// ErrorMessage and FileCancel messages and, through the transport, as QUIC
// application error codes when a stream or the connection is closed. Values
// never change meaning; new codes are only ever added. A receiver treats a
// code it does not know as Internal for display (MessageKey gives
// "error.unknown").
type Code uint64

// The codes. Keep this list, codeTable and the i18n bundles in step: a test
// elsewhere checks that MessageKey of every code in AllCodes has a
// translation.
const (
	NoError           Code = 0  // normal end, nothing went wrong
	ProtocolViolation Code = 1  // the peer sent something malformed or out of place
	Internal          Code = 2  // a bug or local failure on the side that reports it
	WrongKey          Code = 3  // the support key did not match (key confirmation failed)
	KeyExpired        Code = 4  // the support key is no longer valid
	TooManyAttempts   Code = 5  // the key was retired after too many failed attempts
	VersionMismatch   Code = 6  // no protocol version in common
	SessionEnded      Code = 7  // a participant ended the session
	Cancelled         Code = 8  // the operation (transfer, request, stream) was cancelled
	Busy              Code = 9  // the peer cannot take this now (e.g. already in a session)
	Refused           Code = 10 // the person (or policy) said no
	Blocked           Code = 11 // unattended access is blocked on this computer
	WrongPassword     Code = 12 // the unattended password did not match
	Timeout           Code = 13 // the peer did not answer in time
	UnknownStream     Code = 14 // the stream kind is unknown; the stream is cancelled
	MessageTooLarge   Code = 15 // a length exceeded its limit
	DiskFull          Code = 16 // no space left to store a received file
	IntegrityFailed   Code = 17 // a received file does not match its hash
	NotPermitted      Code = 18 // the action needs a consent or permission not held
	Unreachable       Code = 19 // the peer could not be reached (local only: never sent)
	ConnectionLost    Code = 20 // the network went silent (local only: never sent)
	TextTooLong       Code = 21 // text typed on this side is over its limit, e.g. a chat message (local only: never sent)
	ReadFailed        Code = 22 // a file being sent could not be read on the sender's side (I/O error, file changed or gone)
	WriteFailed       Code = 23 // a received file could not be written (permission denied, I/O error)
	NoRendezvous      Code = 24 // the rendezvous could not be reached or would not serve (local only: never sent)
	NoPath            Code = 25 // no way through the networks was found, not even relayed (local only: never sent)
	Removed           Code = 26 // the customer removed this technician from the session; the others stay
	HandedOver        Code = 27 // the technician who led the session left it to the other technicians
	PasswordChanged   Code = 28 // the computer's user changed the unattended password since this technician last used it
	NobodyLoggedIn    Code = 29 // the unattended computer is on, but nobody is logged in to show a screen
	NotAllowed        Code = 30 // this technician's computer is not (or no longer) on the unattended computer's list
	Locked            Code = 31 // too many wrong unattended passwords: access is locked for a while
	IdentityChanged   Code = 32 // the computer presented another identity than the one saved (found by the technician's side)
)

// codeTable is the one table of codes: the name shown in logs and the i18n
// key the UI translates. Indexed by Code.
var codeTable = [...]struct{ name, key string }{
	NoError:           {"no error", "error.no_error"},
	ProtocolViolation: {"protocol violation", "error.protocol_violation"},
	Internal:          {"internal error", "error.internal"},
	WrongKey:          {"wrong key", "error.wrong_key"},
	KeyExpired:        {"key expired", "error.key_expired"},
	TooManyAttempts:   {"too many attempts", "error.too_many_attempts"},
	VersionMismatch:   {"version mismatch", "error.version_mismatch"},
	SessionEnded:      {"session ended", "error.session_ended"},
	Cancelled:         {"cancelled", "error.cancelled"},
	Busy:              {"busy", "error.busy"},
	Refused:           {"refused", "error.refused"},
	Blocked:           {"blocked", "error.blocked"},
	WrongPassword:     {"wrong password", "error.wrong_password"},
	Timeout:           {"timeout", "error.timeout"},
	UnknownStream:     {"unknown stream", "error.unknown_stream"},
	MessageTooLarge:   {"message too large", "error.message_too_large"},
	DiskFull:          {"disk full", "error.disk_full"},
	IntegrityFailed:   {"integrity check failed", "error.integrity_failed"},
	NotPermitted:      {"not permitted", "error.not_permitted"},
	Unreachable:       {"unreachable", "error.unreachable"},
	ConnectionLost:    {"connection lost", "error.connection_lost"},
	TextTooLong:       {"text too long", "error.text_too_long"},
	ReadFailed:        {"read failed", "error.read_failed"},
	WriteFailed:       {"write failed", "error.write_failed"},
	NoRendezvous:      {"rendezvous unreachable", "error.no_rendezvous"},
	NoPath:            {"no path", "error.no_path"},
	Removed:           {"removed", "error.removed"},
	HandedOver:        {"handed over", "error.handed_over"},
	PasswordChanged:   {"password changed", "error.password_changed"},
	NobodyLoggedIn:    {"nobody logged in", "error.nobody_logged_in"},
	NotAllowed:        {"not allowed", "error.not_allowed"},
	Locked:            {"locked", "error.locked"},
	IdentityChanged:   {"identity changed", "error.identity_changed"},
}

// UnknownCodeKey is the i18n key MessageKey returns for a code this version
// does not know (e.g. one sent by a newer peer).
const UnknownCodeKey = "error.unknown"

// AllCodes returns every code this package defines, in numeric order.
func AllCodes() []Code {
	codes := make([]Code, len(codeTable))
	for i := range codeTable {
		codes[i] = Code(i)
	}
	return codes
}

// Known reports whether c is one of the codes this package defines.
func (c Code) Known() bool { return c < Code(len(codeTable)) }

// String returns the code's English name for logs, e.g. "wrong key".
func (c Code) String() string {
	if !c.Known() {
		return "code(" + strconv.FormatUint(uint64(c), 10) + ")"
	}
	return codeTable[c].name
}

// MessageKey returns the stable i18n key of the sentence the UI shows for c,
// e.g. "error.wrong_key"; UnknownCodeKey for a code this version does not
// know.
func (c Code) MessageKey() string {
	if !c.Known() {
		return UnknownCodeKey
	}
	return codeTable[c].key
}

// Error is a protocol-level failure with its wire code. Decoders return an
// *Error for everything the peer got wrong (Code ProtocolViolation,
// MessageTooLarge or UnknownStream); the session uses the code to close the
// stream or connection. Detail is English for logs (and may be sent in an
// ErrorMessage); Err, when set, is the underlying cause and is never sent.
//
// errors.Is(err, &Error{Code: c}) reports whether err carries code c;
// errors.As(err, &e) extracts it.
type Error struct {
	Code   Code
	Detail string
	Err    error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("protocol: ")
	b.WriteString(e.Code.String())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code and either no
// Detail or the same Detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Detail == "" || t.Detail == e.Detail)
}

// Sentinel causes, wrapped in the *Error the decoders return; test with
// errors.Is.
var (
	// ErrUnknownStreamKind: the stream header names a kind this version does
	// not know. Code UnknownStream; the caller cancels that stream only.
	ErrUnknownStreamKind = errors.New("unknown stream kind")
	// ErrTooLarge: a length prefix exceeds its limit. Code MessageTooLarge.
	ErrTooLarge = errors.New("length over limit")
	// ErrWrongStream: a message type this package knows arrived on a stream
	// of another kind. Code ProtocolViolation.
	ErrWrongStream = errors.New("message type not allowed on this stream kind")
	// ErrMalformed: bytes that do not parse (bad CBOR, bad varint, short
	// binary body). Code ProtocolViolation.
	ErrMalformed = errors.New("malformed")
	// ErrInvalid: a message that parses but breaks a rule (a limit, a
	// required field, invalid UTF-8). Code ProtocolViolation.
	ErrInvalid = errors.New("invalid")
)

func newError(code Code, cause error, detail string) *Error {
	return &Error{Code: code, Detail: detail, Err: cause}
}

func invalidf(detail string) *Error { return newError(ProtocolViolation, ErrInvalid, detail) }

// VersionError is returned by Negotiate when the two Hellos have no protocol
// version in common. It carries both ranges; its code is VersionMismatch.
type VersionError struct {
	LocalMin, LocalMax   uint // versions this side accepts
	RemoteMin, RemoteMax uint // versions the peer announced
}

// Error implements error.
func (e *VersionError) Error() string {
	return "protocol: version mismatch: we speak " + versionRange(e.LocalMin, e.LocalMax) +
		", peer speaks " + versionRange(e.RemoteMin, e.RemoteMax)
}

// Is reports whether target is an *Error with Code VersionMismatch.
func (e *VersionError) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == VersionMismatch && t.Detail == ""
}

func versionRange(lo, hi uint) string {
	if lo == hi {
		return strconv.FormatUint(uint64(hi), 10)
	}
	return strconv.FormatUint(uint64(lo), 10) + "–" + strconv.FormatUint(uint64(hi), 10)
}

// CodeOf maps any error to the code to put on the wire, in this order:
// nil → NoError; an *Error in the chain → its Code; a *VersionError →
// VersionMismatch; context.Canceled → Cancelled; context.DeadlineExceeded or
// os.ErrDeadlineExceeded → Timeout; anything else → Internal.
func CodeOf(err error) Code {
	if err == nil {
		return NoError
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	var ve *VersionError
	if errors.As(err, &ve) {
		return VersionMismatch
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Cancelled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout
	}
	return Internal
}
