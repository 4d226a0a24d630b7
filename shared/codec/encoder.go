package codec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
)

// Encoder codes frames for one viewer. It is not safe for concurrent use; it uses up to two goroutines of its
// own inside Encode.
type Encoder struct {
	g       tileGrid
	key     bool // the next packet is a key frame
	seq     uint64
	ref     Frame    // the viewer's framebuffer: own, or the caller's last frame given to EncodeRetained
	own     []byte   // the encoder's copy of the viewer's framebuffer, stride 4*g.w, when ref is not retained
	retains bool     // ref is the caller's frame
	rowHash []uint64 // [col*g.h+y]: hash of the row segment of fb in tile column col
	newHash []uint64 // the same for the frame being coded (valid on changed tiles)
	rowMask []uint64 // per tile: bit r set if row r of the tile changed (valid on changed tiles)
	tHash   []uint64 // per tile: hash of fb's tile
	newTH   []uint64 // per tile: hash of the new tile (valid on changed tiles)
	fbIndex map[uint64]int32
	store   tileStore
	stIndex map[uint64]int32

	cur      Frame
	changed  []int32
	chg      [2][]int32
	masks    [2][]uint64 // detect's scratch: changed rows by tile column
	vecs     []vec
	mot      motion
	parts    [2]*encPart
	rects    []Rect
	photo    []int32
	wasPhoto []bool // per tile: coded photo-like when it last changed (read by encPart.tile)
	wasLit   []bool // per tile: every row of it literal when it last changed, in a delta frame (each part writes its own tiles)
	stats    EncodeStats

	// Coarse pictures (see SetCoarse). inexact holds, per pixel (row-major, g.w a row), whether the viewer's pixel
	// may differ from ref's; tileInex whether any pixel of the tile does, and nInexact how many tiles so. The
	// frame being coded reads the last frame's state from oldMask and wasInex.
	coarse   int
	inexact  []uint8
	oldMask  []uint8
	tileInex []bool
	wasInex  []bool
	forced   []bool // per tile: coded whole as exact literals in this frame (a refinement)
	extra    []int32
	nInexact int
	tracking bool // the frame being coded starts with coarse pixels on the viewer's screen
	// refineNext: the next frame codes the coarse tiles again (Refine)
	refineNext bool
}

// EncodeStats tells what the last Encode did, for tests and benches.
type EncodeStats struct {
	Key          bool
	ChangedTiles int
	Vectors      int // motion vectors found, besides "unchanged"
	Solid        int // tiles coded as one colour
	Copied       int // tiles copied whole from elsewhere on the viewer's screen
	Cached       int // tiles taken from the tile store
	Runs         int // tiles coded as runs
	RefPixels    int // pixels of RUNS tiles copied through a motion vector (other than vector 0)
	LitPixels    int // literal pixels
	NatPixels    int // literal pixels of photo-like tiles (coded natural, or planar on delta frames)
	Coarse       int // tiles coded coarse (see SetCoarse)
	Refined      int // tiles coded again, exactly, only because the viewer's were coarse (Refine)
}

// NewEncoder returns an encoder whose first packet is a key frame.
func NewEncoder() *Encoder {
	return &Encoder{key: true, parts: [2]*encPart{newEncPart(), newEncPart()}}
}

// Reset makes the next packet a key frame, which a new or reset Decoder can start from.
func (e *Encoder) Reset() { e.key = true }

// Changed returns the regions that the last Encode changed on the viewer's screen, as tile-aligned rectangles
// (the whole frame for a key frame, none when nothing changed). The slice is reused by the next Encode.
func (e *Encoder) Changed() []Rect { return e.rects }

// Photo returns the tiles that the last Encode coded as photo-like literals (a playing video, a photograph being
// drawn), as indexes in raster order of the frame's grid of TileSize squares (ceil(width/TileSize) tiles a row),
// increasing. The slice is reused by the next Encode.
func (e *Encoder) Photo() []int32 { return e.photo }

// Stats returns what the last Encode did.
func (e *Encoder) Stats() EncodeStats { return e.stats }

// SetCoarse sets how the following delta frames code the new pixels of photo-like tiles (a picture that a
// scroll uncovers): step 0, the default, codes them exactly; a step of 2 to 128 (a power of two; others are
// taken as the power of two below) keeps each colour byte only to the nearest step, which cuts a scroll's bytes
// by about a third at step 16 (within 8 of each value, about 35 dB on them). Text, flat UI, key frames and what
// is copied on the screen are never made coarse, and a coarse picture moved by a scroll stays a copy. Coarse
// pixels stay on the viewer's screen, whatever the step, until Refine.
func (e *Encoder) SetCoarse(step int) {
	switch {
	case step < 2:
		e.coarse = 0
	default:
		e.coarse = 1 << (bits.Len(uint(min(step, maxCoarse))) - 1)
	}
}

// maxCoarse is the coarsest step SetCoarse takes.
const maxCoarse = 128

// Refine makes the next frame code again, whole and exact, every tile holding coarse pixels, changed or not:
// after it, Exact is true (unless SetCoarse let that frame make new ones).
func (e *Encoder) Refine() { e.refineNext = true }

// Exact reports whether the viewer's framebuffer, after the last packet, is the last frame coded bit for bit
// (false while coarse tiles remain on it).
func (e *Encoder) Exact() bool { return e.nInexact == 0 }

// CoarseTiles returns how many tiles of the viewer's framebuffer hold coarse pixels after the last packet: what
// the frame after Refine codes again.
func (e *Encoder) CoarseTiles() int { return e.nInexact }

func (e *Encoder) setup(w, h int) {
	e.g = newGrid(w, h)
	n := e.g.n()
	e.own = nil
	e.ref = Frame{}
	e.retains = false
	e.rowHash = make([]uint64, e.g.tw*h)
	e.newHash = make([]uint64, e.g.tw*h)
	e.rowMask = make([]uint64, n)
	e.tHash = make([]uint64, n)
	e.newTH = make([]uint64, n)
	e.wasPhoto = make([]bool, n)
	e.wasLit = make([]bool, n)
	e.fbIndex = make(map[uint64]int32, n)
	e.stIndex = make(map[uint64]int32, storeSlots)
	e.inexact, e.oldMask = nil, nil // made when first needed (SetCoarse)
	e.tileInex, e.wasInex, e.forced = make([]bool, n), make([]bool, n), make([]bool, n)
	e.nInexact = 0
}

