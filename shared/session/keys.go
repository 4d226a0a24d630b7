package session

import (
	"strings"

	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// fyneKeys maps the key names that travel in protocol.Key (Fyne's names, as the viewer widget sends them) to
// the injector's names. Single characters are lower-cased and passed through.
var fyneKeys = map[string]string{
	"Return": "enter", "Enter": "enter", "KP_Enter": "enter", "BackSpace": "backspace", "Tab": "tab",
	"Escape": "esc", "Space": "space", "Delete": "delete", "Insert": "insert", "Home": "home", "End": "end",
	"Prior": "pageup", "Next": "pagedown", "Left": "left", "Right": "right", "Up": "up", "Down": "down",
	"F1": "f1", "F2": "f2", "F3": "f3", "F4": "f4", "F5": "f5", "F6": "f6", "F7": "f7", "F8": "f8",
	"F9": "f9", "F10": "f10", "F11": "f11", "F12": "f12",
}

// keyName returns the injector's name for a key named on the wire.
func keyName(name string) (string, bool) {
	if k, ok := fyneKeys[name]; ok {
		return k, true
	}
	if len([]rune(name)) == 1 {
		k := strings.ToLower(name)
		return k, input.KnownKey(k)
	}
	return "", false
}

func modifiers(m protocol.Modifiers) input.Modifiers {
	var out input.Modifiers
	if m&protocol.ModShift != 0 {
		out |= input.ModShift
	}
	if m&protocol.ModControl != 0 {
		out |= input.ModCtrl
	}
	if m&protocol.ModAlt != 0 {
		out |= input.ModAlt
	}
	if m&protocol.ModSuper != 0 {
		out |= input.ModSuper
	}
	return out
}
