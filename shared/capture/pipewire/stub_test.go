//go:build !linux || !cgo || nopipewire

package pipewire

import (
	"errors"
	"testing"

	"github.com/tandem-remote/tandem/shared/codec"
)

func TestStub(t *testing.T) {
	if err := Load(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Load = %v, want ErrUnavailable", err)
	}
	s, err := Open(-1, 1)
	if !errors.Is(err, ErrUnavailable) || s != nil {
		t.Fatalf("Open = %v, %v; want ErrUnavailable", s, err)
	}
	var st Stream
	if err := st.Frame(&codec.Frame{}, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Frame = %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
