package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/version"
)

// SchemaVersion is the value of the JSON report's "schema" field. It changes only when a field changes meaning
// or disappears; fields may be added without changing it (readers ignore the ones they do not know).
const SchemaVersion = 1

// Report is a session report: the JSON document (SCHEMA.md describes every field), from which the HTML page is
// also written. Times are UTC; a time that is not known (an end that never came) is null.
type Report struct {
	Schema       int           `json:"schema"`
	Generator    string        `json:"generator"`
	Generated    time.Time     `json:"generated"`
	Session      Session       `json:"session"`
	Participants []Participant `json:"participants"`
	Events       []Event       `json:"events"`
	Consents     []Consent     `json:"consents"`
	Chat         []ChatMessage `json:"chat"`
	Transfers    []Transfer    `json:"transfers"`
}

// Session is the report's header: who, when, how long, how it ended.
type Session struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	ComputerID   string     `json:"computer_id"`
	Customer     string     `json:"customer"`
	Technician   string     `json:"technician"`
	Technicians  []string   `json:"technicians"`
	Started      time.Time  `json:"started"`
	Ended        *time.Time `json:"ended"`
	LastActivity time.Time  `json:"last_activity"`
	DurationMS   int64      `json:"duration_ms"`
	End          *End       `json:"end"`
}

// End says how a session ended.
type End struct {
	Code        Code   `json:"code"`
	EndedBy     uint32 `json:"ended_by"`
	EndedByName string `json:"ended_by_name"`
}

// Code is a protocol.Code with its stable English name, as it appears in the report.
type Code struct {
	Value uint64 `json:"value"`
	Name  string `json:"name"`
}

func codeOf(c protocol.Code) Code { return Code{Value: uint64(c), Name: c.String()} }

// Participant is one person in the session.
type Participant struct {
	ID     uint32     `json:"id"`
	Name   string     `json:"name"`
	Role   string     `json:"role"`
	Joined time.Time  `json:"joined"`
	Left   *time.Time `json:"left"`
}

// Event is one entry of the timeline.
type Event struct {
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Actor      uint32    `json:"actor"`
	ActorName  string    `json:"actor_name"`
	Permission string    `json:"permission"`
	Detail     string    `json:"detail"`
}

// Consent is one consent request and its answer.
type Consent struct {
	Permission     string     `json:"permission"`
	Asked          *time.Time `json:"asked"`
	AskedBy        uint32     `json:"asked_by"`
	AskedByName    string     `json:"asked_by_name"`
	Answer         string     `json:"answer"`
	Answered       *time.Time `json:"answered"`
	AnsweredBy     uint32     `json:"answered_by"`
	AnsweredByName string     `json:"answered_by_name"`
}

// The answers a Consent may have.
const (
	AnswerGiven   = "given"
	AnswerRefused = "refused"
	AnswerExpired = "expired"
	AnswerNone    = "none" // no answer was recorded (the session ended first)
)

// ChatMessage is one chat message.
type ChatMessage struct {
	ID         uint64    `json:"id"`
	Author     uint32    `json:"author"`
	AuthorName string    `json:"author_name"`
	Sent       time.Time `json:"sent"`
	Text       string    `json:"text"`
	Delivered  bool      `json:"delivered"`
}

// Transfer is one file of a file transfer.
type Transfer struct {
	ID        uint64     `json:"id"`
	FileIndex uint32     `json:"file_index"`
	Direction string     `json:"direction"`
	Peer      uint32     `json:"peer"`
	PeerName  string     `json:"peer_name"`
	Name      string     `json:"name"`
	Size      uint64     `json:"size"`
	BytesDone uint64     `json:"bytes_done"`
	SHA256    string     `json:"sha256"`
	Started   time.Time  `json:"started"`
	Finished  *time.Time `json:"finished"`
	Status    string     `json:"status"`
	Outcome   *Code      `json:"outcome"`
}

// The statuses a Transfer may have.
const (
	StatusCompleted  = "completed"  // the whole file arrived and was checked
	StatusCancelled  = "cancelled"  // someone cancelled it
	StatusRefused    = "refused"    // the recipient declined it
	StatusFailed     = "failed"     // it ended with an error (Outcome says which)
	StatusIncomplete = "incomplete" // no end was recorded: the session or the program stopped first
)

// Options tune a report. The zero value is usable.
type Options struct {
	Lang      string         // the HTML page's language ("en", "fr"; see NormalizeLang); JSON has none
	Location  *time.Location // the time zone of the HTML page's times; nil means time.Local (JSON is UTC)
	Generated time.Time      // when the report was made; zero means now
	Generator string         // what made it; empty means "Tandem " + version.Program
}

