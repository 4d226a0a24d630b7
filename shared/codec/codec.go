package codec

import (
	"errors"
	"fmt"
)

// Frame is a BGRA image: pixel (x, y) is Pix[y*Stride+4*x:][:4] in the order B, G, R, A.
type Frame struct {
	Width, Height int
	Stride        int // bytes per row, at least 4*Width
	Pix           []byte
}

// Rect is a rectangle of pixels: [X, X+W) × [Y, Y+H).
type Rect struct {
	X, Y, W, H int
}

// NewFrame returns a zeroed frame of the given size with Stride 4*w.
func NewFrame(w, h int) Frame {
	return Frame{Width: w, Height: h, Stride: 4 * w, Pix: make([]byte, 4*w*h)}
}

func (f Frame) check() error {
	if f.Width <= 0 || f.Height <= 0 {
		return fmt.Errorf("codec: frame size %dx%d", f.Width, f.Height)
	}
	if f.Stride < 4*f.Width {
		return fmt.Errorf("codec: stride %d for width %d", f.Stride, f.Width)
	}
	if len(f.Pix) < (f.Height-1)*f.Stride+4*f.Width {
		return fmt.Errorf("codec: %d bytes of pixels for %dx%d stride %d", len(f.Pix), f.Width, f.Height, f.Stride)
	}
	return nil
}

// Equal reports whether two frames have the same size and pixels (padding beyond 4*Width is ignored).
func (f Frame) Equal(g Frame) bool {
	if f.Width != g.Width || f.Height != g.Height {
		return false
	}
	for y := 0; y < f.Height; y++ {
		a := f.Pix[y*f.Stride:][:4*f.Width]
		b := g.Pix[y*g.Stride:][:4*g.Width]
		if string(a) != string(b) {
			return false
		}
	}
	return true
}

// TileSize is the side of the square tiles the codec cuts frames into, in pixels.
const TileSize = tileSize

const (
	tileSize  = 64
	tilePix   = tileSize * tileSize
	maxVecs   = 15
	nCtx      = 16
	nStreams  = 2 + nCtx
	streamOps = 0
	streamSyn = 1
	streamNat = 2 // first natural context stream

	// storeSlots is the number of tiles in the tile store.
	storeSlots = 256
	// storeMaxChanged is the largest number of changed tiles for which a frame feeds the tile store.
	storeMaxChanged = 64

	magic   = 'T'
	version = 1

	flagKey      = 1
	flagNoChange = 2
	flagInexact  = 4 // the viewer's picture is coarse in places after this packet (Encoder.SetCoarse)
)

// Tile op modes in the ops stream.
const (
	opSolid = 0
	opCache = 1
	opCopy  = 2
	opRuns  = 3
)

// Stream methods.
const (
	methodEmpty = 0
	methodRaw   = 1
	methodZstd  = 2
	methodHuff  = 3 // huff0 4X with its table
	methodRLE   = 4
)

var (
	// ErrCorrupt is wrapped by every error the decoder returns for a packet it cannot accept.
	ErrCorrupt = errors.New("codec: corrupt packet")
	// ErrNeedKey is wrapped by the decoder's error for a packet that does not continue its stream (the first
	// packet after NewDecoder, Reset or an error must be a key frame; every other one must carry the next seq).
	ErrNeedKey = errors.New("codec: key frame needed")
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// tileGrid describes how a frame is cut into tiles.
type tileGrid struct {
	w, h   int // pixels
	tw, th int // tiles
}

func newGrid(w, h int) tileGrid {
	return tileGrid{w: w, h: h, tw: (w + tileSize - 1) / tileSize, th: (h + tileSize - 1) / tileSize}
}

func (g tileGrid) n() int { return g.tw * g.th }

// rect returns the pixel rectangle of tile t.
func (g tileGrid) rect(t int) (x0, y0, w, h int) {
	tx, ty := t%g.tw, t/g.tw
	x0, y0 = tx*tileSize, ty*tileSize
	return x0, y0, min(tileSize, g.w-x0), min(tileSize, g.h-y0)
}

// changedRects merges the changed tiles (sorted) into rectangles: runs of tiles on a tile row.
func (g tileGrid) changedRects(dst []Rect, tiles []int32) []Rect {
	dst = dst[:0]
	for i := 0; i < len(tiles); {
		j := i + 1
		for j < len(tiles) && tiles[j] == tiles[j-1]+1 && int(tiles[j])%g.tw != 0 {
			j++
		}
		x0, y0, _, h := g.rect(int(tiles[i]))
		x1, _, w1, _ := g.rect(int(tiles[j-1]))
		dst = append(dst, Rect{X: x0, Y: y0, W: x1 + w1 - x0, H: h})
		i = j
	}
	return dst
}

type vec struct{ dx, dy int }
