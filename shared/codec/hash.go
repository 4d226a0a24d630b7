package codec

import (
	"encoding/binary"
	"math/bits"
)

// Row segments are fingerprinted with a polynomial hash over a sample of their pixels read as little-endian
// uint32: for a full 64-pixel segment, every 4th pixel, h = Σ p[4i]·B^(15-i) mod 2^64; for a narrower one (the
// last tile column), every pixel. Being polynomial it can be rolled along a row, which the motion search does.
// A fingerprint is only a hint: every match it suggests is verified byte by byte before it is used, and a
// mismatch of fingerprints proves the rows differ.
const (
	hashB   uint64 = 0x9E3779B97F4A7C15
	hashMix uint64 = 0xD6E8FEB86659FD93
	hashN          = 16 // pixels sampled from a full segment
	hashGap        = tileSize / hashN
)

// hashBTop is B^(hashN-1), the weight of the pixel that leaves a window when it rolls.
var hashBTop = func() uint64 {
	v := uint64(1)
	for range hashN - 1 {
		v *= hashB
	}
	return v
}()

// segHash fingerprints a row segment of len(b)/4 pixels.
func segHash(b []byte) uint64 {
	var h uint64
	if len(b) == 4*tileSize {
		for i := 0; i < len(b); i += 4 * hashGap {
			h = h*hashB + uint64(binary.LittleEndian.Uint32(b[i:]))
		}
		return h
	}
	for i := 0; i+4 <= len(b); i += 4 {
		h = h*hashB + uint64(binary.LittleEndian.Uint32(b[i:]))
	}
	return h
}

// tileHashOf combines the row hashes of a tile with its size.
func tileHashOf(rows []uint64, w int) uint64 {
	h := uint64(w)<<8 | uint64(len(rows))
	for _, r := range rows {
		h = bits.RotateLeft64(h*hashMix, 23) ^ r
	}
	return h * hashMix
}

// htab is an open-addressing hash table from a 64-bit hash to an int32, counting duplicate keys. Entries are
// stamped with a generation so that reset is O(1) when the size does not grow.
type htab struct {
	e     []hent
	shift uint
	gen   uint32
	n     int
}

type hent struct {
	key uint64
	val int32
	cnt int32
	gen uint32
}

// reset empties the table and makes room for n keys.
func (t *htab) reset(n int) {
	size := 64
	for size < 2*n {
		size *= 2
	}
	if size > len(t.e) {
		t.e = make([]hent, size)
		t.shift = uint(64 - bits.TrailingZeros(uint(size)))
		t.gen = 0
	}
	t.gen++
	if t.gen == 0 {
		clear(t.e)
		t.gen = 1
	}
	t.n = 0
}

// insert adds key with val; a key inserted again keeps its first val and counts the repeat.
func (t *htab) insert(key uint64, val int32) {
	if 2*(t.n+1) > len(t.e) {
		return // full (reset was told fewer keys): drop, the table is only a hint
	}
	mask := len(t.e) - 1
	for i := int((key * hashMix) >> t.shift); ; i = (i + 1) & mask {
		e := &t.e[i]
		if e.gen != t.gen {
			*e = hent{key: key, val: val, cnt: 1, gen: t.gen}
			t.n++
			return
		}
		if e.key == key {
			e.cnt++
			return
		}
	}
}

// find returns the val and count of key (count 0 when absent).
func (t *htab) find(key uint64) (int32, int32) {
	if len(t.e) == 0 {
		return 0, 0
	}
	mask := len(t.e) - 1
	for i := int((key * hashMix) >> t.shift); ; i = (i + 1) & mask {
		e := &t.e[i]
		if e.gen != t.gen {
			return 0, 0
		}
		if e.key == key {
			return e.val, e.cnt
		}
	}
}
