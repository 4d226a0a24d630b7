package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func mustAppend(t testing.TB, m Message) []byte {
	t.Helper()
	b, err := AppendMessage(nil, m)
	if err != nil {
		t.Fatalf("AppendMessage(%T): %v", m, err)
	}
	return b
}

func TestSamplesCoverEveryType(t *testing.T) {
	seen := map[MessageType]bool{}
	for _, s := range samples() {
		seen[s.m.Type()] = true
	}
	for _, typ := range AllTypes() {
		if !seen[typ] {
			t.Errorf("no sample of %v", typ)
		}
		if NewMessage(typ).Type() != typ {
			t.Errorf("NewMessage(%v) has type %v", typ, NewMessage(typ).Type())
		}
		if typ.MaxBody() > typ.Kind().MaxMessage() {
			t.Errorf("%v: limit %d over its kind's %d", typ, typ.MaxBody(), typ.Kind().MaxMessage())
		}
	}
	if len(AllTypes()) != 35 {
		t.Errorf("AllTypes: %d types", len(AllTypes()))
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			b := mustAppend(t, s.m)
			got, err := ReadMessage(bytes.NewReader(b), s.m.Type().Kind())
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			if !reflect.DeepEqual(got, s.m) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, s.m)
			}
			// Deterministic: encoding the decoded value gives the same bytes.
			if b2 := mustAppend(t, got); !bytes.Equal(b, b2) {
				t.Fatalf("re-encoding differs:\n%x\n%x", b, b2)
			}
			// Through an io.Reader that is not an io.ByteReader and returns one byte at a time.
			got, err = ReadMessage(iotest.OneByteReader(bytes.NewReader(b)), s.m.Type().Kind())
			if err != nil || !reflect.DeepEqual(got, s.m) {
				t.Fatalf("one-byte reader: %v, %#v", err, got)
			}
		})
	}
}

// TestStreamOfMessages sends every sample of a kind on one stream, with the
// Encoder and Decoder, then checks the stream ends cleanly.
func TestStreamOfMessages(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind.String(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteStreamHeader(&buf, firstHeader(kind)); err != nil {
				t.Fatal(err)
			}
			enc := NewEncoder(&buf, kind)
			var want []Message
			for _, s := range samples() {
				if s.m.Type().Kind() == kind {
					if err := enc.Encode(s.m); err != nil {
						t.Fatalf("Encode %s: %v", s.name, err)
					}
					want = append(want, s.m)
				}
			}
			r := iotest.HalfReader(&buf) // short reads, not a ByteReader
			h, err := ReadStreamHeader(r)
			if err != nil || h != firstHeader(kind) {
				t.Fatalf("ReadStreamHeader = %+v, %v", h, err)
			}
			dec := NewDecoder(r, h.Kind)
			var got []Message
			for {
				m, err := dec.Decode()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Decode after %d: %v", len(got), err)
				}
				got = append(got, m)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %d messages, want %d (or contents differ)", len(got), len(want))
			}
		})
	}
}

func firstHeader(k StreamKind) StreamHeader {
	for _, h := range sampleHeaders() {
		if h.Kind == k {
			return h
		}
	}
	panic("no header for " + k.String())
}

