//go:build linux || freebsd || openbsd || netbsd

package capture

import (
	"fmt"
	"image"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"

	"github.com/tandem-remote/tandem/shared/codec"
)

// X11Options configures NewX11.
type X11Options struct {
	// Display names the X display (":0"); empty means $DISPLAY.
	Display string
	// NoSHM turns MIT-SHM off, so that every frame travels in a GetImage reply over the connection.
	NoSHM bool
}

// X11 captures an X11 screen over one persistent connection (github.com/jezek/xgb, pure Go). Frames travel
// through a MIT-SHM shared-memory segment when the server offers it (a local server, same user or root),
// else in GetImage replies. Monitors come from RandR 1.5 monitors, else RandR CRTCs, else Xinerama, else
// the root window.
type X11 struct {
	conn   *xgb.Conn
	root   xproto.Window
	format pixelFormat
	randr  bool // RandR ≥ 1.2 is usable
	randr5 bool // RandR ≥ 1.5 (GetMonitors)
	xin    bool // Xinerama is usable
	xfixes bool // XFIXES ≥ 2 is usable: the pointer's shape has a name

	monitors  []Monitor
	rootRect  image.Rectangle
	refreshed time.Time // when monitors was last read

	seg    *shmSegment // nil without MIT-SHM
	closed bool
}

// NewX11 connects to the X server and prepares captures. It fails (wrapping ErrUnsupported) when the root
// window's pixels are not TrueColor in a format convert understands.
func NewX11(opts X11Options) (*X11, error) {
	c, err := xgb.NewConnDisplay(opts.Display)
	if err != nil {
		return nil, fmt.Errorf("x11 capture: connecting to X display %q: %w", opts.Display, err)
	}
	s := &X11{conn: c}
	if err := s.init(opts); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("x11 capture: %w", err)
	}
	return s, nil
}

func (s *X11) init(opts X11Options) error {
	setup := xproto.Setup(s.conn)
	screen := setup.DefaultScreen(s.conn)
	s.root = screen.Root
	f, err := rootFormat(setup, screen)
	if err != nil {
		return err
	}
	s.format = f

	if randr.Init(s.conn) == nil {
		if v, err := randr.QueryVersion(s.conn, 1, 5).Reply(); err == nil && v != nil {
			s.randr = v.MajorVersion > 1 || v.MinorVersion >= 2
			s.randr5 = v.MajorVersion > 1 || v.MinorVersion >= 5
		}
	}
	if !s.randr && xinerama.Init(s.conn) == nil {
		if a, err := xinerama.IsActive(s.conn).Reply(); err == nil && a != nil && a.State != 0 {
			s.xin = true
		}
	}
	if _, err := s.Monitors(); err != nil {
		return err
	}
	if xfixes.Init(s.conn) == nil {
		if v, err := xfixes.QueryVersion(s.conn, 4, 0).Reply(); err == nil && v != nil {
			s.xfixes = v.MajorVersion >= 2
		}
	}
	if !opts.NoSHM {
		// Any failure (remote server, no extension, permissions) leaves s.seg nil: GetImage it is.
		if shm.Init(s.conn) == nil {
			if v, err := shm.QueryVersion(s.conn).Reply(); err == nil && v != nil {
				size := 0
				for _, m := range s.monitors {
					size = max(size, f.stride(m.Bounds.Dx())*m.Bounds.Dy())
				}
				s.seg, _ = newSHMSegment(s.conn, size)
			}
		}
	}
	return nil
}

// rootFormat finds the pixel format of the root window's ZPixmap images.
func rootFormat(setup *xproto.SetupInfo, screen *xproto.ScreenInfo) (pixelFormat, error) {
	p := pixelFormat{msbFirst: setup.ImageByteOrder == xproto.ImageOrderMSBFirst}
	for _, pf := range setup.PixmapFormats {
		if pf.Depth == screen.RootDepth {
			p.bpp, p.pad = int(pf.BitsPerPixel), int(pf.ScanlinePad)
		}
	}
	for _, d := range screen.AllowedDepths {
		if d.Depth != screen.RootDepth {
			continue
		}
		for _, v := range d.Visuals {
			if v.VisualId != screen.RootVisual {
				continue
			}
			if v.Class != xproto.VisualClassTrueColor && v.Class != xproto.VisualClassDirectColor {
				return p, fmt.Errorf("root visual class %d is not TrueColor: %w", v.Class, ErrUnsupported)
			}
			p.rMask, p.gMask, p.bMask = v.RedMask, v.GreenMask, v.BlueMask
		}
	}
	if err := p.check(); err != nil {
		return p, fmt.Errorf("root window depth %d: %w", screen.RootDepth, err)
	}
	return p, nil
}

