package main

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui"
)

// Several technicians in one session, on the technician's side: Invite a colleague in the viewer (the customer
// is asked; on Yes the invitation link is shown with Copy), the other technicians listed under the state, and
// Join a colleague's session on the home window, with the link a colleague sent.

// team is the viewer's part of it. Its fields belong to the UI goroutine.
type team struct {
	people     []protocol.Participant // everyone in the session, as the customer's program last said
	inviting   bool                   // Invite a colleague was pressed; InviteAnswered has not come yet
	inviteNote string                 // the outcome of the last invitation, when it was not a link
	inviteDlg  dialog.Dialog          // the last invitation link shown, while open

	leader   protocol.ParticipantID // who leads the session, as last announced
	leadNote string                 // said once the lead came to this technician
	left     bool                   // this technician left the session, which went on without them

	inviteBtn *widget.Button
	teamLbl   *widget.Label
}

func (v *viewer) buildTeam() {
	if v.people == nil {
		v.people, v.leader = v.host.Participants(), v.host.Owner()
	}
	v.inviteBtn = widget.NewButtonWithIcon(lang.L("viewer.invite"), theme.AccountIcon(), v.invite)
	v.teamLbl = widget.NewLabel("")
	v.teamLbl.Wrapping = fyne.TextWrapWord
	v.teamLbl.Hide()
}

// leads reports whether this technician leads the session (started it, or had it handed over): their End
// session can end it for everyone; another technician's only leaves it.
func (v *viewer) leads() bool { return v.leader == 0 || v.leader == v.host.Me() }

// nextLead names the colleague who would lead the session if this technician left it ("" when alone): the one
// who joined first, as the customer's program chooses.
func (v *viewer) nextLead() string {
	var next *protocol.Participant
	for i, p := range v.people {
		if p.Role == protocol.RoleTechnician && p.ID != v.host.Me() && (next == nil || p.ID < next.ID) {
			next = &v.people[i]
		}
	}
	if next == nil {
		return ""
	}
	return displayName(next.Name)
}

// confirmEndOn asks, over w, how to end: a technician who leads the session with colleagues present leaves it
// to them or ends it for everyone; one who does not lead leaves it; alone, they end it.
func (v *viewer) confirmEndOn(w fyne.Window) {
	host := v.host
	act := func(leave bool) {
		if v.s.host != host || v.ended {
			return
		}
		if leave {
			v.s.leaveNow()
		} else {
			v.s.endNow()
		}
	}
	next := v.nextLead()
	switch {
	case !v.leads():
		d := dialog.NewConfirm(lang.L("viewer.leave_title"), lang.L("viewer.leave_question", v.args()),
			func(yes bool) {
				if yes {
					act(true)
				}
			}, w)
		d.SetConfirmImportance(widget.DangerImportance)
		d.Show()
	case next != "":
		args := map[string]any{"Name": v.name, "To": next}
		var d *dialog.CustomDialog
		handOver := widget.NewButtonWithIcon(lang.L("viewer.hand_over", args), theme.LogoutIcon(), func() {
			d.Hide()
			act(true)
		})
		handOver.Importance = widget.HighImportance
		endAll := widget.NewButtonWithIcon(lang.L("viewer.end_for_everyone"), theme.CancelIcon(), func() {
			d.Hide()
			act(false)
		})
		endAll.Importance = widget.DangerImportance
		text := widget.NewLabel(lang.L("viewer.end_or_leave_question", args))
		text.Wrapping = fyne.TextWrapWord
		d = dialog.NewCustomWithoutButtons(lang.L("viewer.end_or_leave_title"), container.NewVBox(text,
			container.NewHBox(layout.NewSpacer(), widget.NewButton(lang.L("viewer.cancel"), func() { d.Hide() }), endAll,
				handOver, layout.NewSpacer())), w)
		d.Resize(fyne.NewSize(560, 0).Max(d.MinSize()))
		d.Show()
	default:
		d := dialog.NewConfirm(lang.L("viewer.end_title"), lang.L("viewer.end_question", v.args()), func(yes bool) {
			if yes {
				act(false)
			}
		}, w)
		d.SetConfirmImportance(widget.DangerImportance)
		d.Show()
	}
}

