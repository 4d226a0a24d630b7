package session

import (
	"bytes"
	"context"
	"errors"
	"image"
	"log"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Screen sharing works the same in both directions (the customer's screen to the technician, the technician's
// back to the customer): the sharer opens a screen stream per sharing period and sends the monitor list and
// then frames on it; the viewer acknowledges frames and may ask for a key frame or another monitor on it, and
// leaves by cancelling the stream. The pointer travels apart, in datagrams, so that it moves smoothly over a
// screen that does not change.

// pointerInterval is how often the sharer looks at the pointer while the screen does not change.
const pointerInterval = 15 * time.Millisecond

// Events of screen sharing, beyond the customer's SharingChanged.
type (
	// MonitorsChanged gives the viewer the sharer's monitors and the one being sent (Current, an ID in
	// Monitors). Choose another with SelectMonitor.
	MonitorsChanged struct {
		Monitors []protocol.Monitor
		Current  uint32
		Sharer   protocol.ParticipantID // on the customer's side: the technician whose screen it is
	}
	// PointerMoved is where the sharer's pointer is on the viewed monitor, in frame pixels, and its shape;
	// Visible is false while the pointer is on another monitor.
	PointerMoved struct {
		X, Y    int
		Visible bool
		Shape   protocol.CursorShape
		Sharer  protocol.ParticipantID // on the customer's side: the technician whose screen it is
	}
	// TechnicianScreenChanged says the technician's screen is (On) or is no longer shared with the customer.
	// ClosedByCustomer says the customer closed it (Guest.CloseTechnicianScreen). On the customer's side, Sharer
	// says which technician's screen it is.
	TechnicianScreenChanged struct {
		On, ClosedByCustomer bool
		Sharer               protocol.ParticipantID
	}
)

func (MonitorsChanged) isEvent()         {}
func (PointerMoved) isEvent()            {}
func (TechnicianScreenChanged) isEvent() {}

// screenShare sends this side's screen: one capture loop at a time, each on its own screen stream.
type screenShare struct {
	conn    *transport.Conn
	me      protocol.ParticipantID
	onSent  func(seq uint64, captured time.Time, bytes int)
	onEnd   func(viewerLeft bool) // a loop stopped by itself: the viewer left its stream, or the stream failed
	workers *sync.WaitGroup
	owns    bool // the source is closed when its loop ends (set a new one for the next start)

	mu     sync.Mutex
	src    capture.Source
	shots  *capturer       // src's pictures and the monitor shown, shared with src's other viewers
	bounds image.Rectangle // where the monitor is on the virtual screen, as the loop last saw it
	stopFn context.CancelFunc
	done   chan struct{} // closed when the last loop has returned: one loop owns src at a time

	moved chan struct{} // the pointer was just moved by the technician's input: look at it now (buffer of one)
}

// pointerMoved tells the pointer's loop that input has just moved the pointer, so that the viewer learns of it
// at once rather than at the next pointerInterval: half of that interval, on average, is saved from every
// round trip of the technician's pointer.
func (s *screenShare) pointerMoved() {
	select {
	case s.moved <- struct{}{}:
	default:
	}
}

// has reports whether there is something to share.
func (s *screenShare) has() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src != nil
}

// running reports whether a capture loop runs.
func (s *screenShare) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopFn != nil
}

// start starts a capture loop on a new screen stream unless one runs or there is nothing to share; it reports
// whether it started one.
func (s *screenShare) start(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopFn != nil || s.src == nil {
		return false
	}
	src := s.src
	if s.owns {
		s.src = nil
	}
	loopCtx, cancel := context.WithCancel(ctx)
	s.stopFn = cancel
	prev, done := s.done, make(chan struct{})
	s.done = done
	s.workers.Go(func() {
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev // the loop before this one owns the source until it returns
		}
		left := s.run(loopCtx, src)
		if s.owns {
			if err := src.Close(); err != nil {
				log.Printf("session: closing capture: %v", err)
			}
		}
		s.mu.Lock()
		byItself := loopCtx.Err() == nil // not stopped, and the session goes on
		if byItself {
			s.stopFn = nil
		}
		s.mu.Unlock()
		if byItself && s.onEnd != nil {
			s.onEnd(left)
		}
	})
	return true
}

