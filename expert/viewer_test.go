package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/picker/portaltest"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport/relay"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// customerSide is a real customer engine in session with the window under test: it shares a synthetic screen,
// injects into a recorder and answers consent questions when the test says so.
type customerSide struct {
	g   *session.Guest
	rec *input.Recorder

	mu      sync.Mutex
	events  []session.Event
	next    int // events before this one have been returned or skipped by waitCustomer
	changed chan struct{}
}

// joinSharing presses New session and joins the key shown as the customer "Bob", then waits until the viewer
// shows Bob's screen.
func joinSharing(t *testing.T, h *shown) *customerSide {
	t.Helper()
	return joinSharingScreen(t, h, capture.NewPattern())
}

// joinSharingScreen is joinSharing with the customer's screen given, and the customer's configuration changed
// by the functions given.
func joinSharingScreen(t *testing.T, h *shown, screen capture.Source, change ...func(*session.GuestConfig)) *customerSide {
	t.Helper()
	return joinVia(t, h, screen, nil, change...)
}

// joinVia is joinSharingScreen with the join link's address replaced by via's (nil: as it is), to go through a
// relay.
func joinVia(t *testing.T, h *shown, screen capture.Source, via func(addr string) string, change ...func(*session.GuestConfig)) *customerSide {
	t.Helper()
	test.Tap(h.newSession)
	lk, err := session.ParseLink(h.cur().link.Text)
	if err != nil {
		t.Fatal(err)
	}
	if via != nil {
		lk.Addr = via(lk.Addr)
	}
	c := &customerSide{rec: input.NewRecorder(), changed: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cfg := session.GuestConfig{Name: "Bob", Screen: screen, Input: c.rec, ConsentTimeout: 300 * time.Millisecond}
	for _, f := range change {
		f(&cfg)
	}
	c.g, err = session.Join(ctx, lk, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The customer's engine waits for its events to be read: read them all, until the session ends.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range c.g.Events() {
			c.mu.Lock()
			c.events = append(c.events, e)
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		c.g.End()
		<-done
	})
	h.loop.Until(t, 20*time.Second, "the viewer to show the customer's screen", func() bool {
		return h.cur().view != nil && h.cur().view.win != nil && h.cur().view.painted
	})
	return c
}

// waitCustomer returns the customer's next event of type E that ok accepts, skipping the others.
func waitCustomer[E session.Event](t *testing.T, c *customerSide, ok func(E) bool) E {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		for c.next < len(c.events) {
			e := c.events[c.next]
			c.next++
			if e, is := e.(E); is && ok(e) {
				c.mu.Unlock()
				return e
			}
		}
		c.mu.Unlock()
		select {
		case <-c.changed:
		case <-deadline:
			t.Fatalf("the customer got no %T", *new(E))
		}
	}
}

// shownImage returns the picture the viewer's remote screen holds.
func shownImage(t *testing.T, v *viewer) *image.RGBA {
	t.Helper()
	for _, o := range test.WidgetRenderer(v.screen).Objects() {
		if img, ok := o.(*canvas.Image); ok {
			if rgba, ok := img.Image.(*image.RGBA); ok {
				return rgba
			}
		}
	}
	t.Fatal("the remote screen draws no picture")
	return nil
}

// patternSeq returns which frame of the customer's synthetic screen img is, bit for bit, or -1.
func patternSeq(img *image.RGBA) int {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	for seq := 0; seq < 1<<16; seq++ {
		if matches(img, seq, w, h) {
			return seq
		}
	}
	return -1
}

func matches(img *image.RGBA, seq, w, h int) bool {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := capture.PatternPixel(0, seq, w, x, y) // B, G, R, A
			c := img.RGBAAt(x, y)
			if c.R != p[2] || c.G != p[1] || c.B != p[0] || c.A != p[3] {
				return false
			}
		}
	}
	return true
}

func named(key string) string { return lang.L(key, map[string]any{"Name": "Bob"}) }

