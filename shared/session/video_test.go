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
)

// movie is a screen with a video playing in a 320×240 player at 25 frames a second on a flat desktop with a
// line of text; Pause stops it on its current picture.
type movie struct {
	mu     sync.Mutex
	start  time.Time
	paused bool
	at     int // the picture shown while paused
	last   codec.Frame
}

var moviePlayer = image.Rect(128, 64, 448, 304)

const movieW, movieH = 640, 400

func newMovie() *movie { return &movie{start: time.Now()} }

func (m *movie) picture() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.paused {
		return m.at
	}
	return int(time.Since(m.start) / (40 * time.Millisecond))
}

// Pause stops the video on the picture it shows.
func (m *movie) Pause() {
	n := m.picture()
	m.mu.Lock()
	m.paused, m.at = true, n
	m.mu.Unlock()
}

// Last returns the last picture captured.
func (m *movie) Last() codec.Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

func (*movie) Name() string { return "movie" }

func (*movie) Monitors() ([]capture.Monitor, error) {
	return []capture.Monitor{{Bounds: image.Rect(0, 0, movieW, movieH), Primary: true, Name: "movie"}}, nil
}

func (m *movie) Capture(_ int, dst *codec.Frame) error {
	if err := capture.Resize(dst, movieW, movieH); err != nil {
		return err
	}
	n := m.picture()
	for y := range movieH {
		row := dst.Pix[y*dst.Stride:]
		for x := range movieW {
			p := row[4*x : 4*x+4]
			switch {
			case image.Pt(x, y).In(moviePlayer):
				// A smooth scene panning by 3 pixels a picture, with the sensor's grain, new in every picture.
				u, v := x+3*n, y
				g := uint32(x*2654435761) ^ uint32(y*2246822519) ^ uint32(n*3266489917) //nolint:gosec // a hash
				g ^= g >> 15
				p[0] = byte(60 + (u*u/97+v)%120 + int(g%9))
				p[1] = byte(80 + (u+2*v)%90 + int(g>>8%9))
				p[2] = byte(100 + (3*u+v*v/61)%100 + int(g>>16%9))
			case y >= 340 && y < 352 && (x/3)%4 != 0:
				p[0], p[1], p[2] = 20, 20, 20 // a line of "text"
			default:
				p[0], p[1], p[2] = 235, 230, 225
			}
			p[3] = 255
		}
	}
	m.mu.Lock()
	m.last = codec.Frame{Width: movieW, Height: movieH, Stride: 4 * movieW, Pix: slices.Clone(dst.Pix[:4*movieW*movieH])}
	m.mu.Unlock()
	return nil
}

func (*movie) Close() error { return nil }

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

// exactNow reports whether the technician's picture is the customer's last captured screen bit for bit.
func exactNow(h *Host, m *movie) bool {
	var same bool
	h.Screen(func(f codec.Frame) { same = f.Equal(m.Last()) })
	return same
}

// A video playing on a slow link crosses it as lossy video in its player's region, and the whole screen is
// exact, bit for bit, soon after it stops.
func TestVideoGoesLossyAndTurnsExactWhenItStops(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): the lossless path carries everything, as TestPreferQuality shows")
	}
	m := newMovie()
	h := joinSlowly(t, m)
	waitPicture(t, h, PictureLossy)
	// The region is drawn over the lossless picture: outside the player, the picture is exact.
	var outside bool
	h.Screen(func(f codec.Frame) {
		last := m.Last()
		outside = bytes.Equal(f.Pix[350*f.Stride:][:4*movieW], last.Pix[350*last.Stride:][:4*movieW])
	})
	if !outside {
		t.Error("the line of text below the player is not exact while the video plays")
	}
	m.Pause()
	waitPicture(t, h, PictureExact)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for !exactNow(h, m) {
		select {
		case <-h.Events():
		case <-ctx.Done():
			t.Fatal("the paused video never became exact")
		}
	}
}

// Preferring quality keeps every frame lossless, even while a video plays on a slow link; preferring speed
// again lets it go lossy, and preferring quality once more makes it exact while it still plays.
func TestPreferQuality(t *testing.T) {
	m := newMovie()
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
