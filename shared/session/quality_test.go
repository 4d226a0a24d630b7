package session

import (
	"testing"
	"time"
)

func TestQualityMeterRate(t *testing.T) {
	var m qualityMeter
	t0 := time.Unix(100, 0)
	steps := []struct {
		after    time.Duration
		received uint64
		want     float64
	}{
		{0, 1000, 0},                            // the first call: nothing to compare with
		{100 * time.Millisecond, 50_000, 0},     // too soon to measure
		{time.Second, 1_251_000, 10_000_000},    // 1.25 MB in a second: 10 Mbit/s
		{1200 * time.Millisecond, 9_999, 0},     // fewer bytes than before: another connection, start over
		{2200 * time.Millisecond, 259_999, 2e6}, // 250 kB in a second
	}
	for _, s := range steps {
		if got := m.update(s.received, t0.Add(s.after)); got != s.want {
			t.Errorf("after %v with %d bytes: %.0f bit/s, want %.0f", s.after, s.received, got, s.want)
		}
	}
}
