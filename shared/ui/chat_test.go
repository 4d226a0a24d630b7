package ui

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/protocol"
)

func TestChatPaneSendsOnEnterAndShowsPlainText(t *testing.T) {
	test.NewTempApp(t)
	var sent []string
	var fail error
	p := NewChatPane(func(text string) (chat.Message, error) {
		if fail != nil {
			return chat.Message{}, fail
		}
		sent = append(sent, text)
		return chat.Message{ID: uint64(len(sent)), From: 1, Name: "Alice", Text: text, Outgoing: true, SentAt: time.Now()}, nil
	})
	w := test.NewWindow(p)
	defer w.Close()
	w.Resize(fyne.NewSize(400, 300))

	if !p.SendBtn.Disabled() {
		t.Fatal("Send is on with an empty field")
	}
	test.Type(p.Field(), "first line")
	// Shift+Enter: a new line, nothing sent.
	e := p.entry
	e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(p.Field(), "<b>second</b>")
	if len(sent) != 0 || p.Draft() != "first line\n<b>second</b>" {
		t.Fatalf("after Shift+Enter: sent %q, field %q", sent, p.Draft())
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(sent) != 1 || sent[0] != "first line\n<b>second</b>" || p.Draft() != "" {
		t.Fatalf("Enter: sent %q, field %q", sent, p.Draft())
	}
	msgs := p.Messages()
	if len(msgs) != 1 || p.order[0].texts.Text != "first line\n<b>second</b>" {
		t.Fatalf("log %+v", msgs)
	}
	if want := lang.L("chat.mine_sending", map[string]any{"Time": msgs[0].SentAt.Local().Format("15:04")}); p.order[0].head.Text != want {
		t.Fatalf("heading %q, want %q", p.order[0].head.Text, want)
	}
	// Delivered: the same row changes.
	m := msgs[0]
	m.Delivered = true
	p.Add(m)
	if len(p.Messages()) != 1 || p.order[0].head.Text != lang.L("chat.mine_delivered", map[string]any{"Time": m.SentAt.Local().Format("15:04")}) {
		t.Fatal("delivery added a row or did not show")
	}
	// The peer's message.
	p.Add(chat.Message{ID: 9, From: 2, Name: "Bob", Text: "\u202eevil", SentAt: time.Now(), Delivered: true})
	if len(p.Messages()) != 2 || p.order[1].texts.Text != "\u202eevil" {
		t.Fatal("the peer's message is not shown as sent")
	}
	// A failure keeps the text and says why.
	fail = &protocol.Error{Code: protocol.TextTooLong}
	test.Type(p.Field(), "too long")
	test.Tap(p.SendBtn)
	if p.Draft() != "too long" || p.Error() != ErrorText(fail) {
		t.Fatalf("after a refused message: field %q, error %q", p.Draft(), p.Error())
	}
	fail = chat.ErrClosed
	test.Tap(p.SendBtn)
	if p.Error() != lang.L("chat.closed") || !errors.Is(fail, chat.ErrClosed) {
		t.Fatalf("after the session: %q", p.Error())
	}
	p.SetEnabled(false)
	if !p.SendBtn.Disabled() {
		t.Fatal("Send on while the pane is off")
	}
}

func TestChatPaneShowsTheNewestMessage(t *testing.T) {
	test.NewTempApp(t)
	p := NewChatPane(func(string) (chat.Message, error) { return chat.Message{}, errors.New("unused") })
	w := test.NewWindow(p)
	defer w.Close()
	w.Resize(fyne.NewSize(300, 300))
	for i := range 20 {
		p.Add(chat.Message{ID: uint64(i + 1), From: 2, Name: "Bob", Text: "a line that takes some room", SentAt: time.Now()})
		if bottom := p.log.MinSize().Height - p.scroll.Size().Height; bottom > 0 && p.scroll.Offset.Y != bottom {
			t.Fatalf("after message %d the log is scrolled to %v, its end is at %v", i+1, p.scroll.Offset.Y, bottom)
		}
	}
	if p.scroll.Offset.Y == 0 {
		t.Fatal("twenty messages fit in 300 units: the test shows nothing")
	}
}
