package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/picker/portaltest"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport/relay"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// inSession is a toolbar joined to a real technician on loopback, sharing a synthetic screen and injecting
// into a recorder.
type inSession struct {
	*shown
	h   *session.Host
	rec *input.Recorder
}

// joinLive joins a technician with the toolbar; opts may set the consent timeout.
func joinLive(t *testing.T, language string, opts options) *inSession {
	t.Helper()
	h := technician(t)
	rec := input.NewRecorder()
	opts.name, opts.screen, opts.injector = "Bob", capture.NewPattern(), rec
	tb := testToolbar(t, language, opts)
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	waitHost(t, h, func(session.Joined) bool { return true })
	return &inSession{shown: tb, h: h, rec: rec}
}

// waitHost returns the technician's first event of type E that ok accepts, skipping the others.
func waitHost[E session.Event](t *testing.T, h *session.Host, ok func(E) bool) E {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, open := <-h.Events():
			if !open {
				t.Fatalf("technician's events ended while waiting for %T", *new(E))
			}
			if e, is := e.(E); is && ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("technician saw no %T", *new(E))
		}
	}
}

// until runs the toolbar's callbacks until cond holds.
func (s *inSession) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	s.loop.Until(t, 20*time.Second, what, cond)
}

// untilIndicator waits for the indicator to say want.
func (s *inSession) untilIndicator(t *testing.T, want string) {
	t.Helper()
	s.until(t, fmt.Sprintf("the indicator to say %q (it says %q)", want, s.indicatorText()),
		func() bool { return s.indicatorText() == want })
}

// untilDialog waits for a dialog whose text is question.
func (s *inSession) untilDialog(t *testing.T, question string) {
	t.Helper()
	s.until(t, "a dialog asking "+question, func() bool {
		top := s.win.Canvas().Overlays().Top()
		return top != nil && strings.Contains(strings.Join(labels(top), "\n"), question)
	})
}

// labels returns the texts of the labels under o.
func labels(o fyne.CanvasObject) []string {
	switch o := o.(type) {
	case *widget.Label:
		return []string{o.Text}
	case *fyne.Container:
		var out []string
		for _, c := range o.Objects {
			out = append(out, labels(c)...)
		}
		return out
	case fyne.Widget:
		var out []string
		for _, c := range test.WidgetRenderer(o).Objects() {
			out = append(out, labels(c)...)
		}
		return out
	}
	return nil
}

// pressShortcut types sc on w as the desktop driver does: to the focused widget if it takes shortcuts, else
// to the window's canvas.
func pressShortcut(w fyne.Window, sc fyne.Shortcut) {
	if f, ok := w.Canvas().Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(sc)
		return
	}
	w.Canvas().(fyne.Shortcutable).TypedShortcut(sc)
}

// ctrlShiftT is what the desktop driver reports for Ctrl+Shift+T (⇧⌘T on macOS).
var ctrlShiftT = &desktop.CustomShortcut{KeyName: fyne.KeyT,
	Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}

// grantControl has the technician ask for control and the customer say Yes.
func (s *inSession) grantControl(t *testing.T) {
	t.Helper()
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, lang.L("customer.control_question", map[string]any{"Name": "Alice", "Shortcut": shortcutText()}))
	uitest.Answer(t, s.win, lang.L("Yes"))
	waitHost(t, s.h, func(e session.ControlChanged) bool { return e.Granted })
	s.untilIndicator(t, lang.L("customer.controlling", map[string]any{"Name": "Alice"}))
	if s.takeBackBtn.Disabled() || s.stopBtn.Disabled() {
		t.Fatal("while controlled, Take back control or Stop screen sharing is greyed out")
	}
}

