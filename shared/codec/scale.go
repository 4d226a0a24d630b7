package codec

// Scaling for coarse previews: a sharer sends the screen scaled down first when the exact key frame would take
// the link a while, and the viewer shows it enlarged until the exact one has arrived.

// ScaledSize is the size of a w×h picture scaled down by scale (rounded up: the last block may be partial).
func ScaledSize(w, h, scale int) (int, int) { return (w + scale - 1) / scale, (h + scale - 1) / scale }

// Shrink stores src scaled down by scale in dst (each pixel the mean of its scale×scale block), reusing dst's
// buffer when it is large enough. Alpha is set opaque.
func Shrink(dst *Frame, src Frame, scale int) {
	w, h := ScaledSize(src.Width, src.Height, scale)
	dst.Width, dst.Height, dst.Stride = w, h, 4*w
	if cap(dst.Pix) < 4*w*h {
		dst.Pix = make([]byte, 4*w*h)
	}
	dst.Pix = dst.Pix[:4*w*h]
	sums := make([]uint32, 3*w)
	for by := range h {
		clear(sums)
		y1 := min((by+1)*scale, src.Height)
		for y := by * scale; y < y1; y++ {
			row := src.Pix[y*src.Stride:]
			for x := range src.Width {
				s := sums[3*(x/scale):]
				s[0] += uint32(row[4*x])
				s[1] += uint32(row[4*x+1])
				s[2] += uint32(row[4*x+2])
			}
		}
		out := dst.Pix[by*dst.Stride:]
		for bx := range w {
			n := uint32((y1 - by*scale) * (min((bx+1)*scale, src.Width) - bx*scale)) //nolint:gosec // block sizes
			out[4*bx] = byte(sums[3*bx] / n)
			out[4*bx+1] = byte(sums[3*bx+1] / n)
			out[4*bx+2] = byte(sums[3*bx+2] / n)
			out[4*bx+3] = 255
		}
	}
}

// Enlarge stores small enlarged to w×h in dst, interpolating bilinearly between the centres of its pixels (the
// blocks Shrink averaged), reusing dst's buffer when it is large enough. small must be ScaledSize(w, h, scale).
func Enlarge(dst *Frame, small Frame, w, h, scale int) {
	dst.Width, dst.Height, dst.Stride = w, h, 4*w
	if cap(dst.Pix) < 4*w*h {
		dst.Pix = make([]byte, 4*w*h)
	}
	dst.Pix = dst.Pix[:4*w*h]
	// Fixed point, 8 fractional bits: the source coordinate of a pixel's centre.
	at := func(i, n int) (i0, i1 int, f uint32) {
		c := max(0, ((2*i+1)<<8)/(2*scale)-128) // (i + 0.5)/scale - 0.5, ×256
		i0 = min(c>>8, n-1)
		return i0, min(i0+1, n-1), uint32(c & 255) //nolint:gosec // 0..255
	}
	xs0, xs1, fxs := make([]int, w), make([]int, w), make([]uint32, w)
	for x := range w {
		xs0[x], xs1[x], fxs[x] = at(x, small.Width)
	}
	for y := range h {
		y0, y1, fy := at(y, small.Height)
		r0, r1 := small.Pix[y0*small.Stride:], small.Pix[y1*small.Stride:]
		out := dst.Pix[y*dst.Stride:]
		for x := range w {
			a, b, fx := 4*xs0[x], 4*xs1[x], fxs[x]
			for k := range 3 {
				top := uint32(r0[a+k])*(256-fx) + uint32(r0[b+k])*fx
				bot := uint32(r1[a+k])*(256-fx) + uint32(r1[b+k])*fx
				out[4*x+k] = byte((top*(256-fy) + bot*fy + 1<<15) >> 16)
			}
			out[4*x+3] = 255
		}
	}
}