// Name implements Source: "x11-shm" or "x11-getimage".
func (s *X11) Name() string {
	if s.seg != nil {
		return "x11-shm"
	}
	return "x11-getimage"
}

// SHM reports whether frames travel through shared memory.
func (s *X11) SHM() bool { return s.seg != nil }

// Monitors implements Source.
func (s *X11) Monitors() ([]Monitor, error) {
	if s.closed {
		return nil, fmt.Errorf("x11 capture: monitors: %w", ErrClosed)
	}
	if err := s.refresh(); err != nil {
		return nil, fmt.Errorf("x11 capture: %w", err)
	}
	return append([]Monitor(nil), s.monitors...), nil
}

// refresh re-reads the root window's size and the monitor layout.
func (s *X11) refresh() error {
	geo, err := xproto.GetGeometry(s.conn, xproto.Drawable(s.root)).Reply()
	if err != nil {
		return fmt.Errorf("root window geometry: %w", err)
	}
	s.rootRect = image.Rect(0, 0, int(geo.Width), int(geo.Height))
	var ms []Monitor
	if s.randr5 {
		ms = s.randrMonitors()
	}
	if len(ms) == 0 && s.randr {
		ms = s.crtcMonitors()
	}
	if len(ms) == 0 && s.xin {
		ms = s.xineramaMonitors()
	}
	if len(ms) == 0 {
		ms = []Monitor{{Bounds: s.rootRect, Primary: true}}
	}
	s.monitors = sortPrimaryFirst(ms)
	s.refreshed = time.Now()
	return nil
}

// randrMonitors lists RandR 1.5 monitors (nil on any error).
func (s *X11) randrMonitors() []Monitor {
	r, err := randr.GetMonitors(s.conn, s.root, true).Reply()
	if err != nil || r == nil {
		return nil
	}
	var ms []Monitor
	for _, m := range r.Monitors {
		if m.Width == 0 || m.Height == 0 {
			continue
		}
		ms = append(ms, Monitor{
			Bounds:  image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height)),
			Primary: m.Primary,
			Name:    s.atomName(m.Name),
		})
	}
	return ms
}

// crtcMonitors lists the active RandR CRTCs (nil on any error).
func (s *X11) crtcMonitors() []Monitor {
	res, err := randr.GetScreenResourcesCurrent(s.conn, s.root).Reply()
	if err != nil || res == nil {
		return nil
	}
	var primary randr.Output
	if p, err := randr.GetOutputPrimary(s.conn, s.root).Reply(); err == nil && p != nil {
		primary = p.Output
	}
	var ms []Monitor
	for _, crtc := range res.Crtcs {
		ci, err := randr.GetCrtcInfo(s.conn, crtc, res.ConfigTimestamp).Reply()
		if err != nil || ci == nil || ci.Mode == 0 || ci.Width == 0 || ci.Height == 0 {
			continue
		}
		m := Monitor{Bounds: image.Rect(int(ci.X), int(ci.Y), int(ci.X)+int(ci.Width), int(ci.Y)+int(ci.Height))}
		for _, o := range ci.Outputs {
			if o == primary && primary != 0 {
				m.Primary = true
			}
			if m.Name == "" {
				if oi, err := randr.GetOutputInfo(s.conn, o, res.ConfigTimestamp).Reply(); err == nil && oi != nil {
					m.Name = string(oi.Name)
				}
			}
		}
		ms = append(ms, m)
	}
	return ms
}

// xineramaMonitors lists the Xinerama screens (nil on any error).
func (s *X11) xineramaMonitors() []Monitor {
	r, err := xinerama.QueryScreens(s.conn).Reply()
	if err != nil || r == nil {
		return nil
	}
	var ms []Monitor
	for i, si := range r.ScreenInfo {
		if si.Width == 0 || si.Height == 0 {
			continue
		}
		ms = append(ms, Monitor{
			Bounds:  image.Rect(int(si.XOrg), int(si.YOrg), int(si.XOrg)+int(si.Width), int(si.YOrg)+int(si.Height)),
			Primary: i == 0,
		})
	}
	return ms
}

