package xvfb

import (
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// Keysyms a test presses often.
const (
	KeysymControlL xproto.Keysym = 0xffe3
	KeysymShiftL   xproto.Keysym = 0xffe1
)

// Keyboard presses keys through XTest: what the X server sees of a person at a physical keyboard (key grabs,
// focus and all).
type Keyboard struct {
	c       *xgb.Conn
	root    xproto.Window
	min     xproto.Keycode
	per     int
	keysyms []xproto.Keysym
}

// NewKeyboard opens a connection to display for the test.
func NewKeyboard(t testing.TB, display string) *Keyboard {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := xtest.Init(c); err != nil {
		t.Fatal(err)
	}
	setup := xproto.Setup(c)
	n := byte(setup.MaxKeycode - setup.MinKeycode + 1)
	m, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, n).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return &Keyboard{c: c, root: setup.DefaultScreen(c).Root, min: setup.MinKeycode, per: int(m.KeysymsPerKeycode),
		keysyms: m.Keysyms}
}

// code is the key whose unshifted keysym is ks.
func (k *Keyboard) code(t testing.TB, ks xproto.Keysym) byte {
	t.Helper()
	for i := 0; i*k.per < len(k.keysyms); i++ {
		if k.keysyms[i*k.per] == ks {
			return byte(int(k.min) + i)
		}
	}
	t.Fatalf("no key for keysym %#x", ks)
	return 0
}

// Press presses the keys in order (letters as their lower-case keysyms), then releases them in reverse.
func (k *Keyboard) Press(t testing.TB, keysyms ...xproto.Keysym) {
	t.Helper()
	codes := make([]byte, len(keysyms))
	for i, ks := range keysyms {
		codes[i] = k.code(t, ks)
	}
	for _, c := range codes {
		if err := xtest.FakeInputChecked(k.c, xproto.KeyPress, c, 0, k.root, 0, 0, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
	for i := len(codes) - 1; i >= 0; i-- {
		if err := xtest.FakeInputChecked(k.c, xproto.KeyRelease, codes[i], 0, k.root, 0, 0, 0).Check(); err != nil {
			t.Fatal(err)
		}
	}
}
