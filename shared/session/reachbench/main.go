// Command reachbench measures how fast a customer gets into a session through a rendezvous: from the moment
// the customer's program starts joining (claim, ICE, QUIC, key confirmation, Hello) to the first frame of their
// screen on the technician's side, over and over, direct and relayed. Everything runs on loopback in this
// process: a real tandem-rendezvous engine (NATS, TURN) and both session engines.
//
//	go run ./shared/session/reachbench [-n 20] [-json]
//
// It prints p50 and p95 of join-to-first-frame for each path; the targets are 1 s direct and 2 s relayed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
)

type result struct {
	Path  string  `json:"path"`
	Runs  int     `json:"runs"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	MaxMs float64 `json:"max_ms"`
}

func main() {
	n := flag.Int("n", 20, "joins per path")
	asJSON := flag.Bool("json", false, "print one JSON object per path")
	flag.Parse()
	srv, err := rendezvous.Start(rendezvoustest.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	for _, p := range []struct {
		name string
		opts session.PathOptions
	}{
		{"direct", session.PathOptions{Loopback: true}},
		{"relayed", session.PathOptions{Loopback: true, RelayOnly: true}},
	} {
		var times []time.Duration
		for range *n {
			d, err := joinOnce(srv.ClientURL(), p.opts, p.opts.RelayOnly)
			if err != nil {
				log.Fatalf("%s: %v", p.name, err)
			}
			times = append(times, d)
		}
		slices.Sort(times)
		res := result{Path: p.name, Runs: len(times), P50Ms: ms(times[len(times)/2]),
			P95Ms: ms(times[(len(times)*95+99)/100-1]), MaxMs: ms(times[len(times)-1])}
		if *asJSON {
			_ = json.NewEncoder(os.Stdout).Encode(res)
			continue
		}
		fmt.Printf("join to first frame, %s through the rendezvous: %d runs, p50 %.0f ms, p95 %.0f ms, max %.0f ms\n",
			res.Path, res.Runs, res.P50Ms, res.P95Ms, res.MaxMs)
	}
}

// joinOnce hosts a session through the rendezvous at url, joins it, and returns the time from the start of
// the join to the technician's first picture.
func joinOnce(url string, opts session.PathOptions, wantRelayed bool) (time.Duration, error) {
	h, err := session.NewHost(session.HostConfig{Name: "bench", Rendezvous: url, Path: session.PathOptions{Loopback: true}})
	if err != nil {
		return 0, err
	}
	defer h.End()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	g, err := session.Join(ctx, h.Link(), session.GuestConfig{Name: "bench", Screen: capture.NewPattern(), Path: opts})
	if err != nil {
		return 0, err
	}
	defer g.End()
	for {
		select {
		case e := <-h.Events():
			switch e := e.(type) {
			case session.ScreenUpdated:
				d := time.Since(start)
				if r := h.Route(); r.Relayed != wantRelayed {
					return 0, fmt.Errorf("route %v, want relayed=%v", r, wantRelayed)
				}
				return d, nil
			case session.Ended:
				return 0, fmt.Errorf("session ended: %w", e.Err)
			}
		case <-ctx.Done():
			return 0, fmt.Errorf("no picture within 30 s")
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
