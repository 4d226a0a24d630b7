package relay

import (
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// echo starts a UDP server that sends every datagram back, until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDP(buf[:n], from)
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return c.LocalAddr().String()
}

// client dials the relay.
func client(t *testing.T, r *Relay) *net.UDPConn {
	t.Helper()
	ra, err := net.ResolveUDPAddr("udp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, ra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// exchange sends n numbered datagrams of size bytes and returns the numbers that came back, in arrival order,
// reading until nothing arrives for quiet.
func exchange(t *testing.T, c *net.UDPConn, n, size int, quiet time.Duration) []uint32 {
	t.Helper()
	b := make([]byte, size)
	for i := range n {
		binary.BigEndian.PutUint32(b, uint32(i))
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	var got []uint32
	buf := make([]byte, 65536)
	for {
		_ = c.SetReadDeadline(time.Now().Add(quiet))
		m, err := c.Read(buf)
		if err != nil {
			return got
		}
		if m >= 4 {
			got = append(got, binary.BigEndian.Uint32(buf))
		}
	}
}

func TestAPlainPathPassesEverything(t *testing.T) {
	r := New(t, echo(t))
	if got := exchange(t, client(t, r), 100, 500, 300*time.Millisecond); len(got) != 100 {
		t.Fatalf("%d of 100 came back", len(got))
	}
}

// A round trip takes at least both delays; the datagrams keep their order whatever the jitter.
func TestDelayAndJitterKeepOrder(t *testing.T) {
	r := New(t, echo(t))
	r.SetLinks(Link{Delay: 40 * time.Millisecond, Jitter: 20 * time.Millisecond}, Link{Delay: 40 * time.Millisecond})
	c := client(t, r)
	start := time.Now()
	got := exchange(t, c, 100, 200, 500*time.Millisecond)
	if len(got) != 100 {
		t.Fatalf("%d of 100 came back", len(got))
	}
	for i, n := range got {
		if n != uint32(i) {
			t.Fatalf("datagram %d came back as number %d: reordered", i, n)
		}
	}
	// The last one is read at least 80 ms after the first was sent (a lower bound: never flaky).
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("the round trips took %v, less than both delays", d)
	}
}

// A bottleneck passes no more than its rate (plus its queue); a burst beyond the queue is dropped there.
func TestBottleneck(t *testing.T) {
	r := New(t, echo(t))
	const rate, queue = 2_000_000, 20_000 // 2 Mbit/s, 20 kB of queue
	r.SetLinks(Link{Rate: rate, Queue: queue}, Link{})
	c := client(t, r)
	start := time.Now()
	got := exchange(t, c, 60, 1000, 300*time.Millisecond) // 60 kB at once
	elapsed := time.Since(start)
	up, _ := r.Stats()
	// (The sockets' own buffers may drop a few of a burst before the relay reads them: count what it read.)
	if up.Overflowed == 0 || up.Sent < queue/1000 || len(got) != up.Sent {
		t.Fatalf("a 60 kB burst into a 20 kB queue: %+v, %d came back", up, len(got))
	}
	// What passed fits in the queue plus what the rate drains meanwhile, and took at least its time at the rate.
	if max := int64(queue) + rate/8*elapsed.Nanoseconds()/1e9 + 1000; up.Bytes > max {
		t.Fatalf("%d bytes passed in %v: more than %d", up.Bytes, elapsed, max)
	}
	if least := time.Duration((up.Bytes - 1000) * 8 * int64(time.Second) / rate); elapsed < least {
		t.Fatalf("%d bytes passed in %v, faster than the rate allows (%v)", up.Bytes, elapsed, least)
	}
	// The first datagram found the queue empty. The last one let in before a datagram was dropped found the queue
	// full but for two datagrams (the one it added, and the one that no longer fit), and waited that long at the
	// rate (72 ms); none waited longer than the whole queue (80 ms).
	most := time.Duration(queue) * 8 * time.Second / rate
	least := time.Duration(queue-2*1000)*8*time.Second/rate - time.Millisecond // (whole milliseconds)
	if first, last := up.QueuedPercentile(LinkStats{}, 0), up.QueuedPercentile(LinkStats{}, 100); first != 0 ||
		last < least || last > most {
		t.Fatalf("queueing delays from %v to %v, want 0 to between %v and %v", first, last, least, most)
	}
}

func TestRandomLoss(t *testing.T) {
	r := New(t, echo(t))
	r.SetLinks(Link{Loss: 0.3}, Link{})
	c := client(t, r)
	var got []uint32
	for range 10 { // in rounds, so that the sockets' buffers never drop anything themselves
		got = append(got, exchange(t, c, 100, 100, 100*time.Millisecond)...)
	}
	up, _ := r.Stats()
	if up.Lost < 240 || up.Lost > 360 || up.Sent+up.Lost != 1000 || len(got) != up.Sent {
		t.Fatalf("30%% loss of 1000: %+v, %d came back", up, len(got))
	}
}