// TestDecodedMessagesDoNotAlias checks that a message decoded earlier is not
// changed by decoding the next one into the Decoder's reused buffer.
func TestDecodedMessagesDoNotAlias(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, File)
	first := &FileDone{Hash: bytes.Repeat([]byte{1}, HashSize)}
	for _, m := range []Message{first, &FileDone{Hash: bytes.Repeat([]byte{2}, HashSize)}, &FileChunk{Data: []byte("abc")}, &FileChunk{Data: []byte("xyz")}} {
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	dec := NewDecoder(&buf, File)
	var got []Message
	for range 4 {
		m, err := dec.Decode()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if !reflect.DeepEqual(got[0], first) {
		t.Errorf("first FileDone changed: %x", got[0].(*FileDone).Hash)
	}
	if string(got[2].(*FileChunk).Data) != "abc" {
		t.Errorf("first FileChunk changed: %q", got[2].(*FileChunk).Data)
	}
}

// TestGolden pins the wire bytes documented in doc.go.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		m    Message
		want string
	}{
		{&ChatAck{ID: 1}, "03 31 a1 01 01"},
		{&RefreshRequest{}, "01 42 a0"},
		{&ConsentRequest{ID: 7, What: PermControl, From: 2}, "07 20 a3 01 07 02 02 03 02"},
		{&ChatMessage{ID: 1, From: 2, SentAt: 1000, Text: "hé"}, "0e 30 a4 01 01 02 02 03 19 03 e8 04 63 68 c3 a9"},
		{&FrameAck{Seq: 300}, "05 41 a1 01 19 01 2c"},
		{&FramePacket{Seq: 5, Data: []byte{0xde, 0xad}}, "0a 40 00 00 00 00 00 00 00 05 de ad"},
		{&FramePreview{Scale: 4, Data: []byte{0xde, 0xad}}, "03 46 04 de ad"},
		{&VideoPacket{Seq: 2, X: 64, Y: 128, W: 320, H: 240, Key: true, Data: []byte{0xde}},
			"12 47 00 00 00 00 00 00 00 02 00 40 00 80 01 40 00 f0 01 de"},
		{&ViewOptions{Lossy: true}, "03 49 a1 01 f5"},
		{&UnattendedAnswer{Code: NobodyLoggedIn}, "04 18 a1 01 18 1d"},
		{&FileChunk{Offset: 256, Data: []byte{1}}, "09 62 00 00 00 00 00 00 01 00 01"},
	} {
		got := hex.EncodeToString(mustAppend(t, tc.m))
		if want := strings.ReplaceAll(tc.want, " ", ""); got != want {
			t.Errorf("%T: got %s, want %s", tc.m, got, want)
		}
	}
	for _, tc := range []struct {
		h    StreamHeader
		want string
	}{
		{StreamHeader{Kind: Control}, "01 00"},
		{StreamHeader{Kind: Screen, Sharer: 2}, "04 03 a1 01 02"},
		{StreamHeader{Kind: File, TransferID: 9, FileIndex: 1}, "06 05 a2 02 09 03 01"},
	} {
		b, err := AppendStreamHeader(nil, tc.h)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := hex.EncodeToString(b), strings.ReplaceAll(tc.want, " ", ""); got != want {
			t.Errorf("%+v: got %s, want %s", tc.h, got, want)
		}
	}
}

func wantCode(t *testing.T, err error, code Code, cause error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", code)
	}
	if !errors.Is(err, &Error{Code: code}) || CodeOf(err) != code {
		t.Fatalf("error %v: code %v, want %v", err, CodeOf(err), code)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Fatalf("error %v does not wrap %v", err, cause)
	}
}

