//go:build !cgo || !linux

// Package vpx codes moving photographic regions of the screen with VP8 where libvpx is built in (Linux with
// cgo); elsewhere Available reports false and the lossless codec carries everything.
package vpx

import (
	"errors"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Available reports whether VP8 is built in.
func Available() bool { return false }

// MaxSide bounds a coded region's width and height.
const MaxSide = 4096

var (
	// ErrUnavailable is returned where libvpx is not built in.
	ErrUnavailable = errors.New("VP8 video is not available in this build")
	// ErrCorrupt is returned for a packet the decoder refuses.
	ErrCorrupt = errors.New("corrupt VP8 packet")
)

// Encoder is not available in this build.
type Encoder struct{}

// NewEncoder returns ErrUnavailable.
func NewEncoder(_, _, _, _ int) (*Encoder, error) { return nil, ErrUnavailable }

// SetRate returns ErrUnavailable.
func (*Encoder) SetRate(int) error { return ErrUnavailable }

// Encode returns ErrUnavailable.
func (*Encoder) Encode(dst []byte, _ codec.Frame, _, _ int, _ bool, _ int64) ([]byte, bool, error) {
	return dst, false, ErrUnavailable
}

// Close does nothing.
func (*Encoder) Close() {}

// Decoder is not available in this build.
type Decoder struct{}

// NewDecoder returns ErrUnavailable.
func NewDecoder(_, _, _ int) (*Decoder, error) { return nil, ErrUnavailable }

// Decode returns ErrUnavailable.
func (*Decoder) Decode([]byte, codec.Frame, int, int) error { return ErrUnavailable }

// Close does nothing.
func (*Decoder) Close() {}
