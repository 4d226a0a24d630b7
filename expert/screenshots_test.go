//go:build screenshots

package main

import (
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
	"github.com/tandem-remote/tandem/shared/ui/uitest"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/shared/unattended/unattendedtest"
)

// shotTimeout bounds each wait for the windows to reach the state that a screenshot shows.
const shotTimeout = 30 * time.Second

// customerScreen is the size of the screen that the customer shares: a common laptop's.
var customerScreen = image.Rect(0, 0, 1280, 800)

// shotTexts are what the people in the screenshots write and send, in each language.
type shotTexts struct {
	chat      [3]string // Bob, Alice, Bob
	bobFile   string    // what Bob sends to Alice
	aliceFile string    // what Alice sends to Bob
	past      [2]string // the chat of two earlier sessions in the history
}

var texts = map[string]shotTexts{
	"en": {
		chat: [3]string{"Hi Alice, my printer says it's <offline> again since this morning.",
			"Let me have a look. Please leave the mouse alone for a minute while I check the café's Wi-Fi settings.",
			"Sure, thanks! Naïve question: do I need to restart it?"},
		bobFile: "printer-error.log", aliceFile: "printer-driver-setup.zip",
		past: [2]string{"the screen flickers after the update", "cannot open my e-mail"},
	},
	"fr": {
		chat: [3]string{"Bonjour Alice, mon imprimante affiche « hors ligne » depuis ce matin.",
			"Je regarde ça. Ne touchez pas à la souris pendant une minute, s'il vous plaît : je vérifie le Wi-Fi.",
			"D'accord, merci ! Ça fait déjà deux jours… Dois-je la redémarrer ?"},
		bobFile: "journal-imprimante.log", aliceFile: "pilote-imprimante-été.zip",
		past: [2]string{"l'écran clignote après la mise à jour", "impossible d'ouvrir mes e-mails"},
	},
}

// TestScreenshots drives the real Tandem Expert windows, in English and in French, through a real session with
// a real customer engine on loopback QUIC, and saves a PNG of every window and main state into
// $TANDEM_SHOTS/<language>/expert-NN-*.png (make screenshots). Before each screenshot it checks that the windows
// show the state the screenshot is for.
func TestScreenshots(t *testing.T) {
	for _, language := range []string{"en", "fr"} {
		t.Run(language, func(t *testing.T) {
			f := newShotFlow(t, language)
			f.homeWaiting()
			f.bobJoins()
			f.viewing()
			f.chatting()
			f.files()
			f.stopAndEnd()
			f.afterwards()
			f.reconnecting() // a session of its own, through a relay that can cut the connection
			f.slowLink()
			f.lossyVideo()
			f.throughRendezvous()
			f.colleagues()
			f.unattended()
			f.cannotShare()
		})
	}
}

// shotFlow is one language's run through the windows: the home window under test, where its screenshots go,
// and the customer once one has joined.
type shotFlow struct {
	t     *testing.T
	lang  string
	h     *shown
	shots *uitest.Shots
	c     *customerSide // Bob, sharing his screen
	bob   *hosted       // Bob's session on the home window
}

// newShotFlow opens the home window with the programs' theme.
func newShotFlow(t *testing.T, language string) *shotFlow {
	t.Helper()
	h := testHome(t, language)
	return &shotFlow{t: t, lang: language, h: h, shots: uitest.NewShots(t, h.app, language)}
}

// take runs the windows' callbacks until ok says that they show what the screenshot is for (what, for the
// failure message), then saves w as expert-name.png.
func (f *shotFlow) take(w fyne.Window, name, what string, ok func() bool) {
	f.t.Helper()
	f.h.loop.Until(f.t, shotTimeout, what, ok)
	f.takeAsIs(w, name)
}

// takeAsIs saves w without running the callbacks pending (for a state that they would change), at its real size.
func (f *shotFlow) takeAsIs(w fyne.Window, name string) {
	f.t.Helper()
	realSize(f.t, w)
	relayout(w)
	f.shots.Take(w, "expert-"+name)
}

// relayout lays w's content and dialogs out again from the top, as a desktop window does before it draws
// whenever what its objects need has changed (a label's new text, a part hidden or shown); the test driver
// leaves that to the next resize. Twice, for wrapped labels whose height depends on the width they were given.
func relayout(w fyne.Window) {
	for range 2 {
		layOut(w.Content())
		for _, o := range w.Canvas().Overlays().List() {
			layOut(o)
		}
	}
}