// TestInvalidMessages: every rule is enforced when encoding and when
// decoding (the body is built by raw CBOR so that it skips Validate).
func TestInvalidMessages(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	p := func(id ParticipantID) Participant { return Participant{ID: id, Role: RoleCustomer} }
	tooManyParts := make([]Participant, MaxParticipants+1)
	for i := range tooManyParts {
		tooManyParts[i] = p(ParticipantID(i + 1))
	}
	tooManyCaps := make([]string, MaxCapabilities+1)
	for i := range tooManyCaps {
		tooManyCaps[i] = "c" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	tooManyMonitors := make([]Monitor, MaxMonitors+1)
	for i := range tooManyMonitors {
		tooManyMonitors[i] = Monitor{ID: uint32(i), Width: 1, Height: 1}
	}
	tooManyFiles := make([]FileInfo, MaxOfferFiles+1)
	for i := range tooManyFiles {
		tooManyFiles[i] = FileInfo{Index: uint32(i), Name: "f"}
	}
	tooManyOffsets := map[uint32]uint64{}
	for i := range MaxOfferFiles + 1 {
		tooManyOffsets[uint32(i)] = 1
	}
	hello := func(f func(*Hello)) *Hello {
		h := &Hello{ProtocolVersion: 1, MinVersion: 1, Role: RoleCustomer}
		f(h)
		return h
	}
	two := []Participant{p(1), {ID: 2, Role: RoleTechnician}}
	for _, tc := range []struct {
		name        string
		m           Message
		cborRefuses bool // refused by the CBOR decoder first (ErrMalformed): invalid UTF-8, over a CBOR limit
	}{
		{"hello/no version", hello(func(h *Hello) { h.ProtocolVersion, h.MinVersion = 0, 0 }), false},
		{"hello/min above max", hello(func(h *Hello) { h.MinVersion = 2 }), false},
		{"hello/no role", hello(func(h *Hello) { h.Role = 0 }), false},
		{"hello/unknown role", hello(func(h *Hello) { h.Role = 3 }), false},
		{"hello/long name", hello(func(h *Hello) { h.Name = long(MaxNameLen + 1) }), false},
		{"hello/name with newline", hello(func(h *Hello) { h.Name = "a\nb" }), false},
		{"hello/name with NUL", hello(func(h *Hello) { h.Name = "a\x00" }), false},
		{"hello/name with C1", hello(func(h *Hello) { h.Name = "a\u0085" }), false},
		{"hello/name not UTF-8", hello(func(h *Hello) { h.Name = "a\xff" }), true},
		{"hello/long program version", hello(func(h *Hello) { h.ProgramVersion = long(MaxProgramVersionLen + 1) }), false},
		{"hello/too many capabilities", hello(func(h *Hello) { h.Capabilities = tooManyCaps }), false},
		{"hello/long capability", hello(func(h *Hello) { h.Capabilities = []string{long(MaxCapabilityLen + 1)} }), false},
		{"hello/empty capability", hello(func(h *Hello) { h.Capabilities = []string{"a", ""} }), false},
		{"hello/bad capability", hello(func(h *Hello) { h.Capabilities = []string{"Screen"} }), false},
		{"hello/duplicate capability", hello(func(h *Hello) { h.Capabilities = []string{"a", "b", "a"} }), false},
		{"welcome/no version", &Welcome{SessionID: sid(1), You: 1, Participants: two}, false},
		{"welcome/no session", &Welcome{Version: 1, You: 1, Participants: two}, false},
		{"welcome/no participants", &Welcome{Version: 1, SessionID: sid(1), You: 1}, false},
		{"welcome/you not listed", &Welcome{Version: 1, SessionID: sid(1), You: 3, Participants: two}, false},
		{"welcome/short resume secret", &Welcome{Version: 1, SessionID: sid(1), You: 1, Participants: two, ResumeSecret: make([]byte, 16)}, false},
		{"participants/empty", &Participants{}, false},
		{"participants/too many", &Participants{List: tooManyParts}, false},
		{"participants/zero ID", &Participants{List: []Participant{p(0)}}, false},
		{"participants/duplicate ID", &Participants{List: []Participant{p(1), p(2), p(1)}}, false},
		{"participants/no role", &Participants{List: []Participant{{ID: 1}}}, false},
		{"participants/long name", &Participants{List: []Participant{{ID: 1, Role: RoleCustomer, Name: long(MaxNameLen + 1)}}}, false},
		{"session-end/long reason", &SessionEnd{Reason: long(MaxReasonLen + 1)}, false},
		{"session-end/reason with newline", &SessionEnd{Reason: "a\nb"}, false},
		{"error/long detail", &ErrorMessage{Detail: long(MaxReasonLen + 1)}, false},
		{"consent-request/no ID", &ConsentRequest{What: PermView, From: 1}, false},
		{"consent-request/no what", &ConsentRequest{ID: 1, From: 1}, false},
		{"consent-request/no from", &ConsentRequest{ID: 1, What: PermView}, false},
		{"consent-answer/no ID", &ConsentAnswer{Granted: true}, false},
		{"consent-answer/granted and expired", &ConsentAnswer{ID: 1, Granted: true, Expired: true}, false},
		{"consent-answer/granted and withdrawn", &ConsentAnswer{ID: 1, Granted: true, Withdrawn: true}, false},
		{"invite-request/no ID", &InviteRequest{}, false},
		{"invite-answer/no ID", &InviteAnswer{Code: Refused}, false},
		{"unattended-open/no link", &UnattendedOpen{Name: "Ana"}, false},
		{"consent-request/password for control", &ConsentRequest{ID: 1, What: PermControl, From: 1, Password: "x"}, false},
		{"consent-request/password too long", &ConsentRequest{ID: 1, What: PermUnattended, From: 1, Password: strings.Repeat("p", MaxUnattendedPasswordLen+1)}, false},
		{"consent-request/password with a line break", &ConsentRequest{ID: 1, What: PermUnattended, From: 1, Password: "a\nb"}, false},
		{"unattended-ready/short ID", &UnattendedReady{Computer: make([]byte, 31), Secret: make([]byte, 32), Port: 1}, false},
		{"unattended-ready/no secret", &UnattendedReady{Computer: make([]byte, 32), Port: 1}, false},
		{"unattended-ready/failed with a secret", &UnattendedReady{Code: Internal, Secret: make([]byte, 32)}, false},
		{"unattended-open/link with a line break", &UnattendedOpen{Link: "tandem://join\n"}, false},
		{"unattended-open/name too long", &UnattendedOpen{Name: strings.Repeat("n", MaxNameLen+1), Link: "tandem://join"}, false},
		{"invite-answer/granted without link", &InviteAnswer{ID: 1, Granted: true, Expires: 1}, false},
		{"invite-answer/granted without expiry", &InviteAnswer{ID: 1, Granted: true, Link: "tandem://join"}, false},
		{"invite-answer/granted with a code", &InviteAnswer{ID: 1, Granted: true, Link: "tandem://join", Expires: 1, Code: Busy}, false},
		{"invite-answer/refused without code", &InviteAnswer{ID: 1}, false},
		{"invite-answer/refused with link", &InviteAnswer{ID: 1, Code: Refused, Link: "tandem://join"}, false},
		{"invite-answer/link too long", &InviteAnswer{ID: 1, Granted: true, Link: strings.Repeat("l", MaxLinkLen+1), Expires: 1}, false},
		{"invite-answer/link with a line break", &InviteAnswer{ID: 1, Granted: true, Link: "tandem://join\n", Expires: 1}, false},
		{"consent-revoke/no what", &ConsentRevoke{}, false},
		{"chat-message/no ID", &ChatMessage{From: 1, Text: "a"}, false},
		{"chat-message/no from", &ChatMessage{ID: 1, Text: "a"}, false},
		{"chat-message/negative time", &ChatMessage{ID: 1, From: 1, SentAt: -1, Text: "a"}, false},
		{"chat-message/empty", &ChatMessage{ID: 1, From: 1}, false},
		{"chat-message/too long", &ChatMessage{ID: 1, From: 1, Text: long(MaxChatText + 1)}, false},
		{"chat-message/escape", &ChatMessage{ID: 1, From: 1, Text: "a\x1b[2J"}, false},
		{"chat-message/not UTF-8", &ChatMessage{ID: 1, From: 1, Text: "\xc3\x28"}, true},
		{"chat-ack/no ID", &ChatAck{}, false},
		{"monitor-list/empty", &MonitorList{}, false},
		{"monitor-list/too many", &MonitorList{Monitors: tooManyMonitors}, false},
		{"monitor-list/zero width", &MonitorList{Monitors: []Monitor{{Height: 1}}}, false},
		{"monitor-list/too high", &MonitorList{Monitors: []Monitor{{Width: 1, Height: MaxMonitorSize + 1}}}, false},
		{"monitor-list/duplicate", &MonitorList{Monitors: []Monitor{{Width: 1, Height: 1}, {Width: 1, Height: 1}}}, false},
		{"monitor-list/current missing", &MonitorList{Monitors: []Monitor{{ID: 1, Width: 1, Height: 1}}, Current: 2}, false},
		{"monitor-list/long name", &MonitorList{Monitors: []Monitor{{Width: 1, Height: 1, Name: long(MaxNameLen + 1)}}}, false},
		{"mouse-button/none", &MouseButton{Down: true}, false},
		{"mouse-button/unknown", &MouseButton{Button: 6}, false},
		{"key/empty", &Key{Down: true}, false},
		{"key/long name", &Key{Name: long(MaxKeyNameLen + 1)}, false},
		{"key/control name", &Key{Name: "\t"}, false},
		{"key/unknown modifier", &Key{Name: "a", Modifiers: 1 << 4}, false},
		{"text/empty", &Text{}, false},
		{"text/too long", &Text{Text: long(MaxInputText + 1)}, false},
		{"file-offer/no ID", &FileOffer{Files: []FileInfo{{Name: "a"}}}, false},
		{"file-offer/no files", &FileOffer{TransferID: 1}, false},
		{"file-offer/too many files", &FileOffer{TransferID: 1, Files: tooManyFiles}, true},
		{"file-offer/bad index", &FileOffer{TransferID: 1, Files: []FileInfo{{Index: 1, Name: "a"}}}, false},
		{"file-offer/empty name", &FileOffer{TransferID: 1, Files: []FileInfo{{}}}, false},
		{"file-offer/long name", &FileOffer{TransferID: 1, Files: []FileInfo{{Name: long(MaxFileNameLen + 1)}}}, false},
		{"file-offer/name with newline", &FileOffer{TransferID: 1, Files: []FileInfo{{Name: "a\nb"}}}, false},
		{"file-offer/too big", &FileOffer{TransferID: 1, Files: []FileInfo{{Name: "a", Size: MaxFileSize + 1}}}, false},
		{"file-answer/no ID", &FileAnswer{Accept: true}, false},
		{"file-answer/offsets in refusal", &FileAnswer{TransferID: 1, ResumeOffsets: map[uint32]uint64{0: 1}}, false},
		{"file-answer/offset too big", &FileAnswer{TransferID: 1, Accept: true, ResumeOffsets: map[uint32]uint64{0: MaxFileSize + 1}}, false},
		{"file-answer/index too big", &FileAnswer{TransferID: 1, Accept: true, ResumeOffsets: map[uint32]uint64{MaxOfferFiles: 1}}, false},
		{"file-answer/too many offsets", &FileAnswer{TransferID: 1, Accept: true, ResumeOffsets: tooManyOffsets}, true},
		{"file-done/no hash", &FileDone{}, false},
		{"file-done/short hash", &FileDone{Hash: make([]byte, HashSize-1)}, false},
		{"file-done/long hash", &FileDone{Hash: make([]byte, HashSize+1)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AppendMessage(nil, tc.m)
			wantCode(t, err, ProtocolViolation, ErrInvalid)
			if err := WriteMessage(io.Discard, tc.m); !errors.Is(err, ErrInvalid) {
				t.Fatalf("WriteMessage: %v", err)
			}

			body, err := encMode.Marshal(tc.m) // bypasses Validate
			if err != nil {
				t.Fatal(err)
			}
			typ := tc.m.Type()
			raw := append(appendUvarint(nil, uint64(len(body))), byte(typ))
			raw = append(raw, body...)
			_, err = ReadMessage(bytes.NewReader(raw), typ.Kind())
			want := ErrInvalid
			if tc.cborRefuses {
				want = ErrMalformed
			}
			if len(body) > typ.MaxBody() {
				wantCode(t, err, MessageTooLarge, ErrTooLarge)
				return
			}
			wantCode(t, err, ProtocolViolation, want)
		})
	}
}

// TestBinaryLimits covers the binary bodies, whose limits are on Data.
func TestBinaryLimits(t *testing.T) {
	for _, m := range []Message{
		&FramePacket{},
		&FramePacket{Data: make([]byte, MaxScreenPacket+1)},
		&FramePreview{Scale: 4},
		&FramePreview{Scale: 1, Data: []byte{1}},
		&FramePreview{Scale: MaxPreviewScale + 1, Data: []byte{1}},
		&FramePreview{Scale: 4, Data: make([]byte, MaxScreenPacket+1)},
		&VideoPacket{W: 2, H: 2},
		&VideoPacket{W: 3, H: 2, Data: []byte{1}},
		&VideoPacket{W: 2, H: 0, Data: []byte{1}},
		&VideoPacket{W: MaxVideoSide + 2, H: 2, Data: []byte{1}},
		&VideoPacket{W: 2, H: 2, Data: make([]byte, MaxVideoPacket+1)},
		&FileChunk{},
		&FileChunk{Data: make([]byte, MaxFileChunk+1)},
		&FileChunk{Offset: MaxFileSize, Data: []byte{1}},
		&FileChunk{Offset: 1<<64 - 1, Data: []byte{1}},
	} {
		_, err := AppendMessage(nil, m)
		wantCode(t, err, ProtocolViolation, ErrInvalid)
	}
	// The largest ones pass.
	for _, m := range []Message{
		&FramePacket{Data: make([]byte, MaxScreenPacket)},
		&VideoPacket{W: MaxVideoSide, H: MaxVideoSide, Data: make([]byte, MaxVideoPacket)},
		&FileChunk{Offset: MaxFileSize - MaxFileChunk, Data: make([]byte, MaxFileChunk)},
	} {
		var buf bytes.Buffer
		if err := NewEncoder(&buf, m.Type().Kind()).Encode(m); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		got, err := ReadMessage(&buf, m.Type().Kind())
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("%T: %v", m, err)
		}
	}
	// Bodies shorter than their fixed header.
	for _, typ := range []MessageType{TypeFramePacket, TypeFileChunk} {
		for n := range 8 {
			raw := append([]byte{byte(n), byte(typ)}, make([]byte, n)...)
			_, err := ReadMessage(bytes.NewReader(raw), typ.Kind())
			wantCode(t, err, ProtocolViolation, ErrMalformed)
		}
		// Header but no data.
		raw := append([]byte{8, byte(typ)}, make([]byte, 8)...)
		_, err := ReadMessage(bytes.NewReader(raw), typ.Kind())
		wantCode(t, err, ProtocolViolation, ErrInvalid)
	}
}

