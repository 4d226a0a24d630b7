package main

// wishes hands the latest of a value to a goroutine of its own that acts on it (the grab of a shortcut, a frame
// on screen), so that the UI goroutine never waits for the window system; a wish the goroutine has not taken yet
// is replaced by a newer one. Its methods belong to the UI goroutine.
type wishes[T any] struct {
	ch   chan T
	stop chan struct{}
	done chan struct{}
}

// started reports whether the goroutine runs.
func (w *wishes[T]) started() bool { return w.ch != nil }

// wish hands v to the goroutine; the first wish starts it with run, which takes the wishes from want until stop
// is closed.
func (w *wishes[T]) wish(v T, run func(want <-chan T, stop <-chan struct{})) {
	if w.ch == nil {
		ch, stop, done := make(chan T, 1), make(chan struct{}), make(chan struct{})
		w.ch, w.stop, w.done = ch, stop, done
		go func() {
			defer close(done)
			run(ch, stop)
		}()
	}
	select {
	case <-w.ch:
	default:
	}
	w.ch <- v
}

// end stops the goroutine and waits for it (it undoes what it did on its way out).
func (w *wishes[T]) end() {
	if w.ch == nil {
		return
	}
	close(w.stop)
	<-w.done
	w.ch = nil
}