func TestIndicatorShowsViewingAfterJoin(t *testing.T) {
	s := joinLive(t, "en", options{})
	if got, want := s.indicatorText(), "Alice is viewing your screen"; got != want {
		t.Fatalf("indicator %q, want %q", got, want)
	}
	if !s.indicator.Visible() || s.stopBtn.Disabled() || s.stopBtn.Hidden || !s.takeBackBtn.Disabled() {
		t.Fatal("in session: indicator hidden, Stop screen sharing greyed out, or Take back control enabled")
	}
	if s.notices.Visible() && len(s.notices.Objects) > 0 {
		t.Fatalf("a warning shows although sharing and control work: %v", labels(s.notices))
	}
	// The technician really sees the screen.
	waitHost(t, s.h, func(e session.SharingChanged) bool { return e.On })
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
}

func TestStopSharingGreysOutAndTechnicianSeesNothing(t *testing.T) {
	s := joinLive(t, "en", options{})
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
	test.Tap(s.stopBtn)
	if !s.stopBtn.Disabled() {
		t.Fatal("Stop screen sharing not greyed out at once")
	}
	waitHost(t, s.h, func(e session.SharingChanged) bool { return !e.On })
	s.untilIndicator(t, "Your screen is not shared")
	if s.guest.Sharing() || !s.stopBtn.Disabled() {
		t.Fatal("still sharing")
	}
	if want := lang.L("customer.sharing_stopped", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	test.Tap(s.stopBtn) // greyed out: nothing happens
	s.loop.Drain()
	if s.indicatorText() != "Your screen is not shared" {
		t.Fatal("tapping the greyed-out button changed something")
	}
}

func TestViewRequestNoThenYes(t *testing.T) {
	s := joinLive(t, "en", options{})
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true }) // else the technician never saw it start
	test.Tap(s.stopBtn)
	waitHost(t, s.h, func(e session.SharingChanged) bool { return !e.On })

	// No: the technician is told, and the screen stays private.
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to see your screen again. Allow?")
	uitest.Answer(t, s.win, lang.L("No"))
	ans := waitHost(t, s.h, func(session.ConsentAnswered) bool { return true })
	if ans.Granted || ans.Expired || ans.What != protocol.PermView {
		t.Fatalf("technician told %+v after No", ans)
	}
	if s.guest.Sharing() || s.win.Canvas().Overlays().Top() != nil {
		t.Fatal("sharing after No, or the dialog is still open")
	}
	if want := lang.L("customer.view_refused", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}

	// Yes: sharing again, and the toolbar says so.
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to see your screen again. Allow?")
	uitest.Answer(t, s.win, lang.L("Yes"))
	waitHost(t, s.h, func(e session.ConsentAnswered) bool { return e.Granted && e.What == protocol.PermView })
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
	s.untilIndicator(t, "Alice is viewing your screen")
	if s.stopBtn.Disabled() {
		t.Fatal("Stop screen sharing still greyed out while sharing again")
	}
}

