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
}

// active reports whether a region is sent lossy.
func (v *videoSender) active() bool { return !v.region.Empty() }

// allow records the viewer's choice.
func (v *videoSender) allow(lossy bool) { v.allowed = lossy && vpx.Available() }

// observe takes what the lossless codec did with frame f (the photo-like tiles, what it moved, the packet's size)
// and the link's rate (bytes per second, 0: unknown), and starts a lossy region when a large part of the screen
// keeps changing in place with photographic content that the link cannot carry losslessly at videoFPS. It
// reports whether it started one.
//
// The photo-like tiles of a frame that moved more pixels than it coded photo-like (a scroll, a dragged window)
// do not count: they are what the movement uncovered (a page's pictures entering at its edge), which the next
// frames move on instead of changing in place. On a slow link, where the sharer ships a frame while the page
// scrolls several, that band grew thick enough to pass for a video, and a page of text went lossy.
func (v *videoSender) observe(f codec.Frame, photo []int32, st codec.EncodeStats, pktBytes int, rate float64, now time.Time) bool {
	if st.RefPixels+st.Copied*codec.TileSize*codec.TileSize > st.NatPixels {
		photo = nil
	}
	gw, gh := (f.Width+codec.TileSize-1)/codec.TileSize, (f.Height+codec.TileSize-1)/codec.TileSize
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
	if !v.allowed || rate <= 0 || float64(pktBytes)*videoFPS <= rate*videoShare {
		return false
	}
	hot := 0
	box := image.Rectangle{}
	for t, h := range v.heat {
		if bits.OnesCount8(h&0x0f) < videoHotFrames {
			continue
		}
		hot++
		tile := image.Rect(t%gw, t/gw, t%gw+1, t/gw+1)
		box = box.Union(tile)
	}
	if hot < videoMinTiles || 2*hot < box.Dx()*box.Dy() || box.Dx() < videoMinSide || box.Dy() < videoMinSide {
		return false
	}
	r := image.Rectangle{Min: box.Min.Mul(codec.TileSize), Max: box.Max.Mul(codec.TileSize)}.
		Intersect(image.Rect(0, 0, f.Width, f.Height))
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
	v.base = regionCopy(v.base[:0], f, r)
	v.last = v.last[:0]
	v.moved, v.encoded, v.clock = now, now, 0
	v.stillFor = stillAfter(pktBytes, rate)
	return true
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
