//go:build linux || freebsd || openbsd || netbsd

package wayland

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/capture/pipewire"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/input/keysym"
	"github.com/tandem-remote/tandem/shared/portal"
)

// firstFrame is how long Open waits for each monitor's first picture, and Capture for a picture at all.
const firstFrame = 5 * time.Second

var (
	// ErrRefused is wrapped when the person at the computer did not allow sharing and control in the
	// system's dialog.
	ErrRefused = portal.ErrRefused
	// ErrNoPortal is wrapped when the desktop has no remote desktop portal (a compositor without one).
	ErrNoPortal = portal.ErrUnavailable
	// ErrEnded is wrapped once the system ended the portal session (the person stopped it from the
	// system's indicator, or logged out).
	ErrEnded = portal.ErrClosed
)

// Options tune Open.
type Options struct {
	// Tokens keeps the portal's restore token between sessions; "" keeps none.
	Tokens TokenFile
	// ParentWindow identifies the window the system's dialog belongs to, "" when unknown.
	ParentWindow string
	// ScreenOnly asks for the monitors alone (the technician sharing their own screen): the system asks
	// nothing about control, and the Injector's calls fail.
	ScreenOnly bool
}

// Desktop is an open portal session: the monitors the person allowed and the right to control. It is safe for
// concurrent use.
type Desktop struct {
	ps        *portal.Session
	screenErr error // why the screen cannot be read though the person allowed it (PipeWire missing)

	mu       sync.Mutex
	monitors []*monitor
	users    int // Sources and Injectors handed out and not yet closed
	closed   bool
}

// monitor is one allowed monitor: its stream and where it is.
type monitor struct {
	node    uint32
	logical image.Rectangle // in the compositor's logical coordinates; empty when the portal did not say
	stream  *pipewire.Stream
	bounds  image.Rectangle // in frame pixels, placed by layout
	size    image.Point     // the last frame's size
}

// Open asks the portal for the monitors and the keyboard and pointer (the system shows its dialog unless the
// stored restore token restores the person's earlier choice), stores the new restore token, and opens every
// monitor's PipeWire stream. The person refusing gives an error wrapping ErrRefused; a desktop without the
// portal, ErrNoPortal. When the portal allowed control but the frames cannot be read (libpipewire missing),
// Open succeeds and Source says why.
func Open(ctx context.Context, o Options) (*Desktop, error) {
	token := o.Tokens.Load() // "" when there is none, or no file
	ps, err := portal.Start(ctx, portal.Options{RestoreToken: token, Persist: o.Tokens != "",
		ParentWindow: o.ParentWindow, ScreenOnly: o.ScreenOnly})
	if o.Tokens != "" && (err == nil || token != "") {
		newToken := ""
		if err == nil {
			newToken = ps.RestoreToken()
		}
		if serr := o.Tokens.Save(newToken); serr != nil { // the old one was used up either way
			log.Printf("wayland: %v", serr)
		}
	}
	if err != nil {
		return nil, err
	}
	d := &Desktop{ps: ps}
	for _, st := range ps.Streams() {
		// Until a frame gives the size in pixels, the monitor is where the portal says, in logical pixels.
		d.monitors = append(d.monitors, &monitor{node: st.Node, logical: st.Bounds, bounds: st.Bounds, size: st.Bounds.Size()})
	}
	d.screenErr = d.openStreams(ctx)
	if d.screenErr != nil {
		log.Printf("wayland: the screen cannot be read: %v", d.screenErr)
		d.closeStreams()
	}
	return d, nil
}

// openStreams opens each monitor's PipeWire stream and waits for its first picture, which gives its size.
func (d *Desktop) openStreams(ctx context.Context) error {
	if err := pipewire.Load(); err != nil {
		return err
	}
	var f codec.Frame
	for _, m := range d.monitors {
		fd, err := d.ps.OpenPipeWireRemote(ctx)
		if err != nil {
			return err
		}
		if m.stream, err = pipewire.Open(fd, m.node); err != nil {
			return fmt.Errorf("monitor %d: %w", m.node, err)
		}
		if err := m.stream.Frame(&f, firstFrame); err != nil {
			return fmt.Errorf("monitor %d: %w", m.node, err)
		}
		m.size = image.Pt(f.Width, f.Height)
	}
	d.mu.Lock()
	d.layout()
	d.mu.Unlock()
	return nil
}

