// Package fec shields QUIC from the random loss of a lossy path (Wi-Fi, a phone tether): below QUIC, a Conn sends
// with every group of up to GroupSize datagrams to a peer a parity datagram or a few (Reed-Solomon, from
// klauspost/reedsolomon), from which the peer's Conn rebuilds as many lost datagrams of the group. QUIC's
// congestion control (quic-go has only a loss-based one) then sees the losses the parity could not repair, which
// come from a full queue, instead of every random loss: on a 10 Mbit/s path with 100 ms of round trip and 1 %
// random loss, QUIC alone gets about 2 Mbit/s through.
//
// The parity follows the loss the peer reports: with no loss it is a summary of the group (its datagrams' lengths
// and checksums, 6 bytes a datagram), from which the peer counts what it missed; it grows to MaxParity datagrams
// per group as the reported loss grows, fewer per datagram for a large group than for a small one. Datagrams
// themselves cross unchanged: QUIC's are told apart from the Conn's own by their first byte (QUIC sets its fixed
// bit, 0x40; ours clear it) and the magic after it. The parity is made of QUIC's datagrams as sent, already
// encrypted: nothing is sent in the clear that was not before, and a rebuilt datagram still has to pass QUIC's
// authentication.
package fec

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/klauspost/reedsolomon"
)

const (
	// GroupSize is how many datagrams to one peer a group holds at most. The parity a group needs for a given
	// loss grows more slowly than the group: at 1 % loss, 2 datagrams protect 10 (20 % more to send), 3 protect 32
	// (9 %). A group is also sent when FlushDelay has passed, so on a slow path it holds what QUIC sends in that
	// time. The group's listing (6 bytes a datagram) goes in a datagram of its own, so that a parity datagram is
	// one of QUIC's and ParityOverhead bytes, whatever the group's size.
	GroupSize = 32
	// MaxParity is the most parity datagrams a group gets.
	MaxParity = 4
	// MaxDatagram is the largest datagram a group protects; larger ones (none from QUIC with path MTU discovery
	// off) cross unprotected.
	MaxDatagram = 1452
	// FlushDelay is how long a group that is not full waits for more datagrams before its parity is sent: QUIC
	// paces its datagrams (at 10 Mbit/s, one every millisecond), and a datagram rebuilt within this delay is
	// still far sooner than QUIC's own retransmission, which waits a round trip and more.
	FlushDelay = 15 * time.Millisecond
	// reportInterval is how often a receiver that counts losses tells the sender.
	reportInterval = 100 * time.Millisecond
	// maxPeers bounds the peers a Conn keeps state for (a listener's socket serves many).
	maxPeers = 256
	// peerIdle is how long a peer's state is kept once nothing came from it or went to it.
	peerIdle = time.Minute
	// initialLoss is the loss a new peer's path is taken to have until its reports tell (they weigh in as they
	// count datagrams, 500 for full weight). Random loss in the first round trips would otherwise end QUIC's slow
	// start far below the path's rate (at 72 kB on a path of 10 Mbit/s, 100 ms and 1 % loss, which holds 125 kB
	// a round trip), and its window would take many seconds to grow back. On a clean path this costs the parity
	// of the first thousand datagrams or so.
	initialLoss = 0.01
)

