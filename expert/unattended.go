package main

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// The viewer's part of unattended access: Unattended access… asks the customer to set it up for this Expert,
// and the computer the customer's program then describes is saved under Computers.

func (v *viewer) buildUnattended() {
	v.unattendedBtn = widget.NewButtonWithIcon(lang.L("viewer.unattended"), theme.StorageIcon(), v.askUnattended)
}

// refreshUnattended shows Unattended access… in attended sessions, enabled when this Expert can keep a computer
// (a lasting identity and a history to save it in) and no request is under way.
func (v *viewer) refreshUnattended() {
	if v.peer.Can(protocol.CapUnattended) { // the session is an unattended one already
		v.unattendedBtn.Hide()
		return
	}
	v.unattendedBtn.Show()
	enable(v.unattendedBtn, !v.ended && !v.reconnecting && v.unattendedAsk != askWaiting && v.unattendedAsk != askGranted &&
		v.home.opts.identity != nil && v.home.opts.store != nil)
}

// askUnattended asks the technician to confirm, with a password to propose if they want one (the customer may
// keep it or choose another), then asks the customer.
func (v *viewer) askUnattended() {
	if v.win == nil {
		return
	}
	text := widget.NewLabel(lang.L("viewer.unattended_question", v.args()))
	text.Wrapping = fyne.TextWrapWord
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(lang.L("viewer.unattended_password_hint"))
	pw.Validator = func(s string) error {
		if s != "" && unattended.CheckPassword(s) != nil {
			return errors.New(lang.L("unattended.weak_password"))
		}
		return nil
	}
	d := dialog.NewForm(lang.L("viewer.unattended_title"), lang.L("viewer.unattended_ask"), lang.L("viewer.cancel"),
		[]*widget.FormItem{
			widget.NewFormItem("", text),
			widget.NewFormItem(lang.L("viewer.unattended_password"), pw),
		}, func(yes bool) {
			if !yes || v.ended {
				return
			}
			v.unattendedAsk, v.unattendedNote = askWaiting, lang.L("viewer.unattended_waiting", v.args())
			v.refresh()
			host, proposed := v.host, pw.Text
			v.act(func() error { return host.RequestUnattended(proposed) }, func(err error) {
				v.unattendedAsk = askFailed
				v.unattendedNote = lang.L("viewer.state.request_failed", map[string]any{"Reason": ui.ErrorText(err)})
			})
		}, v.win)
	d.Resize(fyne.NewSize(560, 420))
	d.Show()
}

// applyUnattended follows the customer's answer and their program's report.
func (v *viewer) applyUnattended(e session.Event) {
	switch e := e.(type) {
	case session.ConsentAnswered:
		v.unattendedAsk = answerOf(e)
		switch v.unattendedAsk {
		case askGranted:
			v.unattendedNote = lang.L("viewer.unattended_setting_up", v.args())
		case askRefused:
			v.unattendedNote = lang.L("viewer.unattended_refused", v.args())
		case askExpired:
			v.unattendedNote = lang.L("viewer.unattended_expired", v.args())
		default:
			v.unattendedNote = ""
		}
	case session.UnattendedSetUp:
		v.unattendedAsk = askNone
		if e.Err != nil {
			v.unattendedNote = lang.L("viewer.unattended_failed", map[string]any{"Name": v.name, "Reason": ui.ErrorText(e.Err)})
			break
		}
		name := e.Name
		if name == "" {
			name = v.name
		}
		c := store.Computer{ID: e.Computer.String(), Name: name, Owner: v.peer.Name, Addr: e.Addr,
			Rendezvous: e.Rendezvous, Secret: e.Secret}
		if err := v.home.saveComputer(c); err != nil {
			v.unattendedNote = lang.L("viewer.unattended_not_saved", map[string]any{"Reason": err.Error()})
			break
		}
		v.unattendedNote = lang.L("viewer.unattended_done", map[string]any{"Computer": name})
	}
}

// saveComputer keeps a computer set up for unattended access and shows it under Computers.
func (h *home) saveComputer(c store.Computer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.opts.store.SaveComputer(ctx, c); err != nil {
		return err
	}
	if h.comps != nil {
		h.comps.reload()
	}
	return nil
}
