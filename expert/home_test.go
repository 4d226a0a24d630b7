package main

import (
	"context"
	"fmt"
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
	return testHomeAs(t, language, "Alice")
}

// testHomeAs is testHome for the technician name.
func testHomeAs(t *testing.T, language, name string) *shown {
	t.Helper()
	if err := i18n.Register(language); err != nil {
		t.Fatal(err)
	}
	if language != "en" {
		t.Cleanup(func() { _ = i18n.Register("en") })
	}
	s := &shown{loop: uitest.NewLoop()}
	s.home = newHome(test.NewTempApp(t), options{do: s.loop.Do, listen: "127.0.0.1:0", advertise: "127.0.0.1",
		name: name, onEvent: func(e session.Event) { s.events = append(s.events, e) },
		capture: func() (capture.Source, error) { return capture.NewPattern(image.Rect(0, 0, 200, 100)), nil },
		store:   testStore(t), identity: testIdentity(t)})
	// The tests compare the pictures shown with the customer's, and the race detector makes loopback slow enough
	// for a changing pattern to go lossy: exact pictures unless a test chooses Prefer speed (the default of the
	// saved preferences, which this does not change).
	s.prefs.PreferQuality = true
	t.Cleanup(s.shutdown)
	return s
}

// testIdentity is a fresh lasting identity for a test's Expert.
func testIdentity(t *testing.T) *transport.Identity {
	t.Helper()
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// cur is the newest session on the home window.
func (s *shown) cur() *hosted {
	if len(s.sessions) == 0 {
		return nil
	}
	return s.sessions[0]
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

// guessFrom tries key on the host at addr from the loopback address local, as a stranger's program could.
func guessFrom(t *testing.T, local, addr, key string) error {
	t.Helper()
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := transport.Dial(ctx, addr, transport.DialConfig{Identity: id, Secret: []byte(key), LocalAddr: local})
	if err == nil {
		_ = c.Close(protocol.NoError, "")
	}
	return err
}

func TestNewSessionShowsKeyAndCustomerJoins(t *testing.T) {
	h := testHome(t, "en")
	if len(h.sessions) != 0 || !h.status.Visible() {
		t.Fatal("a session card before New session")
	}
	test.Tap(h.newSession)
	s := h.cur()
	if !s.key.Visible() || h.newSession.Disabled() || !s.endSession.Visible() || h.status.Visible() {
		t.Fatal("New session did not show the session")
	}
	key, err := transport.ParseSupportKey(s.keyText.Text)
	if err != nil || s.keyText.Text != transport.FormatSupportKey(key) {
		t.Fatalf("key shown as %q", s.keyText.Text)
	}
	if !strings.Contains(s.link.Text, "key="+key) {
		t.Fatalf("join link %q does not carry the key %s", s.link.Text, key)
	}
	if !strings.HasPrefix(s.expiry.Text, "Expires in 9:") && s.expiry.Text != "Expires in 10:00" {
		t.Fatalf("expiry shown as %q", s.expiry.Text)
	}
	test.Tap(s.copyKey)
	if got := fyne.CurrentApp().Clipboard().Content(); got != transport.FormatSupportKey(key) {
		t.Fatalf("Copy key put %q on the clipboard", got)
	}
	test.Tap(s.copyLink)
	if got := fyne.CurrentApp().Clipboard().Content(); got != s.link.Text {
		t.Fatalf("Copy link put %q on the clipboard", got)
	}
	// Without a join page, the invitation gives the key and the link for an installed Tandem Customer.
	test.Tap(s.copyInvite)
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, transport.FormatSupportKey(key)) ||
		!strings.Contains(got, s.link.Text) || !strings.Contains(got, "in the next 10 minutes") {
		t.Fatalf("Copy invitation put %q on the clipboard", got)
	}

	g, err := joinAs(t, h.cur().link.Text, "Bob")
	if err != nil {
		t.Fatalf("customer could not join the key shown: %v", err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined")
	}
	if !strings.Contains(s.status.Text, "Bob joined") || s.key.Visible() || s.title.Text != "Bob" {
		t.Fatalf("status %q after the customer joined", s.status.Text)
	}

	// End session asks first; No keeps the session, Yes ends it for the customer too.
	test.Tap(s.endSession)
	uitest.Answer(t, h.win, lang.L("No"))
	if s.host == nil {
		t.Fatal("No ended the session")
	}
	test.Tap(s.endSession)
	uitest.Answer(t, h.win, lang.L("Yes"))
	if _, ok := h.waitEvent(t).(session.Ended); !ok {
		t.Fatal("want Ended")
	}
	if s.status.Text != lang.L("expert.ended_by_you") || s.endSession.Visible() || !s.closeBtn.Visible() {
		t.Fatalf("status %q after ending", s.status.Text)
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
	lk, _ := session.ParseLink(h.cur().link.Text)
	wrong := "111111111"
	if lk.Key == wrong {
		wrong = "222222222"
	}
	lk.Key = wrong
	if _, err := joinAs(t, lk.String(), "Mallory"); protocol.CodeOf(err) != protocol.WrongKey {
		t.Fatalf("join with a wrong key: %v", err)
	}
	r, ok := h.waitEvent(t).(session.AttemptRefused)
	if !ok || !strings.HasPrefix(r.From, "127.0.0.1:") {
		t.Fatalf("want AttemptRefused from loopback, got %#v", r)
	}
	want := lang.L("expert.wrong_key_from", map[string]any{"From": r.From})
	if h.cur().status.Text != want || !strings.Contains(want, r.From) {
		t.Fatalf("status %q, want %q", h.cur().status.Text, want)
	}
}

func TestFrench(t *testing.T) {
	h := testHome(t, "fr")
	if h.newSession.Text != "Nouvelle session" || h.win.Title() != "Tandem Expert" {
		t.Fatalf("button %q", h.newSession.Text)
	}
	test.Tap(h.newSession)
	if !strings.HasPrefix(h.cur().expiry.Text, "Expire dans ") || h.cur().status.Text != "En attente de la connexion du client…" {
		t.Fatalf("French window shows %q / %q", h.cur().expiry.Text, h.cur().status.Text)
	}
}

func TestRetiredKeyOffersNewKey(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.newSession)
	lk, _ := session.ParseLink(h.cur().link.Text)
	first := lk.Key
	lk.Key = "111111111"
	if first == lk.Key {
		lk.Key = "222222222"
	}
	// Wrong keys from several addresses: one address alone is refused after transport.MaxSourceFailures.
	for i := range transport.MaxKeyAttempts {
		if err := guessFrom(t, fmt.Sprintf("127.0.0.%d", 10+i), lk.Addr, lk.Key); protocol.CodeOf(err) != protocol.WrongKey {
			t.Fatalf("join with a wrong key: %v", err)
		}
		if _, ok := h.waitEvent(t).(session.AttemptRefused); !ok {
			t.Fatal("want AttemptRefused")
		}
	}
	if _, ok := h.waitEvent(t).(session.KeyLost); !ok {
		t.Fatal("want KeyLost")
	}
	if h.cur().status.Text != lang.L("expert.key_lost") || h.cur().expiry.Text != lang.L("error.too_many_attempts") {
		t.Fatalf("status %q, expiry %q", h.cur().status.Text, h.cur().expiry.Text)
	}
	if !h.cur().newKey.Visible() || !h.cur().copyKey.Disabled() {
		t.Fatal("no New key on the card whose key was lost")
	}
	test.Tap(h.cur().newKey)
	if len(h.sessions) != 1 {
		t.Fatalf("New key made %d cards", len(h.sessions))
	}
	next, err := transport.ParseSupportKey(h.cur().keyText.Text)
	if err != nil || h.cur().status.Text != lang.L("expert.waiting") {
		t.Fatalf("after New key: key %q, status %q", h.cur().keyText.Text, h.cur().status.Text)
	}
	if _, err := joinAs(t, h.cur().link.Text, "Bob"); err != nil {
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
	// No session runs: the language applies at once.
	t.Cleanup(func() { _ = i18n.Register("en") })
	if h.newSession.Text != "Nouvelle session" || h.win.Title() != "Tandem Expert" {
		t.Fatalf("after choosing Français: %q", h.newSession.Text)
	}
	// Applied to the next session: the customer is told not to uninstall, and sees the new name.
	test.Tap(h.newSession)
	g, err := joinAs(t, h.cur().link.Text, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if g.Preferences().UninstallAtEnd || g.Technician().Name != "Alice M." {
		t.Fatalf("the customer got %+v from %q", g.Preferences(), g.Technician().Name)
	}
}

func TestSeveralSessionsAtOnce(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.newSession)
	first := h.cur()
	test.Tap(h.newSession) // Ctrl+N does the same
	second := h.cur()
	if len(h.sessions) != 2 || first == second || first.keyText.Text == second.keyText.Text {
		t.Fatalf("%d sessions, keys %q and %q", len(h.sessions), first.keyText.Text, second.keyText.Text)
	}
	if first.title.Text != "Session 1" || second.title.Text != "Session 2" || h.list.Objects[0] != second.box {
		t.Fatalf("cards %q, %q; the newest is not first", first.title.Text, second.title.Text)
	}
	bob, err := joinAs(t, first.link.Text, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined")
	}
	carol, err := joinAs(t, second.link.Text, "Carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined")
	}
	if first.title.Text != "Bob" || second.title.Text != "Carol" || first.view == nil || second.view == nil ||
		first.view.win == second.view.win || first.view.host == second.view.host {
		t.Fatal("each customer does not have a viewer window of their own")
	}
	if !strings.Contains(first.view.win.Title(), "Bob") || !strings.Contains(second.view.win.Title(), "Carol") {
		t.Fatalf("viewer titles %q, %q", first.view.win.Title(), second.view.win.Title())
	}

	// Ending Bob's session leaves Carol's running; Close then takes Bob's card and viewer away.
	test.Tap(first.endSession)
	uitest.Answer(t, h.win, lang.L("Yes"))
	for {
		e := h.waitEvent(t)
		if _, ok := e.(session.Ended); ok {
			break
		}
	}
	if !first.ended || second.ended || second.host == nil || !second.endSession.Visible() {
		t.Fatal("ending one session touched the other")
	}
	expectEnded(t, bob)
	if _, err := carol.SendChat("still here"); err != nil {
		t.Fatalf("Carol's session after Bob's ended: %v", err)
	}
	h.loop.Until(t, 20*time.Second, "Carol's message", func() bool { return len(second.view.chat.Messages()) == 1 })
	test.Tap(first.closeBtn)
	if len(h.sessions) != 1 || h.cur() != second || len(h.list.Objects) != 1 || first.view != nil {
		t.Fatalf("after Close: %d sessions, %d cards", len(h.sessions), len(h.list.Objects))
	}
}

// expectEnded waits for a customer to be told that the session ended.
func expectEnded(t *testing.T, g *session.Guest) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-g.Events():
			if _, ok := e.(session.Ended); ok {
				return
			}
		case <-timeout:
			t.Fatal("the customer was not told the session ended")
		}
	}
}

