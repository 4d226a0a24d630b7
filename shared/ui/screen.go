package ui

import (
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// RemoteScreen shows another computer's screen (a decoded framebuffer) scaled to fit its area or at 1:1, and,
// while control is on, turns the pointer, wheel and keyboard into input messages for that computer. A state
// text ("Waiting for the screen…", "Screen sharing stopped by the customer") can be laid over the picture.
// Use it on the UI goroutine only.
type RemoteScreen struct {
	widget.BaseWidget

	// OnInput, if set, receives the input messages while control is on: a *protocol.MouseMove before each
	// button press or release and on every move, *protocol.MouseButton, *protocol.Wheel, *protocol.Key (keys
	// that type no character, and shortcuts, with Fyne's key names) and *protocol.Text (typed characters, so
	// that accents and keyboard layouts come out as the technician meant them).
	OnInput func(protocol.Message)

	img     *canvas.Image
	rgba    *image.RGBA
	fit     bool
	control bool
	state   *widget.Label
	veil    *canvas.Rectangle
	ptr     *pointer
	mods    protocol.Modifiers
}

// NewRemoteScreen returns an empty screen in fit-to-area mode.
func NewRemoteScreen() *RemoteScreen {
	s := &RemoteScreen{fit: true, state: widget.NewLabel(""), veil: canvas.NewRectangle(veilColour()), ptr: newPointer()}
	s.state.Alignment = fyne.TextAlignCenter
	s.state.Wrapping = fyne.TextWrapWord
	s.state.Hide()
	s.veil.Hide()
	s.rgba = image.NewRGBA(image.Rect(0, 0, 1, 1))
	s.img = canvas.NewImageFromImage(s.rgba)
	s.img.FillMode = canvas.ImageFillContain
	s.img.ScaleMode = canvas.ImageScaleSmooth
	s.ExtendBaseWidget(s)
	return s
}

// SetFrame shows f, copying only the regions in changed (all of f when its size changed or changed is nil).
func (s *RemoteScreen) SetFrame(f codec.Frame, changed []codec.Rect) {
	if b := s.rgba.Bounds(); b.Dx() != f.Width || b.Dy() != f.Height || changed == nil {
		if b.Dx() != f.Width || b.Dy() != f.Height {
			s.rgba = image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
			s.img.Image = s.rgba
		}
		changed = []codec.Rect{{W: f.Width, H: f.Height}}
		defer s.Refresh() // the minimum size may have changed too
	}
	for _, r := range changed {
		for y := r.Y; y < r.Y+r.H && y < f.Height; y++ {
			src := f.Pix[y*f.Stride+4*r.X:][:4*min(r.W, f.Width-r.X)]
			dst := s.rgba.Pix[y*s.rgba.Stride+4*r.X:]
			for i := 0; i < len(src); i += 4 { // BGRA → RGBA
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i+2], src[i+1], src[i], src[i+3]
			}
		}
	}
	s.img.Refresh()
}

// FrameSize returns the size of the frame shown, in pixels.
func (s *RemoteScreen) FrameSize() (w, h int) { b := s.rgba.Bounds(); return b.Dx(), b.Dy() }

// SetFit chooses scaled-to-fit (true) or 1:1 (false; put the screen in a container.Scroll).
func (s *RemoteScreen) SetFit(fit bool) {
	s.fit = fit
	if fit {
		s.img.FillMode, s.img.ScaleMode = canvas.ImageFillContain, canvas.ImageScaleSmooth
	} else {
		s.img.FillMode, s.img.ScaleMode = canvas.ImageFillOriginal, canvas.ImageScalePixels
	}
	s.Refresh()
}

// Fit reports whether the screen is scaled to fit.
func (s *RemoteScreen) Fit() bool { return s.fit }

// SetControl turns input forwarding on or off. Off, the screen only shows.
func (s *RemoteScreen) SetControl(on bool) {
	s.control = on
	if !on {
		s.mods = 0
	}
}

// SetState lays text over the picture, dimmed; "" shows the picture plainly.
func (s *RemoteScreen) SetState(text string) {
	s.state.SetText(text)
	if text == "" {
		s.state.Hide()
		s.veil.Hide()
	} else {
		s.state.Show()
		s.veil.Show()
	}
}

// State returns the text laid over the picture ("" when none).
func (s *RemoteScreen) State() string { return s.state.Text }

