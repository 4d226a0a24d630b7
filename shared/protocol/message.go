package protocol

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MessageType is the byte after an envelope's length; it says how to read
// the body. Each type belongs to exactly one stream kind; types are numbered
// in blocks of 16 per kind (0x10 control, 0x20 consent, …) for readability,
// but the table below, not the number, decides. Zero is never a type.
type MessageType uint8

// The message types of version 1.
const (
	TypeHello            MessageType = 0x10 // control: *Hello
	TypeWelcome          MessageType = 0x11 // control: *Welcome
	TypeParticipants     MessageType = 0x12 // control: *Participants
	TypeSessionEnd       MessageType = 0x13 // control: *SessionEnd
	TypeError            MessageType = 0x14 // control: *ErrorMessage
	TypeInviteRequest    MessageType = 0x15 // control: *InviteRequest
	TypeInviteAnswer     MessageType = 0x16 // control: *InviteAnswer
	TypeUnattendedOpen   MessageType = 0x17 // control: *UnattendedOpen
	TypeUnattendedAnswer MessageType = 0x18 // control: *UnattendedAnswer

	TypeConsentRequest  MessageType = 0x20 // consent: *ConsentRequest
	TypeConsentAnswer   MessageType = 0x21 // consent: *ConsentAnswer
	TypeConsentRevoke   MessageType = 0x22 // consent: *ConsentRevoke
	TypeUnattendedReady MessageType = 0x23 // consent: *UnattendedReady

	TypeChatMessage MessageType = 0x30 // chat: *ChatMessage
	TypeChatAck     MessageType = 0x31 // chat: *ChatAck

	TypeFramePacket    MessageType = 0x40 // screen: *FramePacket (binary body)
	TypeFrameAck       MessageType = 0x41 // screen: *FrameAck
	TypeRefreshRequest MessageType = 0x42 // screen: *RefreshRequest
	TypeCursor         MessageType = 0x43 // screen: *Cursor
	TypeMonitorList    MessageType = 0x44 // screen: *MonitorList
	TypeSelectMonitor  MessageType = 0x45 // screen: *SelectMonitor
	TypeFramePreview   MessageType = 0x46 // screen: *FramePreview (binary body)
	TypeVideoPacket    MessageType = 0x47 // screen: *VideoPacket (binary body)
	TypeVideoEnd       MessageType = 0x48 // screen: *VideoEnd
	TypeViewOptions    MessageType = 0x49 // screen: *ViewOptions

	TypeMouseMove   MessageType = 0x50 // input: *MouseMove
	TypeMouseButton MessageType = 0x51 // input: *MouseButton
	TypeWheel       MessageType = 0x52 // input: *Wheel
	TypeKey         MessageType = 0x53 // input: *Key
	TypeText        MessageType = 0x54 // input: *Text

	TypeFileOffer  MessageType = 0x60 // file: *FileOffer
	TypeFileAnswer MessageType = 0x61 // file: *FileAnswer
	TypeFileChunk  MessageType = 0x62 // file: *FileChunk (binary body)
	TypeFileDone   MessageType = 0x63 // file: *FileDone
	TypeFileCancel MessageType = 0x64 // file: *FileCancel
)

// typeInfo is one row of the message table.
type typeInfo struct {
	name string
	kind StreamKind     // zero: not a type this version knows
	max  int            // largest body accepted
	own  bool           // the decoded message keeps the body (binary payload): never reuse the buffer
	new  func() Message // a zero message to decode into
}

