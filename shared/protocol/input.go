package protocol

import "strconv"

// Input messages flow from the controlling technician to the controlled
// computer. Coordinates are pixels of the monitor being shared (the
// MonitorList's Current), origin top-left. The receiver injects them only
// while the sender holds PermControl.

// MouseMove moves the pointer to an absolute position.
type MouseMove struct {
	X int32 `cbor:"1,keyasint,omitempty"`
	Y int32 `cbor:"2,keyasint,omitempty"`
}

// Type implements Message.
func (*MouseMove) Type() MessageType { return TypeMouseMove }

// Validate implements Message.
func (*MouseMove) Validate() error { return nil }

func (m *MouseMove) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *MouseMove) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// Button is a mouse button.
type Button uint8

// The mouse buttons. Zero is not a button.
const (
	ButtonLeft    Button = 1
	ButtonRight   Button = 2
	ButtonMiddle  Button = 3
	ButtonBack    Button = 4
	ButtonForward Button = 5
)

// Known reports whether b is a button this version defines.
func (b Button) Known() bool { return b >= ButtonLeft && b <= ButtonForward }

// MouseButton presses or releases a button at the pointer's position.
type MouseButton struct {
	Button Button `cbor:"1,keyasint,omitempty"` // a known button
	Down   bool   `cbor:"2,keyasint,omitempty"` // true: press; false: release
}

// Type implements Message.
func (*MouseButton) Type() MessageType { return TypeMouseButton }

// Validate implements Message.
func (m *MouseButton) Validate() error {
	if !m.Button.Known() {
		return invalidf("mouse button: unknown button " + strconv.Itoa(int(m.Button)))
	}
	return nil
}

func (m *MouseButton) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *MouseButton) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// WheelNotch is one detent of a mouse wheel in Wheel units (as Windows'
// WHEEL_DELTA), so that smooth-scrolling devices can send fractions.
const WheelNotch = 120

// Wheel scrolls. Positive DY scrolls down (content moves up), positive DX
// scrolls right; in units of 1/WheelNotch of a detent.
type Wheel struct {
	DX int32 `cbor:"1,keyasint,omitempty"`
	DY int32 `cbor:"2,keyasint,omitempty"`
}

// Type implements Message.
func (*Wheel) Type() MessageType { return TypeWheel }

// Validate implements Message.
func (*Wheel) Validate() error { return nil }

func (m *Wheel) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Wheel) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// Modifiers is a set of modifier keys held during a Key event.
type Modifiers uint8

// The modifier bits. Other bits are refused.
const (
	ModShift   Modifiers = 1 << 0
	ModControl Modifiers = 1 << 1
	ModAlt     Modifiers = 1 << 2
	ModSuper   Modifiers = 1 << 3 // Windows key, Command on macOS

	modAll = ModShift | ModControl | ModAlt | ModSuper
)

// Key presses or releases a key. Name is the portable name of the key: a
// single character as it is printed on the key without modifiers ("a",
// "1", "é") or a name for the others ("enter", "escape", "f1", "left",
// "shift", …, as robotgo names them); Code is a USB HID usage (page 0x07)
// when the sender knows it. At least one of them is set.
type Key struct {
	Code      uint32    `cbor:"1,keyasint,omitempty"`
	Name      string    `cbor:"2,keyasint,omitempty"` // single line, ≤ MaxKeyNameLen
	Down      bool      `cbor:"3,keyasint,omitempty"` // true: press; false: release
	Modifiers Modifiers `cbor:"4,keyasint,omitempty"`
}

// Type implements Message.
func (*Key) Type() MessageType { return TypeKey }

// Validate implements Message.
func (m *Key) Validate() error {
	if m.Code == 0 && m.Name == "" {
		return invalidf("key: neither code nor name")
	}
	if m.Modifiers&^modAll != 0 {
		return invalidf("key: unknown modifier bits " + strconv.Itoa(int(m.Modifiers&^modAll)))
	}
	return checkText("key: name", m.Name, MaxKeyNameLen, singleLine, false)
}

func (m *Key) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Key) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// Text types a string, as an input method or a paste would.
type Text struct {
	Text string `cbor:"1,keyasint,omitempty"` // 1..MaxInputText bytes of UTF-8; tab and line breaks allowed
}

// Type implements Message.
func (*Text) Type() MessageType { return TypeText }

// Validate implements Message.
func (m *Text) Validate() error {
	return checkText("text", m.Text, MaxInputText, multiLine, true)
}

func (m *Text) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *Text) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
