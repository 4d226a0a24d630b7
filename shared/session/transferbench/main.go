// Command transferbench measures file transfer in a live Tandem session on loopback (a technician's engine and a
// customer's engine over real QUIC in this process): the customer sends a large file, the technician receives it,
// and meanwhile the chat round trip (message → delivery acknowledgement) and the input latency (the technician's
// pointer move → the customer's injector) are sampled, before the transfer (idle) and during it.
//
//	go run ./shared/session/transferbench [-size 1GiB] [-dir DIR] [-json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
)

type latencies struct {
	ChatP50Ms, ChatP95Ms   float64
	InputP50Ms, InputP95Ms float64
	Samples                int
}

type result struct {
	Bytes          int64     `json:"bytes"`
	Seconds        float64   `json:"seconds"`
	MBPerSecond    float64   `json:"mb_per_second"`
	Idle           latencies `json:"idle"`
	DuringTransfer latencies `json:"during_transfer"`
}

func main() {
	size := flag.Int64("size", 1<<30, "bytes to send")
	dir := flag.String("dir", "", "where to write the file sent and the file received (default: a temporary folder)")
	asJSON := flag.Bool("json", false, "print one JSON object")
	flag.Parse()
	res, err := run(*size, *dir)
	if err != nil {
		log.Fatal(err)
	}
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%.0f MiB in %.1f s = %.0f MB/s\n", float64(res.Bytes)/(1<<20), res.Seconds, res.MBPerSecond)
	for _, l := range []struct {
		what string
		l    latencies
	}{{"idle", res.Idle}, {"during the transfer", res.DuringTransfer}} {
		fmt.Printf("%-20s chat round trip p50 %.2f ms, p95 %.2f ms; input p50 %.2f ms, p95 %.2f ms (%d samples)\n",
			l.what+":", l.l.ChatP50Ms, l.l.ChatP95Ms, l.l.InputP50Ms, l.l.InputP95Ms, l.l.Samples)
	}
}

// still is a screen that does not change: a 640×360 picture captured once.
type still struct{ f codec.Frame }

func newStill() *still {
	p := capture.NewPattern(image.Rect(0, 0, 640, 360))
	s := &still{}
	_ = p.Capture(0, &s.f)
	return s
}

func (s *still) Monitors() ([]capture.Monitor, error) {
	return []capture.Monitor{{Index: 0, Bounds: image.Rect(0, 0, s.f.Width, s.f.Height), Primary: true}}, nil
}

func (s *still) Capture(_ int, dst *codec.Frame) error {
	if err := capture.Resize(dst, s.f.Width, s.f.Height); err != nil {
		return err
	}
	copy(dst.Pix, s.f.Pix)
	return nil
}

func (*still) Name() string { return "still" }
func (*still) Close() error { return nil }

// timedInjector notes when each pointer move arrives.
type timedInjector struct {
	mu    sync.Mutex
	moves map[int]time.Time // x → arrival
}

func (i *timedInjector) Move(x, _ int) error {
	i.mu.Lock()
	i.moves[x] = time.Now()
	i.mu.Unlock()
	return nil
}
func (*timedInjector) ButtonDown(input.Button) error         { return nil }
func (*timedInjector) ButtonUp(input.Button) error           { return nil }
func (*timedInjector) DoubleClick(input.Button) error        { return nil }
func (*timedInjector) Scroll(int, int) error                 { return nil }
func (*timedInjector) KeyDown(string, input.Modifiers) error { return nil }
func (*timedInjector) KeyUp(string, input.Modifiers) error   { return nil }
func (*timedInjector) Type(string) error                     { return nil }
func (*timedInjector) Close() error                          { return nil }

func (i *timedInjector) arrived(x int) (time.Time, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	t, ok := i.moves[x]
	return t, ok
}

func run(size int64, dir string) (result, error) {
	var res result
	if dir == "" {
		d, err := os.MkdirTemp("", "transferbench")
		if err != nil {
			return res, err
		}
		defer func() { _ = os.RemoveAll(d) }()
		dir = d
	}
	src := filepath.Join(dir, "bench.bin")
	if err := writeFile(src, size); err != nil {
		return res, err
	}
	into := filepath.Join(dir, "received")
	if err := os.MkdirAll(into, 0o700); err != nil {
		return res, err
	}

	h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "bench"})
	if err != nil {
		return res, err
	}
	defer h.End()
	inj := &timedInjector{moves: map[int]time.Time{}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Control needs a shared screen; a still one, as when someone reads a page while files move.
	g, err := session.Join(ctx, h.Link(), session.GuestConfig{Name: "bench", Screen: newStill(), Input: inj})
	if err != nil {
		return res, err
	}
	defer g.End()

	// One goroutine per side reads its events; the bench waits on what it needs.
	hostEv, guestEv := make(chan session.Event, 1<<16), make(chan session.Event, 1<<16)
	var readers sync.WaitGroup
	for _, p := range []struct {
		from <-chan session.Event
		to   chan session.Event
	}{{h.Events(), hostEv}, {g.Events(), guestEv}} {
		readers.Go(func() {
			defer close(p.to)
			for e := range p.from {
				switch e.(type) {
				case session.ScreenUpdated, session.PointerMoved, session.MonitorsChanged:
					continue // the shared screen's news: not needed here
				}
				if ft, ok := e.(session.FileTransfer); ok {
					if _, progress := ft.Event.(transfer.Progress); progress {
						continue
					}
				}
				p.to <- e
			}
		})
	}
	defer readers.Wait()
	defer h.End()
	defer g.End()

	// Control, for the input samples.
	if err := h.RequestControl(); err != nil {
		return res, err
	}
	ask, err := wait[session.ConsentRequested](guestEv)
	if err != nil {
		return res, err
	}
	if err := g.Answer(ask.ID, true); err != nil {
		return res, err
	}
	if _, err := wait[session.ControlChanged](hostEv); err != nil {
		return res, err
	}

	sampler := &sampler{h: h, g: g, inj: inj, guestEv: guestEv}
	res.Idle, err = sampler.sample(100, nil)
	if err != nil {
		return res, err
	}

	start := time.Now()
	if _, err := g.Files().Send(src); err != nil {
		return res, err
	}
	offer, err := waitFile[transfer.OfferReceived](hostEv)
	if err != nil {
		return res, err
	}
	if err := h.Files().Accept(offer.ID, into); err != nil {
		return res, err
	}
	finished := make(chan transfer.Finished, 1)
	sampler.finished = finished
	sampler.hostEv = hostEv
	res.DuringTransfer, err = sampler.sample(1<<30, finished)
	if err != nil {
		return res, err
	}
	fin := <-finished
	res.Seconds = time.Since(start).Seconds()
	if fin.Err != nil {
		return res, fmt.Errorf("transfer: %w", fin.Err)
	}
	res.Bytes = size
	res.MBPerSecond = float64(size) / 1e6 / res.Seconds
	return res, nil
}

