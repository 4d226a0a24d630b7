package capture

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Header is the first line of a frame recording (../shared/corpus/README.md): a zstd stream of
//
//	FRAMES v1 WIDTH HEIGHT COUNT BGRA\n
//
// followed by COUNT raw frames of WIDTH*HEIGHT*4 bytes, B,G,R,A, top-down.
type Header struct {
	Width, Height, Count int
}

const (
	// MaxReplayFrames bounds a recording's COUNT.
	MaxReplayFrames = 1 << 20
	// maxHeaderLen bounds the header line, newline included.
	maxHeaderLen = 64
)

var (
	// ErrBadHeader is wrapped by errors about a recording's header line.
	ErrBadHeader = errors.New("bad recording header")
	// ErrTruncated is wrapped when a recording ends before its COUNT frames.
	ErrTruncated = errors.New("recording truncated")
)

// ReadHeader reads and checks a recording's header line from r (the decompressed stream), reading nothing
// past its newline. Every number is checked against MaxDimension, MaxFrameBytes and MaxReplayFrames.
func ReadHeader(r io.Reader) (Header, error) {
	var line []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return Header{}, fmt.Errorf("%w: ends after %d bytes, before its newline", ErrBadHeader, len(line))
			}
			return Header{}, fmt.Errorf("reading recording header: %w", err)
		}
		if b[0] == '\n' {
			break
		}
		if len(line) >= maxHeaderLen-1 {
			return Header{}, fmt.Errorf("%w: no newline in the first %d bytes", ErrBadHeader, maxHeaderLen)
		}
		line = append(line, b[0])
	}
	return ParseHeader(string(line))
}

// ParseHeader parses a header line without its newline.
func ParseHeader(line string) (Header, error) {
	f := strings.Split(line, " ")
	if len(f) != 6 || f[0] != "FRAMES" || f[5] != "BGRA" {
		return Header{}, fmt.Errorf("%w: %q is not \"FRAMES v1 WIDTH HEIGHT COUNT BGRA\"", ErrBadHeader, line)
	}
	if f[1] != "v1" {
		return Header{}, fmt.Errorf("%w: version %q (want v1)", ErrBadHeader, f[1])
	}
	var n [3]int
	for i, s := range f[2:5] {
		v, err := parseCount(s)
		if err != nil {
			return Header{}, fmt.Errorf("%w: %s %q: %w", ErrBadHeader, [3]string{"width", "height", "count"}[i], s, err)
		}
		n[i] = v
	}
	h := Header{Width: n[0], Height: n[1], Count: n[2]}
	if err := checkSize(h.Width, h.Height); err != nil {
		return Header{}, fmt.Errorf("%w: %w", ErrBadHeader, err)
	}
	if h.Count < 1 || h.Count > MaxReplayFrames {
		return Header{}, fmt.Errorf("%w: %d frames (1..%d)", ErrBadHeader, h.Count, MaxReplayFrames)
	}
	return h, nil
}

// parseCount parses 1 to 9 decimal digits: no sign, no spaces.
func parseCount(s string) (int, error) {
	if len(s) == 0 || len(s) > 9 {
		return 0, errors.New("not 1 to 9 digits")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	return strconv.Atoi(s)
}

// Replay is a Source that plays a frame recording over and over, one frame per Capture, as fast as it is
// asked. It has one monitor, at 0,0, of the recording's size.
type Replay struct {
	name   string
	open   func() (io.ReadCloser, error)
	rc     io.ReadCloser
	dec    *zstd.Decoder
	hdr    Header
	next   int // index of the next frame in the current pass; hdr.Count means "rewind first"
	closed bool
}

// OpenReplay opens the recording at path (a .frames.zst file).
func OpenReplay(path string) (*Replay, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".frames.zst")
	return NewReplay(name, func() (io.ReadCloser, error) { return os.Open(path) })
}

// NewReplay plays the recording that open returns; it calls open again to start each new pass. name
// becomes the monitor's name.
func NewReplay(name string, open func() (io.ReadCloser, error)) (*Replay, error) {
	// Concurrency 1 decodes in the calling goroutine (none left behind); the default window limit
	// (512 MiB) admits the corpus's 128 MiB windows.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("replay %s: zstd decoder: %w", name, err)
	}
	r := &Replay{name: name, open: open, dec: dec}
	if err := r.rewind(); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// rewind starts a new pass: it reopens the recording and reads its header.
func (r *Replay) rewind() error {
	if r.rc != nil {
		_ = r.rc.Close()
		r.rc = nil
	}
	rc, err := r.open()
	if err != nil {
		return fmt.Errorf("replay %s: %w", r.name, err)
	}
	if err := r.dec.Reset(rc); err != nil {
		_ = rc.Close()
		return fmt.Errorf("replay %s: zstd: %w", r.name, err)
	}
	r.rc = rc
	h, err := ReadHeader(r.dec)
	if err != nil {
		return fmt.Errorf("replay %s: %w", r.name, err)
	}
	if r.hdr != (Header{}) && h != r.hdr {
		return fmt.Errorf("replay %s: %w: header changed from %+v to %+v", r.name, ErrBadHeader, r.hdr, h)
	}
	r.hdr, r.next = h, 0
	return nil
}

// Header returns the recording's header.
func (r *Replay) Header() Header { return r.hdr }

// Name implements Source.
func (r *Replay) Name() string { return "replay:" + r.name }

// Monitors implements Source.
func (r *Replay) Monitors() ([]Monitor, error) {
	if r.closed {
		return nil, fmt.Errorf("replay %s: monitors: %w", r.name, ErrClosed)
	}
	return []Monitor{{Bounds: image.Rect(0, 0, r.hdr.Width, r.hdr.Height), Primary: true, Name: r.name}}, nil
}

// Capture implements Source: it stores the next frame of the recording in dst, starting over after the
// last one. A recording that ends early gives an error wrapping ErrTruncated (the next Capture starts over).
func (r *Replay) Capture(monitor int, dst *codec.Frame) error {
	if r.closed {
		return fmt.Errorf("replay %s: %w", r.name, ErrClosed)
	}
	if monitor != 0 {
		return fmt.Errorf("replay %s: monitor %d of 1: %w", r.name, monitor, ErrNoMonitor)
	}
	if r.next >= r.hdr.Count || r.rc == nil {
		if err := r.rewind(); err != nil {
			return err
		}
	}
	if err := Resize(dst, r.hdr.Width, r.hdr.Height); err != nil {
		return fmt.Errorf("replay %s: %w", r.name, err)
	}
	if _, err := io.ReadFull(r.dec, dst.Pix); err != nil {
		i := r.next
		r.next = r.hdr.Count
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("replay %s: frame %d of %d: %w", r.name, i+1, r.hdr.Count, ErrTruncated)
		}
		return fmt.Errorf("replay %s: frame %d of %d: %w", r.name, i+1, r.hdr.Count, err)
	}
	r.next++
	return nil
}

// Close implements Source: it closes the recording and the decoder.
func (r *Replay) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.rc != nil {
		err = r.rc.Close()
		r.rc = nil
	}
	r.dec.Close()
	if err != nil {
		return fmt.Errorf("replay %s: close: %w", r.name, err)
	}
	return nil
}
