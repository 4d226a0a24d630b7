package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// logShown is how many of the access log's last entries the window shows.
const logShown = 200

// accessWindow is the Unattended access window: where it stands, Block / Allow, Change password, the
// technicians' computers that may connect (with Remove), the access log, and Remove unattended access. Every
// call to the agent runs in the background; the window changes on the UI goroutine only. close waits for the
// calls.
type accessWindow struct {
	t   *toolbar
	win fyne.Window

	state     *widget.Label
	message   *widget.Label // the outcome of the last action, or why the agent cannot be reached
	blockBtn  *widget.Button
	pw, again *widget.Entry
	changeBtn *widget.Button
	techs     *fyne.Container
	log       *fyne.Container
	removeBtn *widget.Button

	status unattended.AgentStatus
	known  bool // status holds what the agent said
	busy   bool // a call is under way: the buttons wait
	calls  sync.WaitGroup
	closed bool
}

// showAccess opens the Unattended access window (or brings it forward).
func (t *toolbar) showAccess() {
	if t.opts.setup == nil {
		return
	}
	if t.access != nil && !t.access.closed {
		t.access.win.Show()
		t.access.win.RequestFocus()
		t.access.reload()
		return
	}
	aw := &accessWindow{t: t}
	aw.build()
	t.access = aw
	aw.win.Show()
	aw.reload()
}

func (aw *accessWindow) build() {
	aw.win = aw.t.app.NewWindow(lang.L("access.title"))
	aw.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	aw.state.Wrapping = fyne.TextWrapWord
	aw.message = widget.NewLabel("")
	aw.message.Wrapping = fyne.TextWrapWord
	aw.message.Hide()
	aw.blockBtn = widget.NewButtonWithIcon(lang.L("access.block"), theme.CancelIcon(), aw.toggleBlock)
	aw.pw, aw.again = widget.NewPasswordEntry(), widget.NewPasswordEntry()
	aw.pw.SetPlaceHolder(lang.L("access.new_password"))
	aw.again.SetPlaceHolder(lang.L("unattended.password_again"))
	aw.changeBtn = widget.NewButtonWithIcon(lang.L("access.change_password"), theme.ConfirmIcon(), aw.changePassword)
	aw.techs = container.NewVBox()
	aw.log = container.NewVBox()
	aw.removeBtn = widget.NewButtonWithIcon(lang.L("access.remove"), theme.DeleteIcon(), aw.askRemove)
	aw.removeBtn.Importance = widget.DangerImportance
	help := widget.NewLabel(lang.L("access.help"))
	help.Wrapping = fyne.TextWrapWord

	password := container.NewVBox(widget.NewLabelWithStyle(lang.L("access.password"), fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true}), container.NewGridWithColumns(2, aw.pw, aw.again),
		container.NewHBox(layout.NewSpacer(), aw.changeBtn))
	techs := container.NewVBox(widget.NewLabelWithStyle(lang.L("access.technicians"), fyne.TextAlignLeading,
		fyne.TextStyle{Bold: true}), aw.techs)
	top := container.NewVBox(aw.state, help, aw.message, container.NewHBox(aw.blockBtn, layout.NewSpacer(), aw.removeBtn),
		widget.NewSeparator(), password, widget.NewSeparator(), techs, widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("access.log"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	aw.win.SetContent(container.NewPadded(container.NewBorder(top, nil, nil, nil, container.NewVScroll(aw.log))))
	aw.win.Resize(fyne.NewSize(640, 640))
	aw.win.SetOnClosed(func() {
		aw.closed = true
		aw.calls.Wait() // the calls are local and bounded; their results find a closed window and do nothing
	})
	aw.refresh()
}

// call runs f with a connection to the agent in the background, then done on the UI goroutine.
func (aw *accessWindow) call(f func(*unattended.Admin) error, done func(error)) {
	if aw.busy {
		return
	}
	aw.busy = true
	aw.refresh()
	socket, do := aw.t.opts.setup.socket, aw.t.opts.do
	aw.calls.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ad, err := unattended.DialAdmin(ctx, socket)
		var st unattended.AgentStatus
		var entries []unattended.Entry
		if err == nil {
			err = f(ad)
			// What the window shows after any call: where access stands now, and the log.
			st2, serr := ad.Status()
			es, lerr := ad.Log(logShown)
			if serr == nil && lerr == nil {
				st, entries = st2, es
			} else if err == nil {
				err = errors.Join(serr, lerr)
			}
			_ = ad.Close()
		}
		do(func() {
			if aw.closed {
				return
			}
			aw.busy = false
			if st.ID != (transport.ID{}) {
				aw.status, aw.known = st, true
				aw.showLog(entries)
			} else if errors.Is(err, unattended.ErrNoAgent) {
				aw.known = false
			}
			done(err)
			aw.refresh()
		})
	})
}

