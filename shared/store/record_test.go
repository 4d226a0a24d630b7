package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// recordScenario records a whole session: two technicians, a customer, consents, control, chat and files.
func recordScenario(ctx context.Context, t *testing.T, st *Store, id protocol.SessionID) {
	t.Helper()
	must(t, st.StartSession(ctx, SessionStart{ID: id, Kind: Attended, Started: at(0), TechnicianName: "Ana"}))
	must(t, st.Join(ctx, id, Participant{ID: 1, Name: "Ana", Role: protocol.RoleTechnician, Joined: at(0)}))
	must(t, st.Join(ctx, id, Participant{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: at(5)}))
	must(t, st.RecordEvent(ctx, id, Event{At: at(5), Kind: EventSharingStarted, Actor: 2}))
	must(t, st.RecordEvent(ctx, id, Event{At: at(10), Kind: EventConsentAsked, Actor: 1, Permission: protocol.PermControl}))
	must(t, st.RecordEvent(ctx, id, Event{At: at(12), Kind: EventConsentGiven, Actor: 2, Permission: protocol.PermControl}))
	must(t, st.RecordEvent(ctx, id, Event{At: at(12), Kind: EventControlGranted, Actor: 1}))
	must(t, st.RecordChat(ctx, id, ChatMessage{ID: 1, Author: 1, AuthorName: "Ana", Sent: at(20), Text: "Hello Bob"}))
	must(t, st.MarkChatDelivered(ctx, id, 1, 1))
	must(t, st.RecordChat(ctx, id, ChatMessage{ID: 1, Author: 2, AuthorName: "Bob", Sent: at(25), Text: "Hi! The printer…"}))
	must(t, st.StartTransfer(ctx, id, Transfer{ID: 4, FileIndex: 0, Direction: Received, Peer: 2, Name: "printer.log", Size: 4, Started: at(30)}))
	must(t, st.TransferProgress(ctx, id, Received, 4, 0, 2))
	must(t, st.FinishTransfer(ctx, id, Received, 4, 0, TransferResult{Finished: at(31), Outcome: protocol.NoError, SHA256: strings.ToUpper(hashA), BytesDone: 4}))
	must(t, st.StartTransfer(ctx, id, Transfer{ID: 1, FileIndex: 0, Direction: Sent, Peer: 2, Name: "driver.exe", Size: 1 << 20, Started: at(40)}))
	must(t, st.FinishTransfer(ctx, id, Sent, 1, 0, TransferResult{Finished: at(41), Outcome: protocol.Cancelled, BytesDone: 1000}))
	must(t, st.Join(ctx, id, Participant{ID: 3, Name: "Chloé", Role: protocol.RoleTechnician, Joined: at(50)}))
	must(t, st.RecordEvent(ctx, id, Event{At: at(55), Kind: EventMonitorChanged, Actor: 1, Detail: "2"}))
	must(t, st.Leave(ctx, id, 3, at(60)))
	must(t, st.RecordEvent(ctx, id, Event{At: at(70), Kind: EventControlRevoked, Actor: 2}))
	must(t, st.EndSession(ctx, id, at(90), 2, protocol.SessionEnded))
}

