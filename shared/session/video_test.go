package session

import (
	"bytes"
	"context"
	"image"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// waitPicture waits until the technician's picture is want, polling Quality, and fails after 20 s.
func waitPicture(t *testing.T, h *Host, want Picture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for h.Quality().Picture != want {
		select {
		case <-h.Events():
		case <-ctx.Done():
			t.Fatalf("the picture stayed %v, want %v", h.Quality().Picture, want)
		}
	}
}

// waitExact waits until the technician's picture is the customer's last captured screen (last) bit for bit, and
// fails after within.
func waitExact(t *testing.T, h *Host, last func() codec.Frame, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	for {
		var same bool
		h.Screen(func(f codec.Frame) { same = f.Equal(last()) })
		if same {
			return
		}
		select {
		case <-h.Events():
		case <-ctx.Done():
			t.Fatalf("the screen, once still, was not exact within %v", within)
		}
	}
}

// A video playing on a slow link crosses it as lossy video in its player's region, and the whole screen is
// exact, bit for bit, soon after it stops.
func TestVideoGoesLossyAndTurnsExactWhenItStops(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): the lossless path carries everything, as TestPreferQuality shows")
	}
	m := capture.NewMovie()
	h := joinSlowly(t, m)
	waitPicture(t, h, PictureLossy)
	// The region is drawn over the lossless picture: outside the player, the picture is exact.
	var outside bool
	h.Screen(func(f codec.Frame) {
		last := m.Last()
		outside = bytes.Equal(f.Pix[350*f.Stride:][:4*capture.MovieWidth], last.Pix[350*last.Stride:][:4*capture.MovieWidth])
	})
	if !outside {
		t.Error("the line of text below the player is not exact while the video plays")
	}
	m.Pause()
	waitPicture(t, h, PictureExact)
	waitExact(t, h, m.Last, 10*time.Second)
}

// Preferring quality keeps every frame lossless, even while a video plays on a slow link; preferring speed
// again lets it go lossy, and preferring quality once more makes it exact while it still plays.
func TestPreferQuality(t *testing.T) {
	m := capture.NewMovie()
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	h.SetPreferQuality(true)
	h = joinSlowlyTo(t, h, m)
	// Some frames of the playing video arrive, all lossless.
	for range 10 {
		waitFor(t, h.Events(), func(u ScreenUpdated) bool { return !u.Preview })
		if p := h.Quality().Picture; p != PictureExact {
			t.Fatalf("preferring quality, the picture is %v", p)
		}
	}
	if !vpx.Available() {
		return
	}
	h.SetPreferQuality(false)
	waitPicture(t, h, PictureLossy)
	h.SetPreferQuality(true)
	waitPicture(t, h, PictureExact)
}

// The customer chooses too, for a technician's screen: preferring quality keeps it lossless on a slow link while a
// video plays on it; preferring speed lets the video go lossy.
func TestCustomerPrefersQualityForATechniciansScreen(t *testing.T) {
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	g := joinSlowlyAs(t, h, nil)
	g.SetPreferQuality(true)
	if !g.PreferQuality() {
		t.Fatal("PreferQuality does not report the choice")
	}
	if err := h.ShareScreen(capture.NewMovie(), 0); err != nil {
		t.Fatal(err)
	}
	picture := func() Picture {
		_, q := g.TechnicianQuality(TechnicianID)
		return q.Picture
	}
	for range 10 {
		waitFor(t, g.Events(), func(u ScreenUpdated) bool { return !u.Preview })
		if p := picture(); p != PictureExact {
			t.Fatalf("preferring quality, the technician's screen is %v", p)
		}
	}
	// The figures of the link to that technician, for the window's line.
	deadline := time.After(10 * time.Second)
	for {
		r, q := g.TechnicianQuality(TechnicianID)
		if r != g.Route() {
			t.Fatalf("the technician's route is %+v, the session's %+v", r, g.Route())
		}
		if q.RTT > 0 && q.Rate > 0 {
			break
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no round trip or rate measured: %+v", q)
		}
	}
	if _, q := g.TechnicianQuality(7); q.Picture != PictureNone {
		t.Fatalf("a technician not in the session: %+v", q)
	}
	if !vpx.Available() {
		return
	}
	g.SetPreferQuality(false)
	deadline = time.After(20 * time.Second)
	for picture() != PictureLossy {
		select {
		case <-g.Events():
		case <-deadline:
			t.Fatalf("preferring speed, the technician's playing video stayed %v", picture())
		}
	}
}

