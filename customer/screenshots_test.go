//go:build screenshots

package main

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transfer"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/relay"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// TestScreenshots drives the real Tandem Customer windows, in English and in French, through real sessions with
// a technician (Alice) on loopback and saves every window in each of its main states as
// $TANDEM_SHOTS/<language>/customer-NN-….png, numbered in the order a customer (Bob) meets them. Each shot is
// taken only once the flow has been checked to be in the state it names. `make screenshots` runs it.
func TestScreenshots(t *testing.T) {
	for _, language := range []string{"en", "fr"} {
		t.Run(language, func(t *testing.T) {
			t.Run("link offer", func(t *testing.T) { shootLinkOffer(t, language) })
			t.Run("no screen", func(t *testing.T) { shootUnavailable(t, language) })
			t.Run("wayland", func(t *testing.T) { shootWayland(t, language) })
			t.Run("session", func(t *testing.T) { shootSession(t, language) })
			t.Run("relayed", func(t *testing.T) { shootRelayed(t, language) })
			t.Run("reconnecting", func(t *testing.T) { shootReconnecting(t, language) })
			t.Run("uninstall", func(t *testing.T) { shootUninstall(t, language) })
			t.Run("colleagues", func(t *testing.T) { shootColleagues(t, language) })
			t.Run("unattended", func(t *testing.T) { shootUnattended(t, language) })
		})
	}
}

// camera is a toolbar in (or about to be in) a session with a technician, and where its pictures go.
type camera struct {
	*inSession
	shots    *uitest.Shots
	language string
}

// newCamera builds the real toolbar with a synthetic screen and an input recorder, as joinLive does but without
// joining, and gives its app the programs' theme.
func newCamera(t *testing.T, language string, h *session.Host, opts options) *camera {
	t.Helper()
	if opts.screen == nil && opts.screenErr == nil {
		opts.screen = capture.NewPattern()
	}
	if opts.injector == nil && opts.injectorErr == nil {
		opts.injector = input.NewRecorder()
	}
	tb := testToolbar(t, language, opts)
	return &camera{inSession: &inSession{shown: tb, h: h}, shots: uitest.NewShots(t, tb.app, language),
		language: language}
}

// take runs the UI callbacks queued so far, lays w out as a desktop window would before drawing it, and saves
// it as customer-name.png.
func (c *camera) take(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	c.loop.Drain()
	layOut(t, w)
	c.shots.Take(w, "customer-"+name)
}

// layOut does what the desktop driver does before it draws a frame and the test driver does not: lay out
// containers whose children were shown or hidden, and grow the window to its content's minimum size.
func layOut(t *testing.T, w fyne.Window) {
	t.Helper()
	content := w.Content()
	content.Refresh()
	min := content.MinSize()
	if w.Padded() {
		min = min.Add(fyne.NewSquareSize(2 * theme.Padding()))
	}
	if size := w.Canvas().Size(); size.Width < min.Width || size.Height < min.Height {
		t.Logf("%q grows from %v to fit its content (%v), as a desktop window would", w.Title(), size, min)
		w.Resize(size.Max(min))
	}
}

// joinWithLink pastes the technician's join link into the key field, which joins at once, and waits until both
// sides are in the session and the technician sees the screen.
func (c *camera) joinWithLink(t *testing.T) {
	t.Helper()
	test.Type(c.keyEntry, c.h.Link().String())
	c.waitState(t, stateJoined)
	waitHost(t, c.h, func(j session.Joined) bool { return j.Peer.Name == "Bob" })
	c.untilIndicator(t, lang.L("customer.viewing", map[string]any{"Name": "Alice"}))
}

// typeIn clicks into field and types text, so that the window knows where the keyboard is (test.Type alone
// leaves the field drawn as focused for ever).
func (c *camera) typeIn(field fyne.Focusable, text string) {
	c.win.Canvas().Focus(field)
	test.Type(field, text)
}

// wantStatus fails the test unless the status line says want.
func (c *camera) wantStatus(t *testing.T, want string) {
	t.Helper()
	if c.status.Text != want {
		t.Fatalf("status %q, want %q", c.status.Text, want)
	}
}

