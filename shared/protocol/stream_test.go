package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestStreamHeaderRoundTrip(t *testing.T) {
	for _, h := range sampleHeaders() {
		var buf bytes.Buffer
		if err := WriteStreamHeader(&buf, h); err != nil {
			t.Fatalf("%+v: %v", h, err)
		}
		buf.WriteString("next") // what follows the header is left unread
		got, err := ReadStreamHeader(iotest.OneByteReader(&buf))
		if err != nil || got != h {
			t.Fatalf("got %+v, %v; want %+v", got, err, h)
		}
		if rest := buf.String(); rest != "next" {
			t.Fatalf("%+v: header read consumed %q", h, rest)
		}
	}
}

func TestStreamHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		raw   string
		code  Code
		cause error
	}{
		{"empty", "", NoError, io.EOF},
		{"kind 0", "00 00", UnknownStream, ErrUnknownStreamKind},
		{"kind 7", "07 00", UnknownStream, ErrUnknownStreamKind},
		{"kind 255", "ff", UnknownStream, ErrUnknownStreamKind},
		{"no length", "01", ProtocolViolation, io.ErrUnexpectedEOF},
		{"truncated length", "01 80", ProtocolViolation, io.ErrUnexpectedEOF},
		{"non-minimal length", "01 8000", ProtocolViolation, ErrMalformed},
		{"over limit", "04 41", MessageTooLarge, ErrTooLarge},
		{"huge", "04 ffffffff0f", MessageTooLarge, ErrTooLarge},
		{"truncated body", "04 03 a101", ProtocolViolation, io.ErrUnexpectedEOF},
		{"screen without sharer", "04 00", ProtocolViolation, ErrInvalid},
		{"screen sharer 0", "04 03 a10100", ProtocolViolation, ErrInvalid},
		{"file without transfer", "06 03 a10301", ProtocolViolation, ErrInvalid},
		{"sharer on chat", "03 03 a10101", ProtocolViolation, ErrInvalid},
		{"transfer on screen", "04 05 a2 0101 0201", ProtocolViolation, ErrInvalid},
		{"file index on input", "05 03 a10301", ProtocolViolation, ErrInvalid},
		{"not a map", "04 02 8101", ProtocolViolation, ErrMalformed},
		{"trailing", "04 04 a1010200", ProtocolViolation, ErrMalformed},
		{"duplicate key", "04 05 a2 0102 0103", ProtocolViolation, ErrMalformed},
		{"sharer overflow", "04 0b a1 01 1b0000000100000000", ProtocolViolation, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := hex.DecodeString(strings.ReplaceAll(tc.raw, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ReadStreamHeader(bytes.NewReader(raw))
			if tc.code == NoError {
				if err != tc.cause { //nolint:errorlint // io.EOF unwrapped by contract
					t.Fatalf("err = %v, want %v", err, tc.cause)
				}
				return
			}
			wantCode(t, err, tc.code, tc.cause)
		})
	}
}

func TestStreamHeaderUnknownKindReadsOneByte(t *testing.T) {
	r := &strictReader{t: t, data: []byte{0x42}}
	h, err := ReadStreamHeader(r)
	wantCode(t, err, UnknownStream, ErrUnknownStreamKind)
	if h.Kind != 0x42 || h.Known() {
		t.Fatalf("header %+v", h)
	}
}

func TestStreamHeaderAcceptsUnknownFields(t *testing.T) {
	// A newer peer's screen header {1: 3, 9: "x"}.
	raw, _ := hex.DecodeString("0406a20103096178")
	h, err := ReadStreamHeader(bytes.NewReader(raw))
	if err != nil || h != (StreamHeader{Kind: Screen, Sharer: 3}) {
		t.Fatalf("got %+v, %v", h, err)
	}
}

func TestWriteStreamHeaderRefusesInvalid(t *testing.T) {
	for _, h := range []StreamHeader{
		{},
		{Kind: 7},
		{Kind: Screen},
		{Kind: File},
		{Kind: Control, Sharer: 1},
		{Kind: Chat, TransferID: 1},
		{Kind: Input, FileIndex: 1},
		{Kind: Screen, Sharer: 1, TransferID: 1},
	} {
		err := WriteStreamHeader(io.Discard, h)
		if CodeOf(err) != ProtocolViolation && CodeOf(err) != UnknownStream {
			t.Errorf("%+v: %v", h, err)
		}
		if errors.Is(err, ErrUnknownStreamKind) != !h.Kind.Known() {
			t.Errorf("%+v: %v", h, err)
		}
	}
}

func TestStreamHeaderReadError(t *testing.T) {
	werr := errors.New("stream reset")
	for _, prefix := range [][]byte{nil, {4}, {4, 3, 0xa1}} {
		_, err := ReadStreamHeader(io.MultiReader(bytes.NewReader(prefix), iotest.ErrReader(werr)))
		if !errors.Is(err, werr) || CodeOf(err) != Internal {
			t.Errorf("after %x: %v", prefix, err)
		}
	}
}
