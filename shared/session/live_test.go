package session

import (
	"context"
	"errors"
	"image"
	"reflect"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// liveSession is a technician and a customer in session over loopback QUIC, the customer sharing a synthetic
// screen and injecting into a recorder.
type liveSession struct {
	h   *Host
	g   *Guest
	rec *input.Recorder
}

func newLive(t *testing.T, src *capture.Pattern, monitor int) *liveSession {
	t.Helper()
	return newLiveAsking(t, src, monitor, 300*time.Millisecond)
}

// newLiveAsking is newLive with questions that wait timeout for the customer's answer.
func newLiveAsking(t *testing.T, src *capture.Pattern, monitor int, timeout time.Duration) *liveSession {
	t.Helper()
	h := newTestHost(t)
	rec := input.NewRecorder()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: src, Monitor: monitor, Input: rec,
		ConsentTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	s := &liveSession{h: h, g: g, rec: rec}
	waitFor(t, h.Events(), func(Joined) bool { return true })
	return s
}

// grantControl asks for control and has the customer say yes.
func (s *liveSession) grantControl(t *testing.T) {
	t.Helper()
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	ask := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := s.g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.h.Events(), func(e ControlChanged) bool { return e.Granted })
}

// waitFor returns the first event of type E on ch that ok accepts, skipping the others. Its deadline only bounds a
// test that fails: it is long enough for 64 MiB through the test relay under the race detector on a busy machine
// (a fresh CI run once took more than 20 s for it).
func waitFor[E Event](t *testing.T, ch <-chan Event, ok func(E) bool) E {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case e, open := <-ch:
			if !open {
				t.Fatalf("events ended while waiting for %T", *new(E))
			}
			if e, is := e.(E); is && ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %T", *new(E))
		}
	}
}

// patternSeq finds which frame of the pattern f is, or -1 when it is none of the first 1000.
func patternSeq(f codec.Frame) int {
	for seq := 0; seq < 1000; seq++ {
		if patternFrameEqual(f, seq) {
			return seq
		}
	}
	return -1
}

func patternFrameEqual(f codec.Frame, seq int) bool {
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			want := capture.PatternPixel(0, seq, f.Width, x, y)
			if string(f.Pix[y*f.Stride+4*x:][:4]) != string(want[:]) {
				return false
			}
		}
	}
	return true
}

func TestTechnicianSeesTheCustomersScreen(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	if !s.g.Sharing() {
		t.Fatal("an attended session starts sharing")
	}
	waitFor(t, s.h.Events(), func(e SharingChanged) bool { return e.On })
	// The pattern is a full screen of colour gradients that changes at every capture: where the link (or, under
	// the race detector, the two ends' own speed) cannot carry it losslessly at 20 frames a second, it would go
	// as lossy video. Preferring quality keeps it exact.
	s.h.SetPreferQuality(true)
	// The bar moves at every capture: wait for a few exact pictures, then check one bit for bit.
	for range 3 {
		waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return s.h.Quality().Picture == PictureExact })
	}
	seq := -1
	if !s.h.Screen(func(f codec.Frame) {
		if f.Width != 320 || f.Height != 240 {
			t.Fatalf("technician's screen is %dx%d", f.Width, f.Height)
		}
		seq = patternSeq(f)
	}) {
		t.Fatal("no picture")
	}
	if seq < 2 {
		t.Fatalf("the technician's picture is not a captured frame after the first ones (seq %d)", seq)
	}
}

func TestStopSharingThenRequestViewNoAndYes(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })

	s.g.StopSharing()
	if s.g.Sharing() {
		t.Fatal("still sharing")
	}
	waitFor(t, s.h.Events(), func(e SharingChanged) bool { return !e.On })

	// No keeps it stopped, and the technician is told.
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	ask := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermView })
	if ask.From != "Alice (support)" {
		t.Fatalf("request from %q", ask.From)
	}
	if err := s.g.Answer(ask.ID, false); err != nil {
		t.Fatal(err)
	}
	ans := waitFor(t, s.h.Events(), func(ConsentAnswered) bool { return true })
	if ans.Granted || ans.Expired || ans.What != protocol.PermView || s.g.Sharing() {
		t.Fatalf("after No: %+v, sharing %v", ans, s.g.Sharing())
	}
	if err := s.g.Answer(ask.ID, true); err == nil {
		t.Fatal("a question can be answered twice")
	}

	// Yes shares again, from a key frame.
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	ask = waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermView })
	if err := s.g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	// The answer and the new screen stream travel on different streams: either may come first.
	var answered, sharing bool
	waitFor(t, s.h.Events(), func(e Event) bool {
		switch e := e.(type) {
		case ConsentAnswered:
			if !e.Granted {
				t.Fatalf("after Yes: %+v", e)
			}
			answered = true
		case SharingChanged:
			sharing = sharing || e.On
		}
		return answered && sharing
	})
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.h.Screen(func(f codec.Frame) {
		if patternSeq(f) < 0 {
			t.Fatal("after sharing again the picture is not a captured frame")
		}
	})
}

