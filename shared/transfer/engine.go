package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Scheduling and limits of the engine.
const (
	// quic-go urgencies (RFC 9218): 0 is the most urgent, 7 the least.
	// transport.Urgency gives File streams the lowest of the kinds (6),
	// which the control streams of transfers keep; file data goes one
	// lower, after everything else, so that a cancel is not stuck behind
	// megabytes of data.
	dataUrgency = 7

	chunkSize        = protocol.MaxFileChunk
	maxInFlight      = 8                // files sent and not yet confirmed, per transfer
	maxPendingOffers = 16               // incoming offers not yet answered
	maxReceiving     = 16               // files received at once, each with its buffers
	maxEnded         = 1024             // finished incoming transfers remembered for late streams
	offerTimeout     = 30 * time.Second // for the offer to arrive on a new transfer stream
	verdictGrace     = 10 * time.Second // for the receiver's verdicts once a transfer is cancelled
	cancelGrace      = 5 * time.Second  // for a write in progress to finish once its file is cancelled
	lingerGrace      = 10 * time.Second // for the peer to end a transfer's control stream after its end
	defaultInterval  = 250 * time.Millisecond
)

// Config configures an Engine.
type Config struct {
	// OnEvent receives every event of the engine, in order, from one
	// goroutine of the engine's. It may call the Engine's methods (Accept
	// from an OfferReceived, say) but not Close, and should not block for
	// long: events queue behind it. Nil drops the events.
	OnEvent func(Event)
	// DefaultDir is the folder whose free space OfferReceived reports
	// (e.g. the user's Downloads folder); empty for none.
	DefaultDir string
	// ProgressInterval is the least time between two Progress events of a
	// transfer; zero means 250 ms.
	ProgressInterval time.Duration

	// FreeSpace returns the bytes available in a folder; nil means the real
	// disk (the package's FreeSpace). A test seam: tests make a disk look
	// small with it.
	FreeSpace func(dir string) (uint64, error)
	// WrapWrite, when set, wraps the writer of every file being received. A
	// test seam: a writer failing with syscall.ENOSPC after some bytes
	// stands for a full disk, one failing with fs.ErrPermission for a
	// folder that may not be written, one flipping a bit for a damaged
	// disk.
	WrapWrite func(io.Writer) io.Writer
	// WrapRead, when set, wraps the reader of every file being sent. A test
	// seam for read errors on the sending side.
	WrapRead func(io.Reader) io.Reader
}

// Engine moves files over one connection, both ways. The session that owns
// the connection creates it, hands it every File stream the peer opens
// (HandleStream), relays the person's decisions (Offer, Accept, Decline,
// Cancel, CancelFile) and forwards its events; Close stops it.
type Engine struct {
	conn *transport.Conn
	cfg  Config

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the engine but the event loop

	events    eventQueue
	eventLoop sync.WaitGroup
	receiving chan struct{} // a slot per file being received

	mu        sync.Mutex
	closed    bool
	nextID    uint64
	out       map[uint64]*outgoing
	in        map[uint64]*incoming
	ended     map[uint64]protocol.Code // finished incoming transfers: the code for a stream that comes late
	endedFIFO []uint64

	resMu    sync.Mutex
	reserved map[string]int // final names promised to files being received: reserveKey → count

	finalMu   sync.Mutex // one file takes its final name at a time
	closeOnce sync.Once
}

// New returns an engine for conn. It starts the goroutine that delivers
// events; Close stops it.
func New(conn *transport.Conn, cfg Config) *Engine {
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = defaultInterval
	}
	if cfg.FreeSpace == nil {
		cfg.FreeSpace = FreeSpace
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{conn: conn, cfg: cfg, ctx: ctx, cancel: cancel,
		out: map[uint64]*outgoing{}, in: map[uint64]*incoming{}, ended: map[uint64]protocol.Code{},
		reserved: map[string]int{}, receiving: make(chan struct{}, maxReceiving)}
	e.events.signal = make(chan struct{}, 1)
	e.eventLoop.Go(e.deliver)
	return e
}