// layout places the monitors in frame pixels: each as big as its frames, at its logical position scaled by
// the largest scale of all (frame pixels per logical pixel), so that monitors of different scales never
// overlap and the pointer's position and the injected clicks agree. A monitor whose place the portal did not
// give is at the origin. Called with d.mu held.
func (d *Desktop) layout() {
	scale := 1.0
	for _, m := range d.monitors {
		if !m.logical.Empty() && m.size.X > 0 {
			scale = max(scale, float64(m.size.X)/float64(m.logical.Dx()))
		}
	}
	for _, m := range d.monitors {
		min := image.Point{}
		if !m.logical.Empty() {
			min = image.Pt(int(float64(m.logical.Min.X)*scale+0.5), int(float64(m.logical.Min.Y)*scale+0.5))
		}
		m.bounds = image.Rectangle{Min: min, Max: min.Add(m.size)}
	}
}

// toLogical turns a point in frame pixels of m into the stream's logical coordinates, clamped to it.
func (m *monitor) toLogical(p image.Point) (float64, float64) {
	logical := m.logical.Size()
	if m.logical.Empty() {
		logical = m.size
	}
	x := min(max(p.X-m.bounds.Min.X, 0), m.bounds.Dx()-1)
	y := min(max(p.Y-m.bounds.Min.Y, 0), m.bounds.Dy()-1)
	return float64(x) * float64(logical.X) / float64(m.bounds.Dx()), float64(y) * float64(logical.Y) / float64(m.bounds.Dy())
}

func (d *Desktop) closeStreams() {
	for _, m := range d.monitors {
		if m.stream != nil {
			_ = m.stream.Close() // kept: a Capture running elsewhere gets ErrClosed from it
		}
	}
}

// Ended is closed when the system ends the session (the person stopped sharing from the system's indicator).
func (d *Desktop) Ended() <-chan struct{} { return d.ps.Closed() }

// Source returns the monitors as a capture.Source (with the pointer, from the streams' cursor metadata), or
// the error that says why the screen cannot be read. Closing the Source and the Injector closes the Desktop.
func (d *Desktop) Source() (capture.Source, error) {
	if d.screenErr != nil {
		return nil, d.screenErr
	}
	d.use()
	return &source{d: d}, nil
}

// Injector returns the portal's input as an input.Injector. Closing the Source and the Injector closes the
// Desktop.
func (d *Desktop) Injector() input.Injector {
	d.use()
	return &injector{d: d}
}

// use counts one more Source or Injector handed out.
func (d *Desktop) use() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.users++
}

// release counts one user gone, and closes the Desktop after the last.
func (d *Desktop) release() error {
	d.mu.Lock()
	d.users--
	last := d.users == 0
	d.mu.Unlock()
	if last {
		return d.Close()
	}
	return nil
}

// Close ends the portal session (the system removes its indicator) and closes the streams. Calling it again
// does nothing.
func (d *Desktop) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.closeStreams()
	d.mu.Unlock()
	return d.ps.Close()
}

// source is the Desktop's monitors as a capture.Source and capture.PointerSource.
type source struct {
	d      *Desktop
	once   sync.Once
	closed bool // guarded by d.mu
}

func (s *source) Name() string { return "wayland-portal" }

func (s *source) Monitors() ([]capture.Monitor, error) {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || s.closed {
		return nil, capture.ErrClosed
	}
	ms := make([]capture.Monitor, len(d.monitors))
	for i, m := range d.monitors {
		ms[i] = capture.Monitor{Index: i, Bounds: m.bounds, Primary: i == 0}
	}
	return ms, nil
}

