package codec

import (
	"encoding/binary"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// reader reads a packet, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail(corrupt("truncated"))
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uv() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(corrupt("bad varint"))
		return 0
	}
	r.b = r.b[n:]
	return v
}

// uvMax reads a uv and fails unless it is at most max.
func (r *reader) uvMax(max int, what string) int {
	v := r.uv()
	if v > uint64(max) {
		r.fail(corrupt("%s %d > %d", what, v, max))
		return 0
	}
	return int(v)
}

func (r *reader) sv() int {
	v, n := binary.Varint(r.b)
	if n <= 0 || v > 1<<30 || v < -(1<<30) {
		r.fail(corrupt("bad varint"))
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.fail(corrupt("truncated"))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func appendUv(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
func appendSv(b []byte, v int) []byte    { return binary.AppendVarint(b, int64(v)) }

// streamEnc holds what one encoding goroutine needs to compress streams.
type streamEnc struct {
	zstd    *zstd.Encoder
	huff    huff0.Scratch
	scratch []byte
}

func newStreamEnc() *streamEnc {
	z, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),
		zstd.WithZeroFrames(true),
		zstd.WithWindowSize(1<<20))
	if err != nil {
		panic(err) // only bad options fail
	}
	se := &streamEnc{zstd: z}
	se.huff.Reuse = huff0.ReusePolicyNone
	return se
}

func allSame(b []byte) bool {
	for _, v := range b[1:] {
		if v != b[0] {
			return false
		}
	}
	return true
}

// appendStream appends raw as a stream, compressed with zstd (entropyOnly false) or Huffman only when that is
// smaller.
func (s *streamEnc) appendStream(dst, raw []byte, entropyOnly bool) []byte {
	if len(raw) == 0 {
		return append(dst, methodEmpty, 0)
	}
	if allSame(raw) {
		dst = append(dst, methodRLE)
		dst = appendUv(dst, uint64(len(raw)))
		return append(dst, raw[0])
	}
	var comp []byte
	method := byte(methodRaw)
	if entropyOnly {
		if len(raw) <= huff0.BlockSizeMax {
			out, _, err := huff0.Compress4X(raw, &s.huff)
			if err == nil {
				comp, method = out, methodHuff
			}
		}
	} else if len(raw) >= 16 {
		s.scratch = s.zstd.EncodeAll(raw, s.scratch[:0])
		comp, method = s.scratch, methodZstd
	}
	if method == methodRaw || len(comp) >= len(raw) {
		comp, method = raw, methodRaw
	}
	dst = append(dst, method)
	dst = appendUv(dst, uint64(len(raw)))
	dst = appendUv(dst, uint64(len(comp)))
	return append(dst, comp...)
}

// streamDec holds what one decoding goroutine needs to decompress streams.
type streamDec struct {
	zstd *zstd.Decoder // shared, safe for concurrent DecodeAll
	huff huff0.Scratch
	bufs [nStreams][]byte
}