func TestViewerShowsTheCustomersScreen(t *testing.T) {
	h := testHome(t, "en")
	joinSharing(t, h)
	v := h.cur().view
	if v.win.Title() != "Bob — Tandem Expert" {
		t.Fatalf("viewer titled %q", v.win.Title())
	}
	if w, ht := v.screen.FrameSize(); w != 320 || ht != 240 {
		t.Fatalf("viewer shows a %dx%d picture, want 320x240", w, ht)
	}
	// Every repaint shows a captured frame bit for bit, however many frames were coalesced into it.
	first := patternSeq(shownImage(t, v))
	if first < 0 {
		t.Fatal("the picture shown is not a frame of the customer's screen")
	}
	h.loop.Until(t, 20*time.Second, "a newer picture", func() bool {
		seq := patternSeq(shownImage(t, v))
		if seq < 0 {
			t.Fatal("after a repaint the picture is not a frame of the customer's screen")
		}
		return seq > first
	})
	if v.status.Text != named("viewer.state.viewing") || v.overText.Text != "" || v.over.Visible() {
		t.Fatalf("state %q, over the picture %q", v.status.Text, v.overText.Text)
	}
	if !strings.HasPrefix(v.route.Text, "Direct connection · ") || !strings.Contains(v.route.Text, "\u00a0ms · exact picture") {
		t.Fatalf("under the state %q, want the route, the rate, the round trip and an exact picture", v.route.Text)
	}
	if v.viewBtn.Text != lang.L("viewer.stop_viewing") || v.viewBtn.Disabled() || v.controlBtn.Disabled() ||
		v.endBtn.Disabled() || v.monitorSel.Visible() {
		t.Fatal("while viewing: Stop viewing, Request control and End session on; no monitor list for one monitor")
	}
	if !h.cur().showViewer.Visible() || !h.cur().showViewer.Disabled() {
		t.Fatal("the home window's Show viewer should be there, off while the viewer is open")
	}

	// 1:1 with scroll bars and back; full screen by button and by F11.
	test.Tap(v.fitBtn)
	if v.screen.Fit() || v.fitBtn.Icon != theme.ZoomFitIcon() || v.screen.MinSize() != fyne.NewSize(320, 240) {
		t.Fatalf("after 1:1: fit %v, button icon %v", v.screen.Fit(), v.fitBtn.Icon)
	}
	test.Tap(v.fitBtn)
	if !v.screen.Fit() || v.fitBtn.Icon != theme.ZoomInIcon() {
		t.Fatal("Fit to window did not scale the picture again")
	}
	test.Tap(v.fullBtn)
	if !v.win.FullScreen() || v.fullBtn.Icon != theme.ViewRestoreIcon() {
		t.Fatal("Full screen did not go full screen")
	}
	v.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF11})
	if v.win.FullScreen() || v.fullBtn.Icon != theme.ViewFullScreenIcon() {
		t.Fatal("F11 did not leave full screen")
	}
}

func TestViewerStoppedSharingAndRequestView(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	v := h.cur().view

	c.g.StopSharing()
	h.loop.Until(t, 20*time.Second, "the viewer to say the customer stopped sharing", func() bool {
		return v.status.Text == named("viewer.state.stopped")
	})
	if v.overText.Text != v.status.Text || !v.over.Visible() || v.viewBtn.Disabled() || !v.controlBtn.Disabled() {
		t.Fatalf("stopped: over the picture %q; Request view must be on, Request control off", v.overText.Text)
	}

	// No.
	test.Tap(v.viewBtn)
	if v.status.Text != named("viewer.state.waiting_view") || !v.viewBtn.Disabled() {
		t.Fatalf("after Request view: %q", v.status.Text)
	}
	ask := waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermView })
	if err := c.g.Answer(ask.ID, false); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the viewer to say no", func() bool {
		return v.status.Text == named("viewer.state.view_refused")
	})
	if v.viewBtn.Disabled() {
		t.Fatal("after No, Request view is off")
	}

	// No answer in time (the customer's engine gives up after 300 ms here).
	test.Tap(v.viewBtn)
	waitCustomer(t, c, func(e session.ConsentExpired) bool { return true })
	h.loop.Until(t, 20*time.Second, "the viewer to say there was no answer", func() bool {
		return v.status.Text == named("viewer.state.view_expired")
	})

	// Yes: viewing again.
	test.Tap(v.viewBtn)
	ask = waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermView })
	if err := c.g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the viewer to show the screen again", func() bool {
		return v.status.Text == named("viewer.state.viewing")
	})
	if v.overText.Text != "" || v.viewBtn.Disabled() || v.viewBtn.Text != lang.L("viewer.stop_viewing") ||
		patternSeq(shownImage(t, v)) < 0 {
		t.Fatalf("viewing again: over the picture %q, view button %q", v.overText.Text, v.viewBtn.Text)
	}
}

