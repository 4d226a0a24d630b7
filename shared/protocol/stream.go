package protocol

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// StreamKind is the first byte of every application stream; it says what
// flows on the stream.
type StreamKind uint8

// The stream kinds. Zero is not a kind.
const (
	// Control: Hello, Welcome, Participants, SessionEnd, ErrorMessage. One
	// per connection, opened by the side that dialled.
	Control StreamKind = 1
	// Consent: ConsentRequest, ConsentAnswer, ConsentRevoke.
	Consent StreamKind = 2
	// Chat: ChatMessage, ChatAck.
	Chat StreamKind = 3
	// Screen: one per direction of sharing, opened by the sharer. Frames,
	// cursor and monitor list flow from the sharer; acks, refresh requests
	// and monitor selection flow back. Header: the sharer's participant ID.
	Screen StreamKind = 4
	// Input: controller → controlled; mouse, wheel, keys, text.
	Input StreamKind = 5
	// File: one per file of a transfer. Header: transfer ID and file index.
	File StreamKind = 6

	maxKind = File
)

var kindNames = [...]string{
	Control: "control",
	Consent: "consent",
	Chat:    "chat",
	Screen:  "screen",
	Input:   "input",
	File:    "file",
}

// Known reports whether k is a stream kind this version defines.
func (k StreamKind) Known() bool { return k >= Control && k <= maxKind }

// String returns the kind's name, e.g. "screen".
func (k StreamKind) String() string {
	if !k.Known() {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MaxMessage returns the largest body length accepted on a stream of kind k:
// the largest limit of its message types, which also bounds the messages of
// types this version does not know. Zero for an unknown kind.
func (k StreamKind) MaxMessage() int {
	switch k {
	case Control:
		return MaxControlMessage
	case Consent:
		return MaxConsentMessage
	case Chat:
		return MaxChatMessage
	case Screen:
		return MaxFramePacketBody
	case Input:
		return MaxInputMessage
	case File:
		return max(MaxFileChunkBody, MaxFileMessage)
	}
	return 0
}

// ParticipantID names a participant within a session. The host assigns
// them, starting at 1; 0 means "none".
type ParticipantID uint32

// StreamHeader is what opens every application stream: its kind, then the
// fields that kind needs. Fields that do not belong to Kind must be zero.
type StreamHeader struct {
	Kind StreamKind

	// Sharer is, on a Screen stream, the participant whose screen flows on
	// it. Required (non-zero) on Screen streams.
	Sharer ParticipantID

	// TransferID is, on a File stream, the transfer (FileOffer.TransferID)
	// the file belongs to. Required (non-zero) on File streams.
	TransferID uint64
	// FileIndex is, on a File stream, the index of the file within the
	// transfer (FileInfo.Index).
	FileIndex uint32
}

// streamHeaderBody is the CBOR form of the kind-specific fields.
type streamHeaderBody struct {
	Sharer     ParticipantID `cbor:"1,keyasint,omitempty"`
	TransferID uint64        `cbor:"2,keyasint,omitempty"`
	FileIndex  uint32        `cbor:"3,keyasint,omitempty"`
}

// Validate checks that Kind is known, that the fields its kind requires are
// set and that the others are zero.
func (h StreamHeader) Validate() error {
	if !h.Known() {
		return newError(UnknownStream, ErrUnknownStreamKind, "stream kind "+strconv.Itoa(int(h.Kind)))
	}
	if h.Kind == Screen {
		if h.Sharer == 0 {
			return invalidf("screen stream header: no sharer")
		}
	} else if h.Sharer != 0 {
		return invalidf(h.Kind.String() + " stream header: sharer set")
	}
	if h.Kind == File {
		if h.TransferID == 0 {
			return invalidf("file stream header: no transfer ID")
		}
	} else if h.TransferID != 0 || h.FileIndex != 0 {
		return invalidf(h.Kind.String() + " stream header: transfer fields set")
	}
	return nil
}

// Known reports whether the header's kind is known.
func (h StreamHeader) Known() bool { return h.Kind.Known() }

// AppendStreamHeader appends the wire form of h to b: kind byte, uvarint
// header length, CBOR header (absent when the kind has no fields).
func AppendStreamHeader(b []byte, h StreamHeader) ([]byte, error) {
	if err := h.Validate(); err != nil {
		return b, err
	}
	body := streamHeaderBody{Sharer: h.Sharer, TransferID: h.TransferID, FileIndex: h.FileIndex}
	var enc []byte
	if body != (streamHeaderBody{}) {
		var err error
		if enc, err = appendCBOR(nil, body); err != nil {
			return b, err
		}
	}
	if len(enc) > MaxStreamHeader { // cannot happen with today's fields
		return b, newError(Internal, ErrTooLarge, "stream header")
	}
	b = append(b, byte(h.Kind))
	b = appendUvarint(b, uint64(len(enc)))
	return append(b, enc...), nil
}

// WriteStreamHeader writes h to w in one Write call.
func WriteStreamHeader(w io.Writer, h StreamHeader) error {
	var arr [2 + MaxStreamHeader]byte
	b, err := AppendStreamHeader(arr[:0], h)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ReadStreamHeader reads the header that opens a stream. It reads exactly
// the header's bytes and no more, so the caller can go on reading messages
// from r.
//
// For a kind this version does not know it returns the header with that
// Kind and an *Error with code UnknownStream wrapping ErrUnknownStreamKind,
// having read only the kind byte: the caller cancels that stream, not the
// connection. A header longer than MaxStreamHeader is an *Error with code
// MessageTooLarge. An empty stream (EOF before the kind byte) returns
// io.EOF; EOF later is an *Error wrapping io.ErrUnexpectedEOF.
func ReadStreamHeader(r io.Reader) (StreamHeader, error) {
	var h StreamHeader
	var buf [MaxStreamHeader]byte
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		if err == io.EOF { //nolint:errorlint // unwrapped by contract
			return h, io.EOF // an empty stream
		}
		return h, headerReadError(err)
	}
	h.Kind = StreamKind(buf[0])
	if !h.Kind.Known() {
		return h, newError(UnknownStream, ErrUnknownStreamKind, "stream kind "+strconv.Itoa(int(h.Kind)))
	}
	n, err := readUvarint(r, buf[:1])
	if err != nil {
		return h, headerReadError(err)
	}
	if n > MaxStreamHeader {
		return h, newError(MessageTooLarge, ErrTooLarge, "stream header of "+strconv.FormatUint(n, 10)+" bytes")
	}
	if n > 0 {
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return h, headerReadError(err)
		}
		var body streamHeaderBody
		if err := unmarshalCBOR(buf[:n], &body); err != nil {
			return h, err
		}
		h.Sharer, h.TransferID, h.FileIndex = body.Sharer, body.TransferID, body.FileIndex
	}
	if err := h.Validate(); err != nil {
		return h, err
	}
	return h, nil
}

func headerReadError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(ProtocolViolation, io.ErrUnexpectedEOF, "truncated stream header")
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("protocol: read stream header: %w", err)
}