// The viewer copies a lossless frame's changes into what it shows, except where the video is drawn.
func TestSubtractRegion(t *testing.T) {
	a := image.Rect(0, 0, 100, 100)
	for _, c := range []struct {
		name string
		b    image.Rectangle
		area int
	}{
		{"apart", image.Rect(200, 200, 300, 300), 10000},
		{"inside", image.Rect(10, 10, 20, 20), 9900},
		{"covering", image.Rect(-1, -1, 101, 101), 0},
		{"a side", image.Rect(50, -10, 150, 110), 5000},
		{"a corner", image.Rect(50, 50, 150, 150), 7500},
	} {
		parts := subtract(a, c.b)
		area := 0
		for i, p := range parts {
			area += p.Dx() * p.Dy()
			if p.Overlaps(c.b) || !p.In(a) {
				t.Errorf("%s: part %v overlaps %v or leaves %v", c.name, p, c.b, a)
			}
			for _, q := range parts[i+1:] {
				if p.Overlaps(q) {
					t.Errorf("%s: parts %v and %v overlap", c.name, p, q)
				}
			}
		}
		if area != c.area {
			t.Errorf("%s: parts cover %d pixels, want %d", c.name, area, c.area)
		}
	}
}

// What the video detector sees of a screen, frame after frame, on a link too slow for it losslessly. A page
// of pictures that scrolls by a whole band between two frames (a slow link skips most of a scroll's frames)
// uncovers photographic tiles at its edge in every frame, but stays lossless, and so does an article whose large
// picture scrolls by a few rows, and a window opened on a photographic wallpaper. A video goes lossy when it first changes, before the lossless codec codes the change,
// and so does a picture that changes once: the link would take seconds to carry it exact, and it is sent lossy
// first, exact once still.
func TestVideoIsWhatChangesInPlaceNotWhatScrolls(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	const w, h = 1280, 720
	// page draws the page scrolled down by top rows; its first picture shows grain n.
	page := func(top, n int) codec.Frame {
		f := codec.NewFrame(w, h)
		for y := range h {
			py := y + top
			for x := range w {
				p := f.Pix[y*f.Stride+4*x:][:4]
				switch {
				case y < 40 || (py/300)%2 == 0 && (x < 200 || x >= 1080): // the toolbar, the text's margins
					p[0], p[1], p[2], p[3] = 235, 230, 225, 255
				case py < 300: // the first picture
					capture.PaintScene(p, x, py, x, py, n)
				case (py/300)%2 == 0: // a picture every other 300 rows of the page
					capture.PaintScene(p, x, py, x, py, 0) // (grain of the page's, the same in every frame)
				case (py/12)%2 == 0 && (x/3)%4 != 0:
					p[0], p[1], p[2], p[3] = 20, 20, 20, 255 // lines of text
				default:
					p[0], p[1], p[2], p[3] = 235, 230, 225, 255
				}
			}
		}
		return f
	}
	scroll := func(k int) codec.Frame { return page(150*k, 0) } // the page moves up by 150 rows a frame
	newPicture := func(k int) codec.Frame { return page(0, min(k, 1)) }
	// article is a page of text with one large picture, scrolled by a few rows a frame: the picture's tiles all
	// change and stay photographic, as a video's would, but the text around it moves too.
	article := func(k int) codec.Frame {
		f := codec.NewFrame(w, h)
		for y := range h {
			py := y + 20*k
			for x := range w {
				p := f.Pix[y*f.Stride+4*x:][:4]
				switch {
				case py >= 200 && py < 600 && x >= 300 && x < 900:
					capture.PaintScene(p, x, py, x, py, 0)
				case (py/12)%2 == 0 && (x/3)%4 != 0:
					p[0], p[1], p[2], p[3] = 20, 20, 20, 255
				default:
					p[0], p[1], p[2], p[3] = 235, 230, 225, 255
				}
			}
		}
		return f
	}
	// onWallpaper is a photographic wallpaper with a window of text at (none: empty).
	onWallpaper := func(at image.Rectangle) codec.Frame {
		f := codec.NewFrame(w, h)
		for y := range h {
			for x := range w {
				p := f.Pix[y*f.Stride+4*x:][:4]
				switch {
				case !image.Pt(x, y).In(at):
					capture.PaintScene(p, x, y, x, y, 0) // the wallpaper
				case y < at.Min.Y+30 || (y/12)%2 == 0 && (x/3)%4 != 0:
					p[0], p[1], p[2], p[3] = 60, 40, 30, 255 // the title bar, lines of text
				default:
					p[0], p[1], p[2], p[3] = 250, 250, 250, 255
				}
			}
		}
		return f
	}
	window := func(k int) codec.Frame { // opened after the first frame
		if k == 0 {
			return onWallpaper(image.Rectangle{})
		}
		return onWallpaper(image.Rect(200, 100, 1000, 600))
	}
	// playing is a video playing in r on a plain desktop.
	playing := func(r image.Rectangle) func(k int) codec.Frame {
		return func(k int) codec.Frame {
			f := codec.NewFrame(w, h)
			for i := 0; i < len(f.Pix); i += 4 {
				f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = 235, 230, 225, 255
			}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					capture.PaintScene(f.Pix[y*f.Stride+4*x:][:4], x+3*k, y, x, y, k)
				}
			}
			return f
		}
	}
	video := playing(image.Rect(200, 100, 1000, 600))
	// starting is a paused video that plays on after two frames.
	starting := func(k int) codec.Frame { return video(max(k-1, 0)) }
	// dragged is a window of text that jumps to another place on a photographic wallpaper, as a window dragged
	// across it does between two frames on a slow link.
	dragged := func(k int) codec.Frame {
		if k == 0 {
			return onWallpaper(image.Rect(40, 40, 840, 440))
		}
		return onWallpaper(image.Rect(440, 300, 1240, 700))
	}
	// fromBlack is a video whose player is black until it starts playing after the first frame.
	fromBlack := func(k int) codec.Frame {
		f := video(k)
		if k == 0 {
			for y := 100; y < 600; y++ {
				clear(f.Pix[y*f.Stride+4*200 : y*f.Stride+4*1000])
			}
		}
		return f
	}
	// small is a 256×256 video: its exact picture (about 100 kB) crosses in less than a second, but not at
	// videoFPS.
	small := playing(image.Rect(320, 192, 576, 448))
	for _, c := range []struct {
		name  string
		frame func(k int) codec.Frame
		coded int             // how many frames the lossless codec codes before the region goes lossy; 0: it never does
		whole image.Rectangle // what the region must cover: all of the player, though it is off the tile grid
	}{
		{"a scrolled page of pictures", scroll, 0, image.Rectangle{}},
		{"an article with a large picture, scrolled", article, 0, image.Rectangle{}},
		{"a window opened on a photographic wallpaper", window, 0, image.Rectangle{}},
		{"a window dragged across a photographic wallpaper", dragged, 0, image.Rectangle{}},
		{"a video", video, 1, image.Rect(200, 100, 1000, 600)}, // after the key frame
		{"a new picture", newPicture, 1, image.Rect(200, 40, 1080, 300)},
		{"a video that starts playing", starting, 2, image.Rect(200, 100, 1000, 600)},
		{"a video that starts on a black player", fromBlack, 1, image.Rect(200, 100, 1000, 600)},
		{"a small video", small, 2, image.Rect(320, 192, 576, 448)}, // the key frame and the first change
	} {
		t.Run(c.name, func(t *testing.T) {
			enc := codec.NewEncoder()
			var v videoSender
			v.allow(true)
			defer v.stop()
			var pkt []byte
			var prev codec.Frame
			coded := 0
			// The capture loop's order: confirm before a frame is coded, observe after (expect after a key
			// frame); at 1 Mbit/s, no frame that changes much fits losslessly at videoFPS.
			const rate = 125_000
			for k := range 12 {
				f := c.frame(k)
				if k > 0 && v.confirm(prev, f, rate, time.Now()) {
					break
				}
				var err error
				if pkt, err = enc.Encode(pkt[:0], f); err != nil {
					t.Fatal(err)
				}
				coded++
				if k == 0 {
					v.expect(nil, 0)
				} else if v.observe(f, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), rate, time.Now()) {
					break
				}
				prev = f
			}
			if !v.active() {
				coded = 0
			}
			if coded != c.coded {
				t.Errorf("went lossy after %d lossless frames (0: never), want %d", coded, c.coded)
			}
			if !c.whole.In(v.region) {
				t.Errorf("the lossy region %v leaves out part of %v", v.region, c.whole)
			}
		})
	}
}