// Encode codes frame f and appends the packet to dst. The packet must reach the viewer's Decoder, after
// every packet before it. When nothing changed the packet is a few bytes long and Changed is empty; such a
// packet may also be dropped, as it does not advance the stream. Encode copies what it needs of f.
func (e *Encoder) Encode(dst []byte, f Frame) ([]byte, error) {
	return e.encode(dst, f, false)
}

// EncodeRetained is Encode without the copy: the encoder keeps f as the viewer's framebuffer, so the caller
// must leave f.Pix unchanged until the next call to Encode or EncodeRetained has returned (a capture loop
// alternates between two buffers, or captures into a new one each time). It saves copying every changed
// pixel.
func (e *Encoder) EncodeRetained(dst []byte, f Frame) ([]byte, error) {
	return e.encode(dst, f, true)
}

func (e *Encoder) encode(dst []byte, f Frame, retain bool) ([]byte, error) {
	if err := f.check(); err != nil {
		return dst, err
	}
	if e.rowHash == nil || f.Width != e.g.w || f.Height != e.g.h {
		e.setup(f.Width, f.Height)
		e.key = true
	}
	key := e.key
	e.cur = f
	e.stats = EncodeStats{Key: key}
	e.photo = e.photo[:0]
	e.detect(key)
	copy(e.wasInex, e.tileInex)
	e.tracking = !key && e.nInexact > 0
	if e.coarse > 0 && e.inexact == nil {
		e.inexact, e.oldMask = make([]uint8, e.g.w*e.g.h), make([]uint8, e.g.w*e.g.h)
	}
	switch {
	case key:
		if e.nInexact > 0 {
			clear(e.inexact)
			clear(e.tileInex)
			e.nInexact = 0
		}
	case e.nInexact > 0:
		copy(e.oldMask, e.inexact)
		if e.refineNext {
			e.refine()
		}
	}
	e.refineNext = false
	e.rects = e.g.changedRects(e.rects, e.changed)
	e.stats.ChangedTiles = len(e.changed)

	dst = append(dst, magic, version, 0)
	flagAt := len(dst) - 1
	if len(e.changed) == 0 {
		dst[flagAt] = flagNoChange
		if e.nInexact > 0 {
			dst[flagAt] |= flagInexact
		}
		dst = appendUv(dst, e.seq)
		dst = appendUv(dst, uint64(e.g.w))
		dst = appendUv(dst, uint64(e.g.h))
		if retain || e.retains {
			e.commit(false, retain) // the caller's previous frame is released: hold this one
		}
		e.cur = Frame{}
		return dst, nil
	}
	e.seq++
	if key {
		dst[flagAt] = flagKey
		e.vecs = e.vecs[:0]
		e.mot.prev = e.mot.prev[:0]
		e.store.reset()
		clear(e.stIndex)
		clear(e.fbIndex)
	} else {
		e.vecs = e.mot.find(e, f, e.vecs)
		e.stats.Vectors = len(e.vecs) - 1
	}
	dst = appendUv(dst, e.seq)
	dst = appendUv(dst, uint64(e.g.w))
	dst = appendUv(dst, uint64(e.g.h))
	dst = appendUv(dst, uint64(len(e.changed)))
	prev := int32(-1)
	for _, t := range e.changed {
		dst = appendUv(dst, uint64(t-prev-1))
		prev = t
	}
	dst = append(dst, byte(len(e.vecs)))
	for _, v := range e.vecs {
		dst = appendSv(dst, v.dx)
		dst = appendSv(dst, v.dy)
	}

	// Split the tiles in two parts of about the same work (changed rows count) when there is enough work for
	// a second goroutine to pay: a second part costs CPU time (its own stream headers and tables, waking a
	// thread), so frames that one core codes in a few milliseconds stay in one part.
	split := len(e.changed)
	total := 0
	for _, t := range e.changed {
		total += bits.OnesCount64(e.rowMask[t])
	}
	if len(e.changed) >= 4 && (key || total >= parallelRows) {
		acc := 0
		for i, t := range e.changed {
			acc += bits.OnesCount64(e.rowMask[t])
			if 2*acc >= total {
				split = i + 1
				break
			}
		}
	}
	tiles := [2][]int32{e.changed[:split], e.changed[split:]}
	nparts := 1
	if len(tiles[1]) > 0 {
		nparts = 2
	}
	parallel(nparts, func(i int) { e.parts[i].encode(e, tiles[i], key) })
	dst = append(dst, byte(nparts))
	n := 0
	for i := range nparts {
		n += len(e.parts[i].out)
	}
	dst = slices.Grow(dst, n)
	for i := range nparts {
		dst = append(dst, e.parts[i].out...)
		e.parts[i].addStats(&e.stats)
		e.photo = append(e.photo, e.parts[i].photo...) // the second part's tiles follow the first's
	}
	for _, t := range e.changed {
		e.wasPhoto[t] = false
		e.forced[t] = false
	}
	for _, t := range e.photo {
		e.wasPhoto[t] = true
	}
	e.nInexact = 0
	for _, in := range e.tileInex {
		e.nInexact += b2i(in)
	}
	if e.nInexact > 0 {
		dst[flagAt] |= flagInexact
	}
	e.commit(key, retain)
	e.key = false
	e.cur = Frame{}
	return dst, nil
}

// refine adds every tile with coarse pixels to the changed tiles, to be coded whole as exact literals: the
// viewer's coarse pixels may have been copied anywhere on its screen, so no copy is taken from them.
func (e *Encoder) refine() {
	g := e.g
	e.extra = e.extra[:0]
	i := 0
	for t, in := range e.tileInex {
		if !in {
			continue
		}
		e.forced[t] = true
		for i < len(e.changed) && int(e.changed[i]) < t {
			i++
		}
		if i < len(e.changed) && int(e.changed[i]) == t {
			continue
		}
		// Unchanged on the frame's side: its rows hash as they did.
		x0, y0, _, h := g.rect(t)
		base := (x0/tileSize)*g.h + y0
		copy(e.newHash[base:base+h], e.rowHash[base:base+h])
		e.newTH[t] = e.tHash[t]
		e.rowMask[t] = ^uint64(0) >> (64 - h)
		e.extra = append(e.extra, int32(t)) //nolint:gosec // tile indexes fit the grid's int32
	}
	if len(e.extra) > 0 {
		e.changed = append(e.changed, e.extra...)
		slices.Sort(e.changed)
	}
	e.stats.Refined = len(e.extra)
}

