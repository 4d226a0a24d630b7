// Package protocol is Tandem's wire format: stream headers, the message
// envelope, the messages and their limits, version negotiation and the error
// codes. It only encodes and decodes, reading from an io.Reader and writing
// to an io.Writer the caller gives it; the QUIC connection, its streams and
// the session logic live in shared/transport and shared/session.
//
// # Connection
//
// Tandem speaks QUIC with the ALPN "tandem/1" (ALPN). After the TLS
// handshake and key confirmation, which belong to shared/transport,
// everything flows on QUIC streams. Each stream carries one kind of
// traffic and starts with a stream header; the rest of the stream, in each
// direction, is a sequence of messages in envelopes.
//
// # Stream header
//
// The side that opens a stream writes, before anything else:
//
//	kind  1 byte          StreamKind: 1 control, 2 consent, 3 chat, 4 screen, 5 input, 6 file
//	hlen  uvarint         length of hdr, 0..MaxStreamHeader (64)
//	hdr   hlen bytes      the kind's fields as a CBOR map (see Bodies); absent when hlen is 0
//
// The fields of hdr, by kind:
//
//	screen  {1: sharer}                       participant ID whose screen flows; required
//	file    {2: transfer ID, 3: file index}   transfer ID required; index 0 is omitted
//	others  no fields: writers send hlen 0
//
// So a control stream starts 01 00, the screen stream of participant 2 starts
// 04 03 a1 01 02, and the stream of file 1 of transfer 9 starts
// 06 05 a2 02 09 03 01.
//
// ReadStreamHeader reads exactly the header and nothing after it. A kind it
// does not know is an *Error with code UnknownStream, returned after reading
// the kind byte only: the caller cancels that stream with that code and keeps
// the connection, as HTTP/3 does with unknown stream types. An hlen over 64 is
// MessageTooLarge. Unknown keys in hdr are ignored (a newer peer may add
// fields); a known field that does not belong to the kind, or a missing
// required one, is a ProtocolViolation.
//
// # Envelope
//
// After the header, each message is:
//
//	len   uvarint    number of body bytes; the type byte is not counted
//	type  1 byte     MessageType
//	body  len bytes
//
// A uvarint is encoding/binary's: 7 bits a byte, least significant group
// first, the high bit set on every byte but the last (300 is ac 02). Lengths
// must be in their shortest form; 80 00 for 0 is a ProtocolViolation, as is a
// varint over 64 bits.
//
// A reader (Decoder.Decode) checks, in this order, and before it allocates or
// reads any of the body:
//
//  1. type 0 is never valid: ProtocolViolation;
//  2. a type this version does not know is skipped: if len is within the
//     stream kind's limit (StreamKind.MaxMessage) the body is read and thrown
//     away and the next message is read, otherwise MessageTooLarge. New
//     message types are therefore optional: a peer relies on one only when
//     the negotiated version says the other side knows it;
//  3. a known type that belongs to another stream kind: ProtocolViolation
//     (ErrWrongStream); nothing more is read;
//  4. len over the type's own limit (MessageType.MaxBody): MessageTooLarge;
//     nothing is allocated. Bodies over 64 KiB are read into a buffer that
//     grows as bytes arrive, so announcing a large body costs a peer as much
//     memory as it sends;
//  5. the body must parse and the message must pass its Validate:
//     ProtocolViolation otherwise.
//
// The end of the stream before a message is io.EOF, a clean finish; inside a
// message it is a ProtocolViolation wrapping io.ErrUnexpectedEOF. After any
// error but io.EOF the stream is out of step and the caller abandons it
// (usually closing the connection with CodeOf(err)). Writers validate every
// message against the same rules before sending it, so a correct peer never
// sends what a reader refuses.
//
// # Bodies
//
// Structured messages (all but two) have a body that is exactly one CBOR map
// (RFC 8949) whose keys are small unsigned integers, given by each struct
// field's `cbor:"N,keyasint,omitempty"` tag. Writers use Core Deterministic
// Encoding (RFC 8949 §4.2.1: shortest integers and lengths, keys sorted,
// definite lengths) without tags and omit fields whose value is zero, false
// or empty; a missing key reads as that zero value. Readers refuse: a body
// that is not a map, bytes after it, duplicate keys, indefinite lengths,
// tags, text strings that are not valid UTF-8, integers that do not fit their
// field, nesting deeper than 16, and arrays or maps over 4096 entries. They
// ignore keys they do not know, so a later version may add fields; a key
// never changes meaning. Examples:
//
//	ChatAck{ID: 1}                          03 31 a1 01 01
//	RefreshRequest{}                        01 42 a0
//	ConsentRequest{ID: 7, What: PermControl, From: 2}
//	                                        07 20 a3 01 07 02 02 03 02
//	ChatMessage{ID: 1, From: 2, SentAt: 1000, Text: "hé"}
//	                                        0e 30 a4 01 01 02 02 03 19 03 e8 04 63 68 c3 a9
//
// Four messages carry bulk bytes and have a binary body instead:
//
//	FramePacket  seq    8 bytes big-endian   frame sequence number
//	             data   the rest             codec packet, 1..MaxScreenPacket (48 MiB) bytes
//	FramePreview scale  1 byte               2..16: the picture is scaled down this much each way
//	             data   the rest             codec packet of the scaled-down key frame, 1..MaxScreenPacket bytes
//	VideoPacket  seq    8 bytes big-endian   frame sequence number (shared with FramePacket)
//	             x y w h 2 bytes each        the lossy region on the monitor; w, h even, 2..4096
//	             flags  1 byte               bit 0: key frame (a new region); other bits zero
//	             data   the rest             VP8 frame, 1..MaxVideoPacket (8 MiB) bytes
//	FileChunk    offset 8 bytes big-endian   position in the file
//	             data   the rest             1..MaxFileChunk (256 KiB) bytes
//
// e.g. FramePacket{Seq: 5, Data: de ad} is 0a 40 00 00 00 00 00 00 00 05 de ad.
//
// Every text field is valid UTF-8 within a byte limit and holds no control
// characters (C0, DEL, C1), except that chat and typed text may hold tab, line
// feed and carriage return.
//
// # Messages and limits
//
// Body limits, by type (value, name, stream kind, limit):
//
//	0x10 Hello           control   16 KiB  MaxControlMessage
//	0x11 Welcome         control   16 KiB
//	0x12 Participants    control   16 KiB
//	0x13 SessionEnd      control   16 KiB
//	0x14 ErrorMessage    control   16 KiB
//	0x15 InviteRequest   control   16 KiB
//	0x16 InviteAnswer    control   16 KiB
//	0x17 UnattendedOpen  control   16 KiB
//	0x18 UnattendedAnswer control  16 KiB
//	0x20 ConsentRequest  consent    4 KiB  MaxConsentMessage
//	0x21 ConsentAnswer   consent    4 KiB
//	0x22 ConsentRevoke   consent    4 KiB
//	0x23 UnattendedReady consent    4 KiB
//	0x30 ChatMessage     chat      64 KiB  MaxChatMessage (text ≤ MaxChatText, 16 KiB)
//	0x31 ChatAck         chat      64 KiB
//	0x40 FramePacket     screen    48 MiB + 8  MaxScreenPacket of data
//	0x41 FrameAck        screen    16 KiB  MaxScreenMessage
//	0x42 RefreshRequest  screen    16 KiB
//	0x43 Cursor          screen    16 KiB
//	0x44 MonitorList     screen    16 KiB
//	0x45 SelectMonitor   screen    16 KiB
//	0x46 FramePreview    screen    48 MiB + 1  MaxScreenPacket of data
//	0x47 VideoPacket     screen     8 MiB + 17  MaxVideoPacket of data
//	0x48 VideoEnd        screen    16 KiB
//	0x49 ViewOptions     screen    16 KiB
//	0x50 MouseMove       input      8 KiB  MaxInputMessage
//	0x51 MouseButton     input      8 KiB
//	0x52 Wheel           input      8 KiB
//	0x53 Key             input      8 KiB
//	0x54 Text            input      8 KiB  (text ≤ MaxInputText, 4 KiB)
//	0x60 FileOffer       file     256 KiB  MaxFileMessage
//	0x61 FileAnswer      file     256 KiB
//	0x62 FileChunk       file     256 KiB + 8  MaxFileChunk of data
//	0x63 FileDone        file     256 KiB
//	0x64 FileCancel      file     256 KiB
//
// Field limits (names, counts, sizes) are the Max* constants; each message's
// Validate documents the rules it applies.
//
// # Versions
//
// ALPN names the framing above, which does not change. Message sets and
// fields are versioned by the protocol version: each side's first message on
// the control stream is its Hello, announcing the range MinVersion..
// ProtocolVersion it speaks. The session's host picks the highest version in
// both ranges (Negotiate) and answers with Welcome, or, when the ranges do
// not meet, with SessionEnd{Code: VersionMismatch} before closing the
// connection with that code, so that the UI can tell the user which side to
// update.
//
// # Errors
//
// Code is the one table of error codes. The same values are QUIC application
// error codes (CloseWithError, CancelRead, CancelWrite) and the codes carried
// by SessionEnd, ErrorMessage and FileCancel; CodeOf maps any Go error to
// one. Each code has a stable i18n key (Code.MessageKey, listed by AllCodes)
// that the UI translates. Decoders return an *Error holding the code, and
// wrapping one of ErrUnknownStreamKind, ErrTooLarge, ErrWrongStream,
// ErrMalformed, ErrInvalid or io.ErrUnexpectedEOF; errors from the
// underlying reader or writer are returned wrapped, never replaced.
package protocol
