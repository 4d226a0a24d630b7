package transfer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// The file data path avoids a copy and an allocation per chunk that
// protocol.Encoder and protocol.Decoder would make, while keeping their
// wire format and rules exactly (a test checks both against them):
// appendChunkHeader writes the envelope of a FileChunk in front of data
// already in place, and chunkReader reads FileChunk bodies into buffers the
// caller recycles, handing every other case (other messages, malformed or
// oversized envelopes) to protocol.Decoder.

// chunkHeaderMax is the longest FileChunk envelope before its data:
// length, type, offset.
const chunkHeaderMax = binary.MaxVarintLen64 + 1 + 8

// appendChunkHeader appends the envelope of a FileChunk of n bytes at off,
// up to its data.
func appendChunkHeader(b []byte, off uint64, n int) []byte {
	b = binary.AppendUvarint(b, uint64(8+n)) //nolint:gosec // n ≤ MaxFileChunk
	b = append(b, byte(protocol.TypeFileChunk))
	return binary.BigEndian.AppendUint64(b, off)
}

// chunkReader reads the messages of a file stream.
type chunkReader struct {
	r   io.Reader
	hdr [binary.MaxVarintLen64 + 1]byte
}

// next reads the next message. A FileChunk whose data fits in buf has its
// Data in buf; any other message is decoded by protocol.Decoder, with its
// errors (io.EOF at the end of the stream).
func (c *chunkReader) next(buf []byte) (protocol.Message, error) {
	n := 0
	for n < binary.MaxVarintLen64 {
		if _, err := io.ReadFull(c.r, c.hdr[n:n+1]); err != nil {
			return c.slow(n)
		}
		n++
		if c.hdr[n-1] < 0x80 {
			break
		}
	}
	length, k := binary.Uvarint(c.hdr[:n])
	if k != n || len(binary.AppendUvarint(nil, length)) != n {
		return c.slow(n) // overflow or not the shortest form: the decoder says so
	}
	if _, err := io.ReadFull(c.r, c.hdr[n:n+1]); err != nil {
		return c.slow(n)
	}
	n++
	if protocol.MessageType(c.hdr[n-1]) != protocol.TypeFileChunk || length < 9 || length-8 > uint64(len(buf)) {
		return c.slow(n)
	}
	var off [8]byte
	if _, err := io.ReadFull(c.r, off[:]); err != nil {
		return nil, readErr(err)
	}
	data := buf[:length-8]
	if _, err := io.ReadFull(c.r, data); err != nil {
		return nil, readErr(err)
	}
	m := &protocol.FileChunk{Offset: binary.BigEndian.Uint64(off[:]), Data: data}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// slow decodes the message whose first n bytes are in c.hdr with
// protocol.Decoder.
func (c *chunkReader) slow(n int) (protocol.Message, error) {
	head := bytes.NewReader(append([]byte(nil), c.hdr[:n]...))
	return protocol.NewDecoder(io.MultiReader(head, c.r), protocol.File).Decode()
}

// readErr wraps a read error inside a message as protocol.Decoder does.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &protocol.Error{Code: protocol.ProtocolViolation, Detail: "truncated message on file stream", Err: io.ErrUnexpectedEOF}
	}
	return fmt.Errorf("protocol: read file stream: %w", err)
}