func TestUnansweredRequestExpires(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	s.g.StopSharing()
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	ask := waitFor(t, s.g.Events(), func(ConsentRequested) bool { return true })
	if e := waitFor(t, s.g.Events(), func(ConsentExpired) bool { return true }); e.ID != ask.ID {
		t.Fatalf("expired %d, asked %d", e.ID, ask.ID)
	}
	if ans := waitFor(t, s.h.Events(), func(ConsentAnswered) bool { return true }); ans.Granted || !ans.Expired {
		t.Fatalf("technician told %+v, want expired", ans)
	}
	if s.g.Sharing() {
		t.Fatal("an unanswered request started sharing")
	}
	if err := s.g.Answer(ask.ID, true); err == nil {
		t.Fatal("an expired question can still be answered")
	}
}

// sendRaw plays a technician whose program ignores the rules: it opens an input stream and sends m.
func sendRaw(t *testing.T, h *Host, m protocol.Message) {
	t.Helper()
	tech, err := h.tech()
	if err != nil {
		t.Fatal(err)
	}
	st, err := tech.l.conn.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.Input})
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.NewEncoder(st, protocol.Input).Encode(m); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
}

func waitDropped(t *testing.T, g *Guest, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); g.DroppedInput() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dropped %d input messages, want %d", g.DroppedInput(), n)
		}
	}
}

func TestInputOnlyWithControl(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true }) // the technician sees the picture
	if err := s.h.SendInput(&protocol.MouseMove{X: 1, Y: 1}); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("SendInput without control: %v", err)
	}
	// A technician's program that sends anyway is ignored by the customer's engine.
	sendRaw(t, s.h, &protocol.Text{Text: "rm -rf"})
	waitDropped(t, s.g, 1)

	s.grantControl(t)
	if !s.g.Controlled() || !s.h.Controlling() {
		t.Fatal("control not granted on both sides")
	}
	for _, m := range []protocol.Message{
		&protocol.MouseMove{X: 10, Y: 20},
		&protocol.MouseButton{Button: protocol.ButtonLeft, Down: true},
		&protocol.MouseButton{Button: protocol.ButtonLeft},
		&protocol.Wheel{DY: 2 * protocol.WheelNotch},
		&protocol.Key{Name: "Return", Down: true},
		&protocol.Key{Name: "C", Down: true, Modifiers: protocol.ModControl},
		&protocol.Text{Text: "café"},
	} {
		if err := s.h.SendInput(m); err != nil {
			t.Fatalf("SendInput(%v): %v", m, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got, err := s.rec.Wait(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := []input.Event{
		{Kind: input.KindMove, X: 10, Y: 20},
		{Kind: input.KindButtonDown, Button: input.ButtonLeft},
		{Kind: input.KindButtonUp, Button: input.ButtonLeft},
		{Kind: input.KindScroll, Y: 2},
		{Kind: input.KindKeyDown, Key: "enter"},
		{Kind: input.KindKeyDown, Key: "c", Mods: input.ModCtrl},
		{Kind: input.KindType, Text: "café"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("injected %v\nwant %v", got, want)
	}

	// The customer takes control back: the technician is told, and input is dropped again.
	s.g.RevokeControl()
	waitFor(t, s.h.Events(), func(e ControlChanged) bool { return !e.Granted })
	if err := s.h.SendInput(&protocol.MouseMove{X: 1, Y: 1}); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("SendInput after revocation: %v", err)
	}
	dropped := s.g.DroppedInput()
	sendRaw(t, s.h, &protocol.MouseMove{X: 5, Y: 5})
	waitDropped(t, s.g, dropped+1)
	if n := len(s.rec.Events()); n != 7 {
		t.Fatalf("%d injected events after revocation, want 7", n)
	}
}

func TestStoppingSharingTakesControlBack(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	s.grantControl(t)
	s.g.StopSharing()
	waitFor(t, s.h.Events(), func(e ControlChanged) bool { return !e.Granted })
	if s.g.Controlled() {
		t.Fatal("control kept after sharing stopped")
	}
}

func TestInputMapsToTheSharedMonitor(t *testing.T) {
	// Two monitors side by side; the customer shares the second, whose origin is (320, 0).
	src := capture.NewPattern(image.Rect(0, 0, 320, 240), image.Rect(320, 0, 640, 240))
	s := newLive(t, src, 1)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true }) // the technician sees the picture
	s.grantControl(t)
	if err := s.h.SendInput(&protocol.MouseMove{X: 5, Y: 7}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got, err := s.rec.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != (input.Event{Kind: input.KindMove, X: 325, Y: 7}) {
		t.Fatalf("moved to %v, want 325,7", got[0])
	}
}

func TestStoppingBeforeTheFirstFrameIsToldToTheTechnician(t *testing.T) {
	h := newTestHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// A screen that never yields a frame: nothing flows before the customer stops.
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob", Screen: stuck{capture.NewPattern()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	g.StopSharing()
	waitFor(t, h.Events(), func(e SharingChanged) bool { return !e.On && !e.Paused })
}

// stuck is a source whose captures fail: no frame ever leaves.
type stuck struct{ *capture.Pattern }

func (stuck) Capture(int, *codec.Frame) error { return errors.New("stuck") }

// A question about control is withdrawn, on both sides, when its premise goes before the customer answers: the
// customer stops sharing, the technician stops looking, or the technician leaves. A yes given afterwards (the
// dialog was still on the screen) grants nothing, and input sent anyway is dropped (issue 19, finding 2).
func TestControlQuestionWithdrawn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cause  func(t *testing.T, s *liveSession)
		hostUp bool // the technician is still there to be told
	}{
		{"customer stops sharing", func(_ *testing.T, s *liveSession) { s.g.StopSharing() }, true},
		{"technician stops viewing", func(t *testing.T, s *liveSession) {
			if err := s.h.StopViewing(); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"technician leaves", func(_ *testing.T, s *liveSession) { s.h.End() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newLiveAsking(t, capture.NewPattern(), 0, time.Minute)
			waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true }) // the technician sees the picture
			if err := s.h.RequestControl(); err != nil {
				t.Fatal(err)
			}
			ask := waitFor(t, s.g.Events(), func(e ConsentRequested) bool { return e.What == protocol.PermControl })
			tc.cause(t, s)
			if e := waitFor(t, s.g.Events(), func(ConsentExpired) bool { return true }); e.ID != ask.ID || !e.Withdrawn {
				t.Fatalf("customer told %+v, want question %d withdrawn", e, ask.ID)
			}
			if tc.hostUp {
				ans := waitFor(t, s.h.Events(), func(e ConsentAnswered) bool { return e.What == protocol.PermControl })
				if ans.Granted || !ans.Withdrawn {
					t.Fatalf("technician told %+v, want withdrawn", ans)
				}
			}
			if err := s.g.Answer(ask.ID, true); protocol.CodeOf(err) != protocol.NotPermitted {
				t.Fatalf("a yes to the withdrawn question: %v", err)
			}
			if s.g.Controlled() || s.h.Controlling() {
				t.Fatal("control granted by a withdrawn question")
			}
			if tc.hostUp {
				sendRaw(t, s.h, &protocol.Key{Name: "Return", Down: true})
				waitDropped(t, s.g, 1)
			}
			if n := len(s.rec.Events()); n != 0 {
				t.Fatalf("%d input events injected without control", n)
			}
		})
	}
}