// tr is a translated message with Alice as the technician's name.
func tr(key string) string {
	return lang.L(key, map[string]any{"Name": "Alice", "Shortcut": shortcutText()})
}

// shootLinkOffer shows the one-time offer, made at start from an AppImage, to open tandem:// links.
func shootLinkOffer(t *testing.T, language string) {
	in, _ := testInstall(t)
	if err := in.links.Unregister(); err != nil {
		t.Fatal(err)
	}
	c := newCamera(t, language, nil, options{install: in})
	c.offerLinks()
	c.untilDialog(t, lang.L("customer.links_question"))
	c.take(t, c.win, "00-link-offer")
	uitest.Answer(t, c.win, lang.L("No"))
}

// shootUnavailable shows the join form on a computer where neither screen sharing nor remote control can work.
func shootUnavailable(t *testing.T, language string) {
	t.Setenv("DISPLAY", "")
	c := newCamera(t, language, nil, options{
		screenErr:   capture.ErrUnsupported,
		injectorErr: input.ErrUnsupported,
	})
	got := strings.Join(labels(c.notices), "\n")
	if want := lang.L("customer.no_screen_no_control", map[string]any{"Reason": lang.L("customer.why_x11")}); got != want {
		t.Fatalf("notices %q, want %q", got, want)
	}
	c.take(t, c.win, "01b-join-form-no-screen")
}

// shootSession follows one session from the empty join form to the technician ending it.
func shootSession(t *testing.T, language string) {
	h := technician(t)
	c := newCamera(t, language, h, options{addr: h.Link().Addr}) // the address a previous link left
	c.shootJoin(t)
	c.shootSharing(t)
	c.shootControl(t)
	c.shootChat(t)
	c.shootFiles(t)
	c.shootTechScreen(t)
	c.shootEnd(t)
}

// shootJoin: the empty form, a wrong key's error, then joining with the right key.
func (c *camera) shootJoin(t *testing.T) {
	t.Helper()
	if !c.form.Visible() || c.keyEntry.Text != "" || c.nameEntry.Text != "" || !c.endBtn.Hidden {
		t.Fatal("the start screen is not the empty join form")
	}
	c.take(t, c.win, "01-join-form")

	c.typeIn(c.nameEntry, "Bob")
	wrong := "123456789"
	if c.h.Link().Key == wrong {
		wrong = "987654321"
	}
	c.typeIn(c.keyEntry, wrong)
	test.Tap(c.joinBtn)
	c.waitState(t, stateJoinFailed)
	c.wantStatus(t, lang.L("customer.join_failed", map[string]any{"Reason": lang.L("error.wrong_key")}))
	c.take(t, c.win, "02-join-error")

	c.keyEntry.SetText(transport.FormatSupportKey(c.h.Link().Key))
	test.Tap(c.joinBtn)
	c.waitState(t, stateJoined)
	waitHost(t, c.h, func(j session.Joined) bool { return j.Peer.Name == "Bob" })
}

// shootSharing: the technician viewing, pausing, the customer stopping, and the technician asking again.
func (c *camera) shootSharing(t *testing.T) {
	t.Helper()
	waitHost(t, c.h, func(session.ScreenUpdated) bool { return true })
	c.untilIndicator(t, tr("customer.viewing"))
	c.take(t, c.win, "03-viewing")

	if err := c.h.StopViewing(); err != nil {
		t.Fatal(err)
	}
	c.untilIndicator(t, tr("customer.paused"))
	c.take(t, c.win, "04-paused-by-technician")

	test.Tap(c.stopBtn)
	waitHost(t, c.h, func(e session.SharingChanged) bool { return !e.On && !e.Paused })
	c.untilIndicator(t, lang.L("customer.not_shared"))
	c.wantStatus(t, tr("customer.sharing_stopped"))
	c.take(t, c.win, "05-sharing-stopped")

	if err := c.h.RequestView(); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, tr("customer.view_question"))
	c.take(t, c.win, "06-view-request")
	uitest.Answer(t, c.win, lang.L("Yes"))
	waitHost(t, c.h, func(e session.ConsentAnswered) bool { return e.Granted && e.What == protocol.PermView })
	c.untilIndicator(t, tr("customer.viewing"))
}

