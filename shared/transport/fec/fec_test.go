package fec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// pair is two Conns on loopback sockets with the slow-link relay between them: a sends to the relay, which
// passes to b.
type pair struct {
	a, b *Conn
	r    *relay.Relay
	to   net.Addr // where a sends: the relay
}

func newPair(t *testing.T, link relay.Link) *pair {
	t.Helper()
	listen := func() *net.UDPConn {
		u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ua, ub := listen(), listen()
	r := relay.New(t, ub.LocalAddr().String())
	r.SetLinks(link, link)
	to, err := net.ResolveUDPAddr("udp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{a: Wrap(ua), b: Wrap(ub), r: r, to: to}
	t.Cleanup(func() { _ = p.a.Close(); _ = p.b.Close() })
	return p
}

// datagram is the i-th test datagram: its number, then filler, of a length that varies.
func datagram(i int) []byte {
	d := fmt.Appendf(nil, "datagram %06d ", i)
	for len(d) < 200+(i*37)%1000 {
		d = append(d, byte(i), byte(len(d)))
	}
	return d
}

// receive reads from c until it has read n datagrams or nothing came for a while, and returns them by content;
// it answers nothing (the reads handle the Conn's own datagrams, such as parity and reports).
func receive(t *testing.T, c *Conn, n int) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	buf := make([]byte, 2048)
	for len(got) < n {
		if err := c.SetReadDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			break
		}
		got[string(buf[:k])] = true
	}
	return got
}

// A path that loses 2 % of datagrams at random: once the receiver has reported the loss, the sender adds parity
// and the receiver rebuilds nearly every lost datagram; what the reader sees are the sender's datagrams, whole.
func TestParityRebuildsRandomLoss(t *testing.T) {
	p := newPair(t, relay.Link{Loss: 0.02})
	// The sender reads too, for the receiver's reports.
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := p.a.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	const n = 4000
	results := make(chan map[string]bool, 1)
	go func() { results <- receive(t, p.b, n) }()
	for i := range n {
		if _, err := p.a.WriteTo(datagram(i), p.to); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond)
	}
	got := <-results
	for d := range got {
		if !bytes.HasPrefix([]byte(d), []byte("datagram ")) {
			t.Fatalf("the reader got a datagram that was not sent: %q", d[:min(len(d), 20)])
		}
	}
	sent, recv := p.a.Stats(), p.b.Stats()
	up, _ := p.r.Stats()
	if up.Lost < n/100 {
		t.Fatalf("the path lost only %d datagrams", up.Lost)
	}
	if sent.Parity == 0 || recv.Recovered == 0 {
		t.Fatalf("no parity or nothing rebuilt: sender %+v, receiver %+v", sent, recv)
	}
	// The first reports take a few groups; after that, nearly everything lost is rebuilt.
	lost := n - len(got)
	if lost*4 > int(recv.Missing) {
		t.Fatalf("%d of %d datagrams never arrived (%d went missing, %d rebuilt): parity should rebuild most",
			lost, n, recv.Missing, recv.Recovered)
	}
	t.Logf("path lost %d, receiver saw %d missing, rebuilt %d, %d never arrived; sender sent %d parity for %d groups",
		up.Lost, recv.Missing, recv.Recovered, lost, sent.Parity, sent.Groups)
}

