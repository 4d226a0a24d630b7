package ui

import (
	"slices"
	"testing"

	"github.com/tandem-remote/tandem/shared/codec"
)

func TestPaintQueueCoalesces(t *testing.T) {
	var p PaintQueue
	a, b := codec.Rect{X: 0, Y: 0, W: 64, H: 64}, codec.Rect{X: 64, Y: 0, W: 64, H: 64}
	if !p.Add([]codec.Rect{a}) {
		t.Fatal("the first update did not ask for a paint")
	}
	if p.Add([]codec.Rect{b, a}) {
		t.Fatal("a second paint was queued while one waits")
	}
	got := p.Take()
	slices.SortFunc(got, func(x, y codec.Rect) int { return x.X - y.X })
	if !slices.Equal(got, []codec.Rect{a, b}) {
		t.Fatalf("took %v, want the union %v", got, []codec.Rect{a, b})
	}
	if !p.Add([]codec.Rect{a}) {
		t.Fatal("after Take, an update did not ask for a paint")
	}
	p.Take()
	// Too many regions: the whole picture.
	many := make([]codec.Rect, maxPaintRects+1)
	for i := range many {
		many[i] = codec.Rect{X: i, W: 1, H: 1}
	}
	p.Add(many)
	if got := p.Take(); got != nil {
		t.Fatalf("after %d regions took %d, want nil (all)", len(many), len(got))
	}
}