func TestViewerRemoteControlAndEnd(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	v := h.cur().view
	test.Tap(v.fitBtn) // 1:1: the widget's units are the customer's pixels
	at := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(100, 50)}, Button: desktop.MouseButtonPrimary}

	// Without control a click is not sent at all.
	v.screen.MouseDown(at)
	v.screen.MouseUp(at)

	test.Tap(v.controlBtn)
	if !v.controlBtn.Disabled() || v.status.Text != named("viewer.state.viewing")+" "+named("viewer.note.waiting_control") {
		t.Fatalf("while asking for control: %q", v.status.Text)
	}
	allowControl(t, h, c)
	if v.controlBtn.Disabled() || v.status.Text != named("viewer.state.controlling") {
		t.Fatalf("with control: %q", v.status.Text)
	}

	v.screen.MouseDown(at)
	v.screen.MouseUp(at)
	if v.win.Canvas().Focused() != v.screen {
		t.Fatal("a click under control does not give the remote screen the keyboard")
	}
	v.win.Canvas().Focused().TypedRune('é') // as the driver delivers typed characters: to the focused object
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	got, err := c.rec.Wait(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []input.Event{
		{Kind: input.KindMove, X: 100, Y: 50},
		{Kind: input.KindButtonDown, Button: input.ButtonLeft},
		{Kind: input.KindMove, X: 100, Y: 50},
		{Kind: input.KindButtonUp, Button: input.ButtonLeft},
		{Kind: input.KindType, Text: "é"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the customer's computer got %v\nwant %v", got, want)
	}
	if n := c.g.DroppedInput(); n != 0 {
		t.Fatalf("the viewer sent %d input messages without control", n)
	}

	// Release control: the customer has it back, the keyboard is the technician's again.
	test.Tap(v.controlBtn)
	waitCustomer(t, c, func(e session.ControlChanged) bool { return !e.Granted })
	if c.g.Controlled() {
		t.Fatal("the customer still shows control granted")
	}
	h.loop.Until(t, 20*time.Second, "the button to say Request control", func() bool {
		return v.controlBtn.Text == lang.L("viewer.request_control")
	})
	if v.status.Text != named("viewer.state.viewing")+" "+named("viewer.note.control_released") ||
		v.win.Canvas().Focused() != nil {
		t.Fatalf("after release: %q, focus on %v", v.status.Text, v.win.Canvas().Focused())
	}
	v.screen.MouseDown(at)

	// End session asks first; Yes ends it for the customer.
	test.Tap(v.endBtn)
	uitest.Answer(t, v.win, lang.L("No"))
	if h.cur().host == nil || v.ended {
		t.Fatal("No ended the session")
	}
	test.Tap(v.endBtn)
	uitest.Answer(t, v.win, lang.L("Yes"))
	end := waitCustomer(t, c, func(session.Ended) bool { return true })
	if protocol.CodeOf(end.Err) != protocol.SessionEnded {
		t.Fatalf("the customer was told %v", end.Err)
	}
	h.loop.Until(t, 20*time.Second, "the viewer to say the session is over", func() bool { return v.ended })
	if v.status.Text != lang.L("viewer.state.ended_by_you") || v.overText.Text != v.status.Text ||
		!v.endBtn.Disabled() || !v.controlBtn.Disabled() || !v.viewBtn.Disabled() || h.cur().showViewer.Visible() {
		t.Fatalf("after the end: %q", v.status.Text)
	}
	if n := len(c.rec.Events()); n != 5 || c.g.DroppedInput() != 0 {
		t.Fatalf("input after control was released: %d events, %d dropped", n, c.g.DroppedInput())
	}
}

func TestClosingTheViewerKeepsTheSession(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	h.cur().view.win.Close()
	if h.cur().host == nil || h.cur().view == nil || h.cur().view.win != nil {
		t.Fatal("closing the viewer ended the session")
	}
	if !h.cur().showViewer.Visible() || h.cur().showViewer.Disabled() {
		t.Fatal("Show viewer is not offered")
	}
	c.g.StopSharing() // news while the viewer is closed are kept
	h.loop.Until(t, 20*time.Second, "the session to hear sharing stopped", func() bool { return !h.cur().view.sharing })
	test.Tap(h.cur().showViewer)
	v := h.cur().view
	if v.win == nil || !h.cur().showViewer.Disabled() {
		t.Fatal("Show viewer did not open the viewer")
	}
	if v.status.Text != named("viewer.state.stopped") || v.viewBtn.Disabled() {
		t.Fatalf("reopened viewer says %q", v.status.Text)
	}
	if w, ht := v.screen.FrameSize(); w != 320 || ht != 240 || patternSeq(shownImage(t, v)) < 0 {
		t.Fatal("the reopened viewer does not show the last picture")
	}
}

func TestViewerFrench(t *testing.T) {
	h := testHome(t, "fr")
	c := joinSharing(t, h)
	v := h.cur().view
	if v.viewBtn.Text != "Arrêter l'affichage" || v.shareBtn.Text != "Partager mon écran" || v.controlBtn.Text != "Demander le contrôle" ||
		v.endBtn.Text != "Terminer la session" || v.filesBtn.Text != "Fichiers ▾" {
		t.Fatalf("French buttons: %q %q %q %q", v.viewBtn.Text, v.controlBtn.Text, v.endBtn.Text, v.filesBtn.Text)
	}
	if v.status.Text != "Vous voyez l'écran de Bob." || h.cur().showViewer.Text != "Afficher l'écran du client" {
		t.Fatalf("French state %q", v.status.Text)
	}
	c.g.StopSharing()
	h.loop.Until(t, 20*time.Second, "the French stopped state", func() bool {
		return v.status.Text == "Bob a arrêté le partage d'écran. Appuyez sur Demander à voir pour le revoir."
	})
	test.Tap(v.endBtn)
	uitest.Answer(t, v.win, "Oui")
	waitCustomer(t, c, func(session.Ended) bool { return true })
	h.loop.Until(t, 20*time.Second, "the French ended state", func() bool {
		return v.status.Text == "Vous avez terminé la session."
	})
}

// A control request that the customer's stopping of sharing withdraws leaves the viewer without a note (its
// state line says that sharing stopped) and ready to ask again once the screen is back.
func TestWithdrawnControlRequest(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharingScreen(t, h, capture.NewPattern(), func(cfg *session.GuestConfig) { cfg.ConsentTimeout = time.Minute })
	v := h.cur().view
	test.Tap(v.controlBtn)
	waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermControl })
	c.g.StopSharing()
	if e := waitCustomer(t, c, func(session.ConsentExpired) bool { return true }); !e.Withdrawn {
		t.Fatalf("customer told %+v", e)
	}
	h.loop.Until(t, 20*time.Second, "the withdrawn request", func() bool {
		return v.controlAsk == askNone && !v.sharing && v.note == "" && v.status.Text == named("viewer.state.stopped")
	})
	if v.controlled {
		t.Fatal("control after a withdrawn request")
	}
}

