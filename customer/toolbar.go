package main

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/version"
)

// options are what the command line (or a test) sets.
type options struct {
	// do runs a function on the UI goroutine without waiting: fyne.Do, or a test's loop.
	do   func(func())
	name string
	// addr is the technician's address to use with a bare support key (from a previous join link or -addr).
	addr string
	// onState, if set, is called on the UI goroutine after the window has changed state (the headless demo
	// takes its screenshot on stateJoined; tests wait on it).
	onState func(state)
}

// state is where the toolbar stands, as onState reports it.
type state int

const (
	stateJoined     state = iota + 1 // in a session
	stateJoinFailed                  // a join attempt failed; the form is back
	stateEnded                       // the session is over; the form is back
)

func (t *toolbar) changed(s state) {
	if t.opts.onState != nil {
		t.opts.onState(s)
	}
}

// toolbar is the Customer window: the join form, then the session's state.
type toolbar struct {
	app  fyne.App
	win  fyne.Window
	opts options

	keyEntry  *widget.Entry
	nameEntry *widget.Entry
	joinBtn   *widget.Button
	endBtn    *widget.Button
	status    *widget.Label
	form      *fyne.Container

	guest     *session.Guest     // nil when not in a session; UI goroutine only
	joining   context.CancelFunc // non-nil while a join is in progress
	joinDone  chan struct{}      // closed when the last join goroutine has returned
	following chan struct{}      // closed when the goroutine following guest's events has returned
}

func newToolbar(a fyne.App, opts options) *toolbar {
	if opts.do == nil {
		opts.do = fyne.Do
	}
	t := &toolbar{app: a, opts: opts}
	t.win = a.NewWindow(lang.L("customer.title"))
	t.build()
	t.win.SetOnClosed(t.shutdown)
	return t
}

