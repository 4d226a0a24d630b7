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
	hashB   uint64 = hashBu
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

// Powers of hashB (mod 2⁶⁴).
const (
	hashBu        = 0x9E3779B97F4A7C15 // hashB, untyped
	hashB2 uint64 = hashBu * hashBu % (1 << 64)
	hashB3 uint64 = hashBu * hashBu * hashBu % (1 << 64)
	hashB4 uint64 = hashBu * hashBu * hashBu * hashBu % (1 << 64)
)

// segHash fingerprints a row segment of len(b)/4 pixels.
func segHash(b []byte) uint64 {
	var h uint64
	if len(b) == 4*tileSize {
		// Four independent Horner chains in B⁴ (sample k of each group of four), joined at the end: the
		// same value as one chain, without its sixteen dependent multiplications.
		b = b[:4*tileSize]
		var c0, c1, c2, c3 uint64
		for i := 0; i < 4*tileSize; i += 16 * hashGap {
			c0 = c0*hashB4 + uint64(binary.LittleEndian.Uint32(b[i:]))
			c1 = c1*hashB4 + uint64(binary.LittleEndian.Uint32(b[i+4*hashGap:]))
			c2 = c2*hashB4 + uint64(binary.LittleEndian.Uint32(b[i+8*hashGap:]))
			c3 = c3*hashB4 + uint64(binary.LittleEndian.Uint32(b[i+12*hashGap:]))
		}
		return c0*hashB3 + c1*hashB2 + c2*hashB + c3
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

// htab is an open-addressing hash table from a 64-bit hash to an int32 (≥ 0), telling unique keys from
// repeated ones. An entry is 8 bytes, a 32-bit fingerprint of the key (never 0: 0 is empty) and the value, so
// that the table stays in cache; two keys with the same fingerprint and slot are taken as one, which is
// harmless as the table is only a hint.
type htab struct {
	e     []uint64 // fingerprint<<32 | value, or dupVal as value for a repeated key
	shift uint
	n     int
}

const dupVal = 0xFFFFFFFF

func htabFP(key uint64) uint64 { return (key>>32 | 1) << 32 }

// reset empties the table and makes room for n keys.
func (t *htab) reset(n int) {
	size := 64
	for size < 2*n {
		size *= 2
	}
	if size > cap(t.e) {
		t.e = make([]uint64, size)
	} else {
		t.e = t.e[:size]
		clear(t.e)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
}

// insert adds key with val; a key inserted again is marked as repeated. It returns the key's slot, or -1.
func (t *htab) insert(key uint64, val int32) int {
	if 2*(t.n+1) > len(t.e) {
		return -1 // full (reset was told fewer keys): drop, the table is only a hint
	}
	fp := htabFP(key)
	mask := len(t.e) - 1
	for i := int((key * hashMix) >> t.shift); ; i = (i + 1) & mask {
		e := t.e[i]
		if e == 0 {
			t.e[i] = fp | uint64(uint32(val))
			t.n++
			return i
		}
		if e&^dupVal == fp {
			t.e[i] = fp | dupVal
			return i
		}
	}
}

// repeat marks the key in slot i (returned by insert) as repeated.
func (t *htab) repeat(i int) {
	if i >= 0 {
		t.e[i] |= dupVal
	}
}

// find returns the val and count of key: 0 when absent, 1 when unique, 2 when repeated.
func (t *htab) find(key uint64) (int32, int32) {
	if len(t.e) == 0 {
		return 0, 0
	}
	fp := htabFP(key)
	mask := len(t.e) - 1
	for i := int((key * hashMix) >> t.shift); ; i = (i + 1) & mask {
		e := t.e[i]
		if e == 0 {
			return 0, 0
		}
		if e&^dupVal == fp {
			if uint32(e) == dupVal {
				return 0, 2
			}
			return int32(uint32(e)), 1
		}
	}
}
