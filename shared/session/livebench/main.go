// Command livebench runs a live Tandem session on loopback (a technician's engine and a customer's engine over
// real QUIC in this process) and prints what the technician gets: frames per second, capture-to-decoded
// latency, bytes per second and CPU per frame.
//
//	go run ./shared/session/livebench [-d 10s] [-json] [-reach direct|relayed | -techs N] [-x11 [-animate FILE.frames.zst]] [FILE.frames.zst]
//
// With -techs N, N technicians (the one who started the session and N-1 colleagues it invited) view the
// screen from a child process, and it prints each one's frames per second and the customer's own CPU per
// captured frame.
//
// With -reach, the two engines meet through a rendezvous engine (NATS, TURN) on loopback in this process and the
// session runs over the ICE path it finds: direct, or through its TURN relay.
//
// The customer shares a recording of ../shared/corpus (looping), or the real display with -x11, on which
// -animate plays a recording meanwhile (from a child process, whose CPU is not counted) so that something
// moves. Both engines share this process, so the CPU figure is the two sides together.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/session"
)

type result struct {
	Source          string  `json:"source"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	Seconds         float64 `json:"seconds"`
	Frames          int     `json:"frames"`
	FPS             float64 `json:"fps"`
	LatencyP50Ms    float64 `json:"latency_p50_ms"`
	LatencyP95Ms    float64 `json:"latency_p95_ms"`
	BytesPerSecond  float64 `json:"bytes_per_second"`
	CPUMsPerFrame   float64 `json:"cpu_ms_per_frame"`
	CaptureMsPerFrm float64 `json:"capture_ms_per_frame"`
}

func main() {
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	asJSON := flag.Bool("json", false, "print one JSON object")
	x11 := flag.Bool("x11", false, "share the real display ($DISPLAY) instead of a recording")
	animate := flag.String("animate", "", "with -x11: play this recording on the display meanwhile")
	paintRec := flag.String("paint", "", "(internal) play this recording on $DISPLAY until stopped")
	paintFPS := flag.Int("paint-fps", 30, "frames per second of -animate")
	reach := flag.String("reach", "", "meet through a loopback rendezvous: direct or relayed (default: a direct link)")
	techs := flag.Int("techs", 0, "this many technicians view the screen, in a child process (1 to 4): the customer's CPU alone is measured")
	techniciansOf := flag.Int("technicians", 0, "(internal) be the technicians' process of -techs")
	flag.Parse()
	if *techniciansOf > 0 {
		if err := technicians(*techniciansOf, *dur, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *paintRec != "" {
		if err := paint(*paintRec, *paintFPS); err != nil {
			log.Fatal(err)
		}
		return
	}
	path := "../shared/corpus/web-scroll.frames.zst"
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	var src capture.Source
	var err error
	name := path
	fatal := func(err error) { log.Fatal(err) } // stops the painter first, once there is one
	if *x11 {
		src, err = capture.New()
		name = "display " + os.Getenv("DISPLAY")
		if err == nil && *animate != "" {
			stop, perr := startPainter(*animate, *paintFPS)
			if perr != nil {
				log.Fatal(perr)
			}
			defer stop()
			name += fmt.Sprintf(" playing %s at %d fps", *animate, *paintFPS)
			fatal = func(err error) { stop(); log.Fatal(err) }
		}
	} else {
		src, err = capture.OpenReplay(path)
	}
	if err != nil {
		fatal(err)
	}
	if *techs > 0 {
		if *techs > session.MaxTechnicians || *reach != "" {
			fatal(fmt.Errorf("-techs: 1 to %d, without -reach", session.MaxTechnicians))
		}
		res, err := runTeam(src, *techs, *dur)
		if err != nil {
			fatal(err)
		}
		res.Source = name
		if *asJSON {
			_ = json.NewEncoder(os.Stdout).Encode(res)
			return
		}
		fps := make([]string, len(res.FPS))
		for i, f := range res.FPS {
			fps[i] = fmt.Sprintf("%.1f", f)
		}
		fmt.Printf("%s, %d technician(s): %s fps each; %d frames captured in %.1f s (%.1f fps); customer CPU %.1f ms "+
			"per captured frame (capture %.1f ms)\n", res.Source, res.Technicians, strings.Join(fps, " / "),
			res.Captured, res.Seconds, res.CapturedFPS, res.CustomerCPUMs, res.CaptureMsPerFrm)
		return
	}
	var way *meeting
	if *reach != "" {
		if way, err = startMeeting(*reach); err != nil {
			fatal(err)
		}
		defer way.close()
		name += ", " + *reach + " through a rendezvous"
	}
	res, err := run(src, *dur, way)
	if err != nil {
		fatal(err)
	}
	res.Source = name
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%s %dx%d: %d frames in %.1f s = %.1f fps; latency p50 %.1f ms, p95 %.1f ms; %.0f KB/s; "+
		"CPU %.1f ms/frame (both sides); capture %.1f ms/frame\n",
		res.Source, res.Width, res.Height, res.Frames, res.Seconds, res.FPS, res.LatencyP50Ms, res.LatencyP95Ms,
		res.BytesPerSecond/1000, res.CPUMsPerFrame, res.CaptureMsPerFrm)
}

// timedSource measures the time spent capturing.
type timedSource struct {
	capture.Source
	mu    sync.Mutex
	spent time.Duration
	n     int
}

func (s *timedSource) Capture(m int, dst *codec.Frame) error {
	start := time.Now()
	err := s.Source.Capture(m, dst)
	s.mu.Lock()
	s.spent += time.Since(start)
	s.n++
	s.mu.Unlock()
	return err
}

func run(src capture.Source, dur time.Duration, way *meeting) (result, error) {
	var res result
	ts := &timedSource{Source: src}
	hc := session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "bench"}
	var path session.PathOptions
	if way != nil {
		hc.Rendezvous, hc.Path, path = way.url, session.PathOptions{Loopback: true}, way.path
	}
	h, err := session.NewHost(hc)
	if err != nil {
		return res, err
	}
	defer h.End()
	var mu sync.Mutex
	captured := map[uint64]time.Time{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g, err := session.Join(ctx, h.Link(), session.GuestConfig{Name: "bench", Screen: ts, Path: path,
		OnFrameSent: func(seq uint64, at time.Time, _ int) {
			mu.Lock()
			captured[seq] = at
			mu.Unlock()
		}})
	if err != nil {
		return res, err
	}
	defer g.End()
	if way != nil && g.Route().Relayed != way.path.RelayOnly {
		return res, fmt.Errorf("the session runs %v, not as asked", g.Route())
	}

	var lat []time.Duration
	var bytes int
	var start time.Time
	var cpu0 time.Duration
	deadline := time.After(dur + 5*time.Second) // the first frame, a key frame, is not counted
	for {
		select {
		case e := <-h.Events():
			u, ok := e.(session.ScreenUpdated)
			if !ok {
				continue
			}
			now := time.Now()
			if start.IsZero() { // measure from the first picture on
				start, cpu0 = now, cpuTime()
				h.Screen(func(f codec.Frame) { res.Width, res.Height = f.Width, f.Height })
				continue
			}
			mu.Lock()
			at, ok := captured[u.Seq]
			delete(captured, u.Seq)
			mu.Unlock()
			if ok {
				lat = append(lat, now.Sub(at))
			}
			bytes += u.Bytes
			res.Frames++
			if now.Sub(start) >= dur {
				res.Seconds = now.Sub(start).Seconds()
				res.FPS = float64(res.Frames) / res.Seconds
				res.BytesPerSecond = float64(bytes) / res.Seconds
				res.CPUMsPerFrame = float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(res.Frames)
				slices.Sort(lat)
				res.LatencyP50Ms = ms(lat[len(lat)/2])
				res.LatencyP95Ms = ms(lat[len(lat)*95/100])
				ts.mu.Lock()
				res.CaptureMsPerFrm = ms(ts.spent) / float64(max(ts.n, 1))
				ts.mu.Unlock()
				return res, nil
			}
		case <-deadline:
			return res, fmt.Errorf("only %d frames in %v", res.Frames, dur)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