func (t *toolbar) build() {
	title := widget.NewLabelWithStyle(lang.L("customer.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ver := widget.NewLabel(lang.L("app.version", map[string]any{"Version": version.Program}))
	about := widget.NewLabel(lang.L("customer.about"))
	about.Wrapping = fyne.TextWrapWord

	t.keyEntry = widget.NewEntry()
	t.keyEntry.SetPlaceHolder(lang.L("customer.key_placeholder"))
	t.keyEntry.OnSubmitted = func(string) { t.join() }
	t.keyEntry.OnChanged = func(s string) {
		// A pasted join link joins at once.
		if session.LooksLikeLink(s) {
			if _, err := session.ParseLink(s); err == nil {
				t.join()
			}
		}
	}
	t.nameEntry = widget.NewEntry()
	t.nameEntry.SetPlaceHolder(lang.L("customer.name_placeholder"))
	t.nameEntry.SetText(t.opts.name)
	t.nameEntry.OnSubmitted = func(string) { t.join() }
	t.joinBtn = widget.NewButtonWithIcon(lang.L("customer.join"), theme.LoginIcon(), t.join)
	t.joinBtn.Importance = widget.HighImportance
	t.endBtn = widget.NewButtonWithIcon(lang.L("customer.end_session"), theme.CancelIcon(), t.confirmEnd)
	t.endBtn.Importance = widget.DangerImportance
	t.endBtn.Hide()
	t.status = widget.NewLabel("")
	t.status.Wrapping = fyne.TextWrapWord

	t.form = container.New(layout.NewFormLayout(),
		widget.NewLabel(lang.L("customer.key")), t.keyEntry,
		widget.NewLabel(lang.L("customer.name")), t.nameEntry,
	)
	content := container.NewVBox(
		container.NewBorder(nil, nil, title, ver),
		about,
		widget.NewSeparator(),
		t.form,
		container.NewHBox(t.joinBtn, t.endBtn),
		t.status,
	)
	t.win.SetContent(container.NewPadded(content))
	t.win.Resize(fyne.NewSize(480, 320))
	t.win.Canvas().Focus(t.keyEntry)
}

// join reads the key field (digits or a join link) and joins in the background.
func (t *toolbar) join() {
	if t.joining != nil || t.guest != nil {
		return
	}
	text := t.keyEntry.Text
	var lk session.Link
	if session.LooksLikeLink(text) {
		var err error
		if lk, err = session.ParseLink(text); err != nil {
			t.status.SetText(lang.L("customer.bad_key"))
			t.changed(stateJoinFailed)
			return
		}
		t.opts.addr = lk.Addr
	} else {
		key, err := transport.ParseSupportKey(text)
		if err != nil {
			t.status.SetText(lang.L("customer.bad_key"))
			t.changed(stateJoinFailed)
			return
		}
		if t.opts.addr == "" {
			t.status.SetText(lang.L("customer.no_address"))
			t.changed(stateJoinFailed)
			return
		}
		lk = session.Link{Addr: t.opts.addr, Key: key}
	}
	t.keyEntry.SetText(transport.FormatSupportKey(lk.Key))
	ctx, cancel := context.WithCancel(context.Background())
	t.joining = cancel
	t.setJoining(true)
	t.status.SetText(lang.L("customer.connecting"))
	name := t.nameEntry.Text
	done := make(chan struct{})
	t.joinDone = done
	go func() {
		defer close(done)
		g, err := session.Join(ctx, lk, session.GuestConfig{Name: name})
		t.opts.do(func() { t.joined(ctx, g, err) })
	}()
}

func (t *toolbar) joined(ctx context.Context, g *session.Guest, err error) {
	cancelled := ctx.Err() != nil
	if t.joining != nil {
		t.joining()
		t.joining = nil
	}
	if err != nil || cancelled {
		if g != nil {
			go g.End()
		}
		t.setJoining(false)
		if !cancelled { // a cancelled join was the window closing: nobody to tell
			t.status.SetText(lang.L("customer.join_failed", map[string]any{"Reason": ui.ErrorText(err)}))
		}
		t.changed(stateJoinFailed)
		return
	}
	t.guest = g
	tech := g.Technician()
	name := tech.Name
	if name == "" {
		name = lang.L("app.unnamed")
	}
	t.status.SetText(lang.L("customer.connected", map[string]any{"Name": name, "Version": tech.ProgramVersion}))
	t.form.Hide()
	t.joinBtn.Hide()
	t.endBtn.Show()
	following := make(chan struct{})
	t.following = following
	go func() {
		defer close(following)
		t.follow(g)
	}()
	t.changed(stateJoined)
}

func (t *toolbar) setJoining(on bool) {
	if on {
		t.joinBtn.Disable()
		t.keyEntry.Disable()
		t.nameEntry.Disable()
	} else {
		t.joinBtn.Enable()
		t.keyEntry.Enable()
		t.nameEntry.Enable()
	}
}

// follow turns the session's events into UI changes; it ends with the session.
func (t *toolbar) follow(g *session.Guest) {
	for e := range g.Events() {
		if end, ok := e.(session.Ended); ok {
			t.opts.do(func() { t.ended(g, end.Err) })
		}
	}
}

func (t *toolbar) ended(g *session.Guest, err error) {
	if t.guest != g {
		return
	}
	t.guest = nil
	if err == nil {
		t.status.SetText(lang.L("customer.ended_by_you"))
	} else {
		t.status.SetText(lang.L("customer.ended", map[string]any{"Reason": ui.ErrorText(err)}))
	}
	t.keyEntry.SetText("")
	t.setJoining(false)
	t.form.Show()
	t.joinBtn.Show()
	t.endBtn.Hide()
	t.win.RequestFocus()
	t.changed(stateEnded)
}

func (t *toolbar) confirmEnd() {
	if t.guest == nil {
		return
	}
	dialog.ShowConfirm(lang.L("customer.end_title"), lang.L("customer.end_question"), func(yes bool) {
		if yes && t.guest != nil {
			go t.guest.End()
		}
	}, t.win)
}

// shutdown ends the session (or the join in progress) and waits for the goroutines that serve it, for a window
// that closes. opts.do never blocks, so the waits return.
func (t *toolbar) shutdown() {
	if t.joining != nil {
		t.joining()
		t.joining = nil
	}
	if t.joinDone != nil {
		<-t.joinDone
	}
	if g := t.guest; g != nil {
		g.End()
		<-t.following
		t.guest = nil
	}
}
