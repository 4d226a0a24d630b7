package ui

import "sync/atomic"

// Gate passes functions to a "run on the UI goroutine" function (fyne.Do) until Close, then drops them. Once
// the app's loop has ended, Fyne runs such functions on the caller's goroutine, so a session goroutine
// reporting the end of the session would touch widgets from the wrong goroutine; closing the gate when the app
// stops (and before ending sessions at shutdown) keeps them out.
type Gate struct {
	do     func(func())
	closed atomic.Bool
}

// NewGate returns an open gate in front of do.
func NewGate(do func(func())) *Gate { return &Gate{do: do} }

// Do passes fn on while the gate is open; fn itself is skipped if the gate has closed before it runs.
func (g *Gate) Do(fn func()) {
	if g.closed.Load() {
		return
	}
	g.do(func() {
		if !g.closed.Load() {
			fn()
		}
	})
}

// Close drops every later function, and those queued but not yet run.
func (g *Gate) Close() { g.closed.Store(true) }
