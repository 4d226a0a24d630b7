//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/portal"
	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/wayland"
)

var oneMonitor = []portal.Stream{{Node: 51}}

// joinOnWayland starts a toolbar on a Wayland desktop (the stand-in portal on its private bus) and joins h;
// the button whose key is answer is pressed in the toolbar's own explanation of the system's window.
func joinOnWayland(t *testing.T, language string, h *session.Host, tokens wayland.TokenFile, answer string) *inSession {
	t.Helper()
	tb := testToolbar(t, language, options{name: "Bob", portal: newPortalAccess(tokens)})
	if len(tb.notices.Objects) != 0 {
		t.Fatalf("notices before the system was asked: %q", labels(tb.notices))
	}
	s := &inSession{shown: tb, h: h}
	test.Type(tb.keyEntry, h.Link().String())
	if answer != "" {
		s.untilDialog(t, lang.L("customer.portal_explain"))
		uitest.Answer(t, tb.win, lang.L(answer))
	}
	tb.waitState(t, stateJoined)
	waitHost(t, h, func(session.Joined) bool { return true })
	return s
}

// notices returns the toolbar's notices as one text.
func (s *inSession) noticeText() string { return strings.Join(labels(s.notices), "\n") }

// TestWaylandRefusalIsSaidToBoth: the toolbar explains the system's window first; the person refuses it there;
// the toolbar says the technician cannot see or control the screen, and the technician's requests are
// answered "this computer cannot" rather than "no".
func TestWaylandRefusalIsSaidToBoth(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		dialogs      int
		why          string
	}{
		{"refused in the system's window", "customer.portal_continue", 1, "customer.why_portal_refused"},
		{"not now in the toolbar", "customer.portal_not_now", 0, "customer.why_not_now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Config{Streams: oneMonitor})
			p.Refuse(true)
			s := joinOnWayland(t, "en", technician(t), "", tc.answer)
			if p.Dialogs() != tc.dialogs {
				t.Fatalf("the system's window showed %d times, want %d", p.Dialogs(), tc.dialogs)
			}
			why := lang.L(tc.why)
			if want := lang.L("customer.no_screen_no_control", map[string]any{"Reason": why}); s.noticeText() != want {
				t.Fatalf("notices %q, want %q", s.noticeText(), want)
			}
			if err := s.h.RequestView(); err != nil {
				t.Fatal(err)
			}
			if ans := waitHost(t, s.h, func(e session.ConsentAnswered) bool { return e.What == protocol.PermView }); !ans.Unavailable {
				t.Fatalf("the technician was told %+v, want unavailable", ans)
			}
		})
	}
}

// TestWaylandSystemStopsIt: the person allowed control (the screen has no PipeWire stream here), then stopped it
// from the system's indicator: the toolbar says so, and the next session asks the system again.
func TestWaylandSystemStopsIt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Config{Streams: oneMonitor})
	tokens := wayland.TokenFile(filepath.Join(t.TempDir(), "portal-token"))
	s := joinOnWayland(t, "fr", technician(t), tokens, "customer.portal_continue")
	if s.opts.injector == nil || tokens.Load() == "" {
		t.Fatalf("after the system allowed it: injector %v, token %q", s.opts.injector, tokens.Load())
	}
	if !strings.Contains(s.noticeText(), lang.L("customer.no_screen", map[string]any{"Reason": lang.L("customer.why_screen")})) &&
		!strings.Contains(s.noticeText(), lang.L("customer.why_pipewire")) {
		t.Fatalf("no PipeWire remote, and the notices say %q", s.noticeText())
	}
	p.CloseSessions(t)
	want := lang.L("customer.no_screen_no_control", map[string]any{"Reason": lang.L("customer.why_portal_ended")})
	s.until(t, "the toolbar to say the system stopped it", func() bool { return strings.Contains(s.noticeText(), want) })
	if !s.needsPortal() {
		t.Fatal("the next session would not ask the system again")
	}
}
