package main

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/transport"
)

// A technician whose preferences name a rendezvous hands out keys that start with its nameplate and links that
// name it; a customer anywhere joins with them, and the session card, the viewer and the report say how the
// connection goes.
func TestSessionThroughRendezvousSaysHowItGoes(t *testing.T) {
	srv := rendezvoustest.Start(t)
	for _, tc := range []struct {
		name    string
		path    session.PathOptions
		relayed bool
		want    string
	}{
		{"direct", session.PathOptions{Loopback: true}, false, "Direct connection (met through 127.0.0.1)"},
		{"relayed", session.PathOptions{Loopback: true, RelayOnly: true}, true, "Relayed through 127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHome(t, "en")
			h.prefs.Rendezvous = srv.ClientURL()
			h.opts.path = session.PathOptions{Loopback: true}
			c := joinSharingScreen(t, h, capture.NewPattern(), func(cfg *session.GuestConfig) { cfg.Path = tc.path })
			s := h.cur()
			if !strings.Contains(s.link.Text, "rv=") || len(strings.ReplaceAll(s.keyText.Text, " ", "")) != transport.KeyDigits {
				t.Fatalf("link %q, key %q: the link does not name the rendezvous", s.link.Text, s.keyText.Text)
			}
			if r := c.g.Route(); r.Relayed != tc.relayed {
				t.Fatalf("the customer's route %v", r)
			}
			if !s.route.Visible() || s.route.Text != tc.want {
				t.Fatalf("session card says %q (visible %v), want %q", s.route.Text, s.route.Visible(), tc.want)
			}
			if v := s.view; !strings.HasPrefix(v.route.Text, tc.want+" · ") {
				t.Fatalf("viewer says %q, want %q", v.route.Text, tc.want)
			}
			// The report's history has how the connection went.
			var detail string
			h.loop.Until(t, 10*time.Second, "the connection in the session's history", func() bool {
				sess, err := h.opts.store.LoadSession(t.Context(), s.host.SessionID())
				if err != nil {
					return false
				}
				for _, e := range sess.Events {
					if e.Kind == store.EventConnected {
						detail = e.Detail
						return true
					}
				}
				return false
			})
			if want := store.RouteDetail("127.0.0.1", tc.relayed); detail != want {
				t.Fatalf("history says %q, want %q", detail, want)
			}
		})
	}
}

func TestPreferencesRendezvous(t *testing.T) {
	h := testHome(t, "en")
	test.Tap(h.prefsBtn)
	pw := h.prefsWin
	pw.rv.SetText("http://example.com")
	test.Tap(pw.saveBtn)
	if h.prefsWin == nil || h.prefs.Rendezvous != "" {
		t.Fatal("a web address was saved as the rendezvous")
	}
	if err := pw.rv.Validate(); err == nil || err.Error() != lang.L("prefs.rendezvous_bad") {
		t.Fatalf("the field says %v", err)
	}
	pw.rv.SetText(" tls://rv.example.com:4222 ")
	test.Tap(pw.saveBtn)
	if got := loadPrefs(h.app.Preferences(), "x").Rendezvous; got != "tls://rv.example.com:4222" {
		t.Fatalf("saved rendezvous %q", got)
	}
	// Emptied again: direct links on one network.
	test.Tap(h.prefsBtn)
	h.prefsWin.rv.SetText("")
	test.Tap(h.prefsWin.saveBtn)
	if got := loadPrefs(h.app.Preferences(), "x").Rendezvous; got != "" {
		t.Fatalf("saved rendezvous %q", got)
	}
}

// Through a rendezvous that serves a join page, Copy invitation gives the page's address and the key: all a
// customer without Tandem needs.
func TestInvitationNamesTheJoinPage(t *testing.T) {
	cfg := rendezvoustest.Config()
	cfg.JoinPage = "https://help.example.org/"
	srv, err := rendezvous.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	h := testHome(t, "fr")
	h.prefs.Rendezvous, h.prefs.Name = srv.ClientURL(), "Alice"
	test.Tap(h.newSession)
	s := h.cur()
	test.Tap(s.copyInvite)
	got := fyne.CurrentApp().Clipboard().Content()
	for _, want := range []string{"Alice vous propose", "Ouvrez https://help.example.org/", s.keyText.Text, "10 prochaines minutes"} {
		if !strings.Contains(got, want) {
			t.Errorf("the invitation lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tandem://") {
		t.Errorf("the invitation sends a customer without Tandem to a link they cannot open:\n%s", got)
	}
}
