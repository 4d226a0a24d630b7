//go:build linux

package ui

import (
	"image"
	"testing"

	"github.com/jezek/xgb"

	"github.com/tandem-remote/tandem/shared/capture/xvfb"
)

func TestMoveAndReadAWindowsPlace(t *testing.T) {
	srv := xvfb.ForTest(t, 1024, 768)
	x := xvfb.NewClient(t, srv.Display, image.Rect(10, 20, 310, 70), 0xffffff)
	c, err := xgb.NewConnDisplay(srv.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p, err := positionX11(c, x.Window()); err != nil || p != image.Pt(10, 20) {
		t.Fatalf("position %v, %v; want (10,20)", p, err)
	}
	to := TopCentre(image.Rect(0, 0, 1024, 768), image.Pt(300, 50))
	if to != image.Pt(362, 0) {
		t.Fatalf("TopCentre = %v", to)
	}
	if err := moveX11(c, x.Window(), to); err != nil {
		t.Fatal(err)
	}
	if p, err := positionX11(c, x.Window()); err != nil || p != to {
		t.Fatalf("after the move: %v, %v; want %v", p, err, to)
	}
}

func TestWithin(t *testing.T) {
	mon := image.Rect(1920, 0, 3840, 1080) // a second monitor
	cases := []struct {
		p, sz image.Point
		want  bool
	}{
		{image.Pt(2500, 0), image.Pt(600, 60), true},
		{image.Pt(1800, 200), image.Pt(600, 60), true},   // mostly on it
		{image.Pt(100, 0), image.Pt(600, 60), false},     // on the first monitor
		{image.Pt(2500, 1075), image.Pt(600, 60), false}, // its top edge below the bottom
		{image.Pt(2500, -40), image.Pt(600, 60), false},  // dragged above the screen
	}
	for _, c := range cases {
		if got := Within(mon, c.p, c.sz); got != c.want {
			t.Errorf("Within(%v, %v, %v) = %v", mon, c.p, c.sz, got)
		}
	}
}
