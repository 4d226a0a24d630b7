package protocol

import (
	"encoding/binary"
	"strconv"
)

// FramePacket carries one codec packet from the sharer to the viewer. Its
// body is binary, not CBOR:
//
//	seq  [8]byte  big-endian uint64: the frame's sequence number, increasing by 1 per frame sent
//	data [...]    the codec packet (shared/codec), 1..MaxScreenPacket bytes, to the end of the body
type FramePacket struct {
	Seq  uint64
	Data []byte // the decoded message's Data is its own copy
}

// Type implements Message.
func (*FramePacket) Type() MessageType { return TypeFramePacket }

// Validate implements Message.
func (m *FramePacket) Validate() error {
	if len(m.Data) == 0 || len(m.Data) > MaxScreenPacket {
		return invalidf("frame packet: " + strconv.Itoa(len(m.Data)) + " bytes of data (1.." + strconv.Itoa(MaxScreenPacket) + ")")
	}
	return nil
}

func (m *FramePacket) encodeBody() ([]byte, []byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, framePacketHeaderLen), m.Seq), m.Data, nil
}

func (m *FramePacket) decodeBody(b []byte) error {
	if len(b) < framePacketHeaderLen {
		return newError(ProtocolViolation, ErrMalformed, "frame packet shorter than its header")
	}
	m.Seq = binary.BigEndian.Uint64(b)
	m.Data = b[framePacketHeaderLen:]
	return nil
}

// FramePreview carries a coarse first picture from the sharer to the viewer, sent just before a key frame that
// would take the link a while: the screen scaled down by Scale in each direction and coded as a key frame of its
// own (a codec stream that starts and ends with this packet). The viewer shows it enlarged until the key frame
// that follows has arrived; it is not acknowledged. Its body is binary, not CBOR:
//
//	scale [1]byte  MinPreviewScale..MaxPreviewScale
//	data  [...]    the codec packet of the scaled-down picture, 1..MaxScreenPacket bytes, to the end of the body
type FramePreview struct {
	Scale uint8
	Data  []byte // the decoded message's Data is its own copy
}

// Type implements Message.
func (*FramePreview) Type() MessageType { return TypeFramePreview }

// Validate implements Message.
func (m *FramePreview) Validate() error {
	if m.Scale < MinPreviewScale || m.Scale > MaxPreviewScale {
		return invalidf("frame preview: scale " + strconv.Itoa(int(m.Scale)) + " (" + strconv.Itoa(MinPreviewScale) + ".." + strconv.Itoa(MaxPreviewScale) + ")")
	}
	if len(m.Data) == 0 || len(m.Data) > MaxScreenPacket {
		return invalidf("frame preview: " + strconv.Itoa(len(m.Data)) + " bytes of data (1.." + strconv.Itoa(MaxScreenPacket) + ")")
	}
	return nil
}

func (m *FramePreview) encodeBody() ([]byte, []byte, error) { return []byte{m.Scale}, m.Data, nil }

func (m *FramePreview) decodeBody(b []byte) error {
	if len(b) < 1 {
		return newError(ProtocolViolation, ErrMalformed, "frame preview shorter than its header")
	}
	m.Scale, m.Data = b[0], b[1:]
	return nil
}

// FrameAck tells the sharer that the viewer has drawn every frame up to and
// including Seq, so that it may send more.
type FrameAck struct {
	Seq uint64 `cbor:"1,keyasint,omitempty"`
}

// Type implements Message.
func (*FrameAck) Type() MessageType { return TypeFrameAck }

// Validate implements Message.
func (*FrameAck) Validate() error { return nil }

func (m *FrameAck) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *FrameAck) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// RefreshRequest asks the sharer for a complete frame (a key frame), e.g.
// after the viewer lost its picture. Its body is an empty CBOR map.
type RefreshRequest struct{}

// Type implements Message.
func (*RefreshRequest) Type() MessageType { return TypeRefreshRequest }

// Validate implements Message.
func (*RefreshRequest) Validate() error { return nil }

func (m *RefreshRequest) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *RefreshRequest) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// CursorShape is a standard pointer shape. A receiver draws a shape it does
// not know as CursorArrow.
type CursorShape uint8