// shootControl: the technician asking for control, controlling, and the customer taking it back.
func (c *camera) shootControl(t *testing.T) {
	t.Helper()
	if err := c.h.RequestControl(); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, tr("customer.control_question"))
	c.take(t, c.win, "07-control-request")
	uitest.Answer(t, c.win, lang.L("Yes"))
	waitHost(t, c.h, func(e session.ControlChanged) bool { return e.Granted })
	c.untilIndicator(t, tr("customer.controlling"))
	if !c.takeBackBtn.Visible() || c.takeBackBtn.Disabled() {
		t.Fatal("while controlled, Take back control is not at hand")
	}
	c.take(t, c.win, "08-controlled")

	test.Tap(c.takeBackBtn)
	waitHost(t, c.h, func(e session.ControlChanged) bool { return !e.Granted })
	c.untilIndicator(t, tr("customer.viewing"))
}

// chatLines are a short conversation per language, accents included: Alice, Bob, Alice.
var chatLines = map[string][3]string{
	"en": {
		"Hello Bob, I'm looking at the printer settings now.",
		"Thanks! The printer says « Erreur E-42 : bac à papier vide ».",
		"Got it — I'll send you the new driver in a moment.",
	},
	"fr": {
		"Bonjour Bob, je regarde les réglages de l'imprimante.",
		"Merci ! L'imprimante affiche « Erreur E-42 : bac à papier vide ».",
		"Très bien — je vous envoie le nouveau pilote dans un instant.",
	},
}

// shootChat: a message from the technician opens the chat; the customer answers; the technician again.
func (c *camera) shootChat(t *testing.T) {
	t.Helper()
	lines := chatLines[c.language]
	if c.chat.Visible() {
		t.Fatal("the chat pane is open before any message")
	}
	if _, err := c.h.SendChat(lines[0]); err != nil {
		t.Fatal(err)
	}
	c.until(t, "the chat pane to open with Alice's message", func() bool {
		return c.chat.Visible() && len(c.chat.Messages()) == 1
	})
	layOut(t, c.win) // a frame drawn while Bob reads and types
	c.typeIn(c.chat.Field(), lines[1])
	test.Tap(c.chat.SendBtn)
	if got := waitHost(t, c.h, func(session.ChatReceived) bool { return true }).Message; got.Text != lines[1] {
		t.Fatalf("Alice got %q", got.Text)
	}
	c.until(t, "Bob's message delivered", func() bool {
		m := c.chat.Messages()
		return len(m) == 2 && m[1].Delivered
	})
	layOut(t, c.win) // a frame drawn before Alice answers
	if _, err := c.h.SendChat(lines[2]); err != nil {
		t.Fatal(err)
	}
	c.until(t, "three messages, Bob's delivered", func() bool {
		m := c.chat.Messages()
		return len(m) == 3 && m[1].Delivered && m[2].Text == lines[2]
	})
	if want := tr("customer.chat_note"); c.chat.Note() != want {
		t.Fatalf("chat note %q, want %q", c.chat.Note(), want)
	}
	c.take(t, c.win, "09-chat")
}