// exactTile notes that tile t is exact on the viewer's screen.
func (e *Encoder) exactTile(t int) {
	if !e.tileInex[t] {
		return
	}
	x0, y0, w, h := e.g.rect(t)
	for r := range h {
		clear(e.inexact[(y0+r)*e.g.w+x0:][:w])
	}
	e.tileInex[t] = false
}

// viewerTile writes to p.q tile t (w×h pixels of src) as the viewer will hold it: its copied pixels as they
// are on the viewer's screen (a coarse pixel there is always its exact value quantized: inexact holds the step's
// log2), its literal pixels coarse when coarse is set, else exact; and notes how exact they are.
func (p *encPart) viewerTile(e *Encoder, t int, src []byte, stride, w, h int, coarse bool) {
	step := uint8(0)
	if coarse {
		step = uint8(bits.TrailingZeros(uint(e.coarse))) //nolint:gosec // 1..7
	}
	x0, y0, _, _ := e.g.rect(t)
	any := uint8(0)
	for r := range h {
		row, q := src[r*stride:][:4*w], p.q[r*4*w:][:4*w]
		mask := e.inexact[(y0+r)*e.g.w+x0:][:w]
		rr := p.rowRef[r]
		for x := range w {
			k := rr
			if rr == mixedRow {
				k = p.refs[r*tileSize+x]
			}
			if k == 0 {
				mask[x] = step
			}
			px := binary.LittleEndian.Uint32(row[4*x:])
			if m := mask[x]; m != 0 {
				px = quantized(px, m)
				any |= m
			}
			binary.LittleEndian.PutUint32(q[4*x:], px)
		}
	}
	e.tileInex[t] = any != 0
}

// copyTile notes that tile t was copied whole from the viewer's screen at (sx, sy): its pixels are as exact as
// those were.
func (e *Encoder) copyTile(t, sx, sy int) {
	if !e.tracking {
		return
	}
	x0, y0, w, h := e.g.rect(t)
	any := uint8(0)
	for r := range h {
		row := e.inexact[(y0+r)*e.g.w+x0:][:w]
		copy(row, e.oldMask[(sy+r)*e.g.w+sx:][:w])
		for _, m := range row {
			any |= m
		}
	}
	e.tileInex[t] = any != 0
}

// trackCopies notes how exact the viewer's pixels of tile t are once its runs are decoded, and reports whether
// any is not: a copied pixel is as exact as its source was, a literal one is exact. (Literals that a tile with
// coarse pixels predicts from them are predicted from the viewer's values: see viewerTile.)
func (p *encPart) trackCopies(e *Encoder, t int) bool {
	if !e.tracking {
		return false
	}
	g := e.g
	x0, y0, w, h := g.rect(t)
	any := uint8(0)
	for r := range h {
		y := y0 + r
		row := e.inexact[y*g.w+x0:][:w]
		rr := p.rowRef[r]
		for x := range w {
			k := rr
			if rr == mixedRow {
				k = p.refs[r*tileSize+x]
			}
			var m uint8
			if k > 0 {
				v := e.vecs[k-1]
				m = e.oldMask[(y+v.dy)*g.w+x0+x+v.dx]
			}
			row[x] = m
			any |= m
		}
	}
	e.tileInex[t] = any != 0
	return any != 0
}

// quantized returns BGRA pixel px with each colour byte kept to the nearest step of 1<<m: its high bits, and
// the middle of what the low ones could be. Alpha is kept.
func quantized(px uint32, m uint8) uint32 {
	s := uint32(1) << m
	keep := uint32(0xff &^ (s - 1))
	return px&(0xff000000|keep<<16|keep<<8|keep) | s/2*0x010101
}

// parallelRows is the number of changed tile rows (64-pixel row segments) from which a delta frame is coded
// in two parts: about three 1920×1080 screens.
const parallelRows = 96 << 10

// detectSplitPixels is the frame size above which change detection runs on two goroutines.
const detectSplitPixels = 3840 * 2160

// parallel runs f(0..n-1), f(1) on another goroutine.
func parallel(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	f(0)
	wg.Wait()
}

// detect finds the changed tiles and hashes their changed rows.
func (e *Encoder) detect(key bool) {
	g := e.g
	half := (g.th + 1) / 2
	// Reading two frames is bound by memory bandwidth: a second goroutine shortens it little and costs CPU
	// time, so only frames larger than 4K are split.
	n := 1
	if g.w*g.h > detectSplitPixels && g.th >= 2 {
		n = 2
	}
	parallel(n, func(i int) {
		ty0, ty1 := 0, half
		if i == 1 {
			ty0, ty1 = half, g.th
		}
		if n == 1 {
			ty1 = g.th
		}
		chg := e.chg[i][:0]
		cur, ref := e.cur, e.ref
		if len(e.masks[i]) < g.tw {
			e.masks[i] = make([]uint64, g.tw)
		}
		masks := e.masks[i][:g.tw]
		// Row by row, so that memory is read in order.
		for ty := ty0; ty < ty1; ty++ {
			y0 := ty * tileSize
			th := min(tileSize, g.h-y0)
			clear(masks)
			for r := range th {
				y := y0 + r
				crow := cur.Pix[y*cur.Stride:][:4*g.w]
				rrow := ref.Pix
				if !key {
					rrow = ref.Pix[y*ref.Stride:][:4*g.w]
					if bytes.Equal(crow, rrow) {
						continue
					}
				}
				for tx := range g.tw {
					x0 := tx * tileSize
					a := crow[4*x0 : 4*min(g.w, x0+tileSize)]
					if key || !bytes.Equal(a, rrow[4*x0:4*min(g.w, x0+tileSize)]) {
						masks[tx] |= 1 << r
						e.newHash[tx*g.h+y] = segHash(a)
					}
				}
			}
			for tx, mask := range masks {
				if mask == 0 {
					continue
				}
				t := ty*g.tw + tx
				base := tx*g.h + y0
				for r := range th {
					if mask&(1<<r) == 0 {
						e.newHash[base+r] = e.rowHash[base+r]
					}
				}
				e.rowMask[t] = mask
				w := min(tileSize, g.w-tx*tileSize)
				e.newTH[t] = tileHashOf(e.newHash[base:base+th], w)
				chg = append(chg, int32(t))
			}
		}
		e.chg[i] = chg
	})
	e.changed = append(append(e.changed[:0], e.chg[0]...), e.chg[1][:len(e.chg[1])*(n-1)]...)
}

