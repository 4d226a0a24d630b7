package session

import (
	"errors"
	"image"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// monitorPatternSeq finds which frame of monitor m's pattern f is, or -1.
func monitorPatternSeq(f codec.Frame, m int) int {
	for seq := 0; seq < 1000; seq++ {
		same := true
		for y := 0; y < f.Height && same; y++ {
			for x := 0; x < f.Width; x++ {
				want := capture.PatternPixel(m, seq, f.Width, x, y)
				if string(f.Pix[y*f.Stride+4*x:][:4]) != string(want[:]) {
					same = false
					break
				}
			}
		}
		if same {
			return seq
		}
	}
	return -1
}

func TestStopViewingPausesAndRequestViewResumesWithoutAsking(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	if err := s.h.StopViewing(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.h.Events(), func(e SharingChanged) bool { return !e.On && e.Paused })
	waitFor(t, s.g.Events(), func(e SharingChanged) bool { return !e.On && e.Paused })
	if s.g.Viewed() || !s.g.Sharing() {
		t.Fatalf("after the technician stopped viewing: viewed %v (want false), sharing allowed %v (want true)",
			s.g.Viewed(), s.g.Sharing())
	}
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	if a := waitFor(t, s.h.Events(), func(ConsentAnswered) bool { return true }); a.Granted {
		t.Fatal("control of a screen nobody views was granted")
	}

	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	// The answer and the new screen stream come in either order.
	var answered, on bool
	waitFor(t, s.h.Events(), func(e Event) bool {
		switch e := e.(type) {
		case ConsentAnswered:
			if !e.Granted || e.What != protocol.PermView {
				t.Fatalf("answer %+v, want view granted without asking", e)
			}
			answered = true
		case SharingChanged:
			on = on || e.On
		}
		return answered && on
	})
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	for e := range drain(s.g.Events()) {
		if _, asked := e.(ConsentRequested); asked {
			t.Fatal("the customer was asked again after a pause the technician made")
		}
	}
}

// drain returns the events already queued on ch.
func drain(ch <-chan Event) <-chan Event {
	out := make(chan Event, cap(ch))
	defer close(out)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return out
			}
			out <- e
		default:
			return out
		}
	}
}

func TestTechnicianChoosesTheMonitor(t *testing.T) {
	src := capture.NewPattern(image.Rect(0, 0, 320, 240), image.Rect(320, 0, 480, 96))
	s := newLive(t, src, 0)
	first := waitFor(t, s.h.Events(), func(MonitorsChanged) bool { return true })
	if len(first.Monitors) != 2 || first.Current != 1 || first.Monitors[1].X != 320 || first.Monitors[1].Width != 160 {
		t.Fatalf("monitors %+v", first)
	}
	if err := s.h.SelectMonitor(9); err == nil {
		t.Fatal("an unknown monitor was accepted")
	}
	if err := s.h.SelectMonitor(2); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, s.h.Events(), func(MonitorsChanged) bool { return true }); got.Current != 2 {
		t.Fatalf("after choosing monitor 2: %+v", got)
	}
	waitFor(t, s.h.Events(), func(e ScreenUpdated) bool {
		seq := -1
		s.h.Screen(func(f codec.Frame) {
			if f.Width == 160 && f.Height == 96 {
				seq = monitorPatternSeq(f, 1)
			}
		})
		return seq >= 0
	})
	if s.h.Monitors().Current != 2 {
		t.Fatal("Monitors does not say which monitor is shown")
	}
	// Input now maps to the second monitor.
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.grantControl(t)
	if err := s.h.SendInput(&protocol.MouseMove{X: 10, Y: 20}); err != nil {
		t.Fatal(err)
	}
	got, err := s.rec.Wait(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != (input.Event{Kind: input.KindMove, X: 330, Y: 20}) {
		t.Fatalf("moved to %v, want 330,20 on the second monitor", got[0])
	}
}

// pointing is a pattern source that also reports a pointer.
type pointing struct {
	*capture.Pattern
	at    chan capture.Pointer
	state capture.Pointer
}

func (p *pointing) Pointer() (capture.Pointer, error) {
	select {
	case p.state = <-p.at:
	default:
	}
	return p.state, nil
}

