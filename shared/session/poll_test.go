package session

import (
	"testing"
	"time"
)

func TestPollerLooksOftenOnlyWhileTheScreenMoves(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name    string
		changes []time.Duration // when the screen was seen to change
		at      time.Duration   // when the loop asks
		want    time.Duration
	}{
		{"never changed", nil, ms(1000), idleInterval},
		{"a page scrolling at 30 frames per second", []time.Duration{ms(0), ms(33), ms(67), ms(100)}, ms(110), movingInterval},
		{"a caret blinking twice a second", []time.Duration{ms(0), ms(500), ms(1000)}, ms(1010), idleInterval},
		{"two quick changes are not yet a movement", []time.Duration{ms(0), ms(20)}, ms(30), idleInterval},
		{"the movement stopped", []time.Duration{ms(0), ms(33), ms(67)}, ms(67) + movingWindow + ms(1), idleInterval},
		{"a video at 24 frames per second", []time.Duration{ms(0), ms(42), ms(83), ms(125), ms(167)}, ms(180), movingInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Now()
			var p poller
			for _, c := range tt.changes {
				p.changed(t0.Add(c))
			}
			if got := p.interval(t0.Add(tt.at)); got != tt.want {
				t.Errorf("interval = %v, want %v", got, tt.want)
			}
		})
	}
}