// shootFiles: a file offered by the technician and accepted, then one the customer sends, in the status window.
func (c *camera) shootFiles(t *testing.T) {
	t.Helper()
	driver := writeFile(t, "printer-driver-2.1.zip", 182_734)
	if _, err := c.h.Files().Send(driver); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, lang.L("transfers.incoming",
		map[string]any{"Name": "Alice", "What": "printer-driver-2.1.zip", "Size": ui.Bytes(182_734)}))
	c.take(t, c.win, "10-file-offer")
	uitest.Answer(t, c.win, lang.L("transfers.save"))
	c.until(t, "the folder dialog", func() bool { return c.win.Canvas().Overlays().Top() != nil })
	c.take(t, c.win, "10b-save-folder") // Fyne's, where the desktop has no file dialog portal
	c.pickFolder(t, t.TempDir())

	journal := writeFile(t, "printer-log.txt", 4_812)
	c.sendFile(session.TechnicianID, journal) // what the file picker of Send files to Alice… does with the file chosen
	offer := waitHost(t, c.h, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if err := c.h.Files().Accept(offer.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	done := lang.L("transfers.completed", map[string]any{"Count": 1})
	c.until(t, "both transfers completed in the status window", func() bool {
		ids := c.files.list.IDs()
		return c.files.listWin != nil && len(ids) == 2 &&
			c.files.list.State(ids[0]) == done && c.files.list.State(ids[1]) == done
	})
	c.take(t, c.files.listWin, "11-transfers")
}

// pickFolder stands in for the customer choosing dir in the folder dialog that accepting an offer opens: the
// dialog (Fyne's own, listing the real home folder) is closed unseen, and the offer accepted into dir.
func (c *camera) pickFolder(t *testing.T, dir string) {
	t.Helper()
	top := c.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("accepting the offer opened no folder dialog")
	}
	top.Hide()
	in := incoming(c.files.list)
	c.acceptOffer(c.guest, in, dir)
	c.until(t, "the technician's file to arrive", func() bool {
		return c.files.list.State(in) == lang.L("transfers.completed", map[string]any{"Count": 1})
	})
}

// shootTechScreen: the window that shows the technician's screen while they share it.
func (c *camera) shootTechScreen(t *testing.T) {
	t.Helper()
	technicianDoes(t, c.h, func() error { return c.h.ShareScreen(capture.NewPattern(image.Rect(0, 0, 1280, 800)), 0) })
	c.until(t, "the technician's screen window with a picture", func() bool {
		if c.screenOf(0) == nil {
			return false
		}
		w, h := c.screenOf(0).screen.FrameSize()
		return w == 1280 && h == 800
	})
	if want := tr("customer.tech_screen_title"); c.screenOf(0).win.Title() != want {
		t.Fatalf("window title %q, want %q", c.screenOf(0).win.Title(), want)
	}
	c.until(t, "the link's line with its rate", func() bool { return strings.Contains(c.screenOf(0).state.Text, "bit/s") })
	c.take(t, c.screenOf(0).win, "12-technician-screen")
	technicianDoes(t, c.h, func() error { c.h.StopSharingScreen(); return nil })
	c.until(t, "the technician's screen window to close", func() bool { return c.screenOf(0) == nil })
}

// technicianDoes runs one of the technician's actions that reports an event on the caller's goroutine, reading
// (and dropping) the technician's events meanwhile: the customer's screen keeps their buffer full, so the report
// would otherwise wait for a reader for ever.
func technicianDoes(t *testing.T, h *session.Host, action func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- action() }()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-h.Events():
		case <-deadline:
			t.Fatal("the technician's action did not return")
		}
	}
}

// shootEnd: the End session question (answered No), then the technician ending the session.
func (c *camera) shootEnd(t *testing.T) {
	t.Helper()
	test.Tap(c.endBtn)
	c.untilDialog(t, lang.L("customer.end_question"))
	c.take(t, c.win, "14-end-confirm")
	uitest.Answer(t, c.win, lang.L("No"))
	if c.guest == nil {
		t.Fatal("No ended the session")
	}

	c.h.End()
	c.waitState(t, stateEnded)
	c.wantStatus(t, lang.L("customer.ended_by_technician", map[string]any{"Name": "Alice"}))
	if c.inStrip || !c.joinBtn.Visible() || c.indicator.Visible() {
		t.Fatal("after the session: the join form is not back, or the indicator stayed")
	}
	c.take(t, c.win, "16-ended-by-technician")
}

// shootRelayed shows the toolbar in a session met through a rendezvous on loopback and relayed by its TURN
// server, joined with the bare key: the window says which way the connection goes.
func shootRelayed(t *testing.T, language string) {
	srv, h := technicianThroughRendezvous(t)
	c := newCamera(t, language, h, options{name: "Bob", rendezvous: srv.ClientURL(),
		path: session.PathOptions{Loopback: true, RelayOnly: true}})
	c.typeIn(c.keyEntry, transport.FormatSupportKey(h.Link().Key))
	test.Tap(c.joinBtn)
	c.waitState(t, stateJoined)
	waitHost(t, h, func(j session.Joined) bool { return j.Peer.Name == "Bob" })
	c.untilIndicator(t, tr("customer.viewing"))
	if want := lang.L("route.relayed", map[string]any{"Server": "127.0.0.1"}); !c.route.Visible() || c.route.Text != want {
		t.Fatalf("route %q (visible %v), want %q", c.route.Text, c.route.Visible(), want)
	}
	c.take(t, c.win, "03b-viewing-relayed")
}

