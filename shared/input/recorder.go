package input

import (
	"context"
	"fmt"
	"sync"
)

// Kind is the kind of a recorded Event.
type Kind int

// The kinds of events, one per Injector method.
const (
	KindMove Kind = iota + 1
	KindButtonDown
	KindButtonUp
	KindDoubleClick
	KindScroll
	KindKeyDown
	KindKeyUp
	KindType
)

var kindNames = map[Kind]string{
	KindMove: "move", KindButtonDown: "button-down", KindButtonUp: "button-up", KindDoubleClick: "double-click",
	KindScroll: "scroll", KindKeyDown: "key-down", KindKeyUp: "key-up", KindType: "type",
}

// String names the kind, e.g. "key-down".
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Event is one recorded Injector call; only the fields of its Kind are set.
type Event struct {
	Kind   Kind
	X, Y   int       // KindMove: position; KindScroll: dx, dy notches
	Button Button    // KindButtonDown, KindButtonUp, KindDoubleClick
	Key    string    // KindKeyDown, KindKeyUp
	Mods   Modifiers // KindKeyDown, KindKeyUp
	Text   string    // KindType
}

// String describes the event compactly, e.g. "move 10,20", "key-down ctrl+c".
func (e Event) String() string {
	switch e.Kind {
	case KindMove, KindScroll:
		return fmt.Sprintf("%v %d,%d", e.Kind, e.X, e.Y)
	case KindButtonDown, KindButtonUp, KindDoubleClick:
		return fmt.Sprintf("%v %v", e.Kind, e.Button)
	case KindKeyDown, KindKeyUp:
		if e.Mods != 0 {
			return fmt.Sprintf("%v %v+%s", e.Kind, e.Mods, e.Key)
		}
		return fmt.Sprintf("%v %s", e.Kind, e.Key)
	case KindType:
		return fmt.Sprintf("%v %q", e.Kind, e.Text)
	}
	return e.Kind.String()
}

// Recorder is an Injector that records every valid call instead of injecting it, for tests. It validates
// arguments as the real injector does (invalid calls return an error wrapping ErrInvalid and are not
// recorded). It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	events  []Event
	closed  bool
	changed chan struct{} // closed and replaced at every new event and at Close
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{changed: make(chan struct{})}
}

func (r *Recorder) record(e Event, err error) error {
	if err != nil {
		return fmt.Errorf("recorder: %v: %w", e.Kind, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("recorder: %v: %w", e.Kind, ErrClosed)
	}
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// Move implements Injector.
func (r *Recorder) Move(x, y int) error { return r.record(Event{Kind: KindMove, X: x, Y: y}, nil) }

// ButtonDown implements Injector.
func (r *Recorder) ButtonDown(b Button) error {
	return r.record(Event{Kind: KindButtonDown, Button: b}, CheckButton(b))
}

// ButtonUp implements Injector.
func (r *Recorder) ButtonUp(b Button) error {
	return r.record(Event{Kind: KindButtonUp, Button: b}, CheckButton(b))
}

// DoubleClick implements Injector.
func (r *Recorder) DoubleClick(b Button) error {
	return r.record(Event{Kind: KindDoubleClick, Button: b}, CheckButton(b))
}

// Scroll implements Injector; the event's X and Y are dx and dy.
func (r *Recorder) Scroll(dx, dy int) error {
	return r.record(Event{Kind: KindScroll, X: dx, Y: dy}, CheckScroll(dx, dy))
}

// KeyDown implements Injector.
func (r *Recorder) KeyDown(key string, mods Modifiers) error {
	return r.record(Event{Kind: KindKeyDown, Key: key, Mods: mods}, CheckKey(key, mods))
}

// KeyUp implements Injector.
func (r *Recorder) KeyUp(key string, mods Modifiers) error {
	return r.record(Event{Kind: KindKeyUp, Key: key, Mods: mods}, CheckKey(key, mods))
}

// Type implements Injector.
func (r *Recorder) Type(text string) error {
	return r.record(Event{Kind: KindType, Text: text}, CheckText(text))
}

// Close implements Injector. The log stays readable.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return nil
}

// Events returns a copy of the events recorded so far, oldest first.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Take returns the events recorded so far and forgets them.
func (r *Recorder) Take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.events
	r.events = nil
	return e
}

// Wait returns a copy of the log once it holds at least n events, or the context's error (with the events
// so far) if ctx ends first, or ErrClosed if the recorder is closed with fewer.
func (r *Recorder) Wait(ctx context.Context, n int) ([]Event, error) {
	for {
		r.mu.Lock()
		events, closed, changed := append([]Event(nil), r.events...), r.closed, r.changed
		r.mu.Unlock()
		if len(events) >= n {
			return events, nil
		}
		if closed {
			return events, fmt.Errorf("recorder: waiting for %d events, have %d: %w", n, len(events), ErrClosed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return events, fmt.Errorf("recorder: waiting for %d events, have %d: %w", n, len(events), ctx.Err())
		}
	}
}

var _ Injector = (*Recorder)(nil)