// sampler measures chat round trips and input latency, one of each at a time.
type sampler struct {
	h        *session.Host
	g        *session.Guest
	inj      *timedInjector
	guestEv  <-chan session.Event
	hostEv   <-chan session.Event
	finished chan transfer.Finished
	x        int
}

// sample takes n samples of each, or as many as fit before the transfer finishes (done, then fed the Finished
// event).
func (s *sampler) sample(n int, done chan transfer.Finished) (latencies, error) {
	var chats, inputs []time.Duration
	for i := 0; i < n; i++ {
		if done != nil && s.transferDone(done) {
			break
		}
		// Chat: the customer's message until the technician's program acknowledges it.
		t0 := time.Now()
		m, err := s.g.SendChat(fmt.Sprintf("sample %d", i))
		if err != nil {
			return latencies{}, err
		}
		for delivered := false; !delivered; {
			e, ok := <-s.guestEv
			if !ok {
				return latencies{}, io.ErrUnexpectedEOF
			}
			if d, is := e.(session.ChatDelivered); is && d.Message.ID == m.ID {
				delivered = true
			}
		}
		chats = append(chats, time.Since(t0))
		// Input: the technician's pointer move until the customer's injector has it.
		s.x++
		t0 = time.Now()
		if err := s.h.SendInput(&protocol.MouseMove{X: int32(s.x % 300), Y: 1}); err != nil { //nolint:gosec // small
			return latencies{}, err
		}
		for {
			if at, ok := s.inj.arrived(s.x % 300); ok && at.After(t0) {
				inputs = append(inputs, at.Sub(t0))
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
		time.Sleep(20 * time.Millisecond) // a person types and moves at this pace, not flat out
	}
	if len(chats) == 0 {
		return latencies{}, fmt.Errorf("no samples")
	}
	return latencies{ChatP50Ms: pct(chats, 50), ChatP95Ms: pct(chats, 95), InputP50Ms: pct(inputs, 50),
		InputP95Ms: pct(inputs, 95), Samples: len(chats)}, nil
}

// transferDone reports whether the transfer has finished (its Finished event then goes to done).
func (s *sampler) transferDone(done chan transfer.Finished) bool {
	for {
		select {
		case e, ok := <-s.hostEv:
			if !ok {
				return true
			}
			if ft, is := e.(session.FileTransfer); is {
				if f, fin := ft.Event.(transfer.Finished); fin {
					done <- f
					return true
				}
			}
		default:
			return false
		}
	}
}

func pct(d []time.Duration, p int) float64 {
	slices.Sort(d)
	return float64(d[min(len(d)-1, len(d)*p/100)].Microseconds()) / 1000
}

// wait returns the first event of ch of type E.
func wait[E session.Event](ch <-chan session.Event) (E, error) {
	return await(ch, func(e session.Event) (E, bool) { got, is := e.(E); return got, is })
}

// waitFile returns the first file-transfer event of ch of type E.
func waitFile[E transfer.Event](ch <-chan session.Event) (E, error) {
	return await(ch, func(e session.Event) (E, bool) {
		if ft, is := e.(session.FileTransfer); is {
			got, is := ft.Event.(E)
			return got, is
		}
		return *new(E), false
	})
}

// await returns the first thing pick finds in ch's events, waiting at most 30 s.
func await[T any](ch <-chan session.Event, pick func(session.Event) (T, bool)) (T, error) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return *new(T), io.ErrUnexpectedEOF
			}
			if got, is := pick(e); is {
				return got, nil
			}
		case <-timeout:
			return *new(T), fmt.Errorf("no %T", *new(T))
		}
	}
}

// writeFile writes size bytes of a repeating, not very compressible pattern.
func writeFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8)
	}
	for n := int64(0); n < size; n += int64(len(buf)) {
		chunk := buf[:min(int64(len(buf)), size-n)]
		chunk[0] = byte(n >> 20) // each MiB differs
		if _, err := f.Write(chunk); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}