// strictReader serves data and fails the test if it is asked for more: it
// proves a decoder stopped where it should.
type strictReader struct {
	t    *testing.T
	data []byte
}

func (r *strictReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.t.Errorf("decoder read past the %s", "length it should have refused")
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestLengthLimits: a length one over a type's limit is refused right after
// the type byte, before anything is allocated or read; the limit itself is
// accepted.
func TestLengthLimits(t *testing.T) {
	for _, typ := range AllTypes() {
		t.Run(typ.String(), func(t *testing.T) {
			raw := append(appendUvarint(nil, uint64(typ.MaxBody()+1)), byte(typ))
			_, err := ReadMessage(&strictReader{t: t, data: raw}, typ.Kind())
			wantCode(t, err, MessageTooLarge, ErrTooLarge)

			// A length at the limit gets past the check: the body is read
			// (here, a truncated one).
			raw = append(appendUvarint(nil, uint64(typ.MaxBody())), byte(typ), 0xa0)
			_, err = ReadMessage(bytes.NewReader(raw), typ.Kind())
			wantCode(t, err, ProtocolViolation, io.ErrUnexpectedEOF)
		})
	}
	want := map[StreamKind]int{
		Control: MaxControlMessage, Consent: MaxConsentMessage, Chat: MaxChatMessage,
		Screen: MaxScreenPacket + 8, Input: MaxInputMessage, File: MaxFileChunk + 8,
	}
	for k, n := range want {
		if k.MaxMessage() != n {
			t.Errorf("%v: MaxMessage %d, want %d", k, k.MaxMessage(), n)
		}
	}
	// Lengths far beyond anything, up to the largest varint.
	for _, n := range []uint64{1 << 32, 1<<64 - 1} {
		raw := append(appendUvarint(nil, n), byte(TypeFramePacket))
		_, err := ReadMessage(&strictReader{t: t, data: raw}, Screen)
		wantCode(t, err, MessageTooLarge, ErrTooLarge)
	}
}

// TestNoAllocationBeforeData: a peer announcing the largest frame and then
// sending nothing, or little, costs a small fraction of the announced size.
func TestNoAllocationBeforeData(t *testing.T) {
	raw := append(appendUvarint(nil, MaxFramePacketBody), byte(TypeFramePacket))
	raw = append(raw, make([]byte, 1000)...)
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		_, err := ReadMessage(bytes.NewReader(raw), Screen)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	if perRun > 2*allocStep {
		t.Errorf("allocated %d bytes per truncated %d-byte frame", perRun, MaxFramePacketBody)
	}

	// Oversized lengths allocate nothing for the body at all.
	over := append(appendUvarint(nil, MaxFramePacketBody+1), byte(TypeFramePacket))
	r := bytes.NewReader(over)
	dec := NewDecoder(r, Screen)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(over)
		if _, err := dec.Decode(); !errors.Is(err, ErrTooLarge) {
			t.Fatal(err)
		}
	})
	if allocs > 5 { // the *Error and its detail string
		t.Errorf("%v allocations to refuse an oversized length", allocs)
	}
}