// invite asks the customer to let a colleague join.
func (v *viewer) invite() {
	if v.ended || v.inviting {
		return
	}
	v.inviting, v.inviteNote = true, lang.L("viewer.invite_waiting", v.args())
	v.act(v.host.Invite, func(err error) {
		v.inviting = false
		v.inviteNote = lang.L("viewer.invite_failed", map[string]any{"Reason": ui.ErrorText(err)})
	})
	v.refresh()
}

// applyTeam takes the news of invitations and participants.
func (v *viewer) applyTeam(e session.Event) {
	switch e := e.(type) {
	case session.ParticipantsChanged:
		if e.Owner == v.host.Me() && v.leader != e.Owner { // the lead came to this technician
			from := ""
			for _, p := range v.people {
				if p.ID == v.leader || v.leader == 0 && p.ID == session.TechnicianID {
					from = displayName(p.Name)
				}
			}
			v.leadNote = lang.L("viewer.note.you_lead", map[string]any{"From": from})
		}
		v.people, v.leader = e.List, e.Owner
	case session.InviteAnswered:
		v.inviting = false
		if !e.Granted {
			key := "viewer.invite_failed"
			switch protocol.CodeOf(e.Err) {
			case protocol.Refused:
				key = "viewer.invite_refused"
			case protocol.Timeout:
				key = "viewer.invite_expired"
			case protocol.Busy:
				key = "viewer.invite_full"
			}
			args := v.args()
			args["Reason"], args["Max"] = ui.ErrorText(e.Err), session.MaxTechnicians
			v.inviteNote = lang.L(key, args)
			return
		}
		v.inviteNote = ""
		v.showInvitation(e)
	}
}

// showInvitation shows the link to give the colleague, with Copy, and until when it works.
func (v *viewer) showInvitation(e session.InviteAnswered) {
	if v.win == nil {
		v.open() // the technician asked for it: bring the window back to show it
	}
	text := e.Link.String()
	link := widget.NewLabel(text)
	link.Selectable = true
	link.Wrapping = fyne.TextWrapBreak
	intro := widget.NewLabel(lang.L("viewer.invitation_text", map[string]any{"Name": v.name,
		"Time": e.Expires.Local().Format("15:04")}))
	intro.Wrapping = fyne.TextWrapWord
	copied := widget.NewLabel("")
	copyBtn := widget.NewButtonWithIcon(lang.L("viewer.invitation_copy"), theme.ContentCopyIcon(), func() {
		v.home.app.Clipboard().SetContent(text)
		copied.SetText(lang.L("viewer.invitation_copied"))
	})
	copyBtn.Importance = widget.HighImportance
	content := container.NewVBox(intro, link, container.NewHBox(copyBtn, copied))
	if v.inviteDlg != nil {
		v.inviteDlg.Hide()
	}
	d := dialog.NewCustom(lang.L("viewer.invitation_title"), lang.L("viewer.invitation_close"), content, v.win)
	d.Resize(fyne.NewSize(560, 0).Max(d.MinSize()))
	v.inviteDlg = d
	d.SetOnClosed(func() {
		if v.inviteDlg == d {
			v.inviteDlg = nil
		}
	})
	d.Show()
	v.home.app.Clipboard().SetContent(text) // most technicians paste it at once
	copied.SetText(lang.L("viewer.invitation_copied"))
	if v.home.opts.onLink != nil {
		v.home.opts.onLink(e.Link)
	}
}

// refreshTeam shows the other technicians and the invitation's state.
func (v *viewer) refreshTeam() {
	var others []string
	for _, p := range v.people {
		if p.Role == protocol.RoleTechnician && p.ID != v.host.Me() {
			name := displayName(p.Name)
			switch {
			case p.Controlling:
				name = lang.L("viewer.colleague_controlling", map[string]any{"Name": name})
			case p.Viewing:
				name = lang.L("viewer.colleague_viewing", map[string]any{"Name": name})
			}
			others = append(others, name)
		}
	}
	var lines []string
	if len(others) > 0 && !v.ended {
		lines = append(lines, lang.L("viewer.also_here", map[string]any{"Names": strings.Join(others, ", ")}))
	}
	if v.leadNote != "" && !v.ended {
		lines = append(lines, v.leadNote)
	}
	if v.inviteNote != "" {
		lines = append(lines, v.inviteNote)
	}
	v.teamLbl.SetText(strings.Join(lines, " "))
	v.teamLbl.Hidden = len(lines) == 0
	v.teamLbl.Refresh()
	full := 0
	for _, p := range v.people {
		if p.Role == protocol.RoleTechnician {
			full++
		}
	}
	enable(v.inviteBtn, !v.ended && !v.inviting && !v.reconnecting && full < session.MaxTechnicians)
	end := lang.L("viewer.end_session")
	if !v.leads() {
		end = lang.L("viewer.leave_session")
	}
	v.endBtn.SetText(end)
	if !v.s.ended {
		v.s.endSession.SetText(end) // the session's card on the home window says the same
	}
}

