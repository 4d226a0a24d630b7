package protocol

import (
	"encoding/hex"
	"strconv"
)

// Role is what a participant is in a session.
type Role uint8

// The roles. Zero is not a role.
const (
	RoleCustomer   Role = 1 // the person being helped; owns the computer
	RoleTechnician Role = 2 // a person helping
)

// Known reports whether r is a role this version defines.
func (r Role) Known() bool { return r == RoleCustomer || r == RoleTechnician }

// String returns "customer", "technician" or "role(N)".
func (r Role) String() string {
	switch r {
	case RoleCustomer:
		return "customer"
	case RoleTechnician:
		return "technician"
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// SessionID identifies a session; the host draws it at random. It travels as
// a 16-byte CBOR byte string; any other length is refused.
type SessionID [16]byte

// IsZero reports whether id is all zeros (no session).
func (id SessionID) IsZero() bool { return id == SessionID{} }

// String returns id in lower-case hex.
func (id SessionID) String() string { return hex.EncodeToString(id[:]) }

// MarshalBinary implements encoding.BinaryMarshaler (used by CBOR encoding).
func (id SessionID) MarshalBinary() ([]byte, error) { return id[:], nil }

// UnmarshalBinary implements encoding.BinaryUnmarshaler (used by CBOR
// decoding); data must be exactly 16 bytes.
func (id *SessionID) UnmarshalBinary(data []byte) error {
	if len(data) != len(id) {
		return invalidf("session ID of " + strconv.Itoa(len(data)) + " bytes")
	}
	copy(id[:], data)
	return nil
}

// Participant describes one person in the session.
type Participant struct {
	ID   ParticipantID `cbor:"1,keyasint,omitempty"` // non-zero
	Name string        `cbor:"2,keyasint,omitempty"` // display name, single line, ≤ MaxNameLen; may be empty
	Role Role          `cbor:"3,keyasint,omitempty"` // required
	// Viewing and Controlling say, for a technician in the customer's announcements (Participants), whether
	// the customer's screen reaches them now and whether they control the computer.
	Viewing     bool `cbor:"4,keyasint,omitempty"`
	Controlling bool `cbor:"5,keyasint,omitempty"`
}

func (p *Participant) validate(field string) error {
	if p.ID == 0 {
		return invalidf(field + ": no ID")
	}
	if !p.Role.Known() {
		return invalidf(field + ": unknown role " + p.Role.String())
	}
	return checkText(field+" name", p.Name, MaxNameLen, singleLine, false)
}

func validateParticipants(field string, ps []Participant) error {
	if len(ps) == 0 || len(ps) > MaxParticipants {
		return invalidf(field + ": " + strconv.Itoa(len(ps)) + " participants (1.." + strconv.Itoa(MaxParticipants) + ")")
	}
	for i := range ps {
		if err := ps[i].validate(field); err != nil {
			return err
		}
		for j := range i {
			if ps[j].ID == ps[i].ID {
				return invalidf(field + ": duplicate participant ID " + strconv.FormatUint(uint64(ps[i].ID), 10))
			}
		}
	}
	return nil
}

// Hello is the first message each side sends on the control stream.
type Hello struct {
	// ProtocolVersion is the newest protocol version the sender speaks.
	ProtocolVersion uint `cbor:"1,keyasint,omitempty"`
	// MinVersion is the oldest protocol version the sender accepts;
	// 1 ≤ MinVersion ≤ ProtocolVersion.
	MinVersion uint `cbor:"2,keyasint,omitempty"`
	// ProgramVersion is the sender's program version, for logs and
	// reports; single line, ≤ MaxProgramVersionLen.
	ProgramVersion string `cbor:"3,keyasint,omitempty"`
	// Capabilities are optional features the sender supports: tokens of
	// 1..MaxCapabilityLen characters from [a-z0-9._-], no duplicates, at
	// most MaxCapabilities. A receiver ignores those it does not know.
	Capabilities []string `cbor:"4,keyasint,omitempty"`
	// Name is the sender's display name (may be empty).
	Name string `cbor:"5,keyasint,omitempty"`
	// Role is the sender's role. Required.
	Role Role `cbor:"6,keyasint,omitempty"`
	// ParticipantID, when non-zero, is the ID the sender had before (a
	// reconnection); the host may honour it.
	ParticipantID ParticipantID `cbor:"7,keyasint,omitempty"`
	// Resume, when non-zero, is the session the sender returns to after
	// its connection dropped (it confirmed the Welcome's ResumeSecret
	// instead of the support key). Zero for a first join.
	Resume SessionID `cbor:"8,keyasint,omitempty"`
	// Preferences, from a technician joining as a colleague, are what they ask of the customer's program
	// should they come to lead the session (the one who starts a session gives them in its Welcome).
	Preferences *Preferences `cbor:"9,keyasint,omitempty"`
}

// CapCtrlAltDel is the capability of a customer whose system takes Ctrl+Alt+Del from the injected keyboard
// (an X11 desktop does; Windows takes it only from its own keyboard, macOS has no such keys): the technician
// may offer to send it while in control.
const CapCtrlAltDel = "input.ctrl-alt-del"

// CapUnattended is the capability of a customer's program that joined through unattended access: nobody may be
// at the computer, so it grants viewing and control without asking (the user allowed them when unattended access
// was set up, and can still stop sharing or take control back from the toolbar).
const CapUnattended = "session.unattended"

// Type implements Message.
func (*Hello) Type() MessageType { return TypeHello }

// Validate implements Message.
func (m *Hello) Validate() error {
	if m.MinVersion == 0 || m.ProtocolVersion < m.MinVersion {
		return invalidf("hello: bad version range " + versionRange(m.MinVersion, m.ProtocolVersion))
	}
	if err := checkText("hello: program version", m.ProgramVersion, MaxProgramVersionLen, singleLine, false); err != nil {
		return err
	}
	if len(m.Capabilities) > MaxCapabilities {
		return invalidf("hello: " + strconv.Itoa(len(m.Capabilities)) + " capabilities")
	}
	for i, c := range m.Capabilities {
		if !validCapability(c) {
			return invalidf("hello: bad capability " + strconv.Quote(SanitizeText(c, MaxCapabilityLen)))
		}
		for _, prev := range m.Capabilities[:i] {
			if prev == c {
				return invalidf("hello: duplicate capability " + strconv.Quote(c))
			}
		}
	}
	if err := checkText("hello: name", m.Name, MaxNameLen, singleLine, false); err != nil {
		return err
	}
	if !m.Role.Known() {
		return invalidf("hello: unknown role " + m.Role.String())
	}
	return nil
}

// HasCapability reports whether the Hello lists capability c.
func (m *Hello) HasCapability(c string) bool {
	for _, x := range m.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

func validCapability(c string) bool {
	if c == "" || len(c) > MaxCapabilityLen {
		return false
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

func (m *Hello) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Hello) decodeBody(b []byte) error {
	if err := unmarshalCBOR(b, m); err != nil {
		return err
	}
	m.Capabilities = nilIfEmpty(m.Capabilities)
	return nil
}

// Preferences are the host's session settings that the other side must
// honour.
type Preferences struct {
	// UninstallAtEnd asks Customer to remove itself when the session ends.
	UninstallAtEnd bool `cbor:"1,keyasint,omitempty"`
}

// Welcome is the host's answer to a Hello: the session is on.
type Welcome struct {
	// Version is the negotiated protocol version (see Negotiate).
	Version uint `cbor:"1,keyasint,omitempty"`
	// SessionID identifies the session. Required (non-zero).
	SessionID SessionID `cbor:"2,keyasint"`
	// You is the participant ID assigned to the receiver; it is in
	// Participants.
	You ParticipantID `cbor:"3,keyasint,omitempty"`
	// Participants is everyone in the session, receiver included.
	Participants []Participant `cbor:"4,keyasint,omitempty"`
	// Preferences are the host's session settings.
	Preferences Preferences `cbor:"5,keyasint,omitempty"`
	// ResumeSecret, when set (ResumeSecretSize random bytes), lets the
	// receiver return to this session if its connection drops: it dials
	// the host again with the same identity and confirms this secret, as
	// it confirmed the support key, then says Hello with Resume set.
	ResumeSecret []byte `cbor:"6,keyasint,omitempty"`
}

// ResumeSecretSize is the length of Welcome.ResumeSecret.
const ResumeSecretSize = 32

// Type implements Message.
func (*Welcome) Type() MessageType { return TypeWelcome }

// Validate implements Message.
func (m *Welcome) Validate() error {
	if m.Version == 0 {
		return invalidf("welcome: no version")
	}
	if m.SessionID.IsZero() {
		return invalidf("welcome: no session ID")
	}
	if len(m.ResumeSecret) != 0 && len(m.ResumeSecret) != ResumeSecretSize {
		return invalidf("welcome: resume secret of " + strconv.Itoa(len(m.ResumeSecret)) + " bytes")
	}
	if err := validateParticipants("welcome", m.Participants); err != nil {
		return err
	}
	for _, p := range m.Participants {
		if p.ID == m.You {
			return nil
		}
	}
	return invalidf("welcome: receiver " + strconv.FormatUint(uint64(m.You), 10) + " not among participants")
}

func (m *Welcome) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Welcome) decodeBody(b []byte) error {
	if err := unmarshalCBOR(b, m); err != nil {
		return err
	}
	if len(m.ResumeSecret) == 0 {
		m.ResumeSecret = nil // an empty byte string says the same as none
	}
	return nil
}

// Participants is the host's announcement of everyone in the session, sent
// whenever someone joins or leaves. Owner is the technician who leads the
// session (whose End ends it for everyone): the one who started it (zero
// means that, participant 1) until they hand it over.
type Participants struct {
	List  []Participant `cbor:"1,keyasint,omitempty"` // 1..MaxParticipants, unique IDs
	Owner ParticipantID `cbor:"2,keyasint,omitempty"`
}

// Type implements Message.
func (*Participants) Type() MessageType { return TypeParticipants }

// Validate implements Message.
func (m *Participants) Validate() error { return validateParticipants("participants", m.List) }

func (m *Participants) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Participants) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// SessionEnd says the sender ends the session (or, from the host, removes
// the receiver from it). The connection closes after it with Code.
type SessionEnd struct {
	Code   Code   `cbor:"1,keyasint,omitempty"` // why; NoError or SessionEnded for a normal end
	Reason string `cbor:"2,keyasint,omitempty"` // optional detail for logs; single line, ≤ MaxReasonLen
}

// Type implements Message.
func (*SessionEnd) Type() MessageType { return TypeSessionEnd }

// Validate implements Message.
func (m *SessionEnd) Validate() error {
	return checkText("session end: reason", m.Reason, MaxReasonLen, singleLine, false)
}

func (m *SessionEnd) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *SessionEnd) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// ErrorMessage reports a failure that does not end the session (a request
// that could not be honoured, a stream that was cancelled and why). Codes
// unknown to the receiver are shown as a generic error.
type ErrorMessage struct {
	Code   Code   `cbor:"1,keyasint,omitempty"` // what went wrong
	Detail string `cbor:"2,keyasint,omitempty"` // optional, for logs; single line, ≤ MaxReasonLen
}

// NewErrorMessage builds the ErrorMessage reporting err: CodeOf(err) and
// err's text, sanitized and cut to MaxReasonLen.
func NewErrorMessage(err error) *ErrorMessage {
	m := &ErrorMessage{Code: CodeOf(err)}
	if err != nil {
		m.Detail = SanitizeText(err.Error(), MaxReasonLen)
	}
	return m
}

// Err returns the message as an *Error.
func (m *ErrorMessage) Err() *Error { return &Error{Code: m.Code, Detail: m.Detail} }

// Type implements Message.
func (*ErrorMessage) Type() MessageType { return TypeError }

// Validate implements Message.
func (m *ErrorMessage) Validate() error {
	return checkText("error: detail", m.Detail, MaxReasonLen, singleLine, false)
}

func (m *ErrorMessage) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ErrorMessage) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// InviteRequest asks the customer's program, on a technician's control
// stream, to let a colleague of the technician join the session. The
// customer is asked; InviteAnswer with the same ID answers.
type InviteRequest struct {
	ID uint64 `cbor:"1,keyasint,omitempty"` // non-zero, unique per sender
}

