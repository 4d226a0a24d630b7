package session

import (
	"bytes"
	"fmt"
	"image"
	"math/bits"
	"runtime"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// Lossy video for moving photographic regions. The lossless codec codes a playing video at a few frames a
// second on a home link; so, when the viewer accepts it (protocol.ViewOptions), the sharer finds the region
// that keeps changing with photographic content and sends it as VP8 at the rate the link allows, over the
// lossless picture. The lossless codec is told nothing: it is given the frame with the region as it last sent
// it (masked), so its picture of the viewer's framebuffer stays exact; when the region stops moving, the
// sharer says VideoEnd and gives it the real frame again, which makes the region exact on the next frame.

const (
	// videoHotFrames is how many of the last four lossless frames must have coded a tile as photo-like for it
	// to count as moving photographic content.
	videoHotFrames = 2
	// videoMinTiles is the fewest such tiles worth a video region (about 180×180 pixels).
	videoMinTiles = 8
	// videoMinSide is the fewest tiles a video region spans each way: the strip that a scrolled page uncovers
	// at its edge, or the wallpaper uncovered beside a dragged window, changes with photographic content frame
	// after frame too, but is a band a few tiles thick, and the lossless codec carries it better.
	videoMinSide = 4
	// videoFirstCrossing is how long the exact picture of a photographic region that changes may take the link
	// before it is sent lossy first; photoBytesPerPixel is about what the lossless codec spends on such a region
	// (1.4 MB for the natural-video recording's 1280×720 player).
	videoFirstCrossing = time.Second
	photoBytesPerPixel = 1.5
	// videoFPS is the frame rate the lossless codec must be able to keep on the link for a region to stay
	// lossless.
	videoFPS = 20
	// videoShare is the part of the link's rate given to the video: the pacer's estimate is the best recent sample,
	// which runs a quarter or more above what a lossy link delivers (profile A: 12 to 14 Mbit/s on 10).
	videoShare = 0.6
	// videoStill is how long the region must stay unchanged before it is handed back to the lossless codec:
	// longer than the gap between two pictures of a video played at 10 frames a second. Where the region's
	// exact picture takes the link long to carry, it waits an eighth of that time, up to videoMaxStill: a player
	// that stalls for a moment (a busy computer, a buffering stream) must not start seconds of lossless picture
	// that would hold the video up when it plays on (profile B: 540 kB for an 830×450 player, 3 s at the rate
	// left after the loss shield).
	videoStill, videoMaxStill = 120 * time.Millisecond, time.Second
	// videoFrameGap is the longest time between two VP8 frames that the encoder's rate control is told of: the
	// link, not the encoder, decides how often a frame goes, and an encoder told that a second passed between
	// two frames codes the next one a second's worth of bits large, which makes the link slower still.
	videoFrameGap = 40 * time.Millisecond
	// crawlCrossing and crawlFrames: when crawlFrames lossless frames in a row each took the link more than
	// crawlCrossing (profile B: a page scrolled, 150 to 200 kB a frame, a frame every 1 to 2 s), what changes
	// next goes as video, whatever it is (see crawl).
	crawlCrossing, crawlFrames = 500 * time.Millisecond, 2
	// videoMinKbps and videoMaxKbps bound the rate asked of the VP8 encoder.
	videoMinKbps, videoMaxKbps = 150, 20000
)

// videoSender decides, for one screen stream, which region goes lossy, and codes it. Only the capture loop
// uses it.
type videoSender struct {
	allowed  bool    // the viewer accepts lossy video (ViewOptions.Lossy) and VP8 is built in
	heat     []uint8 // per tile of the frame's grid: bit k set if the lossless frame k frames ago coded it photo-like
	region   image.Rectangle
	enc      *vpx.Encoder
	kbps     int
	base     []byte // the region's pixels as the lossless codec last sent them (under the video on the viewer)
	last     []byte // the region's pixels as last sent in VP8, to see when it stops changing
	moved    time.Time
	stillFor time.Duration  // how long the region must stay unchanged before it goes back to the lossless codec
	encoded  time.Time      // when the last VP8 frame was coded
	clock    int64          // the encoder's clock, in ms: real time between frames, at most videoFrameGap a frame
	masked   [2]codec.Frame // the frames given to the lossless codec while a region is lossy, in turn
	flip     int
	// pending holds the tiles that the last lossless frame that changed anything coded photo-like where it
	// changed them in place, and pendingBytes that frame's size: when they change again, with photographic
	// content, before the next frame is coded, confirm may start the region at once.
	pending      []int32
	pendingBytes int
	changedTiles []int32 // confirm's scratch
	changedMap   []bool  // observe's scratch: the tiles the frame changed
	// slow counts the lossless frames in a row that changed something and took the link over crawlCrossing.
	slow int
}

// active reports whether a region is sent lossy.
func (v *videoSender) active() bool { return !v.region.Empty() }

// allow records the viewer's choice.
func (v *videoSender) allow(lossy bool) { v.allowed = lossy && vpx.Available() }

// observe takes what the lossless codec did with frame f (the photo-like tiles, what it moved, the packet's size)
// and the link's rate (bytes per second, 0: unknown), and starts a lossy region when a large part of the screen
// keeps changing in place with photographic content that the link cannot carry losslessly at videoFPS. It
// reports whether it started one. Where it did not, the tiles that f changed with photographic content are kept
// for confirm.
//
// The photo-like tiles of a frame that moved more pixels than it coded photo-like (a scroll, a dragged window)
// do not count: they are what the movement uncovered (a page's pictures entering at its edge), which the next
// frames move on instead of changing in place. On a slow link, where the sharer ships a frame while the page
// scrolls several, that band grew thick enough to pass for a video, and a page of text went lossy.
func (v *videoSender) observe(f codec.Frame, photo []int32, changed []codec.Rect, st codec.EncodeStats, pktBytes int, rate float64,
	now time.Time) bool {
	if st.RefPixels+st.Copied*codec.TileSize*codec.TileSize > st.NatPixels {
		photo = nil
	}
	gw, gh := gridSize(f)
	if len(v.heat) != gw*gh {
		v.heat = make([]uint8, gw*gh)
	}
	for i := range v.heat {
		v.heat[i] <<= 1
	}
	for _, t := range photo {
		if int(t) < len(v.heat) {
			v.heat[t] |= 1
		}
	}
	// The tiles are kept for confirm even before the link's rate is known: a video that starts as the first
	// picture lands (a session joined to help with a video) is seen before its first acknowledgement. A frame
	// that changed nothing leaves them.
	if st.ChangedTiles > 0 {
		v.expect(photo, pktBytes)
		if rate > 0 && float64(pktBytes) > rate*crawlCrossing.Seconds() {
			v.slow++
		} else {
			v.slow = 0
		}
	}
	if !v.allowed || !tooSlow(pktBytes, rate) {
		return false
	}
	hot := v.changedTiles[:0]
	for t, h := range v.heat {
		if bits.OnesCount8(h&0x0f) >= videoHotFrames {
			hot = append(hot, int32(t)) //nolint:gosec // a tile index of the frame's grid
		}
	}
	v.changedTiles = hot
	box, ok := tileBox(hot, gw)
	if !ok {
		return false
	}
	// On a slow link a page scrolls further between two frames than the codec looks for its motion, and its
	// pictures seem to change in place: the text around them changed too.
	if len(v.changedMap) != gw*gh {
		v.changedMap = make([]bool, gw*gh)
	}
	clear(v.changedMap)
	for _, r := range changed {
		for x := r.X; x < r.X+r.W; x += codec.TileSize {
			if t := r.Y/codec.TileSize*gw + x/codec.TileSize; t < len(v.changedMap) {
				v.changedMap[t] = true
			}
		}
	}
	if !staysPut(box, gw, gh, func(t int32) bool { return v.changedMap[t] }) {
		return false
	}
	return v.start(f, box, pktBytes, rate, now)
}

// tooSlow reports whether a link of rate bytes per second (0: unknown) is too slow for frames of pktBytes at
// videoFPS in the share of it that the video would have.
func tooSlow(pktBytes int, rate float64) bool {
	return rate > 0 && float64(pktBytes)*videoFPS > rate*videoShare
}

// expect records the photo-like tiles of a frame the lossless codec coded, pktBytes long, for confirm.
func (v *videoSender) expect(photo []int32, pktBytes int) {
	v.pending = append(v.pending[:0], photo...)
	v.pendingBytes = pktBytes
}

// confirm is called with the frame the lossless codec last coded (prev) and the next one (cur), before cur is
// coded; it starts a lossy region, and reports true, in two cases where observe would have the lossless codec
// code the change first.
//
//   - A region changes again: most of the tiles that prev changed with photographic content (expect) change
//     again, still photographic, on a link that cannot carry such frames losslessly at videoFPS. Observe would
//     see the second change only after coding it: on profile B, 1.4 MB, six seconds of link, for a 1280×720
//     player.
//   - A large photographic region changes into another picture (a paused video that plays on, a slideshow's
//     next picture), or a plain one into a picture (a black player that starts), whose exact picture would take
//     the link more than videoFirstCrossing: the picture that fits the link comes first, and the exact one once
//     the region is still.
//
// Either way the region's surroundings must stay put: a page that starts to scroll moves its text around its
// pictures too; and the tiles must still look photographic: a window opened on a photographic wallpaper turns
// the wallpaper's tiles into text.
func (v *videoSender) confirm(prev, cur codec.Frame, rate float64, now time.Time) bool {
	if !v.allowed || rate <= 0 || prev.Width != cur.Width || prev.Height != cur.Height {
		return false
	}
	gw, gh := gridSize(cur)
	differs := func(t int32) bool { return tileDiffers(prev, cur, t, gw) }
	if len(v.pending) > 0 && tooSlow(v.pendingBytes, rate) {
		changed := v.changedTiles[:0]
		for _, t := range v.pending {
			if tileDiffers(prev, cur, t, gw) && tilePhotographic(cur, t, gw) {
				changed = append(changed, t)
			}
		}
		v.changedTiles = changed
		if box, ok := tileBox(changed, gw); ok {
			box = growToEdges(prev, cur, box, gw, gh)
			if staysPut(box, gw, gh, differs) {
				// The region's exact picture costs about its share of the frame that prev was.
				return v.start(prev, box, v.pendingBytes*len(changed)/len(v.pending), rate, now)
			}
		}
	}
	firstBytes := func(px int) bool { return float64(px)*photoBytesPerPixel >= rate*videoFirstCrossing.Seconds() }
	if !firstBytes(cur.Width * cur.Height) {
		return false // even the whole screen crosses the link quickly enough: no need to look
	}
	// A picture that turns into another (a video's frames, a slideshow's pictures), or a plain area that turns
	// into a picture (a black player that starts to play): what a dragged window uncovers on a photographic
	// wallpaper was the window before, text and lines.
	changed := v.changedTiles[:0]
	for t := range int32(gw * gh) { //nolint:gosec // the grid of a frame no larger than codec allows
		if tileDiffers(prev, cur, t, gw) && tilePhotographic(cur, t, gw) && (tilePhotographic(prev, t, gw) || tileUniform(prev, t, gw)) {
			changed = append(changed, t)
		}
	}
	v.changedTiles = changed
	box, ok := tileBox(changed, gw)
	if !ok {
		return false
	}
	box = growToEdges(prev, cur, box, gw, gh)
	px := box.Dx() * box.Dy() * codec.TileSize * codec.TileSize
	if !firstBytes(px) || !staysPut(box, gw, gh, differs) {
		return false
	}
	return v.start(prev, box, int(float64(px)*photoBytesPerPixel), rate, now)
}

// crawl is called, like confirm, with the frame the lossless codec last coded (prev) and the next one (cur),
// before cur is coded. When the link has been far too slow for the lossless frames of what changes (crawlFrames
// in a row took it over crawlCrossing each), it makes what changed between them a lossy region, whatever it is
// (a page scrolled, a window dragged), and reports true. Elsewhere a scroll stays copies and what it uncovers
// stays lossless (see observe); on such a link that costs a frame every one or two seconds (profile B:
// web-scroll at 0.4 to 0.8 frames a second, each 150 to 200 kB), and the page moves on as video instead.
func (v *videoSender) crawl(prev, cur codec.Frame, rate float64, now time.Time) bool {
	if !v.allowed || rate <= 0 || v.slow < crawlFrames || prev.Width != cur.Width || prev.Height != cur.Height {
		return false
	}
	gw, gh := gridSize(cur)
	changed := v.changedTiles[:0]
	for t := range int32(gw * gh) { //nolint:gosec // the grid of a frame no larger than codec allows
		if tileDiffers(prev, cur, t, gw) {
			changed = append(changed, t)
		}
	}
	v.changedTiles = changed
	box, ok := tileBox(changed, gw)
	return ok && v.start(prev, box, v.pendingBytes, rate, now)
}

// staysPut reports whether, on each side of box (in tile units), most of the tiles two away from it (those next
// to it may hold the edge of a video that does not fall on the tile grid) did not change (differs). Each
// side on its own: a page that scrolls in a column between still margins moves the text above and below its
// pictures, while the margins beside them stay put.
func staysPut(box image.Rectangle, gw, gh int, differs func(t int32) bool) bool {
	grid := image.Rect(0, 0, gw, gh)
	out := box.Inset(-2)
	for _, side := range []image.Rectangle{
		image.Rect(out.Min.X, out.Min.Y, out.Max.X, out.Min.Y+1), // above
		image.Rect(out.Min.X, out.Max.Y-1, out.Max.X, out.Max.Y), // below
		image.Rect(out.Min.X, out.Min.Y, out.Min.X+1, out.Max.Y), // left
		image.Rect(out.Max.X-1, out.Min.Y, out.Max.X, out.Max.Y), // right
	} {
		side = side.Intersect(grid)
		n, moved := 0, 0
		for ty := side.Min.Y; ty < side.Max.Y; ty++ {
			for tx := side.Min.X; tx < side.Max.X; tx++ {
				n++
				if differs(int32(ty*gw + tx)) { //nolint:gosec // a tile index of the frame's grid
					moved++
				}
			}
		}
		if 2*moved > n {
			return false
		}
	}
	return true
}

// growToEdges grows box (in tile units) by a tile on each side where most of the tiles along it changed between
// prev and cur: a video whose edge does not fall on the tile grid changes a few rows or columns of them, too
// few to look photographic, and left out they would be coded losslessly at every frame (on profile B, a 1280×720
// player's 16 rows off the grid cost more than its VP8 frame).
func growToEdges(prev, cur codec.Frame, box image.Rectangle, gw, gh int) image.Rectangle {
	grid := image.Rect(0, 0, gw, gh)
	grown := box
	for _, side := range []image.Rectangle{
		image.Rect(box.Min.X, box.Min.Y-1, box.Max.X, box.Min.Y), // above
		image.Rect(box.Min.X, box.Max.Y, box.Max.X, box.Max.Y+1), // below
		image.Rect(box.Min.X-1, box.Min.Y, box.Min.X, box.Max.Y), // left
		image.Rect(box.Max.X, box.Min.Y, box.Max.X+1, box.Max.Y), // right
	} {
		if !side.In(grid) {
			continue
		}
		changed := 0
		for ty := side.Min.Y; ty < side.Max.Y; ty++ {
			for tx := side.Min.X; tx < side.Max.X; tx++ {
				if tileDiffers(prev, cur, int32(ty*gw+tx), gw) { //nolint:gosec // a tile index of the frame's grid
					changed++
				}
			}
		}
		if 2*changed > side.Dx()*side.Dy() {
			grown = grown.Union(side)
		}
	}
	return grown
}

// start makes tiles box (in tile units) of under, the picture the viewer holds there, a lossy region, when the
// VP8 encoder starts; it reports whether it did. pktBytes is about what the region's exact picture costs.
func (v *videoSender) start(under codec.Frame, box image.Rectangle, pktBytes int, rate float64, now time.Time) bool {
	r := image.Rectangle{Min: box.Min.Mul(codec.TileSize), Max: box.Max.Mul(codec.TileSize)}.
		Intersect(image.Rect(0, 0, under.Width, under.Height))
	r.Max.X -= r.Dx() % 2
	r.Max.Y -= r.Dy() % 2
	r.Max.X = r.Min.X + min(r.Dx(), vpx.MaxSide)
	r.Max.Y = r.Min.Y + min(r.Dy(), vpx.MaxSide)
	kbps := videoKbps(rate)
	enc, err := vpx.NewEncoder(r.Dx(), r.Dy(), kbps, min(runtime.NumCPU(), 4))
	if err != nil {
		return false
	}
	v.region, v.enc, v.kbps = r, enc, kbps
	v.base = regionCopy(v.base[:0], under, r)
	v.last = v.last[:0]
	v.moved, v.encoded, v.clock = now, now, 0
	v.stillFor = stillAfter(pktBytes, rate)
	v.pending = v.pending[:0]
	return true
}

// tileBox returns the bounding box, in tile units, of tiles (indexes in a grid gw tiles wide) when they are
// enough for a video region: at least videoMinTiles, filling at least half of it, at least videoMinSide each way.
func tileBox(tiles []int32, gw int) (image.Rectangle, bool) {
	box := image.Rectangle{}
	for _, t := range tiles {
		box = box.Union(image.Rect(int(t)%gw, int(t)/gw, int(t)%gw+1, int(t)/gw+1))
	}
	n := len(tiles)
	ok := n >= videoMinTiles && 2*n >= box.Dx()*box.Dy() && box.Dx() >= videoMinSide && box.Dy() >= videoMinSide
	return box, ok
}

// tileUniform reports whether tile t of f (a grid gw tiles wide) is all one colour.
func tileUniform(f codec.Frame, t int32, gw int) bool {
	x0, y0 := int(t)%gw*codec.TileSize, int(t)/gw*codec.TileSize
	return codec.Uniform(f, x0, y0, min(codec.TileSize, f.Width-x0), min(codec.TileSize, f.Height-y0))
}

// tilePhotographic reports whether tile t of f (a grid gw tiles wide) looks photographic.
func tilePhotographic(f codec.Frame, t int32, gw int) bool {
	x0, y0 := int(t)%gw*codec.TileSize, int(t)/gw*codec.TileSize
	return codec.LooksPhotographic(f, x0, y0, min(codec.TileSize, f.Width-x0), min(codec.TileSize, f.Height-y0))
}

// gridSize returns the size of f's grid of tiles.
func gridSize(f codec.Frame) (gw, gh int) {
	return (f.Width + codec.TileSize - 1) / codec.TileSize, (f.Height + codec.TileSize - 1) / codec.TileSize
}

// tileDiffers reports whether tile t of a grid gw tiles wide differs between frames a and b of the same size.
func tileDiffers(a, b codec.Frame, t int32, gw int) bool {
	x0, y0 := int(t)%gw*codec.TileSize, int(t)/gw*codec.TileSize
	w, h := 4*min(codec.TileSize, a.Width-x0), min(codec.TileSize, a.Height-y0)
	for y := y0; y < y0+h; y++ {
		if !bytes.Equal(a.Pix[y*a.Stride+4*x0:][:w], b.Pix[y*b.Stride+4*x0:][:w]) {
			return true
		}
	}
	return false
}

// videoKbps is the VP8 rate for a link of rate bytes per second.
func videoKbps(rate float64) int {
	return int(min(max(rate*8/1000*videoShare, videoMinKbps), videoMaxKbps))
}

// changed reports whether the region of f differs from what was last sent in VP8 (always, before the first),
// and records when it last did.
func (v *videoSender) changed(f codec.Frame, now time.Time) bool {
	if len(v.last) > 0 && regionEqual(v.last, f, v.region) {
		return false
	}
	v.moved = now
	return true
}

// still reports whether the region has not changed for long enough to be sent exact (stillFor, which observe
// set when it started the region).
func (v *videoSender) still(now time.Time) bool { return now.Sub(v.moved) >= v.stillFor }

// stillAfter returns how long a lossy region must stay unchanged before it goes back to the lossless codec, when
// the lossless frame that started it was pktBytes and the link's rate is rate bytes per second.
func stillAfter(pktBytes int, rate float64) time.Duration {
	if rate <= 0 {
		return videoStill
	}
	crossing := time.Duration(float64(pktBytes) / rate * float64(time.Second))
	return min(max(crossing/8, videoStill), videoMaxStill)
}

// encode codes the region of f as the next VP8 frame, at a rate fitted to the link's (bytes per second); the
// caller numbers the packet.
func (v *videoSender) encode(f codec.Frame, rate float64, now time.Time) (*protocol.VideoPacket, error) {
	if rate > 0 {
		if k := videoKbps(rate); 20*abs(k-v.kbps) > 3*v.kbps { // more than 15 % off
			if err := v.enc.SetRate(k); err == nil {
				v.kbps = k
			}
		}
	}
	key := len(v.last) == 0
	if !key {
		v.clock += max(min(now.Sub(v.encoded), videoFrameGap), time.Millisecond).Milliseconds()
	}
	v.encoded = now
	data, isKey, err := v.enc.Encode(nil, f, v.region.Min.X, v.region.Min.Y, key, v.clock)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("vp8: the encoder dropped the frame")
	}
	v.last = regionCopy(v.last[:0], f, v.region)
	r := v.region
	return &protocol.VideoPacket{X: uint16(r.Min.X), Y: uint16(r.Min.Y), W: uint16(r.Dx()), H: uint16(r.Dy()), //nolint:gosec // within MaxSide
		Key: isKey, Data: data}, nil
}