// After the lossless codec coded a block of tiles photo-like twice, observe starts a region there only if the
// tiles around it did not change too: on a slow link, a page scrolls further between two frames than the codec
// looks for its motion, and its pictures seem to change in place, as the text around them does.
func TestVideoNeedsStillSurroundings(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	const w, h = 1280, 720
	f := codec.NewFrame(w, h)
	gw := w / codec.TileSize
	var photo []int32
	var block []codec.Rect // the 6x6 tiles at tile (6, 3), a row of tiles at a time, as Encoder.Changed gives them
	for ty := 3; ty < 9; ty++ {
		for tx := 6; tx < 12; tx++ {
			photo = append(photo, int32(ty*gw+tx))
		}
		block = append(block, codec.Rect{X: 6 * codec.TileSize, Y: ty * codec.TileSize, W: 6 * codec.TileSize, H: codec.TileSize})
	}
	var page []codec.Rect // the whole column of text the block sits in
	for ty := 0; ty < h/codec.TileSize; ty++ {
		page = append(page, codec.Rect{X: 2 * codec.TileSize, Y: ty * codec.TileSize, W: 14 * codec.TileSize, H: codec.TileSize})
	}
	st := codec.EncodeStats{ChangedTiles: len(photo), NatPixels: len(photo) * codec.TileSize * codec.TileSize}
	for _, c := range []struct {
		name    string
		changed []codec.Rect
		lossy   bool
	}{
		{"only the block changed", block, true},
		{"the text around it changed too", page, false},
	} {
		var v videoSender
		v.allow(true)
		v.observe(f, photo, c.changed, st, 500_000, 125_000, time.Now())
		if got := v.observe(f, photo, c.changed, st, 500_000, 125_000, time.Now()); got != c.lossy {
			t.Errorf("%s: went lossy: %v, want %v", c.name, got, c.lossy)
		}
		v.stop()
	}
}

