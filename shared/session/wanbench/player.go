package main

import (
	"fmt"
	"image"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
)

// recordingFPS is the pace at which a recording plays: the corpus was captured at 30 frames per second.
const recordingFPS = 30

// clip is a recording held in memory, so that playing it costs a copy per capture and nothing else.
type clip struct {
	name   string
	frames []codec.Frame
}

// loadClip reads every frame of a .frames.zst recording.
func loadClip(path string) (*clip, error) {
	r, err := capture.OpenReplay(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	c := &clip{name: strings.TrimSuffix(filepath.Base(path), ".frames.zst")}
	for range r.Header().Count {
		var f codec.Frame
		if err := r.Capture(0, &f); err != nil {
			return nil, err
		}
		c.frames = append(c.frames, f)
	}
	return c, nil
}

// player is the customer's screen in the bench: it plays a clip in real time (frames are skipped when the
// sharer asks less often than the clip's pace, as a real screen moves on whether or not it is captured), or
// holds one frame still. It is also the pointer source: the pointer is where the technician's input put it,
// so that a pointer move makes a round trip (input stream there, pointer datagram back).
type player struct {
	clip *clip

	mu      sync.Mutex
	started time.Time // when playing began; zero: holding
	held    int       // the frame shown while holding
	caps    []capRecord
	ptr     image.Point
}

// capRecord says which clip frame a capture that began at took.
type capRecord struct {
	at    time.Time
	index int
}

func newPlayer(c *clip) *player { return &player{clip: c} }

// play starts playing from the held frame on.
func (p *player) play() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = time.Now().Add(-time.Duration(p.held) * time.Second / recordingFPS)
}

// hold stops the picture on the frame showing now and returns that frame's index.
func (p *player) hold() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = p.indexLocked(time.Now())
	p.started = time.Time{}
	return p.held
}

func (p *player) indexLocked(now time.Time) int {
	if p.started.IsZero() {
		return p.held
	}
	return int(now.Sub(p.started)*recordingFPS/time.Second) % len(p.clip.frames)
}

// frameAt returns the index of the clip frame of the capture that began at or just after at (what the sharer
// reports as a frame's capture time), and false when it has been forgotten.
func (p *player) frameAt(at time.Time) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.caps), func(i int) bool { return !p.caps[i].at.Before(at) })
	if i == len(p.caps) {
		return 0, false
	}
	return p.caps[i].index, true
}

func (p *player) Name() string { return "wanbench:" + p.clip.name }

func (p *player) Monitors() ([]capture.Monitor, error) {
	f := p.clip.frames[0]
	return []capture.Monitor{{Bounds: image.Rect(0, 0, f.Width, f.Height), Primary: true, Name: p.clip.name}}, nil
}

func (p *player) Capture(monitor int, dst *codec.Frame) error {
	if monitor != 0 {
		return capture.ErrNoMonitor
	}
	now := time.Now()
	p.mu.Lock()
	i := p.indexLocked(now)
	p.caps = append(p.caps, capRecord{at: now, index: i})
	if len(p.caps) > 4096 {
		p.caps = append(p.caps[:0], p.caps[2048:]...)
	}
	p.mu.Unlock()
	f := &p.clip.frames[i]
	if err := capture.Resize(dst, f.Width, f.Height); err != nil {
		return err
	}
	copy(dst.Pix, f.Pix)
	return nil
}

func (p *player) Close() error { return nil }

func (p *player) Pointer() (capture.Pointer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return capture.Pointer{Pos: p.ptr, Shape: "left_ptr"}, nil
}

// injector is the customer's input in the bench: pointer moves go to the player.
type injector struct{ p *player }

func (i injector) Move(x, y int) error {
	i.p.mu.Lock()
	defer i.p.mu.Unlock()
	i.p.ptr = image.Pt(x, y)
	return nil
}

func (injector) ButtonDown(input.Button) error         { return nil }
func (injector) ButtonUp(input.Button) error           { return nil }
func (injector) DoubleClick(input.Button) error        { return nil }
func (injector) Scroll(int, int) error                 { return nil }
func (injector) KeyDown(string, input.Modifiers) error { return nil }
func (injector) KeyUp(string, input.Modifiers) error   { return nil }
func (injector) Type(string) error                     { return nil }
func (injector) Close() error                          { return nil }

// writeClip saves c as a .frames.zst recording (../shared/corpus/README.md's format).
func writeClip(w io.Writer, c *clip) error {
	f := c.frames[0]
	if _, err := fmt.Fprintf(w, "FRAMES v1 %d %d %d BGRA\n", f.Width, f.Height, len(c.frames)); err != nil {
		return err
	}
	for _, f := range c.frames {
		for y := range f.Height {
			if _, err := w.Write(f.Pix[y*f.Stride:][:4*f.Width]); err != nil {
				return err
			}
		}
	}
	return nil
}
