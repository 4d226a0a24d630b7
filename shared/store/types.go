package store

import (
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// Kind says how a session came about.
type Kind string

// The kinds of session.
const (
	Attended   Kind = "attended"   // the customer joined with a support key
	Unattended Kind = "unattended" // the technician connected to an unattended computer
)

// Known reports whether k is a kind this version defines.
func (k Kind) Known() bool { return k == Attended || k == Unattended }

// EventKind names something that happened in a session. The values are stored in the database and appear in
// JSON reports: they never change meaning.
type EventKind string

// The event kinds. Consent events carry the permission asked for (Event.Permission); the actor is the
// technician who asked (asked) or the customer who answered (given, refused); an expired or withdrawn request has no actor.
const (
	EventJoined             EventKind = "joined"               // a participant joined (Actor); Detail is their name
	EventLeft               EventKind = "left"                 // a participant left (Actor)
	EventConsentAsked       EventKind = "consent_asked"        // a technician asked for a permission
	EventConsentGiven       EventKind = "consent_given"        // the customer said yes
	EventConsentRefused     EventKind = "consent_refused"      // the customer said no
	EventConsentExpired     EventKind = "consent_expired"      // nobody answered in time
	EventConsentWithdrawn   EventKind = "consent_withdrawn"    // withdrawn before an answer: the screen stopped reaching the technician
	EventControlGranted     EventKind = "control_granted"      // remote control started for Actor
	EventControlRevoked     EventKind = "control_revoked"      // remote control ended (Actor took it back or gave it up)
	EventSharingStarted     EventKind = "sharing_started"      // the customer's screen is shared
	EventSharingStopped     EventKind = "sharing_stopped"      // the customer's screen is no longer shared
	EventMonitorChanged     EventKind = "monitor_changed"      // another monitor is shown; Detail names it
	EventTechSharingStarted EventKind = "tech_sharing_started" // a technician shares their own screen
	EventTechSharingStopped EventKind = "tech_sharing_stopped" // a technician stopped sharing their screen
	EventViewingStarted     EventKind = "viewing_started"      // the customer's screen reaches a colleague technician (Actor)
	EventViewingStopped     EventKind = "viewing_stopped"      // it no longer reaches them
	EventEnded              EventKind = "ended"                // the session ended (recorded by EndSession)
	// EventConnected: the connection to the customer was made or made again; Detail says how
	// (RouteDetail): "direct", "met:HOST" (direct, found through the rendezvous HOST), "relayed:HOST".
	EventConnected EventKind = "connected"
)

// RouteDetail is the Detail of an EventConnected: how the connection goes.
func RouteDetail(rendezvous string, relayed bool) string {
	switch {
	case relayed:
		return "relayed:" + rendezvous
	case rendezvous != "":
		return "met:" + rendezvous
	}
	return "direct"
}

// EventKinds returns every event kind this version defines, in a stable order.
func EventKinds() []EventKind {
	return []EventKind{EventJoined, EventLeft, EventConsentAsked, EventConsentGiven, EventConsentRefused,
		EventConsentExpired, EventConsentWithdrawn, EventControlGranted, EventControlRevoked, EventSharingStarted, EventSharingStopped,
		EventMonitorChanged, EventTechSharingStarted, EventTechSharingStopped, EventViewingStarted, EventViewingStopped,
		EventEnded, EventConnected}
}

// Known reports whether k is an event kind this version defines.
func (k EventKind) Known() bool {
	for _, e := range EventKinds() {
		if e == k {
			return true
		}
	}
	return false
}

// IsConsent reports whether k is one of the consent events (asked, given, refused, expired, withdrawn).
func (k EventKind) IsConsent() bool {
	return k == EventConsentAsked || k == EventConsentGiven || k == EventConsentRefused || k == EventConsentExpired ||
		k == EventConsentWithdrawn
}

// Direction says which way a file went, seen from this program.
type Direction string

// The directions.
const (
	Sent     Direction = "sent"     // this program sent the file to Peer
	Received Direction = "received" // this program received the file from Peer
)

// Known reports whether d is Sent or Received.
func (d Direction) Known() bool { return d == Sent || d == Received }

// SessionStart is what StartSession records about a new session.
type SessionStart struct {
	ID             protocol.SessionID // required (non-zero)
	Kind           Kind               // Attended or Unattended; empty means Attended
	Started        time.Time          // zero means now
	CustomerName   string             // may be empty: the first customer who joins fills it in
	TechnicianName string             // the technician running this program
	ComputerID     string             // the unattended computer's ID; empty for an attended session
}

// Participant is one person in a session.
type Participant struct {
	ID     protocol.ParticipantID // the host-assigned ID, unique within the session
	Name   string                 // display name as the person gave it (may be empty)
	Role   protocol.Role          // customer or technician
	Joined time.Time              // first join; zero in Join means now
	Left   time.Time              // zero while present (or when the program stopped before they left)
}

// Event is one thing that happened.
type Event struct {
	At         time.Time              // zero in RecordEvent means now
	Kind       EventKind              // required
	Actor      protocol.ParticipantID // who did it; 0 when nobody did (an expiry, the program itself)
	Permission protocol.Permission    // for consent events: what was asked; 0 otherwise
	Detail     string                 // short free text (a monitor name, a name at join, …); may be empty
}

// ChatMessage is one chat message, sent or received.
type ChatMessage struct {
	ID         uint64                 // the message ID, unique per author (protocol.ChatMessage.ID)
	Author     protocol.ParticipantID // the author (protocol.ChatMessage.From)
	AuthorName string                 // the author's name when the message arrived
	Sent       time.Time              // by the author's clock (protocol.ChatMessage.SentAt); zero means now
	Text       string                 // the text as sent
	Delivered  bool                   // the recipient acknowledged it (for messages this program sent)
}

// Transfer is one file of a file transfer. A transfer of several files is several Transfers with the same ID and
// different FileIndex.
type Transfer struct {
	ID        uint64                 // the transfer ID (protocol.FileOffer.TransferID), unique per sender
	FileIndex uint32                 // the file's index in the offer
	Direction Direction              // Sent or Received
	Peer      protocol.ParticipantID // the other side: recipient of a sent file, sender of a received one
	Name      string                 // the file name as offered
	Size      uint64                 // the offered size in bytes
	Started   time.Time              // zero in StartTransfer means now
	// Filled in by FinishTransfer (and BytesDone by TransferProgress):
	Finished  time.Time     // zero while running, or when the program stopped first
	Outcome   protocol.Code // NoError, Cancelled, Refused, IntegrityFailed, DiskFull, ConnectionLost…; valid when Done
	SHA256    string        // lower-case hex of the file's SHA-256, when known
	BytesDone uint64        // bytes transferred so far (at the end: in total)
}

// Done reports whether the transfer finished (for better or worse); false means it was still running when the
// record stops (the session is running, or the program stopped first).
func (t Transfer) Done() bool { return !t.Finished.IsZero() }

// TransferResult is how a file transfer ended.
type TransferResult struct {
	Finished  time.Time     // zero means now
	Outcome   protocol.Code // NoError for a complete, verified file
	SHA256    string        // lower-case hex; empty when not computed
	BytesDone uint64        // bytes transferred in total
}

// Session is everything recorded about one session, as LoadSession returns it. Slices are in the order things
// happened (events and chat in the order recorded).
type Session struct {
	ID             protocol.SessionID
	Kind           Kind
	ComputerID     string
	CustomerName   string
	TechnicianName string
	Started        time.Time
	Ended          time.Time              // zero if the session never ended cleanly (still running, or a crash)
	EndCode        protocol.Code          // why it ended; valid when Ended is set
	EndedBy        protocol.ParticipantID // who ended it; 0 when nobody did (connection lost, …)
	Participants   []Participant          // in order of first join
	Events         []Event
	Chat           []ChatMessage
	Transfers      []Transfer
}

// LastActivity returns the time of the last thing recorded about the session (its end when it ended).
func (s *Session) LastActivity() time.Time {
	last := s.Started
	later := func(t time.Time) {
		if t.After(last) {
			last = t
		}
	}
	later(s.Ended)
	for _, p := range s.Participants {
		later(p.Joined)
		later(p.Left)
	}
	for _, e := range s.Events {
		later(e.At)
	}
	for _, c := range s.Chat {
		later(c.Sent)
	}
	for _, t := range s.Transfers {
		later(t.Started)
		later(t.Finished)
	}
	return last
}

// Duration returns how long the session lasted: to its end, or, when it never ended cleanly, to the last thing
// recorded.
func (s *Session) Duration() time.Duration {
	if !s.Ended.IsZero() {
		return s.Ended.Sub(s.Started)
	}
	return s.LastActivity().Sub(s.Started)
}

// Summary is one line of the History list.
type Summary struct {
	ID             protocol.SessionID
	Kind           Kind
	ComputerID     string
	CustomerName   string
	TechnicianName string   // the technician who ran the session on this computer
	Technicians    []string // the names of every technician who took part, in order of joining
	Started        time.Time
	Ended          time.Time     // zero if the session never ended cleanly
	EndCode        protocol.Code // valid when Ended is set
	LastActivity   time.Time     // the last thing recorded (the end, when it ended)

	// What happened, for a short description (report.Summarize writes it in words).
	Viewed            bool // the customer's screen was shared at some point
	Controlled        bool // remote control was granted at some point
	TechShared        bool // a technician shared their screen
	ConsentsRefused   int  // consent requests answered No
	ChatMessages      int
	FilesSent         int // files this program sent (every outcome)
	FilesReceived     int // files this program received (every outcome)
	FilesFailed       int // files whose transfer did not complete: it ended with an outcome other than NoError
	BytesTransferred  uint64
	ParticipantsCount int
}

// Duration returns how long the session lasted: to its end, or to the last thing recorded.
func (s Summary) Duration() time.Duration {
	if !s.Ended.IsZero() {
		return s.Ended.Sub(s.Started)
	}
	return s.LastActivity.Sub(s.Started)
}

// Query selects sessions for ListSessions.
type Query struct {
	// Search, when not blank, keeps the sessions in which every word of it appears (case-insensitively) in the
	// customer's name, a technician's name, a chat message, a file name, or at the start of the session ID.
	Search string
	Limit  int // at most this many (0: DefaultLimit)
	Offset int // skip this many first (for paging)
}

// DefaultLimit is the number of sessions ListSessions returns when Query.Limit is 0.
const DefaultLimit = 200
