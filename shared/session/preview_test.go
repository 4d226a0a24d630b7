package session

import (
	"bytes"
	"context"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// joinSlowly has a customer share screen with a technician through a 4 Mbit/s link, and returns the technician's
// side.
func joinSlowly(t *testing.T, screen capture.Source) *Host {
	t.Helper()
	h, err := NewHost(HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "Alice (support)"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.End)
	return joinSlowlyTo(t, h, screen)
}

// joinSlowlyTo is joinSlowly with the technician's side made by the test.
func joinSlowlyTo(t *testing.T, h *Host, screen capture.Source) *Host {
	t.Helper()
	joinSlowlyAs(t, h, screen)
	return h
}

// joinSlowlyAs is joinSlowlyTo returning the customer's side (screen may be nil: the customer shares none).
func joinSlowlyAs(t *testing.T, h *Host, screen capture.Source) *Guest {
	t.Helper()
	return joinOver(t, h, screen, relay.Link{Rate: 4_000_000, Delay: 20 * time.Millisecond})
}

// joinOver is joinSlowlyAs over a link like slow, each way.
func joinOver(t *testing.T, h *Host, screen capture.Source, slow relay.Link) *Guest {
	t.Helper()
	r := relay.New(t, h.Link().Addr)
	r.SetLinks(slow, slow)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	g, err := Join(ctx, Link{Addr: r.Addr(), Key: h.Link().Key}, GuestConfig{Name: "Bob", Screen: screen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	return g
}

// Joining over a slow link a screen whose key frame takes the link seconds: the technician first sees a coarse
// preview of the whole screen (its size, its colours), and then the exact picture, bit for bit.
func TestSlowLinkShowsAPreviewFirstThenTheExactPicture(t *testing.T) {
	src := capture.NewGrain(640, 400)
	h := joinSlowly(t, src)

	first := waitFor(t, h.Events(), func(ScreenUpdated) bool { return true })
	if !first.Preview {
		t.Fatalf("the first picture (%d bytes) is not a preview", first.Bytes)
	}
	var w, hgt int
	var exact bool
	var mean float64
	h.Screen(func(f codec.Frame) {
		w, hgt = f.Width, f.Height
		exact = bytes.Equal(f.Pix, src.Frame().Pix)
		var sum int
		for i := 0; i < len(f.Pix); i += 4 {
			sum += int(f.Pix[i])
		}
		mean = float64(sum) / float64(len(f.Pix)/4)
	})
	if w != 640 || hgt != 400 || exact {
		t.Fatalf("the preview shows %dx%d (exact: %v), want the whole 640x400 screen, coarse", w, hgt, exact)
	}
	if mean < 120 || mean > 136 {
		t.Fatalf("the preview's blue averages %.1f, the screen's is about 128", mean)
	}
	waitFor(t, h.Events(), func(u ScreenUpdated) bool { return !u.Preview })
	h.Screen(func(f codec.Frame) { exact = bytes.Equal(f.Pix, src.Frame().Pix) })
	if !exact {
		t.Fatal("after the key frame, the picture is not the screen bit for bit")
	}
}

// pointedGrain is a grain screen whose pointer the test moves.
type pointedGrain struct {
	*capture.Grain
	at atomic.Int64 // x of the pointer (y is 10)
}

func (p *pointedGrain) Pointer() (capture.Pointer, error) {
	return capture.Pointer{Pos: image.Pt(int(p.at.Load()), 10), Shape: "left_ptr"}, nil
}

// While the link is busy with a large picture, the customer's pointer still reaches the technician: its
// datagram overtakes the picture, and it does not wait for it.
func TestPointerOvertakesALargePicture(t *testing.T) {
	src := &pointedGrain{Grain: capture.NewGrain(640, 400)}
	h := joinSlowly(t, src)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	waitFor(t, h.Events(), func(u ScreenUpdated) bool { return u.Preview }) // the exact picture is on its way
	src.at.Store(123)
	for {
		select {
		case e := <-h.Events():
			switch e := e.(type) {
			case PointerMoved:
				if e.X == 123 {
					return
				}
			case ScreenUpdated:
				t.Fatal("the exact picture arrived before the pointer move made while it crossed the link")
			}
		case <-ctx.Done():
			t.Fatal("the pointer move never arrived")
		}
	}
}

// A key frame gets a preview only where it would take the link a while: never on loopback or a LAN.
func TestPreviewOnlyWhereTheKeyFrameIsSlow(t *testing.T) {
	for _, c := range []struct {
		name  string
		bytes int
		rate  float64
		rtt   time.Duration
		want  bool
	}{
		{"loopback, first frame", 3_200_000, 0, 200 * time.Microsecond, false},
		{"LAN, first frame", 3_200_000, 0, 2 * time.Millisecond, false},
		{"profile A, first frame", 3_200_000, 0, 100 * time.Millisecond, true},
		{"profile A, small first frame", 30_000, 0, 100 * time.Millisecond, false},
		{"profile A, known rate", 3_200_000, 1.1e6, 100 * time.Millisecond, true},
		{"fast link, known rate", 3_200_000, 100e6, 30 * time.Millisecond, false},
	} {
		if got := crossing(c.bytes, c.rate, c.rtt) >= previewDelay; got != c.want {
			t.Errorf("%s: preview %v, want %v (crossing %v)", c.name, got, c.want, crossing(c.bytes, c.rate, c.rtt))
		}
	}
}
