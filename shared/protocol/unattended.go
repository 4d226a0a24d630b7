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