// TestViewerRendering saves the viewer, in English and French, viewing and with sharing stopped, to
// TMPDIR/viewer-*.png for people to look at, and checks that the picture is drawn.
func TestViewerRendering(t *testing.T) {
	for _, language := range []string{"en", "fr"} {
		t.Run(language, func(t *testing.T) {
			h := testHome(t, language)
			c := joinSharing(t, h)
			v := h.cur().view
			v.win.Resize(fyne.NewSize(900, 560))
			save(t, v.win, "viewer-"+language+".png")
			c.g.StopSharing()
			h.loop.Until(t, 20*time.Second, "the stopped state", func() bool { return v.viewAsk == askNone && !v.sharing })
			test.Tap(v.viewBtn)
			save(t, v.win, "viewer-"+language+"-asking.png")
			// Saving may take longer than the customer's 300 ms to answer (under -race): let that question
			// expire, and ask again.
			waitCustomer(t, c, func(e session.ConsentExpired) bool { return true })
			h.loop.Until(t, 20*time.Second, "no answer", func() bool { return v.viewAsk == askExpired })
			test.Tap(v.viewBtn)
			ask := waitCustomer(t, c, func(e session.ConsentRequested) bool { return true })
			if err := c.g.Answer(ask.ID, true); err != nil {
				t.Fatal(err)
			}
			h.loop.Until(t, 20*time.Second, "viewing", func() bool { return v.sharing && v.painted })
			test.Tap(v.controlBtn)
			ask = waitCustomer(t, c, func(e session.ConsentRequested) bool { return true })
			if err := c.g.Answer(ask.ID, true); err != nil {
				t.Fatal(err)
			}
			h.loop.Until(t, 20*time.Second, "control", func() bool { return v.controlled })
			test.Tap(v.fitBtn)
			// Narrower than the toolbar is impossible on a real screen (the window's minimum size).
			t.Logf("%s: the viewer needs at least %v", language, v.win.Content().MinSize())
			v.win.Resize(fyne.NewSize(max(v.win.Content().MinSize().Width, 880), 300)) // less high than the picture: scroll bar
			save(t, v.win, "viewer-"+language+"-control-1to1.png")
		})
	}
}