// layOut lays o out within its current size, then what it holds.
func layOut(o fyne.CanvasObject) {
	if o == nil || !o.Visible() {
		return
	}
	switch o := o.(type) {
	case *fyne.Container:
		if o.Layout != nil {
			o.Layout.Layout(o.Objects, o.Size())
		}
		for _, c := range o.Objects {
			layOut(c)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(o)
		r.Layout(o.Size())
		for _, c := range r.Objects() {
			layOut(c)
		}
	}
}

// realSize grows w to what its content needs, as a desktop window is never smaller than that (the test driver
// lets a window be any size, the Preferences window asks for a height of 0). It says so when it grows.
func realSize(t *testing.T, w fyne.Window) {
	t.Helper()
	need := w.Content().MinSize()
	if w.Padded() {
		need = need.AddWidthHeight(2*theme.Padding(), 2*theme.Padding())
	}
	if have := w.Canvas().Size(); have.Width < need.Width || have.Height < need.Height {
		t.Logf("window %q is %v, its content needs %v: grown to that", w.Title(), have, need)
		w.Resize(have.Max(need))
	}
}

// fatalIf fails the test with msg when bad holds.
func (f *shotFlow) fatalIf(bad bool, msg string, args ...any) {
	f.t.Helper()
	if bad {
		f.t.Fatalf(msg, args...)
	}
}

// homeWaiting shoots the home window without a session, then with one waiting for its customer.
func (f *shotFlow) homeWaiting() {
	h := f.h
	f.take(h.win, "01-home", "the home window without a session", func() bool {
		return len(h.sessions) == 0 && h.status.Visible() && h.status.Text == lang.L("expert.no_session")
	})
	test.Tap(h.newSession)
	s := h.cur()
	f.fatalIf(s == nil, "New session made no session")
	f.take(h.win, "02-home-waiting", "a session waiting with its key", func() bool {
		_, err := transport.ParseSupportKey(s.keyText.Text)
		return len(h.sessions) == 1 && s.key.Visible() && err == nil && strings.Contains(s.link.Text, "key=") &&
			s.status.Text == lang.L("expert.waiting") && s.expiry.Text != "" && s.endSession.Visible()
	})
	// Someone elsewhere tries a wrong key: the card says so, and from where.
	lk, err := session.ParseLink(s.link.Text)
	f.fatalIf(err != nil, "the join link does not parse: %v", err)
	wrong := "111111111"
	if lk.Key == wrong {
		wrong = "222222222"
	}
	f.fatalIf(protocol.CodeOf(guessFrom(f.t, "127.0.0.7", lk.Addr, wrong)) != protocol.WrongKey, "a wrong key was not refused")
	f.take(h.win, "02b-home-attempt-refused", "a wrong key tried from 127.0.0.7", func() bool {
		return strings.Contains(s.status.Text, "127.0.0.7:")
	})
}

// bobJoins has Bob join a second session, sharing his screen, and shoots the home window with both sessions and
// the question that End session asks on a card.
func (f *shotFlow) bobJoins() {
	h := f.h
	waiting := h.cur()
	f.c = joinSharingScreen(f.t, h, capture.NewPattern(customerScreen))
	f.bob = h.cur()
	bob := f.bob
	f.take(h.win, "03-home-two-sessions", "Bob's session beside the waiting one", func() bool {
		return len(h.sessions) == 2 && bob != waiting && joined(h) && bob.title.Text == "Bob" && !bob.key.Visible() &&
			strings.Contains(bob.status.Text, "Bob") && bob.showViewer.Visible() && waiting.key.Visible() &&
			strings.Contains(waiting.status.Text, "127.0.0.7:") // the wrong key tried on it
	})
	test.Tap(waiting.endSession)
	f.take(h.win, "04-home-end-confirm", "the End session question on the home window", func() bool {
		return hasQuestion(h.win)
	})
	uitest.Answer(f.t, h.win, lang.L("No"))
	f.fatalIf(waiting.host == nil || hasQuestion(h.win), "No ended the waiting session or left the question open")
}

// joined says whether the home window has shown a customer joining.
func joined(h *shown) bool {
	for _, e := range h.events {
		if _, ok := e.(session.Joined); ok {
			return true
		}
	}
	return false
}

// hasQuestion says whether a Yes/No question is over w.
func hasQuestion(w fyne.Window) bool {
	top := w.Canvas().Overlays().Top()
	return top != nil && uitest.FindButton(top, lang.L("Yes")) != nil && uitest.FindButton(top, lang.L("No")) != nil
}

// viewing shoots the viewer showing Bob's screen, asking for control, and in control.
func (f *shotFlow) viewing() {
	v := f.bob.view
	f.fatalIf(v == nil || v.win == nil, "no viewer window for Bob")
	f.take(v.win, "05-viewer", "Bob's screen in the viewer", func() bool {
		w, h := v.screen.FrameSize()
		return v.painted && v.sharing && w == customerScreen.Dx() && h == customerScreen.Dy() &&
			v.status.Text == named("viewer.state.viewing") && !v.over.Visible()
	})

	test.Tap(v.controlBtn)
	ask := waitCustomer(f.t, f.c, func(e session.ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := f.c.g.Answer(ask.ID, true); err != nil { // at once: the customer's engine gives up after 300 ms
		f.t.Fatal(err)
	}
	// The viewer learns of the answer only when its callbacks run: until then it shows the question pending.
	f.fatalIf(v.status.Text != named("viewer.state.viewing")+" "+named("viewer.note.waiting_control") ||
		!v.controlBtn.Disabled(), "while asking for control the viewer says %q", v.status.Text)
	f.takeAsIs(v.win, "06-viewer-asking-control")
	f.take(v.win, "07-viewer-control", "control granted", func() bool {
		return v.controlled && v.status.Text == named("viewer.state.controlling") &&
			v.controlBtn.Text == lang.L("viewer.release_control") && !v.controlBtn.Disabled()
	})
}

// chatting has Bob and Alice exchange three messages and shoots the viewer with its chat pane.
func (f *shotFlow) chatting() {
	v, lines := f.bob.view, texts[f.lang].chat
	if _, err := f.c.g.SendChat(lines[0]); err != nil {
		f.t.Fatal(err)
	}
	f.h.loop.Until(f.t, shotTimeout, "the chat pane to open with Bob's message", func() bool {
		return v.chat.Visible() && len(v.chat.Messages()) == 1
	})
	test.Type(v.chat.Field(), lines[1])
	test.Tap(v.chat.SendBtn)
	waitCustomer(f.t, f.c, func(e session.ChatReceived) bool { return e.Message.Text == lines[1] })
	if _, err := f.c.g.SendChat(lines[2]); err != nil {
		f.t.Fatal(err)
	}
	f.take(v.win, "08-viewer-chat", "three messages, Alice's delivered", func() bool {
		msgs := v.chat.Messages()
		if !v.chat.Visible() || len(msgs) != 3 {
			return false
		}
		for i, m := range msgs {
			if m.Text != lines[i] || m.Outgoing != (i == 1) || m.Outgoing && !m.Delivered {
				return false
			}
		}
		return v.chat.Draft() == ""
	})
}

// files shoots the File transfer menu, Bob's offer of a file, and the status window with Alice's file to Bob
// on its way (or arrived, if it went faster than the list's updates).
func (f *shotFlow) files() {
	t, h, v, names := f.t, f.h, f.bob.view, texts[f.lang]
	test.Tap(v.filesBtn)
	menu := uitest.PopUpMenu(v.win)
	f.fatalIf(menu == nil, "File transfer shows no menu")
	f.take(v.win, "09-viewer-files-menu", "the File transfer menu", func() bool { return uitest.PopUpMenu(v.win) == menu })
	menu.Hide()
	f.fatalIf(v.win.Canvas().Overlays().Top() != nil, "the File transfer menu did not close")

	log := filepath.Join(t.TempDir(), names.bobFile)
	if err := os.WriteFile(log, []byte(strings.Repeat("E4201 printer offline\n", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.g.Files().Send(log); err != nil {
		t.Fatal(err)
	}
	f.take(v.win, "10-viewer-file-offer", "the question about Bob's file", func() bool {
		top := v.win.Canvas().Overlays().Top()
		return len(v.offers) == 1 && top != nil && uitest.FindButton(top, lang.L("transfers.save")) != nil &&
			uitest.FindButton(top, lang.L("transfers.decline")) != nil
	})
	var in transfer.ID
	for id := range v.offers {
		in = id
	}
	// Into a folder of the test's, without the folder dialog; the preferences stay as they were for their shot.
	kept := h.prefs
	h.prefs.AskWhere, h.prefs.DownloadDir = false, t.TempDir()
	uitest.Answer(t, v.win, lang.L("transfers.save"))
	h.prefs = kept

	// A file large enough for the list to show it on its way (sparse: nothing to write here).
	zip := filepath.Join(t.TempDir(), names.aliceFile)
	if err := os.WriteFile(zip, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(zip, 96<<20); err != nil {
		t.Fatal(err)
	}
	v.sendFile(zip)
	offer := waitCustomer(t, f.c, func(e session.FileTransfer) bool {
		_, ok := e.Event.(transfer.OfferReceived)
		return ok
	}).Event.(transfer.OfferReceived)
	if err := f.c.g.Files().Accept(offer.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	out := transfer.ID{Dir: transfer.Outgoing, N: offer.ID.N}
	done := lang.L("transfers.completed", map[string]any{"Count": 1})
	f.fatalIf(v.listWin == nil, "no File transfer status window")
	f.take(v.listWin, "11-transfers", "Bob's file arrived, Alice's on its way", func() bool {
		p, running := v.list.Progress(out)
		// Past its first report, which knows no speed yet.
		return v.list.State(in) == done && (running && p >= 0.05 && p < 0.95 || v.list.State(out) == done)
	})
	if v.list.State(out) == done {
		t.Logf("%s: Alice's file arrived before the list showed it on its way", f.lang)
	}
	h.loop.Until(t, time.Minute, "Alice's file to arrive", func() bool { return v.list.State(out) == done })
}

// stopAndEnd shoots the End session question in the viewer (answered No), the viewer once Bob stopped sharing,
// and the viewer after the session ended.
func (f *shotFlow) stopAndEnd() {
	v := f.bob.view
	f.fatalIf(v.win.Canvas().Overlays().Top() != nil, "a dialog is still open over the viewer")
	test.Tap(v.endBtn)
	f.take(v.win, "12-viewer-end-confirm", "the End session question in the viewer", func() bool {
		return hasQuestion(v.win)
	})
	uitest.Answer(f.t, v.win, lang.L("No"))
	f.fatalIf(v.ended || f.bob.host == nil, "No ended the session")

	f.c.g.StopSharing()
	f.take(v.win, "13-viewer-stopped", "the viewer to say Bob stopped sharing", func() bool {
		return !v.sharing && v.status.Text == named("viewer.state.stopped") && v.over.Visible() &&
			v.overText.Text == v.status.Text && !v.viewBtn.Disabled() && v.controlBtn.Disabled()
	})

	test.Tap(v.endBtn)
	uitest.Answer(f.t, v.win, lang.L("Yes"))
	end := waitCustomer(f.t, f.c, func(session.Ended) bool { return true })
	f.fatalIf(protocol.CodeOf(end.Err) != protocol.SessionEnded, "the customer was told %v", end.Err)
	f.take(v.win, "15-viewer-ended", "the viewer to say the session is over", func() bool {
		return v.ended && f.bob.ended && v.status.Text == lang.L("viewer.state.ended_by_you") && v.endBtn.Disabled()
	})
}

// afterwards shoots the Preferences window, the History window with Bob's session selected (after two earlier
// ones), and the home window with Bob's session ended.
func (f *shotFlow) afterwards() {
	t, h := f.t, f.h
	test.Tap(h.prefsBtn)
	pw := h.prefsWin
	f.fatalIf(pw == nil, "Preferences opened no window")
	f.take(pw.win, "16-preferences", "the preferences", func() bool {
		return pw.name.Text == "Alice" && pw.uninstall.Checked && pw.askWhere.Checked && pw.control.Checked &&
			pw.files.Checked && pw.language.SelectedIndex() == 0
	})
	pw.win.Close()

	now := time.Now()
	past := texts[f.lang].past
	pastSession(t, h.opts.store, 1, "Carole", past[0], now.Add(-26*time.Hour))
	pastSession(t, h.opts.store, 2, "David", past[1], now.Add(-74*time.Hour))
	test.Tap(h.historyBtn)
	hs := h.hist
	f.fatalIf(hs == nil || len(hs.items) != 3 || hs.items[0].CustomerName != "Bob" || hs.items[0].Ended.IsZero(),
		"the history does not list Bob's ended session first: %+v", hs)
	hs.list.Select(0)
	f.take(hs.win, "17-history", "Bob's session selected", func() bool {
		return hs.selected == 0 && !hs.reportBtn.Disabled() && hs.status.Text == lang.L("history.count", map[string]any{"Count": 3})
	})

	s := f.bob
	f.take(h.win, "18-home-ended", "the home window with Bob's session ended", func() bool {
		return s.ended && s.closeBtn.Visible() && !s.endSession.Visible() && !s.showViewer.Visible() &&
			s.status.Text == lang.L("expert.ended_by_you")
	})
}

// reconnecting has Bob join a new session through a relay, cuts the connection and shoots the viewer while the
// session tries to get it back; then lets it through again.
func (f *shotFlow) reconnecting() {
	t, h := f.t, f.h
	path, v := joinThroughRelay(t, h, capture.NewPattern(customerScreen))

	path.Cut(true)
	f.take(v.win, "14-viewer-reconnecting", "the viewer to say it is reconnecting", func() bool {
		return v.reconnecting && v.status.Text == named("viewer.state.reconnecting") && v.over.Visible() &&
			v.overText.Text == v.status.Text
	})
	path.Cut(false)
	h.loop.Until(t, shotTimeout, "Bob's screen again", func() bool { return v.status.Text == named("viewer.state.viewing") })
}

// cannotShare has Bob join from a computer whose system gave no screen (a refusal in a Wayland desktop's own
// window), and shoots the viewer saying that his computer cannot share its screen.
func (f *shotFlow) cannotShare() {
	t, h := f.t, f.h
	test.Tap(h.newSession)
	if _, err := joinAs(t, h.cur().link.Text, "Bob"); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, shotTimeout, "a viewer window", func() bool { return h.cur().view != nil && h.cur().view.win != nil })
	v := h.cur().view
	if v.status.Text != named("viewer.state.view_unavailable") && !v.viewBtn.Disabled() {
		test.Tap(v.viewBtn)
	}
	f.take(v.win, "37-viewer-cannot-share", "the viewer to say Bob's computer cannot share", func() bool {
		return v.status.Text == named("viewer.state.view_unavailable")
	})
}

// slowLink has Bob join through a slow link with a screen whose exact picture takes it seconds, and shoots the
// viewer with the coarse preview (sharpening) and then with the exact picture.
func (f *shotFlow) slowLink() {
	t, h := f.t, f.h
	v := joinOverSlowLink(t, h, capture.NewGrain(1280, 800), relay.Link{Rate: 8_000_000, Delay: 40 * time.Millisecond})
	if v.picture != session.PictureSharpening {
		t.Fatalf("the viewer says %q, not that the picture sharpens", v.route.Text)
	}
	f.takeAsIs(v.win, "28-viewer-sharpening")
	f.take(v.win, "29-viewer-exact-slow-link", "the exact picture", func() bool { return v.picture == session.PictureExact })
}

// lossyVideo has Bob join through a slow link with a video playing on his screen, and shoots the viewer showing
// it as lossy video (Prefer speed), then exact after Alice chose Prefer quality and the video stopped.
func (f *shotFlow) lossyVideo() {
	t, h := f.t, f.h
	if !session.LossyVideo() {
		t.Fatal("this build has no VP8: the screenshots need the lossy video")
	}
	movie := capture.NewMovie()
	v := joinOverSlowLink(t, h, movie, relay.Link{Rate: 4_000_000, Delay: 40 * time.Millisecond})
	v.qualitySel.SetSelected(lang.L("quality.prefer_speed")) // the default, which testHome changes
	f.take(v.win, "30-viewer-lossy-video", "the moving video shown lossy", func() bool {
		return v.picture == session.PictureLossy
	})
	v.qualitySel.SetSelected(lang.L("quality.prefer_quality"))
	movie.Pause()
	f.take(v.win, "31-viewer-prefer-quality", "the exact picture", func() bool { return v.picture == session.PictureExact })
}

// throughRendezvous has Bob join a session met through a rendezvous on loopback, relayed by its TURN server, and
// shoots the session card and the viewer, which say so.
func (f *shotFlow) throughRendezvous() {
	t, h := f.t, f.h
	srv := rendezvoustest.Start(t)
	h.prefs.Rendezvous = srv.ClientURL()
	h.opts.path = session.PathOptions{Loopback: true}
	joinSharingScreen(t, h, capture.NewPattern(customerScreen), func(cfg *session.GuestConfig) {
		cfg.Path = session.PathOptions{Loopback: true, RelayOnly: true}
	})
	s := h.cur()
	want := lang.L("route.relayed", map[string]any{"Server": "127.0.0.1"})
	f.take(s.view.win, "19-viewer-relayed", "the viewer to say the session is relayed", func() bool {
		return s.view.painted && strings.HasPrefix(s.view.route.Text, want+" · ")
	})
	f.take(h.win, "20-home-relayed", "the session card to say the session is relayed", func() bool {
		return s.route.Visible() && s.route.Text == want
	})
}

// colleagues has Alice invite a colleague, Cora, into a new session with Bob: it shoots the invitation with its
// link, Cora's Join a colleague's session with the link pasted, Cora's viewer and Alice's, each naming the
// other, and Cora's card once Bob has removed her.
func (f *shotFlow) colleagues() {
	t, h := f.t, f.h
	h.prefs.Rendezvous, h.opts.path = "", session.PathOptions{}
	c := joinSharingScreen(t, h, capture.NewPattern(customerScreen), inviting)
	alice := h.cur().view
	link := inviteColleague(t, h, c) // closes the invitation window once checked: open it again for the picture
	test.Tap(alice.inviteBtn)
	q := waitCustomer(t, c, func(session.InviteRequested) bool { return true })
	f.fatalIf(c.g.AnswerInvite(q.ID, true) != nil, "the customer could not answer")
	f.take(alice.win, "21-viewer-invitation", "the invitation with its link", func() bool {
		top := alice.win.Canvas().Overlays().Top()
		_, ok := findLink(top)
		return top != nil && ok
	})
	uitest.Answer(t, alice.win, lang.L("viewer.invitation_close"))

	cora := testHomeAs(t, f.lang, "Cora")
	cora.app.Settings().SetTheme(theme.DefaultTheme())
	test.Tap(cora.joinBtn)
	entry := uitest.FindEntry(cora.win.Canvas().Overlays().Top())
	f.fatalIf(entry == nil, "no field for the invitation")
	cora.win.Canvas().Focus(entry)
	test.Type(entry, link)
	f.takeAsIs(cora.win, "22-home-join-colleague")
	uitest.Answer(t, cora.win, lang.L("expert.colleague_join"))
	s := cora.cur()
	cora.loop.Until(t, shotTimeout, "Cora's viewer with the customer's screen", func() bool {
		return s.view != nil && s.view.win != nil && s.view.painted && s.view.teamLbl.Visible()
	})
	f.takeAsIs(s.view.win, "23-viewer-colleague")
	f.take(alice.win, "24-viewer-with-colleague", "Alice's viewer naming Cora", func() bool {
		return alice.teamLbl.Visible() && strings.Contains(alice.teamLbl.Text, "Cora")
	})
	joined := waitCustomer(t, c, func(session.ColleagueJoined) bool { return true })
	f.fatalIf(c.g.RemoveTechnician(joined.ID) != nil, "the customer could not remove Cora")
	cora.loop.Until(t, shotTimeout, "Cora's card to say she was removed", func() bool { return s.ended })
	f.takeAsIs(cora.win, "25-home-colleague-removed")

	// Dave joins; Alice leaves the session to him.
	h.loop.Until(t, shotTimeout, "Alice's viewer to name nobody else", func() bool { return !alice.teamLbl.Visible() })
	link = inviteColleague(t, h, c)
	dave := testHomeAs(t, f.lang, "Dave")
	dave.app.Settings().SetTheme(theme.DefaultTheme())
	joinWithLink(t, dave, link)
	d := dave.cur()
	dave.loop.Until(t, shotTimeout, "Dave's viewer", func() bool { return d.view != nil && d.view.win != nil && d.view.painted })
	h.loop.Until(t, shotTimeout, "Alice's viewer to name Dave", func() bool { return alice.nextLead() == "Dave" })
	test.Tap(alice.endBtn)
	f.take(alice.win, "26-viewer-leave-or-end", "the question to leave or end", func() bool {
		top := alice.win.Canvas().Overlays().Top()
		return top != nil && uitest.FindButton(top, lang.L("viewer.hand_over", map[string]any{"To": "Dave"})) != nil
	})
	test.Tap(uitest.FindButton(alice.win.Canvas().Overlays().Top(), lang.L("viewer.hand_over", map[string]any{"To": "Dave"})))
	youLead := lang.L("viewer.note.you_lead", map[string]any{"From": "Alice"})
	dave.loop.Until(t, shotTimeout, "Dave's viewer to say he leads", func() bool {
		return strings.Contains(d.view.teamLbl.Text, youLead)
	})
	f.takeAsIs(d.view.win, "27-viewer-colleague-leads")
}

// unattended shows unattended access from the technician's side: the question to ask it, the set-up done in the
// viewer, the Computers tab, a computer that refuses (blocked) and an unattended session's viewer. The session
// that sets access up comes through a rendezvous, so the computer is reached through it.
func (f *shotFlow) unattended() {
	t, h := f.t, f.h
	path := session.PathOptions{Loopback: true}
	oldRV, oldPath := h.prefs.Rendezvous, h.opts.path
	h.prefs.Rendezvous, h.opts.path = rendezvoustest.Start(t).ClientURL(), path
	defer func() { h.prefs.Rendezvous, h.opts.path = oldRV, oldPath }()
	cc := &customerComputer{Agent: unattendedtest.StartWith(t, func(cfg *unattended.AgentConfig) { cfg.Path = path }),
		path: path}
	h.tabs.SelectIndex(0)
	test.Tap(h.newSession)
	g, err := session.Join(t.Context(), h.cur().host.Link(), session.GuestConfig{Name: "Zoé", CanSetUpUnattended: true,
		Screen: capture.NewPattern(customerScreen), Input: input.NewRecorder(), Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.End)
	s := h.cur()
	h.loop.Until(t, shotTimeout, "the viewer", func() bool { return s.view != nil && s.view.win != nil })
	v := s.view
	test.Tap(v.unattendedBtn)
	f.take(v.win, "32-viewer-unattended-question", "the question", func() bool { return v.win.Canvas().Overlays().Top() != nil })
	uitest.Answer(t, v.win, lang.L("viewer.unattended_ask"))
	cc.acceptSetUp(t, g, "zoé's chosen password")
	done := lang.L("viewer.unattended_done", map[string]any{"Computer": "zoe-laptop"})
	f.take(v.win, "33-viewer-unattended-done", "the set-up done", func() bool { return strings.Contains(v.status.Text, done) })
	g.End()

	h.tabs.SelectIndex(1)
	h.poll(t, "the computer online", func() bool {
		return len(h.comps.items) == 1 && h.comps.reach[h.comps.items[0].ID] == reachOnline
	})
	f.takeAsIs(h.win, "34-home-computers")

	if err := cc.Admin.SetBlocked(true); err != nil {
		t.Fatal(err)
	}
	test.Tap(uitest.FindButton(h.comps.list, lang.L("computers.connect")))
	blocked := h.cur()
	h.poll(t, "the refusal", func() bool { return blocked.ended })
	f.takeAsIs(h.win, "35-home-unattended-blocked")

	if err := cc.Admin.SetBlocked(false); err != nil {
		t.Fatal(err)
	}
	cc.serveHelper(t)
	h.poll(t, "the helper", func() bool { st, err := cc.Admin.Status(); return err == nil && st.Helper })
	h.tabs.SelectIndex(1)
	test.Tap(uitest.FindButton(h.comps.list, lang.L("computers.connect")))
	u := h.cur()
	h.loop.Until(t, shotTimeout, "the unattended viewer", func() bool { return u.view != nil && u.view.win != nil })
	f.take(u.view.win, "36-viewer-unattended-session", "the computer's screen", func() bool {
		return u.view.painted && u.view.sharing
	})
	u.endNow()
}