// mask returns f with the region as the lossless codec last sent it, in a buffer of the sender's own that
// stays unchanged until the call after next (the codec retains the frame it is given).
func (v *videoSender) mask(f codec.Frame) codec.Frame {
	m := &v.masked[v.flip]
	v.flip ^= 1
	if m.Width != f.Width || m.Height != f.Height {
		*m = codec.NewFrame(f.Width, f.Height)
	}
	copyRect(*m, f, image.Rect(0, 0, f.Width, f.Height))
	r, w := v.region, 4*v.region.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(m.Pix[y*m.Stride+4*r.Min.X:][:w], v.base[(y-r.Min.Y)*w:])
	}
	return *m
}

// stop ends the lossy region; the next frame given to the lossless codec unmasked makes it exact. The heat is
// forgotten, so that a region comes back only after it has been hot again.
func (v *videoSender) stop() {
	if v.enc != nil {
		v.enc.Close()
		v.enc = nil
	}
	v.region = image.Rectangle{}
	clear(v.heat)
	v.pending = v.pending[:0]
}

// regionCopy appends the pixels of region r of f to dst, row after row.
func regionCopy(dst []byte, f codec.Frame, r image.Rectangle) []byte {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dst = append(dst, f.Pix[y*f.Stride+4*r.Min.X:][:4*r.Dx()]...)
	}
	return dst
}

