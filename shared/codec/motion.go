package codec

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// motion finds the frame's motion vectors: displacements (dx, dy) such that many changed pixels equal the
// viewer's pixel at (x+dx, y+dy). It indexes the viewer's row segments (tile-column aligned, 64 pixels) of the
// changed tiles by hash, then
//   - looks up every fourth changed row segment of the new frame (not one equal to the row above: blank space
//     cannot vote): a unique hit votes for its displacement, which is vertical for scrolls, or a multiple of
//     64 pixels across;
//   - for a sample of the rows that found nothing, checks the last frame's sideways vectors byte for byte
//     and, unless they explain most of the sample, rolls a 64-pixel window across the new row and looks up
//     every position, which finds any horizontal displacement (a dragged window).
//
// Vectors with enough votes are returned, most votes first, after vector 0 (unchanged).
type motion struct {
	idx    htab
	vvotes []int32 // vertical votes by dy+h
	vtouch []int32
	votes  map[vec]int32
	unexpl []int32 // sampled (tile<<6 | row) that found no match
	cands  []vecVotes
	prev   []vec // the last frame's vectors (without vector 0)
}

type vecVotes struct {
	v vec
	n int32
}

const (
	minVotes     = 3  // a vector needs this many row votes
	maxUnexpl    = 64 // rows sampled for the rolling search
	maxVecSearch = 8  // vectors kept (including vector 0)
)

func (m *motion) find(e *Encoder, cur Frame, out []vec) []vec {
	g := e.g
	out = append(out[:0], vec{})
	if len(e.changed) == 0 {
		return out
	}
	rows := 0
	for _, t := range e.changed {
		_, _, _, h := g.rect(int(t))
		rows += h
	}
	m.idx.reset(rows)
	for _, t := range e.changed {
		x0, y0, _, h := g.rect(int(t))
		col := x0 / tileSize
		hs := e.rowHash[col*g.h+y0:][:h]
		slot := -1
		for r, hr := range hs {
			// A row equal to the one above (blank space) only makes that row's content repeated.
			if r > 0 && hr == hs[r-1] {
				m.idx.repeat(slot)
				continue
			}
			slot = m.idx.insert(hr, int32(col*g.h+y0+r))
		}
	}
	if len(m.vvotes) < 2*g.h+1 {
		m.vvotes = make([]int32, 2*g.h+1)
	}
	if m.votes == nil {
		m.votes = make(map[vec]int32)
	}
	clear(m.votes)
	m.vtouch = m.vtouch[:0]
	m.unexpl = m.unexpl[:0]
	nUnexpl := 0
	for _, t := range e.changed {
		x0, y0, _, h := g.rect(int(t))
		col := x0 / tileSize
		mask := e.rowMask[t]
		for r := range h {
			// Every fourth changed row is enough to vote.
			if mask&(1<<r) == 0 || r&3 != 0 {
				continue
			}
			y := y0 + r
			nh := e.newHash[col*g.h+y]
			if r > 0 && nh == e.newHash[col*g.h+y-1] {
				continue // the same as the row above: repeated content, it cannot vote
			}
			v, n := m.idx.find(nh)
			switch {
			case n == 1:
				pc, py := int(v)/g.h, int(v)%g.h
				if pc == col {
					dy := py - y
					if m.vvotes[dy+g.h] == 0 {
						m.vtouch = append(m.vtouch, int32(dy+g.h))
					}
					m.vvotes[dy+g.h]++
				} else {
					m.votes[vec{(pc - col) * tileSize, py - y}]++
				}
			case n == 0:
				nUnexpl++
				if len(m.unexpl) < 4*maxUnexpl {
					m.unexpl = append(m.unexpl, t<<6|int32(r))
				}
			}
		}
	}
	// Roll across a sample of the unexplained rows, unless the last frame's sideways vectors explain most of
	// them (a window dragged at a steady speed).
	if nUnexpl >= minVotes {
		step := max(1, len(m.unexpl)/maxUnexpl)
		if !m.tryPrev(e, cur, step) {
			for i := 0; i < len(m.unexpl); i += step {
				u := m.unexpl[i]
				m.roll(e, cur, int(u>>6), int(u&63))
			}
		}
	}
	m.cands = m.cands[:0]
	for _, i := range m.vtouch {
		if n := m.vvotes[i]; n >= minVotes {
			m.cands = append(m.cands, vecVotes{vec{0, int(i) - g.h}, n})
		}
		m.vvotes[i] = 0
	}
	for v, n := range m.votes {
		if n >= minVotes {
			m.cands = append(m.cands, vecVotes{v, n})
		}
	}
	slices.SortFunc(m.cands, func(a, b vecVotes) int {
		if a.n != b.n {
			return int(b.n - a.n)
		}
		if a.v.dy != b.v.dy {
			return a.v.dy - b.v.dy
		}
		return a.v.dx - b.v.dx
	})
	for _, c := range m.cands {
		if len(out) >= maxVecSearch {
			break
		}
		if c.v != (vec{}) {
			out = append(out, c.v)
		}
	}
	m.prev = append(m.prev[:0], out[1:]...)
	return out
}