func TestTruncated(t *testing.T) {
	for _, s := range samples() {
		b := mustAppend(t, s.m)
		kind := s.m.Type().Kind()
		step := 1
		if len(b) > 4096 {
			step = len(b)/997 + 1
		}
		for n := 0; n < len(b); n += step {
			_, err := ReadMessage(bytes.NewReader(b[:n]), kind)
			if n == 0 {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("%s: empty stream: %v, want io.EOF", s.name, err)
				}
				continue
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || CodeOf(err) != ProtocolViolation {
				t.Fatalf("%s cut at %d of %d: %v", s.name, n, len(b), err)
			}
		}
	}
}

func TestWrongStream(t *testing.T) {
	for _, s := range samples() {
		b := mustAppend(t, s.m)
		for _, k := range allKinds {
			if k == s.m.Type().Kind() {
				continue
			}
			_, err := ReadMessage(bytes.NewReader(b), k)
			wantCode(t, err, ProtocolViolation, ErrWrongStream)
			err = NewEncoder(io.Discard, k).Encode(s.m)
			wantCode(t, err, ProtocolViolation, ErrWrongStream)
		}
	}
	_, err := ReadMessage(bytes.NewReader(mustAppend(t, &ChatAck{ID: 1})), StreamKind(9))
	wantCode(t, err, UnknownStream, ErrUnknownStreamKind)
}