func TestExpiredKeyOffersNewKey(t *testing.T) {
	h := testHome(t, "fr")
	h.opts.keyLifetime = 1500 * time.Millisecond
	test.Tap(h.newSession)
	s := h.cur()
	expired := s.link.Text
	if _, ok := h.waitEvent(t).(session.KeyLost); !ok {
		t.Fatal("want KeyLost when the key expires")
	}
	if s.expiry.Text != lang.L("error.key_expired") || s.status.Text != lang.L("expert.key_lost") ||
		!s.newKey.Visible() || !s.copyKey.Disabled() {
		t.Fatalf("after expiry: %q / %q, New key shown %v", s.expiry.Text, s.status.Text, s.newKey.Visible())
	}
	if _, err := joinAs(t, expired, "Bob"); protocol.CodeOf(err) != protocol.KeyExpired {
		t.Fatalf("joining with the expired key: %v", err)
	}
	h.opts.keyLifetime = 0
	test.Tap(s.newKey)
	if _, err := joinAs(t, s.link.Text, "Bob"); err != nil {
		t.Fatalf("the new key: %v", err)
	}
	for {
		if _, ok := h.waitEvent(t).(session.Joined); ok {
			break
		}
	}
}

func TestClosingTheHomeWindowAsksWhileSessionsRun(t *testing.T) {
	h := testHome(t, "en")
	closed := false
	h.win.SetOnClosed(func() { closed = true; h.shutdown() })
	test.Tap(h.newSession)
	g, err := joinAs(t, h.cur().link.Text, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.waitEvent(t).(session.Joined); !ok {
		t.Fatal("want Joined")
	}
	h.closeRequested()
	uitest.Answer(t, h.win, lang.L("No"))
	if closed || h.cur().host == nil {
		t.Fatal("No closed the window or ended the session")
	}
	h.closeRequested()
	uitest.Answer(t, h.win, lang.L("Yes"))
	if !closed {
		t.Fatal("Yes did not quit")
	}
	expectEnded(t, g)
}
