package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// ChatPane is the chat of a session as both programs show it: the log (author, time, text, and for this side's
// messages whether the other side has them), an optional note above the field, and a field with Send. Enter
// sends, Shift+Enter starts a new line. Every text a peer sent is shown as plain text in a label of its own,
// never interpreted. Use it on the UI goroutine only.
type ChatPane struct {
	widget.BaseWidget

	send    func(string) (chat.Message, error)
	log     *fyne.Container
	scroll  *container.Scroll
	rows    map[chatKey]*chatRow
	order   []*chatRow
	entry   *chatEntry
	SendBtn *widget.Button // Send
	note    *widget.Label
	err     *widget.Label
	content fyne.CanvasObject
}

type chatKey struct {
	from protocol.ParticipantID
	id   uint64
}

type chatRow struct {
	head  *widget.Label
	msg   chat.Message
	texts *widget.Label
}

// NewChatPane returns an empty chat pane that sends with send (the session's SendChat).
func NewChatPane(send func(string) (chat.Message, error)) *ChatPane {
	p := &ChatPane{send: send, rows: map[chatKey]*chatRow{}}
	p.log = container.NewVBox()
	p.scroll = container.NewVScroll(p.log)
	p.scroll.SetMinSize(fyne.NewSize(240, 160))
	p.entry = newChatEntry(p.submit)
	p.entry.SetPlaceHolder(lang.L("chat.placeholder"))
	p.entry.OnChanged = func(string) { p.refreshSend() }
	p.SendBtn = widget.NewButtonWithIcon(lang.L("chat.send"), theme.MailSendIcon(), p.submit)
	p.SendBtn.Disable()
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	p.note.Importance = widget.WarningImportance // it warns: the technician sees what is typed
	p.note.Hide()
	p.err = widget.NewLabel("")
	p.err.Wrapping = fyne.TextWrapWord
	p.err.Importance = widget.DangerImportance
	p.err.Hide()
	// The field has the pane's whole width; Send goes under it, at the right.
	bottom := container.NewVBox(p.note, p.err, p.entry, container.NewHBox(layout.NewSpacer(), p.SendBtn))
	p.content = container.NewBorder(nil, bottom, nil, nil, p.scroll)
	p.ExtendBaseWidget(p)
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *ChatPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

// SetNote shows a short note above the field ("" hides it).
func (p *ChatPane) SetNote(text string) {
	p.note.SetText(text)
	p.note.Hidden = text == ""
	p.note.Refresh()
}

// Note returns the note shown above the field ("" when none).
func (p *ChatPane) Note() string {
	if p.note.Hidden {
		return ""
	}
	return p.note.Text
}

// SetEnabled turns the field and Send on or off (off once the session is over).
func (p *ChatPane) SetEnabled(on bool) {
	if on {
		p.entry.Enable()
	} else {
		p.entry.Disable()
	}
	p.refreshSend()
}

// Field is the field where the message is typed (to focus it, or for tests to type into).
func (p *ChatPane) Field() fyne.Focusable { return p.entry }

// Draft is the text in the field, not sent yet.
func (p *ChatPane) Draft() string { return p.entry.Text }

// Error is the reason the last message could not be sent ("" when it was).
func (p *ChatPane) Error() string {
	if p.err.Hidden {
		return ""
	}
	return p.err.Text
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func (p *ChatPane) refreshSend() {
	if p.entry.Disabled() || blank(p.entry.Text) {
		p.SendBtn.Disable()
	} else {
		p.SendBtn.Enable()
	}
}

// submit sends the field's text; the field is emptied once the message is in the log, and keeps it (with the
// reason shown) when it cannot be sent.
func (p *ChatPane) submit() {
	if p.entry.Disabled() || blank(p.entry.Text) {
		return
	}
	m, err := p.send(p.entry.Text)
	if err != nil {
		p.err.SetText(chatErrorText(err))
		p.err.Show()
		return
	}
	p.err.Hide()
	p.entry.SetText("")
	p.Add(m)
}

func chatErrorText(err error) string {
	if errors.Is(err, chat.ErrClosed) {
		return lang.L("chat.closed")
	}
	return ErrorText(err)
}

// Add puts a message in the log (once: a message already shown is only updated).
func (p *ChatPane) Add(m chat.Message) {
	k := chatKey{m.From, m.ID}
	if r, ok := p.rows[k]; ok {
		r.msg = m
		r.head.SetText(chatHead(m))
		return
	}
	r := &chatRow{msg: m, head: widget.NewLabelWithStyle(chatHead(m), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		texts: widget.NewLabel(m.Text)}
	r.head.SizeName = theme.SizeNameCaptionText // smaller than the text, yet readable on both themes
	r.texts.Wrapping = fyne.TextWrapWord
	p.rows[k] = r
	p.order = append(p.order, r)
	p.log.Add(container.NewVBox(r.head, r.texts))
	// The scroll must lay the longer log out first: ScrollToBottom measures the content as it was laid out,
	// and a log that still "fits" would be scrolled back to the top.
	p.scroll.Refresh()
	p.scroll.ScrollToBottom()
}

// Set replaces the log with msgs (a window opened during the session shows what was said before).
func (p *ChatPane) Set(msgs []chat.Message) {
	p.log.RemoveAll()
	clear(p.rows)
	p.order = nil
	for _, m := range msgs {
		p.Add(m)
	}
}

// Messages returns the messages shown, oldest first.
func (p *ChatPane) Messages() []chat.Message {
	out := make([]chat.Message, len(p.order))
	for i, r := range p.order {
		out[i] = r.msg
	}
	return out
}

// chatHead is a message's heading: author, time, and for this side's messages whether they arrived.
func chatHead(m chat.Message) string {
	args := map[string]any{"Name": m.Name, "Time": m.SentAt.Local().Format("15:04")}
	switch {
	case !m.Outgoing:
		return lang.L("chat.from", args)
	case m.Delivered:
		return lang.L("chat.mine_delivered", args)
	}
	return lang.L("chat.mine_sending", args)
}

// chatEntry is a multi-line field where Enter sends and Shift+Enter starts a new line.
type chatEntry struct {
	widget.Entry
	submit func()
	shift  bool
}

func newChatEntry(submit func()) *chatEntry {
	e := &chatEntry{submit: submit}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(2)
	e.ExtendBaseWidget(e)
	return e
}

// KeyDown implements desktop.Keyable: it follows Shift.
func (e *chatEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp implements desktop.Keyable.
func (e *chatEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey implements fyne.Focusable: Enter sends unless Shift is held.
func (e *chatEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		e.submit()
		return
	}
	e.Entry.TypedKey(k)
}