func (s *source) Capture(i int, dst *codec.Frame) error {
	d := s.d
	d.mu.Lock()
	if d.closed || s.closed {
		d.mu.Unlock()
		return fmt.Errorf("wayland: %w", capture.ErrClosed)
	}
	if i < 0 || i >= len(d.monitors) {
		d.mu.Unlock()
		return fmt.Errorf("wayland: monitor %d of %d: %w", i, len(d.monitors), capture.ErrNoMonitor)
	}
	m := d.monitors[i]
	d.mu.Unlock()
	if err := m.stream.Frame(dst, firstFrame); err != nil {
		if e := d.ps.Err(); e != nil {
			return fmt.Errorf("wayland: %w", e)
		}
		return fmt.Errorf("wayland: %w", err)
	}
	d.mu.Lock()
	if size := image.Pt(dst.Width, dst.Height); size != m.size {
		m.size = size
		d.layout()
	}
	d.mu.Unlock()
	return nil
}

// Pointer implements capture.PointerSource: where the streams' cursor metadata puts the pointer.
func (s *source) Pointer() (capture.Pointer, error) {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return capture.Pointer{}, capture.ErrClosed
	}
	for _, m := range d.monitors {
		if m.stream == nil {
			continue
		}
		if x, y, ok := m.stream.Cursor(); ok {
			return capture.Pointer{Pos: m.bounds.Min.Add(image.Pt(x, y))}, nil
		}
	}
	return capture.Pointer{}, errors.New("wayland: the pointer is not over a shared monitor")
}

func (s *source) Close() error {
	var err error
	s.once.Do(func() {
		s.d.mu.Lock()
		s.closed = true
		s.d.mu.Unlock()
		err = s.d.release()
	})
	return err
}

// Linux evdev codes of the mouse buttons.
const (
	btnLeft   = 0x110
	btnRight  = 0x111
	btnMiddle = 0x112
)

// injector is the portal's input as an input.Injector.
type injector struct {
	d      *Desktop
	mu     sync.Mutex
	closed bool
}

// do runs f unless the injector is closed.
func (in *injector) do(what string, f func(ps *portal.Session) error) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return fmt.Errorf("input: %s: %w", what, input.ErrClosed)
	}
	if err := f(in.d.ps); err != nil {
		return fmt.Errorf("input: %s: %w", what, err)
	}
	return nil
}

func (in *injector) Move(x, y int) error {
	d := in.d
	d.mu.Lock()
	var target *monitor
	for _, m := range d.monitors {
		if image.Pt(x, y).In(m.bounds) {
			target = m
			break
		}
	}
	for _, m := range d.monitors {
		if target == nil && !m.bounds.Empty() {
			target = m // outside every monitor: the nearest edge of the first whose place is known
		}
	}
	var lx, ly float64
	if target != nil {
		lx, ly = target.toLogical(image.Pt(x, y))
	}
	d.mu.Unlock()
	if target == nil {
		return fmt.Errorf("input: move: %w", capture.ErrNoMonitor)
	}
	return in.do("move", func(ps *portal.Session) error { return ps.PointerMotionAbsolute(target.node, lx, ly) })
}

func evdev(b input.Button) int32 {
	switch b {
	case input.ButtonRight:
		return btnRight
	case input.ButtonMiddle:
		return btnMiddle
	}
	return btnLeft
}

func (in *injector) ButtonDown(b input.Button) error {
	if err := input.CheckButton(b); err != nil {
		return fmt.Errorf("input: button down: %w", err)
	}
	return in.do("button down", func(ps *portal.Session) error { return ps.PointerButton(evdev(b), true) })
}

func (in *injector) ButtonUp(b input.Button) error {
	if err := input.CheckButton(b); err != nil {
		return fmt.Errorf("input: button up: %w", err)
	}
	return in.do("button up", func(ps *portal.Session) error { return ps.PointerButton(evdev(b), false) })
}