// Wire: every datagram of this package starts with a byte whose 0x40 bit (QUIC's fixed bit) is clear, then magic.
const (
	mark        = 0x0f
	magic       = 'F'
	kindParity  = 1 // a group's listing: its datagrams' lengths and checksums, and how many repairs follow
	kindReport  = 2
	kindRepair  = 3                 // one of a group's parity shards
	headerLen   = 3                 // mark, magic, kind
	parityFixed = headerLen + 4 + 5 // + group, k, m, index, shard length (uint16)
	memberLen   = 6                 // length (uint16) and CRC-32C of each datagram of the group
	// ParityOverhead is what a parity datagram adds to the datagram it carries the parity of.
	ParityOverhead = parityFixed
	reportLen      = headerLen + 16 // + datagrams listed, datagrams missing (cumulative, uint64 each)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Stats counts what a Conn did, for benches and tests.
type Stats struct {
	Groups    uint64 // groups sent
	Parity    uint64 // parity datagrams sent (summaries not counted)
	Listed    uint64 // datagrams listed by the groups whose parity or summary arrived
	Missing   uint64 // of those, how many had not arrived when the group's first parity did
	Recovered uint64 // datagrams rebuilt from parity
}

// Conn is a net.PacketConn that adds parity to what it sends and rebuilds lost datagrams from what it receives.
// Give it to quic.Transport in place of the socket; both ends of a path must use one.
type Conn struct {
	net.PacketConn

	mu     sync.Mutex
	peers  map[peerKey]*peer
	encs   map[[2]int]reedsolomon.Encoder
	ready  []received // rebuilt datagrams waiting to be read
	stats  Stats
	closed bool
	timers sync.WaitGroup // the flush timers that may still run
	lastGC time.Time
}

type received struct {
	data []byte
	from net.Addr
}

// Wrap returns a Conn over pc. Closing the Conn closes pc.
func Wrap(pc net.PacketConn) *Conn {
	return &Conn{PacketConn: pc, peers: map[peerKey]*peer{}, encs: map[[2]int]reedsolomon.Encoder{}}
}

// Stats returns what c did so far.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// SetReadBuffer sets the socket's receive buffer when the wrapped conn has one (quic-go asks).
func (c *Conn) SetReadBuffer(n int) error {
	if s, ok := c.PacketConn.(interface{ SetReadBuffer(int) error }); ok {
		return s.SetReadBuffer(n)
	}
	return errors.ErrUnsupported
}

// SetWriteBuffer sets the socket's send buffer when the wrapped conn has one (quic-go asks).
func (c *Conn) SetWriteBuffer(n int) error {
	if s, ok := c.PacketConn.(interface{ SetWriteBuffer(int) error }); ok {
		return s.SetWriteBuffer(n)
	}
	return errors.ErrUnsupported
}

// Close stops the Conn's timers and closes the wrapped conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	for _, p := range c.peers {
		c.stopTimerLocked(p)
	}
	c.mu.Unlock()
	err := c.PacketConn.Close()
	c.timers.Wait()
	return err
}

// peer is what a Conn knows of one remote address: the group being sent to it, how much parity it needs, and
// what arrives from it.
type peer struct {
	addr net.Addr
	seen time.Time

	// Sending.
	group   uint32
	members [][]byte // copies of the group's datagrams so far
	free    [][]byte // buffers of past groups, for reuse
	timer   *time.Timer
	loss    float64   // smoothed loss the peer reported, from which each group's parity is chosen
	rep     [2]uint64 // the last report's counts

	// Receiving.
	recent  [3 * GroupSize][]byte // the latest datagrams from the peer, for rebuilding
	crcs    [3 * GroupSize]uint32
	next    int
	groups  map[uint32]*inGroup
	listed  uint64
	missing uint64
	sentRep time.Time
	repd    uint64 // listed at the last report
}

// inGroup is a group being received: its listing and the parity so far.
type inGroup struct {
	lens     []int
	crcs     []uint32
	have     [][]byte // the data shards found (nil: missing)
	parity   [][]byte // by index
	m        int
	shardLen int // every repair of the group has this length, the listing says
	counted  bool
	done     bool
}

// peerKey names a remote address without allocating for a UDP one (every datagram looks its peer up).
type peerKey struct {
	ap    netip.AddrPort
	other string // the address's String for other kinds of address
}