// stop stops the capture loop; it reports whether one ran.
func (s *screenShare) stop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopFn == nil {
		return false
	}
	s.stopFn()
	s.stopFn = nil
	return true
}

// mapper maps frame pixels to the shared monitor's place on the virtual screen.
func (s *screenShare) mapper() (input.Mapper, error) {
	s.mu.Lock()
	b := s.bounds
	s.mu.Unlock()
	if b.Empty() {
		return input.Mapper{}, capture.ErrNoMonitor
	}
	return input.FrameToMonitor(b.Dx(), b.Dy(), b)
}

// locate re-reads the monitors, records where the shared one is and returns the list for the viewer (nil when
// the source cannot say). Only the capture loop calls it.
func (s *screenShare) locate(src capture.Source) *protocol.MonitorList {
	mons, err := src.Monitors()
	if err != nil {
		log.Printf("session: monitors: %v", err)
		return nil
	}
	shown := s.pictures().shownMonitor()
	s.mu.Lock()
	defer s.mu.Unlock()
	list := &protocol.MonitorList{}
	for _, m := range mons {
		if len(list.Monitors) == protocol.MaxMonitors {
			break
		}
		if m.Index == shown {
			s.bounds = m.Bounds
			list.Current = monitorID(m.Index)
		}
		w, h := m.Bounds.Dx(), m.Bounds.Dy()
		if w <= 0 || h <= 0 || w > protocol.MaxMonitorSize || h > protocol.MaxMonitorSize {
			continue
		}
		list.Monitors = append(list.Monitors, protocol.Monitor{ID: monitorID(m.Index), Name: monitorName(m.Name),
			X: int32(m.Bounds.Min.X), Y: int32(m.Bounds.Min.Y), Width: uint32(w), Height: uint32(h), //nolint:gosec // bounded above
			Primary: m.Primary})
	}
	if list.Current == 0 || len(list.Monitors) == 0 {
		return nil
	}
	return list
}

// monitorID is the wire ID of the monitor with that capture index (IDs start at 1).
func monitorID(index int) uint32 { return uint32(index) + 1 } //nolint:gosec // indexes are small and ≥ 0

// monitorName makes a system's monitor name fit the wire's rules (one line, MaxNameLen bytes).
func monitorName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > protocol.MaxNameLen {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// choose shows the monitor with that wire ID, to every viewer; it reports whether there is such a monitor.
func (s *screenShare) choose(src capture.Source, id uint32) bool {
	mons, err := src.Monitors()
	if err != nil {
		return false
	}
	for _, m := range mons {
		if monitorID(m.Index) == id {
			s.pictures().show(m.Index)
			return true
		}
	}
	return false
}

// pictures returns the capturer of the source shared.
func (s *screenShare) pictures() *capturer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shots
}

// viewerMessages is what the viewer sends back on a screen stream.
type viewerMessages struct {
	acks    chan uint64
	refresh chan struct{}
	choose  chan uint32
	options chan protocol.ViewOptions
	gone    chan struct{} // closed when the viewer's side of the stream has ended
	left    bool          // set before gone closes: the viewer cancelled the stream (it stopped viewing)
}