// A lossy region goes back to the lossless codec after 120 ms without change, or later where its exact picture
// takes the link long to carry: a player that stalls a moment must not start seconds of lossless picture.
func TestVideoWaitsLongerForStillnessOnASlowLink(t *testing.T) {
	for _, c := range []struct {
		name  string
		bytes int
		rate  float64
		want  time.Duration
	}{
		{"rate unknown", 1 << 20, 0, videoStill},
		{"a fast link", 500_000, 6_000_000, videoStill},
		{"profile A, a 1280x720 player", 1_400_000, 1_100_000, 159 * time.Millisecond},
		{"profile B, an 830x450 player", 540_000, 180_000, 375 * time.Millisecond},
		{"a crawl", 1_400_000, 20_000, videoMaxStill},
	} {
		got := stillAfter(c.bytes, c.rate)
		if got.Round(time.Millisecond) != c.want {
			t.Errorf("%s: stillAfter(%d, %.0f) = %v, want %v", c.name, c.bytes, c.rate, got, c.want)
		}
		v := videoSender{stillFor: got, moved: time.Now()}
		if v.still(v.moved.Add(got-time.Millisecond)) || !v.still(v.moved.Add(got)) {
			t.Errorf("%s: still() does not turn true after %v", c.name, c.want)
		}
	}
}

