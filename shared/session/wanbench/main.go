// Command wanbench runs live Tandem sessions through a slow link (the relay of shared/transport/relay: a
// bottleneck rate with its queue, delay, jitter and loss) with the link profiles of issue 16, and prints what
// the technician gets for each profile and content:
//
//   - frames shown per second while the content moves, and the time from capture to display (p50, p95);
//
//   - the PSNR of the shown pictures against the captured ones while moving ("exact" when every sample was);
//
//   - the time from the screen going still to the technician's picture being bit-for-bit exact;
//
//   - bytes per second of frames shown (payload), of frames sent (the sharer's count: on a link slower than the
//     frames, what is still crossing when the window ends counts here and on the wire, not as shown) and on the
//     wire (the relay's count, retransmissions and the parity layer included);
//
//   - the round trips of input (a pointer move to the customer, and the pointer's datagram back) and chat (a
//     message to the technician's program and its acknowledgement back), p95, while it moves, and on profile A
//     also while a 100 MB file crosses the same link;
//
//   - and, on a still photographic desktop, the time from joining to the first picture and to the exact one.
//
//     go run ./shared/session/wanbench [-profiles A,B,C] [-move 6s] [-json] [-video-out FILE] FILE.frames.zst...
//
// The customer's screen plays each recording in real time at 30 frames per second (pictures the sharer does not
// ask for in time are skipped, as on a real screen) and then holds still. "natural-video" among the files is a
// recording made here (see video.go); -video-out saves it as a .frames.zst file.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport/relay"
)

// profile is a link of issue 16, the same both ways (the customer's uplink carries the frames).
type profile struct {
	Name string
	Link relay.Link
}

var profiles = []profile{
	{"A", relay.Link{Rate: 10_000_000, Delay: 50 * time.Millisecond, Loss: 0.01}},
	{"B", relay.Link{Rate: 2_000_000, Delay: 100 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.02}},
	{"C", relay.Link{Rate: 50_000_000, Delay: 15 * time.Millisecond, Loss: 0.001}},
}

// rtt is the profile's round trip without queueing.
func (p profile) rtt() time.Duration { return 2 * p.Link.Delay }

type result struct {
	Profile        string  `json:"profile"`
	Content        string  `json:"content"`
	FPS            float64 `json:"fps"`
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP95Ms   float64 `json:"latency_p95_ms"`
	PSNRMinDB      float64 `json:"psnr_min_db"` // +Inf (JSON: null) when every sample was exact
	PSNRMeanDB     float64 `json:"psnr_mean_db"`
	ExactMs        float64 `json:"exact_after_still_ms"` // -1: not exact within the wait
	PayloadBps     float64 `json:"payload_bytes_per_second"`
	SentBps        float64 `json:"sent_bytes_per_second"`
	WireBps        float64 `json:"wire_bytes_per_second"`
	InputRTTP95Ms  float64 `json:"input_rtt_p95_ms"`
	ChatRTTP95Ms   float64 `json:"chat_rtt_p95_ms"`
	QueueP95Ms     float64 `json:"bottleneck_queue_p95_ms"` // the customer's side of the link
	InputRTTXferMs float64 `json:"input_rtt_p95_during_transfer_ms,omitempty"`
	ChatRTTXferMs  float64 `json:"chat_rtt_p95_during_transfer_ms,omitempty"`
	QueueXferP95Ms float64 `json:"bottleneck_queue_p95_during_transfer_ms,omitempty"`
	XferBps        float64 `json:"transfer_bytes_per_second,omitempty"`
}

type firstResult struct {
	Profile    string  `json:"profile"`
	FirstMs    float64 `json:"join_to_first_picture_ms"`
	ExactMs    float64 `json:"join_to_exact_picture_ms"`
	FirstBytes int     `json:"first_picture_bytes"`
	Preview    bool    `json:"first_picture_is_preview"`
}

