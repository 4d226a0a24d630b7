package protocol

// UnattendedOpen is the only message a technician's Expert sends an unattended computer's agent, on the first
// control stream, once the password is proved: the technician's name and the join link of a session that
// Expert has opened for the computer (as for New session). The agent hands the link to the helper in the
// user's graphical session, which joins it; UnattendedAnswer says whether it did.
type UnattendedOpen struct {
	Name string `cbor:"1,keyasint,omitempty"` // the technician's name, shown on the computer; ≤ MaxNameLen
	Link string `cbor:"2,keyasint,omitempty"` // the session's join link; single line, ≤ MaxLinkLen
}

// Type implements Message.
func (*UnattendedOpen) Type() MessageType { return TypeUnattendedOpen }

// Validate implements Message.
func (m *UnattendedOpen) Validate() error {
	if err := checkText("unattended open: name", m.Name, MaxNameLen, singleLine, false); err != nil {
		return err
	}
	return checkText("unattended open: link", m.Link, MaxLinkLen, singleLine, true)
}

func (m *UnattendedOpen) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *UnattendedOpen) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// UnattendedAnswer is the agent's answer to UnattendedOpen: NoError once the helper is joining the session,
// otherwise why not (NobodyLoggedIn when no user is logged in to show a screen, Blocked, Busy).
type UnattendedAnswer struct {
	Code Code `cbor:"1,keyasint,omitempty"`
}

// Type implements Message.
func (*UnattendedAnswer) Type() MessageType { return TypeUnattendedAnswer }

// Validate implements Message.
func (*UnattendedAnswer) Validate() error { return nil }

func (m *UnattendedAnswer) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *UnattendedAnswer) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// UnattendedReady follows a granted ConsentAnswer to a PermUnattended request, on the consent stream, from the
// customer's program to the technician who asked: unattended access is installed and lets that technician's
// Tandem Expert (its certificate, as this session's connection showed it) in with the password the customer chose.
// It says how to reach the computer: its ID (the agent's certificate fingerprint, which Expert pins), the secret
// (the password stretched for this computer; Expert keeps it, never the password) and the agent's UDP port (0:
// none, the agent is reached only through the rendezvous the session came through). A
// non-zero Code says setting up failed instead (Refused: the user did not give the administrator's approval;
// Internal), and the other fields are empty.
type UnattendedReady struct {
	Computer []byte `cbor:"1,keyasint,omitempty"` // UnattendedIDSize bytes
	Secret   []byte `cbor:"2,keyasint,omitempty"` // UnattendedSecretSize bytes
	Port     uint16 `cbor:"3,keyasint,omitempty"`
	Name     string `cbor:"4,keyasint,omitempty"` // the computer's name; ≤ MaxNameLen
	Code     Code   `cbor:"5,keyasint,omitempty"`
}

// Sizes of UnattendedReady's fields.
const (
	UnattendedIDSize     = 32
	UnattendedSecretSize = 32
)

// Type implements Message.
func (*UnattendedReady) Type() MessageType { return TypeUnattendedReady }

// Validate implements Message.
func (m *UnattendedReady) Validate() error {
	if m.Code != NoError {
		if len(m.Computer) != 0 || len(m.Secret) != 0 || m.Port != 0 || m.Name != "" {
			return invalidf("unattended ready: failed, with details")
		}
		return nil
	}
	if len(m.Computer) != UnattendedIDSize || len(m.Secret) != UnattendedSecretSize {
		return invalidf("unattended ready: want a 32-byte computer ID and a 32-byte secret")
	}
	return checkText("unattended ready: name", m.Name, MaxNameLen, singleLine, false)
}

func (m *UnattendedReady) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *UnattendedReady) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
