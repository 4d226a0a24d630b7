package ui

import (
	"image/color"
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// solid returns a w×h BGRA frame of one colour.
func solid(w, h int, b, g, r byte) codec.Frame {
	f := codec.NewFrame(w, h)
	for i := 0; i < len(f.Pix); i += 4 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2], f.Pix[i+3] = b, g, r, 0xff
	}
	return f
}

func TestSetFrameConvertsAndUpdatesOnlyChangedRegions(t *testing.T) {
	test.NewTempApp(t)
	s := NewRemoteScreen()
	f := solid(130, 70, 0x10, 0x20, 0x30) // B, G, R
	s.SetFrame(f, nil)
	if w, h := s.FrameSize(); w != 130 || h != 70 {
		t.Fatalf("frame size %dx%d", w, h)
	}
	if got := s.rgba.RGBAAt(129, 69); got != (color.RGBA{R: 0x30, G: 0x20, B: 0x10, A: 0xff}) {
		t.Fatalf("pixel %v: BGRA not turned into RGBA", got)
	}
	// Paint the whole frame white but report only one region as changed: only it is copied.
	white := solid(130, 70, 0xff, 0xff, 0xff)
	s.SetFrame(white, []codec.Rect{{X: 64, Y: 64, W: 66, H: 6}})
	if got := s.rgba.RGBAAt(64, 64); got.R != 0xff {
		t.Fatalf("changed region not copied: %v", got)
	}
	if got := s.rgba.RGBAAt(0, 0); got.R != 0x30 {
		t.Fatalf("unchanged region copied: %v", got)
	}
}

func TestPointerMapsToFramePixelsOnlyUnderControl(t *testing.T) {
	test.NewTempApp(t)
	s := NewRemoteScreen()
	var got []protocol.Message
	s.OnInput = func(m protocol.Message) { got = append(got, m) }
	s.SetFrame(solid(400, 100, 0, 0, 0), nil)
	w := test.NewWindow(s)
	defer w.Close()
	w.SetPadded(false)
	w.Resize(fyne.NewSize(200, 100)) // scale 0.5: the picture is 200×50, 25 units from the top

	press := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}, Button: desktop.MouseButtonPrimary}
	s.MouseDown(press)
	if len(got) != 0 {
		t.Fatalf("input sent without control: %v", got)
	}
	s.SetControl(true)
	s.MouseDown(press)
	s.MouseUp(press)
	want := []protocol.Message{
		&protocol.MouseMove{X: 200, Y: 50}, &protocol.MouseButton{Button: protocol.ButtonLeft, Down: true},
		&protocol.MouseMove{X: 200, Y: 50}, &protocol.MouseButton{Button: protocol.ButtonLeft, Down: false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// The letterbox above the picture is not the remote screen.
	got = nil
	s.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 10)}})
	if len(got) != 0 {
		t.Fatalf("a click outside the picture was sent: %v", got)
	}
	// At 1:1 the widget's units are frame pixels.
	s.SetFit(false)
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(150, 40)}})
	if !reflect.DeepEqual(got, []protocol.Message{&protocol.MouseMove{X: 150, Y: 40}}) {
		t.Fatalf("1:1 move gave %v", got)
	}
}

