package protocol

import "strconv"

// ChatMessage is one chat line (which may span several lines of text).
type ChatMessage struct {
	ID     uint64        `cbor:"1,keyasint,omitempty"` // non-zero, unique per sender; the ack carries it
	From   ParticipantID `cbor:"2,keyasint,omitempty"` // the author; non-zero
	SentAt int64         `cbor:"3,keyasint,omitempty"` // Unix time in milliseconds, by the author's clock; ≥ 0
	Text   string        `cbor:"4,keyasint,omitempty"` // 1..MaxChatText bytes of UTF-8; tab and line breaks allowed
}

// Type implements Message.
func (*ChatMessage) Type() MessageType { return TypeChatMessage }

// Validate implements Message.
func (m *ChatMessage) Validate() error {
	switch {
	case m.ID == 0:
		return invalidf("chat message: no ID")
	case m.From == 0:
		return invalidf("chat message: no author")
	case m.SentAt < 0:
		return invalidf("chat message: negative time " + strconv.FormatInt(m.SentAt, 10))
	}
	return checkText("chat message: text", m.Text, MaxChatText, multiLine, true)
}

func (m *ChatMessage) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ChatMessage) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// ChatAck acknowledges the receipt of a ChatMessage. From names the
// message's author, which matters where one side relays several
// participants' messages (the customer's program, with several
// technicians); zero says the receiver of the ack wrote it.
type ChatAck struct {
	ID   uint64        `cbor:"1,keyasint,omitempty"` // the message's ID; non-zero
	From ParticipantID `cbor:"3,keyasint,omitempty"` // the message's author; zero: the ack's receiver
}

// Type implements Message.
func (*ChatAck) Type() MessageType { return TypeChatAck }

// Validate implements Message.
func (m *ChatAck) Validate() error {
	if m.ID == 0 {
		return invalidf("chat ack: no ID")
	}
	return nil
}

func (m *ChatAck) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ChatAck) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
