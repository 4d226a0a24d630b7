package protocol

import "strconv"

// Permission is something a technician asks the customer to allow.
type Permission uint8

// The permissions. Zero is not a permission. A receiver that does not know
// a permission (a newer peer's) answers its request with Granted false.
const (
	PermView       Permission = 1 // see the customer's screen
	PermControl    Permission = 2 // use the customer's mouse and keyboard
	PermUnattended Permission = 3 // install Customer for unattended access
	PermInvite     Permission = 4 // bring another technician into the session
)

// Known reports whether p is a permission this version defines.
func (p Permission) Known() bool { return p >= PermView && p <= PermInvite }

// String returns "view", "control", "unattended", "invite" or
// "permission(N)".
func (p Permission) String() string {
	switch p {
	case PermView:
		return "view"
	case PermControl:
		return "control"
	case PermUnattended:
		return "unattended"
	case PermInvite:
		return "invite"
	}
	return "permission(" + strconv.Itoa(int(p)) + ")"
}

// ConsentRequest asks the receiver (the customer) to grant a permission.
type ConsentRequest struct {
	ID   uint64        `cbor:"1,keyasint,omitempty"` // non-zero, unique per sender; the answer carries it
	What Permission    `cbor:"2,keyasint,omitempty"` // non-zero
	From ParticipantID `cbor:"3,keyasint,omitempty"` // the technician asking; non-zero
	// Password is, for PermUnattended only, the password the technician proposes (the customer may keep it or
	// choose another); single line, ≤ MaxUnattendedPasswordLen. Empty: the customer chooses.
	Password string `cbor:"4,keyasint,omitempty"`
}

// MaxUnattendedPasswordLen bounds the password a technician proposes for unattended access.
const MaxUnattendedPasswordLen = 1024

// Type implements Message.
func (*ConsentRequest) Type() MessageType { return TypeConsentRequest }

// Validate implements Message.
func (m *ConsentRequest) Validate() error {
	switch {
	case m.ID == 0:
		return invalidf("consent request: no ID")
	case m.What == 0:
		return invalidf("consent request: no permission")
	case m.From == 0:
		return invalidf("consent request: no sender")
	case m.Password != "" && m.What != PermUnattended:
		return invalidf("consent request: a password for something other than unattended access")
	}
	return checkText("consent request: password", m.Password, MaxUnattendedPasswordLen, singleLine, false)
}

func (m *ConsentRequest) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ConsentRequest) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// ConsentAnswer answers the ConsentRequest with the same ID.
type ConsentAnswer struct {
	ID      uint64 `cbor:"1,keyasint,omitempty"` // the request's ID
	Granted bool   `cbor:"2,keyasint,omitempty"`
	// Expired says nobody answered in time (the request was withdrawn); Granted is then false.
	Expired bool `cbor:"3,keyasint,omitempty"`
	// Withdrawn says the request no longer made sense before it was answered (the customer's screen stopped
	// reaching the technician, who asked for control of it); Granted is then false.
	Withdrawn bool `cbor:"4,keyasint,omitempty"`
	// Unavailable says this computer cannot do it at all: it has no screen to show or no way to play input
	// (its system did not allow it: a refusal in a Wayland desktop's own dialog, or no support). The customer's
	// toolbar says why; Granted is then false.
	Unavailable bool `cbor:"5,keyasint,omitempty"`
}

// Type implements Message.
func (*ConsentAnswer) Type() MessageType { return TypeConsentAnswer }

// Validate implements Message.
func (m *ConsentAnswer) Validate() error {
	if m.ID == 0 {
		return invalidf("consent answer: no ID")
	}
	if m.Granted && (m.Expired || m.Withdrawn || m.Unavailable) {
		return invalidf("consent answer: granted and expired, withdrawn or unavailable")
	}
	return nil
}

func (m *ConsentAnswer) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ConsentAnswer) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// ConsentRevoke withdraws a permission granted before (the customer
// stopped sharing, took control back, …), or, from a technician, gives it
// up. To, from the customer, says that control moved to that other
// technician of the session (the customer said yes to their request).
type ConsentRevoke struct {
	What Permission    `cbor:"1,keyasint,omitempty"` // non-zero
	To   ParticipantID `cbor:"2,keyasint,omitempty"`
}

// Type implements Message.
func (*ConsentRevoke) Type() MessageType { return TypeConsentRevoke }

// Validate implements Message.
func (m *ConsentRevoke) Validate() error {
	if m.What == 0 {
		return invalidf("consent revoke: no permission")
	}
	return nil
}

func (m *ConsentRevoke) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ConsentRevoke) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