func TestRecordAndLoad(t *testing.T) {
	ctx := testCtx(t)
	st := openTest(t)
	id := sid(7)
	recordScenario(ctx, t, st, id)

	got, err := st.LoadSession(ctx, id)
	must(t, err)
	want := &Session{
		ID: id, Kind: Attended, CustomerName: "Bob", TechnicianName: "Ana",
		Started: at(0), Ended: at(90), EndCode: protocol.SessionEnded, EndedBy: 2,
		Participants: []Participant{
			{ID: 1, Name: "Ana", Role: protocol.RoleTechnician, Joined: at(0), Left: at(90)},
			{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: at(5), Left: at(90)},
			{ID: 3, Name: "Chloé", Role: protocol.RoleTechnician, Joined: at(50), Left: at(60)},
		},
		Events: []Event{
			{At: at(0), Kind: EventJoined, Actor: 1, Detail: "Ana"},
			{At: at(5), Kind: EventJoined, Actor: 2, Detail: "Bob"},
			{At: at(5), Kind: EventSharingStarted, Actor: 2},
			{At: at(10), Kind: EventConsentAsked, Actor: 1, Permission: protocol.PermControl},
			{At: at(12), Kind: EventConsentGiven, Actor: 2, Permission: protocol.PermControl},
			{At: at(12), Kind: EventControlGranted, Actor: 1},
			{At: at(50), Kind: EventJoined, Actor: 3, Detail: "Chloé"},
			{At: at(55), Kind: EventMonitorChanged, Actor: 1, Detail: "2"},
			{At: at(60), Kind: EventLeft, Actor: 3},
			{At: at(70), Kind: EventControlRevoked, Actor: 2},
			{At: at(90), Kind: EventEnded, Actor: 2, Detail: "session ended"},
		},
		Chat: []ChatMessage{
			{ID: 1, Author: 1, AuthorName: "Ana", Sent: at(20), Text: "Hello Bob", Delivered: true},
			{ID: 1, Author: 2, AuthorName: "Bob", Sent: at(25), Text: "Hi! The printer…"},
		},
		Transfers: []Transfer{
			{ID: 4, Direction: Received, Peer: 2, Name: "printer.log", Size: 4, Started: at(30), Finished: at(31), Outcome: protocol.NoError, SHA256: hashA, BytesDone: 4},
			{ID: 1, Direction: Sent, Peer: 2, Name: "driver.exe", Size: 1 << 20, Started: at(40), Finished: at(41), Outcome: protocol.Cancelled, BytesDone: 1000},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadSession:\n%+v\nwant\n%+v", got, want)
	}
	if got.Duration() != 90*time.Second || got.LastActivity() != at(90) {
		t.Errorf("Duration %v, LastActivity %v", got.Duration(), got.LastActivity())
	}
}

// TestRepeatedRecords checks the calls that are safe to repeat: the first record wins, nothing is duplicated.
func TestRepeatedRecords(t *testing.T) {
	ctx := testCtx(t)
	st := openTest(t)
	id := sid(8)
	must(t, st.StartSession(ctx, SessionStart{ID: id, Started: at(0), TechnicianName: "Ana"}))
	must(t, st.StartSession(ctx, SessionStart{ID: id, Started: at(9), TechnicianName: "Zed"}))
	must(t, st.Join(ctx, id, Participant{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: at(1)}))
	must(t, st.Leave(ctx, id, 2, at(2)))
	must(t, st.Join(ctx, id, Participant{ID: 2, Name: "Bobby", Role: protocol.RoleCustomer, Joined: at(3)})) // reconnected
	must(t, st.RecordChat(ctx, id, ChatMessage{ID: 5, Author: 2, Sent: at(4), Text: "once"}))
	must(t, st.RecordChat(ctx, id, ChatMessage{ID: 5, Author: 2, Sent: at(5), Text: "twice"}))
	must(t, st.StartTransfer(ctx, id, Transfer{ID: 1, Direction: Sent, Name: "a", Size: 1, Started: at(6)}))
	must(t, st.StartTransfer(ctx, id, Transfer{ID: 1, Direction: Sent, Name: "b", Size: 2, Started: at(7)}))
	must(t, st.FinishTransfer(ctx, id, Sent, 1, 0, TransferResult{Finished: at(8), Outcome: protocol.NoError, BytesDone: 1}))
	must(t, st.FinishTransfer(ctx, id, Sent, 1, 0, TransferResult{Finished: at(9), Outcome: protocol.Cancelled}))
	must(t, st.EndSession(ctx, id, at(10), 0, protocol.ConnectionLost))
	must(t, st.EndSession(ctx, id, at(11), 1, protocol.NoError))
	must(t, st.SetCustomerName(ctx, id, "Robert"))

	got, err := st.LoadSession(ctx, id)
	must(t, err)
	if got.TechnicianName != "Ana" || !got.Started.Equal(at(0)) {
		t.Errorf("second StartSession changed the record: %q %v", got.TechnicianName, got.Started)
	}
	if got.CustomerName != "Robert" {
		t.Errorf("customer %q, want Robert", got.CustomerName)
	}
	if len(got.Participants) != 1 || got.Participants[0].Name != "Bobby" || !got.Participants[0].Joined.Equal(at(1)) ||
		!got.Participants[0].Left.Equal(at(10)) {
		t.Errorf("participants after a re-join: %+v", got.Participants)
	}
	if len(got.Chat) != 1 || got.Chat[0].Text != "once" {
		t.Errorf("chat after a repeat: %+v", got.Chat)
	}
	if len(got.Transfers) != 1 || got.Transfers[0].Name != "a" || got.Transfers[0].Outcome != protocol.NoError {
		t.Errorf("transfers after repeats: %+v", got.Transfers)
	}
	if !got.Ended.Equal(at(10)) || got.EndCode != protocol.ConnectionLost || got.EndedBy != 0 {
		t.Errorf("end after a repeat: %v %v %v", got.Ended, got.EndCode, got.EndedBy)
	}
	var ends int
	for _, e := range got.Events {
		if e.Kind == EventEnded {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("%d ended events, want 1", ends)
	}
}

func TestRecordErrors(t *testing.T) {
	ctx := testCtx(t)
	st := openTest(t)
	known, unknown := sid(1), sid(2)
	must(t, st.StartSession(ctx, SessionStart{ID: known, Started: at(0)}))
	must(t, st.Join(ctx, known, Participant{ID: 1, Role: protocol.RoleTechnician}))

	for _, c := range []struct {
		name string
		call func() error
		is   error // nil: any error
	}{
		{"start without ID", func() error { return st.StartSession(ctx, SessionStart{}) }, nil},
		{"start with unknown kind", func() error { return st.StartSession(ctx, SessionStart{ID: sid(3), Kind: "bogus"}) }, nil},
		{"join unknown session", func() error {
			return st.Join(ctx, unknown, Participant{ID: 1, Role: protocol.RoleCustomer})
		}, ErrNotFound},
		{"join without role", func() error { return st.Join(ctx, known, Participant{ID: 2}) }, nil},
		{"leave unknown participant", func() error { return st.Leave(ctx, known, 9, at(1)) }, ErrNotFound},
		{"event in unknown session", func() error {
			return st.RecordEvent(ctx, unknown, Event{Kind: EventSharingStarted})
		}, ErrNotFound},
		{"unknown event kind", func() error { return st.RecordEvent(ctx, known, Event{Kind: "exploded"}) }, nil},
		{"joined through RecordEvent", func() error { return st.RecordEvent(ctx, known, Event{Kind: EventJoined}) }, nil},
		{"ended through RecordEvent", func() error { return st.RecordEvent(ctx, known, Event{Kind: EventEnded}) }, nil},
		{"consent without permission", func() error {
			return st.RecordEvent(ctx, known, Event{Kind: EventConsentAsked, Actor: 1})
		}, nil},
		{"chat in unknown session", func() error {
			return st.RecordChat(ctx, unknown, ChatMessage{ID: 1, Author: 1, Text: "x"})
		}, ErrNotFound},
		{"delivery of unknown message", func() error { return st.MarkChatDelivered(ctx, known, 1, 99) }, ErrNotFound},
		{"transfer without direction", func() error { return st.StartTransfer(ctx, known, Transfer{ID: 1, Name: "a"}) }, nil},
		{"transfer in unknown session", func() error {
			return st.StartTransfer(ctx, unknown, Transfer{ID: 1, Direction: Sent, Name: "a"})
		}, ErrNotFound},
		{"progress of unknown transfer", func() error { return st.TransferProgress(ctx, known, Sent, 5, 0, 1) }, ErrNotFound},
		{"finish of unknown transfer", func() error {
			return st.FinishTransfer(ctx, known, Sent, 5, 0, TransferResult{})
		}, ErrNotFound},
		{"finish with a bad hash", func() error {
			return st.FinishTransfer(ctx, known, Sent, 5, 0, TransferResult{SHA256: "xyz"})
		}, nil},
		{"end of unknown session", func() error { return st.EndSession(ctx, unknown, at(1), 0, 0) }, ErrNotFound},
		{"name in unknown session", func() error { return st.SetCustomerName(ctx, unknown, "x") }, ErrNotFound},
		{"delete unknown session", func() error { return st.DeleteSession(ctx, unknown) }, ErrNotFound},
		{"load unknown session", func() error { _, err := st.LoadSession(ctx, unknown); return err }, ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v, want %v", err, c.is)
			}
		})
	}
	// Nothing of the above reached the database.
	got, err := st.LoadSession(ctx, known)
	must(t, err)
	if len(got.Events) != 1 || len(got.Chat) != 0 || len(got.Transfers) != 0 {
		t.Errorf("failed calls left records: %+v", got)
	}
}

