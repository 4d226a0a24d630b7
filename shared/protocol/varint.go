package protocol

import (
	"encoding/binary"
	"io"
)

// appendUvarint appends x as an unsigned LEB128 varint (encoding/binary's
// Uvarint): 7 bits a byte, least significant group first, high bit set on
// every byte but the last.
func appendUvarint(b []byte, x uint64) []byte { return binary.AppendUvarint(b, x) }

// readUvarint reads one uvarint from r, one byte at a time so that it never
// reads past it. scratch must have room for one byte (a caller-owned buffer
// keeps the read allocation-free). It returns io.EOF if r ends before the
// first byte, io.ErrUnexpectedEOF if it ends inside the varint, and an *Error
// for a varint that overflows 64 bits or is not in its shortest form.
func readUvarint(r io.Reader, scratch []byte) (uint64, error) {
	br, _ := r.(io.ByteReader)
	var x uint64
	var s uint
	for i := range binary.MaxVarintLen64 {
		var c byte
		if br != nil {
			var err error
			if c, err = br.ReadByte(); err != nil {
				return 0, varintReadError(i, err)
			}
		} else {
			if _, err := io.ReadFull(r, scratch[:1]); err != nil {
				return 0, varintReadError(i, err)
			}
			c = scratch[0]
		}
		if c < 0x80 {
			if i > 0 && c == 0 {
				return 0, newError(ProtocolViolation, ErrMalformed, "varint not in shortest form")
			}
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, newError(ProtocolViolation, ErrMalformed, "varint overflows 64 bits")
}

func varintReadError(i int, err error) error {
	if i > 0 && err == io.EOF { //nolint:errorlint // io.EOF is returned unwrapped by contract
		return io.ErrUnexpectedEOF
	}
	return err
}
