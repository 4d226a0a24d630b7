package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/selfinstall"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

// testInstall is an AppImage test copy with its settings folder and link registration, in temporary folders,
// beside a file that must survive.
func testInstall(t *testing.T) (in installation, neighbour string) {
	t.Helper()
	dir := t.TempDir()
	in.appImage = filepath.Join(dir, "tandem-customer-1.0-x86_64.AppImage")
	if err := os.WriteFile(in.appImage, []byte("\x7fELF\x02\x01\x01\x00AI\x02\x00\x00\x00\x00\x00 test copy"), 0o755); err != nil {
		t.Fatal(err)
	}
	neighbour = filepath.Join(dir, "holiday-photos.jpg")
	if err := os.WriteFile(neighbour, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	in.config = filepath.Join(t.TempDir(), "org.tandem-remote.customer")
	if err := os.MkdirAll(in.config, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in.config, "preferences.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	in.links = &selfinstall.LinkHandler{DataHome: t.TempDir(), ConfigHome: t.TempDir()}
	if err := in.links.Register(in.appImage); err != nil {
		t.Fatal(err)
	}
	return in, neighbour
}

func uninstallingTechnician(t *testing.T) *session.Host {
	t.Helper()
	return technicianWith(t, session.HostConfig{Preferences: protocol.Preferences{UninstallAtEnd: true}})
}

func TestEndSessionRemovesTheAppImageAndNothingElse(t *testing.T) {
	in, neighbour := testInstall(t)
	h := uninstallingTechnician(t)
	tb := testToolbar(t, "en", options{name: "Bob", screen: capture.NewPattern(), injector: input.NewRecorder(), install: in})
	closed := watchClose(tb)
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)

	test.Tap(tb.endBtn)
	s := &inSession{shown: tb, h: h}
	s.untilDialog(t, lang.L("customer.uninstall_will", map[string]any{"Path": in.appImage}))
	uitest.Answer(t, tb.win, lang.L("Yes"))
	tb.loop.Until(t, 20*time.Second, "the toolbar to close", func() bool { return *closed })
	for _, gone := range []string{in.appImage, in.config} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", gone, err)
		}
	}
	if exe, err := in.links.Registered(); err != nil || exe != "" {
		t.Errorf("join links still open %q (%v)", exe, err)
	}
	if _, err := os.Stat(neighbour); err != nil {
		t.Errorf("a file beside the program was touched: %v", err)
	}
}

func TestTechnicianEndingRemovesTheProgramAndSaysSo(t *testing.T) {
	in, _ := testInstall(t)
	h := uninstallingTechnician(t)
	tb := testToolbar(t, "fr", options{name: "Bob", install: in})
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	h.End()
	tb.waitState(t, stateEnded)
	if !strings.Contains(tb.status.Text, lang.L("customer.uninstalled")) || tb.joinBtn.Visible() {
		t.Fatalf("status %q; Join visible %v", tb.status.Text, tb.joinBtn.Visible())
	}
	if _, err := os.Stat(in.appImage); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the AppImage is still there")
	}
}

func TestWithoutAnAppImageTheProgramStaysAndSaysWhy(t *testing.T) {
	h := uninstallingTechnician(t)
	tb := testToolbar(t, "en", options{name: "Bob"})
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)
	test.Tap(tb.endBtn)
	s := &inSession{shown: tb, h: h}
	s.untilDialog(t, lang.L("customer.uninstall_cannot"))
	closed := watchClose(tb)
	uitest.Answer(t, tb.win, lang.L("Yes"))
	tb.waitState(t, stateEnded)
	tb.loop.Until(t, 10*time.Second, "the toolbar to close", func() bool { return *closed })
	if !strings.Contains(tb.status.Text, lang.L("customer.uninstall_cannot")) {
		t.Fatalf("status %q", tb.status.Text)
	}
}

func TestLinkOfferIsMadeOnceAndRegisters(t *testing.T) {
	in, _ := testInstall(t)
	if err := in.links.Unregister(); err != nil {
		t.Fatal(err)
	}
	tb := testToolbar(t, "en", options{name: "Bob", install: in})
	tb.offerLinks()
	s := &inSession{shown: tb}
	s.untilDialog(t, lang.L("customer.links_question"))
	uitest.Answer(t, tb.win, lang.L("Yes"))
	if exe, err := in.links.Registered(); err != nil || exe != in.appImage {
		t.Fatalf("links open %q (%v), want %q", exe, err, in.appImage)
	}
	if err := in.links.Unregister(); err != nil {
		t.Fatal(err)
	}
	tb.offerLinks() // answered once: not asked again
	tb.loop.Drain()
	if top := tb.win.Canvas().Overlays().Top(); top != nil {
		t.Fatal("the offer was made a second time")
	}
}