// Type implements Message.
func (*InviteRequest) Type() MessageType { return TypeInviteRequest }

// Validate implements Message.
func (m *InviteRequest) Validate() error {
	if m.ID == 0 {
		return invalidf("invite request: no ID")
	}
	return nil
}

func (m *InviteRequest) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *InviteRequest) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// InviteAnswer answers the InviteRequest with the same ID. Granted, it
// carries the join link the colleague uses (it holds a single-use
// invitation token) and when the invitation expires; otherwise Code says
// why not: Refused (the customer said no), Busy (the session has as many
// technicians as it takes), Timeout (nobody answered), NotPermitted.
type InviteAnswer struct {
	ID      uint64 `cbor:"1,keyasint,omitempty"` // the request's ID
	Granted bool   `cbor:"2,keyasint,omitempty"`
	Link    string `cbor:"3,keyasint,omitempty"` // granted: the join link; single line, ≤ MaxLinkLen
	Expires int64  `cbor:"4,keyasint,omitempty"` // granted: Unix time in seconds
	Code    Code   `cbor:"5,keyasint,omitempty"` // refused: why
}

// Type implements Message.
func (*InviteAnswer) Type() MessageType { return TypeInviteAnswer }

// Validate implements Message.
func (m *InviteAnswer) Validate() error {
	switch {
	case m.ID == 0:
		return invalidf("invite answer: no ID")
	case m.Granted && (m.Link == "" || m.Expires <= 0 || m.Code != NoError):
		return invalidf("invite answer: granted without a link and an expiry, or with a code")
	case !m.Granted && (m.Link != "" || m.Code == NoError):
		return invalidf("invite answer: refused with a link, or without a code")
	}
	return checkText("invite answer: link", m.Link, MaxLinkLen, singleLine, false)
}

func (m *InviteAnswer) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *InviteAnswer) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// cborBody encodes a structured message body.
func cborBody(m any) ([]byte, []byte, error) {
	b, err := appendCBOR(nil, m)
	return b, nil, err
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}