// commit makes the viewer's state (framebuffer, hashes, tile store) that of the coded frame.
func (e *Encoder) commit(key, retain bool) {
	g := e.g
	if !key && len(e.changed) <= storeMaxChanged {
		for _, t := range e.changed {
			x0, y0, w, h := g.rect(int(t))
			s := e.store.put(e.ref.Pix, e.ref.Stride, x0, y0, w, h)
			if old, ok := e.stIndex[e.store.hash[s]]; ok && old == int32(s) {
				delete(e.stIndex, e.store.hash[s])
			}
			e.store.hash[s] = e.tHash[t]
			if e.wasInex[t] {
				continue // the viewer's store holds its coarse tile, not this one: never taken from it
			}
			e.stIndex[e.tHash[t]] = int32(s)
		}
	}
	switch {
	case retain:
		e.ref, e.retains = e.cur, true
	case e.retains || e.own == nil:
		// The viewer's state moves into the encoder's own buffer, whole.
		if e.own == nil {
			e.own = make([]byte, 4*g.w*g.h)
		}
		for y := range g.h {
			copy(e.own[y*4*g.w:][:4*g.w], e.cur.Pix[y*e.cur.Stride:][:4*g.w])
		}
		e.ref, e.retains = Frame{Width: g.w, Height: g.h, Stride: 4 * g.w, Pix: e.own}, false
	}
	for _, t := range e.changed {
		x0, y0, w, h := g.rect(int(t))
		if !retain {
			for r := range h {
				y := y0 + r
				copy(e.own[(y*g.w+x0)*4:][:4*w], e.cur.Pix[y*e.cur.Stride+4*x0:][:4*w])
			}
		}
		base := (x0/tileSize)*g.h + y0
		copy(e.rowHash[base:base+h], e.newHash[base:base+h])
		if j, ok := e.fbIndex[e.tHash[t]]; ok && j == t {
			delete(e.fbIndex, e.tHash[t])
		}
		e.tHash[t] = e.newTH[t]
		e.fbIndex[e.tHash[t]] = t
	}
}

// encPart codes one part of a frame's changed tiles.
type encPart struct {
	se     *streamEnc
	ops    []byte
	syn    []byte
	nat    []byte      // natural residuals by context, natCap bytes each
	natPos [nCtx]int32 // where the next byte of each context goes in nat
	out    []byte
	refs   [tilePix]uint8 // per pixel: 0 literal, k copied with vector k-1
	pl     [3]plane
	res    [3]plane
	stats  EncodeStats
	photo  []int32 // the tiles coded as photo-like literals
	rowBit [maxVecSearch]uint64
	rowRef [tileSize]uint8   // per row of the tile: the ref of all its pixels, or mixedRow (then see refs)
	litBit [tileSize]uint64  // per mixedRow row: bit x set if pixel x is literal
	q      [4 * tilePix]byte // a coarse tile
}

// mixedRow marks a tile row whose pixels do not all have the same ref.
const mixedRow = 255

func newEncPart() *encPart { return &encPart{se: newStreamEnc()} }

func (p *encPart) addStats(s *EncodeStats) {
	s.Solid += p.stats.Solid
	s.Copied += p.stats.Copied
	s.Cached += p.stats.Cached
	s.Runs += p.stats.Runs
	s.RefPixels += p.stats.RefPixels
	s.LitPixels += p.stats.LitPixels
	s.NatPixels += p.stats.NatPixels
	s.Coarse += p.stats.Coarse
}

// chunkBytes is about how many literal bytes a chunk gathers before its streams are compressed: enough for
// the Huffman tables to pay, little enough to stay in cache.
const chunkBytes = 192 << 10

func (p *encPart) encode(e *Encoder, tiles []int32, key bool) {
	p.stats = EncodeStats{}
	p.photo = p.photo[:0]
	if cap(p.out) == 0 {
		// Reserve room for a key frame; pages not written are never touched.
		p.out = make([]byte, 0, 4*e.g.w*e.g.h/2+1024)
	}
	p.out = appendUv(p.out[:0], uint64(len(tiles)))
	p.reset()
	start := 0
	for i, t := range tiles {
		p.tile(e, int(t), key)
		n := len(p.syn)
		for k := range p.natPos {
			n += int(p.natPos[k]) - k*natCap
		}
		if n >= chunkBytes || i == len(tiles)-1 {
			p.flush(i + 1 - start)
			start = i + 1
		}
	}
}

func (p *encPart) reset() {
	p.ops, p.syn = p.ops[:0], p.syn[:0]
	if p.nat == nil {
		p.nat = make([]byte, nCtx*natCap)
	}
	for k := range p.natPos {
		p.natPos[k] = int32(k * natCap)
	}
}

// flush appends a chunk of the last count tiles and empties the streams.
func (p *encPart) flush(count int) {
	p.out = appendUv(p.out, uint64(count))
	p.out = p.se.appendStream(p.out, p.ops, false)
	p.out = p.se.appendStream(p.out, p.syn, false)
	for k := range p.natPos {
		p.out = p.se.appendStream(p.out, p.nat[k*natCap:p.natPos[k]], true)
	}
	p.reset()
}

// fbEqual reports whether the w×h block of the new frame at (x0, y0) equals the viewer's at (sx, sy).
func (e *Encoder) fbEqual(x0, y0, sx, sy, w, h int) bool {
	cur := e.cur
	for r := range h {
		if !bytes.Equal(cur.Pix[(y0+r)*cur.Stride+4*x0:][:4*w], e.ref.Pix[(sy+r)*e.ref.Stride+sx*4:][:4*w]) {
			return false
		}
	}
	return true
}