// run sends the newest screen state as fast as the link takes it (pacer: the frames unacknowledged stay within
// what the link carries in a round trip and a half), never a backlog, a key frame at the start and whenever the
// viewer asks; the pointer keeps moving while frames wait. It reports whether it ended because the viewer left
// the stream.
func (s *screenShare) run(ctx context.Context, src capture.Source) (viewerLeft bool) {
	st, err := s.conn.OpenStream(ctx, protocol.StreamHeader{Kind: protocol.Screen, Sharer: s.me})
	if err != nil {
		return false
	}
	in := &viewerMessages{acks: make(chan uint64, 2*maxFramesInFlight), refresh: make(chan struct{}, 1),
		choose: make(chan uint32, 1), options: make(chan protocol.ViewOptions, 1), gone: make(chan struct{})}
	var reader sync.WaitGroup
	readCtx, stopReading := context.WithCancel(ctx)
	reader.Go(func() { readViewer(readCtx, st, in) })
	defer func() {
		_ = st.Close() // the viewer sees the end of the stream: sharing stopped
		st.CancelRead(quic.StreamErrorCode(protocol.NoError))
		stopReading()
		reader.Wait()
	}()
	left := func(err error) bool {
		var se *quic.StreamError
		return errors.As(err, &se) && se.Remote
	}

	// Frames go to QUIC at about the link's rate, so that they wait here, not in the bottleneck's queue in front
	// of everything else the session sends (runs before the stream's close above).
	paced := newPacedStream(ctx, st, func() (delay, rtt time.Duration) { return s.conn.QueueDelay(), s.conn.MinRTT() },
		systemClock{})
	defer paced.stop()
	out := protocol.NewEncoder(paced, protocol.Screen)
	enc := codec.NewEncoder()
	if ps, ok := src.(capture.PointerSource); ok {
		// The pointer has its own goroutine: this one waits for the link whenever frames are held back.
		ptrCtx, stopPointer := context.WithCancel(ctx)
		var ptrLoop sync.WaitGroup
		ptrLoop.Go(func() { s.watchPointer(ptrCtx, ps) })
		defer ptrLoop.Wait()
		defer stopPointer()
	}
	if list := s.locate(src); list != nil {
		if err := out.Encode(list); err != nil {
			return left(err)
		}
	}
	shots := s.pictures()
	var prev *shot // the picture the encoder retains as the viewer's framebuffer
	defer func() { shots.release(prev) }()
	var pkt []byte
	var seq uint64
	var pace pacer
	var preview previewer
	var video videoSender
	defer video.stop()
	var poll poller
	key := true // the next frame is a key frame
	retryTimer := time.NewTimer(time.Hour)
	retryTimer.Stop()
	for {
		for {
			ok, wait := pace.mayShip(s.conn.MinRTT(), time.Now())
			if ok {
				break
			}
			var retry <-chan time.Time
			if wait > 0 {
				retryTimer.Reset(wait)
				retry = retryTimer.C
			}
			select {
			case n := <-in.acks:
				pace.ack(n, s.conn.MinRTT(), s.conn.QueueDelay(), time.Now())
				paced.setRate(pace.rate())
			case <-retry:
			case <-in.gone:
				return in.left
			case <-ctx.Done():
				return false
			}
			retryTimer.Stop()
		}
		for drained := false; !drained; {
			select {
			case n := <-in.acks:
				pace.ack(n, s.conn.MinRTT(), s.conn.QueueDelay(), time.Now())
				paced.setRate(pace.rate())
			case <-in.refresh:
				enc.Reset()
				key = true
			case <-in.gone:
				return in.left
			case id := <-in.choose:
				s.choose(src, id) // every viewer sees the next picture's generation change
			case o := <-in.options:
				video.allow(o.Lossy)
			default:
				drained = true
			}
		}
		if ctx.Err() != nil {
			return false
		}
		var after time.Time
		if prev != nil {
			after = prev.at
		}
		cur, err := shots.grab(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			log.Printf("session: capture: %v", err)
			if !sleep(ctx, time.Second) {
				return false
			}
			continue
		}
		captured := cur.at
		switch {
		case prev != nil && cur.gen != prev.gen:
			// Another monitor (chosen by this viewer or another): a key frame of it, and where it is.
			enc.Reset()
			key = true
			if list := s.locate(src); list != nil {
				if err := out.Encode(list); err != nil {
					shots.release(cur)
					return left(err)
				}
			}
		case seq == 0 || cur.frame.Width != prev.frame.Width || cur.frame.Height != prev.frame.Height:
			key = true // the encoder starts over with a key frame
			// The first frame, or the monitor changed size: where is it now?
			if list := s.locate(src); list != nil && seq > 0 {
				if err := out.Encode(list); err != nil {
					shots.release(cur)
					return left(err)
				}
			}
		}
		// A lossy region ends when the screen starts over, when the viewer no longer wants it, and when it
		// has stopped moving: the viewer is told first, and the lossless codec gets the real frame.
		now := time.Now()
		if !video.active() && !key && prev != nil {
			switch rate := pace.linkRate(s.conn.MinRTT(), now); {
			case video.crawl(prev.frame, cur.frame, rate, now):
				log.Printf("session: the link is too slow for exact frames of region %v: it goes as video at %d kbit/s", video.region, video.kbps)
			case video.confirm(prev.frame, cur.frame, rate, now):
				log.Printf("session: region %v of the screen changes with photographic content: it goes as video at %d kbit/s", video.region, video.kbps)
			}
		}
		var vp *protocol.VideoPacket
		ended := false // a VideoEnd went: the next lossless frame goes, changed or not, as it ends the viewer's video
		if video.active() {
			moved := video.changed(cur.frame, now)
			if key || !video.allowed || !moved && video.still(now) {
				video.stop()
				ended = true
				if err := out.Encode(&protocol.VideoEnd{}); err != nil {
					shots.release(cur)
					return left(err)
				}
			} else if moved {
				if vp, err = video.encode(cur.frame, pace.linkRate(s.conn.MinRTT(), now), now); err != nil {
					log.Printf("session: video: %v", err)
					video.stop()
					vp, ended = nil, true
					if err := out.Encode(&protocol.VideoEnd{}); err != nil {
						shots.release(cur)
						return left(err)
					}
				}
			}
		}
		frame := cur.frame
		if video.active() {
			frame = video.mask(cur.frame)
		}
		pkt, err = enc.EncodeRetained(pkt[:0], frame)
		shots.release(prev) // the encoder now retains cur (or the masked copy) instead
		prev = cur
		if err != nil {
			log.Printf("session: encode: %v", err)
			return false
		}
		switch {
		case video.active():
		case key:
			video.expect(nil, 0) // a key frame says nothing of what changes
		case video.observe(cur.frame, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), pace.linkRate(s.conn.MinRTT(), now), now):
			log.Printf("session: region %v of the screen goes as video at %d kbit/s", video.region, video.kbps)
		}
		// The video goes first: most of what moved is in it, and the viewer shows each packet as it comes.
		if vp != nil {
			seq++
			vp.Seq = seq
			if s.onSent != nil {
				s.onSent(seq, captured, len(vp.Data))
			}
			pace.sent(seq, len(vp.Data), time.Now())
			if err := out.Encode(vp); err != nil {
				return left(err)
			}
		}
		if len(enc.Changed()) > 0 || seq == 0 || ended {
			if err := s.ship(out, &pace, &seq, captured, pkt, key, &preview, cur.frame); err != nil {
				return left(err)
			}
			key = false
		}
		if len(enc.Changed()) > 0 || vp != nil {
			poll.changed(captured)
		} else if seq > 0 {
			// Nothing changed: look again in a moment.
			if !sleep(ctx, poll.interval(time.Now())) {
				return false
			}
		}
	}
}