// registry is the message table: for each type byte, its stream kind and
// body limit.
var registry = [256]typeInfo{
	TypeHello:            {"hello", Control, MaxControlMessage, false, func() Message { return new(Hello) }},
	TypeWelcome:          {"welcome", Control, MaxControlMessage, false, func() Message { return new(Welcome) }},
	TypeParticipants:     {"participants", Control, MaxControlMessage, false, func() Message { return new(Participants) }},
	TypeSessionEnd:       {"session-end", Control, MaxControlMessage, false, func() Message { return new(SessionEnd) }},
	TypeError:            {"error", Control, MaxControlMessage, false, func() Message { return new(ErrorMessage) }},
	TypeInviteRequest:    {"invite-request", Control, MaxControlMessage, false, func() Message { return new(InviteRequest) }},
	TypeInviteAnswer:     {"invite-answer", Control, MaxControlMessage, false, func() Message { return new(InviteAnswer) }},
	TypeUnattendedOpen:   {"unattended-open", Control, MaxControlMessage, false, func() Message { return new(UnattendedOpen) }},
	TypeUnattendedAnswer: {"unattended-answer", Control, MaxControlMessage, false, func() Message { return new(UnattendedAnswer) }},

	TypeConsentRequest:  {"consent-request", Consent, MaxConsentMessage, false, func() Message { return new(ConsentRequest) }},
	TypeConsentAnswer:   {"consent-answer", Consent, MaxConsentMessage, false, func() Message { return new(ConsentAnswer) }},
	TypeConsentRevoke:   {"consent-revoke", Consent, MaxConsentMessage, false, func() Message { return new(ConsentRevoke) }},
	TypeUnattendedReady: {"unattended-ready", Consent, MaxConsentMessage, false, func() Message { return new(UnattendedReady) }},

	TypeChatMessage: {"chat-message", Chat, MaxChatMessage, false, func() Message { return new(ChatMessage) }},
	TypeChatAck:     {"chat-ack", Chat, MaxChatMessage, false, func() Message { return new(ChatAck) }},

	TypeFramePacket:    {"frame-packet", Screen, MaxFramePacketBody, true, func() Message { return new(FramePacket) }},
	TypeFrameAck:       {"frame-ack", Screen, MaxScreenMessage, false, func() Message { return new(FrameAck) }},
	TypeRefreshRequest: {"refresh-request", Screen, MaxScreenMessage, false, func() Message { return new(RefreshRequest) }},
	TypeCursor:         {"cursor", Screen, MaxScreenMessage, false, func() Message { return new(Cursor) }},
	TypeMonitorList:    {"monitor-list", Screen, MaxScreenMessage, false, func() Message { return new(MonitorList) }},
	TypeSelectMonitor:  {"select-monitor", Screen, MaxScreenMessage, false, func() Message { return new(SelectMonitor) }},
	TypeFramePreview:   {"frame-preview", Screen, MaxFramePreviewBody, true, func() Message { return new(FramePreview) }},
	TypeVideoPacket:    {"video-packet", Screen, MaxVideoPacketBody, true, func() Message { return new(VideoPacket) }},
	TypeVideoEnd:       {"video-end", Screen, MaxScreenMessage, false, func() Message { return new(VideoEnd) }},
	TypeViewOptions:    {"view-options", Screen, MaxScreenMessage, false, func() Message { return new(ViewOptions) }},

	TypeMouseMove:   {"mouse-move", Input, MaxInputMessage, false, func() Message { return new(MouseMove) }},
	TypeMouseButton: {"mouse-button", Input, MaxInputMessage, false, func() Message { return new(MouseButton) }},
	TypeWheel:       {"wheel", Input, MaxInputMessage, false, func() Message { return new(Wheel) }},
	TypeKey:         {"key", Input, MaxInputMessage, false, func() Message { return new(Key) }},
	TypeText:        {"text", Input, MaxInputMessage, false, func() Message { return new(Text) }},

	TypeFileOffer:  {"file-offer", File, MaxFileMessage, false, func() Message { return new(FileOffer) }},
	TypeFileAnswer: {"file-answer", File, MaxFileMessage, false, func() Message { return new(FileAnswer) }},
	TypeFileChunk:  {"file-chunk", File, MaxFileChunkBody, true, func() Message { return new(FileChunk) }},
	TypeFileDone:   {"file-done", File, MaxFileMessage, false, func() Message { return new(FileDone) }},
	TypeFileCancel: {"file-cancel", File, MaxFileMessage, false, func() Message { return new(FileCancel) }},
}

// AllTypes returns every message type this version defines, in numeric order.
func AllTypes() []MessageType {
	var ts []MessageType
	for t := range registry {
		if registry[t].kind != 0 {
			ts = append(ts, MessageType(t))
		}
	}
	return ts
}

// Known reports whether t is a message type this version defines.
func (t MessageType) Known() bool { return registry[t].kind != 0 }

// Kind returns the stream kind t belongs to; zero if t is unknown.
func (t MessageType) Kind() StreamKind { return registry[t].kind }

// MaxBody returns the largest body accepted for t; zero if t is unknown.
func (t MessageType) MaxBody() int { return registry[t].max }

// String returns the type's name, e.g. "chat-message".
func (t MessageType) String() string {
	if !t.Known() {
		return "type(0x" + strconv.FormatUint(uint64(t), 16) + ")"
	}
	return registry[t].name
}