func keyOf(addr net.Addr) peerKey {
	if u, ok := addr.(*net.UDPAddr); ok {
		ap := u.AddrPort() // an IPv4 address may come in its IPv6 form: one peer either way
		return peerKey{ap: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
	}
	return peerKey{other: addr.Network() + " " + addr.String()}
}

func (c *Conn) peerLocked(addr net.Addr) *peer {
	key := keyOf(addr)
	p := c.peers[key]
	now := time.Now()
	if p == nil {
		if len(c.peers) >= maxPeers || now.Sub(c.lastGC) > peerIdle {
			c.gcLocked(now)
		}
		p = &peer{addr: addr, groups: map[uint32]*inGroup{}, loss: initialLoss}
		c.peers[key] = p
	}
	p.seen = now
	return p
}

// gcLocked forgets idle peers and, while there are too many, the one heard from longest ago (datagrams from
// many addresses, forged or not, cannot push out a peer that is talking).
func (c *Conn) gcLocked(now time.Time) {
	c.lastGC = now
	for k, p := range c.peers {
		if now.Sub(p.seen) > peerIdle {
			c.stopTimerLocked(p)
			delete(c.peers, k)
		}
	}
	for len(c.peers) >= maxPeers {
		var oldest peerKey
		var at time.Time
		for k, p := range c.peers {
			if at.IsZero() || p.seen.Before(at) {
				oldest, at = k, p.seen
			}
		}
		c.stopTimerLocked(c.peers[oldest])
		delete(c.peers, oldest)
	}
}

// WriteTo sends b to addr, and adds it to the group being sent there.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if err != nil || len(b) > MaxDatagram || len(b) == 0 {
		return n, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return n, err
	}
	p := c.peerLocked(addr)
	var buf []byte
	if k := len(p.free); k > 0 {
		buf, p.free = p.free[k-1][:0], p.free[:k-1]
	}
	p.members = append(p.members, append(buf, b...))
	if len(p.members) >= GroupSize {
		c.flushLocked(p)
	} else if len(p.members) == 1 {
		group := p.group
		c.timers.Add(1)
		p.timer = time.AfterFunc(FlushDelay, func() {
			defer c.timers.Done()
			c.mu.Lock()
			defer c.mu.Unlock()
			if !c.closed && p.group == group && len(p.members) > 0 {
				p.timer = nil
				c.flushLocked(p)
			}
		})
	}
	return n, err
}

// stopTimerLocked stops p's flush timer; a timer stopped before it ran will not call Done.
func (c *Conn) stopTimerLocked(p *peer) {
	if p.timer != nil && p.timer.Stop() {
		c.timers.Done()
	}
	p.timer = nil
}

// flushLocked sends the listing of p's group (its members' lengths and checksums) in a datagram of its own, then
// the group's repairs, and starts the next group. A group whose listing is lost cannot be repaired.
func (c *Conn) flushLocked(p *peer) {
	c.stopTimerLocked(p)
	k := len(p.members)
	m := min(parityFor(p.loss, k), k)
	maxLen := 0
	for _, d := range p.members {
		maxLen = max(maxLen, len(d))
	}
	head := make([]byte, parityFixed+memberLen*k)
	head[0], head[1], head[2] = mark, magic, kindParity
	binary.BigEndian.PutUint32(head[3:], p.group)
	head[7], head[8] = byte(k), byte(m)
	binary.BigEndian.PutUint16(head[10:], uint16(maxLen)) //nolint:gosec // ≤ MaxDatagram
	for i, d := range p.members {
		o := parityFixed + memberLen*i
		binary.BigEndian.PutUint16(head[o:], uint16(len(d))) //nolint:gosec // ≤ MaxDatagram
		binary.BigEndian.PutUint32(head[o+2:], crc32.Checksum(d, castagnoli))
	}
	_, _ = c.PacketConn.WriteTo(head, p.addr) // the listing first: repairs of a group not listed yet are dropped
	if enc := c.encoderLocked(k, m); m > 0 && enc != nil {
		shards := make([][]byte, k+m)
		for i, d := range p.members {
			shards[i] = append(d, make([]byte, maxLen-len(d))...)
		}
		for i := k; i < k+m; i++ {
			shards[i] = make([]byte, maxLen)
		}
		if err := enc.Encode(shards); err == nil {
			repair := make([]byte, parityFixed, parityFixed+maxLen)
			copy(repair, head[:parityFixed])
			repair[2] = kindRepair
			for i := range m {
				repair[9] = byte(i)
				_, _ = c.PacketConn.WriteTo(append(repair[:parityFixed], shards[k+i]...), p.addr)
				c.stats.Parity++
			}
		}
	}
	c.stats.Groups++
	for _, d := range p.members {
		p.free = append(p.free, d[:0])
	}
	p.members = p.members[:0]
	p.group++
}

func (c *Conn) encoderLocked(k, m int) reedsolomon.Encoder {
	key := [2]int{k, m}
	if e, ok := c.encs[key]; ok {
		return e
	}
	e, err := reedsolomon.New(k, m)
	if err != nil {
		return nil
	}
	c.encs[key] = e
	return e
}

