package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/session"
)

// Several technicians viewing one customer (-techs N): the technicians run in a child process (-technicians),
// so that this process is the customer's program alone and its CPU per captured frame can be compared between
// one technician and four: capture and change detection happen once, and only the sending is per technician.
//
// The child hosts the session and prints its join link; the customer joins and says Yes to every invitation;
// the child invites and joins N-1 colleagues, prints START once all of them see the screen, counts every
// technician's frames for the duration, and prints one JSON line: the frames per second of each.

// teamResult is what -techs prints.
type teamResult struct {
	Source          string    `json:"source"`
	Technicians     int       `json:"technicians"`
	Seconds         float64   `json:"seconds"`
	FPS             []float64 `json:"fps"` // per technician, the one who started the session first
	Captured        int       `json:"captured"`
	CapturedFPS     float64   `json:"captured_fps"`
	CustomerCPUMs   float64   `json:"customer_cpu_ms_per_captured_frame"`
	CaptureMsPerFrm float64   `json:"capture_ms_per_frame"`
}

// runTeam is the customer's side: it starts the technicians' process, joins, answers, and measures itself.
func runTeam(src capture.Source, n int, dur time.Duration) (teamResult, error) {
	res := teamResult{Technicians: n}
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-technicians", fmt.Sprint(n), "-d", dur.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() { _ = cmd.Wait() }()
	defer cancel()
	lines := bufio.NewScanner(out)
	next := func(prefix string) (string, error) {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest, nil
			}
		}
		return "", fmt.Errorf("the technicians' process ended before %q: %w", prefix, lines.Err())
	}
	link, err := next("LINK ")
	if err != nil {
		return res, err
	}
	lk, err := session.ParseLink(link)
	if err != nil {
		return res, err
	}
	ts := &timedSource{Source: src}
	jctx, jcancel := context.WithTimeout(ctx, 20*time.Second)
	defer jcancel()
	g, err := session.Join(jctx, lk, session.GuestConfig{Name: "customer", Screen: ts,
		InviteListen: "127.0.0.1:0", InviteAdvertise: "127.0.0.1", ConsentTimeout: time.Minute})
	if err != nil {
		return res, err
	}
	defer g.End()
	var answering sync.WaitGroup
	defer answering.Wait()
	defer g.End()
	answering.Go(func() {
		for e := range g.Events() {
			if q, ok := e.(session.InviteRequested); ok {
				_ = g.AnswerInvite(q.ID, true)
			}
		}
	})
	if _, err := next("START"); err != nil {
		return res, err
	}
	cpu0 := cpuTime()
	spent0, n0 := ts.snapshot()
	start := time.Now()
	line, err := next("RESULT ")
	if err != nil {
		return res, err
	}
	cpu1 := cpuTime()
	spent1, n1 := ts.snapshot()
	if err := json.Unmarshal([]byte(line), &res.FPS); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	res.Captured = n1 - n0
	res.CapturedFPS = float64(res.Captured) / res.Seconds
	if res.Captured > 0 {
		res.CustomerCPUMs = ms(cpu1-cpu0) / float64(res.Captured)
		res.CaptureMsPerFrm = ms(spent1-spent0) / float64(res.Captured)
	}
	return res, nil
}

func (s *timedSource) snapshot() (time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spent, s.n
}

// technicians is the child process: n technicians in one session, their frames counted for dur.
func technicians(n int, dur time.Duration, stdout io.Writer) error {
	h, err := session.NewHost(session.HostConfig{Listen: "127.0.0.1:0", Advertise: "127.0.0.1", Name: "tech 1"})
	if err != nil {
		return err
	}
	defer h.End()
	fmt.Fprintln(stdout, "LINK "+h.Link().String())
	hosts := []*session.Host{h}
	if err := waitEvent(h, func(e session.Event) bool { _, ok := e.(session.Joined); return ok }); err != nil {
		return err
	}
	for i := 2; i <= n; i++ {
		if err := h.Invite(); err != nil {
			return err
		}
		var answer session.InviteAnswered
		if err := waitEvent(h, func(e session.Event) bool {
			a, ok := e.(session.InviteAnswered)
			answer = a
			return ok
		}); err != nil {
			return err
		}
		if !answer.Granted {
			return fmt.Errorf("invitation %d: %w", i, answer.Err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := session.JoinColleague(ctx, answer.Link, session.HostConfig{Name: fmt.Sprintf("tech %d", i)})
		cancel()
		if err != nil {
			return err
		}
		defer c.End()
		hosts = append(hosts, c)
	}
	// Every technician counts the pictures they get; the count starts once all of them have had one.
	counts := make([]atomic.Int64, len(hosts))
	var seen sync.WaitGroup
	seen.Add(len(hosts))
	var counting sync.WaitGroup
	stop := make(chan struct{})
	for i, t := range hosts {
		counting.Go(func() {
			first := true
			for {
				select {
				case e, ok := <-t.Events():
					if !ok {
						return
					}
					if _, is := e.(session.ScreenUpdated); !is {
						continue
					}
					if first {
						first = false
						seen.Done()
						continue
					}
					counts[i].Add(1)
				case <-stop:
					return
				}
			}
		})
	}
	ready := make(chan struct{})
	go func() { seen.Wait(); close(ready) }()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		close(stop)
		counting.Wait()
		return errors.New("not every technician got a picture")
	}
	time.Sleep(time.Second) // the key frames and the colleagues' first catch-up are not counted
	base := make([]int64, len(hosts))
	for i := range counts {
		base[i] = counts[i].Load()
	}
	fmt.Fprintln(stdout, "START")
	start := time.Now()
	time.Sleep(dur)
	secs := time.Since(start).Seconds()
	fps := make([]float64, len(hosts))
	for i := range counts {
		fps[i] = float64(counts[i].Load()-base[i]) / secs
	}
	close(stop)
	counting.Wait()
	line, _ := json.Marshal(fps)
	fmt.Fprintln(stdout, "RESULT "+string(line))
	return nil
}

// waitEvent reads h's events until ok accepts one (within 20 s).
func waitEvent(h *session.Host, ok func(session.Event) bool) error {
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, open := <-h.Events():
			if !open {
				return errors.New("the session ended")
			}
			if ok(e) {
				return nil
			}
		case <-deadline:
			return errors.New("timed out")
		}
	}
}
