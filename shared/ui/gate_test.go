package ui

import "testing"

func TestGate(t *testing.T) {
	var queued []func()
	g := NewGate(func(f func()) { queued = append(queued, f) })
	ran := 0
	g.Do(func() { ran++ })
	queued[0]()
	if ran != 1 {
		t.Fatalf("an open gate ran %d functions, want 1", ran)
	}
	g.Do(func() { ran++ }) // queued while open…
	g.Close()
	queued[1]() // …and run after Close: skipped
	g.Do(func() { ran++ })
	if len(queued) != 2 {
		t.Fatal("a closed gate still passes functions on")
	}
	if ran != 1 {
		t.Fatalf("ran %d functions, want 1", ran)
	}
}
