package main

import (
	"errors"
	"log"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui"
)

// Several technicians in one session: the customer is asked before a technician may invite a colleague, sees
// every technician with what they may do, and can remove a colleague (the others stay). With one technician
// the toolbar looks as it always did: the list appears when a colleague joins.

// techState is what one technician may do now, as the engine last said.
type techState struct {
	id                          protocol.ParticipantID
	name                        string
	sharing, paused, controlled bool
}

// techState returns the state of technician id, making one for a technician not yet known.
func (t *toolbar) techState(id protocol.ParticipantID) *techState {
	if id == 0 {
		id = session.TechnicianID
	}
	st := t.techs[id]
	if st == nil {
		if t.techs == nil {
			t.techs = map[protocol.ParticipantID]*techState{}
		}
		st = &techState{id: id, name: lang.L("app.unnamed")}
		t.techs[id] = st
	}
	return st
}

// sumUp sets the toolbar's sharing, paused and controlled from every technician's.
func (t *toolbar) sumUp() {
	t.sharing, t.paused, t.controlled = false, false, false
	for _, st := range t.techs {
		t.sharing = t.sharing || st.sharing
		t.paused = t.paused || st.paused
		t.controlled = t.controlled || st.controlled
	}
	t.paused = t.paused && !t.sharing
}

// techNames names the technicians for whom keep is true (all of them when keep is nil), the one who started
// the session first, as a sentence lists them ("Alice, Cora and Dave"), and says how many they are; the
// technician's name when there is none.
func (t *toolbar) techNames(keep func(*techState) bool) (string, int) {
	var names []string
	for _, st := range t.sortedTechs() {
		if keep == nil || keep(st) {
			names = append(names, st.name)
		}
	}
	switch len(names) {
	case 0:
		return t.techName, 1
	case 1:
		return names[0], 1
	}
	last := len(names) - 1
	return lang.L("customer.names_and", map[string]any{"Names": strings.Join(names[:last], ", "),
		"Last": names[last]}), len(names)
}

// sayNames is the message key with the technicians' names as Name: key itself for one technician, key_many
// (a plural sentence) for several.
func sayNames(key, names string, n int, args map[string]any) string {
	if args == nil {
		args = map[string]any{}
	}
	args["Name"] = names
	if n > 1 {
		key += "_many"
	}
	return lang.L(key, args)
}

func (t *toolbar) sortedTechs() []*techState {
	list := make([]*techState, 0, len(t.techs))
	for _, st := range t.techs {
		list = append(list, st)
	}
	slices.SortFunc(list, func(a, b *techState) int { return int(a.id) - int(b.id) })
	return list
}

