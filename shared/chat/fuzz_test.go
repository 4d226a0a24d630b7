package chat

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// FuzzReceive feeds arbitrary bytes, as a peer's side of a chat stream, to a Room holding two messages of its
// own, and checks what the log keeps: within its bound, each message once, plain text only.
func FuzzReceive(f *testing.F) {
	enc := func(ms ...protocol.Message) []byte {
		var b []byte
		for _, m := range ms {
			var err error
			if b, err = protocol.AppendMessage(b, m); err != nil {
				f.Fatal(err)
			}
		}
		return b
	}
	msg := &protocol.ChatMessage{ID: 5, From: customer, SentAt: 1700000000000, Text: "bonjour\r\nça va ?"}
	f.Add(enc(msg, msg, &protocol.ChatAck{ID: 1}, &protocol.ChatAck{ID: 2}, &protocol.ChatAck{ID: 1}))
	f.Add(enc(&protocol.ChatAck{ID: 99}, &protocol.ChatMessage{ID: 1, From: customer, Text: "<b>x</b>"}))
	f.Add(append(enc(msg), rawChat(6, customer, 0, []byte("a\x1bb"))...))
	f.Add(rawChat(7, tech, 0, []byte("me?")))
	f.Add(rawChat(8, 3, 0, []byte("someone else")))
	f.Fuzz(func(t *testing.T, data []byte) {
		const keep = 8
		r, err := New(Config{Self: tech, MaxHistory: keep})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.nextID = 1
		for _, s := range []string{"one", "two"} {
			if _, err := r.Send(s); err != nil {
				t.Fatal(err)
			}
		}
		dec := protocol.NewDecoder(bytes.NewReader(data), protocol.Chat)
		for range 1000 {
			m, err := dec.Decode()
			if err != nil {
				break
			}
			ev, ack, err := r.handle(customer, m)
			if err != nil {
				if protocol.CodeOf(err) != protocol.ProtocolViolation {
					t.Fatalf("handle: %v", err)
				}
				break
			}
			switch ev := ev.(type) {
			case Received:
				if ack.ID != ev.Message.ID || ack.From != customer || ev.Message.From != customer {
					t.Fatalf("received %+v, ack %+v", ev.Message, ack)
				}
			case Delivered:
				if ack.ID != 0 || !ev.Message.Outgoing || (ev.Message.ID != 1 && ev.Message.ID != 2) {
					t.Fatalf("delivered %+v, ack %+v", ev.Message, ack)
				}
			}
		}
		h := r.History()
		if len(h) > keep || uint64(len(h))+r.Dropped() < 2 {
			t.Fatalf("log of %d, %d dropped", len(h), r.Dropped())
		}
		seen := map[key]bool{}
		for _, m := range h {
			if seen[key{m.From, m.ID}] {
				t.Fatalf("message %d/%d logged twice", m.From, m.ID)
			}
			seen[key{m.From, m.ID}] = true
			if !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, '\r') || m.Text == "" {
				t.Fatalf("logged %q", m.Text)
			}
			if got, err := incoming(m.Text); err != nil || got != m.Text {
				t.Fatalf("logged %q, which the room would refuse: %v", m.Text, err)
			}
		}
	})
}
