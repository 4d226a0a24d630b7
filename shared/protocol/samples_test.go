package protocol

import (
	"bytes"
	"strings"
)

// sample is one valid message and the stream kind it travels on.
type sample struct {
	name string
	m    Message
}

func sid(b byte) SessionID {
	var id SessionID
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

// samples returns valid messages of every type, minimal and full, with
// fields at their limits. Each call returns fresh values.
func samples() []sample {
	hash := bytes.Repeat([]byte{0xab}, HashSize)
	two := []Participant{{ID: 1, Name: "Zoé Dupont", Role: RoleCustomer}, {ID: 2, Name: "Tech 😀", Role: RoleTechnician}}
	caps := make([]string, MaxCapabilities)
	for i := range caps {
		caps[i] = "cap-" + strings.Repeat("x", i%40) + "." + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	fullParts := make([]Participant, MaxParticipants)
	for i := range fullParts {
		fullParts[i] = Participant{ID: ParticipantID(i + 1), Name: strings.Repeat("n", MaxNameLen), Role: Role(1 + i%2)}
	}
	monitors := make([]Monitor, MaxMonitors)
	for i := range monitors {
		monitors[i] = Monitor{ID: uint32(i * 7), Name: "DP-" + string(rune('0'+i%10)), X: int32(-1920 + i*1920), Width: 1920, Height: MaxMonitorSize, Primary: i == 3}
	}
	manyFiles := make([]FileInfo, 200)
	for i := range manyFiles {
		manyFiles[i] = FileInfo{Index: uint32(i), Name: "dir/sous-dossier/fichier " + strings.Repeat("é", i%50) + ".txt", Size: uint64(i) << 30}
	}
	return []sample{
		{"hello/min", &Hello{ProtocolVersion: 1, MinVersion: 1, Role: RoleCustomer}},
		{"hello/full", &Hello{ProtocolVersion: 3, MinVersion: 1, ProgramVersion: "v1.2.3-rc.1+abc", Capabilities: []string{"screen.tiles", "file.resume", "chat"}, Name: "Zoé", Role: RoleTechnician, ParticipantID: 7, Resume: sid(3)}},
		{"hello/limits", &Hello{ProtocolVersion: 1 << 40, MinVersion: 1 << 40, ProgramVersion: strings.Repeat("v", MaxProgramVersionLen), Capabilities: caps, Name: strings.Repeat("é", MaxNameLen/2), Role: RoleCustomer}},
		{"welcome/min", &Welcome{Version: 1, SessionID: sid(1), You: 2, Participants: two}},
		{"welcome/full", &Welcome{Version: 1, SessionID: sid(9), You: 16, Participants: fullParts, Preferences: Preferences{UninstallAtEnd: true}, ResumeSecret: bytes.Repeat([]byte{7}, ResumeSecretSize)}},
		{"participants", &Participants{List: two}},
		{"participants/full", &Participants{List: fullParts}},
		{"session-end/min", &SessionEnd{}},
		{"session-end/full", &SessionEnd{Code: VersionMismatch, Reason: strings.Repeat("r", MaxReasonLen)}},
		{"error/min", &ErrorMessage{}},
		{"error/full", &ErrorMessage{Code: Code(1 << 61), Detail: "quelque chose a échoué"}},
		{"invite-request", &InviteRequest{ID: 1}},
		{"invite-answer/granted", &InviteAnswer{ID: 1 << 63, Granted: true, Link: "tandem://join?addr=192.0.2.7:4433&invite=" + strings.Repeat("a", 26), Expires: 1796500000}},
		{"invite-answer/refused", &InviteAnswer{ID: 3, Code: Refused}},
		{"unattended-open/min", &UnattendedOpen{Link: "tandem://join?addr=192.0.2.7:4433&key=123456789"}},
		{"unattended-open/full", &UnattendedOpen{Name: strings.Repeat("é", MaxNameLen/2), Link: strings.Repeat("l", MaxLinkLen)}},
		{"unattended-answer/joining", &UnattendedAnswer{}},
		{"unattended-answer/nobody", &UnattendedAnswer{Code: NobodyLoggedIn}},
		{"invite-answer/long-link", &InviteAnswer{ID: 4, Granted: true, Link: strings.Repeat("l", MaxLinkLen), Expires: 1}},
		{"consent-answer/withdrawn", &ConsentAnswer{ID: 8, Withdrawn: true}},

		{"consent-request", &ConsentRequest{ID: 1, What: PermView, From: 2}},
		{"consent-request/unattended-with-password", &ConsentRequest{ID: 3, What: PermUnattended, From: 1, Password: "proposé par Alice"}},
		{"consent-request/unknown-permission", &ConsentRequest{ID: 1 << 63, What: Permission(200), From: 16}},
		{"consent-answer/granted", &ConsentAnswer{ID: 1, Granted: true}},
		{"consent-answer/refused", &ConsentAnswer{ID: 99}},
		{"consent-answer/expired", &ConsentAnswer{ID: 7, Expired: true}},
		{"consent-revoke", &ConsentRevoke{What: PermControl}},
		{"unattended-ready/ok", &UnattendedReady{Computer: bytes.Repeat([]byte{1}, 32), Secret: bytes.Repeat([]byte{2}, 32), Port: 47900, Name: "zoé-laptop"}},
		{"unattended-ready/failed", &UnattendedReady{Code: Refused}},
		{"unattended-ready/through a rendezvous", &UnattendedReady{Computer: bytes.Repeat([]byte{1}, 32), Secret: bytes.Repeat([]byte{2}, 32), Name: "zoé-laptop"}},

		{"chat-message/min", &ChatMessage{ID: 1, From: 1, Text: "a"}},
		{"chat-message/full", &ChatMessage{ID: 1<<64 - 1, From: 2, SentAt: 1767225600123, Text: "Bonjour !\r\nÇa va ?\tOui 👍"}},
		{"chat-message/limit", &ChatMessage{ID: 5, From: 2, SentAt: 1, Text: strings.Repeat("é", MaxChatText/2)}},
		{"chat-ack", &ChatAck{ID: 42}},
		{"chat-ack/relayed", &ChatAck{ID: 43, From: 3}},

		{"frame-packet/min", &FramePacket{Data: []byte{0}}},
		{"frame-packet/full", &FramePacket{Seq: 1<<64 - 1, Data: bytes.Repeat([]byte{1, 2, 3, 4, 5}, 10000)}},
		{"frame-preview", &FramePreview{Scale: 4, Data: []byte{9, 8, 7}}},
		{"video-packet/min", &VideoPacket{W: 2, H: 2, Data: []byte{0}}},
		{"video-packet/key", &VideoPacket{Seq: 9, X: 640, Y: 64, W: MaxVideoSide, H: 720, Key: true, Data: []byte{0x9d, 0x01, 0x2a}}},
		{"video-end", &VideoEnd{}},
		{"view-options/lossless", &ViewOptions{}},
		{"view-options/lossy", &ViewOptions{Lossy: true}},
		{"frame-ack", &FrameAck{Seq: 12345}},
		{"frame-ack/zero", &FrameAck{}},
		{"refresh-request", &RefreshRequest{}},
		{"cursor/min", &Cursor{}},
		{"cursor/full", &Cursor{X: -5, Y: 1 << 30, Visible: true, Shape: CursorText}},
		{"monitor-list/min", &MonitorList{Monitors: []Monitor{{Width: 1, Height: 1}}}},
		{"monitor-list/full", &MonitorList{Monitors: monitors, Current: 21}},
		{"select-monitor", &SelectMonitor{ID: 21}},

		{"mouse-move", &MouseMove{X: 100, Y: -3}},
		{"mouse-move/zero", &MouseMove{}},
		{"mouse-button/down", &MouseButton{Button: ButtonLeft, Down: true}},
		{"mouse-button/up", &MouseButton{Button: ButtonForward}},
		{"wheel", &Wheel{DX: -WheelNotch, DY: 3 * WheelNotch}},
		{"key/name", &Key{Name: "enter", Down: true}},
		{"key/full", &Key{Code: 0x04, Name: "a", Down: true, Modifiers: ModShift | ModControl | ModAlt | ModSuper}},
		{"key/code", &Key{Code: 0xe0}},
		{"text", &Text{Text: "é\n"}},
		{"text/limit", &Text{Text: strings.Repeat("x", MaxInputText)}},

		{"file-offer/min", &FileOffer{TransferID: 1, Files: []FileInfo{{Name: "a"}}}},
		{"file-offer/full", &FileOffer{TransferID: 77, Files: manyFiles}},
		{"file-offer/limits", &FileOffer{TransferID: 77, Files: []FileInfo{{Name: strings.Repeat("n", MaxFileNameLen), Size: MaxFileSize}}}},
		{"file-answer/refused", &FileAnswer{TransferID: 1}},
		{"file-answer/accepted", &FileAnswer{TransferID: 1, Accept: true}},
		{"file-answer/resume", &FileAnswer{TransferID: 1, Accept: true, ResumeOffsets: map[uint32]uint64{0: 10, 3: MaxFileSize, 4095: 1}}},
		{"file-chunk/min", &FileChunk{Data: []byte{0}}},
		{"file-chunk/full", &FileChunk{Offset: MaxFileSize - MaxFileChunk, Data: bytes.Repeat([]byte{7}, MaxFileChunk)}},
		{"file-done", &FileDone{Hash: hash}},
		{"file-cancel", &FileCancel{Code: DiskFull}},
		{"file-cancel/all", &FileCancel{Code: Cancelled, All: true}},
	}
}

// sampleHeaders returns valid stream headers of every kind.
func sampleHeaders() []StreamHeader {
	return []StreamHeader{
		{Kind: Control},
		{Kind: Consent},
		{Kind: Chat},
		{Kind: Screen, Sharer: 1},
		{Kind: Screen, Sharer: 1<<32 - 1},
		{Kind: Input},
		{Kind: File, TransferID: 1},
		{Kind: File, TransferID: 1<<64 - 1, FileIndex: 1<<32 - 1},
	}
}

// allKinds is every known stream kind.
var allKinds = []StreamKind{Control, Consent, Chat, Screen, Input, File}
