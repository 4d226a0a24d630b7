package chat

// ring is the log: at most max messages, oldest first. Every message gets a sequence number, counted from
// zero for the first message ever logged; base is the sequence number of the oldest one kept, hence also the
// number of messages dropped.
type ring struct {
	max   int
	buf   []Message // grows to max, then wraps
	start int       // index in buf of the oldest message
	base  uint64
}

// push adds m and returns its sequence number, and the message dropped to make room, if any.
func (r *ring) push(m Message) (seq uint64, old Message, evicted bool) {
	if len(r.buf) < r.max {
		r.buf = append(r.buf, m)
		return r.base + uint64(len(r.buf)-1), Message{}, false
	}
	old = r.buf[r.start]
	r.buf[r.start] = m
	r.start = (r.start + 1) % len(r.buf)
	r.base++
	return r.base + uint64(len(r.buf)-1), old, true
}

// at returns the message with sequence number seq, or nil if it was dropped or never logged.
func (r *ring) at(seq uint64) *Message {
	if seq < r.base || seq-r.base >= uint64(len(r.buf)) {
		return nil
	}
	return &r.buf[(r.start+int(seq-r.base))%len(r.buf)]
}

// next returns the sequence number the next message will get.
func (r *ring) next() uint64 { return r.base + uint64(len(r.buf)) }

// all returns a copy of the kept messages, oldest first.
func (r *ring) all() []Message {
	out := make([]Message, 0, len(r.buf))
	out = append(out, r.buf[r.start:]...)
	return append(out, r.buf[:r.start]...)
}