// Message is one of the message structs of this package (always a pointer,
// e.g. *Hello). Decoders return them; type-switch on the pointer type.
type Message interface {
	// Type returns the message's type byte.
	Type() MessageType
	// Validate checks every field against its limits and rules. Encoding
	// calls it first and decoding calls it last: no invalid message is
	// sent or returned.
	Validate() error

	// encodeBody returns the body in two parts sent back to back: head
	// (freshly encoded) and payload (the caller's bytes, not copied).
	encodeBody() (head, payload []byte, err error)
	// decodeBody parses body into the message. A message whose type has
	// own set may keep body; others must not.
	decodeBody(body []byte) error
}

// NewMessage returns a new zero message of type t, or nil if t is unknown.
func NewMessage(t MessageType) Message {
	if !t.Known() {
		return nil
	}
	return registry[t].new()
}

// encodeEnvelope validates m and returns the envelope's leading bytes
// (length, type, body head), appended to b, and the payload that follows.
func encodeEnvelope(b []byte, m Message) ([]byte, []byte, error) {
	t := m.Type()
	if !t.Known() {
		return b, nil, newError(Internal, ErrInvalid, "message of unknown type "+t.String())
	}
	if err := m.Validate(); err != nil {
		return b, nil, err
	}
	head, payload, err := m.encodeBody()
	if err != nil {
		return b, nil, err
	}
	n := len(head) + len(payload)
	if n > t.MaxBody() {
		return b, nil, newError(MessageTooLarge, ErrTooLarge,
			t.String()+" body of "+strconv.Itoa(n)+" bytes, limit "+strconv.Itoa(t.MaxBody()))
	}
	b = appendUvarint(b, uint64(n))
	b = append(b, byte(t))
	b = append(b, head...)
	return b, payload, nil
}

// AppendMessage validates m and appends its envelope to b. It does not check
// which stream m is meant for; Encoder does.
func AppendMessage(b []byte, m Message) ([]byte, error) {
	b, payload, err := encodeEnvelope(b, m)
	if err != nil {
		return b, err
	}
	return append(b, payload...), nil
}

// WriteMessage validates m and writes its envelope to w. It does not check
// which stream m is meant for; Encoder does.
func WriteMessage(w io.Writer, m Message) error {
	return (&Encoder{w: w}).encode(m)
}

// ReadMessage reads one message from a stream of the given kind (see
// Decoder.Decode). For many messages on one stream, a Decoder reuses its
// buffer.
func ReadMessage(r io.Reader, kind StreamKind) (Message, error) {
	return NewDecoder(r, kind).Decode()
}

// Encoder writes messages to one stream. It refuses messages that do not
// belong to its stream kind. An Encoder is owned by one goroutine.
type Encoder struct {
	w    io.Writer
	kind StreamKind // zero: no check (WriteMessage)
	buf  []byte
}

// NewEncoder returns an Encoder writing messages for a stream of kind kind
// to w. It does not write the stream header; see WriteStreamHeader.
func NewEncoder(w io.Writer, kind StreamKind) *Encoder {
	return &Encoder{w: w, kind: kind}
}

// Encode validates m, checks that it belongs on the Encoder's stream kind,
// and writes its envelope: one Write call, or two for a binary message with a
// large payload, which is written from the caller's slice without a copy.
func (e *Encoder) Encode(m Message) error {
	if k := m.Type().Kind(); k != e.kind {
		return newError(ProtocolViolation, ErrWrongStream, m.Type().String()+" on a "+e.kind.String()+" stream")
	}
	return e.encode(m)
}

// copyPayloadMax is the largest payload copied into the Encoder's buffer to
// make one Write; larger ones are written separately.
const copyPayloadMax = 4 << 10

func (e *Encoder) encode(m Message) error {
	b, payload, err := encodeEnvelope(e.buf[:0], m)
	if err != nil {
		return err
	}
	if len(payload) <= copyPayloadMax {
		b = append(b, payload...)
		payload = nil
	}
	if cap(b) <= 64<<10 {
		e.buf = b[:0]
	}
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("protocol: write %s: %w", m.Type(), err)
	}
	if len(payload) > 0 {
		if _, err := e.w.Write(payload); err != nil {
			return fmt.Errorf("protocol: write %s: %w", m.Type(), err)
		}
	}
	return nil
}

// Decoder reads messages from one stream, after its header. It holds a
// buffer reused for structured bodies. A Decoder is owned by one goroutine.
type Decoder struct {
	r    io.Reader
	kind StreamKind
	buf  []byte
	one  [1]byte
}

