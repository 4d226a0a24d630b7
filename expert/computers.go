package main

import (
	"context"
	"errors"
	"log"
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
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/unattended"
)

// probeTimeout bounds the check of whether a computer is on (through a rendezvous: connecting to it, and asking).
const probeTimeout = 5 * time.Second

// openTimeout bounds the wait for an unattended computer to join the session Connect opened.
const openTimeout = 60 * time.Second

// reach is what the Computers tab knows of whether a computer is on.
type reach int

const (
	reachChecking reach = iota
	reachOnline
	reachOffline
	reachOther // on, but presenting another identity
)

// computers is the home window's Computers tab: the computers set up for unattended access, whether each is on,
// and Connect, Rename and Remove. Use it on the UI goroutine only; its checks run on goroutines that close
// waits for.
type computers struct {
	h       *home
	box     *fyne.Container // the tab's content
	list    *fyne.Container
	empty   *widget.Label
	status  *widget.Label
	refresh *widget.Button
	items   []store.Computer
	reach   map[string]reach

	probes sync.WaitGroup // the checks, and the stretching of a password typed again
	gen    int            // the list's generation: a check of an older one is ignored
	closed bool
}

func newComputers(h *home) *computers {
	c := &computers{h: h, reach: map[string]reach{}}
	about := widget.NewLabel(lang.L("computers.about"))
	about.Wrapping = fyne.TextWrapWord
	c.empty = widget.NewLabel(lang.L("computers.empty"))
	c.empty.Wrapping = fyne.TextWrapWord
	c.status = widget.NewLabel("")
	c.status.Wrapping = fyne.TextWrapWord
	c.status.Hide()
	c.refresh = widget.NewButtonWithIcon(lang.L("computers.refresh"), theme.ViewRefreshIcon(), c.reload)
	c.list = container.NewVBox()
	top := container.NewVBox(container.NewBorder(nil, nil, nil, c.refresh, about), c.status, c.empty)
	c.box = container.NewBorder(top, nil, nil, nil, container.NewVScroll(c.list))
	switch {
	case h.opts.store == nil:
		c.status.SetText(lang.L("computers.no_store"))
		c.status.Show()
		c.refresh.Disable()
	case h.opts.identity == nil:
		c.status.SetText(lang.L("computers.no_identity", map[string]any{"Reason": errText(h.opts.identityErr)}))
		c.status.Show()
	}
	return c
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// reload reads the list again and checks which computers are on.
func (c *computers) reload() {
	if c.h.opts.store == nil || c.closed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	items, err := c.h.opts.store.Computers(ctx)
	cancel()
	if err != nil {
		c.status.SetText(lang.L("computers.unreadable", map[string]any{"Reason": err.Error()}))
		c.status.Show()
		return
	}
	c.items = items
	c.gen++
	c.reach = map[string]reach{}
	for _, it := range items {
		c.probe(c.gen, it)
	}
	c.show()
}

// probe checks, in the background, whether computer it is on and still itself.
func (c *computers) probe(gen int, it store.Computer) {
	me := c.h.opts.identity
	if me == nil {
		return
	}
	do := c.h.opts.do
	c.probes.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		r := reachOnline
		target, err := c.h.target(it)
		if err == nil {
			err = unattended.Check(ctx, target, me)
		}
		switch {
		case protocol.CodeOf(err) == protocol.IdentityChanged:
			r = reachOther
		case err != nil:
			r = reachOffline
		}
		do(func() {
			if gen == c.gen && !c.closed {
				c.reach[it.ID] = r
				c.show()
			}
		})
	})
}

// close stops showing checks and waits for them.
func (c *computers) close() {
	c.closed = true
	c.probes.Wait()
}

// show builds the rows.
func (c *computers) show() {
	c.list.Objects = nil
	for _, it := range c.items {
		c.list.Add(c.row(it))
	}
	if len(c.items) == 0 {
		c.empty.Show()
	} else {
		c.empty.Hide()
	}
	c.list.Refresh()
}

