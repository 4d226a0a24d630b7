package session

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/protocol"
)

func TestChatBothWaysWithDelivery(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	sent, err := s.h.SendChat("Bonjour, je vois votre écran.")
	if err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, s.g.Events(), func(ChatReceived) bool { return true }).Message
	if got.Text != sent.Text || got.From != TechnicianID || got.Name != "Alice (support)" || got.Outgoing {
		t.Fatalf("the customer got %+v", got)
	}
	if d := waitFor(t, s.h.Events(), func(ChatDelivered) bool { return true }).Message; d.ID != sent.ID || !d.Delivered {
		t.Fatalf("delivery %+v for %d", d, sent.ID)
	}
	if _, err := s.g.SendChat("Merci !\nLa fenêtre en bas."); err != nil {
		t.Fatal(err)
	}
	back := waitFor(t, s.h.Events(), func(ChatReceived) bool { return true }).Message
	if back.Name != "Bob" || back.From != CustomerID || back.Text != "Merci !\nLa fenêtre en bas." {
		t.Fatalf("the technician got %+v", back)
	}
	waitFor(t, s.g.Events(), func(ChatDelivered) bool { return true })
	for _, log := range [][]chat.Message{s.h.Chat(), s.g.Chat()} {
		if len(log) != 2 || log[0].Text != sent.Text || log[1].Text != back.Text {
			t.Fatalf("chat log %+v", log)
		}
	}
	// Limits: a clear error, nothing sent.
	if _, err := s.g.SendChat(strings.Repeat("é", protocol.MaxChatText)); protocol.CodeOf(err) != protocol.TextTooLong {
		t.Fatalf("an over-long message: %v", err)
	}
	if _, err := s.g.SendChat("  \n "); !errors.Is(err, chat.ErrEmpty) {
		t.Fatalf("an empty message: %v", err)
	}
	if n := len(s.g.Chat()); n != 2 {
		t.Fatalf("refused messages entered the log: %d messages", n)
	}
}

func TestChatSurvivesAReconnection(t *testing.T) {
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 20*time.Second)
	waitFor(t, s.h.Events(), func(ScreenUpdated) bool { return true })
	s.relay.Cut(true)
	// Written while the path is down: both wait, then arrive once each.
	if _, err := s.g.SendChat("Vous m'entendez ?"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.SendChat("La connexion coupe."); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.g.Events(), func(Reconnecting) bool { return true })
	s.relay.Cut(false)
	// Each side receives the other's message and hears that its own was delivered, in either order.
	for _, side := range []struct {
		events <-chan Event
		text   string
	}{{s.h.Events(), "Vous m'entendez ?"}, {s.g.Events(), "La connexion coupe."}} {
		var received, delivered bool
		waitFor(t, side.events, func(e Event) bool {
			switch e := e.(type) {
			case ChatReceived:
				if e.Message.Text != side.text || received {
					t.Fatalf("received %q (twice: %v)", e.Message.Text, received)
				}
				received = true
			case ChatDelivered:
				delivered = true
			}
			return received && delivered
		})
	}
	for _, log := range [][]chat.Message{s.h.Chat(), s.g.Chat()} {
		if len(log) != 2 || !log[0].Delivered || !log[1].Delivered {
			t.Fatalf("after the reconnection the log is %+v, want both messages once, delivered", log)
		}
	}
}