func TestPointerTravelsApartFromFrames(t *testing.T) {
	src := &pointing{Pattern: capture.NewPattern(image.Rect(0, 0, 320, 240), image.Rect(320, 0, 480, 96)),
		at: make(chan capture.Pointer, 1)}
	src.at <- capture.Pointer{Pos: image.Pt(40, 50), Shape: "xterm"}
	// The pointing source is shared from the technician's side, which uses the same machinery as the customer's.
	s := newLive(t, capture.NewPattern(), 0)
	if err := s.h.ShareScreen(src, 1); err != nil {
		t.Fatal(err)
	}
	src.at <- capture.Pointer{Pos: image.Pt(330, 12), Shape: "hand2"}
	p := waitFor(t, s.g.Events(), func(e PointerMoved) bool { return e.Shape == protocol.CursorPointer })
	if p != (PointerMoved{X: 10, Y: 12, Visible: true, Shape: protocol.CursorPointer, Sharer: TechnicianID}) {
		t.Fatalf("pointer %+v, want at 10,12 on the shared monitor", p)
	}
	src.at <- capture.Pointer{Pos: image.Pt(5, 5)}
	p = waitFor(t, s.g.Events(), func(e PointerMoved) bool { return !e.Visible })
	if p.X != -315 || p.Shape != protocol.CursorArrow {
		t.Fatalf("pointer on another monitor: %+v", p)
	}
}

func TestTechnicianSharesTheirScreenBack(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	if s.g.TechnicianScreen(TechnicianID, func(codec.Frame) {}) {
		t.Fatal("a technician's screen before they share it")
	}
	own := capture.NewPattern(image.Rect(0, 0, 200, 100))
	if err := s.h.ShareScreen(own, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.h.ShareScreen(capture.NewPattern(), 0); err == nil {
		t.Fatal("a second ShareScreen while sharing succeeded")
	}
	waitFor(t, s.h.Events(), func(e TechnicianScreenChanged) bool { return e.On })
	waitFor(t, s.g.Events(), func(e TechnicianScreenChanged) bool { return e.On })
	waitFor(t, s.g.Events(), func(ScreenUpdated) bool {
		seq := -1
		s.g.TechnicianScreen(TechnicianID, func(f codec.Frame) {
			if f.Width == 200 && f.Height == 100 {
				seq = monitorPatternSeq(f, 0)
			}
		})
		return seq >= 0
	})
	if s.g.TechnicianMonitors(TechnicianID).Current != 1 {
		t.Fatalf("technician's monitors %+v", s.g.TechnicianMonitors(TechnicianID))
	}
	// The customer's screen still flows the other way.
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })

	// The customer closes the window: the technician is told, the capture stops and its source is closed.
	if !s.g.CloseTechnicianScreen(TechnicianID) {
		t.Fatal("CloseTechnicianScreen found nothing to close")
	}
	waitFor(t, s.g.Events(), func(e TechnicianScreenChanged) bool { return !e.On && e.ClosedByCustomer })
	waitFor(t, s.h.Events(), func(e TechnicianScreenChanged) bool { return !e.On && e.ClosedByCustomer })
	if s.h.SharingScreen() {
		t.Fatal("still sharing after the customer closed the window")
	}
	if _, err := own.Monitors(); !errors.Is(err, capture.ErrClosed) {
		t.Fatalf("the technician's capture source was not closed: %v", err)
	}

	// Shared again, then stopped by the technician.
	if err := s.h.ShareScreen(capture.NewPattern(), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(e TechnicianScreenChanged) bool { return e.On })
	s.h.StopSharingScreen()
	waitFor(t, s.g.Events(), func(e TechnicianScreenChanged) bool { return !e.On && !e.ClosedByCustomer })
}

func TestCustomerCannotControlTheTechnician(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	if err := s.h.ShareScreen(capture.NewPattern(), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(e TechnicianScreenChanged) bool { return e.On })
	// A customer's program that tries anyway: its input stream is refused by the technician's engine.
	st, err := s.g.l.conn.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.Input})
	if err != nil {
		t.Fatal(err)
	}
	enc := protocol.NewEncoder(st, protocol.Input)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := enc.Encode(&protocol.MouseMove{X: 1, Y: 1}); err != nil {
			var se *quic.StreamError
			if !errors.As(err, &se) || !se.Remote || protocol.Code(se.ErrorCode) != protocol.UnknownStream {
				t.Fatalf("refused with %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the technician's engine accepted an input stream")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
