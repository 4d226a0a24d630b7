// Package keysym turns characters and key names into X keysyms: the layout-independent identities of keys
// that Wayland's remote desktop portal takes (RemoteDesktop.NotifyKeyboardKeysym). The compositor finds the
// key, and the Shift or AltGr level, that make the keysym on the computer's own keyboard layout, so an "@"
// comes out right on a French AZERTY keyboard as on a US one.
//
// Characters follow libxkbcommon's xkb_utf32_to_keysym: Latin-1 characters are their own keysyms, other
// characters that keysymdef.h names have that keysym (€ is EuroSign, 0x20ac; œ is oe, 0x13bd), and the rest
// are Unicode keysyms (0x01000000 + code point). Key names are robotgo's, as shared/input uses them.
package keysym

import (
	"unicode"
	"unicode/utf8"
)

// unicodeBase is added to a code point to make its Unicode keysym.
const unicodeBase = 0x01000000

// Some keysyms by their keysymdef.h names.
const (
	BackSpace   uint32 = 0xff08
	Tab         uint32 = 0xff09
	Return      uint32 = 0xff0d
	Escape      uint32 = 0xff1b
	ShiftL      uint32 = 0xffe1
	ControlL    uint32 = 0xffe3
	AltL        uint32 = 0xffe9
	SuperL      uint32 = 0xffeb
	Level3Shift uint32 = 0xfe03 // AltGr
)

// FromRune returns the keysym that types r, and false for characters no key types (other control
// characters, surrogates, invalid code points). "\n" is Return, "\t" Tab and "\b" BackSpace.
func FromRune(r rune) (uint32, bool) {
	switch {
	case r == '\n' || r == '\r':
		return Return, true
	case r == '\t':
		return Tab, true
	case r == '\b':
		return BackSpace, true
	case r < 0x20 || (r >= 0x7f && r < 0xa0) || !utf8.ValidRune(r) || r == unicode.ReplacementChar:
		return 0, false
	case r <= 0xff:
		return uint32(r), true
	}
	if sym, ok := fromUnicode[r]; ok {
		return sym, true
	}
	return unicodeBase + uint32(r), true //nolint:gosec // a valid rune is below 0x110000
}

// FromName returns the keysym of a robotgo key name ("enter", "f5", "lctrl", "audio_mute", …) or of a single
// character ("a", "é", "@"), and false for names it does not know.
func FromName(name string) (uint32, bool) {
	if sym, ok := names[name]; ok {
		return sym, true
	}
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 || size != len(name) || r == ' ' {
		return 0, false
	}
	return FromRune(r)
}

// names are robotgo's key names.
var names = map[string]uint32{
	"backspace": BackSpace, "delete": 0xffff, "enter": Return, "tab": Tab, "esc": Escape, "escape": Escape,
	"up": 0xff52, "down": 0xff54, "right": 0xff53, "left": 0xff51, "home": 0xff50, "end": 0xff57,
	"pageup": 0xff55, "pagedown": 0xff56, "space": 0x20, "insert": 0xff63, "menu": 0xff67,
	"print": 0xff61, "printscreen": 0xff61, "capslock": 0xffe5, "num_lock": 0xff7f, "numpad_lock": 0xff7f,

	"shift": ShiftL, "lshift": ShiftL, "rshift": 0xffe2, "right_shift": 0xffe2,
	"ctrl": ControlL, "lctrl": ControlL, "control": ControlL, "rctrl": 0xffe4,
	"alt": AltL, "lalt": AltL, "ralt": Level3Shift, // the right Alt is AltGr where the layout has one
	"cmd": SuperL, "lcmd": SuperL, "command": SuperL, "rcmd": 0xffec,

	"num_clear": 0xff0b, "num_enter": 0xff8d, "num_equal": 0xffbd,

	"audio_mute": 0x1008ff12, "audio_vol_down": 0x1008ff11, "audio_vol_up": 0x1008ff13,
	"audio_play": 0x1008ff14, "audio_stop": 0x1008ff15, "audio_prev": 0x1008ff16, "audio_next": 0x1008ff17,
	"audio_pause": 0x1008ff31, "audio_rewind": 0x1008ff3e, "audio_forward": 0x1008ff97,
	"audio_repeat": 0x1008ff98, "audio_random": 0x1008ff99,
	"lights_mon_up": 0x1008ff02, "lights_mon_down": 0x1008ff03, "lights_kbd_toggle": 0x1008ff04,
	"lights_kbd_up": 0x1008ff05, "lights_kbd_down": 0x1008ff06,
}

func init() {
	for i := range uint32(24) {
		names["f"+itoa(i+1)] = 0xffbe + i // F1 … F24
	}
	for i := range uint32(10) {
		names["num"+itoa(i)] = 0xffb0 + i // KP_0 … KP_9
		names["numpad_"+itoa(i)] = 0xffb0 + i
	}
}

func itoa(n uint32) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