func TestUnknownTypesAreSkipped(t *testing.T) {
	var raw []byte
	raw = append(raw, 3, 0x3f, 1, 2, 3)                    // unknown type in the chat block
	raw = append(raw, 0, 0xee)                             // unknown type, empty body
	raw = append(appendUvarint(raw, MaxChatMessage), 0x99) // unknown type at the kind's limit
	raw = append(raw, make([]byte, MaxChatMessage)...)     //
	raw = append(raw, mustAppend(t, &ChatAck{ID: 5})...)   // then a known one
	raw = append(raw, mustAppend(t, &ChatMessage{ID: 1, From: 1, Text: "x"})...)
	dec := NewDecoder(iotest.HalfReader(bytes.NewReader(raw)), Chat)
	m, err := dec.Decode()
	if err != nil || !reflect.DeepEqual(m, &ChatAck{ID: 5}) {
		t.Fatalf("got %v, %v", m, err)
	}
	if m, err = dec.Decode(); err != nil || m.Type() != TypeChatMessage {
		t.Fatalf("got %v, %v", m, err)
	}
	if _, err = dec.Decode(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}

	// An unknown type over its kind's limit is refused before reading it.
	over := append(appendUvarint(nil, MaxChatMessage+1), 0x99)
	_, err = ReadMessage(&strictReader{t: t, data: over}, Chat)
	wantCode(t, err, MessageTooLarge, ErrTooLarge)
	// A truncated unknown message.
	_, err = ReadMessage(bytes.NewReader([]byte{5, 0x99, 1}), Chat)
	wantCode(t, err, ProtocolViolation, io.ErrUnexpectedEOF)
	// Type 0 is never valid.
	_, err = ReadMessage(bytes.NewReader([]byte{0, 0}), Chat)
	wantCode(t, err, ProtocolViolation, ErrMalformed)
}

func TestMalformedEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name  string
		raw   string
		cause error
	}{
		{"non-minimal length", "8000 31 a10101", ErrMalformed},
		{"non-minimal length 3 bytes", "838000 31 a10101", ErrMalformed},
		{"varint overflow", "ffffffffffffffffff02 31", ErrMalformed},
		{"varint too long", "ffffffffffffffffffff01 31", ErrMalformed},
		{"truncated varint", "83", io.ErrUnexpectedEOF},
		{"no type", "03", io.ErrUnexpectedEOF},
		{"empty body", "00 31", ErrMalformed},
		{"body not a map", "02 31 8101", ErrMalformed},
		{"body null", "01 31 f6", ErrMalformed},
		{"trailing bytes", "04 31 a10101 00", ErrMalformed},
		{"duplicate key", "05 31 a2 0101 0102", ErrMalformed},
		{"duplicate unknown key", "07 31 a3 0101 0900 0900", ErrMalformed},
		{"indefinite map", "04 31 bf 0101 ff", ErrMalformed},
		{"indefinite text", "0a 30 a3 0101 0201 04 7f 6161 ff", ErrMalformed},
		{"tag", "04 31 a1 01 c1 01", ErrMalformed},
		{"wrong field type", "04 31 a1 01 6161", ErrMalformed},
		{"negative ID", "03 31 a1 01 20", ErrMalformed},
		{"float ID", "07 31 a1 01 fa3f800000", ErrMalformed},
		{"overflowing field", "0e 53 a2 01 1b0000000100000000 02 6161", ErrMalformed},
		{"invalid UTF-8 in text", "09 30 a3 0101 0201 04 62 c328", ErrMalformed},
		{"byte string as text", "09 30 a3 0101 0201 04 42 6161", ErrMalformed},
		{"map too deep", "25 31 a2 0101 02" + strings.Repeat("a101", maxCBORNesting) + "00", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := hex.DecodeString(strings.ReplaceAll(tc.raw, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			kind := Chat
			if len(raw) > 1 && raw[1] == byte(TypeKey) {
				kind = Input
			}
			_, err = ReadMessage(bytes.NewReader(raw), kind)
			wantCode(t, err, ProtocolViolation, tc.cause)
		})
	}
}

// TestUnknownFieldsIgnored: a newer peer's extra fields are skipped.
func TestUnknownFieldsIgnored(t *testing.T) {
	// ChatAck{1: 5, 2: "new", 99: [1, {1: 2}]}
	raw, _ := hex.DecodeString("0f31" + "a3" + "0105" + "02636e6577" + "1863" + "8201a10102")
	m, err := ReadMessage(bytes.NewReader(raw), Chat)
	if err != nil || !reflect.DeepEqual(m, &ChatAck{ID: 5}) {
		t.Fatalf("got %v, %v", m, err)
	}
}

func TestEmptyContainersNormalized(t *testing.T) {
	// Hello with Capabilities: [] and FileAnswer with ResumeOffsets: {} decode as nil.
	raw, _ := hex.DecodeString("0910a40101020104800601") // {1: 1, 2: 1, 4: [], 6: 1}
	m, err := ReadMessage(bytes.NewReader(raw), Control)
	if err != nil || !reflect.DeepEqual(m, &Hello{ProtocolVersion: 1, MinVersion: 1, Role: RoleCustomer}) {
		t.Fatalf("got %#v, %v", m, err)
	}
	raw, _ = hex.DecodeString("0761a3010102f503a0") // {1: 1, 2: true, 3: {}}
	m, err = ReadMessage(bytes.NewReader(raw), File)
	if err != nil || !reflect.DeepEqual(m, &FileAnswer{TransferID: 1, Accept: true}) {
		t.Fatalf("got %#v, %v", m, err)
	}
}