// reload asks the agent where things stand.
func (aw *accessWindow) reload() {
	aw.call(func(*unattended.Admin) error { return nil }, aw.said(""))
}

// said returns the done of a call: on success it says ok (nothing when ""), on failure why, in words.
func (aw *accessWindow) said(ok string) func(error) {
	return func(err error) {
		switch {
		case errors.Is(err, unattended.ErrNoAgent):
			aw.say("")
		case err != nil:
			aw.say(lang.L("access.failed", map[string]any{"Reason": accessErrorText(err)}))
		default:
			aw.say(ok)
		}
	}
}

func (aw *accessWindow) say(text string) {
	aw.message.SetText(text)
	aw.message.Hidden = text == ""
	aw.message.Refresh()
}

func accessErrorText(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		if pe.Code == protocol.Refused && pe.Detail != "" {
			return lang.L("unattended.weak_password")
		}
		return lang.L(pe.Code.MessageKey())
	}
	return err.Error()
}

// refresh shows the state and enables what can be done.
func (aw *accessWindow) refresh() {
	st := aw.status
	switch {
	case !aw.known:
		aw.state.SetText(lang.L("access.not_set_up"))
	case !st.SetUp:
		aw.state.SetText(lang.L("access.no_password"))
	case st.Blocked:
		aw.state.SetText(lang.L("access.blocked"))
	case !st.LockedUntil.IsZero():
		aw.state.SetText(lang.L("access.locked", map[string]any{"Time": st.LockedUntil.Local().Format("15:04")}))
	default:
		aw.state.SetText(lang.L("access.allowed"))
	}
	if aw.known && st.Sessions > 0 {
		aw.state.SetText(aw.state.Text + " " + lang.L("access.in_session", map[string]any{"N": st.Sessions}))
	}
	if aw.known && st.Failures > 0 {
		aw.state.SetText(aw.state.Text + " " + lang.L("access.failures", map[string]any{"N": st.Failures}))
	}
	if st.Blocked {
		aw.blockBtn.SetText(lang.L("access.allow"))
		aw.blockBtn.SetIcon(theme.ConfirmIcon())
		aw.blockBtn.Importance = widget.HighImportance
	} else {
		aw.blockBtn.SetText(lang.L("access.block"))
		aw.blockBtn.SetIcon(theme.CancelIcon())
		aw.blockBtn.Importance = widget.WarningImportance
	}
	aw.blockBtn.Refresh()
	on := aw.known && !aw.busy
	for _, b := range []*widget.Button{aw.blockBtn, aw.changeBtn, aw.removeBtn} {
		enable(b, on)
	}
	aw.techs.Objects = nil
	for _, tech := range st.Technicians {
		aw.techs.Add(aw.techRow(tech))
	}
	if len(st.Technicians) == 0 {
		aw.techs.Add(widget.NewLabel(lang.L("access.no_technicians")))
	}
	aw.techs.Refresh()
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (aw *accessWindow) techRow(tech unattended.Technician) fyne.CanvasObject {
	seen := lang.L("access.never")
	if !tech.LastSeen.IsZero() {
		seen = tech.LastSeen.Local().Format("2006-01-02 15:04")
	}
	id := tech.ID.String()
	via := lang.L("access.via_network")
	if tech.Rendezvous != "" {
		via = lang.L("access.via_rendezvous", map[string]any{"Host": rendezvous.HostOf(tech.Rendezvous)})
	}
	label := widget.NewLabel(lang.L("access.technician", map[string]any{"Name": tech.Name, "ID": id[:15] + "…",
		"Via": via, "Seen": seen}))
	label.Wrapping = fyne.TextWrapWord
	remove := widget.NewButtonWithIcon(lang.L("access.remove_technician"), theme.DeleteIcon(), func() {
		aw.askRemoveTechnician(tech)
	})
	enable(remove, !aw.busy)
	return container.NewBorder(nil, nil, nil, remove, label)
}

func (aw *accessWindow) toggleBlock() {
	block := !aw.status.Blocked
	ok := lang.L("access.now_allowed")
	if block {
		ok = lang.L("access.now_blocked")
	}
	aw.call(func(ad *unattended.Admin) error { return ad.SetBlocked(block) }, aw.said(ok))
}

func (aw *accessWindow) changePassword() {
	switch {
	case unattended.CheckPassword(aw.pw.Text) != nil:
		aw.say(lang.L("unattended.weak_password"))
		return
	case aw.pw.Text != aw.again.Text:
		aw.say(lang.L("unattended.passwords_differ"))
		return
	}
	pw := aw.pw.Text
	aw.call(func(ad *unattended.Admin) error { return ad.ChangePassword(pw) }, func(err error) {
		if err == nil {
			aw.pw.SetText("")
			aw.again.SetText("")
		}
		aw.said(lang.L("access.password_changed"))(err)
	})
}

func (aw *accessWindow) askRemoveTechnician(tech unattended.Technician) {
	dialog.ShowConfirm(lang.L("access.remove_technician_title"), lang.L("access.remove_technician_question",
		map[string]any{"Name": tech.Name}), func(yes bool) {
		if yes {
			id := tech.ID
			aw.call(func(ad *unattended.Admin) error { return ad.RemoveTechnician(id) },
				aw.said(lang.L("access.technician_removed", map[string]any{"Name": tech.Name})))
		}
	}, aw.win)
}

// askRemove removes unattended access from the computer, with the administrator's approval.
func (aw *accessWindow) askRemove() {
	d := dialog.NewConfirm(lang.L("access.remove_title"), lang.L("access.remove_question"), func(yes bool) {
		if !yes || aw.busy {
			return
		}
		aw.busy = true
		aw.refresh()
		setup, do := aw.t.opts.setup, aw.t.opts.do
		aw.calls.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
			defer cancel()
			err := setup.uninstall(ctx)
			do(func() {
				if aw.closed {
					return
				}
				aw.busy = false
				if err == nil {
					aw.known, aw.status = false, unattended.AgentStatus{}
					aw.showLog(nil)
					aw.say(lang.L("access.removed"))
				} else {
					aw.say(lang.L("access.failed", map[string]any{"Reason": setupErrorText(err)}))
				}
				aw.refresh()
			})
		})
	}, aw.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// showLog lists the access log, newest first.
func (aw *accessWindow) showLog(entries []unattended.Entry) {
	aw.log.Objects = nil
	for i := len(entries) - 1; i >= 0; i-- {
		l := widget.NewLabel(logLine(entries[i]))
		l.Wrapping = fyne.TextWrapWord
		aw.log.Add(l)
	}
	if len(entries) == 0 {
		aw.log.Add(widget.NewLabel(lang.L("access.log_empty")))
	}
	aw.log.Refresh()
}

// logLine says one entry of the access log in words: when, who, from where, what.
func logLine(e unattended.Entry) string {
	who := e.Technician
	if who == "" {
		who = lang.L("access.log_you")
	}
	key := "access.event." + string(e.What) // every event has one (TestEveryAccessLogEventIsTranslated)
	what := lang.L(key, map[string]any{"Detail": e.Detail,
		"Duration": e.Duration.Round(time.Second).String()})
	line := e.At.Local().Format("2006-01-02 15:04:05") + " · " + who
	if e.From != "" {
		line += " (" + e.From + ")"
	}
	return fmt.Sprintf("%s · %s", line, what)
}