func TestControlYesThenTakeBackWithButtonAndShortcut(t *testing.T) {
	s := joinLive(t, "en", options{})
	s.grantControl(t)
	if err := s.h.SendInput(&protocol.Text{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if got, err := s.rec.Wait(ctx, 1); err != nil || got[0] != (input.Event{Kind: input.KindType, Text: "hello"}) {
		t.Fatalf("injected %v, %v", got, err)
	}

	// The button.
	test.Tap(s.takeBackBtn)
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
	s.untilIndicator(t, "Alice is viewing your screen")
	if !s.takeBackBtn.Disabled() || s.guest.Controlled() {
		t.Fatal("still controlled after Take back control")
	}
	if want := lang.L("customer.control_taken_back", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	if err := s.h.SendInput(&protocol.Text{Text: "more"}); err == nil {
		t.Fatal("the technician can still send input")
	}

	// The shortcut, which the button names.
	if !strings.Contains(s.takeBackBtn.Text, "Ctrl+Shift+T") && !strings.Contains(s.takeBackBtn.Text, "⇧⌘T") {
		t.Fatalf("button %q does not name the shortcut", s.takeBackBtn.Text)
	}
	s.grantControl(t)
	pressShortcut(s.win, ctrlShiftT)
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
	s.untilIndicator(t, "Alice is viewing your screen")

	// The technician giving control back is said differently.
	s.grantControl(t)
	if err := s.h.ReleaseControl(); err != nil {
		t.Fatal(err)
	}
	s.untilIndicator(t, "Alice is viewing your screen")
	if want := lang.L("customer.control_released", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
}

func TestControlRefused(t *testing.T) {
	s := joinLive(t, "en", options{})
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to control your mouse and keyboard. Allow?")
	uitest.Answer(t, s.win, lang.L("No"))
	if ans := waitHost(t, s.h, func(session.ConsentAnswered) bool { return true }); ans.Granted || ans.What != protocol.PermControl {
		t.Fatalf("technician told %+v after No", ans)
	}
	if s.guest.Controlled() || s.indicatorText() != "Alice is viewing your screen" || !s.takeBackBtn.Disabled() {
		t.Fatal("controlled after No")
	}
}

func TestExpiredRequestClosesTheDialog(t *testing.T) {
	s := joinLive(t, "en", options{consentTimeout: time.Second})
	test.Tap(s.stopBtn)
	s.untilIndicator(t, "Your screen is not shared") // a request that comes first is granted at once
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to see your screen again. Allow?")
	s.until(t, "the dialog to close", func() bool { return s.win.Canvas().Overlays().Top() == nil })
	if want := "Alice asked to see your screen, but the request expired before you answered."; s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	if ans := waitHost(t, s.h, func(session.ConsentAnswered) bool { return true }); !ans.Expired || ans.Granted {
		t.Fatalf("technician told %+v", ans)
	}
	if s.guest.Sharing() {
		t.Fatal("an unanswered request started sharing")
	}
}

// Stopping sharing while the control question is on the screen withdraws it: the dialog closes, the status
// says that sharing stopped (not that the question expired), the technician is told, and nothing is granted.
func TestStoppingSharingWithdrawsTheControlQuestion(t *testing.T) {
	s := joinLive(t, "en", options{consentTimeout: time.Minute})
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to control your mouse and keyboard. Allow?")
	test.Tap(s.stopBtn)
	s.until(t, "the dialog to close", func() bool { return s.win.Canvas().Overlays().Top() == nil })
	if want := lang.L("customer.sharing_stopped", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	ans := waitHost(t, s.h, func(e session.ConsentAnswered) bool { return e.What == protocol.PermControl })
	if ans.Granted || !ans.Withdrawn {
		t.Fatalf("technician told %+v, want withdrawn", ans)
	}
	if s.guest.Controlled() || s.h.Controlling() || !s.takeBackBtn.Disabled() {
		t.Fatal("control granted after the question was withdrawn")
	}
}

func TestSessionEndingClosesTheQuestion(t *testing.T) {
	s := joinLive(t, "en", options{})
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice asks to control your mouse and keyboard. Allow?")
	s.h.End()
	s.waitState(t, stateEnded)
	if s.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the question outlived the session")
	}
	if s.indicator.Visible() || s.stopBtn.Visible() || s.takeBackBtn.Visible() || s.inStrip {
		t.Fatal("live controls still shown after the session")
	}
}

func TestWithoutScreenOrInputTheWindowSaysWhy(t *testing.T) {
	t.Setenv("DISPLAY", "")
	h := technician(t)
	tb := testToolbar(t, "en", options{name: "Bob",
		screenErr:   fmt.Errorf("capture: no usable back end: %w", capture.ErrUnsupported),
		injectorErr: fmt.Errorf("input: %w", input.ErrUnsupported)})
	s := &inSession{shown: tb, h: h}
	got := strings.Join(labels(tb.notices), "\n")
	// One reason for both: one sentence.
	if want := "Screen sharing and remote control cannot work on this computer: on Linux, Tandem needs a graphical desktop session (X11 or Wayland)."; got != want {
		t.Fatalf("notices %q, want %q", got, want)
	}
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	if tb.indicatorText() != "Your screen is not shared" || !tb.stopBtn.Disabled() {
		t.Fatalf("indicator %q", tb.indicatorText())
	}
	// Requests are refused by the engine without bothering the customer.
	if err := h.RequestView(); err != nil {
		t.Fatal(err)
	}
	if ans := waitHost(t, h, func(session.ConsentAnswered) bool { return true }); ans.Granted {
		t.Fatal("view granted without a screen")
	}
	s.loop.Drain()
	if tb.win.Canvas().Overlays().Top() != nil {
		t.Fatal("a question was put that cannot be granted")
	}
	// Other reasons are said in other words.
	if r := screenReason(fmt.Errorf("x: %w", capture.ErrNoMonitor)); r != lang.L("customer.why_no_monitor") {
		t.Fatalf("no monitor: %q", r)
	}
	if r := controlReason(fmt.Errorf("boom")); r != lang.L("customer.why_control") {
		t.Fatalf("other: %q", r)
	}
}

func TestFrenchLiveToolbar(t *testing.T) {
	s := joinLive(t, "fr", options{})
	for got, want := range map[string]string{
		s.indicatorText():  "Alice voit votre écran",
		s.stopBtn.Text:     "Arrêter le partage",
		s.takeBackBtn.Text: "Reprendre la main (" + shortcutText() + ")",
	} {
		if got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	}
	if lang.L("Yes") != "Oui" {
		t.Fatalf("Fyne's Yes is %q in French", lang.L("Yes"))
	}
	if err := s.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, "Alice demande à contrôler votre souris et votre clavier. L'autorisez-vous ?")
	uitest.Answer(t, s.win, lang.L("Yes"))
	s.untilIndicator(t, "Alice contrôle votre ordinateur")
	test.Tap(s.stopBtn)
	s.untilIndicator(t, "Votre écran n'est pas partagé")
	if !strings.HasPrefix(s.status.Text, "Vous avez arrêté le partage de votre écran") {
		t.Fatalf("status %q", s.status.Text)
	}
	waitHost(t, s.h, func(e session.ControlChanged) bool { return !e.Granted })
}

// TestRenderLiveToolbar draws the toolbar in its states with the default theme; with TANDEM_SHOTS=DIR it saves
// them as DIR/customer-live-LANG-STATE.png for a person to look at.
func TestRenderLiveToolbar(t *testing.T) {
	dir := os.Getenv("TANDEM_SHOTS")
	for _, language := range []string{"en", "fr"} {
		t.Run(language, func(t *testing.T) {
			s := joinLive(t, language, options{})
			s.app.Settings().SetTheme(theme.DefaultTheme())
			save := func(name string) {
				t.Helper()
				s.win.Content().Refresh()
				img := s.win.Canvas().Capture()
				if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 40 {
					t.Fatalf("%s: captured %v", name, b)
				}
				if dir == "" {
					return
				}
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("customer-live-%s-%s.png", language, name)))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
			}
			save("viewing")
			if err := s.h.RequestControl(); err != nil {
				t.Fatal(err)
			}
			s.untilDialog(t, lang.L("customer.control_question", map[string]any{"Name": "Alice", "Shortcut": shortcutText()}))
			save("asked")
			uitest.Answer(t, s.win, lang.L("Yes"))
			s.untilIndicator(t, lang.L("customer.controlling", map[string]any{"Name": "Alice"}))
			save("controlled")
			test.Tap(s.stopBtn)
			s.untilIndicator(t, lang.L("customer.not_shared"))
			save("stopped")
		})
	}
	t.Run("unavailable", func(t *testing.T) {
		t.Setenv("DISPLAY", "")
		tb := testToolbar(t, "fr", options{screenErr: capture.ErrUnsupported, injectorErr: input.ErrUnsupported})
		tb.app.Settings().SetTheme(theme.DefaultTheme())
		img := tb.win.Canvas().Capture()
		if dir != "" {
			f, err := os.Create(filepath.Join(dir, "customer-live-fr-unavailable.png"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestTechnicianPausingViewingIsShownAndStopStaysAvailable(t *testing.T) {
	s := joinLive(t, "en", options{})
	waitHost(t, s.h, func(session.ScreenUpdated) bool { return true })
	if err := s.h.StopViewing(); err != nil {
		t.Fatal(err)
	}
	s.untilIndicator(t, lang.L("customer.paused", map[string]any{"Name": "Alice"}))
	if s.stopBtn.Disabled() {
		t.Fatal("paused by the technician: the customer can no longer stop sharing")
	}
	// Stopping now withdraws the permission: Start viewing then needs the customer's Yes.
	test.Tap(s.stopBtn)
	s.untilIndicator(t, lang.L("customer.not_shared"))
	if err := s.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, lang.L("customer.view_question", map[string]any{"Name": "Alice"}))
}

func TestTechnicianScreenWindow(t *testing.T) {
	s := joinLive(t, "fr", options{})
	if err := s.h.ShareScreen(capture.NewPattern(image.Rect(0, 0, 200, 100)), 0); err != nil {
		t.Fatal(err)
	}
	s.until(t, "the technician's screen window with a picture", func() bool {
		if s.screenOf(0) == nil {
			return false
		}
		w, h := s.screenOf(0).screen.FrameSize()
		return w == 200 && h == 100
	})
	ts := s.screenOf(0)
	if want := "Écran de Alice — Tandem"; ts.win.Title() != want {
		t.Fatalf("window title %q, want %q", ts.win.Title(), want)
	}
	// It only shows: nothing typed or clicked in it is turned into input.
	if ts.screen.OnInput != nil {
		t.Fatal("the technician's screen window forwards input")
	}
	if s.screenOf(0).stop.Text != lang.L("customer.stop_sharing") || s.screenOf(0).stop.Disabled() {
		t.Fatal("the window's Stop screen sharing is missing or off")
	}
	// Under the note, a line says how the link to the technician goes and how exact the picture is; the rate
	// comes once measured.
	s.until(t, "the link's line with its rate", func() bool {
		return strings.HasPrefix(ts.state.Text, "Connexion directe · ") && strings.HasSuffix(ts.state.Text, "\u00a0ms · image exacte") &&
			strings.Contains(ts.state.Text, "bit/s")
	})
	// The customer chooses between speed (the default) and quality for the technician's screen, and the
	// choice is kept for the next sessions.
	if session.LossyVideo() {
		if got := ts.quality.Selected; got != "Priorité fluidité" {
			t.Fatalf("the quality list shows %q, want Priorité fluidité", got)
		}
		ts.quality.SetSelected("Priorité qualité")
		s.until(t, "the session to prefer quality", func() bool { return s.guest.PreferQuality() })
		if !s.app.Preferences().Bool(preferQualityKey) {
			t.Fatal("the choice of quality is not kept")
		}
	} else if !ts.quality.Disabled() || ts.quality.PlaceHolder != lang.L("customer.quality_no_video") {
		t.Fatal("without a video decoder, the quality list is not disabled with its reason")
	}
	// Its Chat and File transfers buttons open the toolbar's.
	test.Tap(ts.chat)
	if !s.chat.Visible() {
		t.Fatal("Chat in the technician's screen window did not open the chat")
	}
	test.Tap(ts.files)
	if uitest.PopUpMenu(ts.win) == nil {
		t.Fatal("File transfer in the technician's screen window opens no menu")
	}
	ts.win.Canvas().Overlays().Top().Hide()
	menuItem(t, s.filesMenu(ts.win.Canvas(), ts.files), lang.L("transfers.display_status")).Action()
	if s.files.listWin == nil {
		t.Fatal("File transfers in the technician's screen window did not open the status")
	}
	// Closing it tells the technician; the session goes on.
	ts.win.Close()
	waitHost(t, s.h, func(e session.TechnicianScreenChanged) bool { return !e.On && e.ClosedByCustomer })
	if s.screenOf(0) != nil || s.guest == nil {
		t.Fatal("closing the technician's screen ended more than the window")
	}
	// Shared again, then stopped by the technician: the window goes away by itself.
	if err := s.h.ShareScreen(capture.NewPattern(), 0); err != nil {
		t.Fatal(err)
	}
	s.until(t, "the window again", func() bool { return s.screenOf(0) != nil })
	s.h.StopSharingScreen()
	s.until(t, "the window to close", func() bool { return s.screenOf(0) == nil })
	if s.guest == nil {
		t.Fatal("the session ended with the technician's screen sharing")
	}
}

func TestDroppedConnectionIsShownAndComesBack(t *testing.T) {
	h := technicianWith(t, session.HostConfig{IdleTimeout: 600 * time.Millisecond})
	path := relay.New(t, h.Link().Addr)
	tb := testToolbar(t, "en", options{name: "Bob", screen: capture.NewPattern(), injector: input.NewRecorder(),
		idleTimeout: 600 * time.Millisecond})
	test.Type(tb.keyEntry, session.Link{Addr: path.Addr(), Key: h.Link().Key}.String())
	tb.waitState(t, stateJoined)
	s := &inSession{shown: tb, h: h}
	waitHost(t, h, func(session.ScreenUpdated) bool { return true })

	path.Cut(true)
	s.untilIndicator(t, lang.L("customer.reconnecting", map[string]any{"Name": "Alice"}))
	if want := lang.L("customer.reconnecting_status", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	path.Cut(false)
	s.untilIndicator(t, "Alice is viewing your screen")
	if want := lang.L("customer.reconnected", map[string]any{"Name": "Alice"}); s.status.Text != want {
		t.Fatalf("status %q, want %q", s.status.Text, want)
	}
	waitHost(t, h, func(session.Reconnected) bool { return true })
	waitHost(t, h, func(session.ScreenUpdated) bool { return true })
}

func TestChatOpensOnAMessageAndKeepsTheLog(t *testing.T) {
	s := joinLive(t, "en", options{})
	if s.chat.Visible() || !s.chatBtn.Visible() {
		t.Fatal("the chat pane should start closed, with its button")
	}
	if _, err := s.h.SendChat("Hello Bob, I am looking at the printer settings."); err != nil {
		t.Fatal(err)
	}
	s.until(t, "the chat pane to open with the message", func() bool {
		return s.chat.Visible() && len(s.chat.Messages()) == 1
	})
	if m := s.chat.Messages()[0]; m.Name != "Alice" || m.Outgoing {
		t.Fatalf("message shown %+v", m)
	}
	if s.win.Canvas().Focused() != s.chat.Field() {
		t.Fatal("the keyboard is not in the chat field")
	}
	test.Type(s.chat.Field(), "Thanks!")
	test.Tap(s.chat.SendBtn)
	got := waitHost(t, s.h, func(session.ChatReceived) bool { return true }).Message
	if got.Text != "Thanks!" || got.Name != "Bob" {
		t.Fatalf("the technician got %+v", got)
	}
	s.until(t, "the customer's message marked delivered", func() bool {
		msgs := s.chat.Messages()
		return len(msgs) == 2 && msgs[1].Delivered
	})
	// Collapsing and expanding keeps the log.
	test.Tap(s.chatBtn)
	if s.chat.Visible() {
		t.Fatal("the chat button did not collapse the pane")
	}
	test.Tap(s.chatBtn)
	if !s.chat.Visible() || len(s.chat.Messages()) != 2 {
		t.Fatal("the log was lost when the pane collapsed")
	}
	// While the screen is shared, the customer is told the technician sees what they type.
	if want := lang.L("customer.chat_note", map[string]any{"Name": "Alice"}); s.chat.Note() != want {
		t.Fatalf("chat note %q, want %q", s.chat.Note(), want)
	}
	test.Tap(s.stopBtn)
	s.until(t, "the note to go with the sharing", func() bool { return s.chat.Note() == "" })
}

// Files both ways, through the desktop's own file dialogs (a stand-in portal on a private bus answers them as a
// person would): several files sent at once, Save and a folder for the technician's, Decline, and Save then
// Cancel in the folder dialog.
func TestFilesBothWaysFromTheToolbar(t *testing.T) {
	portal := portaltest.Start(t)
	s := joinLive(t, "en", options{})
	if !s.files.menuBtn.Visible() || s.files.menuBtn.Text != "File transfer ▾" {
		t.Fatalf("File transfer button %q", s.files.menuBtn.Text)
	}
	test.Tap(s.files.menuBtn)
	if uitest.PopUpMenu(s.win) == nil {
		t.Fatal("File transfer opens no menu")
	}
	s.win.Canvas().Overlays().Top().Hide()
	menu := s.filesMenu(s.win.Canvas(), s.files.menuBtn)
	if len(menu.Items) != 3 || menu.Items[0].Label != "Send files to Alice…" || menu.Items[0].Disabled ||
		menu.Items[1].Label != "Send a folder to Alice…" || menu.Items[2].Label != "Display status" {
		t.Fatalf("File transfer menu: %v", labelsOf(menu))
	}
	s.win.Canvas().Overlays().Top().Hide()

	// To the technician: two files picked at once in the desktop's dialog go in one transfer.
	dir := t.TempDir()
	src, src2 := filepath.Join(dir, "journal.txt"), filepath.Join(dir, "écran d'erreur.png")
	for _, f := range []string{src, src2} {
		if err := os.WriteFile(f, []byte("the printer said E-42"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	menu.Items[0].Action()
	call := portal.Next(t, 10*time.Second)
	if call.Title != "Send files to Alice…" || !call.Multiple || call.Directory || call.Accept != "Send" {
		t.Fatalf("the dialog was asked as %+v", call)
	}
	call.Answer(t, src, src2)
	s.until(t, "the files to be sent", func() bool { return s.files.listWin != nil })
	offer := waitHost(t, s.h, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if len(offer.Files) != 2 {
		t.Fatalf("the technician was offered %d files", len(offer.Files))
	}
	into := t.TempDir()
	if err := s.h.Files().Accept(offer.ID, into); err != nil {
		t.Fatal(err)
	}
	out := transfer.ID{Dir: transfer.Outgoing, N: offer.ID.N}
	s.until(t, "the status window to say the files arrived", func() bool {
		return s.files.listWin != nil && s.files.list.State(out) == lang.L("transfers.completed_many", map[string]any{"Count": 2})
	})
	if got, err := os.ReadFile(filepath.Join(into, "écran d'erreur.png")); err != nil || string(got) != "the printer said E-42" {
		t.Fatalf("the technician got %q (%v)", got, err)
	}

	// From the technician: Incoming files… Save, then the folder in the desktop's dialog.
	driver := filepath.Join(t.TempDir(), "driver.zip")
	if err := os.WriteFile(driver, []byte("PK..."), 0o600); err != nil {
		t.Fatal(err)
	}
	question := lang.L("transfers.incoming", map[string]any{"Name": "Alice", "What": "driver.zip", "Size": "5\u00a0B"})
	if _, err := s.h.Files().Send(driver); err != nil {
		t.Fatal(err)
	}
	s.untilDialog(t, question)
	uitest.Answer(t, s.win, "Save")
	call = portal.Next(t, 10*time.Second)
	if call.Multiple || !call.Directory || call.Accept != "Save here" {
		t.Fatalf("the folder dialog was asked as %+v", call)
	}
	mine := t.TempDir()
	call.Answer(t, mine)
	s.until(t, "the status window", func() bool { return s.files.listWin != nil && incoming(s.files.list) != (transfer.ID{}) })
	in := incoming(s.files.list)
	s.until(t, "the technician's file to arrive", func() bool {
		return s.files.list.State(in) == lang.L("transfers.completed", map[string]any{"Count": 1})
	})
	if got, err := os.ReadFile(filepath.Join(mine, "driver.zip")); err != nil || string(got) != "PK..." {
		t.Fatalf("the customer got %q (%v)", got, err)
	}

	// Decline, and Save then Cancel in the folder dialog: both refuse the files.
	for _, how := range []string{"decline", "cancel"} {
		declined, err := s.h.Files().Send(driver)
		if err != nil {
			t.Fatal(err)
		}
		s.untilDialog(t, question)
		if how == "decline" {
			uitest.Answer(t, s.win, "Decline")
		} else {
			uitest.Answer(t, s.win, "Save")
			portal.Next(t, 10*time.Second).Cancel(t)
		}
		// The customer's list says so (and running the UI's callbacks meanwhile lets the answer go out).
		s.until(t, "the list to say the files did not come", func() bool {
			return strings.HasPrefix(s.files.list.State(transfer.ID{Dir: transfer.Incoming, N: declined.N}), "Not transferred")
		})
		fin := waitHost(t, s.h, func(e session.FileTransfer) bool {
			f, ok := e.Event.(transfer.Finished)
			return ok && f.ID == declined
		}).Event.(transfer.Finished)
		if protocol.CodeOf(fin.Err) != protocol.Refused {
			t.Fatalf("%s: %v", how, fin.Err)
		}
	}
}

// menuItem returns the item of m labelled label.
func menuItem(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no %q in the menu %v", label, labelsOf(m))
	return nil
}

func labelsOf(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.Label)
	}
	return out
}

// The language picked in the window applies at once (the window is built again in it, keeping what was
// typed) and is kept for the next start; "the system's" goes back to the system's language.
func TestLanguageChoiceAppliesAtOnce(t *testing.T) {
	tb := testToolbar(t, "en", options{name: "Bob"})
	if tb.langSel.SelectedIndex() > 0 {
		t.Fatalf("a fresh program chose %q", tb.langSel.Selected)
	}
	test.Type(tb.keyEntry, "123 45")
	tb.langSel.SetSelectedIndex(2)
	if got := tb.app.Preferences().String(languagePref); got != "fr" {
		t.Fatalf("kept %q, want fr", got)
	}
	if tb.joinBtn.Text != "Rejoindre" || tb.win.Title() != "Tandem Customer" || tb.langSel.Selected != "Français" ||
		tb.keyEntry.Text != "123 45" || tb.nameEntry.Text != "Bob" {
		t.Fatalf("after choosing Français: Join %q, language %q, key %q, name %q", tb.joinBtn.Text, tb.langSel.Selected,
			tb.keyEntry.Text, tb.nameEntry.Text)
	}
	tb.langSel.SetSelectedIndex(1)
	if tb.joinBtn.Text != "Join" || tb.app.Preferences().String(languagePref) != "en" {
		t.Fatalf("after choosing English: Join %q", tb.joinBtn.Text)
	}
}

func TestDroppedFilesGoToTheTechnicianTogether(t *testing.T) {
	s := joinLive(t, "en", options{})
	dir := t.TempDir()
	var uris []fyne.URI
	for _, name := range []string{"journal.txt", "capture d'écran.png"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		uris = append(uris, storage.NewFileURI(p))
	}
	web, err := storage.ParseURI("https://example.com/page.html") // dragged from a browser: not a file here
	if err != nil {
		t.Fatal(err)
	}
	s.dropped(append(uris, web))
	offer := waitHost(t, s.h, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	var got []string
	for _, f := range offer.Files {
		got = append(got, f.Name)
	}
	slices.Sort(got)
	if want := []string{"capture d'écran.png", "journal.txt"}; !slices.Equal(got, want) {
		t.Fatalf("the technician was offered %v, want %v in one transfer", got, want)
	}
	if s.files.listWin == nil {
		t.Fatal("the status window did not open")
	}
}

// incoming returns the transfer the status window lists as coming in (the last one when there are several).
func incoming(l *ui.TransferList) transfer.ID {
	var in transfer.ID
	for _, id := range l.IDs() {
		if id.Dir == transfer.Incoming {
			in = id
		}
	}
	return in
}