func (s *X11) atomName(a xproto.Atom) string {
	if a == 0 {
		return ""
	}
	r, err := xproto.GetAtomName(s.conn, a).Reply()
	if err != nil || r == nil {
		return ""
	}
	return r.Name
}

// Capture implements Source. Parts of the monitor outside the root window (which X cannot read) are black.
func (s *X11) Capture(monitor int, dst *codec.Frame) error {
	if s.closed {
		return fmt.Errorf("x11 capture: %w", ErrClosed)
	}
	if time.Since(s.refreshed) > layoutRefresh {
		if err := s.refresh(); err != nil {
			return fmt.Errorf("x11 capture: %w", err)
		}
	}
	m, err := monitorAt(s.monitors, monitor)
	if err != nil {
		return fmt.Errorf("x11 capture: %w", err)
	}
	b := m.Bounds
	if err := Resize(dst, b.Dx(), b.Dy()); err != nil {
		return fmt.Errorf("x11 capture: monitor %d: %w", monitor, err)
	}
	r := b.Intersect(s.rootRect)
	if r.Empty() {
		clear(dst.Pix)
		return nil
	}
	sub := *dst
	if r != b {
		fillBlack(dst)
		off := r.Min.Sub(b.Min)
		sub.Width, sub.Height = r.Dx(), r.Dy()
		sub.Pix = dst.Pix[off.Y*dst.Stride+4*off.X:]
	}
	if err := s.read(r, &sub); err != nil {
		s.refreshed = time.Time{} // the layout may have changed under us: re-read it next time
		return fmt.Errorf("x11 capture: monitor %d: %w", monitor, err)
	}
	return nil
}

// read copies the root window's pixels in r into dst (already r's size).
func (s *X11) read(r image.Rectangle, dst *codec.Frame) error {
	x, y, w, h := int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy())
	stride := s.format.stride(r.Dx())
	if s.seg != nil {
		if err := s.seg.ensure(s.conn, stride*r.Dy()); err != nil {
			return err
		}
		_, err := shm.GetImage(s.conn, xproto.Drawable(s.root), x, y, w, h, 0xffffffff,
			xproto.ImageFormatZPixmap, s.seg.seg, 0).Reply()
		if err != nil {
			return fmt.Errorf("MIT-SHM GetImage: %w", err)
		}
		return convert(dst, s.seg.data, stride, s.format)
	}
	reply, err := xproto.GetImage(s.conn, xproto.ImageFormatZPixmap, xproto.Drawable(s.root), x, y, w, h,
		0xffffffff).Reply()
	if err != nil {
		return fmt.Errorf("GetImage: %w", err)
	}
	return convert(dst, reply.Data, stride, s.format)
}

// Pointer implements PointerSource: the pointer's position on the root window and, with XFIXES, the name of
// its shape.
func (s *X11) Pointer() (Pointer, error) {
	if s.closed {
		return Pointer{}, fmt.Errorf("x11 pointer: %w", ErrClosed)
	}
	var shape xfixes.GetCursorImageAndNameCookie
	if s.xfixes {
		shape = xfixes.GetCursorImageAndName(s.conn) // both requests in flight at once: one round trip
	}
	q, err := xproto.QueryPointer(s.conn, s.root).Reply()
	if err != nil {
		return Pointer{}, fmt.Errorf("x11 pointer: %w", err)
	}
	p := Pointer{Pos: image.Pt(int(q.RootX), int(q.RootY))}
	if s.xfixes {
		if r, err := shape.Reply(); err == nil && r != nil {
			p.Shape = r.Name
		}
	}
	return p, nil
}

// fillBlack sets every pixel of f to opaque black.
func fillBlack(f *codec.Frame) {
	for y := 0; y < f.Height; y++ {
		row := f.Pix[y*f.Stride:][:4*f.Width]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = 0, 0, 0, 0xff
		}
	}
}

// Close implements Source: it detaches and frees the shared-memory segment and closes the connection.
func (s *X11) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.seg != nil {
		err = s.seg.close(s.conn)
		s.seg = nil
	}
	s.conn.Close()
	// Wait for xgb's goroutines to finish: its event queue is closed last, after the socket.
	for {
		if ev, xerr := s.conn.WaitForEvent(); ev == nil && xerr == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("x11 capture: close: %w", err)
	}
	return nil
}