// regionEqual reports whether the pixels of region r of f are those of b (as regionCopy left them).
func regionEqual(b []byte, f codec.Frame, r image.Rectangle) bool {
	w := 4 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		if !bytes.Equal(b[(y-r.Min.Y)*w:][:w], f.Pix[y*f.Stride+4*r.Min.X:][:w]) {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// videoView draws the sharer's lossy region over the lossless picture on the viewer's side. Its owner guards
// it (screenView.fbMu).
type videoView struct {
	dec    *vpx.Decoder
	region image.Rectangle // empty: no lossy region
	ending bool            // VideoEnd came: the next lossless frame ends the region
	view   codec.Frame     // what is shown: the lossless framebuffer with the region's video over it
}

func (v *videoView) active() bool { return !v.region.Empty() }

// packet decodes a VP8 frame over fb, the lossless framebuffer; it returns the rectangle it changed.
func (v *videoView) packet(m *protocol.VideoPacket, fb codec.Frame) (codec.Rect, error) {
	r := image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.W), int(m.Y)+int(m.H))
	if !r.In(image.Rect(0, 0, fb.Width, fb.Height)) {
		return codec.Rect{}, fmt.Errorf("video region %v outside the %dx%d screen", r, fb.Width, fb.Height)
	}
	if m.Key {
		v.stop()
		dec, err := vpx.NewDecoder(r.Dx(), r.Dy(), min(runtime.NumCPU(), 2))
		if err != nil {
			return codec.Rect{}, err
		}
		if v.view.Width != fb.Width || v.view.Height != fb.Height {
			v.view = codec.NewFrame(fb.Width, fb.Height)
		}
		copyRect(v.view, fb, image.Rect(0, 0, fb.Width, fb.Height))
		v.dec, v.region = dec, r
	} else if !v.active() || r != v.region {
		return codec.Rect{}, fmt.Errorf("video frame for %v without its key frame", r)
	}
	if err := v.dec.Decode(m.Data, v.view, r.Min.X, r.Min.Y); err != nil {
		v.stop()
		return codec.Rect{}, err
	}
	return codec.Rect{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()}, nil
}