// showTechnicians lists every technician with what they may do and, for colleagues, Remove; hidden while
// there is only the one who started the session.
func (t *toolbar) showTechnicians() {
	if t.techList == nil {
		return
	}
	t.techList.RemoveAll()
	if len(t.techs) < 2 {
		t.techList.Hide()
		return
	}
	for _, st := range t.sortedTechs() {
		state := lang.L("customer.tech_not_viewing")
		switch {
		case st.controlled:
			state = lang.L("customer.tech_controlling")
		case st.sharing:
			state = lang.L("customer.tech_viewing")
		}
		name := widget.NewLabelWithStyle(st.name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		var end fyne.CanvasObject
		if st.id != t.leader {
			rm := widget.NewButtonWithIcon(lang.L("customer.remove_tech"), theme.ContentRemoveIcon(),
				func() { t.confirmRemove(st.id) })
			end = rm
		} else if st.id == session.TechnicianID {
			end = widget.NewLabel(lang.L("customer.tech_owner"))
		} else {
			end = widget.NewLabel(lang.L("customer.tech_leads"))
		}
		t.techList.Add(container.NewBorder(nil, nil, name, end, widget.NewLabel(state)))
	}
	t.techList.Show()
}

// confirmRemove asks the customer before cutting colleague id off the session.
func (t *toolbar) confirmRemove(id protocol.ParticipantID) {
	g, st := t.guest, t.techs[id]
	if g == nil || st == nil {
		return
	}
	args := map[string]any{"Name": st.name}
	d := dialog.NewConfirm(lang.L("customer.remove_title", args), lang.L("customer.remove_question", args),
		func(yes bool) {
			if !yes || t.guest != g {
				return
			}
			t.act(func() {
				if err := g.RemoveTechnician(id); err != nil {
					log.Printf("removing technician %d: %v", id, err) // they left meanwhile: ColleagueLeft says so
				}
			})
		}, t.win)
	d.SetConfirmText(lang.L("customer.remove_tech"))
	d.SetConfirmImportance(widget.DangerImportance)
	t.showDialog(d)
}

// inviteRequested asks the customer whether a technician may bring a colleague into the session.
func (t *toolbar) inviteRequested(g *session.Guest, e session.InviteRequested) {
	if t.guest != g {
		return
	}
	if _, dup := t.asks[e.ID]; dup {
		return
	}
	name := e.From
	if name == "" {
		name = lang.L("app.unnamed")
	}
	args := map[string]any{"Name": name}
	a := &ask{req: session.ConsentRequested{ID: e.ID, From: name}, invite: true}
	a.dlg = dialog.NewConfirm(lang.L("customer.invite_title"), lang.L("customer.invite_question", args),
		func(yes bool) {
			if _, ok := t.asks[e.ID]; !ok || t.guest != g {
				return // withdrawn or expired meanwhile
			}
			delete(t.asks, e.ID)
			if yes {
				t.status.SetText(lang.L("customer.invite_allowed", args))
			} else {
				t.status.SetText(lang.L("customer.invite_refused", args))
			}
			t.act(func() {
				if err := g.AnswerInvite(e.ID, yes); err != nil && !errors.Is(err, session.ErrEnded) {
					log.Printf("answering invitation %d: %v", e.ID, err)
				}
			})
		}, t.win)
	t.asks[e.ID] = a
	t.showDialog(a.dlg)
	t.win.RequestFocus()
}

// colleagueJoined adds a technician who joined with an invitation.
func (t *toolbar) colleagueJoined(g *session.Guest, e session.ColleagueJoined) {
	if t.guest != g {
		return
	}
	st := t.techState(e.ID)
	st.name = e.Peer.Name
	if st.name == "" {
		st.name = lang.L("app.unnamed")
	}
	if e.Returned {
		t.status.SetText(lang.L("customer.tech_back", map[string]any{"Name": st.name}))
	} else {
		t.status.SetText(lang.L("customer.tech_joined", map[string]any{"Name": st.name}))
	}
	log.Printf("session: colleague %s joined (returned %v): %s", st.name, e.Returned, e.Peer.Route)
	t.showLive()
	t.fitWindow()
}

// dropTech takes technician id off the list and returns their name as shown (name when they were not listed).
func (t *toolbar) dropTech(id protocol.ParticipantID, name string) string {
	if st := t.techs[id]; st != nil {
		name = st.name
	}
	delete(t.techs, id)
	t.sumUp()
	return name
}

// colleagueLeft takes a technician who left (or was removed) off the list, and says so.
func (t *toolbar) colleagueLeft(g *session.Guest, e session.ColleagueLeft) {
	if t.guest != g {
		return
	}
	args := map[string]any{"Name": t.dropTech(e.ID, e.Name)}
	switch {
	case protocol.CodeOf(e.Err) == protocol.Removed:
		t.status.SetText(lang.L("customer.tech_removed", args))
	case e.Err == nil:
		t.status.SetText(lang.L("customer.tech_left", args))
	default:
		args["Reason"] = ui.ErrorText(e.Err)
		t.status.SetText(lang.L("customer.tech_lost", args))
	}
	t.showLive()
}

// handedOver shows that the technician who led the session left it to a colleague, who now leads it.
func (t *toolbar) handedOver(g *session.Guest, e session.HandedOver) {
	if t.guest != g {
		return
	}
	from := t.dropTech(e.FromID, e.From)
	t.leader = e.ToID
	t.techName = t.techState(e.ToID).name
	t.status.SetText(lang.L("customer.handed_over", map[string]any{"From": from, "To": t.techName}))
	log.Printf("session: %s left the session to %s", from, t.techName)
	t.showLive()
}
