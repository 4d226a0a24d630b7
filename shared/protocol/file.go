package protocol

import (
	"encoding/binary"
	"strconv"
)

// File messages travel on File streams. The expected flow (the transfer
// engine's business, not checked here; shared/transfer's package doc has the
// whole of it): the sender opens the transfer's control stream (file index 0)
// and sends a FileOffer on it; the receiver answers with a FileAnswer on the
// same stream; the sender then sends each accepted file's FileChunks, in
// order from its resume offset, on a data stream of its own (file 0's data
// too, on a second stream with index 0), followed by FileDone; the receiver
// answers each data stream with FileDone or FileCancel, its verdict. Either
// side may send FileCancel on any stream of the transfer.

// FileInfo describes one offered file.
type FileInfo struct {
	// Index is the file's position in FileOffer.Files (0, 1, 2, …) and the
	// FileIndex of its stream header.
	Index uint32 `cbor:"1,keyasint,omitempty"`
	// Name is a relative, slash-separated path: non-empty, single line,
	// ≤ MaxFileNameLen bytes. Whether it is safe to create is the
	// receiver's check (shared/transfer), not this package's.
	Name string `cbor:"2,keyasint,omitempty"`
	// Size is the file's length in bytes, ≤ MaxFileSize.
	Size uint64 `cbor:"3,keyasint,omitempty"`
	// ModTime is the file's modification time on the sender, in Unix
	// nanoseconds; 0 when unknown. With Name and Size it identifies the
	// file, so that a receiver holding part of it from an interrupted
	// transfer can resume (FileAnswer.ResumeOffsets); a file offered
	// without it is always sent whole.
	ModTime int64 `cbor:"4,keyasint,omitempty"`
}

// FileOffer proposes a transfer of one or more files.
type FileOffer struct {
	TransferID uint64     `cbor:"1,keyasint,omitempty"` // non-zero, unique per sender
	Files      []FileInfo `cbor:"2,keyasint,omitempty"` // 1..MaxOfferFiles, Files[i].Index == i
}

// Type implements Message.
func (*FileOffer) Type() MessageType { return TypeFileOffer }

// Validate implements Message.
func (m *FileOffer) Validate() error {
	if m.TransferID == 0 {
		return invalidf("file offer: no transfer ID")
	}
	if len(m.Files) == 0 || len(m.Files) > MaxOfferFiles {
		return invalidf("file offer: " + strconv.Itoa(len(m.Files)) + " files (1.." + strconv.Itoa(MaxOfferFiles) + ")")
	}
	for i, f := range m.Files {
		if f.Index != uint32(i) { //nolint:gosec // i < MaxOfferFiles
			return invalidf("file offer: file " + strconv.Itoa(i) + " has index " + strconv.FormatUint(uint64(f.Index), 10))
		}
		if err := checkText("file offer: name", f.Name, MaxFileNameLen, singleLine, true); err != nil {
			return err
		}
		if f.Size > MaxFileSize {
			return invalidf("file offer: size " + strconv.FormatUint(f.Size, 10) + " over limit")
		}
	}
	return nil
}

func (m *FileOffer) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *FileOffer) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// FileAnswer accepts or declines a FileOffer.
type FileAnswer struct {
	TransferID uint64 `cbor:"1,keyasint,omitempty"` // the offer's; non-zero
	Accept     bool   `cbor:"2,keyasint,omitempty"`
	// ResumeOffsets maps a file index to the number of bytes the receiver
	// already holds from an earlier, interrupted transfer; the sender
	// starts that file there. Only when Accept; at most MaxOfferFiles
	// entries, offsets ≤ MaxFileSize. Missing entries mean 0.
	ResumeOffsets map[uint32]uint64 `cbor:"3,keyasint,omitempty"`
}

// Type implements Message.
func (*FileAnswer) Type() MessageType { return TypeFileAnswer }

// Validate implements Message.
func (m *FileAnswer) Validate() error {
	if m.TransferID == 0 {
		return invalidf("file answer: no transfer ID")
	}
	if !m.Accept && len(m.ResumeOffsets) > 0 {
		return invalidf("file answer: resume offsets in a refusal")
	}
	if len(m.ResumeOffsets) > MaxOfferFiles {
		return invalidf("file answer: " + strconv.Itoa(len(m.ResumeOffsets)) + " resume offsets")
	}
	for i, off := range m.ResumeOffsets {
		if i >= MaxOfferFiles || off > MaxFileSize {
			return invalidf("file answer: bad resume offset for file " + strconv.FormatUint(uint64(i), 10))
		}
	}
	return nil
}

func (m *FileAnswer) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *FileAnswer) decodeBody(b []byte) error {
	if err := unmarshalCBOR(b, m); err != nil {
		return err
	}
	if len(m.ResumeOffsets) == 0 {
		m.ResumeOffsets = nil
	}
	return nil
}

// FileChunk carries part of a file. Its body is binary, not CBOR:
//
//	offset [8]byte  big-endian uint64: where Data goes in the file
//	data   [...]    1..MaxFileChunk bytes, to the end of the body
type FileChunk struct {
	Offset uint64
	Data   []byte // the decoded message's Data is its own copy
}

// Type implements Message.
func (*FileChunk) Type() MessageType { return TypeFileChunk }

// Validate implements Message.
func (m *FileChunk) Validate() error {
	if len(m.Data) == 0 || len(m.Data) > MaxFileChunk {
		return invalidf("file chunk: " + strconv.Itoa(len(m.Data)) + " bytes of data (1.." + strconv.Itoa(MaxFileChunk) + ")")
	}
	if m.Offset > MaxFileSize-uint64(len(m.Data)) {
		return invalidf("file chunk: offset " + strconv.FormatUint(m.Offset, 10) + " over limit")
	}
	return nil
}

func (m *FileChunk) encodeBody() ([]byte, []byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, fileChunkHeaderLen), m.Offset), m.Data, nil
}

func (m *FileChunk) decodeBody(b []byte) error {
	if len(b) < fileChunkHeaderLen {
		return newError(ProtocolViolation, ErrMalformed, "file chunk shorter than its header")
	}
	m.Offset = binary.BigEndian.Uint64(b)
	m.Data = b[fileChunkHeaderLen:]
	return nil
}

// FileDone ends a file's stream: every byte has been sent. Hash is the
// SHA-256 of the whole file, which the receiver checks before keeping it
// (IntegrityFailed otherwise).
type FileDone struct {
	Hash []byte `cbor:"1,keyasint,omitempty"` // exactly HashSize bytes
}

// Type implements Message.
func (*FileDone) Type() MessageType { return TypeFileDone }

// Validate implements Message.
func (m *FileDone) Validate() error {
	if len(m.Hash) != HashSize {
		return invalidf("file done: hash of " + strconv.Itoa(len(m.Hash)) + " bytes")
	}
	return nil
}

func (m *FileDone) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *FileDone) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }

// FileCancel stops one file (on that file's stream) or, with All, the whole
// transfer (on any of its streams), with the reason.
type FileCancel struct {
	Code Code `cbor:"1,keyasint,omitempty"` // Cancelled when a person cancelled; DiskFull, IntegrityFailed, Refused, …
	All  bool `cbor:"2,keyasint,omitempty"` // the whole transfer, not only this stream's file
}

// Type implements Message.
func (*FileCancel) Type() MessageType { return TypeFileCancel }

// Validate implements Message.
func (*FileCancel) Validate() error { return nil }

func (m *FileCancel) encodeBody() ([]byte, []byte, error) { return cborBody(m) }
func (m *FileCancel) decodeBody(b []byte) error           { return unmarshalCBOR(b, m) }