// ReadFrom returns the next datagram for QUIC: one that arrived, or one rebuilt from parity. The Conn's own
// datagrams are handled here and never returned.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c.mu.Lock()
		if len(c.ready) > 0 {
			r := c.ready[0]
			c.ready = c.ready[1:]
			c.mu.Unlock()
			return copy(b, r.data), r.from, nil
		}
		c.mu.Unlock()
		n, from, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			return n, from, err
		}
		if n >= headerLen && b[0] == mark && b[1] == magic {
			c.handle(b[:n], from)
			continue
		}
		if n > 0 && n <= MaxDatagram {
			c.mu.Lock()
			if !c.closed {
				c.peerLocked(from).keep(b[:n])
			}
			c.mu.Unlock()
		}
		return n, from, nil
	}
}

// keep remembers a datagram that arrived, for rebuilding its group's lost ones.
func (p *peer) keep(d []byte) {
	i := p.next
	p.next = (p.next + 1) % len(p.recent)
	p.recent[i] = append(p.recent[i][:0], d...)
	p.crcs[i] = crc32.Checksum(d, castagnoli)
}

// find returns the kept datagram of that length and checksum, or nil.
func (p *peer) find(n int, crc uint32) []byte {
	for i, d := range p.recent {
		if len(d) == n && p.crcs[i] == crc {
			return d
		}
	}
	return nil
}

// handle takes one of the Conn's own datagrams.
func (c *Conn) handle(d []byte, from net.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	switch d[2] {
	case kindReport:
		if len(d) != reportLen {
			return
		}
		c.peerLocked(from).report(binary.BigEndian.Uint64(d[3:]), binary.BigEndian.Uint64(d[11:]))
	case kindParity, kindRepair:
		h, ok := parseParity(d)
		if !ok {
			return
		}
		p := c.peerLocked(from)
		c.parityLocked(p, h)
		c.reportLocked(p)
	}
}

// parity is a parsed parity datagram.
type parity struct {
	group     uint32
	k, m, idx int
	shardLen  int
	lens      []int
	crcs      []uint32
	shard     []byte // a repair's; nil for a listing (whose lens and crcs are set)
}

// parseParity checks every length of a listing or repair datagram before it is used.
func parseParity(d []byte) (parity, bool) {
	if len(d) < parityFixed {
		return parity{}, false
	}
	shardLen := int(binary.BigEndian.Uint16(d[10:]))
	h := parity{group: binary.BigEndian.Uint32(d[3:]), k: int(d[7]), m: int(d[8]), idx: int(d[9]), shardLen: shardLen}
	if h.k < 1 || h.k > GroupSize || h.m > MaxParity || shardLen > MaxDatagram || shardLen == 0 {
		return parity{}, false
	}
	body := d[parityFixed:]
	if d[2] == kindRepair {
		if h.m == 0 || h.idx >= h.m || len(body) != shardLen {
			return parity{}, false
		}
		h.shard = body
		return h, true
	}
	if h.idx != 0 || len(body) != memberLen*h.k {
		return parity{}, false
	}
	for i := range h.k {
		n := int(binary.BigEndian.Uint16(body[memberLen*i:]))
		if n == 0 || n > shardLen {
			return parity{}, false
		}
		h.lens = append(h.lens, n)
		h.crcs = append(h.crcs, binary.BigEndian.Uint32(body[memberLen*i+2:]))
	}
	return h, true
}

// maxGroups bounds the groups being received from one peer.
const maxGroups = 8

// parityLocked takes a group's listing or one of its repairs: it counts the group's losses at the listing, and
// rebuilds them once there are enough repairs.
func (c *Conn) parityLocked(p *peer, h parity) {
	g := p.groups[h.group]
	if g == nil && h.shard != nil {
		return // a repair of a group whose listing did not come (first): nothing to rebuild against
	}
	if g == nil {
		if len(p.groups) >= maxGroups {
			oldest, first := uint32(0), true
			for id := range p.groups {
				if first || int32(id-oldest) < 0 { //nolint:gosec // serial-number comparison
					oldest, first = id, false
				}
			}
			delete(p.groups, oldest)
		}
		g = &inGroup{lens: h.lens, crcs: h.crcs, m: h.m, shardLen: h.shardLen, have: make([][]byte, h.k),
			parity: make([][]byte, max(h.m, 1))}
		p.groups[h.group] = g
	}
	if g.done || h.k != len(g.lens) || h.m != g.m || h.shardLen != g.shardLen {
		return
	}
	missing := 0
	for i := range g.lens {
		if g.have[i] == nil {
			if d := p.find(g.lens[i], g.crcs[i]); d != nil {
				g.have[i] = append([]byte(nil), d...)
			} else {
				missing++
			}
		}
	}
	if !g.counted {
		g.counted = true
		p.listed += uint64(len(g.lens))
		p.missing += uint64(missing) //nolint:gosec // small
		c.stats.Listed += uint64(len(g.lens))
		c.stats.Missing += uint64(missing) //nolint:gosec // small
	}
	if h.shard != nil && g.parity[h.idx] == nil {
		g.parity[h.idx] = append([]byte(nil), h.shard...)
	}
	if missing == 0 {
		g.done = true
		return
	}
	got := 0
	for _, s := range g.parity {
		if s != nil {
			got++
		}
	}
	if g.m == 0 || got < missing {
		return
	}
	c.rebuildLocked(p, g)
}