// tryPrev checks the sampled unexplained rows (every step-th) against the last frame's sideways vectors,
// byte for byte, voting for those that copy a row. It reports whether they explained at least three quarters
// of the sample, which makes the rolling search unneeded.
func (m *motion) tryPrev(e *Encoder, cur Frame, step int) bool {
	g := e.g
	n, explained := 0, 0
	for i := 0; i < len(m.unexpl); i += step {
		u := m.unexpl[i]
		x0, y0, w, _ := g.rect(int(u >> 6))
		y := y0 + int(u&63)
		n++
		seg := cur.Pix[y*cur.Stride+4*x0:][:4*w]
		for _, v := range m.prev {
			if v.dx == 0 {
				continue
			}
			sx, sy := x0+v.dx, y+v.dy
			if sy < 0 || sy >= g.h || sx < 0 || sx+w > g.w {
				continue
			}
			if bytes.Equal(seg, e.ref.Pix[sy*e.ref.Stride+4*sx:][:4*w]) {
				m.votes[v] += 2 // as many as a rolled row finds (the two tile columns it overlaps)
				explained++
				break
			}
		}
	}
	return 4*explained >= 3*n
}

// roll slides a 64-pixel window along row r of tile t in the new frame, over every start that overlaps the
// tile, and votes for the displacement of every unique hit among the viewer's row segments.
func (m *motion) roll(e *Encoder, cur Frame, t, r int) {
	g := e.g
	if g.w < tileSize {
		return
	}
	x0, y0, _, _ := g.rect(t)
	y := y0 + r
	lo := max(0, x0-tileSize+1)
	hi := min(g.w-tileSize, x0+tileSize-1) // last window start
	if hi < lo {
		return
	}
	row := cur.Pix[y*cur.Stride:][:4*g.w]
	// The window's samples are every hashGap pixels: roll each residue class of starts separately.
	for r0 := lo; r0 < lo+hashGap && r0 <= hi; r0++ {
		h := segHash(row[4*r0 : 4*r0+4*tileSize])
		for xs := r0; ; xs += hashGap {
			if v, n := m.idx.find(h); n == 1 {
				pc, py := int(v)/g.h, int(v)%g.h
				dx, dy := pc*tileSize-xs, py-y
				if dx != 0 {
					m.votes[vec{dx, dy}]++
				}
			}
			if xs+hashGap > hi {
				break
			}
			out := uint64(binary.LittleEndian.Uint32(row[4*xs:]))
			in := uint64(binary.LittleEndian.Uint32(row[4*(xs+tileSize):]))
			h = (h-out*hashBTop)*hashB + in
		}
	}
}
