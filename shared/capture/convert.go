package capture

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/tandem-remote/tandem/shared/codec"
)

// pixelFormat describes the pixels of an X ZPixmap image.
type pixelFormat struct {
	bpp                 int  // bits per pixel: 16, 24 or 32
	msbFirst            bool // image byte order
	pad                 int  // scanline pad in bits
	rMask, gMask, bMask uint32
}

// stride returns the length of one scanline of a w-pixel-wide image.
func (p pixelFormat) stride(w int) int {
	bitsPerLine := w * p.bpp
	pad := p.pad
	if pad <= 0 {
		pad = 8
	}
	return (bitsPerLine + pad - 1) / pad * pad / 8
}

// check reports whether the format is one convert handles.
func (p pixelFormat) check() error {
	switch p.bpp {
	case 16, 24, 32:
	default:
		return fmt.Errorf("%d bits per pixel: %w", p.bpp, ErrUnsupported)
	}
	if p.rMask == 0 || p.gMask == 0 || p.bMask == 0 {
		return fmt.Errorf("colour masks %#x %#x %#x: %w", p.rMask, p.gMask, p.bMask, ErrUnsupported)
	}
	return nil
}

// bgrx reports whether the pixels are 32-bit little-endian 0x00RRGGBB, i.e. bytes B, G, R, X: the common case.
func (p pixelFormat) bgrx() bool {
	return p.bpp == 32 && !p.msbFirst && p.rMask == 0xff0000 && p.gMask == 0xff00 && p.bMask == 0xff
}

// convert stores the w×h image src (scanlines of srcStride bytes, format p) into dst as BGRA with A=255.
// dst must already be w×h.
func convert(dst *codec.Frame, src []byte, srcStride int, p pixelFormat) error {
	w, h := dst.Width, dst.Height
	if h > 0 && len(src) < (h-1)*srcStride+(w*p.bpp+7)/8 {
		return fmt.Errorf("image data: %d bytes for %dx%d at stride %d", len(src), w, h, srcStride)
	}
	if p.bgrx() {
		for y := 0; y < h; y++ {
			s := src[y*srcStride:][:4*w]
			d := dst.Pix[y*dst.Stride:][:4*w]
			i := 0
			for ; i+8 <= len(s); i += 8 { // two pixels at a time
				binary.LittleEndian.PutUint64(d[i:], binary.LittleEndian.Uint64(s[i:])|0xff000000_ff000000)
			}
			if i < len(s) {
				binary.LittleEndian.PutUint32(d[i:], binary.LittleEndian.Uint32(s[i:])|0xff000000)
			}
		}
		return nil
	}
	if err := p.check(); err != nil {
		return err
	}
	rs, rw := maskShift(p.rMask)
	gs, gw := maskShift(p.gMask)
	bs, bw := maskShift(p.bMask)
	bpp := p.bpp / 8
	for y := 0; y < h; y++ {
		s := src[y*srcStride:]
		d := dst.Pix[y*dst.Stride:][:4*w]
		for x := 0; x < w; x++ {
			var v uint32
			px := s[x*bpp:][:bpp]
			for i := 0; i < bpp; i++ {
				if p.msbFirst {
					v = v<<8 | uint32(px[i])
				} else {
					v |= uint32(px[i]) << (8 * i)
				}
			}
			d[4*x+0] = scale8(v&p.bMask>>bs, bw)
			d[4*x+1] = scale8(v&p.gMask>>gs, gw)
			d[4*x+2] = scale8(v&p.rMask>>rs, rw)
			d[4*x+3] = 0xff
		}
	}
	return nil
}

// maskShift returns the position of a contiguous mask's lowest bit and its width.
func maskShift(m uint32) (shift, width int) {
	shift = bits.TrailingZeros32(m)
	width = bits.OnesCount32(m)
	return
}

// scale8 expands (or truncates) a width-bit channel value to 8 bits.
func scale8(v uint32, width int) byte {
	switch {
	case width == 8:
		return byte(v)
	case width > 8:
		return byte(v >> (width - 8))
	case width <= 0:
		return 0
	}
	// Replicate the high bits into the low ones, so that the maximum maps to 255.
	out := v << (8 - width)
	for s := width; s < 8; s += width {
		out |= out >> s
	}
	return byte(out)
}

// rgbaToBGRA stores RGBA pixels (w×h, srcStride bytes per row) into dst as BGRA with A=255.
func rgbaToBGRA(dst *codec.Frame, src []byte, srcStride int) {
	w := dst.Width
	for y := 0; y < dst.Height; y++ {
		s := src[y*srcStride:][:4*w]
		d := dst.Pix[y*dst.Stride:][:4*w]
		for i := 0; i+4 <= len(s); i += 4 {
			d[i+0], d[i+1], d[i+2], d[i+3] = s[i+2], s[i+1], s[i+0], 0xff
		}
	}
}
