// Package input injects a remote technician's mouse and keyboard events into the local desktop.
//
// An Injector moves the pointer (absolute virtual-screen pixels, as capture.Monitor bounds use), presses
// and releases buttons, double-clicks, scrolls, presses and releases keys by name, and types text. A Mapper
// turns a point of the shared frame (what the viewer sees) into virtual-screen pixels of the captured
// monitor. NewRobotgo injects for real (github.com/go-vgo/robotgo: XTest on X11, SendInput on Windows,
// CGEvent on macOS; it needs cgo); a Recorder records the calls, for tests.
//
// Key names are robotgo's: a single character as printed on the key without modifiers ("a", "1", "é"), or a
// name ("enter", "escape", "f1", "left", "shift", …; see KnownKey). Type is the layout-independent way to
// produce text: it sends characters, not keys, so accented letters come out right on any keyboard layout.
package input

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Button is a mouse button.
type Button int

// The mouse buttons.
const (
	ButtonLeft Button = iota + 1
	ButtonMiddle
	ButtonRight
)

// String returns the button's robotgo name: "left", "center" or "right".
func (b Button) String() string {
	switch b {
	case ButtonLeft:
		return "left"
	case ButtonMiddle:
		return "center"
	case ButtonRight:
		return "right"
	}
	return fmt.Sprintf("Button(%d)", int(b))
}

// Valid reports whether b is one of the buttons.
func (b Button) Valid() bool { return b >= ButtonLeft && b <= ButtonRight }

// Modifiers is a set of modifier keys held around a key event.
type Modifiers uint8

// The modifier bits.
const (
	ModShift Modifiers = 1 << iota
	ModCtrl
	ModAlt
	ModSuper // the Windows key; Command on macOS

	modAll = ModShift | ModCtrl | ModAlt | ModSuper
)

// names returns robotgo's names of the modifiers in m, in a fixed order.
func (m Modifiers) names() []string {
	var n []string
	for _, x := range []struct {
		bit  Modifiers
		name string
	}{{ModCtrl, "ctrl"}, {ModAlt, "alt"}, {ModShift, "shift"}, {ModSuper, "cmd"}} {
		if m&x.bit != 0 {
			n = append(n, x.name)
		}
	}
	return n
}

// String lists the modifiers, e.g. "ctrl+shift"; "" for none.
func (m Modifiers) String() string { return strings.Join(m.names(), "+") }

// Injector injects input events. Implementations are safe for concurrent use, but events from several
// goroutines interleave in no particular order: one goroutine (the session's input stream) should own it.
type Injector interface {
	// Move puts the pointer at (x, y) in virtual-screen pixels.
	Move(x, y int) error
	// ButtonDown presses b where the pointer is.
	ButtonDown(b Button) error
	// ButtonUp releases b.
	ButtonUp(b Button) error
	// DoubleClick clicks b twice, as the system's double-click.
	DoubleClick(b Button) error
	// Scroll turns the wheel by dx, dy notches: positive dy scrolls down (content moves up), positive dx
	// scrolls right.
	Scroll(dx, dy int) error
	// KeyDown presses the modifiers, then the key named key (see KnownKey).
	KeyDown(key string, mods Modifiers) error
	// KeyUp releases the key, then the modifiers.
	KeyUp(key string, mods Modifiers) error
	// Type types text as characters, whatever the keyboard layout; "\n" and "\t" press Enter and Tab.
	Type(text string) error
	// Close releases the injector; later calls fail with ErrClosed. Calling it again does nothing.
	Close() error
}

var (
	// ErrClosed is wrapped by errors from an Injector used after Close.
	ErrClosed = errors.New("input injector closed")
	// ErrUnsupported is wrapped when injection cannot work here (no cgo, no display).
	ErrUnsupported = errors.New("input injection not supported here")
	// ErrInvalid is wrapped by errors about an unknown button, key name or modifier, or bad text.
	ErrInvalid = errors.New("invalid input event")
)

// Limits on one call's arguments.
const (
	// MaxScroll bounds |dx| and |dy| of one Scroll, in notches.
	MaxScroll = 100
	// MaxTypeLen bounds the text of one Type, in bytes.
	MaxTypeLen = 4096
)

// keyNames are the key names robotgo knows (besides single characters).
var keyNames = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`backspace delete enter tab esc escape up down right left home end pageup
		pagedown f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17 f18 f19 f20 f21 f22 f23 f24 cmd lcmd
		rcmd command alt lalt ralt ctrl lctrl rctrl control shift lshift rshift right_shift capslock space print
		printscreen insert menu audio_mute audio_vol_down audio_vol_up audio_play audio_stop audio_pause
		audio_prev audio_next audio_rewind audio_forward audio_repeat audio_random num0 num1 num2 num3 num4 num5
		num6 num7 num8 num9 num_lock numpad_0 numpad_1 numpad_2 numpad_3 numpad_4 numpad_5 numpad_6 numpad_7
		numpad_8 numpad_9 numpad_lock num_clear num_enter num_equal lights_mon_up lights_mon_down
		lights_kbd_toggle lights_kbd_up lights_kbd_down`) {
		keyNames[k] = true
	}
}