// askJoinColleague asks for the invitation a colleague sent, then joins their session.
func (h *home) askJoinColleague() {
	entry := widget.NewEntry()
	entry.SetPlaceHolder(lang.L("expert.colleague_placeholder"))
	errLbl := widget.NewLabel("")
	errLbl.Wrapping = fyne.TextWrapWord
	errLbl.Importance = widget.DangerImportance
	errLbl.Hide()
	intro := widget.NewLabel(lang.L("expert.colleague_intro"))
	intro.Wrapping = fyne.TextWrapWord
	var d *dialog.ConfirmDialog
	submit := func() bool {
		lk, err := session.ParseLink(entry.Text)
		if err != nil || !lk.IsInvite() {
			errLbl.SetText(lang.L("expert.colleague_bad_link"))
			errLbl.Show()
			return false
		}
		h.joinColleague(lk)
		return true
	}
	d = dialog.NewCustomConfirm(lang.L("expert.colleague_title"), lang.L("expert.colleague_join"),
		lang.L("expert.colleague_cancel"), container.NewVBox(intro, entry, errLbl), func(ok bool) {
			if ok && !submit() {
				d.Show() // keep the dialog with its sentence until the link is right or Cancel
			}
		}, h.win)
	entry.OnSubmitted = func(string) {
		if submit() {
			d.Hide()
		}
	}
	d.Resize(fyne.NewSize(560, 0).Max(d.MinSize()))
	d.Show()
	h.win.Canvas().Focus(entry)
}

// joinColleague puts a card for a colleague's session first and joins it in the background.
func (h *home) joinColleague(lk session.Link) {
	h.created++
	s := newHosted(h, h.created)
	h.sessions = append([]*hosted{s}, h.sessions...)
	h.list.Objects = append([]fyne.CanvasObject{s.box}, h.list.Objects...)
	h.list.Refresh()
	h.status.Hide()
	s.joinColleague(lk)
}

// joinColleague joins a colleague's session with its invitation: the card says so until the customer's
// program welcomes this technician, then it follows the session as any other.
func (s *hosted) joinColleague(lk session.Link) {
	h := s.home
	s.key.Hide()
	s.newKey.Hide()
	s.title.SetText(lang.L("expert.colleague_card"))
	s.status.SetText(lang.L("expert.colleague_joining"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	s.joinCancel = cancel
	s.endSession.SetText(lang.L("viewer.leave_session"))
	s.endSession.Show()
	prefer := h.prefs.PreferQuality // the viewer's list changes it on the UI goroutine
	go func() {
		defer cancel()
		host, err := session.JoinColleague(ctx, lk, session.HostConfig{Name: h.prefs.Name,
			Preferences: protocol.Preferences{UninstallAtEnd: h.prefs.UninstallAtEnd}, IdleTimeout: h.opts.idleTimeout,
			Path: h.opts.path})
		if err == nil {
			host.SetPreferQuality(prefer)
		}
		h.opts.do(func() {
			if s.joinCancel == nil { // the card was closed or ended meanwhile
				if host != nil {
					go host.End()
				}
				return
			}
			s.joinCancel = nil
			if err != nil {
				s.endSession.Hide()
				s.closeBtn.Show()
				s.ended = true
				s.status.SetText(colleagueFailedText(err))
				return
			}
			s.begin(host)
		})
	}()
}

// colleagueFailedText says why joining a colleague's session failed: an invitation that was used, expired or
// ended with the session is said as such, in the technician's words.
func colleagueFailedText(err error) string {
	switch protocol.CodeOf(err) {
	case protocol.NotPermitted, protocol.KeyExpired, protocol.WrongKey, protocol.TooManyAttempts:
		return lang.L("expert.colleague_spent")
	}
	return lang.L("expert.colleague_failed", map[string]any{"Reason": ui.ErrorText(err)})
}