func (p *encPart) tile(e *Encoder, t int, key bool) {
	g := e.g
	cur := e.cur
	x0, y0, w, h := g.rect(t)
	stride := cur.Stride
	src := cur.Pix[y0*stride+4*x0:]
	forced := e.forced[t]
	if !key && !forced {
		th := e.newTH[t]
		if j, ok := e.fbIndex[th]; ok {
			sx, sy, sw, sh := g.rect(int(j))
			if sw == w && sh == h && e.fbEqual(x0, y0, sx, sy, w, h) {
				p.ops = append(p.ops, opCopy)
				p.ops = appendSv(p.ops, sx-x0)
				p.ops = appendSv(p.ops, sy-y0)
				p.stats.Copied++
				e.copyTile(t, sx, sy)
				return
			}
		}
		if s, ok := e.stIndex[th]; ok && e.store.valid(int(s), w, h) {
			blk := e.store.slot(int(s))
			same := true
			for r := 0; r < h && same; r++ {
				same = bytes.Equal(src[r*stride:][:4*w], blk[r*4*w:][:4*w])
			}
			if same {
				p.ops = append(p.ops, opCache)
				p.ops = appendUv(p.ops, uint64(s))
				p.stats.Cached++
				e.exactTile(t)
				return
			}
		}
	}
	// A solid tile has all its row fingerprints equal: most tiles fail that test without reading a pixel.
	hs := e.newHash[(x0/tileSize)*g.h+y0:][:h]
	sameRows := true
	for _, v := range hs[1:] {
		if v != hs[0] {
			sameRows = false
			break
		}
	}
	if sameRows {
		if px, ok := solid(src, stride, w, h); ok {
			p.ops = append(p.ops, opSolid)
			p.ops = binary.LittleEndian.AppendUint32(p.ops, px)
			p.stats.Solid++
			e.exactTile(t)
			return
		}
	}
	p.stats.Runs++
	p.mapRefs(e, t, key || forced) // a refined tile is all literal
	allLit := p.allLiteral(h)
	e.wasLit[t] = !key && allLit

	// Literal pixels: class and alpha.
	// Runs, in raster order over the tile's pixels.
	nLit := 0
	p.ops = append(p.ops, opRuns, 0)
	flagAt := len(p.ops) - 1
	ref, n := p.rowRef[0], 0
	if ref == mixedRow {
		ref = p.refs[0]
	}
	flush := func(v uint8) {
		p.ops = appendUv(p.ops, uint64(n)<<4|uint64(ref))
		if ref == 0 {
			nLit += n
		} else if ref > 1 {
			p.stats.RefPixels += n
		}
		ref, n = v, 0
	}
	for r := range h {
		if rr := p.rowRef[r]; rr != mixedRow {
			if rr != ref {
				flush(rr)
			}
			n += w
			continue
		}
		for _, v := range p.refs[r*tileSize : r*tileSize+w] {
			if v != ref {
				flush(v)
			}
			n++
		}
	}
	flush(0)
	tainted := p.trackCopies(e, t)
	if nLit == 0 {
		return
	}
	if !key && e.coarse == 0 && e.wasPhoto[t] && h >= 8 && nLit >= 16 && allLit && p.planarIfPhoto(src, stride, w, h) {
		// Coded as the branch below would have, in one pass instead of two.
		p.ops[flagAt] |= 4
		p.stats.LitPixels += nLit
		p.stats.NatPixels += nLit
		p.photo = append(p.photo, int32(t)) //nolint:gosec // tile indexes fit the grid's int32
		return
	}
	// Natural or synthetic: a tile of text or flat UI has most pixels equal to their left neighbour, a photo
	// few; the whole tile is looked at, as literal pixels alone may be too few to tell.
	// When enough rows hold literal pixels, those rows are enough to tell.
	litRows := 0
	for r := range h {
		if rr := p.rowRef[r]; rr == 0 || rr == mixedRow {
			litRows++
		}
	}
	allRows := litRows < 8
	eqLeft, counted := 0, 0
	alpha := false
	for r := range h {
		rr := p.rowRef[r]
		if rr != 0 && rr != mixedRow && !allRows {
			continue
		}
		row := src[r*stride:][:4*w]
		counted += w
		n, all := rowStats(row)
		eqLeft += n
		switch rr {
		case 0:
			if all>>24 != 255 {
				alpha = true
			}
		case mixedRow:
			for m := p.litBit[r]; m != 0 && !alpha; m &= m - 1 {
				alpha = row[4*bits.TrailingZeros64(m)+3] != 255
			}
		}
	}
	natural := nLit >= 16 && 2*eqLeft < counted
	if alpha {
		p.ops[flagAt] |= 2
	}
	p.stats.LitPixels += nLit
	if natural && !key {
		// Photo-like literals of a delta frame (a scrolled picture, a video): planar, the cheap way. The
		// context-modelled coder, which costs about three times as much per pixel, is kept for key frames.
		p.ops[flagAt] |= 4
		p.stats.NatPixels += nLit
		p.photo = append(p.photo, int32(t)) //nolint:gosec // tile indexes fit the grid's int32
		if coarse := e.coarse > 0 && !alpha && !forced; coarse || tainted {
			// A picture come (uncovered by a scroll, say) while pictures may be coarse, or literals next to
			// coarse pixels: predicted from what the viewer holds.
			p.viewerTile(e, t, src, stride, w, h, coarse)
			p.planar(p.q[:], 4*w, w, h, alpha)
			p.stats.Coarse += b2i(coarse)
			return
		}
		p.planar(src, stride, w, h, alpha)
		return
	}
	if natural {
		p.ops[flagAt] |= 1
	}
	if !natural {
		for r := range h {
			rr := p.rowRef[r]
			if rr != 0 && rr != mixedRow {
				continue
			}
			row := src[r*stride:][:4*w]
			refs := p.refs[r*tileSize:]
			for x := range w {
				if rr == mixedRow && refs[x] != 0 {
					continue
				}
				px := row[4*x : 4*x+4]
				if alpha {
					p.syn = append(p.syn, px[0], px[1], px[2], px[3])
				} else {
					p.syn = append(p.syn, px[0], px[1], px[2])
				}
			}
		}
		return
	}
	p.stats.NatPixels += nLit
	p.photo = append(p.photo, int32(t)) //nolint:gosec // tile indexes fit the grid's int32
	for r := range h {
		row := src[r*stride:][:4*w]
		rr := p.rowRef[r]
		if rr != 0 && rr != mixedRow && !p.litNear(r, h) {
			continue // no literal sample in this row or the two below predicts from it
		}
		pl0, pl1, pl2 := p.pl[0][r*tileSize:][:w], p.pl[1][r*tileSize:][:w], p.pl[2][r*tileSize:][:w]
		for x := range w {
			pl0[x], pl1[x], pl2[x] = row[4*x], row[4*x+1], row[4*x+2]
		}
		if alpha && (rr == 0 || rr == mixedRow) {
			for x := range w {
				if rr == 0 || p.refs[r*tileSize+x] == 0 {
					p.syn = append(p.syn, row[4*x+3])
				}
			}
		}
	}
	for c := range 3 {
		p.natPlane(&p.pl[c], &p.res[c], w, h)
	}
}