// KnownKey reports whether key is a key name Injector accepts: one of robotgo's names, or a single
// printable character other than a space (use "space").
func KnownKey(key string) bool {
	if keyNames[key] {
		return true
	}
	r, n := utf8.DecodeRuneInString(key)
	return n == len(key) && r != utf8.RuneError && unicode.IsPrint(r) && !unicode.IsSpace(r)
}

// CheckKey validates a key event's arguments (every Injector does), with an error wrapping ErrInvalid.
func CheckKey(key string, mods Modifiers) error {
	if !KnownKey(key) {
		return fmt.Errorf("key %q: %w", key, ErrInvalid)
	}
	if mods&^modAll != 0 {
		return fmt.Errorf("modifier bits %#x: %w", uint8(mods&^modAll), ErrInvalid)
	}
	return nil
}

// CheckButton validates a button, with an error wrapping ErrInvalid.
func CheckButton(b Button) error {
	if !b.Valid() {
		return fmt.Errorf("%v: %w", b, ErrInvalid)
	}
	return nil
}

// CheckScroll validates a scroll, with an error wrapping ErrInvalid.
func CheckScroll(dx, dy int) error {
	if dx < -MaxScroll || dx > MaxScroll || dy < -MaxScroll || dy > MaxScroll {
		return fmt.Errorf("scroll %d,%d notches (at most %d): %w", dx, dy, MaxScroll, ErrInvalid)
	}
	return nil
}

// CheckText validates Type's text, with an error wrapping ErrInvalid.
func CheckText(text string) error {
	if len(text) > MaxTypeLen {
		return fmt.Errorf("%d bytes of text (at most %d): %w", len(text), MaxTypeLen, ErrInvalid)
	}
	if !utf8.ValidString(text) {
		return fmt.Errorf("text is not UTF-8: %w", ErrInvalid)
	}
	return nil
}

// scrollStep is one call of robotgo.Scroll, with Shift held or not.
type scrollStep struct {
	x, y  int
	shift bool
}

// scrollSteps converts a Scroll (notches; +dy down, +dx right) into robotgo.Scroll calls on goos. On
// Windows robotgo sends horizontal notches as vertical ones, so horizontal scrolling is Shift+wheel there
// (which most Windows programs read as horizontal), in a step of its own.
func scrollSteps(goos string, dx, dy int) []scrollStep {
	switch goos {
	case "darwin":
		// Pixel units; positive is up and left.
		return []scrollStep{{x: -dx * macPixelsPerNotch, y: -dy * macPixelsPerNotch}}
	case "windows":
		// WHEEL_DELTA units; positive is away from the user (up).
		var steps []scrollStep
		if dy != 0 {
			steps = append(steps, scrollStep{y: -dy})
		}
		if dx != 0 {
			steps = append(steps, scrollStep{y: -dx, shift: true})
		}
		return steps
	default:
		// X11 buttons: y > 0 is button 4 (up), x > 0 is button 6 (left).
		return []scrollStep{{x: -dx, y: -dy}}
	}
}

// macPixelsPerNotch is how far one wheel notch scrolls on macOS, where robotgo posts pixel-unit events.
const macPixelsPerNotch = 10

// splitText cuts text into runs to type and the keys that stand for control characters ("enter", "tab"),
// dropping other control characters; "\r\n" and "\r" count as one Enter.
func splitText(text string) []textPart {
	var parts []textPart
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			parts = append(parts, textPart{text: run.String()})
			run.Reset()
		}
	}
	prevCR := false
	for _, r := range text {
		switch {
		case r == '\n' && prevCR:
		case r == '\n' || r == '\r':
			flush()
			parts = append(parts, textPart{key: "enter"})
		case r == '\t':
			flush()
			parts = append(parts, textPart{key: "tab"})
		case unicode.IsControl(r):
		default:
			run.WriteRune(r)
		}
		prevCR = r == '\r'
	}
	flush()
	return parts
}

// textPart is a run of characters to type, or a key to tap.
type textPart struct {
	text string
	key  string
}

// isChar reports whether key is a single character rather than a key name.
func isChar(key string) bool {
	_, n := utf8.DecodeRuneInString(key)
	return n == len(key) && !keyNames[key]
}

// toArgs builds robotgo.KeyToggle's arguments: "down" or "up", then the modifiers.
func toArgs(dir string, mods Modifiers) []any {
	args := []any{dir}
	for _, m := range mods.names() {
		args = append(args, m)
	}
	return args
}

// PassesCtrlAltDel reports whether Ctrl+Alt+Del injected here reaches the system as if typed: on an X11 desktop
// it does (the desktop decides what it means: often a log-out or lock dialog). Windows takes that sequence only
// from its own keyboard (or from a system service), and macOS has no such keys, so there it does not.
func PassesCtrlAltDel() bool { return runtime.GOOS == "linux" }