// A clean path: the first groups get the parity of the loss a new path is taken to have; once the receiver's
// reports have counted enough datagrams, summaries only. Everything arrives, nothing is counted missing.
func TestCleanPathSendsNoParityOnceReported(t *testing.T) {
	p := newPair(t, relay.Link{})
	go func() { // the sender reads too, for the receiver's reports
		buf := make([]byte, 2048)
		for {
			if _, _, err := p.a.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	const n = 3000
	results := make(chan map[string]bool, 1)
	go func() { results <- receive(t, p.b, n) }()
	var early Stats
	for i := range n {
		if i == n/2 {
			early = p.a.Stats()
		}
		if _, err := p.a.WriteTo(datagram(i), p.to); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Microsecond) // not faster than the sockets' buffers take
	}
	got := <-results
	if len(got) != n {
		t.Fatalf("%d of %d datagrams arrived", len(got), n)
	}
	sent, recv := p.a.Stats(), p.b.Stats()
	if early.Parity == 0 {
		t.Errorf("the first groups got no parity (%+v): a new path is taken to lose %g until it reports", early, initialLoss)
	}
	if late := sent.Parity - early.Parity; late != 0 || sent.Groups == early.Groups {
		t.Errorf("%d parity datagrams in the second half, with %d groups: the reports said the path is clean",
			late, sent.Groups-early.Groups)
	}
	if recv.Missing != 0 || recv.Listed == 0 {
		t.Errorf("receiver %+v", recv)
	}
}

// A group sent short of GroupSize is flushed after FlushDelay, so that a lone datagram (a key press) is
// protected too.
func TestLoneDatagramGetsParity(t *testing.T) {
	c := Wrap(nilConn{})
	defer func() { _ = c.Close() }()
	c.mu.Lock()
	p := c.peerLocked(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	p.loss = 0.01
	c.mu.Unlock()
	if _, err := c.WriteTo([]byte("a key press"), p.addr); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Groups == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := c.Stats(); s.Groups != 1 || s.Parity != 1 {
		t.Fatalf("after a lone datagram: %+v, want one group with one parity datagram (never more than its size)", s)
	}
}

// nilConn swallows what is written.
type nilConn struct{ net.PacketConn }

func (nilConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (nilConn) Close() error                              { return nil }

// A group's parity follows the loss and the group's size: a larger group needs less parity per datagram for the
// same loss left over.
func TestParityForLoss(t *testing.T) {
	for _, c := range []struct {
		loss float64
		k    int
		want int
	}{
		{0, 10, 0}, {0.0002, 32, 0}, {0.001, 10, 1}, {0.01, 10, 2}, {0.02, 10, 3}, {0.1, 10, MaxParity},
		{0.01, 1, 2}, {0.01, 14, 2}, {0.01, 15, 3}, {0.003, 14, 2}, {0.001, 14, 1}, {0.03, 14, MaxParity},
		{0.01, 0, 0},
	} {
		if got := parityFor(c.loss, c.k); got != c.want {
			t.Errorf("parityFor(%g, %d) = %d, want %d", c.loss, c.k, got, c.want)
		}
	}
}

// Listings and repairs that lie (lengths past their end, too many members, an index past the parity count) are
// dropped by the parser.
func TestParseParityRefusesLies(t *testing.T) {
	listing := func() []byte {
		d := []byte{mark, magic, kindParity, 0, 0, 0, 7, 2, 1, 0, 0, 4}
		return append(d, 0, 3, 1, 2, 3, 4, 0, 4, 5, 6, 7, 8) // two members of 3 and 4 bytes
	}
	repair := func() []byte {
		return []byte{mark, magic, kindRepair, 0, 0, 0, 7, 2, 1, 0, 0, 4, 1, 2, 3, 4} // the shard
	}
	if _, ok := parseParity(listing()); !ok {
		t.Fatal("a good listing was refused")
	}
	if _, ok := parseParity(repair()); !ok {
		t.Fatal("a good repair was refused")
	}
	for name, c := range map[string]struct {
		good func() []byte
		bad  func([]byte) []byte
	}{
		"short":                {listing, func(d []byte) []byte { return d[:parityFixed-1] }},
		"listing cut":          {listing, func(d []byte) []byte { return d[:len(d)-1] }},
		"listing with a shard": {listing, func(d []byte) []byte { return append(d, 1, 2, 3, 4) }},
		"too many":             {listing, func(d []byte) []byte { d[7] = GroupSize + 1; return d }},
		"no members":           {listing, func(d []byte) []byte { d[7] = 0; return d }},
		"member > shard":       {listing, func(d []byte) []byte { d[parityFixed+1] = 5; return d }},
		"empty member":         {listing, func(d []byte) []byte { d[parityFixed+1] = 0; return d }},
		"too much parity":      {listing, func(d []byte) []byte { d[8] = MaxParity + 1; return d }},
		"shard cut":            {repair, func(d []byte) []byte { return d[:len(d)-1] }},
		"shard too long":       {repair, func(d []byte) []byte { return append(d, 0) }},
		"index past m":         {repair, func(d []byte) []byte { d[9] = 1; d[8] = 1; return d }},
		"repair of no parity":  {repair, func(d []byte) []byte { d[8] = 0; d[9] = 0; return d }},
		"no shard length":      {repair, func(d []byte) []byte { d[11] = 0; return d[:parityFixed] }},
	} {
		if _, ok := parseParity(c.bad(c.good())); ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A repair whose shard is shorter than its group's listing said is not used: rebuilding pads the datagrams found
// to the shard's length, and one longer than it would not fit.
func TestRepairOfAnotherLengthIsDropped(t *testing.T) {
	c := Wrap(nilConn{})
	defer func() { _ = c.Close() }()
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	arrived := []byte{1, 2, 3, 4}
	c.mu.Lock()
	c.peerLocked(from).keep(arrived)
	c.mu.Unlock()
	listing := []byte{mark, magic, kindParity, 0, 0, 0, 7, 2, 1, 0, 0, 4, 0, 4}
	listing = binary.BigEndian.AppendUint32(listing, crc32.Checksum(arrived, castagnoli))
	listing = append(listing, 0, 3, 9, 9, 9, 9) // a second member of 3 bytes, lost
	c.handle(listing, from)
	c.handle([]byte{mark, magic, kindRepair, 0, 0, 0, 7, 2, 1, 0, 0, 2, 9, 9}, from) // a shard of 2, not 4
	if s := c.Stats(); s.Recovered != 0 || s.Missing != 1 || s.Listed != 2 {
		t.Fatalf("%+v: want the loss counted and nothing rebuilt", s)
	}
}

func FuzzParity(f *testing.F) {
	f.Add([]byte{mark, magic, kindParity, 0, 0, 0, 7, 1, 1, 0, 0, 4, 0, 3, 1, 2, 3, 4})
	f.Add([]byte{mark, magic, kindRepair, 0, 0, 0, 7, 1, 1, 0, 0, 4, 1, 2, 3, 4})
	f.Add([]byte{mark, magic, kindReport, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, d []byte) {
		c := Wrap(nilConn{})
		defer func() { _ = c.Close() }()
		from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
		if len(d) >= headerLen && d[0] == mark && d[1] == magic {
			c.handle(d, from)
			c.handle(d, from) // twice: a duplicate must not rebuild twice or panic
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, r := range c.ready {
			if len(r.data) > MaxDatagram {
				t.Fatalf("rebuilt %d bytes", len(r.data))
			}
		}
	})
}

// Datagrams from many addresses fill the peer table; the peer that keeps talking keeps its place.
func TestManyAddressesDoNotPushOutAPeerThatTalks(t *testing.T) {
	c := Wrap(nilConn{})
	defer func() { _ = c.Close() }()
	talker := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 4000}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peerLocked(talker).loss = 0.02
	for i := range 4 * maxPeers {
		c.peerLocked(&net.UDPAddr{IP: net.IPv4(192, 0, 2, byte(i)), Port: 1000 + i})
		if i%16 == 0 {
			time.Sleep(time.Microsecond) // the talker is heard again, after most strangers
			c.peerLocked(talker)
		}
	}
	if len(c.peers) > maxPeers {
		t.Fatalf("%d peers kept, more than %d", len(c.peers), maxPeers)
	}
	if p := c.peers[keyOf(talker)]; p == nil || p.loss != 0.02 {
		t.Fatal("the talking peer was forgotten")
	}
}