// planar appends the residuals (of planarPred) of the tile's literal pixels to the first natural stream, B, G,
// R, and their alpha, when sent, to the synthetic stream.
func (p *encPart) planar(src []byte, stride, w, h int, alpha bool) {
	for r := range h {
		rr := p.rowRef[r]
		if rr != 0 && rr != mixedRow {
			continue
		}
		row := src[r*stride:][:4*w]
		var up []byte
		if r > 0 {
			up = src[(r-1)*stride:][:4*w]
		}
		if rr == 0 && up != nil && !alpha {
			p.planarRow(row, up)
			continue
		}
		refs := p.refs[r*tileSize:][:w]
		for x := range w {
			if rr == mixedRow && refs[x] != 0 {
				continue
			}
			px := row[4*x : 4*x+4]
			var b, g, rd byte
			if x > 0 && up != nil {
				l, u := row[4*x-4:4*x], up[4*x:4*x+4]
				b = px[0] - byte((int(l[0])+int(u[0])+1)>>1)
				g = px[1] - byte((int(l[1])+int(u[1])+1)>>1)
				rd = px[2] - byte((int(l[2])+int(u[2])+1)>>1)
			} else {
				b = px[0] - planarPred(row, up, x, 0)
				g = px[1] - planarPred(row, up, x, 1)
				rd = px[2] - planarPred(row, up, x, 2)
			}
			i := p.natPos[0]
			p.nat[i], p.nat[i+1], p.nat[i+2] = b, g, rd
			p.natPos[0] = i + 3
			if alpha {
				p.syn = append(p.syn, px[3])
			}
		}
	}
}

// rowStats returns how many pixels of a BGRA row equal their left neighbour, and the AND of its pixels (whose
// alpha byte is 255 when every pixel's is): what tile's rule for photo-like tiles and for alpha looks at.
func rowStats(row []byte) (eqLeft int, all uint32) {
	prev := binary.LittleEndian.Uint32(row)
	all = prev
	for x := 4; x < len(row); x += 4 {
		v := binary.LittleEndian.Uint32(row[x:])
		if v == prev {
			eqLeft++
		}
		all &= v
		prev = v
	}
	return eqLeft, all
}

// allLiteral reports whether all h rows of the tile are literal.
func (p *encPart) allLiteral(h int) bool {
	for _, rr := range p.rowRef[:h] {
		if rr != 0 {
			return false
		}
	}
	return true
}

// planarIfPhoto codes a tile whose pixels are all literal with planar, as tile would for a photo-like tile
// without alpha, counting as it goes what tile's rule looks at (pixels equal to their left neighbour, alpha).
// When the tile turns out not photo-like, or to have alpha, it takes the residuals back and returns false. It
// is tried first on tiles that were photo-like when they last changed: a playing video's tiles, read once
// instead of twice.
func (p *encPart) planarIfPhoto(src []byte, stride, w, h int) bool {
	pos := p.natPos[0]
	row := src[:4*w]
	nat := p.nat
	i := int(pos)
	eqLeft, all := rowStats(row)
	nat[i], nat[i+1], nat[i+2] = row[0], row[1], row[2]
	i += 3
	for x := 4; x < len(row); x += 4 {
		nat[i], nat[i+1], nat[i+2] = row[x]-row[x-4], row[x+1]-row[x-3], row[x+2]-row[x-2]
		i += 3
	}
	p.natPos[0] = int32(i) //nolint:gosec // within the stream's room
	for r := 1; r < h; r++ {
		n, a := p.planarRow(src[r*stride:][:4*w], src[(r-1)*stride:][:4*w])
		eqLeft += n
		all &= a
	}
	if all>>24 == 255 && 2*eqLeft < w*h {
		return true
	}
	p.natPos[0] = pos
	return false
}

// planarRow is planar for a row of literal pixels without alpha below the tile's first row, two pixels at a
// time: the rounded mean and the difference are taken on all eight bytes of a word at once. It also returns
// how many pixels equal their left neighbour and the AND of the row's pixels (whose alpha byte is 255 when
// every pixel's is), which the one-pass path counts.
func (p *encPart) planarRow(row, up []byte) (eqLeft int, all uint32) {
	i := int(p.natPos[0])
	if len(row) == 4*tileSize {
		// A full tile row: fixed bounds, which let the compiler drop its checks from the loop.
		eqLeft, all = planarFull((*[3*tileSize + 1]byte)(p.nat[i:]), (*[4 * tileSize]byte)(row), (*[4 * tileSize]byte)(up[:4*tileSize]))
		p.natPos[0] = int32(i + 3*tileSize) //nolint:gosec // within the stream's room
		return eqLeft, all
	}
	nat := p.nat
	all = ^uint32(0)
	for x := 0; x < len(row); x += 4 {
		v := binary.LittleEndian.Uint32(row[x:])
		all &= v
		if x == 0 {
			for c := range 3 {
				nat[i+c] = row[c] - up[c]
			}
		} else {
			if v == binary.LittleEndian.Uint32(row[x-4:]) {
				eqLeft++
			}
			for c := range 3 {
				nat[i+c] = row[x+c] - byte((int(row[x-4+c])+int(up[x+c])+1)>>1)
			}
		}
		i += 3
	}
	p.natPos[0] = int32(i) //nolint:gosec // within the stream's room
	return eqLeft, all
}

