package input

import (
	"testing"

	"github.com/tandem-remote/tandem/shared/input/keysym"
)

// TestEveryKeyNameHasAKeysym: the Wayland injector sends keysyms, so every key name an Injector accepts
// needs one.
func TestEveryKeyNameHasAKeysym(t *testing.T) {
	for name := range keyNames {
		if _, ok := keysym.FromName(name); !ok {
			t.Errorf("key %q has no keysym", name)
		}
	}
}