// stateText says where a computer stands: what it last answered, else whether it is on.
func (c *computers) stateText(it store.Computer) string {
	switch it.State {
	case protocol.Blocked.String():
		return lang.L("computers.state.blocked")
	case protocol.PasswordChanged.String():
		return lang.L("computers.state.password_changed")
	case protocol.NotAllowed.String():
		return lang.L("computers.state.not_allowed")
	case protocol.Locked.String():
		return lang.L("computers.state.locked")
	case protocol.IdentityChanged.String():
		return lang.L("computers.state.identity_changed")
	case protocol.NobodyLoggedIn.String():
		if c.reach[it.ID] == reachOnline {
			return lang.L("computers.state.nobody")
		}
	}
	switch c.reach[it.ID] {
	case reachOnline:
		return lang.L("computers.state.online")
	case reachOffline:
		return lang.L("computers.state.offline")
	case reachOther:
		return lang.L("computers.state.identity_changed")
	}
	return lang.L("computers.state.checking")
}

func (c *computers) row(it store.Computer) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(it.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	seen := lang.L("computers.never")
	if !it.LastSeen.IsZero() {
		seen = it.LastSeen.Local().Format("2006-01-02 15:04")
	}
	id := it.ID
	if len(id) > 15 {
		id = id[:15] + "…"
	}
	via := lang.L("computers.via_network", map[string]any{"Addr": it.Addr})
	if it.Rendezvous != "" {
		via = lang.L("computers.via_rendezvous", map[string]any{"Host": rendezvous.HostOf(it.Rendezvous)})
	}
	details := widget.NewLabel(lang.L("computers.details", map[string]any{"Owner": displayName(it.Owner), "ID": id,
		"Via": via, "Seen": seen}))
	details.Wrapping = fyne.TextWrapWord
	state := widget.NewLabelWithStyle(c.stateText(it), fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	connect := widget.NewButtonWithIcon(lang.L("computers.connect"), theme.LoginIcon(), func() { c.h.connectComputer(it) })
	connect.Importance = widget.HighImportance
	if c.h.opts.identity == nil {
		connect.Disable()
	}
	rename := widget.NewButtonWithIcon(lang.L("computers.rename"), theme.DocumentCreateIcon(), func() { c.askRename(it) })
	remove := widget.NewButtonWithIcon(lang.L("computers.remove"), theme.DeleteIcon(), func() { c.askRemove(it) })
	card := container.NewVBox(name, details, state, container.NewHBox(connect, layout.NewSpacer(), rename, remove))
	return container.NewPadded(card)
}

func (c *computers) askRename(it store.Computer) {
	e := widget.NewEntry()
	e.SetText(it.Name)
	dialog.ShowForm(lang.L("computers.rename_title"), lang.L("computers.rename"), lang.L("viewer.cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("computers.name"), e)}, func(ok bool) {
			name := protocol.SanitizeText(e.Text, protocol.MaxNameLen)
			if !ok || name == "" {
				return
			}
			c.update(func(ctx context.Context, st *store.Store) error { return st.RenameComputer(ctx, it.ID, name) })
		}, c.h.win)
}

func (c *computers) askRemove(it store.Computer) {
	d := dialog.NewConfirm(lang.L("computers.remove_title"), lang.L("computers.remove_question",
		map[string]any{"Name": it.Name}), func(yes bool) {
		if yes {
			c.update(func(ctx context.Context, st *store.Store) error { return st.RemoveComputer(ctx, it.ID) })
		}
	}, c.h.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// update changes the saved list with f and shows it again.
func (c *computers) update(f func(context.Context, *store.Store) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f(ctx, c.h.opts.store); err != nil {
		c.status.SetText(lang.L("computers.unreadable", map[string]any{"Reason": err.Error()}))
		c.status.Show()
		return
	}
	c.reload()
}

// connectComputer opens a session for computer it, as New session does, and has its agent join it; the card
// on the Sessions tab follows it.
func (h *home) connectComputer(it store.Computer) {
	h.created++
	s := newHosted(h, h.created)
	if err := s.startUnattended(it); err != nil {
		h.created--
		h.comps.status.SetText(lang.L("expert.cannot_listen", map[string]any{"Error": ui.ErrorText(err)}))
		h.comps.status.Show()
		return
	}
	h.sessions = append([]*hosted{s}, h.sessions...)
	h.list.Objects = append([]fyne.CanvasObject{s.box}, h.list.Objects...)
	h.list.Refresh()
	h.status.Hide()
	h.tabs.SelectIndex(0)
}

// startUnattended opens a session that computer it joins through its agent: no key to show, the computer's
// name as the title, and its answer in words if it does not join.
func (s *hosted) startUnattended(it store.Computer) error {
	h := s.home
	target, err := h.target(it)
	if err != nil {
		return err
	}
	s.stop()
	// A computer found through a rendezvous joins through it too: the session gets a key there.
	host, err := session.NewHost(session.HostConfig{Listen: h.opts.listen, Advertise: h.opts.advertise,
		Name: h.prefs.Name, IdleTimeout: h.opts.idleTimeout, KeyLifetime: openTimeout, Path: h.opts.path,
		Identity: h.opts.identity, Rendezvous: it.Rendezvous})
	if err != nil {
		return err
	}
	host.SetPreferQuality(h.prefs.PreferQuality)
	s.computer = it.ID
	s.title.SetText(it.Name)
	s.key.Hide()
	s.endSession.Show()
	s.status.SetText(lang.L("computers.connecting", map[string]any{"Name": it.Name}))
	s.begin(host)
	s.rec.computer = it.ID
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	s.openCancel = cancel
	done := make(chan struct{})
	s.opening = done
	me, name, link, do := h.opts.identity, h.prefs.Name, host.Link().String(), h.opts.do
	go func() {
		defer close(done)
		defer cancel()
		err := unattended.Open(ctx, target, me, name, link)
		do(func() { s.opened(host, it, err) })
	}()
	return nil
}

// target is how computer it is reached: through its rendezvous if it has one, else at its address.
func (h *home) target(it store.Computer) (unattended.Target, error) {
	id, err := transport.ParseID(it.ID)
	if err != nil {
		return unattended.Target{}, err
	}
	return unattended.Target{Addr: it.Addr, Rendezvous: it.Rendezvous, Path: h.opts.path, ID: id, Secret: it.Secret}, nil
}

// opened takes the computer's answer: on a refusal the session ends, and the card and the list say why.
func (s *hosted) opened(host *session.Host, it store.Computer, err error) {
	if s.host != host {
		return // the card was stopped meanwhile: nothing to say of the computer
	}
	s.openCancel, s.opening = nil, nil
	state := ""
	if err != nil {
		state = protocol.CodeOf(err).String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if st := s.home.opts.store; st != nil {
		if serr := st.ComputerSeen(ctx, it.ID, time.Now(), state); serr != nil && !errors.Is(serr, store.ErrNotFound) {
			log.Printf("computers: %v", serr)
		}
	}
	cancel()
	if s.home.comps != nil {
		s.home.comps.reload()
	}
	if err == nil {
		return // it joins: Joined follows
	}
	log.Printf("unattended %s: %v", it.Name, err)
	s.stop()
	s.ended = true
	s.endSession.Hide()
	s.closeBtn.Show()
	s.status.SetText(lang.L("computers.failed", map[string]any{"Name": it.Name, "Reason": ui.ErrorText(err)}))
	if protocol.CodeOf(err) == protocol.PasswordChanged {
		s.home.askNewPassword(it)
	}
}

// askNewPassword asks for the password the computer's user changed to, keeps its secret and connects again.
func (h *home) askNewPassword(it store.Computer) {
	pw := widget.NewPasswordEntry()
	dialog.ShowForm(lang.L("computers.password_title"), lang.L("computers.connect"), lang.L("viewer.cancel"),
		[]*widget.FormItem{widget.NewFormItem(lang.L("computers.password"), pw)}, func(ok bool) {
			if !ok || pw.Text == "" {
				return
			}
			id, err := transport.ParseID(it.ID)
			if err != nil {
				return
			}
			// argon2id takes a good fraction of a second and 64 MiB, on purpose: not on the UI goroutine.
			password, do, comps := pw.Text, h.opts.do, h.comps
			comps.probes.Go(func() {
				secret := unattended.Secret(password, id)
				do(func() {
					if comps.closed {
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					if err := h.opts.store.SetComputerSecret(ctx, it.ID, secret); err != nil {
						comps.status.SetText(lang.L("computers.unreadable", map[string]any{"Reason": err.Error()}))
						comps.status.Show()
						return
					}
					it.Secret, it.State = secret, ""
					h.connectComputer(it)
				})
			})
		}, h.win)
}