// Build makes the report of a session loaded with store.LoadSession.
func Build(s *store.Session, o Options) *Report {
	gen := o.Generated
	if gen.IsZero() {
		gen = time.Now()
	}
	generator := o.Generator
	if generator == "" {
		generator = "Tandem " + version.Program
	}
	names := map[protocol.ParticipantID]string{}
	for _, p := range s.Participants {
		names[p.ID] = p.Name
	}
	r := &Report{
		Schema:    SchemaVersion,
		Generator: generator,
		Generated: gen.UTC(),
		Session: Session{
			ID:           s.ID.String(),
			Kind:         string(s.Kind),
			ComputerID:   s.ComputerID,
			Customer:     s.CustomerName,
			Technician:   s.TechnicianName,
			Technicians:  []string{},
			Started:      s.Started.UTC(),
			Ended:        optTime(s.Ended),
			LastActivity: s.LastActivity().UTC(),
			DurationMS:   s.Duration().Milliseconds(),
		},
		Participants: []Participant{},
		Events:       []Event{},
		Consents:     []Consent{},
		Chat:         []ChatMessage{},
		Transfers:    []Transfer{},
	}
	if !s.Ended.IsZero() {
		r.Session.End = &End{Code: codeOf(s.EndCode), EndedBy: uint32(s.EndedBy), EndedByName: names[s.EndedBy]}
	}
	for _, p := range s.Participants {
		if p.Role == protocol.RoleTechnician {
			r.Session.Technicians = append(r.Session.Technicians, p.Name)
		}
		r.Participants = append(r.Participants, Participant{ID: uint32(p.ID), Name: p.Name, Role: p.Role.String(),
			Joined: p.Joined.UTC(), Left: optTime(p.Left)})
	}
	for _, e := range s.Events {
		ev := Event{Time: e.At.UTC(), Kind: string(e.Kind), Actor: uint32(e.Actor), ActorName: names[e.Actor],
			Detail: e.Detail}
		if e.Permission != 0 {
			ev.Permission = e.Permission.String()
		}
		r.Events = append(r.Events, ev)
	}
	r.Consents = consents(s.Events, names)
	for _, m := range s.Chat {
		name := m.AuthorName
		if name == "" {
			name = names[m.Author]
		}
		r.Chat = append(r.Chat, ChatMessage{ID: m.ID, Author: uint32(m.Author), AuthorName: name, Sent: m.Sent.UTC(),
			Text: m.Text, Delivered: m.Delivered})
	}
	for _, t := range s.Transfers {
		tr := Transfer{ID: t.ID, FileIndex: t.FileIndex, Direction: string(t.Direction), Peer: uint32(t.Peer),
			PeerName: names[t.Peer], Name: t.Name, Size: t.Size, BytesDone: t.BytesDone, SHA256: t.SHA256,
			Started: t.Started.UTC(), Finished: optTime(t.Finished), Status: status(t)}
		if t.Done() {
			c := codeOf(t.Outcome)
			tr.Outcome = &c
		}
		r.Transfers = append(r.Transfers, tr)
	}
	return r
}

// consents pairs each consent answer with the oldest unanswered request for the same permission.
func consents(events []store.Event, names map[protocol.ParticipantID]string) []Consent {
	out := []Consent{}
	pending := map[protocol.Permission][]int{}
	for _, e := range events {
		if !e.Kind.IsConsent() {
			continue
		}
		at := e.At.UTC()
		if e.Kind == store.EventConsentAsked {
			pending[e.Permission] = append(pending[e.Permission], len(out))
			out = append(out, Consent{Permission: e.Permission.String(), Asked: &at, AskedBy: uint32(e.Actor),
				AskedByName: names[e.Actor], Answer: AnswerNone})
			continue
		}
		var c *Consent
		if q := pending[e.Permission]; len(q) > 0 {
			c, pending[e.Permission] = &out[q[0]], q[1:]
		} else { // an answer whose request was not recorded
			out = append(out, Consent{Permission: e.Permission.String()})
			c = &out[len(out)-1]
		}
		c.Answered, c.AnsweredBy, c.AnsweredByName = &at, uint32(e.Actor), names[e.Actor]
		switch e.Kind {
		case store.EventConsentGiven:
			c.Answer = AnswerGiven
		case store.EventConsentRefused:
			c.Answer = AnswerRefused
		default:
			c.Answer = AnswerExpired
		}
	}
	return out
}

func status(t store.Transfer) string {
	switch {
	case !t.Done():
		return StatusIncomplete
	case t.Outcome == protocol.NoError:
		return StatusCompleted
	case t.Outcome == protocol.Cancelled:
		return StatusCancelled
	case t.Outcome == protocol.Refused:
		return StatusRefused
	}
	return StatusFailed
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// WriteJSON writes the report as indented JSON (SCHEMA.md), ending with a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}