// CreateRenderer implements fyne.Widget.
func (s *RemoteScreen) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	return &screenRenderer{s: s, objects: []fyne.CanvasObject{bg, s.img, s.ptr.img, s.veil, s.state}, bg: bg}
}

// MinSize implements fyne.Widget: the frame's size at 1:1, a small area when scaled.
func (s *RemoteScreen) MinSize() fyne.Size {
	if s.fit {
		return fyne.NewSize(160, 90)
	}
	w, h := s.FrameSize()
	return fyne.NewSize(float32(w), float32(h))
}

// toFrame maps a position in the widget to a frame pixel; ok is false outside the picture.
func (s *RemoteScreen) toFrame(p fyne.Position) (x, y int32, ok bool) {
	fw, fh := s.FrameSize()
	if fw <= 1 && fh <= 1 {
		return 0, 0, false
	}
	fx, fy := float64(p.X), float64(p.Y)
	if s.fit {
		size := s.Size()
		scale := min(float64(size.Width)/float64(fw), float64(size.Height)/float64(fh))
		if scale <= 0 {
			return 0, 0, false
		}
		fx = (fx - (float64(size.Width)-float64(fw)*scale)/2) / scale
		fy = (fy - (float64(size.Height)-float64(fh)*scale)/2) / scale
	}
	if fx < 0 || fy < 0 || fx >= float64(fw) || fy >= float64(fh) {
		return 0, 0, false
	}
	return int32(fx), int32(fy), true
}

func (s *RemoteScreen) send(m protocol.Message) {
	if s.control && s.OnInput != nil {
		s.OnInput(m)
	}
}

func (s *RemoteScreen) moveTo(p fyne.Position) bool {
	x, y, ok := s.toFrame(p)
	if ok {
		s.send(&protocol.MouseMove{X: x, Y: y})
	}
	return ok
}

// MouseIn implements desktop.Hoverable.
func (s *RemoteScreen) MouseIn(e *desktop.MouseEvent) { s.moveTo(e.Position) }

// MouseMoved implements desktop.Hoverable.
func (s *RemoteScreen) MouseMoved(e *desktop.MouseEvent) { s.moveTo(e.Position) }

// MouseOut implements desktop.Hoverable.
func (s *RemoteScreen) MouseOut() {}

// MouseDown implements desktop.Mouseable; it also takes the keyboard focus.
func (s *RemoteScreen) MouseDown(e *desktop.MouseEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil && s.control {
		c.Focus(s)
	}
	if s.moveTo(e.Position) {
		s.send(&protocol.MouseButton{Button: button(e.Button), Down: true})
	}
}

// MouseUp implements desktop.Mouseable.
func (s *RemoteScreen) MouseUp(e *desktop.MouseEvent) {
	if s.moveTo(e.Position) {
		s.send(&protocol.MouseButton{Button: button(e.Button), Down: false})
	}
}

func button(b desktop.MouseButton) protocol.Button {
	switch b {
	case desktop.MouseButtonSecondary:
		return protocol.ButtonRight
	case desktop.MouseButtonTertiary:
		return protocol.ButtonMiddle
	}
	return protocol.ButtonLeft
}

// Scrolled implements fyne.Scrollable: the wheel goes to the remote computer while control is on.
func (s *RemoteScreen) Scrolled(e *fyne.ScrollEvent) {
	if !s.moveTo(e.Position) {
		return
	}
	// Fyne gives about 10 units a notch on most systems; the wire counts 120 a notch, as Windows does.
	s.send(&protocol.Wheel{DX: int32(e.Scrolled.DX * protocol.WheelNotch / 10), DY: int32(e.Scrolled.DY * protocol.WheelNotch / 10)})
}

// FocusGained implements fyne.Focusable.
func (s *RemoteScreen) FocusGained() {}

// FocusLost implements fyne.Focusable; modifiers held are forgotten.
func (s *RemoteScreen) FocusLost() { s.mods = 0 }

// TypedRune implements fyne.Focusable: characters are sent as text.
func (s *RemoteScreen) TypedRune(r rune) {
	if s.mods&(protocol.ModControl|protocol.ModAlt|protocol.ModSuper) != 0 {
		return // part of a shortcut, sent by KeyDown
	}
	s.send(&protocol.Text{Text: string(r)})
}

// TypedKey implements fyne.Focusable; keys go through KeyDown and KeyUp.
func (s *RemoteScreen) TypedKey(*fyne.KeyEvent) {}