// Control held while the technician stops looking goes back to the customer: input needs a seen screen.
func TestControlEndsWhenTheTechnicianStopsViewing(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.grantControl(t)
	if err := s.h.StopViewing(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.h.Events(), func(e ControlChanged) bool { return !e.Granted })
	waitFor(t, s.g.Events(), func(e ControlChanged) bool { return !e.Granted })
	sendRaw(t, s.h, &protocol.Text{Text: "unseen"})
	waitDropped(t, s.g, 1)
	if n := len(s.rec.Events()); n != 0 {
		t.Fatalf("%d input events injected on an unseen screen", n)
	}
}

// TestNothingToShareIsToldToTheTechnician: a customer whose system gave no screen and no input (a refusal in
// a Wayland desktop's own dialog) answers view and control requests at once, and the technician learns that
// the computer cannot, not that the customer said no.
func TestNothingToShareIsToldToTheTechnician(t *testing.T) {
	h := newTestHost(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := Join(ctx, h.Link(), GuestConfig{Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	waitFor(t, h.Events(), func(Joined) bool { return true })
	for _, ask := range []struct {
		what    protocol.Permission
		request func() error
	}{{protocol.PermView, h.RequestView}, {protocol.PermControl, h.RequestControl}} {
		if err := ask.request(); err != nil {
			t.Fatal(err)
		}
		ans := waitFor(t, h.Events(), func(e ConsentAnswered) bool { return e.What == ask.what })
		if ans.Granted || !ans.Unavailable || ans.Expired || ans.Withdrawn {
			t.Fatalf("%v: technician told %+v, want unavailable", ask.what, ans)
		}
	}
	select {
	case e := <-g.Events():
		if _, asked := e.(ConsentRequested); asked {
			t.Fatalf("the customer was asked what their computer cannot do: %+v", e)
		}
	default:
	}
}
