package codec

import "encoding/binary"

// The "natural" literal coder, shared by encoder and decoder. A tile is held as three planes (B, G, R) of
// tileSize×tileSize bytes with stride tileSize. Each literal sample is predicted from causal neighbours of the
// same plane inside the tile; the residual (sample - prediction, mod 256, zigzagged so small magnitudes are
// small symbols) goes to one of nCtx streams chosen from the residual magnitudes already coded around it.
// Samples that were copied rather than coded count as residual 0 for the context.

type plane = [tilePix]byte

// natPredict predicts sample (x, y) of plane p for a tile w pixels wide. All neighbours it reads precede
// (x, y) in raster order.
func natPredict(p *plane, x, y, w int) int {
	i := y*tileSize + x
	switch {
	case y == 0:
		if x == 0 {
			return 0
		}
		return int(p[i-1])
	case x == 0:
		return int(p[i-tileSize])
	case y == 1 || x == 1 || x+2 >= w:
		return (int(p[i-1]) + int(p[i-tileSize]) + 1) >> 1
	}
	// A fixed least-squares-like blend of ten neighbours: good for noisy, photo-like content, where it
	// averages the noise out of the estimate of the underlying smooth image. Weights sum to 32.
	up := i - tileSize
	up2 := up - tileSize
	v := 15*int(p[i-1]) + 7*int(p[i-2]) +
		8*int(p[up]) - 2*int(p[up-1]) + 5*int(p[up+1]) - 4*int(p[up-2]) + 2*int(p[up+2]) +
		3*int(p[up2]) - 2*int(p[up2-1])
	v = (v + 16) >> 5
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return v
}

func zigzag(r byte) byte {
	s := int8(r)
	return byte((s << 1) ^ (s >> 7))
}

func unzigzag(z byte) byte {
	return (z >> 1) ^ -(z & 1)
}

// ctxTable maps a neighbourhood activity (capped at len-1) to a context.
var ctxTable = func() (t [256]uint8) {
	bounds := [nCtx - 1]int{1, 3, 5, 7, 10, 13, 17, 22, 28, 36, 46, 59, 76, 101, 141}
	c := 0
	for a := range t {
		for c < len(bounds) && a >= bounds[c] {
			c++
		}
		t[a] = uint8(c)
	}
	return t
}()

// natCtx returns the context of sample (x, y) from the zigzagged residuals z of its neighbours.
func natCtx(z *plane, x, y, w int) uint8 {
	i := y*tileSize + x
	a := 0
	if x > 0 {
		a += int(z[i-1])
	}
	if y > 0 {
		a += int(z[i-tileSize])
		s := 0
		if x > 0 {
			s += int(z[i-tileSize-1])
		}
		if x+1 < w {
			s += int(z[i-tileSize+1])
		}
		a += s >> 1
	}
	if a > 255 {
		a = 255
	}
	return ctxTable[a]
}

// planarPred predicts channel c of pixel x of a tile row for the planar coding of literal pixels (RUNS flag
// bit 2): the rounded mean of the pixel to the left and the pixel above; the pixel above on the first column,
// the pixel to the left on the tile's first row (up is nil), 0 for the tile's first pixel. row and up are
// BGRA rows of the tile as the decoder has them.
func planarPred(row, up []byte, x, c int) byte {
	switch {
	case up == nil:
		if x == 0 {
			return 0
		}
		return row[4*(x-1)+c]
	case x == 0:
		return up[c]
	}
	return byte((int(row[4*(x-1)+c]) + int(up[4*x+c]) + 1) >> 1)
}

// Uniform reports whether the w×h pixels of f at (x0, y0) are all one colour (what the encoder codes SOLID).
func Uniform(f Frame, x0, y0, w, h int) bool {
	_, ok := solid(f.Pix[y0*f.Stride+4*x0:], f.Stride, w, h)
	return ok
}

// LooksPhotographic reports whether the w×h pixels of f at (x0, y0) look photographic by the encoder's rule
// for a tile's literals: fewer than half of them equal their left neighbour (text and flat UI have long runs
// of one colour, a photo or a video frame few). It reads every eighth row, which tells the two apart at a
// fraction of the cost.
func LooksPhotographic(f Frame, x0, y0, w, h int) bool {
	eqLeft, counted := 0, 0
	for y := y0 + min(4, h-1); y < y0+h; y += 8 {
		row := f.Pix[y*f.Stride+4*x0:][:4*w]
		for x := 4; x < len(row); x += 4 {
			if binary.LittleEndian.Uint32(row[x:]) == binary.LittleEndian.Uint32(row[x-4:]) {
				eqLeft++
			}
			counted++
		}
	}
	return counted > 0 && 2*eqLeft < counted
}