// ship sends a lossless frame packet as frame seq+1, after a coarse preview when it is a key frame that
// takes the link a while.
func (s *screenShare) ship(out *protocol.Encoder, pace *pacer, seq *uint64, captured time.Time, pkt []byte, key bool,
	preview *previewer, f codec.Frame) error {
	*seq++
	if s.onSent != nil {
		s.onSent(*seq, captured, len(pkt))
	}
	if key {
		if p := preview.make(f, len(pkt), pace.rate(), s.conn.MinRTT()); p != nil {
			if err := out.Encode(p); err != nil {
				return err
			}
		}
	}
	pace.sent(*seq, len(pkt), time.Now())
	return out.Encode(&protocol.FramePacket{Seq: *seq, Data: pkt})
}

const (
	// previewDelay is how long a key frame may take to cross the link before a coarse preview goes first.
	previewDelay = 150 * time.Millisecond
	// initialWindow is about what QUIC sends in its first round trip (quic-go's initial congestion window).
	initialWindow = 32 * 1280
)

// crossing estimates how long a key frame of n bytes takes to cross the link, from its rate (bytes per second;
// 0 before it is known) or else from its round trip: a new connection's window doubles every round trip.
func crossing(n int, rate float64, rtt time.Duration) time.Duration {
	if rate > 0 {
		return time.Duration(float64(n) / rate * float64(time.Second))
	}
	rounds := 1.0
	if n > initialWindow {
		rounds += math.Log2(float64(n) / initialWindow)
	}
	return time.Duration(rounds * float64(rtt))
}