// Close cancels every transfer in progress (the peer sees them end with
// SessionEnded; partial files are kept so that a later offer of the same
// files resumes), waits for the engine's goroutines, delivers the last
// events and returns. No event is delivered after Close returns. It does
// not close the connection.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		e.cancel()
		e.wg.Wait()
		e.events.close()
		e.eventLoop.Wait()
	})
}

// spawn runs f on a goroutine the engine owns, unless the engine is closed.
func (e *Engine) spawn(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Go(f)
	return true
}

// HandleStream takes a File stream the peer opened, whose header the
// session has read. It returns at once; the engine owns the stream from
// then on.
func (e *Engine) HandleStream(h protocol.StreamHeader, st *quic.Stream) {
	if h.Kind != protocol.File {
		transport.Refuse(st, protocol.UnknownStream)
		return
	}
	e.mu.Lock()
	in := e.in[h.TransferID]
	code, ended := e.ended[h.TransferID]
	e.mu.Unlock()
	var ok bool
	switch {
	case in != nil:
		ok = e.spawn(func() { in.receive(int(h.FileIndex), st) })
	case ended:
		ok = e.spawn(func() { refuseLate(st, code) })
	case h.FileIndex == 0:
		ok = e.spawn(func() { e.readOffer(h.TransferID, st) })
	default:
		transport.Refuse(st, protocol.ProtocolViolation) // a file of a transfer never offered
		return
	}
	if !ok {
		transport.Refuse(st, protocol.SessionEnded)
	}
}

// refuseLate answers a stream of a transfer that has ended with the code
// that ended it.
func refuseLate(st *quic.Stream, code protocol.Code) {
	st.CancelRead(quic.StreamErrorCode(code))
	st.SetPriority(transport.Urgency(protocol.File), false)
	_ = protocol.NewEncoder(st, protocol.File).Encode(&protocol.FileCancel{Code: code})
	_ = st.Close()
}

// Cancel cancels a transfer, in either direction and at any stage: an
// offer not yet answered is declined (incoming) or withdrawn (outgoing);
// files not yet complete end with Cancelled on both sides, and their
// partial files are deleted.
func (e *Engine) Cancel(id ID) error {
	switch id.Dir {
	case Outgoing:
		o := e.outgoing(id)
		if o == nil {
			return unknown(id)
		}
		o.cancelAll(protocol.Cancelled, true)
		return nil
	case Incoming:
		in := e.incoming(id)
		if in == nil {
			return unknown(id)
		}
		return in.cancelAll(protocol.Cancelled, true)
	}
	return unknown(id)
}

// CancelFile cancels one file of a transfer (its index in the offer): it
// ends with Cancelled on both sides and the others go on. A file already
// complete stays so.
func (e *Engine) CancelFile(id ID, index int) error {
	switch id.Dir {
	case Outgoing:
		if o := e.outgoing(id); o != nil {
			return o.cancelFile(index)
		}
	case Incoming:
		if in := e.incoming(id); in != nil {
			return in.cancelFile(index)
		}
	}
	return unknown(id)
}

func (e *Engine) outgoing(id ID) *outgoing {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.out[id.N]
}

func (e *Engine) incoming(id ID) *incoming {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.in[id.N]
}

func unknown(id ID) error {
	return &protocol.Error{Code: protocol.Internal, Detail: "no transfer " + id.String() + " in progress"}
}

// codeOf maps the error that ended a stream operation to the code both
// sides report: the connection's end if it has ended, the engine's close,
// a stream reset with its code, else protocol.CodeOf.
func (e *Engine) codeOf(err error) protocol.Code {
	if cerr := e.conn.Err(); cerr != nil {
		if c := protocol.CodeOf(cerr); c != protocol.NoError {
			return c
		}
		return protocol.SessionEnded
	}
	if e.ctx.Err() != nil {
		return protocol.SessionEnded
	}
	var se *quic.StreamError
	if errors.As(err, &se) {
		if c := protocol.Code(se.ErrorCode); c != protocol.NoError {
			return c
		}
		return protocol.Cancelled
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		return protocol.Code(ae.ErrorCode)
	}
	if errors.Is(err, io.EOF) {
		return protocol.ProtocolViolation
	}
	return protocol.CodeOf(transport.Cause(err))
}