func TestSessionIDLength(t *testing.T) {
	for _, n := range []int{0, 15, 17} {
		// Welcome{1: 1, 2: h'…' (n bytes), 3: 1, 4: [{1: 1, 3: 1}]}
		body := []byte{0xa4, 0x01, 0x01, 0x02, 0x40 + byte(n)}
		body = append(body, bytes.Repeat([]byte{1}, n)...)
		body = append(body, 0x03, 0x01, 0x04, 0x81, 0xa2, 0x01, 0x01, 0x03, 0x01)
		raw := append([]byte{byte(len(body)), byte(TypeWelcome)}, body...)
		_, err := ReadMessage(bytes.NewReader(raw), Control)
		if CodeOf(err) != ProtocolViolation {
			t.Errorf("%d-byte session ID: %v", n, err)
		}
	}
	if s := sid(0).String(); s != "000102030405060708090a0b0c0d0e0f" {
		t.Errorf("SessionID.String = %s", s)
	}
}

func TestWriteErrors(t *testing.T) {
	werr := errors.New("stream reset")
	fw := failWriter{werr}
	for _, m := range []Message{&ChatAck{ID: 1}, &FramePacket{Data: make([]byte, 100000)}} {
		if err := NewEncoder(fw, m.Type().Kind()).Encode(m); !errors.Is(err, werr) {
			t.Errorf("%T: %v", m, err)
		}
	}
	if err := WriteStreamHeader(fw, StreamHeader{Kind: Chat}); !errors.Is(err, werr) {
		t.Errorf("header: %v", err)
	}
	// A transport error while reading passes through, wrapped, with code Internal.
	_, err := ReadMessage(iotest.ErrReader(werr), Chat)
	if !errors.Is(err, werr) || CodeOf(err) != Internal {
		t.Errorf("read: %v", err)
	}
	_, err = ReadMessage(io.MultiReader(bytes.NewReader([]byte{5, 0x30, 0xa0}), iotest.ErrReader(werr)), Chat)
	if !errors.Is(err, werr) {
		t.Errorf("read mid-body: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestEncoderWritesLargePayloadWithoutCopy(t *testing.T) {
	data := make([]byte, 1<<20)
	var rec recordWriter
	if err := NewEncoder(&rec, Screen).Encode(&FramePacket{Seq: 1, Data: data}); err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) != 2 || &rec.writes[1][0] != &data[0] {
		t.Fatalf("writes: %d; payload written from the caller's slice: %v", len(rec.writes), len(rec.writes) == 2 && &rec.writes[1][0] == &data[0])
	}
	rec.writes = nil
	if err := NewEncoder(&rec, Chat).Encode(&ChatAck{ID: 1}); err != nil || len(rec.writes) != 1 {
		t.Fatalf("small message: %d writes, %v", len(rec.writes), err)
	}
}

type recordWriter struct{ writes [][]byte }

func (w *recordWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, p)
	return len(p), nil
}

func TestMessageTypeNames(t *testing.T) {
	names := map[string]bool{}
	for _, typ := range AllTypes() {
		if names[typ.String()] {
			t.Errorf("duplicate name %s", typ)
		}
		names[typ.String()] = true
		if byte(typ)>>4 != byte(typ.Kind()) {
			t.Errorf("%v (0x%02x) outside its kind's block", typ, byte(typ))
		}
	}
	if MessageType(0x99).String() != "type(0x99)" || MessageType(0x99).Kind() != 0 || NewMessage(0x99) != nil {
		t.Error("unknown type")
	}
	if StreamKind(0).String() != "kind(0)" || StreamKind(7).Known() || StreamKind(7).MaxMessage() != 0 {
		t.Error("unknown kind")
	}
}

func TestWelcomeWithAnEmptyResumeSecretReencodes(t *testing.T) {
	// Key 6 present with an empty byte string: the same Welcome as without it.
	w := &Welcome{Version: 1, SessionID: sid(1), You: 1, Participants: []Participant{{ID: 1, Role: RoleCustomer}}}
	head, payload, err := w.encodeBody()
	if err != nil {
		t.Fatal(err)
	}
	body := append(head, payload...)
	if body[0]&0x1f >= 23 {
		t.Skip("map header too long for this hand edit")
	}
	body[0]++                       // one more map entry…
	body = append(body, 0x06, 0x40) // …6: h''
	var got Welcome
	if err := got.decodeBody(body); err != nil {
		t.Fatal(err)
	}
	if got.ResumeSecret != nil {
		t.Fatalf("an empty resume secret decoded as %#v, not nil", got.ResumeSecret)
	}
	checkReencode(t, &got)
}