// previewer makes the coarse previews of key frames (protocol.FramePreview) for one screen stream.
type previewer struct {
	enc   *codec.Encoder
	small codec.Frame
	buf   []byte
}

// make returns the preview to send before a key frame of keyBytes bytes of f, or nil when the key frame crosses
// the link (rate bytes per second, 0: unknown; its round trip rtt) quickly enough, or when the preview would not
// be much smaller.
func (p *previewer) make(f codec.Frame, keyBytes int, rate float64, rtt time.Duration) *protocol.FramePreview {
	if crossing(keyBytes, rate, rtt) < previewDelay {
		return nil
	}
	scale := 4
	if f.Width > 2560 {
		scale = 8
	}
	if f.Width < 4*scale || f.Height < 4*scale {
		return nil
	}
	if p.enc == nil {
		p.enc = codec.NewEncoder()
	}
	codec.Shrink(&p.small, f, scale)
	p.enc.Reset()
	var err error
	if p.buf, err = p.enc.Encode(p.buf[:0], p.small); err != nil || len(p.buf)*4 > keyBytes {
		return nil
	}
	return &protocol.FramePreview{Scale: uint8(scale), Data: p.buf} //nolint:gosec // 4 or 8
}

func readViewer(ctx context.Context, st *quic.Stream, in *viewerMessages) {
	defer close(in.gone)
	dec := protocol.NewDecoder(st, protocol.Screen)
	for {
		m, err := dec.Decode()
		if err != nil {
			var se *quic.StreamError
			in.left = errors.As(err, &se) && se.Remote
			return
		}
		switch m := m.(type) {
		case *protocol.FrameAck:
			select {
			case in.acks <- m.Seq:
			case <-ctx.Done():
				return
			}
		case *protocol.RefreshRequest:
			select {
			case in.refresh <- struct{}{}:
			default:
			}
		case *protocol.SelectMonitor:
			select {
			case <-in.choose: // the newest choice wins
			default:
			}
			in.choose <- m.ID
		case *protocol.ViewOptions:
			select {
			case <-in.options: // the newest options win
			default:
			}
			in.options <- *m
		}
	}
}

// watchPointer sends the pointer to the viewer every pointerInterval it moves or changes shape, and at once when
// input moved it, until ctx ends.
func (s *screenShare) watchPointer(ctx context.Context, src capture.PointerSource) {
	p := pointerWatch{conn: s.conn, src: src}
	t := time.NewTicker(pointerInterval)
	defer t.Stop()
	for {
		p.check(s)
		select {
		case <-t.C:
		case <-s.moved:
		case <-ctx.Done():
			return
		}
	}
}

// pointerWatch sends the pointer to the viewer in datagrams when it moves or changes shape.
type pointerWatch struct {
	conn *transport.Conn
	src  capture.PointerSource // nil: the source cannot tell
	last protocol.Cursor
	at   time.Time // when last was sent; zero: never
	buf  []byte
}

// pointerRepeat is how often an unchanged pointer is sent again: datagrams may be lost.
const pointerRepeat = 500 * time.Millisecond

func (p *pointerWatch) check(s *screenShare) {
	if p.src == nil {
		return
	}
	ptr, err := p.src.Pointer()
	if err != nil {
		return
	}
	s.mu.Lock()
	b := s.bounds
	s.mu.Unlock()
	at := ptr.Pos.Sub(b.Min)
	c := protocol.Cursor{X: int32(at.X), Y: int32(at.Y), Visible: ptr.Pos.In(b), Shape: cursorShape(ptr.Shape)} //nolint:gosec // screen coordinates
	if !p.at.IsZero() && c == p.last && time.Since(p.at) < pointerRepeat {
		return
	}
	p.buf, err = protocol.AppendMessage(p.buf[:0], &c)
	if err != nil || p.conn.SendDatagram(p.buf) != nil {
		return // the next move tries again
	}
	p.last, p.at = c, time.Now()
}