// planarFull is planarRow for a full tile row into dst (one byte more than the residuals, written over).
func planarFull(dst *[3*tileSize + 1]byte, row, up *[4 * tileSize]byte) (eqLeft int, all uint32) {
	const lo7, hi = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	dst[0], dst[1], dst[2] = row[0]-up[0], row[1]-up[1], row[2]-up[2]
	first := binary.LittleEndian.Uint32(row[:4])
	and := uint64(first) | 0xffffffff<<32
	last := binary.LittleEndian.Uint32(row[4*tileSize-4:])
	for k := 1; k < tileSize-1; k += 2 {
		c := binary.LittleEndian.Uint64(row[4*k : 4*k+8])
		l := binary.LittleEndian.Uint64(row[4*k-4 : 4*k+4])
		u := binary.LittleEndian.Uint64(up[4*k : 4*k+8])
		if e := c ^ l; uint32(e) == 0 || e>>32 == 0 { // rare in a photo: a branch that is almost never taken
			eqLeft += b2i(uint32(e) == 0) + b2i(e>>32 == 0)
		}
		and &= c
		m := (l | u) - ((l ^ u) >> 1 & lo7) // (l + u + 1) >> 1 in each byte
		d := ((c | hi) - (m &^ hi)) ^ ((c ^ ^m) & hi)
		// Each store writes a byte more than the pixel's three; the next store or dst's last byte takes it.
		binary.LittleEndian.PutUint32(dst[3*k:3*k+4], uint32(d))
		binary.LittleEndian.PutUint32(dst[3*k+3:3*k+7], uint32(d>>32))
	}
	// The last pixel (tileSize is even, so one is left after the pairs).
	k := tileSize - 1
	eqLeft += b2i(last == binary.LittleEndian.Uint32(row[4*k-4:4*k]))
	for c := range 3 {
		dst[3*k+c] = row[4*k+c] - byte((int(row[4*k-4+c])+int(up[4*k+c])+1)>>1)
	}
	return eqLeft, uint32(and) & uint32(and>>32) & last
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// litNear reports whether row r+1 or r+2 of the tile holds literal pixels.
func (p *encPart) litNear(r, h int) bool {
	for _, q := range [2]int{r + 1, r + 2} {
		if q < h && (p.rowRef[q] == 0 || p.rowRef[q] == mixedRow) {
			return true
		}
	}
	return false
}

// natCap is the room of each natural-residual stream: a chunk plus one tile's worth.
const natCap = chunkBytes + 3*tilePix

// natPlane appends the residuals of the literal samples of one plane to the context streams.
func (p *encPart) natPlane(pl, res *plane, w, h int) {
	nat := p.nat
	pos := &p.natPos
	put := func(k uint8, z byte) {
		nat[pos[k&(nCtx-1)]] = z
		pos[k&(nCtx-1)]++
	}
	for r := range h {
		rr := p.rowRef[r]
		resRow := res[r*tileSize:][:w]
		if rr != 0 && rr != mixedRow {
			clear(resRow)
			continue
		}
		if rr == mixedRow && r >= 2 && w >= 5 {
			// A row partly copied: its literal samples only; copied samples count as residual 0.
			clear(resRow)
			i0 := r * tileSize
			cur, up, up2 := pl[i0:i0+w], pl[i0-tileSize:i0-tileSize+w], pl[i0-2*tileSize:i0-2*tileSize+w]
			rc, ru := res[i0:i0+w], res[i0-tileSize:i0-tileSize+w]
			for m := p.litBit[r]; m != 0; m &= m - 1 {
				x := bits.TrailingZeros64(m)
				if x < 2 || x >= w-2 {
					i := i0 + x
					z := zigzag(pl[i] - byte(natPredict(pl, x, r, w)))
					res[i] = z
					put(natCtx(res, x, r, w), z)
					continue
				}
				v := 15*int(cur[x-1]) + 7*int(cur[x-2]) +
					8*int(up[x]) - 2*int(up[x-1]) + 5*int(up[x+1]) - 4*int(up[x-2]) + 2*int(up[x+2]) +
					3*int(up2[x]) - 2*int(up2[x-1])
				v = (v + 16) >> 5
				v = max(0, min(255, v))
				z := zigzag(cur[x] - byte(v))
				rc[x] = z
				a := int(rc[x-1]) + int(ru[x]) + (int(ru[x-1])+int(ru[x+1]))>>1
				put(ctxTable[min(a, 255)], z)
			}
			continue
		}
		if r >= 2 && w >= 5 {
			// Fast path: a literal row away from the top: only the first two and last two samples need the
			// edge rules.
			i0 := r * tileSize
			for x := range 2 {
				i := i0 + x
				z := zigzag(pl[i] - byte(natPredict(pl, x, r, w)))
				res[i] = z
				put(natCtx(res, x, r, w), z)
			}
			cur := pl[i0 : i0+w]
			up := pl[i0-tileSize : i0-tileSize+w]
			up2 := pl[i0-2*tileSize : i0-2*tileSize+w]
			rc := res[i0 : i0+w]
			ru := res[i0-tileSize : i0-tileSize+w]
			// The neighbours slide along in registers.
			l1, l2 := int(cur[1]), int(cur[0])
			um2, um1, u0, u1 := int(up[0]), int(up[1]), int(up[2]), int(up[3])
			vm1 := int(up2[1])
			rm1, r0 := int(ru[1]), int(ru[2])
			z1 := int(rc[1])
			for x := 2; x < w-2; x++ {
				u2 := int(up[x+2])
				v0 := int(up2[x])
				r1 := int(ru[x+1])
				c := int(cur[x])
				v := 15*l1 + 7*l2 + 8*u0 - 2*um1 + 5*u1 - 4*um2 + 2*u2 + 3*v0 - 2*vm1
				v = (v + 16) >> 5
				v = max(0, min(255, v))
				z := zigzag(byte(c - v))
				rc[x] = z
				put(ctxTable[min(z1+r0+(rm1+r1)>>1, 255)], z)
				z1 = int(z)
				l2, l1 = l1, c
				um2, um1, u0, u1 = um1, u0, u1, u2
				vm1 = v0
				rm1, r0 = r0, r1
			}
			for x := w - 2; x < w; x++ {
				i := i0 + x
				z := zigzag(pl[i] - byte(natPredict(pl, x, r, w)))
				res[i] = z
				put(natCtx(res, x, r, w), z)
			}
			continue
		}
		for x := range w {
			i := r*tileSize + x
			if rr == mixedRow && p.refs[i] != 0 {
				res[i] = 0
				continue
			}
			z := zigzag(pl[i] - byte(natPredict(pl, x, r, w)))
			res[i] = z
			put(natCtx(res, x, r, w), z)
		}
	}
}

// solid reports whether the w×h block at src is one colour, and which.
func solid(src []byte, stride, w, h int) (uint32, bool) {
	px := binary.LittleEndian.Uint32(src)
	for r := range h {
		row := src[r*stride:][:4*w]
		for x := 0; x < len(row); x += 4 {
			if binary.LittleEndian.Uint32(row[x:]) != px {
				return 0, false
			}
		}
	}
	return px, true
}

// mapRefs fills p.refs for tile t: for each pixel, the vector (1-based) that copies it, or 0 for literal.
func (p *encPart) mapRefs(e *Encoder, t int, key bool) {
	g := e.g
	cur := e.cur
	x0, y0, w, h := g.rect(t)
	col := x0 / tileSize
	mask := e.rowMask[t]
	ref := e.ref
	last := 0 // the ref of the previous row, tried first
	// A tile of a playing video (photo-like and all literal when it last changed, in a frame where nothing
	// moved) is not searched pixel by pixel for what stayed: reading the frame before costs as much as coding
	// the tile, for pixels that stay only by chance. One frame in searchEvery is searched, which finds what has
	// come to stay in it since (a logo, a subtitle). A frame with motion is always searched.
	whole := !key && len(e.vecs) == 1 && e.wasPhoto[t] && e.wasLit[t] && e.seq%searchEvery != 0
	for r := range h {
		refs := p.refs[r*tileSize : r*tileSize+w]
		if key {
			p.rowRef[r] = 0
			continue
		}
		if mask&(1<<r) == 0 {
			p.rowRef[r] = 1
			last = 1
			continue
		}
		y := y0 + r
		nrow := cur.Pix[y*cur.Stride+4*x0:][:4*w]
		// A whole row copied by one vector.
		full := 0
		if last > 1 && e.rowMatch(last-1, nrow, x0, y, col) {
			full = last
		} else {
			for k := 1; k < len(e.vecs); k++ {
				if k+1 != last && e.rowMatch(k, nrow, x0, y, col) {
					full = k + 1
					break
				}
			}
		}
		if full != 0 {
			p.rowRef[r] = uint8(full)
			last = full
			continue
		}
		if whole {
			p.rowRef[r] = 0
			last = 0
			continue
		}
		// Pixel by pixel: bitmaps of the pixels each vector copies, in runs of at least minCopy.
		nv := len(e.vecs)
		var copied uint64
		for k := range nv {
			v := e.vecs[k]
			sy := y + v.dy
			var bm uint64
			if sy >= 0 && sy < g.h {
				xa := max(0, -(x0 + v.dx))
				xb := min(w, g.w-(x0+v.dx))
				if xa < xb {
					a, b := nrow[4*xa:4*xb], ref.Pix[sy*ref.Stride+4*(x0+v.dx+xa):][:4*(xb-xa)]
					if anySampled(a, b) {
						bm = longRuns(eqBitmap(a, b) << xa)
					}
				}
			}
			p.rowBit[k] = bm
			copied |= bm
		}
		if copied == 0 {
			// All literal (a playing video, where a pixel here and there equals the frame before by chance).
			p.rowRef[r] = 0
			last = 0
			continue
		}
		p.rowRef[r] = mixedRow
		var lit uint64
		run := last
		for x := 0; x < w; {
			if run > 0 && p.rowBit[run-1]&(1<<x) != 0 {
				l := min(bits.TrailingZeros64(^(p.rowBit[run-1] >> x)), w-x)
				for j := range l {
					refs[x+j] = uint8(run)
				}
				x += l
				continue
			}
			if copied&(1<<x) == 0 {
				// Literal up to the next copied pixel.
				l := min(bits.TrailingZeros64(copied>>x), w-x)
				clear(refs[x : x+l])
				lit |= (^uint64(0) >> (64 - l)) << x
				x += l
				continue
			}
			best, bestLen := 0, 0
			for k := range nv {
				if l := bits.TrailingZeros64(^(p.rowBit[k] >> x)); l > bestLen {
					best, bestLen = k+1, l
				}
			}
			bestLen = min(bestLen, w-x)
			for j := range bestLen {
				refs[x+j] = uint8(best)
			}
			x += bestLen
			run = best
		}
		p.litBit[r] = lit
		last = run
	}
}

// searchEvery is how often (in frames) the tiles of a playing video are searched pixel by pixel for runs that
// stayed.
const searchEvery = 8

// minCopy is the shortest run of pixels a row partly copied takes from the viewer's screen. Shorter matches are
// chance (a pixel of a playing video equal to the one before it): as literals they cost less than the two runs
// they break the row into, and a row with none left is coded as all literal, on the fast paths.
const minCopy = 4

// longRuns keeps the runs of at least minCopy set bits of bm.
func longRuns(bm uint64) uint64 {
	starts := bm // bit x: bits x..x+minCopy-1 all set
	for i := 1; i < minCopy; i++ {
		starts &= bm >> i
	}
	keep := starts
	for i := 1; i < minCopy; i++ {
		keep |= starts << i
	}
	return keep
}

// anySampled reports whether a and b (BGRA rows of equal length) have an equal pixel among every minCopy-th
// one, as every run of minCopy equal pixels has: most rows of a playing video have none, and need no eqBitmap.
func anySampled(a, b []byte) bool {
	b = b[:len(a)]
	for x := 0; x+4 <= len(a); x += 4 * minCopy {
		if binary.LittleEndian.Uint32(a[x:]) == binary.LittleEndian.Uint32(b[x:]) {
			return true
		}
	}
	return false
}

// eqBitmap returns the bitmap of the pixels (at most 64) where a and b (of equal length) are equal.
func eqBitmap(a, b []byte) uint64 {
	b = b[:len(a)]
	var bm uint64
	n := 0
	for ; n+8 <= len(a); n += 8 {
		d := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:])
		if d == 0 {
			bm |= 3 << (n >> 2)
			continue
		}
		if uint32(d) == 0 {
			bm |= 1 << (n >> 2)
		}
		if d>>32 == 0 {
			bm |= 2 << (n >> 2)
		}
	}
	if n+4 <= len(a) && binary.LittleEndian.Uint32(a[n:]) == binary.LittleEndian.Uint32(b[n:]) {
		bm |= 1 << (n >> 2)
	}
	return bm
}

// rowMatch reports whether vector k copies the whole row segment nrow at (x0, y) of tile column col.
func (e *Encoder) rowMatch(k int, nrow []byte, x0, y, col int) bool {
	v := e.vecs[k]
	sy, sx := y+v.dy, x0+v.dx
	w := len(nrow) / 4
	if sy < 0 || sy >= e.g.h || sx < 0 || sx+w > e.g.w {
		return false
	}
	if v.dx == 0 && e.rowHash[col*e.g.h+sy] != e.newHash[col*e.g.h+y] {
		return false
	}
	old := e.ref.Pix[sy*e.ref.Stride+sx*4:][:4*w]
	// The first pixel tells most rows that do not match, without bytes.Equal's setup.
	return binary.LittleEndian.Uint32(nrow) == binary.LittleEndian.Uint32(old) && bytes.Equal(nrow, old)
}