// fail returns a *protocol.Error with code, a detail for logs and a cause.
func fail(code protocol.Code, cause error, format string, args ...any) *protocol.Error {
	return &protocol.Error{Code: code, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// codeErr returns the *protocol.Error for a code, keeping err when it
// carries that code already.
func codeErr(code protocol.Code, err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == code {
		return pe
	}
	return &protocol.Error{Code: code, Err: err}
}

// writeCode classifies a failure to write a received file.
func writeCode(err error) protocol.Code {
	if isDiskFull(err) {
		return protocol.DiskFull
	}
	return protocol.WriteFailed
}

// keepPartial reports whether a partial file is kept after its transfer
// ended with code: only when the transfer was interrupted (connection lost,
// session ended), so that an offer of the same file resumes.
func keepPartial(code protocol.Code) bool {
	switch code {
	case protocol.ConnectionLost, protocol.SessionEnded, protocol.Timeout:
		return true
	}
	return false
}

// eventQueue holds events between the goroutines that emit them and the
// one that delivers them.
type eventQueue struct {
	mu     sync.Mutex
	q      []Event
	closed bool
	signal chan struct{}
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (e *Engine) emit(ev Event) {
	if e.cfg.OnEvent == nil {
		return
	}
	q := &e.events
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.q = append(q.q, ev)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (e *Engine) deliver() {
	q := &e.events
	for {
		<-q.signal
		for {
			q.mu.Lock()
			batch, closed := q.q, q.closed
			q.q = nil
			q.mu.Unlock()
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
			for _, ev := range batch {
				e.cfg.OnEvent(ev)
			}
		}
	}
}

// meter measures a rate over the last few seconds.
type meter struct {
	samples [32]sample
	n, head int
}

type sample struct {
	t time.Time
	b uint64
}

const meterWindow = 3 * time.Second

// add records that b bytes in all have moved by t.
func (m *meter) add(t time.Time, b uint64) {
	if m.n > 0 {
		last := m.samples[(m.head+m.n-1)%len(m.samples)]
		if t.Sub(last.t) < 50*time.Millisecond {
			m.samples[(m.head+m.n-1)%len(m.samples)].b = b
			return
		}
	}
	if m.n == len(m.samples) {
		m.head = (m.head + 1) % len(m.samples)
		m.n--
	}
	m.samples[(m.head+m.n)%len(m.samples)] = sample{t, b}
	m.n++
	for m.n > 2 && t.Sub(m.samples[(m.head+1)%len(m.samples)].t) > meterWindow {
		m.head = (m.head + 1) % len(m.samples)
		m.n--
	}
}

// rate returns bytes per second over the window, 0 when unknown.
func (m *meter) rate() float64 {
	if m.n < 2 {
		return 0
	}
	first, last := m.samples[m.head], m.samples[(m.head+m.n-1)%len(m.samples)]
	dt := last.t.Sub(first.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(last.b-first.b) / dt
}

// left estimates the time to move n more bytes at rate; negative when
// unknown.
func left(n uint64, rate float64) time.Duration {
	if n == 0 {
		return 0
	}
	if rate <= 0 {
		return -1
	}
	s := float64(n) / rate
	if s > float64(365*24*time.Hour/time.Second) {
		return -1
	}
	return time.Duration(s * float64(time.Second))
}

// streamSet remembers the streams of a transfer, to abandon them all when
// the engine closes.
type streamSet struct {
	mu   sync.Mutex
	all  map[*quic.Stream]struct{}
	done bool
}

func (s *streamSet) add(st *quic.Stream) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	if s.all == nil {
		s.all = map[*quic.Stream]struct{}{}
	}
	s.all[st] = struct{}{}
	return true
}

func (s *streamSet) remove(st *quic.Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.all, st)
}

// refuseAll abandons every stream with code, and any added later.
func (s *streamSet) refuseAll(code protocol.Code) {
	s.mu.Lock()
	all := s.all
	s.all, s.done = nil, true
	s.mu.Unlock()
	for st := range all {
		transport.Refuse(st, code)
	}
}

// osFileInfoSame reports whether an opened file is the one a Lstat saw.
func osFileInfoSame(f *os.File, seen os.FileInfo) bool {
	fi, err := f.Stat()
	return err == nil && os.SameFile(fi, seen)
}