// cursorShape maps X cursor-theme names (and the CSS names themes alias them to) to the wire's shapes.
func cursorShape(name string) protocol.CursorShape {
	switch name {
	case "xterm", "text", "ibeam", "vertical-text":
		return protocol.CursorText
	case "hand", "hand1", "hand2", "pointer", "pointing_hand":
		return protocol.CursorPointer
	case "watch", "wait", "progress", "left_ptr_watch":
		return protocol.CursorWait
	case "crosshair", "cross", "tcross", "cell":
		return protocol.CursorCrosshair
	case "sb_v_double_arrow", "ns-resize", "row-resize", "n-resize", "s-resize", "top_side", "bottom_side", "v_double_arrow":
		return protocol.CursorResizeNS
	case "sb_h_double_arrow", "ew-resize", "col-resize", "e-resize", "w-resize", "left_side", "right_side", "h_double_arrow":
		return protocol.CursorResizeEW
	case "nwse-resize", "nw-resize", "se-resize", "top_left_corner", "bottom_right_corner", "size_fdiag":
		return protocol.CursorResizeNWSE
	case "nesw-resize", "ne-resize", "sw-resize", "top_right_corner", "bottom_left_corner", "size_bdiag":
		return protocol.CursorResizeNESW
	case "fleur", "move", "all-scroll", "grabbing", "size_all":
		return protocol.CursorMove
	case "not-allowed", "no-drop", "crossed_circle", "forbidden", "circle":
		return protocol.CursorNotAllowed
	}
	return protocol.CursorArrow
}

// screenView shows the peer's screen: one screen stream at a time, decoded into a framebuffer.
type screenView struct {
	ev      *events
	sharer  protocol.ParticipantID // whose screen, for the events (customer's side; zero on a technician's)
	onStart func()
	onEnd   func(left bool) // the stream ended; left: because this side left it

	mu       sync.Mutex
	out      *sender // the current stream's way back; nil when nothing is shared
	st       *quic.Stream
	leaving  bool
	monitors MonitorsChanged
	pointer  PointerMoved

	speed func() bool // whether this side's user prefers speed to exactness (nil: always)

	fbMu    sync.Mutex // guards dec, seq, preview and video: what Screen shows
	dec     *codec.Decoder
	seq     uint64       // the last frame decoded into the framebuffer
	preview *codec.Frame // a coarse preview shown until the key frame that follows it is decoded
	video   videoView    // the lossy region drawn over the framebuffer
}

func newScreenView(ev *events, onStart func(), onEnd func(left bool)) *screenView {
	return &screenView{ev: ev, onStart: onStart, onEnd: onEnd, dec: codec.NewDecoder(codec.DecoderOptions{})}
}

// options is what this side accepts on a screen stream: lossy video where VP8 is built in and its user
// prefers speed.
func (v *screenView) options() *protocol.ViewOptions {
	return &protocol.ViewOptions{Lossy: vpx.Available() && (v.speed == nil || v.speed())}
}

// optionsChanged tells the sharer, when a screen flows, that the user's choice between speed and exactness
// changed.
func (v *screenView) optionsChanged() {
	if v.flowing() {
		_ = v.send(v.options()) // a stream that fails ends by itself
	}
}

// take makes st the current screen stream; it reports false when one already flows (one shared screen per
// direction at a time).
func (v *screenView) take(st *quic.Stream) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.out != nil {
		return false
	}
	v.out, v.st, v.leaving = &sender{enc: protocol.NewEncoder(st, protocol.Screen)}, st, false
	v.monitors = MonitorsChanged{}
	return true
}

// flowing reports whether a screen stream is open.
func (v *screenView) flowing() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out != nil
}