// scrollingGrain is a Source, for tests: a page of bands of grain (which the lossless codec cannot shrink much,
// as photographs) between bands of lines of "text", scrolled up at speed pixels a second, round and round, until
// it stops.
type scrollingGrain struct {
	page        codec.Frame // the page, pageScreens screens tall
	w, h, speed int
	start       time.Time

	mu      sync.Mutex
	stopped bool
	offset  int         // the row of the page at the top of the screen once stopped
	last    codec.Frame // the last picture captured
}

const pageScreens = 4

func newScrollingGrain(w, h, speed int) *scrollingGrain {
	page := capture.NewGrain(w, pageScreens*h).Frame()
	for y := range page.Height {
		if y/codec.TileSize%2 == 0 {
			continue // a photograph
		}
		for x := range w {
			v := byte(0xf0)
			if y%8 < 2 && x%48 < 40 { // words on lines
				v = 0x20
			}
			copy(page.Pix[y*page.Stride+4*x:], []byte{v, v, v, 255})
		}
	}
	return &scrollingGrain{page: page, w: w, h: h, speed: speed, start: time.Now()}
}

func (*scrollingGrain) Name() string { return "scrolling grain" }

func (s *scrollingGrain) Monitors() ([]capture.Monitor, error) {
	return []capture.Monitor{{Bounds: image.Rect(0, 0, s.w, s.h), Primary: true, Name: "grain"}}, nil
}

func (s *scrollingGrain) Capture(_ int, dst *codec.Frame) error {
	if err := capture.Resize(dst, s.w, s.h); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.offset = int(time.Since(s.start).Seconds()*float64(s.speed)) % ((pageScreens - 1) * s.h)
	}
	for y := range s.h {
		copy(dst.Pix[y*dst.Stride:][:4*s.w], s.page.Pix[(s.offset+y)*s.page.Stride:])
	}
	s.last = codec.Frame{Width: s.w, Height: s.h, Stride: dst.Stride, Pix: slices.Clone(dst.Pix[:dst.Stride*s.h])}
	return nil
}

func (*scrollingGrain) Close() error { return nil }

// stop holds the page where it is.
func (s *scrollingGrain) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
}

// lastFrame returns the last picture captured.
func (s *scrollingGrain) lastFrame() codec.Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// On a link far too slow for the exact frames of a page of text and photographs that scrolls (125 kB/s, a frame
// of the scroll 60 kB or more), the page goes on moving as lossy video (a scroll is no video: crawl, not the
// video's own rules), and the screen is exact, bit for bit, soon after it stops.
func TestVerySlowLinkScrollGoesLossyAndTurnsExactWhenItStops(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): the lossless path carries everything, as TestPreferQuality shows")
	}
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	src := newScrollingGrain(384, 256, 400)
	joinOver(t, h, src, relay.Link{Rate: 1_000_000, Delay: 20 * time.Millisecond})
	waitPicture(t, h, PictureLossy)
	src.stop()
	waitPicture(t, h, PictureExact)
	waitExact(t, h, src.lastFrame, 20*time.Second)
}
