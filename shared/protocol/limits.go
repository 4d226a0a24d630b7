package protocol

// Limits. Every length read from the wire is checked against one of these
// before anything is allocated for it; every field is checked against one of
// these before a message is encoded and after it is decoded.
//
// Envelope limits bound the body length (the bytes after the type byte). A
// message type's own limit is at most its stream kind's limit; a type this
// package does not know is bounded by its stream kind's limit.
const (
	// MaxStreamHeader is the largest kind-specific stream header, in bytes
	// (the bytes after the kind and the header length).
	MaxStreamHeader = 64

	// MaxControlMessage bounds the body of any message on a control stream.
	MaxControlMessage = 16 << 10
	// MaxConsentMessage bounds the body of any message on a consent stream.
	MaxConsentMessage = 4 << 10
	// MaxChatMessage bounds the body of any message on a chat stream.
	MaxChatMessage = 64 << 10
	// MaxScreenMessage bounds the body of screen messages other than
	// FramePacket (acks, refresh requests, cursor, monitors).
	MaxScreenMessage = 16 << 10
	// MaxScreenPacket bounds the codec packet carried by one FramePacket
	// (FramePacket.Data). A 4K frame sent raw is 32 MiB, so any lossless
	// codec packet fits.
	MaxScreenPacket = 48 << 20
	// MaxInputMessage bounds the body of any message on an input stream.
	MaxInputMessage = 8 << 10
	// MaxFileMessage bounds the body of file messages other than FileChunk
	// (offer, answer, done, cancel).
	MaxFileMessage = 256 << 10
	// MaxFileChunk bounds the file data carried by one FileChunk
	// (FileChunk.Data).
	MaxFileChunk = 256 << 10

	// MaxFramePacketBody is the largest FramePacket body: the sequence
	// number then MaxScreenPacket bytes of codec packet.
	MaxFramePacketBody = framePacketHeaderLen + MaxScreenPacket
	// MaxFramePreviewBody is the largest FramePreview body: the scale byte and MaxScreenPacket of data.
	MaxFramePreviewBody = 1 + MaxScreenPacket
	// MaxVideoPacket bounds the VP8 frame carried by one VideoPacket: a key frame of a MaxVideoSide square at
	// the best quality stays well under it.
	MaxVideoPacket = 8 << 20
	// MaxVideoPacketBody is the largest VideoPacket body: its header and MaxVideoPacket of data.
	MaxVideoPacketBody = videoPacketHeaderLen + MaxVideoPacket
	// MaxVideoSide bounds the width and height of a VideoPacket's region.
	MaxVideoSide = 4096
	// MinPreviewScale and MaxPreviewScale bound FramePreview.Scale.
	MinPreviewScale, MaxPreviewScale = 2, 16
	// MaxFileChunkBody is the largest FileChunk body: the offset then
	// MaxFileChunk bytes of data.
	MaxFileChunkBody = fileChunkHeaderLen + MaxFileChunk
)

// Field limits. Text lengths are in bytes of UTF-8, not characters.
const (
	// MaxChatText bounds ChatMessage.Text.
	MaxChatText = 16 << 10
	// MaxInputText bounds Text.Text (text typed or pasted as one event).
	MaxInputText = 4 << 10
	// MaxNameLen bounds display names: participant names, monitor names.
	MaxNameLen = 128
	// MaxProgramVersionLen bounds Hello.ProgramVersion.
	MaxProgramVersionLen = 64
	// MaxCapabilities bounds the number of capabilities in a Hello.
	MaxCapabilities = 64
	// MaxCapabilityLen bounds one capability token.
	MaxCapabilityLen = 64
	// MaxParticipants bounds the participants of one session.
	MaxParticipants = 16
	// MaxReasonLen bounds SessionEnd.Reason and ErrorMessage.Detail.
	MaxReasonLen = 1024
	// MaxLinkLen bounds a join link (InviteAnswer.Link): a rendezvous URL with its pin, and a token.
	MaxLinkLen = 2048
	// MaxMonitors bounds MonitorList.Monitors.
	MaxMonitors = 16
	// MaxMonitorSize bounds a monitor's width and height, in pixels.
	MaxMonitorSize = 1 << 15
	// MaxKeyNameLen bounds Key.Name.
	MaxKeyNameLen = 32
	// MaxOfferFiles bounds the number of files in one FileOffer.
	MaxOfferFiles = 4096
	// MaxFileNameLen bounds FileInfo.Name (a relative, slash-separated path).
	MaxFileNameLen = 1024
	// MaxFileSize bounds file sizes and offsets (1 PiB), so that any size or
	// offset, and any offset plus a chunk length, fits an int64.
	MaxFileSize = 1 << 50
	// HashSize is the length of FileDone.Hash: a SHA-256 digest.
	HashSize = 32
)

// CBOR decoder limits, applied to every CBOR body on top of its length limit.
const (
	// maxCBORNesting bounds nesting of arrays and maps (min 4 in fxamacker/cbor).
	maxCBORNesting = 16
	// maxCBORElements bounds array elements and map pairs (min 16 in fxamacker/cbor).
	maxCBORElements = MaxOfferFiles
)

const (
	framePacketHeaderLen = 8 // FramePacket: big-endian uint64 sequence number
	fileChunkHeaderLen   = 8 // FileChunk: big-endian uint64 offset
)
