//go:build screenshots && (linux || freebsd || openbsd || netbsd)

package main

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/portal/portaltest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// shootWayland shows, on a Wayland desktop, the toolbar's explanation of the system's window, then the toolbar
// once the person refused it there.
func shootWayland(t *testing.T, language string) {
	p := portaltest.Start(t, portaltest.Config{Streams: oneMonitor})
	p.Refuse(true)
	h := technician(t)
	c := newCamera(t, language, h, options{name: "Bob", portal: newPortalAccess(""), screenErr: errNotNow, injectorErr: errNotNow})
	c.opts.screenErr, c.opts.injectorErr = nil, nil // as a Wayland start leaves them: nothing asked yet
	c.showBackEndNotices()
	c.fitWindow()
	test.Type(c.keyEntry, h.Link().String())
	c.untilDialog(t, lang.L("customer.portal_explain"))
	c.take(t, c.win, "01c-wayland-explains")
	uitest.Answer(t, c.win, lang.L("customer.portal_continue"))
	c.waitState(t, stateJoined)
	waitHost(t, h, func(j session.Joined) bool { return j.Peer.Name == "Bob" })
	want := lang.L("customer.no_screen_no_control", map[string]any{"Reason": lang.L("customer.why_portal_refused")})
	if !strings.Contains(c.noticeText(), want) {
		t.Fatalf("notices %q lack %q", c.noticeText(), want)
	}
	c.take(t, c.win, "01d-wayland-refused")
}