func TestUninstallNoteSaysWhatEachInstallationDoes(t *testing.T) {
	appImage, _ := testInstall(t)
	for _, c := range []struct {
		in   installation
		want string
	}{
		{appImage, lang.L("customer.uninstall_will", map[string]any{"Path": appImage.appImage})},
		{installation{pkg: selfinstall.Package{Kind: selfinstall.MSI, Path: `C:\Program Files\Tandem Customer`}},
			lang.L("customer.uninstall_will_msi")},
		{installation{pkg: selfinstall.Package{Kind: selfinstall.AppBundle, Path: "/Applications/Tandem Customer.app"}},
			lang.L("customer.uninstall_will_app", map[string]any{"Path": "/Applications/Tandem Customer.app"})},
		{installation{}, lang.L("customer.uninstall_cannot")},
	} {
		tb := testToolbar(t, "en", options{install: c.in})
		if got := tb.uninstallNote(true); got != c.want {
			t.Errorf("kind %v: %q, want %q", c.in.pkg.Kind, got, c.want)
		}
		if got := tb.uninstallNote(false); got != "" {
			t.Errorf("not asked, yet the question says %q", got)
		}
		if c.in.canRemove() == (c.want == lang.L("customer.uninstall_cannot")) {
			t.Errorf("kind %v: canRemove %v", c.in.pkg.Kind, c.in.canRemove())
		}
	}
}

func TestLinkOfferWaitsForTheEndOfAJoinAtStart(t *testing.T) {
	in, _ := testInstall(t)
	if err := in.links.Unregister(); err != nil {
		t.Fatal(err)
	}
	h := technician(t) // does not ask for removal
	tb := testToolbar(t, "en", options{name: "Bob", install: in})
	test.Type(tb.keyEntry, h.Link().String()) // as a join link given at the start does
	tb.waitState(t, stateJoined)
	if tb.win.Canvas().Overlays().Top() != nil {
		t.Fatal("a question over the session that just started")
	}
	h.End()
	tb.waitState(t, stateEnded)
	s := &inSession{shown: tb}
	s.untilDialog(t, lang.L("customer.links_question"))
	uitest.Answer(t, tb.win, lang.L("No"))
	tb.offerLinks() // answered: not again
	tb.loop.Drain()
	if tb.win.Canvas().Overlays().Top() != nil {
		t.Fatal("the offer was made a second time")
	}
}

func TestClosingTheToolbarAsksFirstAndRemovesAsAsked(t *testing.T) {
	in, neighbour := testInstall(t)
	h := uninstallingTechnician(t)
	tb := testToolbar(t, "en", options{name: "Bob", install: in})
	closed := false
	tb.win.SetOnClosed(func() { closed = true; tb.shutdown() })
	test.Type(tb.keyEntry, h.Link().String())
	tb.waitState(t, stateJoined)

	s := &inSession{shown: tb, h: h}
	tb.closeRequested() // the window's close button
	s.untilDialog(t, lang.L("customer.uninstall_will", map[string]any{"Path": in.appImage}))
	uitest.Answer(t, tb.win, lang.L("No"))
	tb.loop.Drain()
	if closed || tb.guest == nil {
		t.Fatal("No closed the toolbar or ended the session")
	}
	tb.closeRequested()
	s.untilDialog(t, lang.L("customer.end_question"))
	uitest.Answer(t, tb.win, lang.L("Yes"))
	tb.loop.Until(t, 20*time.Second, "the toolbar to close", func() bool { return closed })
	if _, err := os.Stat(in.appImage); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("closing the toolbar skipped the removal the technician asked for (%v)", err)
	}
	if _, err := os.Stat(neighbour); err != nil {
		t.Errorf("a file beside the program was touched: %v", err)
	}
}

func TestClosingTheToolbarOutsideASessionClosesAtOnce(t *testing.T) {
	tb := testToolbar(t, "en", options{name: "Bob"})
	closed := false
	tb.win.SetOnClosed(func() { closed = true; tb.shutdown() })
	tb.closeRequested()
	if !closed {
		t.Fatal("the toolbar did not close")
	}
}