func TestKeyboardSendsTextKeysAndShortcuts(t *testing.T) {
	test.NewTempApp(t)
	s := NewRemoteScreen()
	var got []protocol.Message
	s.OnInput = func(m protocol.Message) { got = append(got, m) }
	s.SetControl(true)

	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyE})
	s.TypedRune('é') // what the technician's layout produced
	s.KeyUp(&fyne.KeyEvent{Name: fyne.KeyE})
	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyReturn})
	s.KeyUp(&fyne.KeyEvent{Name: fyne.KeyReturn})
	s.KeyDown(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	s.KeyDown(&fyne.KeyEvent{Name: fyne.KeyL})
	s.TypedRune('l') // part of Ctrl+L: not typed
	s.KeyUp(&fyne.KeyEvent{Name: fyne.KeyL})
	s.KeyUp(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	s.TypedShortcut(&fyne.ShortcutCopy{})
	want := []protocol.Message{
		&protocol.Text{Text: "é"},
		&protocol.Key{Name: "Return", Down: true}, &protocol.Key{Name: "Return"},
		&protocol.Key{Name: "L", Down: true, Modifiers: protocol.ModControl},
		&protocol.Key{Name: "L", Modifiers: protocol.ModControl},
		&protocol.Key{Name: "C", Down: true, Modifiers: protocol.ModControl},
		&protocol.Key{Name: "C", Modifiers: protocol.ModControl},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for _, m := range got {
		if err := m.Validate(); err != nil {
			t.Errorf("%v does not go on the wire: %v", m, err)
		}
	}
}

func TestStateOverlay(t *testing.T) {
	test.NewTempApp(t)
	s := NewRemoteScreen()
	s.SetFrame(solid(64, 64, 0, 0xff, 0), nil)
	w := test.NewWindow(s)
	defer w.Close()
	w.SetPadded(false)
	w.Resize(fyne.NewSize(64, 64))
	green := w.Canvas().Capture().At(32, 5)
	if r, g, b, _ := green.RGBA(); g>>8 < 0xf0 || r>>8 > 0x10 || b>>8 > 0x10 {
		t.Fatalf("the picture is not drawn: %v", green)
	}
	s.SetState("Waiting for the screen…")
	if s.State() == "" || !s.state.Visible() {
		t.Fatal("state not shown")
	}
	if w := s.state.Size().Width; w < 40 {
		t.Fatalf("state text laid out %v wide: one letter a line", w)
	}
	if r, g, b, _ := w.Canvas().Capture().At(32, 5).RGBA(); g>>8 >= 0xf0 && r>>8 < 0x10 && b>>8 < 0x10 {
		t.Fatal("the state does not dim the picture")
	}
	s.SetState("")
	if s.state.Visible() {
		t.Fatal("state still shown")
	}
}

func TestRemotePointerDrawnWhereItsPixelIsShown(t *testing.T) {
	test.NewTempApp(t)
	s := NewRemoteScreen()
	s.SetFrame(solid(400, 100, 0, 0, 0), nil)
	w := test.NewWindow(s)
	defer w.Close()
	w.SetPadded(false)
	w.Resize(fyne.NewSize(200, 100)) // scale 0.5, picture 25 units from the top

	if _, shown := s.Pointer(); shown {
		t.Fatal("a pointer before any was reported")
	}
	tests := []struct {
		name    string
		x, y    int
		visible bool
		shape   protocol.CursorShape
		fit     bool
		want    fyne.Position
		shown   bool
	}{
		{"scaled arrow: hot spot at its tip", 200, 50, true, protocol.CursorArrow, true, fyne.NewPos(100, 50), true},
		{"scaled I-beam: hot spot in its middle", 200, 50, true, protocol.CursorText, true, fyne.NewPos(97, 42), true},
		{"on another monitor", 200, 50, false, protocol.CursorArrow, true, fyne.Position{}, false},
		{"outside the frame", 400, 50, true, protocol.CursorArrow, true, fyne.Position{}, false},
		{"1:1", 150, 40, true, protocol.CursorArrow, false, fyne.NewPos(150, 40), true},
	}
	for _, tt := range tests {
		s.SetFit(tt.fit)
		s.SetPointer(tt.x, tt.y, tt.visible, tt.shape)
		pos, shown := s.Pointer()
		if shown != tt.shown || (shown && pos != tt.want) {
			t.Errorf("%s: at %v shown %v, want %v shown %v", tt.name, pos, shown, tt.want, tt.shown)
		}
	}
	// The pointer follows the picture when the window changes size.
	s.SetFit(true)
	s.SetPointer(0, 0, true, protocol.CursorArrow)
	w.Resize(fyne.NewSize(400, 200)) // scale 1: the picture is 50 units from the top
	if pos, _ := s.Pointer(); pos != fyne.NewPos(0, 50) {
		t.Fatalf("after resizing the pointer is at %v, want 0,50", pos)
	}
}
