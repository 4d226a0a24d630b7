package protocol

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// maxSeed keeps the fuzzers' seed corpus small enough to mutate quickly.
const maxSeed = 512

// checkDecodeError fails unless err is what a decoder may return for bytes
// from a reader that never fails: io.EOF or an *Error with a peer-caused code.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if err == io.EOF { //nolint:errorlint // unwrapped by contract
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error without a code: %v", err)
	}
	switch pe.Code {
	case ProtocolViolation, MessageTooLarge, UnknownStream:
	default:
		t.Fatalf("error with code %v: %v", pe.Code, err)
	}
}

// checkReencode: a decoded message re-encodes, and that decodes to the same
// value and re-encodes to the same bytes.
func checkReencode(t *testing.T, m Message) {
	t.Helper()
	b, err := AppendMessage(nil, m)
	if err != nil {
		t.Fatalf("decoded %#v does not encode: %v", m, err)
	}
	m2, err := ReadMessage(bytes.NewReader(b), m.Type().Kind())
	if err != nil {
		t.Fatalf("re-encoded %#v does not decode: %v", m, err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("round trip changed the message:\n%#v\n%#v", m, m2)
	}
	b2, err := AppendMessage(nil, m2)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("encoding not deterministic: %v\n%x\n%x", err, b, b2)
	}
}

// FuzzReadMessage feeds arbitrary bytes to a Decoder of each kind.
func FuzzReadMessage(f *testing.F) {
	for _, s := range samples() {
		b, err := AppendMessage(nil, s.m)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= maxSeed {
			f.Add(byte(s.m.Type().Kind()), b)
			f.Add(byte(s.m.Type().Kind()), append(append([]byte{2, 0x7f, 0xa0, 0xa0}, b...), b...))
		}
	}
	f.Add(byte(Chat), []byte{0x80, 0x00, 0x31, 0xa1, 0x01, 0x01})
	f.Add(byte(Chat), []byte{0x05, 0x31, 0xa2, 0x01, 0x01, 0x01, 0x02})
	f.Add(byte(Screen), []byte{0xff, 0xff, 0xff, 0x17, 0x40})
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		dec := NewDecoder(bytes.NewReader(data), StreamKind(kind))
		for range 100 {
			m, err := dec.Decode()
			if err != nil {
				checkDecodeError(t, err)
				return
			}
			if m.Type().Kind() != StreamKind(kind) {
				t.Fatalf("%v decoded on a %v stream", m.Type(), StreamKind(kind))
			}
			checkReencode(t, m)
		}
	})
}

// FuzzReadStreamHeader feeds arbitrary bytes to ReadStreamHeader.
func FuzzReadStreamHeader(f *testing.F) {
	for _, h := range sampleHeaders() {
		b, err := AppendStreamHeader(nil, h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(append(b, 0x01, 0x31, 0xa0))
	}
	f.Add([]byte{0x04, 0x06, 0xa2, 0x01, 0x03, 0x09, 0x61, 0x78})
	f.Add([]byte{0x09})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := ReadStreamHeader(r)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		used := len(data) - r.Len()
		if used > 2+MaxStreamHeader {
			t.Fatalf("header used %d bytes", used)
		}
		b, err := AppendStreamHeader(nil, h)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", h, err)
		}
		h2, err := ReadStreamHeader(bytes.NewReader(b))
		if err != nil || h2 != h {
			t.Fatalf("round trip: %+v, %v; want %+v", h2, err, h)
		}
	})
}

// FuzzDecodeBody feeds arbitrary bodies to the body decoder of the message
// type named by the first argument, skipping the envelope.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range samples() {
		head, payload, err := s.m.encodeBody()
		if err != nil {
			f.Fatal(err)
		}
		if body := append(head, payload...); len(body) <= maxSeed {
			f.Add(byte(s.m.Type()), body)
		}
	}
	f.Fuzz(func(t *testing.T, typ byte, body []byte) {
		m := NewMessage(MessageType(typ))
		if m == nil {
			return
		}
		if err := m.decodeBody(body); err != nil {
			checkDecodeError(t, err)
			return
		}
		if err := m.Validate(); err != nil {
			checkDecodeError(t, err)
			return
		}
		if len(body) > m.Type().MaxBody() {
			return // the envelope would have refused it
		}
		checkReencode(t, m)
	})
}
