//go:build linux && cgo && !nopipewire

package wayland_test

import (
	"bytes"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/capture/pipewire/pwtest"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/wayland"
)

// picture returns w×h BGRA pixels (A=255) that differ with seed.
func picture(w, h, seed int) []byte {
	pix := make([]byte, 4*w*h)
	for i := 0; i < len(pix); i += 4 {
		p := i/4 + seed*7919
		pix[i], pix[i+1], pix[i+2], pix[i+3] = byte(p), byte(p>>8), byte(seed), 255
	}
	return pix
}

// TestMonitorsThroughThePortalAndPipeWire: the whole Wayland path without a compositor. The stand-in portal
// hands out the nodes of two producers in a real PipeWire daemon (a HiDPI monitor whose frames are twice its
// logical size, and a second one beside it), and the remote to read them: the Source lists both monitors
// where the portal puts them, returns the producers' frames bit for bit and the pointer from the cursor
// metadata, and the Injector moves the pointer in each stream's logical coordinates.
func TestMonitorsThroughThePortalAndPipeWire(t *testing.T) {
	daemon := pwtest.StartDaemon(t)
	hidpi := daemon.NewProducer(t, 640, 360, "BGRx") // logical 320×180 at (0, 0): scale 2
	plain := daemon.NewProducer(t, 200, 100, "RGBA") // logical 200×100 at (320, 0)
	p := portaltest.Start(t, portaltest.Config{
		Streams: []portal.Stream{
			{Node: hidpi.Node(), Bounds: image.Rect(0, 0, 320, 180)},
			{Node: plain.Node(), Bounds: image.Rect(320, 0, 520, 100)},
		},
		Remote: func() (int, error) { return daemon.Dial(t), nil },
	})
	first, second := picture(640, 360, 1), picture(200, 100, 2)
	hidpi.Push(t, first, 100, 40)
	plain.Push(t, second, -1, -1)

	d := open(t, wayland.Options{})
	src, err := d.Source()
	if err != nil {
		t.Fatalf("Source: %v", err)
	}
	if p.RemotesOpened() != 2 {
		t.Fatalf("%d PipeWire remotes opened, want one per monitor", p.RemotesOpened())
	}
	mons, err := src.Monitors()
	if err != nil {
		t.Fatal(err)
	}
	want := []capture.Monitor{
		{Index: 0, Bounds: image.Rect(0, 0, 640, 360), Primary: true},
		{Index: 1, Bounds: image.Rect(640, 0, 840, 100)},
	}
	if !slices.Equal(mons, want) {
		t.Fatalf("monitors %+v, want %+v", mons, want)
	}

	var f codec.Frame
	for i, pix := range [][]byte{first, second} {
		waitFor(t, func() bool { return src.Capture(i, &f) == nil && bytes.Equal(f.Pix, pix) },
			"the producer's frame, bit for bit")
	}
	next := picture(640, 360, 3)
	hidpi.Push(t, next, 10, 20)
	waitFor(t, func() bool { return src.Capture(0, &f) == nil && bytes.Equal(f.Pix, next) }, "the next frame")

	ps, ok := src.(capture.PointerSource)
	if !ok {
		t.Fatal("the Wayland source does not tell where the pointer is")
	}
	waitFor(t, func() bool { ptr, err := ps.Pointer(); return err == nil && ptr.Pos == image.Pt(10, 20) },
		"the pointer from the cursor metadata")

	inj := d.Injector()
	if err := inj.Move(100, 50); err != nil { // frame pixels of the HiDPI monitor
		t.Fatal(err)
	}
	if err := inj.Move(700, 10); err != nil { // the second monitor
		t.Fatal(err)
	}
	got := p.Input()
	wantIn := []portaltest.Event{
		{Method: "NotifyPointerMotionAbsolute", Stream: hidpi.Node(), X: 50, Y: 25},
		{Method: "NotifyPointerMotionAbsolute", Stream: plain.Node(), X: 60, Y: 10},
	}
	if !slices.Equal(got, wantIn) {
		t.Fatalf("the portal received %v, want %v", got, wantIn)
	}

	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Capture(0, &f); err == nil {
		t.Fatal("Capture after Close")
	}
	if err := inj.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return p.Sessions() == 0 }, "the portal session to close")
}

// TestTheMonitorGoesAway: the producer's node going away (the compositor ended the stream) is an error from
// Capture, not a hang.
func TestTheMonitorGoesAway(t *testing.T) {
	daemon := pwtest.StartDaemon(t)
	prod := daemon.NewProducer(t, 64, 48, "")
	portaltest.Start(t, portaltest.Config{
		Streams: []portal.Stream{{Node: prod.Node()}},
		Remote:  func() (int, error) { return daemon.Dial(t), nil },
	})
	prod.Push(t, picture(64, 48, 1), -1, -1)
	d := open(t, wayland.Options{})
	src, err := d.Source()
	if err != nil {
		t.Fatal(err)
	}
	mons, err := src.Monitors()
	if err != nil || len(mons) != 1 || mons[0].Bounds != image.Rect(0, 0, 64, 48) {
		t.Fatalf("monitors %+v, %v: a stream without a place is at the origin, its frame's size", mons, err)
	}
	prod.Close()
	var f codec.Frame
	deadline := time.Now().Add(20 * time.Second)
	for src.Capture(0, &f) == nil {
		if time.Now().After(deadline) {
			t.Fatal("Capture kept succeeding after the node went away")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