// The cursor shapes.
const (
	CursorArrow      CursorShape = 0
	CursorText       CursorShape = 1 // I-beam
	CursorPointer    CursorShape = 2 // hand, over links
	CursorWait       CursorShape = 3
	CursorCrosshair  CursorShape = 4
	CursorResizeNS   CursorShape = 5
	CursorResizeEW   CursorShape = 6
	CursorResizeNWSE CursorShape = 7
	CursorResizeNESW CursorShape = 8
	CursorMove       CursorShape = 9
	CursorNotAllowed CursorShape = 10
)

// Cursor is the sharer's pointer position and shape, in pixels of the
// shared monitor (negative or beyond its size when the pointer is on another
// monitor). It may also ride a QUIC datagram.
type Cursor struct {
	X       int32       `cbor:"1,keyasint,omitempty"`
	Y       int32       `cbor:"2,keyasint,omitempty"`
	Visible bool        `cbor:"3,keyasint,omitempty"`
	Shape   CursorShape `cbor:"4,keyasint,omitempty"`
}

// Type implements Message.
func (*Cursor) Type() MessageType { return TypeCursor }

// Validate implements Message.
func (*Cursor) Validate() error { return nil }

func (m *Cursor) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Cursor) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// Monitor describes one of the sharer's monitors, in virtual-desktop pixels.
type Monitor struct {
	ID      uint32 `cbor:"1,keyasint,omitempty"` // stable while the session lasts; unique in the list
	Name    string `cbor:"2,keyasint,omitempty"` // single line, ≤ MaxNameLen; may be empty
	X       int32  `cbor:"3,keyasint,omitempty"` // top-left corner
	Y       int32  `cbor:"4,keyasint,omitempty"`
	Width   uint32 `cbor:"5,keyasint,omitempty"` // 1..MaxMonitorSize
	Height  uint32 `cbor:"6,keyasint,omitempty"` // 1..MaxMonitorSize
	Primary bool   `cbor:"7,keyasint,omitempty"`
}

// MonitorList is the sharer's monitors and the one being sent; sent when the
// stream opens and whenever either changes.
type MonitorList struct {
	Monitors []Monitor `cbor:"1,keyasint,omitempty"` // 1..MaxMonitors
	Current  uint32    `cbor:"2,keyasint,omitempty"` // ID of the monitor whose frames flow; in Monitors
}

// Type implements Message.
func (*MonitorList) Type() MessageType { return TypeMonitorList }

// Validate implements Message.
func (m *MonitorList) Validate() error {
	if len(m.Monitors) == 0 || len(m.Monitors) > MaxMonitors {
		return invalidf("monitor list: " + strconv.Itoa(len(m.Monitors)) + " monitors (1.." + strconv.Itoa(MaxMonitors) + ")")
	}
	current := false
	for i, mon := range m.Monitors {
		if mon.Width == 0 || mon.Height == 0 || mon.Width > MaxMonitorSize || mon.Height > MaxMonitorSize {
			return invalidf("monitor list: monitor " + strconv.FormatUint(uint64(mon.ID), 10) + " has bad size")
		}
		if err := checkText("monitor list: name", mon.Name, MaxNameLen, singleLine, false); err != nil {
			return err
		}
		for _, prev := range m.Monitors[:i] {
			if prev.ID == mon.ID {
				return invalidf("monitor list: duplicate monitor ID " + strconv.FormatUint(uint64(mon.ID), 10))
			}
		}
		current = current || mon.ID == m.Current
	}
	if !current {
		return invalidf("monitor list: current monitor " + strconv.FormatUint(uint64(m.Current), 10) + " not listed")
	}
	return nil
}

func (m *MonitorList) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *MonitorList) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// SelectMonitor asks the sharer to send the monitor with this ID instead.
type SelectMonitor struct {
	ID uint32 `cbor:"1,keyasint,omitempty"`
}

// Type implements Message.
func (*SelectMonitor) Type() MessageType { return TypeSelectMonitor }

// Validate implements Message.
func (*SelectMonitor) Validate() error { return nil }

func (m *SelectMonitor) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *SelectMonitor) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
