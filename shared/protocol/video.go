package protocol

import (
	"encoding/binary"
	"strconv"
)

// VideoPacket carries one VP8 frame of the sharer's moving photographic region (a playing video, an animation)
// when the viewer accepts lossy video (ViewOptions.Lossy): the region is drawn over the lossless picture until a
// VideoEnd, after which the next FramePacket makes it exact. A packet with Key set starts a new region (a new
// decoder); the others continue the last one and keep its place and size. It is acknowledged with a FrameAck,
// like a FramePacket, and shares their sequence numbers. Its body is binary, not CBOR:
//
//	seq   [8]byte  big-endian uint64: the frame's sequence number
//	x, y  [2]byte  each, big-endian: the region's top-left corner on the monitor
//	w, h  [2]byte  each, big-endian: its size, even, 2..MaxVideoSide
//	flags [1]byte  bit 0: key frame; the other bits are zero
//	data  [...]    the VP8 frame, 1..MaxVideoPacket bytes, to the end of the body
type VideoPacket struct {
	Seq        uint64
	X, Y, W, H uint16
	Key        bool
	Data       []byte // the decoded message's Data is its own copy
}

// videoPacketHeaderLen is the bytes before a VideoPacket's data.
const videoPacketHeaderLen = 8 + 4*2 + 1

// Type implements Message.
func (*VideoPacket) Type() MessageType { return TypeVideoPacket }

// Validate implements Message.
func (m *VideoPacket) Validate() error {
	for _, side := range []uint16{m.W, m.H} {
		if side < 2 || side > MaxVideoSide || side%2 != 0 {
			return invalidf("video packet: region " + strconv.Itoa(int(m.W)) + "x" + strconv.Itoa(int(m.H)) +
				" (even sides, 2.." + strconv.Itoa(MaxVideoSide) + ")")
		}
	}
	if len(m.Data) == 0 || len(m.Data) > MaxVideoPacket {
		return invalidf("video packet: " + strconv.Itoa(len(m.Data)) + " bytes of data (1.." + strconv.Itoa(MaxVideoPacket) + ")")
	}
	return nil
}

func (m *VideoPacket) encodeBody() ([]byte, []byte, error) {
	h := make([]byte, 0, videoPacketHeaderLen)
	h = binary.BigEndian.AppendUint64(h, m.Seq)
	for _, v := range []uint16{m.X, m.Y, m.W, m.H} {
		h = binary.BigEndian.AppendUint16(h, v)
	}
	var flags byte
	if m.Key {
		flags = 1
	}
	return append(h, flags), m.Data, nil
}

func (m *VideoPacket) decodeBody(b []byte) error {
	if len(b) < videoPacketHeaderLen {
		return newError(ProtocolViolation, ErrMalformed, "video packet shorter than its header")
	}
	m.Seq = binary.BigEndian.Uint64(b)
	m.X, m.Y = binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:])
	m.W, m.H = binary.BigEndian.Uint16(b[12:]), binary.BigEndian.Uint16(b[14:])
	flags := b[16]
	if flags&^1 != 0 {
		return newError(ProtocolViolation, ErrMalformed, "video packet: unknown flags")
	}
	m.Key = flags&1 != 0
	m.Data = b[videoPacketHeaderLen:]
	return nil
}

// VideoEnd tells the viewer that the lossy region ends: the FramePacket that follows makes it exact, and the
// viewer draws the lossless picture there again from that packet on. Its body is an empty CBOR map.
type VideoEnd struct{}

// Type implements Message.
func (*VideoEnd) Type() MessageType { return TypeVideoEnd }

// Validate implements Message.
func (*VideoEnd) Validate() error { return nil }

func (m *VideoEnd) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *VideoEnd) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// ViewOptions is what the viewer accepts on a screen stream, sent at its start and whenever it changes. Until
// the first one arrives, the sharer sends only lossless frames.
type ViewOptions struct {
	// Lossy: the viewer can decode VideoPackets and its user prefers speed, so moving photographic regions may
	// be sent as lossy video while the link cannot carry them losslessly. False: every frame stays exact.
	Lossy bool `cbor:"1,keyasint,omitempty"`
}

// Type implements Message.
func (*ViewOptions) Type() MessageType { return TypeViewOptions }

// Validate implements Message.
func (*ViewOptions) Validate() error { return nil }

func (m *ViewOptions) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *ViewOptions) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