// lossless follows a lossless frame decoded into fb that changed the rectangles changed: they are copied
// into the view except where the video is drawn; after a VideoEnd the region ends, and it is added to the
// changes (the exact picture replaces the video there).
func (v *videoView) lossless(fb codec.Frame, changed []codec.Rect) []codec.Rect {
	if !v.active() {
		return changed
	}
	if v.ending || fb.Width != v.view.Width || fb.Height != v.view.Height {
		r := v.region
		v.stop()
		return append(changed, codec.Rect{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()})
	}
	for _, c := range changed {
		rc := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H)
		for _, part := range subtract(rc, v.region) {
			copyRect(v.view, fb, part)
		}
	}
	return changed
}

// stop forgets the region (the view's buffer is kept for the next one).
func (v *videoView) stop() {
	if v.dec != nil {
		v.dec.Close()
		v.dec = nil
	}
	v.region, v.ending = image.Rectangle{}, false
}

// copyRect copies rectangle r of src into dst (frames of the same size).
func copyRect(dst, src codec.Frame, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(dst.Pix[y*dst.Stride+4*r.Min.X:][:4*r.Dx()], src.Pix[y*src.Stride+4*r.Min.X:])
	}
}

// subtract returns the parts of a outside b, as up to four rectangles.
func subtract(a, b image.Rectangle) []image.Rectangle {
	in := a.Intersect(b)
	if in.Empty() {
		return []image.Rectangle{a}
	}
	var out []image.Rectangle
	add := func(r image.Rectangle) {
		if !r.Empty() {
			out = append(out, r)
		}
	}
	add(image.Rect(a.Min.X, a.Min.Y, a.Max.X, in.Min.Y))   // above
	add(image.Rect(a.Min.X, in.Max.Y, a.Max.X, a.Max.Y))   // below
	add(image.Rect(a.Min.X, in.Min.Y, in.Min.X, in.Max.Y)) // left
	add(image.Rect(in.Max.X, in.Min.Y, a.Max.X, in.Max.Y)) // right
	return out
}
