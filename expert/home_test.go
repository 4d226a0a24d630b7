package main

import (
	"context"
	"image"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// shown is a home window on a test app with the session events it has shown, in order.
type shown struct {
	*home
	loop   *uitest.Loop
	events []session.Event
	seen   int // events already returned by waitEvent
}

// testHome builds the real home window on a test app, its UI callbacks run by the test goroutine.
func testHome(t *testing.T, language string) *shown {
	t.Helper()
	if err := i18n.Register(language); err != nil {
		t.Fatal(err)
	}
	if language != "en" {
		t.Cleanup(func() { _ = i18n.Register("en") })
	}
	s := &shown{loop: uitest.NewLoop()}
	s.home = newHome(test.NewTempApp(t), options{do: s.loop.Do, listen: "127.0.0.1:0", advertise: "127.0.0.1",
		name: "Alice", onEvent: func(e session.Event) { s.events = append(s.events, e) },
		capture: func() (capture.Source, error) { return capture.NewPattern(image.Rect(0, 0, 200, 100)), nil },
		store:   testStore(t)})
	t.Cleanup(s.shutdown)
	return s
}

// waitEvent runs the window's callbacks until it has shown a session event not returned yet, and returns it.
func (s *shown) waitEvent(t *testing.T) session.Event {
	t.Helper()
	n := s.seen
	s.loop.Until(t, 20*time.Second, "a session event", func() bool { return len(s.events) > n })
	s.seen++
	return s.events[n]
}

func joinAs(t *testing.T, link string, name string) (*session.Guest, error) {
	t.Helper()
	lk, err := session.ParseLink(link)
	if err != nil {
		t.Fatalf("the window shows a join link that does not parse: %q: %v", link, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	g, err := session.Join(ctx, lk, session.GuestConfig{Name: name})
	if err == nil {
		t.Cleanup(g.End)
	}
	return g, err
}

func TestNewSessionShowsKeyAndCustomerJoins(t *testing.T) {
	h := testHome(t, "en")
	if h.card.Visible() || !h.endSession.Disabled() {
		t.Fatal("a session card before New session")
	}
	test.Tap(h.newSession)
	if !h.card.Visible() || !h.newSession.Disabled() || h.endSession.Disabled() {
		t.Fatal("New session did not show the session")
	}
	key, err := transport.ParseSupportKey(h.keyText.Text)
	if err != nil || h.keyText.Text != transport.FormatSupportKey(key) {
		t.Fatalf("key shown as %q", h.keyText.Text)
	}
	if !strings.Contains(h.linkEntry.Text, "key="+key) {
		t.Fatalf("join link %q does not carry the key %s", h.linkEntry.Text, key)
	}
	if !strings.HasPrefix(h.expiry.Text, "Expires in 9:") && h.expiry.Text != "Expires in 10:00" {
		t.Fatalf("expiry shown as %q", h.expiry.Text)
	}
	test.Tap(h.copyKey)
	if got := fyne.CurrentApp().Clipboard().Content(); got != transport.FormatSupportKey(key) {
		t.Fatalf("Copy key put %q on the clipboard", got)
	}
	test.Tap(h.copyLink)
	if got := fyne.CurrentApp().Clipboard().Content(); got != h.linkEntry.Text {
		t.Fatalf("Copy link put %q on the clipboard", got)
	}

	g, err := joinAs(t, h.linkEntry.Text, "Bob")
	if err != nil {
		t.Fatalf("customer could not join the key shown: %v", err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined")
	}
	if !strings.Contains(h.status.Text, "Bob joined") || h.card.Visible() {
		t.Fatalf("status %q after the customer joined", h.status.Text)
	}

	// End session asks first; No keeps the session, Yes ends it for the customer too.
	test.Tap(h.endSession)
	uitest.Answer(t, h.win, lang.L("No"))
	if h.host == nil {
		t.Fatal("No ended the session")
	}
	test.Tap(h.endSession)
	uitest.Answer(t, h.win, lang.L("Yes"))
	if _, ok := h.waitEvent(t).(session.Ended); !ok {
		t.Fatal("want Ended")
	}
	if h.status.Text != lang.L("expert.ended_by_you") || h.newSession.Disabled() {
		t.Fatalf("status %q after ending", h.status.Text)
	}
	select {
	case e := <-g.Events():
		if end, ok := e.(session.Ended); !ok || protocol.CodeOf(end.Err) != protocol.SessionEnded {
			t.Fatalf("customer got %#v", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("customer was not told")
	}
}

func TestWrongKeyAttemptIsShown(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.newSession)
	lk, _ := session.ParseLink(h.linkEntry.Text)
	wrong := "111111111"
	if lk.Key == wrong {
		wrong = "222222222"
	}
	lk.Key = wrong
	if _, err := joinAs(t, lk.String(), "Mallory"); protocol.CodeOf(err) != protocol.WrongKey {
		t.Fatalf("join with a wrong key: %v", err)
	}
	if _, ok := h.waitEvent(t).(session.AttemptRefused); !ok {
		t.Fatal("want AttemptRefused")
	}
	want := lang.L("expert.attempt_refused", map[string]any{"Reason": lang.L("error.wrong_key")})
	if h.status.Text != want {
		t.Fatalf("status %q, want %q", h.status.Text, want)
	}
}

func TestFrench(t *testing.T) {
	h := testHome(t, "fr")
	if h.newSession.Text != "Nouvelle session" || h.win.Title() != "Tandem Expert" {
		t.Fatalf("button %q", h.newSession.Text)
	}
	test.Tap(h.newSession)
	if !strings.HasPrefix(h.expiry.Text, "Expire dans ") || h.status.Text != "En attente de la connexion du client…" {
		t.Fatalf("French window shows %q / %q", h.expiry.Text, h.status.Text)
	}
}

func TestRetiredKeyOffersNewKey(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.newSession)
	lk, _ := session.ParseLink(h.linkEntry.Text)
	first := lk.Key
	lk.Key = "111111111"
	if first == lk.Key {
		lk.Key = "222222222"
	}
	for range transport.MaxKeyAttempts {
		if _, err := joinAs(t, lk.String(), "Mallory"); protocol.CodeOf(err) != protocol.WrongKey {
			t.Fatalf("join with a wrong key: %v", err)
		}
		if _, ok := h.waitEvent(t).(session.AttemptRefused); !ok {
			t.Fatal("want AttemptRefused")
		}
	}
	if _, ok := h.waitEvent(t).(session.KeyLost); !ok {
		t.Fatal("want KeyLost")
	}
	if h.status.Text != lang.L("expert.key_lost") || h.expiry.Text != lang.L("error.too_many_attempts") {
		t.Fatalf("status %q, expiry %q", h.status.Text, h.expiry.Text)
	}
	if h.newSession.Disabled() || h.newSession.Text != lang.L("expert.new_key") {
		t.Fatalf("button %q disabled=%v", h.newSession.Text, h.newSession.Disabled())
	}
	test.Tap(h.newSession)
	next, err := transport.ParseSupportKey(h.keyText.Text)
	if err != nil || h.status.Text != lang.L("expert.waiting") {
		t.Fatalf("after New key: key %q, status %q", h.keyText.Text, h.status.Text)
	}
	if _, err := joinAs(t, h.linkEntry.Text, "Bob"); err != nil {
		t.Fatalf("the new key %s does not work: %v", next, err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined with the new key")
	}
}

// testStore opens a history in a temporary folder.
func testStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestPreferencesAreSavedAndApplied(t *testing.T) {
	h := testHome(t, "en")
	if !h.prefs.UninstallAtEnd || !h.prefs.AllowControl || !h.prefs.AskWhere {
		t.Fatalf("defaults %+v", h.prefs)
	}
	test.Tap(h.prefsBtn)
	pw := h.prefsWin
	pw.name.SetText("Alice M.")
	pw.uninstall.SetChecked(false)
	pw.control.SetChecked(false)
	pw.language.SetSelectedIndex(2)
	test.Tap(pw.saveBtn)
	if h.prefsWin != nil {
		t.Fatal("Save did not close the window")
	}
	if got := loadPrefs(h.app.Preferences(), "x"); got.Name != "Alice M." || got.UninstallAtEnd || got.AllowControl ||
		got.Language != "fr" {
		t.Fatalf("saved %+v", got)
	}
	// Applied to the next session: the customer is told not to uninstall, and sees the new name.
	test.Tap(h.newSession)
	g, err := joinAs(t, h.linkEntry.Text, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if g.Preferences().UninstallAtEnd || g.Technician().Name != "Alice M." {
		t.Fatalf("the customer got %+v from %q", g.Preferences(), g.Technician().Name)
	}
}