// shootReconnecting shows the toolbar while a dropped connection is being restored (through a relay the test
// cuts).
func shootReconnecting(t *testing.T, language string) {
	h := technicianWith(t, session.HostConfig{IdleTimeout: 600 * time.Millisecond})
	path := relay.New(t, h.Link().Addr)
	c := newCamera(t, language, h, options{name: "Bob", idleTimeout: 600 * time.Millisecond})
	test.Type(c.keyEntry, session.Link{Addr: path.Addr(), Key: h.Link().Key}.String())
	c.waitState(t, stateJoined)
	waitHost(t, h, func(session.ScreenUpdated) bool { return true })

	path.Cut(true)
	c.untilIndicator(t, tr("customer.reconnecting"))
	c.wantStatus(t, tr("customer.reconnecting_status"))
	c.take(t, c.win, "13-reconnecting")
	path.Cut(false)
	c.untilIndicator(t, tr("customer.viewing"))
}

// shootUninstall shows the End session question when the technician asked for the program to be removed at the
// end, and the toolbar once the technician has ended the session and the (test) AppImage is gone.
func shootUninstall(t *testing.T, language string) {
	in, _ := testInstall(t)
	h := uninstallingTechnician(t)
	c := newCamera(t, language, h, options{name: "Bob", install: in})
	c.joinWithLink(t)

	test.Tap(c.endBtn)
	c.untilDialog(t, lang.L("customer.uninstall_will", map[string]any{"Path": in.appImage}))
	c.take(t, c.win, "15-end-confirm-uninstall")
	uitest.Answer(t, c.win, lang.L("No"))

	h.End()
	c.waitState(t, stateEnded)
	if !strings.Contains(c.status.Text, lang.L("customer.uninstalled")) || c.joinBtn.Visible() {
		t.Fatalf("status %q; Join visible %v", c.status.Text, c.joinBtn.Visible())
	}
	if _, err := os.Stat(in.appImage); err == nil {
		t.Fatal("the AppImage is still there")
	}
	c.take(t, c.win, "17-ended-and-removed")
}

// writeFile makes a file of size bytes named name in a temporary folder.
func writeFile(t *testing.T, name string, size int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// shootColleagues shows the question before Alice may invite a colleague, the toolbar with Alice and her
// colleague Cora listed (Cora in control, with Remove), and the question that Remove asks.
func shootColleagues(t *testing.T, language string) {
	h := technician(t)
	opts := teamOptions()
	opts.name = "Bob"
	c := newCamera(t, language, h, opts)
	c.joinWithLink(t)
	if err := h.Invite(); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, tr("customer.invite_question"))
	c.take(t, c.win, "18-invite-question")
	uitest.Answer(t, c.win, lang.L("Yes"))
	a := waitHost(t, h, func(session.InviteAnswered) bool { return true })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cora, err := session.JoinColleague(ctx, a.Link, session.HostConfig{Name: "Cora"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cora.End)
	waitHost(t, cora, func(session.Joined) bool { return true })
	if err := cora.RequestControl(); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, lang.L("customer.control_question", map[string]any{"Name": "Cora", "Shortcut": shortcutText()}))
	uitest.Answer(t, c.win, lang.L("Yes"))
	c.untilIndicator(t, lang.L("customer.controlling", map[string]any{"Name": "Cora"}))
	c.take(t, c.win, "19-two-technicians")
	test.Tap(uitest.FindButton(c.techList, lang.L("customer.remove_tech")))
	c.untilDialog(t, lang.L("customer.remove_question", map[string]any{"Name": "Cora"}))
	c.take(t, c.win, "20-remove-confirm")
	uitest.Answer(t, c.win, lang.L("customer.remove_tech"))
	c.until(t, "Cora removed", func() bool {
		return c.status.Text == lang.L("customer.tech_removed", map[string]any{"Name": "Cora"}) && !c.techList.Visible()
	})
	c.take(t, c.win, "21-technician-removed")

	// Alice invites Dave, then leaves the session to him.
	if err := h.Invite(); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, tr("customer.invite_question"))
	uitest.Answer(t, c.win, lang.L("Yes"))
	a = waitHost(t, h, func(session.InviteAnswered) bool { return true })
	dave, err := session.JoinColleague(ctx, a.Link, session.HostConfig{Name: "Dave"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dave.End)
	c.until(t, "Dave in the list", func() bool { return uitest.FindLabel(c.techList, "Dave") != nil })
	knows(t, h, "Dave") // Alice's program must know the colleague it hands the session to
	h.Leave()
	c.until(t, "the hand-over said", func() bool {
		return c.status.Text == lang.L("customer.handed_over", map[string]any{"From": "Alice", "To": "Dave"})
	})
	c.untilIndicator(t, lang.L("customer.viewing", map[string]any{"Name": "Dave"}))
	c.take(t, c.win, "22-handed-over")
}

