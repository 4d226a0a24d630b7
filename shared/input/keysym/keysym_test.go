package keysym

import (
	"bytes"
	"os"
	"testing"
)

func TestFromRune(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want uint32
		ok   bool
	}{
		{'a', 0x61, true}, {'q', 0x71, true}, {'A', 0x41, true}, // letters are the same keysyms on AZERTY and QWERTY
		{'@', 0x40, true}, {'#', 0x23, true}, {'{', 0x7b, true}, {'|', 0x7c, true}, // AltGr characters on AZERTY
		{'é', 0xe9, true}, {'ç', 0xe7, true}, {'ê', 0xea, true}, {'ù', 0xf9, true}, // Latin-1: the code point
		{'^', 0x5e, true}, {'¨', 0xa8, true}, {'`', 0x60, true}, // a dead key's spacing character
		{'€', 0x20ac, true}, {'œ', 0x13bd, true}, {'Œ', 0x13bc, true}, {'Ÿ', 0x13be, true}, // named outside Latin-1
		{'ł', 0x1b3, true}, {'Ж', 0x6f6, true}, {'α', 0x7e1, true},
		{'→', 0x8fd, true}, {'😀', 0x0101f600, true}, {'ẞ', 0x01001e9e, true}, // no name: Unicode keysym
		{'\n', Return, true}, {'\t', Tab, true}, {'\b', BackSpace, true},
		{0x07, 0, false}, {0x7f, 0, false}, {0x85, 0, false}, {0xd800, 0, false}, {0x110000, 0, false},
	} {
		got, ok := FromRune(tc.r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FromRune(%q) = %#x, %v; want %#x, %v", tc.r, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFromName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want uint32
		ok   bool
	}{
		{"enter", 0xff0d, true}, {"escape", 0xff1b, true}, {"f1", 0xffbe, true}, {"f12", 0xffc9, true},
		{"f24", 0xffd5, true}, {"numpad_7", 0xffb7, true}, {"num0", 0xffb0, true}, {"delete", 0xffff, true},
		{"ralt", Level3Shift, true}, {"lctrl", ControlL, true}, {"cmd", SuperL, true},
		{"audio_mute", 0x1008ff12, true}, {"space", 0x20, true},
		{"a", 0x61, true}, {"é", 0xe9, true}, {"€", 0x20ac, true},
		{"", 0, false}, {"ab", 0, false}, {" ", 0, false}, {"f25", 0, false}, {"\x07", 0, false},
	} {
		got, ok := FromName(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FromName(%q) = %#x, %v; want %#x, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestTableIsUpToDate regenerates unicode_table.go from the system's keysymdef.h (CI installs it with
// libx11-dev) and compares.
func TestTableIsUpToDate(t *testing.T) {
	header, err := os.ReadFile(HeaderPath)
	if err != nil {
		t.Fatalf("%v (Debian: x11proto-dev)", err)
	}
	want, err := GenerateTable(header)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("unicode_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("unicode_table.go differs from what keysymdef.h gives: run go generate ./shared/input/keysym")
	}
}