// KeyDown implements desktop.Keyable: modifiers are tracked, and keys that type no character (or that are
// pressed with Ctrl, Alt or Super) are sent by name.
func (s *RemoteScreen) KeyDown(e *fyne.KeyEvent) {
	if m := modifier(e.Name); m != 0 {
		s.mods |= m
		return
	}
	if s.mods&(protocol.ModControl|protocol.ModAlt|protocol.ModSuper) != 0 || !typesCharacter(e.Name) {
		s.send(&protocol.Key{Name: string(e.Name), Down: true, Modifiers: s.mods})
	}
}

// KeyUp implements desktop.Keyable.
func (s *RemoteScreen) KeyUp(e *fyne.KeyEvent) {
	if m := modifier(e.Name); m != 0 {
		s.mods &^= m
		return
	}
	if s.mods&(protocol.ModControl|protocol.ModAlt|protocol.ModSuper) != 0 || !typesCharacter(e.Name) {
		s.send(&protocol.Key{Name: string(e.Name), Down: false, Modifiers: s.mods})
	}
}

// TypedShortcut implements fyne.Shortcutable: Fyne turns Ctrl+C and the like into shortcuts before KeyDown
// sees them; they go to the remote computer as a key press with its modifiers.
func (s *RemoteScreen) TypedShortcut(sc fyne.Shortcut) {
	ks, ok := sc.(fyne.KeyboardShortcut)
	if !ok {
		return
	}
	mods := s.mods
	m := ks.Mod()
	if m&fyne.KeyModifierShift != 0 {
		mods |= protocol.ModShift
	}
	if m&fyne.KeyModifierControl != 0 {
		mods |= protocol.ModControl
	}
	if m&fyne.KeyModifierAlt != 0 {
		mods |= protocol.ModAlt
	}
	if m&fyne.KeyModifierSuper != 0 {
		mods |= protocol.ModSuper
	}
	s.send(&protocol.Key{Name: string(ks.Key()), Down: true, Modifiers: mods})
	s.send(&protocol.Key{Name: string(ks.Key()), Down: false, Modifiers: mods})
}

func modifier(k fyne.KeyName) protocol.Modifiers {
	switch k {
	case desktop.KeyShiftLeft, desktop.KeyShiftRight:
		return protocol.ModShift
	case desktop.KeyControlLeft, desktop.KeyControlRight:
		return protocol.ModControl
	case desktop.KeyAltLeft, desktop.KeyAltRight:
		return protocol.ModAlt
	case desktop.KeySuperLeft, desktop.KeySuperRight:
		return protocol.ModSuper
	}
	return 0
}

// typesCharacter reports whether a key normally types a character (sent as text by TypedRune instead).
func typesCharacter(k fyne.KeyName) bool {
	if len(k) == 1 {
		return true // letters, digits, punctuation
	}
	return k == fyne.KeySpace
}

type screenRenderer struct {
	s       *RemoteScreen
	objects []fyne.CanvasObject
	bg      *canvas.Rectangle
}

func (r *screenRenderer) Layout(size fyne.Size) {
	for _, o := range []fyne.CanvasObject{r.bg, r.s.img, r.s.veil} {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
	if !r.s.fit {
		w, h := r.s.FrameSize()
		r.s.img.Resize(fyne.NewSize(float32(w), float32(h)))
	}
	r.s.placePointer()
	// The state text: centred, wrapped within most of the width (a wrapped label has no width of its own).
	w := max(size.Width*0.8, min(size.Width, 200))
	r.s.state.Resize(fyne.NewSize(w, size.Height))
	h := min(r.s.state.MinSize().Height, size.Height)
	r.s.state.Resize(fyne.NewSize(w, h))
	r.s.state.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
}

// veilColour dims the picture under the state text: the theme's background, mostly opaque, so that the
// theme's text stays readable in light and dark themes alike.
func veilColour() color.Color {
	r, g, b, _ := theme.Color(theme.ColorNameBackground).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0xd0}
}

func (r *screenRenderer) MinSize() fyne.Size { return r.s.MinSize() }

func (r *screenRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameBackground)
	r.s.veil.FillColor = veilColour()
	r.Layout(r.s.Size())
	canvas.Refresh(r.s)
}

func (r *screenRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *screenRenderer) Destroy() {}
