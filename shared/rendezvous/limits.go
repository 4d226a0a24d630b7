package rendezvous

import (
	"sync"
	"time"
)

// limiter counts events per key in fixed one-minute windows. It is approximate by design (a burst at a window
// edge may pass twice the limit) and cheap: one map entry per active key, swept when the map grows.
type limiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	now     func() time.Time
	entries map[string]*window
}

type window struct {
	start time.Time
	count int
}

const limiterSweep = 10000

func newLimiter(limit int, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: time.Minute, now: now, entries: make(map[string]*window)}
}

// allow counts one event for key and reports whether it stays within the limit.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.entries) >= limiterSweep {
		for k, w := range l.entries {
			if now.Sub(w.start) >= l.window {
				delete(l.entries, k)
			}
		}
	}
	w, ok := l.entries[key]
	if !ok || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.entries[key] = w
	}
	if w.count >= l.limit {
		return false
	}
	w.count++
	return true
}
