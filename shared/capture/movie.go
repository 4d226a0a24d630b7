package capture

import (
	"image"
	"slices"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Movie is a Source, for tests and benches: a screen with a video playing in a 320×240 player at 25 frames a second on a flat desktop with a
// line of text; Pause stops it on its current picture.
type Movie struct {
	mu     sync.Mutex
	start  time.Time
	paused bool
	at     int // the picture shown while paused
	last   codec.Frame
}

// MoviePlayer is where the video plays on a Movie screen.
var MoviePlayer = image.Rect(128, 64, 448, 304)

// MovieWidth and MovieHeight are the size of a Movie screen.
const MovieWidth, MovieHeight = 640, 400

// NewMovie returns a Movie whose video starts playing now.
func NewMovie() *Movie { return &Movie{start: time.Now()} }

// picture is the number of the video's picture shown now.
func (m *Movie) picture() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.paused {
		return m.at
	}
	return int(time.Since(m.start) / (40 * time.Millisecond))
}

// Pause stops the video on the picture it shows.
func (m *Movie) Pause() {
	n := m.picture()
	m.mu.Lock()
	m.paused, m.at = true, n
	m.mu.Unlock()
}

// Last returns the last picture captured.
func (m *Movie) Last() codec.Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Name says what the source is.
func (*Movie) Name() string { return "movie" }

// Monitors returns the one monitor.
func (*Movie) Monitors() ([]Monitor, error) {
	return []Monitor{{Bounds: image.Rect(0, 0, MovieWidth, MovieHeight), Primary: true, Name: "movie"}}, nil
}

// Capture draws the picture of the moment into dst.
func (m *Movie) Capture(_ int, dst *codec.Frame) error {
	if err := Resize(dst, MovieWidth, MovieHeight); err != nil {
		return err
	}
	n := m.picture()
	for y := range MovieHeight {
		row := dst.Pix[y*dst.Stride:]
		for x := range MovieWidth {
			p := row[4*x : 4*x+4]
			switch {
			case image.Pt(x, y).In(MoviePlayer):
				// A smooth scene panning by 3 pixels a picture, with the sensor's grain, new in every picture.
				PaintScene(p, x+3*n, y, x, y, n)
			case y >= 340 && y < 352 && (x/3)%4 != 0:
				p[0], p[1], p[2] = 20, 20, 20 // a line of "text"
			default:
				p[0], p[1], p[2] = 235, 230, 225
			}
			p[3] = 255
		}
	}
	m.mu.Lock()
	m.last = codec.Frame{Width: MovieWidth, Height: MovieHeight, Stride: 4 * MovieWidth, Pix: slices.Clone(dst.Pix[:4*MovieWidth*MovieHeight])}
	m.mu.Unlock()
	return nil
}

// Close does nothing.
func (*Movie) Close() error { return nil }

// PaintScene writes into the BGRA pixel p the point (u, v) of a smooth photographic scene (the Movie's), with a
// camera's grain drawn from (x, y, n): the same inputs give the same grain, and a new n gives new grain.
func PaintScene(p []byte, u, v, x, y, n int) {
	g := uint32(x*2654435761) ^ uint32(y*2246822519) ^ uint32(n*3266489917) //nolint:gosec // a hash
	g ^= g >> 15
	p[0] = byte(60 + (u*u/97+v)%120 + int(g%9))
	p[1] = byte(80 + (u+2*v)%90 + int(g>>8%9))
	p[2] = byte(100 + (3*u+v*v/61)%100 + int(g>>16%9))
	p[3] = 255
}
