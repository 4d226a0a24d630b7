package session

import (
	"log"

	"github.com/tandem-remote/tandem/shared/chat"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// Chat runs on one chat stream per connection, which the technician's side opens after the Welcome (as it
// opens the consent stream). Each side keeps one chat.Room for the whole session: a reconnection attaches the
// new connection's stream, and what the dropped one had not delivered is sent again, never twice.

// Events of the chat.
type (
	// ChatReceived says the peer's message entered the chat log. Show its Text as plain text only.
	ChatReceived struct{ Message chat.Message }
	// ChatDelivered says the peer's program has one of this side's messages.
	ChatDelivered struct{ Message chat.Message }
)

func (ChatReceived) isEvent()  {}
func (ChatDelivered) isEvent() {}

// newRoom makes a side's chat room, passing its events on as session events.
func newRoom(self protocol.ParticipantID, names func(protocol.ParticipantID) string, ev *events, relay bool) (*chat.Room, error) {
	return chat.New(chat.Config{Self: self, Names: names, Relay: relay, OnEvent: func(e chat.Event) {
		switch e := e.(type) {
		case chat.Received:
			ev.send(ChatReceived(e))
		case chat.Delivered:
			ev.send(ChatDelivered(e))
		case chat.LinkEnded:
			if e.Err != nil && protocol.CodeOf(e.Err) == protocol.ProtocolViolation {
				log.Printf("session: chat stream abandoned: %v", e.Err)
			}
		}
	}})
}
