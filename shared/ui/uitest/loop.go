// Package uitest gives UI tests the one UI goroutine that a real Fyne app has.
//
// Fyne's test driver runs fyne.Do callbacks at once on whichever goroutine calls it, so a window updated from a
// session goroutine would be changed while the test goroutine taps and types on it. Windows that take their
// "do on the UI goroutine" function as a parameter get Loop.Do in tests instead: callbacks queue up and run on
// the test goroutine, inside Loop.Until, as they would on the main goroutine of the real app.
package uitest

import (
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Loop is an unbounded queue of UI callbacks, run by the test goroutine.
type Loop struct {
	mu     sync.Mutex
	queue  []func()
	notify chan struct{}
}

// NewLoop returns an empty loop.
func NewLoop() *Loop { return &Loop{notify: make(chan struct{}, 1)} }

// Do queues fn; it never blocks, like fyne.Do.
func (l *Loop) Do(fn func()) {
	l.mu.Lock()
	l.queue = append(l.queue, fn)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// Drain runs the callbacks queued so far, and those they queue, on the calling goroutine.
func (l *Loop) Drain() {
	for {
		l.mu.Lock()
		q := l.queue
		l.queue = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// Until runs queued callbacks until cond holds, failing the test if it does not within timeout. cond is
// checked on the calling goroutine, between callbacks.
func (l *Loop) Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.Drain()
		if cond() {
			return
		}
		select {
		case <-l.notify:
		case <-deadline.C:
			t.Fatalf("waited %v for %s", timeout, what)
		}
	}
}

// Answer taps the button labelled label on the dialog on top of w (a Fyne dialog's "Yes" or "No" in the
// current language, say).
func Answer(t testing.TB, w fyne.Window, label string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog open")
	}
	b := FindButton(top, label)
	if b == nil {
		t.Fatalf("dialog has no %q button", label)
	}
	test.Tap(b)
}

// FindButton returns the first button labelled label in the object tree under o, or nil.
func FindButton(o fyne.CanvasObject, label string) *widget.Button {
	b, _ := find(o, func(b *widget.Button) bool { return b.Text == label })
	return b
}

// FindLabel returns the label showing text in o's tree (a dialog's content, say), or nil.
func FindLabel(o fyne.CanvasObject, text string) *widget.Label {
	l, _ := find(o, func(l *widget.Label) bool { return l.Text == text })
	return l
}

// FindLabelFunc returns the first label in o's tree that ok accepts, or nil.
func FindLabelFunc(o fyne.CanvasObject, ok func(*widget.Label) bool) *widget.Label {
	l, _ := find(o, ok)
	return l
}

// FindEntry returns the first text entry in o's tree (a dialog's content, say), or nil.
func FindEntry(o fyne.CanvasObject) *widget.Entry {
	e, _ := find(o, func(*widget.Entry) bool { return true })
	return e
}

// FindEntries returns every text entry in o's tree, in order (a form's fields, say).
func FindEntries(o fyne.CanvasObject) []*widget.Entry {
	var out []*widget.Entry
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if e, is := o.(*widget.Entry); is {
			out = append(out, e)
			return
		}
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// find returns the first object of type T in o's tree (containers and widgets' renderers) that ok accepts.
func find[T fyne.CanvasObject](o fyne.CanvasObject, ok func(T) bool) (T, bool) {
	if t, is := o.(T); is && ok(t) {
		return t, true
	}
	var children []fyne.CanvasObject
	switch o := o.(type) {
	case *fyne.Container:
		children = o.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(o).Objects()
	}
	for _, c := range children {
		if t, found := find(c, ok); found {
			return t, true
		}
	}
	var none T
	return none, false
}

// PopUpMenu returns the pop-up menu shown over w, or nil.
func PopUpMenu(w fyne.Window) *widget.PopUpMenu {
	top, ok := w.Canvas().Overlays().Top().(fyne.Widget) // the menu's overlay container
	if !ok {
		return nil
	}
	for _, o := range test.WidgetRenderer(top).Objects() {
		if m, ok := o.(*widget.PopUpMenu); ok {
			return m
		}
	}
	return nil
}
