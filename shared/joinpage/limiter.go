package joinpage

import (
	"sync"
	"time"
)

// limiter allows n events per source per minute (a fixed window), and forgets sources whose window is over.
type limiter struct {
	n   int
	now func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	count int
}

func newLimiter(n int, now func() time.Time) *limiter {
	return &limiter{n: n, now: now, windows: map[string]*window{}}
}

func (l *limiter) allow(source string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > time.Minute {
		for s, w := range l.windows {
			if now.Sub(w.start) >= time.Minute {
				delete(l.windows, s)
			}
		}
		l.swept = now
	}
	w := l.windows[source]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		l.windows[source] = w
	}
	if w.count >= l.n {
		return false
	}
	w.count++
	return true
}
