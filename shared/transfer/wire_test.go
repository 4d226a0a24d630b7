package transfer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// TestChunkHeader: the envelope written in front of the data is the one
// protocol.AppendMessage writes.
func TestChunkHeader(t *testing.T) {
	for _, n := range []int{1, 2, 119, 120, 121, 16375, 16376, 16377, 100_000, chunkSize} {
		for _, off := range []uint64{0, 1, 1 << 40, protocol.MaxFileSize - uint64(n)} {
			data := pattern(fmt.Sprint(n), n)
			want, err := protocol.AppendMessage(nil, &protocol.FileChunk{Offset: off, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			got := append(appendChunkHeader(nil, off, n), data...)
			if !bytes.Equal(got, want) {
				t.Fatalf("n=%d off=%d: header %x, want %x", n, off, got[:len(got)-n], want[:len(want)-n])
			}
			if len(got)-n > chunkHeaderMax {
				t.Fatalf("header of %d bytes", len(got)-n)
			}
		}
	}
}

// decodeAll reads messages until an error, with protocol.Decoder or with
// chunkReader (buffers of size bufSize), and describes what it read.
func decodeAll(b []byte, bufSize int, fast bool) []string {
	var out []string
	dec := protocol.NewDecoder(bytes.NewReader(b), protocol.File)
	cr := &chunkReader{r: bytes.NewReader(b)}
	buf := make([]byte, bufSize)
	for {
		var (
			m   protocol.Message
			err error
		)
		if fast {
			m, err = cr.next(buf)
		} else {
			m, err = dec.Decode()
		}
		if err != nil {
			var pe *protocol.Error
			switch {
			case errors.Is(err, io.EOF):
				out = append(out, "EOF")
			case errors.As(err, &pe):
				out = append(out, "error "+pe.Code.String())
			default:
				out = append(out, "error "+err.Error())
			}
			return out
		}
		switch m := m.(type) {
		case *protocol.FileChunk:
			out = append(out, fmt.Sprintf("chunk %d %x", m.Offset, m.Data))
		default:
			out = append(out, fmt.Sprintf("%T %+v", m, m))
		}
	}
}

func chunkSamples() [][]byte {
	var samples [][]byte
	msg := func(ms ...protocol.Message) []byte {
		var b []byte
		for _, m := range ms {
			var err error
			if b, err = protocol.AppendMessage(b, m); err != nil {
				panic(err)
			}
		}
		return b
	}
	data := pattern("x", 300)
	samples = append(samples,
		msg(&protocol.FileChunk{Offset: 0, Data: data}, &protocol.FileChunk{Offset: 300, Data: data[:10]}, done(data)),
		msg(&protocol.FileChunk{Offset: 5, Data: data[:1]}, &protocol.FileCancel{Code: protocol.Cancelled}),
		msg(&protocol.FileOffer{TransferID: 1, Files: []protocol.FileInfo{{Name: "a", Size: 1}}}),
		[]byte{9, byte(protocol.TypeFileChunk), 0, 0, 0, 0, 0, 0, 0, 0},                                        // truncated
		[]byte{8, byte(protocol.TypeFileChunk), 0, 0, 0, 0, 0, 0, 0, 0},                                        // no data
		[]byte{0x89, 0x00, byte(protocol.TypeFileChunk), 0, 0, 0, 0, 0, 0, 0, 0, 1},                            // not the shortest form
		[]byte{0xff, 0xff, 0xff, 0xff, 0x0f, byte(protocol.TypeFileChunk)},                                     // too large
		append([]byte{10, byte(protocol.TypeFileChunk), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1, 2), // offset over the limit
		[]byte{3, 0x7f, 1, 2, 3}, // unknown type, skipped
		[]byte{1, byte(protocol.TypeChatMessage), 0},
	)
	return samples
}

// TestChunkReaderMatchesDecoder: the fast path reads what protocol.Decoder
// reads, with the same errors.
func TestChunkReaderMatchesDecoder(t *testing.T) {
	for i, b := range chunkSamples() {
		for _, size := range []int{0, 1, 10, 300, chunkSize} {
			want, got := decodeAll(b, size, false), decodeAll(b, size, true)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("sample %d, buffer %d:\n got %v\nwant %v", i, size, got, want)
			}
		}
	}
}

func FuzzChunkReader(f *testing.F) {
	for _, b := range chunkSamples() {
		f.Add(b, uint16(300))
	}
	f.Fuzz(func(t *testing.T, b []byte, size uint16) {
		want, got := decodeAll(b, int(size), false), decodeAll(b, int(size), true)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("buffer %d:\n got %v\nwant %v", size, got, want)
		}
	})
}