// shootUnattended shows unattended access: Alice's request with the password chosen, the set-up done, the
// Unattended access window, and the toolbar of the helper while Alice is connected unattended. Alice's sessions
// come through a rendezvous, as from another network.
func shootUnattended(t *testing.T, language string) {
	expert, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	url, path := rendezvoustest.Start(t).ClientURL(), session.PathOptions{Loopback: true}
	h := technicianWith(t, session.HostConfig{Identity: expert, Rendezvous: url, Path: path})
	ts := newTestSetup(t, false)
	c := newCamera(t, language, h, options{name: "Bob", setup: ts.unattendedSetup, path: path})
	c.joinWithLink(t)
	if err := h.RequestUnattended(""); err != nil {
		t.Fatal(err)
	}
	c.untilDialog(t, tr("unattended.question"))
	const pw = "correct horse battery staple"
	for _, e := range uitest.FindEntries(c.win.Canvas().Overlays().Top()) {
		e.SetText(pw)
	}
	c.take(t, c.win, "23-unattended-question")
	test.Tap(uitest.FindButton(c.win.Canvas().Overlays().Top(), lang.L("unattended.allow")))
	set := waitHost(t, h, func(session.UnattendedSetUp) bool { return true })
	if set.Err != nil {
		t.Fatal(set.Err)
	}
	c.until(t, "the set-up said", func() bool { return c.status.Text == tr("unattended.set_up") })
	c.take(t, c.win, "24-unattended-set-up")

	// Later, Alice connects while nobody is there: the helper's toolbar says so.
	h.End()
	c.waitState(t, stateEnded)
	hc := newCamera(t, language, nil, options{name: "Bob", helper: true, setup: ts.unattendedSetup, path: path})
	hp := startHelper(hc.toolbar, ts.socket)
	t.Cleanup(hp.close)
	poll(t, hc.shown, "the helper at the agent", func() bool {
		ad, err := unattended.DialAdmin(t.Context(), ts.socket)
		if err != nil {
			return false
		}
		defer ad.Close()
		st, err := ad.Status()
		return err == nil && st.Helper
	})
	later := technicianWith(t, session.HostConfig{Identity: expert, Rendezvous: url, Path: path})
	opened := make(chan error, 1)
	go func() {
		opened <- unattended.Open(context.Background(), unattended.Target{Rendezvous: set.Rendezvous, Path: path,
			ID: set.Computer, Secret: set.Secret}, expert, "Alice", later.Link().String())
	}()
	hc.waitState(t, stateJoined)
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	hc.h = later
	hc.untilIndicator(t, tr("customer.viewing"))
	hc.take(t, hc.win, "25-unattended-session")

	// The Unattended access window, with what happened in the log.
	test.Tap(c.accessBtn)
	aw := c.access
	poll(t, c.shown, "the window's state", func() bool { return aw.known && !aw.busy })
	aw.win.Resize(fyne.NewSize(640, 640))
	c.take(t, aw.win, "26-unattended-access")
}