// NewDecoder returns a Decoder reading messages of a stream of kind kind
// from r. The stream header must already have been read (ReadStreamHeader).
func NewDecoder(r io.Reader, kind StreamKind) *Decoder {
	return &Decoder{r: r, kind: kind}
}

// Kind returns the stream kind the Decoder was made for.
func (d *Decoder) Kind() StreamKind { return d.kind }

// keepBufMax is the largest body buffer a Decoder keeps between messages.
const keepBufMax = 64 << 10

// Decode reads the next message. Rules, in order:
//
//   - EOF before a message starts: io.EOF (the peer finished the stream).
//   - EOF inside a message: an *Error (ProtocolViolation) wrapping
//     io.ErrUnexpectedEOF.
//   - A malformed length (overflow, not shortest form) or type byte 0:
//     *Error ProtocolViolation wrapping ErrMalformed.
//   - A type this version does not know: if its length is within the stream
//     kind's limit (StreamKind.MaxMessage), its body is read and discarded
//     and Decode goes on to the next message; otherwise *Error
//     MessageTooLarge wrapping ErrTooLarge.
//   - A known type of another stream kind: *Error ProtocolViolation wrapping
//     ErrWrongStream; nothing more is read.
//   - A length over the type's limit (MessageType.MaxBody): *Error
//     MessageTooLarge wrapping ErrTooLarge; nothing is allocated or read.
//   - A body that does not parse, or a message that fails Validate: *Error
//     ProtocolViolation wrapping ErrMalformed or ErrInvalid.
//
// Any other read error (the transport's) is returned wrapped. After an error
// other than io.EOF the stream is out of step and must be abandoned.
// Decoded messages own their memory: nothing aliases the Decoder's buffer.
func (d *Decoder) Decode() (Message, error) {
	if !d.kind.Known() {
		return nil, newError(UnknownStream, ErrUnknownStreamKind, "decoder for "+d.kind.String())
	}
	for {
		n, err := readUvarint(d.r, d.one[:])
		if err != nil {
			if err == io.EOF { //nolint:errorlint // unwrapped by contract
				return nil, io.EOF
			}
			return nil, d.readError(err)
		}
		if _, err := io.ReadFull(d.r, d.one[:]); err != nil {
			return nil, d.readError(err)
		}
		t := MessageType(d.one[0])
		if t == 0 {
			return nil, newError(ProtocolViolation, ErrMalformed, "message type 0")
		}
		info := &registry[t]
		if info.kind == 0 {
			if limit := d.kind.MaxMessage(); n > uint64(limit) {
				return nil, tooLarge(t, n, limit)
			}
			if _, err := io.CopyN(io.Discard, d.r, int64(n)); err != nil {
				return nil, d.readError(err)
			}
			continue
		}
		if info.kind != d.kind {
			return nil, newError(ProtocolViolation, ErrWrongStream, t.String()+" on a "+d.kind.String()+" stream")
		}
		if n > uint64(info.max) {
			return nil, tooLarge(t, n, info.max)
		}
		var body []byte
		if info.own {
			body, err = readBody(d.r, nil, int(n))
		} else {
			body, err = readBody(d.r, d.buf, int(n))
			if cap(body) <= keepBufMax {
				d.buf = body[:0]
			}
		}
		if err != nil {
			return nil, d.readError(err)
		}
		m := info.new()
		if err := m.decodeBody(body); err != nil {
			return nil, err
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		return m, nil
	}
}

func tooLarge(t MessageType, n uint64, limit int) error {
	return newError(MessageTooLarge, ErrTooLarge,
		t.String()+" body of "+strconv.FormatUint(n, 10)+" bytes, limit "+strconv.Itoa(limit))
}

func (d *Decoder) readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(ProtocolViolation, io.ErrUnexpectedEOF, "truncated message on "+d.kind.String()+" stream")
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("protocol: read %s stream: %w", d.kind, err)
}

// allocStep is the largest allocation made before the bytes to fill it have
// arrived: a body longer than this is read in pieces into a buffer that
// doubles as they come, so a peer that announces a large body and sends
// little costs little memory.
const allocStep = 64 << 10

// readBody reads exactly n bytes from r, into buf if it is large enough.
func readBody(r io.Reader, buf []byte, n int) ([]byte, error) {
	if n <= cap(buf) {
		buf = buf[:n]
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	if n <= allocStep {
		buf = make([]byte, n)
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	buf = make([]byte, 0, allocStep)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*cap(buf), n))
			copy(grown, buf)
			buf = grown
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