func (in *injector) DoubleClick(b input.Button) error {
	if err := input.CheckButton(b); err != nil {
		return fmt.Errorf("input: double click: %w", err)
	}
	return in.do("double click", func(ps *portal.Session) error {
		for range 2 {
			if err := ps.PointerButton(evdev(b), true); err != nil {
				return err
			}
			if err := ps.PointerButton(evdev(b), false); err != nil {
				return err
			}
		}
		return nil
	})
}

func (in *injector) Scroll(dx, dy int) error {
	if err := input.CheckScroll(dx, dy); err != nil {
		return fmt.Errorf("input: scroll: %w", err)
	}
	return in.do("scroll", func(ps *portal.Session) error {
		if dy != 0 {
			if err := ps.PointerAxisDiscrete(0, int32(dy)); err != nil { //nolint:gosec // checked: at most MaxScroll
				return err
			}
		}
		if dx != 0 {
			return ps.PointerAxisDiscrete(1, int32(dx)) //nolint:gosec // checked: at most MaxScroll
		}
		return nil
	})
}

// modifierSyms are the keysyms of the modifiers in m, in the order they are pressed.
func modifierSyms(m input.Modifiers) []int32 {
	var syms []int32
	for _, x := range []struct {
		bit input.Modifiers
		sym uint32
	}{{input.ModCtrl, keysym.ControlL}, {input.ModAlt, keysym.AltL}, {input.ModShift, keysym.ShiftL},
		{input.ModSuper, keysym.SuperL}} {
		if m&x.bit != 0 {
			syms = append(syms, int32(x.sym)) //nolint:gosec // keysyms are below 2³¹
		}
	}
	return syms
}

// keySym returns key's keysym after checking the event.
func keySym(key string, mods input.Modifiers) (int32, error) {
	if err := input.CheckKey(key, mods); err != nil {
		return 0, err
	}
	sym, ok := keysym.FromName(key)
	if !ok {
		return 0, fmt.Errorf("key %q has no keysym: %w", key, input.ErrInvalid)
	}
	return int32(sym), nil //nolint:gosec // keysyms are below 2³¹
}

func (in *injector) KeyDown(key string, mods input.Modifiers) error {
	sym, err := keySym(key, mods)
	if err != nil {
		return fmt.Errorf("input: key down: %w", err)
	}
	return in.do("key down", func(ps *portal.Session) error {
		for _, m := range modifierSyms(mods) {
			if err := ps.KeyboardKeysym(m, true); err != nil {
				return err
			}
		}
		return ps.KeyboardKeysym(sym, true)
	})
}

func (in *injector) KeyUp(key string, mods input.Modifiers) error {
	sym, err := keySym(key, mods)
	if err != nil {
		return fmt.Errorf("input: key up: %w", err)
	}
	return in.do("key up", func(ps *portal.Session) error {
		if err := ps.KeyboardKeysym(sym, false); err != nil {
			return err
		}
		ms := modifierSyms(mods)
		for i := len(ms) - 1; i >= 0; i-- {
			if err := ps.KeyboardKeysym(ms[i], false); err != nil {
				return err
			}
		}
		return nil
	})
}

// Type sends each character as its keysym, pressed and released: the compositor picks the key and the
// Shift or AltGr level that make it on the computer's layout.
func (in *injector) Type(text string) error {
	if err := input.CheckText(text); err != nil {
		return fmt.Errorf("input: type: %w", err)
	}
	syms := make([]int32, 0, len(text))
	for _, r := range text {
		sym, ok := keysym.FromRune(r)
		if !ok {
			return fmt.Errorf("input: type: no key types %U: %w", r, input.ErrInvalid)
		}
		syms = append(syms, int32(sym)) //nolint:gosec // keysyms are below 2³¹
	}
	return in.do("type", func(ps *portal.Session) error {
		for _, sym := range syms {
			if err := ps.KeyboardKeysym(sym, true); err != nil {
				return err
			}
			if err := ps.KeyboardKeysym(sym, false); err != nil {
				return err
			}
		}
		return nil
	})
}

func (in *injector) Close() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	in.mu.Unlock()
	return in.d.release()
}
