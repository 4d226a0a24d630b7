package main

import (
	"sync"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
)

// maxQueued bounds the jobs waiting for a worker: beyond it (a network stuck for a long while) new ones are
// dropped rather than piling up.
const maxQueued = 4096

// worker runs a session's actions that may block on the network (requests, input), one at a time and in the
// order they were queued, off the UI goroutine. The goroutine that follows the session owns it: it starts it
// with the session and stops it when the session's events end.
type worker struct {
	mu    sync.Mutex
	queue []job
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

type job struct {
	do func()
	// move is set for a pointer move: while it waits, a newer move replaces its position (the pointer
	// goes where it was last, sooner; the order of everything else is kept).
	move *protocol.MouseMove
}

func newWorker() *worker {
	w := &worker{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// run queues fn; it never blocks.
func (w *worker) run(fn func()) { w.push(job{do: fn}) }

// input queues one input message for the customer's computer; it never blocks.
func (w *worker) input(h *session.Host, m protocol.Message) {
	if mv, ok := m.(*protocol.MouseMove); ok {
		w.mu.Lock()
		if n := len(w.queue); n > 0 && w.queue[n-1].move != nil {
			*w.queue[n-1].move = *mv
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		own := *mv
		w.push(job{move: &own, do: func() { _ = h.SendInput(&own) }})
		return
	}
	// Errors need no answer here: without control (taken back meanwhile) input is refused, and a session
	// that ends says so through its events.
	w.push(job{do: func() { _ = h.SendInput(m) }})
}

func (w *worker) push(j job) {
	w.mu.Lock()
	if len(w.queue) < maxQueued {
		w.queue = append(w.queue, j)
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) loop() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.wake:
		}
		for {
			w.mu.Lock()
			q := w.queue
			w.queue = nil
			w.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, j := range q {
				select {
				case <-w.stop:
					return
				default:
				}
				j.do()
			}
		}
	}
}

// close stops the worker, dropping what is still queued, and waits for the job in progress. Call it once the
// session is over: its actions then fail at once.
func (w *worker) close() {
	close(w.stop)
	<-w.done
}