// rebuildLocked rebuilds g's missing datagrams and queues them for ReadFrom.
func (c *Conn) rebuildLocked(p *peer, g *inGroup) {
	g.done = true
	k := len(g.lens)
	enc := c.encoderLocked(k, g.m)
	if enc == nil {
		return
	}
	shardLen := len(firstNonNil(g.parity))
	shards := make([][]byte, k+g.m)
	for i, d := range g.have {
		if d != nil {
			shards[i] = append(d, make([]byte, shardLen-len(d))...)
		}
	}
	copy(shards[k:], g.parity)
	if err := enc.ReconstructData(shards); err != nil {
		return
	}
	for i, d := range g.have {
		if d != nil {
			continue
		}
		got := shards[i][:g.lens[i]]
		if crc32.Checksum(got, castagnoli) != g.crcs[i] {
			continue
		}
		c.ready = append(c.ready, received{data: got, from: p.addr})
		c.stats.Recovered++
	}
}

func firstNonNil(s [][]byte) []byte {
	for _, b := range s {
		if b != nil {
			return b
		}
	}
	return nil
}

// reportLocked tells the peer, at most every reportInterval, how many of the datagrams its groups listed were
// missing.
func (c *Conn) reportLocked(p *peer) {
	now := time.Now()
	if p.listed == p.repd || now.Sub(p.sentRep) < reportInterval {
		return
	}
	p.sentRep, p.repd = now, p.listed
	var d [reportLen]byte
	d[0], d[1], d[2] = mark, magic, kindReport
	binary.BigEndian.PutUint64(d[3:], p.listed)
	binary.BigEndian.PutUint64(d[11:], p.missing)
	_, _ = c.PacketConn.WriteTo(d[:], p.addr)
}

// report takes the peer's cumulative counts and sets the parity to match the loss they show.
func (p *peer) report(listed, missing uint64) {
	dl, dm := listed-p.rep[0], missing-p.rep[1]
	if listed < p.rep[0] || missing < p.rep[1] || dm > dl || dl == 0 {
		return // old, or nonsense
	}
	p.rep = [2]uint64{listed, missing}
	sample := float64(dm) / float64(dl)
	w := min(1, float64(dl)/500) // a report's weight grows with what it counted
	p.loss += w * (sample - p.loss)
}

const (
	// noParityLoss is the loss under which groups get no parity (only their summary): QUIC's own retransmission
	// then costs less than the parity would.
	noParityLoss = 0.0005
	// residualLoss is the loss that parity leaves, at most: about one datagram in ten thousand, under which QUIC's
	// loss-based congestion control keeps a window of 10 Mbit/s at 100 ms of round trip.
	residualLoss = 1e-4
)

// parityFor is the parity for a group of k datagrams on a path that loses that share of them at random: the
// least (up to MaxParity) that leaves a loss of at most residualLoss. A group of n = k+m datagrams rebuilds
// everything unless more than m of them are lost; when x are, x·k/n of its k datagrams are lost on average.
func parityFor(loss float64, k int) int {
	if loss < noParityLoss || k < 1 {
		return 0
	}
	for m := range MaxParity {
		n := k + m
		left := 0.0                          // datagrams lost for good, per datagram of the group
		term := math.Pow(1-loss, float64(n)) // P(0 of n lost)
		for x := 1; x <= n; x++ {
			term *= float64(n-x+1) / float64(x) * loss / (1 - loss) // P(x of n lost)
			if x > m {
				left += term * float64(x) / float64(n)
			}
		}
		if left <= residualLoss {
			return m
		}
	}
	return MaxParity
}