// run decodes the stream taken by take into the framebuffer, acknowledging each frame, until it ends.
func (v *screenView) run(st *quic.Stream) {
	v.fbMu.Lock()
	v.dec.Reset() // each screen stream starts with a key frame
	v.preview = nil
	v.video.stop()
	v.fbMu.Unlock()
	if v.onStart != nil {
		v.onStart()
	}
	_ = v.send(v.options()) // a stream that fails ends below
	dec := protocol.NewDecoder(st, protocol.Screen)
read:
	for {
		m, err := dec.Decode()
		if err != nil {
			break
		}
		switch m := m.(type) {
		case *protocol.MonitorList:
			mc := MonitorsChanged{Monitors: m.Monitors, Current: m.Current, Sharer: v.sharer}
			v.mu.Lock()
			v.monitors = mc
			v.mu.Unlock()
			v.ev.send(mc)
		case *protocol.FramePacket:
			if !v.frame(m) {
				break read
			}
		case *protocol.FramePreview:
			v.showPreview(m)
		case *protocol.VideoPacket:
			if !v.videoFrame(m) {
				break read
			}
		case *protocol.VideoEnd:
			v.fbMu.Lock()
			v.video.ending = v.video.active()
			v.fbMu.Unlock()
		}
	}
	st.CancelRead(quic.StreamErrorCode(protocol.NoError))
	_ = st.Close()
	v.mu.Lock()
	left := v.leaving
	v.out, v.st, v.leaving = nil, nil, false
	v.mu.Unlock()
	if v.onEnd != nil {
		v.onEnd(left)
	}
}

// frame decodes one frame and acknowledges it; it reports false when the stream can no longer be written.
func (v *screenView) frame(pkt *protocol.FramePacket) bool {
	v.fbMu.Lock()
	err := v.dec.Decode(pkt.Data)
	var changed []codec.Rect
	if err == nil {
		v.seq, v.preview = pkt.Seq, nil
		changed = v.video.lossless(v.dec.Frame(), append([]codec.Rect(nil), v.dec.Changed()...))
	}
	v.fbMu.Unlock()
	return v.answer("frame", pkt.Seq, err, changed, len(pkt.Data))
}

// answer acknowledges packet seq of the picture (what names it in the log) and, when it changed the picture,
// says so; a packet that could not be decoded (err) asks for a key frame. It reports false when the stream can
// no longer be written.
func (v *screenView) answer(what string, seq uint64, err error, changed []codec.Rect, bytes int) bool {
	if err != nil {
		log.Printf("session: %s %d: %v; asking for a key frame", what, seq, err)
		if v.send(&protocol.RefreshRequest{}) != nil {
			return false
		}
	}
	if v.send(&protocol.FrameAck{Seq: seq}) != nil {
		return false
	}
	if err == nil && len(changed) > 0 {
		v.ev.send(ScreenUpdated{Changed: changed, Seq: seq, Bytes: bytes, Sharer: v.sharer})
	}
	return true
}

// videoFrame decodes a VP8 frame of the lossy region and acknowledges it; it reports false when the stream can
// no longer be written. A frame that cannot be decoded asks for a key frame, which ends the region.
func (v *screenView) videoFrame(pkt *protocol.VideoPacket) bool {
	v.fbMu.Lock()
	var r codec.Rect
	err := errors.New("no picture under the video")
	if fb := v.dec.Frame(); fb.Width > 0 && v.preview == nil {
		r, err = v.video.packet(pkt, fb)
	}
	if err == nil {
		v.seq = pkt.Seq
	}
	v.fbMu.Unlock()
	return v.answer("video frame", pkt.Seq, err, []codec.Rect{r}, len(pkt.Data))
}

