package chat

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkRoundTrip measures the chat round trip (Send → ChatAck) between two rooms over QUIC on
// loopback, one message at a time, and reports its median and 95th percentile.
func BenchmarkRoundTrip(b *testing.B) {
	techRoom, _ := newRoom(b, tech, 0)
	custRoom, _ := newRoom(b, customer, 0)
	attachPair(b, techRoom, custRoom)
	ctx := context.Background()
	var rtts []time.Duration
	for b.Loop() {
		d, err := custRoom.RoundTrip(ctx, "ping")
		if err != nil {
			b.Fatal(err)
		}
		rtts = append(rtts, d)
	}
	b.ReportMetric(float64(percentile(rtts, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(rtts, 95).Microseconds()), "p95-µs")
}

// percentile returns the p-th percentile of ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}