func TestZeroTimesMeanNow(t *testing.T) {
	ctx := testCtx(t)
	st := openTest(t)
	before := time.Now().Add(-time.Millisecond)
	must(t, st.StartSession(ctx, SessionStart{ID: sid(1)}))
	must(t, st.RecordEvent(ctx, sid(1), Event{Kind: EventSharingStarted}))
	after := time.Now().Add(time.Millisecond)
	got, err := st.LoadSession(ctx, sid(1))
	must(t, err)
	for _, tm := range []time.Time{got.Started, got.Events[0].At} {
		if tm.Before(before) || tm.After(after) {
			t.Errorf("time %v not between %v and %v", tm, before, after)
		}
	}
}

func TestDeleteSession(t *testing.T) {
	ctx := testCtx(t)
	st := openTest(t)
	recordScenario(ctx, t, st, sid(1))
	recordScenario(ctx, t, st, sid(2))
	must(t, st.DeleteSession(ctx, sid(1)))
	if _, err := st.LoadSession(ctx, sid(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadSession of a deleted session: %v", err)
	}
	for _, table := range []string{"participants", "events", "chat", "transfers"} {
		var n int
		must(t, st.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE session_id = ?`, sid(1).String()).Scan(&n))
		if n != 0 {
			t.Errorf("%d rows of %s left", n, table)
		}
	}
	if _, err := st.LoadSession(ctx, sid(2)); err != nil {
		t.Errorf("the other session: %v", err)
	}
}

func TestEventKinds(t *testing.T) {
	seen := map[EventKind]bool{}
	for _, k := range EventKinds() {
		if seen[k] || !k.Known() {
			t.Errorf("kind %q repeated or not known", k)
		}
		seen[k] = true
	}
	if EventKind("nope").Known() {
		t.Error("an unknown kind is known")
	}
}