func main() {
	names := flag.String("profiles", "A,B,C", "the link profiles to run (A, B, C)")
	move := flag.Duration("move", 6*time.Second, "how long each content moves")
	stillWait := flag.Duration("still", 10*time.Second, "how long to wait for the exact picture once still")
	xfer := flag.Bool("transfer", true, "on profile A, also sample input and chat while a 100 MB file crosses")
	videoOut := flag.String("video-out", "", "save the natural-video recording to this .frames.zst file and exit")
	asJSON := flag.Bool("json", false, "print JSON lines")
	vp8 := flag.String("vp8", "", "code the natural video's player with VP8 at these rates (kbit/s, comma-separated) and exit")
	loss := flag.Float64("loss", -1, "replace the profiles' random loss (0 to 1) by this, to see what loss costs")
	flag.Parse()
	if *vp8 != "" {
		var rates []int
		for r := range strings.SplitSeq(*vp8, ",") {
			k, err := strconv.Atoi(r)
			if err != nil {
				log.Fatalf("-vp8: %v", err)
			}
			rates = append(rates, k)
		}
		if err := vp8Bench(rates); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *videoOut != "" {
		if err := saveVideo(*videoOut); err != nil {
			log.Fatal(err)
		}
		return
	}
	var chosen []profile
	for n := range strings.SplitSeq(*names, ",") {
		i := slices.IndexFunc(profiles, func(p profile) bool { return strings.EqualFold(p.Name, n) })
		if i < 0 {
			log.Fatalf("-profiles: no profile %q (A, B, C)", n)
		}
		p := profiles[i]
		if *loss >= 0 {
			p.Link.Loss = *loss
			p.Name += fmt.Sprintf(" (loss %g%%)", 100**loss)
		}
		chosen = append(chosen, p)
	}
	var clips []*clip
	for _, path := range flag.Args() {
		c, err := openClip(path)
		if err != nil {
			log.Fatal(err)
		}
		clips = append(clips, c)
	}
	if len(clips) == 0 {
		log.Fatal("give recordings (.frames.zst, or natural-video)")
	}
	out := json.NewEncoder(os.Stdout)
	for _, p := range chosen {
		for _, c := range clips {
			res, err := runContent(p, c, *move, *stillWait, *xfer && strings.HasPrefix(p.Name, "A"))
			if err != nil {
				log.Fatalf("profile %s, %s: %v", p.Name, c.name, err)
			}
			if *asJSON {
				_ = out.Encode(res)
				continue
			}
			printResult(p, res)
		}
		wall, err := wallpaper(clips)
		if err != nil {
			log.Fatal(err)
		}
		first, err := runFirst(p, wall, *stillWait)
		if err != nil {
			log.Fatalf("profile %s, first picture: %v", p.Name, err)
		}
		if *asJSON {
			_ = out.Encode(first)
			continue
		}
		kind := "exact"
		if first.Preview {
			kind = "coarse preview"
		}
		exact := "not exact in time"
		if first.ExactMs >= 0 {
			exact = fmt.Sprintf("%.0f ms", first.ExactMs)
		}
		fmt.Printf("profile %s, join on a photographic desktop (%s): first picture %.0f ms (%s, %.0f KB), exact %s\n",
			p.Name, wall.name, first.FirstMs, kind, float64(first.FirstBytes)/1000, exact)
	}
}

func openClip(path string) (*clip, error) {
	if path == "natural-video" {
		return naturalVideo(), nil
	}
	return loadClip(path)
}

// wallpaper is the first frame of window-drag (a grainy photograph-like wallpaper under a terminal) when it is
// among the clips, else of the natural video.
func wallpaper(clips []*clip) (*clip, error) {
	for _, c := range clips {
		if c.name == "window-drag" {
			return &clip{name: "window-drag frame 1", frames: c.frames[:1]}, nil
		}
	}
	v := naturalVideo()
	return &clip{name: "natural-video frame 1", frames: v.frames[:1]}, nil
}

func printResult(p profile, r result) {
	psnr := "exact"
	if !math.IsInf(r.PSNRMinDB, 1) {
		psnr = fmt.Sprintf("min %.1f dB, mean %.1f dB", r.PSNRMinDB, r.PSNRMeanDB)
	}
	exact := "not exact"
	if r.ExactMs >= 0 {
		exact = fmt.Sprintf("%.0f ms", r.ExactMs)
	}
	fmt.Printf("profile %s (rtt %v), %s: %.1f fps; capture→display p50 %.0f ms, p95 %.0f ms; PSNR moving %s; "+
		"still→exact %s; %.0f KB/s frames shown, %.0f KB/s sent, %.0f KB/s wire; input rtt p95 %.0f ms, "+
		"chat rtt p95 %.0f ms, bottleneck queue p95 %.0f ms",
		p.Name, p.rtt(), r.Content, r.FPS, r.LatencyP50Ms, r.LatencyP95Ms, psnr, exact, r.PayloadBps/1000,
		r.SentBps/1000, r.WireBps/1000, r.InputRTTP95Ms, r.ChatRTTP95Ms, r.QueueP95Ms)
	if r.InputRTTXferMs > 0 {
		fmt.Printf("; during a 100 MB transfer: input rtt p95 %.0f ms, chat rtt p95 %.0f ms, bottleneck queue "+
			"p95 %.0f ms, file %.0f KB/s", r.InputRTTXferMs, r.ChatRTTXferMs, r.QueueXferP95Ms, r.XferBps/1000)
	}
	fmt.Println()
}

// bench is one session through the slow link.
type bench struct {
	h      *session.Host
	g      *session.Guest
	r      *relay.Relay
	play   *player
	frames chan session.ScreenUpdated
	other  chan session.Event // the technician's other events
	chats  chan uint64        // IDs of the customer's chat messages the technician's program acknowledged
	asks   chan session.ConsentRequested
	files  chan transfer.Event // the technician's file-transfer events

	mu       sync.Mutex
	captured map[uint64]time.Time // frame → when its capture began
	pointer  map[int]time.Time    // pointer x → when the technician saw it
	// sentBytes counts the bytes of every frame the customer's program sent (lossless and video).
	sentBytes int64
	pumps     sync.WaitGroup
}

func start(p profile, c *clip) (*bench, error) {
	h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "wanbench"})
	if err != nil {
		return nil, err
	}
	r, err := relay.Start(h.Link().Addr)
	if err != nil {
		h.End()
		return nil, err
	}
	r.SetLinks(p.Link, p.Link)
	b := &bench{h: h, r: r, play: newPlayer(c), frames: make(chan session.ScreenUpdated, 1<<14),
		other: make(chan session.Event, 1<<10), chats: make(chan uint64, 1<<10),
		asks: make(chan session.ConsentRequested, 4), files: make(chan transfer.Event, 1<<10),
		captured: map[uint64]time.Time{}, pointer: map[int]time.Time{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	link := h.Link()
	link.Addr = r.Addr()
	g, err := session.Join(ctx, link, session.GuestConfig{Name: "customer", Screen: b.play, Input: injector{b.play},
		OnFrameSent: func(seq uint64, at time.Time, n int) {
			b.mu.Lock()
			b.captured[seq] = at
			b.sentBytes += int64(n)
			b.mu.Unlock()
		}})
	if err != nil {
		b.close()
		return nil, err
	}
	b.g = g
	b.pumps.Go(b.pumpHost)
	b.pumps.Go(b.pumpGuest)
	return b, nil
}

func (b *bench) close() {
	if b.g != nil {
		b.g.End()
	}
	b.h.End()
	b.pumps.Wait()
	b.r.Close()
}

func (b *bench) pumpHost() {
	for e := range b.h.Events() {
		switch e := e.(type) {
		case session.ScreenUpdated:
			b.frames <- e
		case session.PointerMoved:
			b.mu.Lock()
			if _, seen := b.pointer[e.X]; !seen {
				b.pointer[e.X] = time.Now()
			}
			b.mu.Unlock()
		case session.FileTransfer:
			select {
			case b.files <- e.Event:
			default: // progress nobody reads
			}
		default:
			select {
			case b.other <- e:
			default:
			}
		}
	}
}

func (b *bench) pumpGuest() {
	for e := range b.g.Events() {
		switch e := e.(type) {
		case session.ChatDelivered:
			b.chats <- e.Message.ID
		case session.ConsentRequested:
			b.asks <- e
		}
	}
}

// control gives the technician control (for the input samples).
func (b *bench) control() error {
	if err := b.h.RequestControl(); err != nil {
		return err
	}
	timeout := time.After(30 * time.Second)
	select {
	case ask := <-b.asks:
		if err := b.g.Answer(ask.ID, true); err != nil {
			return err
		}
	case <-timeout:
		return errors.New("no control request reached the customer")
	}
	for {
		select {
		case e := <-b.other:
			if c, ok := e.(session.ControlChanged); ok && c.Granted {
				return nil
			}
		case <-timeout:
			return errors.New("control did not reach the technician")
		}
	}
}

// runContent plays c for move through the link, then holds it still until the picture is exact.
func runContent(p profile, c *clip, move, stillWait time.Duration, withTransfer bool) (result, error) {
	res := result{Profile: p.Name, Content: c.name, ExactMs: -1}
	b, err := start(p, c)
	if err != nil {
		return res, err
	}
	defer b.close()
	if err := b.waitFrame(30 * time.Second); err != nil {
		return res, err
	}
	if err := b.control(); err != nil {
		return res, err
	}
	// Settle: the key frame of the still first picture crosses before the content moves.
	if _, err := b.waitExact(0, 60*time.Second); err != nil {
		return res, fmt.Errorf("the first picture: %w", err)
	}

	m, err := b.moving(move, false)
	if err != nil {
		return res, err
	}
	res.FPS, res.LatencyP50Ms, res.LatencyP95Ms = m.fps, m.p50, m.p95
	res.PSNRMinDB, res.PSNRMeanDB = m.psnrMin, m.psnrMean
	res.PayloadBps, res.SentBps, res.WireBps = m.payloadBps, m.sentBps, m.wireBps
	res.InputRTTP95Ms, res.ChatRTTP95Ms, res.QueueP95Ms = m.inputP95, m.chatP95, m.queueP95

	held := b.play.hold()
	if d, err := b.waitExact(held, stillWait); err == nil {
		res.ExactMs = ms(d)
	}

	if withTransfer {
		stop, err := b.sendFile(100 << 20)
		if err != nil {
			return res, err
		}
		t0 := time.Now()
		m, err := b.moving(move, true)
		res.XferBps = float64(stop()) / time.Since(t0).Seconds()
		if err != nil {
			return res, err
		}
		res.InputRTTXferMs, res.ChatRTTXferMs, res.QueueXferP95Ms = m.inputP95, m.chatP95, m.queueP95
	}
	return res, nil
}

// runFirst joins a still desktop through the link and times the first picture and the exact one.
func runFirst(p profile, c *clip, wait time.Duration) (firstResult, error) {
	res := firstResult{Profile: p.Name}
	t0 := time.Now()
	b, err := start(p, c)
	if err != nil {
		return res, err
	}
	defer b.close()
	select {
	case u := <-b.frames:
		res.FirstMs = ms(time.Since(t0))
		res.FirstBytes, res.Preview = u.Bytes, u.Preview
	case <-time.After(wait + 30*time.Second):
		return res, errors.New("no picture")
	}
	res.ExactMs = -1
	if _, err := b.waitExact(0, 3*wait); err == nil {
		res.ExactMs = ms(time.Since(t0))
	}
	return res, nil
}

// waitFrame waits for one picture.
func (b *bench) waitFrame(wait time.Duration) error {
	select {
	case <-b.frames:
		return nil
	case <-time.After(wait):
		return errors.New("no picture reached the technician")
	}
}

// waitExact waits until the technician's picture equals the clip's frame index, bit for bit, and says how long
// it took.
func (b *bench) waitExact(index int, wait time.Duration) (time.Duration, error) {
	t0 := time.Now()
	want := b.play.clip.frames[index]
	for time.Since(t0) < wait {
		same := false
		b.h.Screen(func(f codec.Frame) { same = sameFrame(f, want) })
		if same {
			return time.Since(t0), nil
		}
		select {
		case <-b.frames:
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("not exact after %v", wait)
}

func sameFrame(a, b codec.Frame) bool {
	if a.Width != b.Width || a.Height != b.Height {
		return false
	}
	for y := range a.Height {
		if string(a.Pix[y*a.Stride:][:4*a.Width]) != string(b.Pix[y*b.Stride:][:4*b.Width]) {
			return false
		}
	}
	return true
}

// psnr is the peak signal-to-noise ratio of a against b over B, G and R, in dB (+Inf when equal).
func psnr(a, b codec.Frame) float64 {
	var sum float64
	for y := range a.Height {
		ra, rb := a.Pix[y*a.Stride:][:4*a.Width], b.Pix[y*b.Stride:][:4*b.Width]
		for i := 0; i < len(ra); i += 4 {
			for k := range 3 {
				d := float64(int(ra[i+k]) - int(rb[i+k]))
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	mse := sum / float64(3*a.Width*a.Height)
	return 10 * math.Log10(255*255/mse)
}

type movingStats struct {
	fps, p50, p95       float64
	psnrMin, psnrMean   float64
	payloadBps, wireBps float64
	sentBps             float64
	inputP95, chatP95   float64
	queueP95            float64 // the bottleneck's queueing delay on the customer's side
}

// moving plays the clip for d and measures the frames, and the input and chat round trips meanwhile.
func (b *bench) moving(d time.Duration, quiet bool) (movingStats, error) {
	var st movingStats
	b.drainFrames()
	up0, _ := b.r.Stats()
	b.mu.Lock()
	sent0 := b.sentBytes
	b.mu.Unlock()
	b.play.play()
	t0 := time.Now()
	sampled := make(chan samples, 1)
	stopSampling := make(chan struct{})
	go func() { sampled <- b.sample(stopSampling) }()
	var lat []time.Duration
	var psnrs []float64
	var frames, bytes int
	lastPSNR := t0
	deadline := time.After(d)
loop:
	for {
		select {
		case u := <-b.frames:
			now := time.Now()
			frames++
			bytes += u.Bytes
			b.mu.Lock()
			at, ok := b.captured[u.Seq]
			b.mu.Unlock()
			if ok {
				lat = append(lat, now.Sub(at))
			}
			if !quiet && now.Sub(lastPSNR) >= 250*time.Millisecond {
				lastPSNR = now
				if v, ok := b.shownPSNR(); ok {
					psnrs = append(psnrs, v)
				}
			}
			// Only now: the picture shown is most often this frame, which shownPSNR finds by its capture time.
			b.mu.Lock()
			delete(b.captured, u.Seq)
			b.mu.Unlock()
		case <-deadline:
			break loop
		}
	}
	close(stopSampling)
	s := <-sampled
	if s.err != nil {
		return st, s.err
	}
	secs := time.Since(t0).Seconds()
	up1, _ := b.r.Stats()
	st.fps = float64(frames) / secs
	st.payloadBps = float64(bytes) / secs
	b.mu.Lock()
	st.sentBps = float64(b.sentBytes-sent0) / secs
	b.mu.Unlock()
	st.wireBps = float64(up1.Bytes-up0.Bytes) / secs
	st.queueP95 = ms(up1.QueuedPercentile(up0, 95))
	if len(lat) > 0 {
		st.p50, st.p95 = pct(lat, 50), pct(lat, 95)
	}
	st.psnrMin, st.psnrMean = math.Inf(1), math.Inf(1)
	if len(psnrs) > 0 {
		var sum float64
		finite := 0
		for _, v := range psnrs {
			st.psnrMin = min(st.psnrMin, v)
			if !math.IsInf(v, 1) {
				sum += v
				finite++
			}
		}
		if finite > 0 {
			st.psnrMean = sum / float64(finite)
		}
	}
	st.inputP95, st.chatP95 = s.inputP95, s.chatP95
	return st, nil
}

// shownPSNR compares the technician's picture with the clip frame it was captured from.
func (b *bench) shownPSNR() (float64, bool) {
	var v float64
	var ok bool
	b.h.ScreenSeq(func(f codec.Frame, seq uint64) {
		b.mu.Lock()
		at, known := b.captured[seq]
		b.mu.Unlock()
		if !known {
			return
		}
		i, found := b.play.frameAt(at)
		if !found {
			return
		}
		v, ok = psnr(f, b.play.clip.frames[i]), true
	})
	return v, ok
}

func (b *bench) drainFrames() {
	for {
		select {
		case <-b.frames:
		default:
			return
		}
	}
}

type samples struct {
	inputP95, chatP95 float64
	err               error
}

// sample measures round trips one at a time at a person's pace until stop: a pointer move from the technician
// until its datagram comes back, and a chat message from the customer until the technician's acknowledgement.
func (b *bench) sample(stop <-chan struct{}) samples {
	var inputs, chats []time.Duration
	x := 0
	for {
		select {
		case <-stop:
			if len(inputs) == 0 || len(chats) == 0 {
				return samples{err: errors.New("no input or chat sample")}
			}
			return samples{inputP95: pct(inputs, 95), chatP95: pct(chats, 95)}
		default:
		}
		x = x%1000 + 1
		b.mu.Lock()
		delete(b.pointer, x)
		b.mu.Unlock()
		t0 := time.Now()
		if err := b.h.SendInput(&protocol.MouseMove{X: int32(x), Y: 10}); err != nil { //nolint:gosec // small
			return samples{err: err}
		}
		for time.Since(t0) < 10*time.Second {
			b.mu.Lock()
			at, ok := b.pointer[x]
			b.mu.Unlock()
			if ok {
				inputs = append(inputs, at.Sub(t0))
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		t0 = time.Now()
		m, err := b.g.SendChat(fmt.Sprintf("sample %d", x))
		if err != nil {
			return samples{err: err}
		}
	wait:
		for {
			select {
			case id := <-b.chats:
				if id == m.ID {
					chats = append(chats, time.Since(t0))
					break wait
				}
			case <-time.After(10 * time.Second):
				break wait
			}
		}
		time.Sleep(50 * time.Millisecond) // a person's pace
	}
}

// sendFile starts sending a file of size bytes from the customer to the technician; stop cancels it and returns
// how many bytes had arrived.
func (b *bench) sendFile(size int64) (stop func() uint64, err error) {
	dir, err := os.MkdirTemp("", "wanbench")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "big.bin")
	if err := writeNoise(path, size); err != nil {
		return nil, err
	}
	into := filepath.Join(dir, "in")
	if err := os.Mkdir(into, 0o700); err != nil {
		return nil, err
	}
	if _, err := b.g.Files().Send(path); err != nil {
		return nil, err
	}
	var id transfer.ID
	for got := false; !got; {
		select {
		case e := <-b.files:
			if o, ok := e.(transfer.OfferReceived); ok {
				id, got = o.ID, true
			}
		case <-time.After(30 * time.Second):
			return nil, errors.New("no file offer reached the technician")
		}
	}
	if err := b.h.Files().Accept(id, into); err != nil {
		return nil, err
	}
	return func() uint64 {
		var done uint64
		for more := true; more; {
			select {
			case e := <-b.files:
				if p, ok := e.(transfer.Progress); ok && p.ID == id {
					done = max(done, p.Done)
				}
			default:
				more = false
			}
		}
		_ = b.h.Files().Cancel(id)
		_ = os.RemoveAll(dir)
		return done
	}, nil
}

// writeNoise writes size bytes that do not compress.
func writeNoise(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var x uint64 = 0x9e3779b97f4a7c15
	for written := int64(0); written < size; written += int64(len(buf)) {
		for i := range buf {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			buf[i] = byte(x)
		}
		if _, err := f.Write(buf[:min(int64(len(buf)), size-written)]); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}

func pct(d []time.Duration, p int) float64 {
	slices.Sort(d)
	return ms(d[min(len(d)-1, len(d)*p/100)])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