func save(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	img := w.Canvas().Capture()
	if n := colours(img); n < 50 {
		t.Errorf("%s has %d colours: the customer's screen is not drawn", name, n)
	}
	f, err := os.Create(filepath.Join(os.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestViewerMonitorsStopStartViewingAndShareMyScreen(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharingScreen(t, h, capture.NewPattern(image.Rect(0, 0, 320, 240), image.Rect(320, 0, 480, 96)))
	v := h.cur().view

	// Two monitors: the list shows and picks the second.
	h.loop.Until(t, 20*time.Second, "the monitor list", func() bool {
		return v.monitorSel.Visible() && len(v.monitorSel.Options) == 2
	})
	if v.monitorSel.SelectedIndex() != 0 || v.monitorSel.Options[1] != "Monitor 2: pattern-1 (160×96)" {
		t.Fatalf("monitor list %q, selected %d", v.monitorSel.Options, v.monitorSel.SelectedIndex())
	}
	v.monitorSel.SetSelectedIndex(1)
	h.loop.Until(t, 20*time.Second, "the second monitor's picture", func() bool {
		w, hh := v.screen.FrameSize()
		return v.monitors.Current == 2 && w == 160 && hh == 96
	})

	// Stop viewing: nothing flows; the customer is told it is paused, not stopped.
	test.Tap(v.viewBtn)
	h.loop.Until(t, 20*time.Second, "the viewer to say viewing stopped", func() bool {
		return v.status.Text == named("viewer.state.paused")
	})
	waitCustomer(t, c, func(e session.SharingChanged) bool { return !e.On && e.Paused })
	if v.viewBtn.Text != lang.L("viewer.start_viewing") || v.viewBtn.Disabled() || !v.controlBtn.Disabled() ||
		v.monitorSel.Visible() {
		t.Fatalf("paused: view button %q (disabled %v), control disabled %v", v.viewBtn.Text, v.viewBtn.Disabled(),
			v.controlBtn.Disabled())
	}
	// Start viewing: back without a question to the customer.
	test.Tap(v.viewBtn)
	h.loop.Until(t, 20*time.Second, "the viewer to show the screen again", func() bool {
		return v.status.Text == named("viewer.state.viewing")
	})
	c.mu.Lock()
	for _, e := range c.events {
		if _, asked := e.(session.ConsentRequested); asked {
			t.Error("the customer was asked to allow viewing again after the technician's pause")
		}
	}
	c.mu.Unlock()

	// Share my screen: the customer gets it; closing it on their side is told here.
	test.Tap(v.shareBtn)
	waitCustomer(t, c, func(e session.TechnicianScreenChanged) bool { return e.On })
	h.loop.Until(t, 20*time.Second, "the viewer to say the customer sees the technician's screen", func() bool {
		return v.shareBtn.Text == lang.L("viewer.stop_share_screen") &&
			v.status.Text == named("viewer.state.viewing")+" "+named("viewer.note.own_screen_on")
	})
	waitCustomer(t, c, func(e session.ScreenUpdated) bool {
		return c.g.TechnicianScreen(session.TechnicianID, func(f codec.Frame) {})
	})
	c.g.CloseTechnicianScreen(session.TechnicianID)
	h.loop.Until(t, 20*time.Second, "the viewer to say the customer closed it", func() bool {
		return v.shareBtn.Text == lang.L("viewer.share_screen") && !v.shareBtn.Disabled() &&
			v.status.Text == named("viewer.state.viewing")+" "+named("viewer.note.own_screen_closed")
	})
	// Again, then stopped here.
	test.Tap(v.shareBtn)
	waitCustomer(t, c, func(e session.TechnicianScreenChanged) bool { return e.On })
	h.loop.Until(t, 20*time.Second, "Stop sharing my screen", func() bool {
		return v.shareBtn.Text == lang.L("viewer.stop_share_screen")
	})
	test.Tap(v.shareBtn)
	waitCustomer(t, c, func(e session.TechnicianScreenChanged) bool { return !e.On && !e.ClosedByCustomer })
	h.loop.Until(t, 20*time.Second, "Share my screen again", func() bool {
		return v.shareBtn.Text == lang.L("viewer.share_screen") && v.status.Text == named("viewer.state.viewing")
	})
}

func TestShareMyScreenWithoutCaptureSaysWhy(t *testing.T) {
	h := testHome(t, "fr")
	h.opts.capture = func() (capture.Source, error) { return nil, fmt.Errorf("x11: %w", capture.ErrUnsupported) }
	joinSharing(t, h)
	v := h.cur().view
	test.Tap(v.shareBtn)
	want := named("viewer.state.viewing") + " " + lang.L("viewer.note.share_failed",
		map[string]any{"Reason": lang.L("error.capture_unsupported")})
	h.loop.Until(t, 20*time.Second, "the viewer to say the screen cannot be shared", func() bool {
		return v.status.Text == want && !v.shareBtn.Disabled()
	})
}

// joinThroughRelay presses New session and has the customer "Bob" join, sharing screen, through a relay that
// can cut the path; it waits for the viewer to show Bob's screen. Bob's events are read until the test ends.
func joinThroughRelay(t *testing.T, h *shown, screen capture.Source) (*relay.Relay, *viewer) {
	t.Helper()
	h.opts.idleTimeout = 600 * time.Millisecond // a cut connection counts as dropped soon
	var path *relay.Relay
	joinVia(t, h, screen, func(addr string) string {
		path = relay.New(t, addr)
		return path.Addr()
	}, func(cfg *session.GuestConfig) { cfg.IdleTimeout = 600 * time.Millisecond })
	return path, h.cur().view
}

func TestViewerShowsReconnecting(t *testing.T) {
	h := testHome(t, "en")
	path, v := joinThroughRelay(t, h, capture.NewPattern())

	path.Cut(true)
	h.loop.Until(t, 20*time.Second, "the viewer to say it is reconnecting", func() bool {
		return v.status.Text == named("viewer.state.reconnecting")
	})
	if v.overText.Text != v.status.Text || !v.viewBtn.Disabled() || !v.controlBtn.Disabled() || !v.shareBtn.Disabled() ||
		v.endBtn.Disabled() || h.cur().status.Text != v.status.Text {
		t.Fatal("reconnecting: the state is not over the picture, or buttons other than End session are on")
	}
	path.Cut(false)
	h.loop.Until(t, 20*time.Second, "the picture again", func() bool {
		return v.status.Text == named("viewer.state.viewing")
	})
	if h.cur().status.Text != named("expert.reconnected") {
		t.Fatalf("home status %q", h.cur().status.Text)
	}
}

func TestViewerChat(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	v := h.cur().view
	if v.chat.Visible() {
		t.Fatal("the chat pane should start closed")
	}
	if _, err := c.g.SendChat("My printer says <offline>."); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the chat pane to open with the customer's message", func() bool {
		return v.chat.Visible() && len(v.chat.Messages()) == 1
	})
	if m := v.chat.Messages()[0]; m.Name != "Bob" || m.Text != "My printer says <offline>." {
		t.Fatalf("shown %+v", m)
	}
	test.Type(v.chat.Field(), "Let me look.")
	test.Tap(v.chat.SendBtn)
	got := waitCustomer(t, c, func(session.ChatReceived) bool { return true }).Message
	if got.Text != "Let me look." || got.Name != "Alice" {
		t.Fatalf("the customer got %+v", got)
	}
	h.loop.Until(t, 20*time.Second, "delivered", func() bool {
		msgs := v.chat.Messages()
		return len(msgs) == 2 && msgs[1].Delivered
	})
	// Closing and reopening the viewer keeps the log and the open pane.
	v.win.Close()
	h.loop.Drain()
	test.Tap(h.cur().showViewer)
	if v.chat == nil || !v.chat.Visible() || len(v.chat.Messages()) != 2 {
		t.Fatal("the reopened viewer lost the chat")
	}
}

func TestViewerFilesBothWays(t *testing.T) {
	portal := portaltest.Start(t)
	h := testHome(t, "en")
	c := joinSharing(t, h)
	v := h.cur().view
	into := t.TempDir()
	h.prefs.AskWhere, h.prefs.DownloadDir = false, into // the preferences' folder, without asking

	src := filepath.Join(t.TempDir(), "crash.log")
	if err := os.WriteFile(src, []byte("panic: printer on fire"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.g.Files().Send(src); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the incoming offer question", func() bool {
		top := v.win.Canvas().Overlays().Top()
		return top != nil && len(v.offers) == 1
	})
	uitest.Answer(t, v.win, lang.L("transfers.save"))
	var in transfer.ID
	for _, id := range v.list.IDs() {
		in = id
	}
	h.loop.Until(t, 20*time.Second, "the file to arrive", func() bool {
		return v.list.State(in) == lang.L("transfers.completed", map[string]any{"Count": 1})
	})
	if got, err := os.ReadFile(filepath.Join(into, "crash.log")); err != nil || string(got) != "panic: printer on fire" {
		t.Fatalf("received %q (%v)", got, err)
	}

	// To the customer, picked in the desktop's own dialog (a stand-in portal answers as a person would).
	fix := filepath.Join(t.TempDir(), "fix.reg")
	if err := os.WriteFile(fix, []byte("REGEDIT4"), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Tap(v.filesBtn)
	menu := uitest.PopUpMenu(v.win)
	if menu == nil {
		t.Fatal("File transfer opens no menu")
	}
	v.win.Canvas().Overlays().Top().Hide()
	v.pickFiles(false)
	call := portal.Next(t, 10*time.Second)
	if call.Title != "Send files to Bob…" || !call.Multiple {
		t.Fatalf("the dialog was asked as %+v", call)
	}
	call.Answer(t, fix)
	h.loop.Until(t, 20*time.Second, "the files to be offered", func() bool { return len(v.list.IDs()) == 2 })
	offer := waitCustomer(t, c, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if err := c.g.Files().Accept(offer.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	out := transfer.ID{Dir: transfer.Outgoing, N: offer.ID.N}
	h.loop.Until(t, 20*time.Second, "the customer to have it", func() bool {
		return v.list.State(out) == lang.L("transfers.completed", map[string]any{"Count": 1})
	})
	// Asked where to save: Save, then the desktop's folder dialog.
	h.prefs.AskWhere = true
	if _, err := c.g.Files().Send(src); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the second offer", func() bool { return len(v.offers) == 1 })
	uitest.Answer(t, v.win, lang.L("transfers.save"))
	call = portal.Next(t, 10*time.Second)
	if !call.Directory || call.Accept != "Save here" {
		t.Fatalf("the folder dialog was asked as %+v", call)
	}
	chosen := t.TempDir()
	call.Answer(t, chosen)
	h.loop.Until(t, 20*time.Second, "the file in the folder chosen", func() bool {
		got, err := os.ReadFile(filepath.Join(chosen, "crash.log"))
		return err == nil && string(got) == "panic: printer on fire"
	})
	// Both are in the history, with their hashes.
	h.loop.Until(t, 20*time.Second, "the history", func() bool {
		s, err := h.opts.store.LoadSession(t.Context(), v.rec.session())
		if err != nil || len(s.Transfers) != 3 {
			return false
		}
		for _, tr := range s.Transfers {
			if tr.SHA256 == "" || tr.Outcome != protocol.NoError {
				return false
			}
		}
		return true
	})
}

// allowControl has the customer say Yes to the control request on its way, and waits for the viewer to know.
func allowControl(t *testing.T, h *shown, c *customerSide) {
	t.Helper()
	ask := waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := c.g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	v := h.cur().view
	h.loop.Until(t, 20*time.Second, "control to be granted", func() bool {
		return v.controlBtn.Text == lang.L("viewer.release_control")
	})
}

func TestViewerCtrlAltDel(t *testing.T) {
	for _, passes := range []bool{true, false} {
		t.Run(fmt.Sprintf("passes=%v", passes), func(t *testing.T) {
			h := testHome(t, "en")
			c := joinSharingScreen(t, h, capture.NewPattern(), func(cfg *session.GuestConfig) { cfg.CtrlAltDel = passes })
			v := h.cur().view
			if v.cadBtn.Visible() {
				t.Fatal("Ctrl+Alt+Del offered without control")
			}
			test.Tap(v.controlBtn)
			allowControl(t, h, c)
			if !v.cadBtn.Visible() {
				t.Fatal("no Ctrl+Alt+Del under control")
			}
			test.Tap(v.cadBtn)
			if !passes {
				// Nothing is typed; the technician is told why, in words.
				if d := uitest.FindLabel(v.win.Canvas().Overlays().Top(), named("viewer.ctrl_alt_del_unavailable")); d == nil {
					t.Fatal("no explanation when the customer's system does not take Ctrl+Alt+Del")
				}
				test.Tap(v.controlBtn) // release: what was sent before it has arrived by then
				waitCustomer(t, c, func(e session.ControlChanged) bool { return !e.Granted })
				if n := len(c.rec.Events()); n != 0 {
					t.Fatalf("%d input events reached a customer whose system does not take Ctrl+Alt+Del", n)
				}
				return
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			got, err := c.rec.Wait(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			want := []input.Event{
				{Kind: input.KindKeyDown, Key: "delete", Mods: input.ModCtrl | input.ModAlt},
				{Kind: input.KindKeyUp, Key: "delete", Mods: input.ModCtrl | input.ModAlt},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the customer's computer got %v, want %v", got, want)
			}
		})
	}
}

func TestDroppedFilesGoToTheCustomerTogether(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	dir := t.TempDir()
	var uris []fyne.URI
	for _, name := range []string{"driver.zip", "notes.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		uris = append(uris, storage.NewFileURI(p))
	}
	h.cur().view.dropped(uris)
	offer := waitCustomer(t, c, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if len(offer.Files) != 2 || offer.Files[0].Name != "driver.zip" || offer.Files[1].Name != "notes.txt" {
		t.Fatalf("the customer was offered %+v", offer.Files)
	}
}

// joinOverSlowLink has Bob join through a relay that is a slow link both ways, and returns the viewer.
func joinOverSlowLink(t *testing.T, h *shown, screen capture.Source, link relay.Link) *viewer {
	t.Helper()
	joinVia(t, h, screen, func(addr string) string {
		r := relay.New(t, addr)
		r.SetLinks(link, link)
		return r.Addr()
	})
	return h.cur().view
}

// Over a slow link, a screen whose exact picture takes seconds first shows coarse, and the viewer says it is
// sharpening; then the picture is exact, bit for bit, and the viewer says so.
func TestViewerSaysThePictureSharpens(t *testing.T) {
	h := testHome(t, "en")
	grain := capture.NewGrain(640, 400)
	v := joinOverSlowLink(t, h, grain, relay.Link{Rate: 4_000_000, Delay: 20 * time.Millisecond})
	if !strings.HasSuffix(v.route.Text, " · sharpening…") {
		t.Fatalf("with the coarse preview shown, the viewer says %q", v.route.Text)
	}
	h.loop.Until(t, 20*time.Second, "the exact picture", func() bool {
		return strings.HasSuffix(v.route.Text, " · exact picture")
	})
	// The line reads the session's state, which can say exact a moment before the widget has painted the
	// exact frame: the pixels must follow.
	f := grain.Frame()
	h.loop.Until(t, 20*time.Second, "the exact pixels on screen", func() bool {
		img := shownImage(t, v)
		for _, p := range []image.Point{{0, 0}, {321, 17}, {639, 399}} {
			i := p.Y*f.Stride + 4*p.X
			if img.RGBAAt(p.X, p.Y) != (color.RGBA{R: f.Pix[i+2], G: f.Pix[i+1], B: f.Pix[i], A: 255}) {
				return false
			}
		}
		return true
	})
}

// A video playing on the customer's screen over a slow link: with Prefer speed (the default) the viewer says
// that the moving video is lossy; Prefer quality, chosen in the viewer's list, makes every picture exact again
// and is kept for the next sessions; and once the video stops, the picture is the customer's screen bit for bit.
func TestViewerPreferSpeedOrQuality(t *testing.T) {
	if !session.LossyVideo() {
		t.Skip("this build has no VP8: TestViewerSaysThePictureSharpens covers the exact pictures")
	}
	h := testHome(t, "en")
	if loadPrefs(h.app.Preferences(), "").PreferQuality {
		t.Fatal("Prefer quality is the default: a slow link would show a playing video at a few frames a second")
	}
	movie := capture.NewMovie()
	v := joinOverSlowLink(t, h, movie, relay.Link{Rate: 4_000_000, Delay: 20 * time.Millisecond})
	if v.qualitySel.Selected != "Prefer quality" || v.qualitySel.Disabled() { // testHome's choice
		t.Fatalf("the viewer's quality list shows %q (disabled %v)", v.qualitySel.Selected, v.qualitySel.Disabled())
	}
	v.qualitySel.SetSelected("Prefer speed")
	if v.host.PreferQuality() || loadPrefs(h.app.Preferences(), "").PreferQuality {
		t.Fatal("Prefer speed was neither applied to the session nor kept")
	}
	h.loop.Until(t, 30*time.Second, "the moving video shown lossy", func() bool {
		return strings.HasSuffix(v.route.Text, " · moving video lossy")
	})

	v.qualitySel.SetSelected("Prefer quality")
	h.loop.Until(t, 30*time.Second, "exact pictures again", func() bool {
		return !strings.HasSuffix(v.route.Text, " · moving video lossy")
	})
	if !v.host.PreferQuality() || !loadPrefs(h.app.Preferences(), "").PreferQuality {
		t.Fatal("Prefer quality was neither applied to the session nor kept")
	}

	movie.Pause()
	h.loop.Until(t, 30*time.Second, "the exact picture", func() bool {
		return strings.HasSuffix(v.route.Text, " · exact picture")
	})
	h.loop.Until(t, 30*time.Second, "the paused video, bit for bit", func() bool {
		img, f := shownImage(t, v), movie.Last()
		for _, p := range []image.Point{{0, 0}, capture.MoviePlayer.Min, {300, 200}, {447, 303}, {639, 399}} {
			i := p.Y*f.Stride + 4*p.X
			if img.RGBAAt(p.X, p.Y) != (color.RGBA{R: f.Pix[i+2], G: f.Pix[i+1], B: f.Pix[i], A: 255}) {
				return false
			}
		}
		return true
	})
}

// TestViewerSaysTheComputerCannotShare: a customer whose system gave no screen (a refusal in a Wayland
// desktop's own window) is not "saying no": the viewer says that the computer cannot share its screen.
func TestViewerSaysTheComputerCannotShare(t *testing.T) {
	h := testHome(t, "fr")
	test.Tap(h.newSession)
	if _, err := joinAs(t, h.cur().link.Text, "Bob"); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "a viewer window", func() bool { return h.cur().view != nil && h.cur().view.win != nil })
	v := h.cur().view
	if v.status.Text != named("viewer.state.view_unavailable") && !v.viewBtn.Disabled() {
		test.Tap(v.viewBtn)
	}
	h.loop.Until(t, 20*time.Second, "the viewer to say the computer cannot share", func() bool {
		return v.status.Text == named("viewer.state.view_unavailable")
	})
}