// showPreview shows a coarse preview, enlarged to the monitor's size, until the next frame; a preview that does
// not match the monitor the sharer announced is dropped.
func (v *screenView) showPreview(m *protocol.FramePreview) {
	v.mu.Lock()
	var w, h int
	for _, mon := range v.monitors.Monitors {
		if mon.ID == v.monitors.Current {
			w, h = int(mon.Width), int(mon.Height)
		}
	}
	v.mu.Unlock()
	scale := int(m.Scale)
	sw, sh := codec.ScaledSize(w, h, scale)
	dec := codec.NewDecoder(codec.DecoderOptions{})
	defer dec.Close()
	if err := dec.Decode(m.Data); err != nil {
		log.Printf("session: preview: %v", err)
		return
	}
	small := dec.Frame()
	if w == 0 || small.Width != sw || small.Height != sh {
		log.Printf("session: preview of %dx%d for a %dx%d monitor at 1/%d: dropped", small.Width, small.Height, w, h, scale)
		return
	}
	big := &codec.Frame{}
	codec.Enlarge(big, small, w, h, scale)
	v.fbMu.Lock()
	v.preview = big
	v.fbMu.Unlock()
	v.ev.send(ScreenUpdated{Changed: []codec.Rect{{W: w, H: h}}, Bytes: len(m.Data), Preview: true, Sharer: v.sharer})
}

// send writes on the current screen stream.
func (v *screenView) send(m protocol.Message) error {
	v.mu.Lock()
	s := v.out
	v.mu.Unlock()
	if s == nil {
		return errNotShared
	}
	return s.send(m)
}

var errNotShared = errors.New("no screen is shared")

// leave stops viewing: the sharer's loop sees the stream cancelled and stops capturing.
func (v *screenView) leave() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.st == nil {
		return false
	}
	v.leaving = true
	v.st.CancelRead(quic.StreamErrorCode(protocol.NoError))
	v.st.CancelWrite(quic.StreamErrorCode(protocol.NoError))
	return true
}

// screen calls fn with the framebuffer and the number of the last frame decoded into it; false when no picture
// has arrived.
func (v *screenView) screen(fn func(codec.Frame, uint64)) bool {
	v.fbMu.Lock()
	defer v.fbMu.Unlock()
	if v.preview != nil {
		fn(*v.preview, 0)
		return true
	}
	if v.video.active() {
		fn(v.video.view, v.seq)
		return true
	}
	f := v.dec.Frame()
	if f.Width == 0 || f.Height == 0 {
		return false
	}
	fn(f, v.seq)
	return true
}

// picture says how exact the framebuffer is.
func (v *screenView) picture() Picture {
	v.fbMu.Lock()
	defer v.fbMu.Unlock()
	switch {
	case v.preview != nil:
		return PictureSharpening
	case v.video.active():
		return PictureLossy
	case v.dec.Frame().Width > 0:
		return PictureExact
	}
	return PictureNone
}

// monitorsNow returns the sharer's monitors as last announced.
func (v *screenView) monitorsNow() MonitorsChanged {
	v.mu.Lock()
	defer v.mu.Unlock()
	return MonitorsChanged{Monitors: append([]protocol.Monitor(nil), v.monitors.Monitors...), Current: v.monitors.Current}
}

// selectMonitor asks the sharer for another monitor.
func (v *screenView) selectMonitor(id uint32) error {
	v.mu.Lock()
	known := false
	for _, m := range v.monitors.Monitors {
		known = known || m.ID == id
	}
	v.mu.Unlock()
	if !known {
		return errors.New("no such monitor")
	}
	return v.send(&protocol.SelectMonitor{ID: id})
}

// cursor takes a pointer datagram; repeated positions are not passed on.
func (v *screenView) cursor(c *protocol.Cursor) {
	p := PointerMoved{X: int(c.X), Y: int(c.Y), Visible: c.Visible, Shape: c.Shape, Sharer: v.sharer}
	v.mu.Lock()
	same := p == v.pointer
	v.pointer = p
	v.mu.Unlock()
	if !same {
		v.ev.send(p)
	}
}

func (v *screenView) close() {
	v.fbMu.Lock()
	v.video.stop()
	v.dec.Close()
	v.fbMu.Unlock()
}

// readDatagrams passes the peer's pointer datagrams to v until ctx ends or the connection does.
func readDatagrams(ctx context.Context, conn *transport.Conn, v *screenView) {
	for {
		b, err := conn.ReceiveDatagram(ctx)
		if err != nil {
			return
		}
		m, err := protocol.ReadMessage(bytes.NewReader(b), protocol.Screen)
		if c, ok := m.(*protocol.Cursor); ok && err == nil {
			v.cursor(c)
		}
	}
}
