package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// history records three sessions: the scenario (sid 7, started at 0), an older one nobody ended (sid 0x10,
// started an hour earlier) and a newer unattended one (sid 0x20).
func history(t *testing.T) *Store {
	t.Helper()
	ctx := testCtx(t)
	st := openTest(t)
	recordScenario(ctx, t, st, sid(7))

	old := sid(0x10)
	must(t, st.StartSession(ctx, SessionStart{ID: old, Started: at(-3600), TechnicianName: "Dan", CustomerName: "Élodie Martin"}))
	must(t, st.Join(ctx, old, Participant{ID: 1, Name: "Dan", Role: protocol.RoleTechnician, Joined: at(-3600)}))
	must(t, st.RecordChat(ctx, old, ChatMessage{ID: 1, Author: 1, Sent: at(-3500), Text: "Try 100% zoom_level please"}))
	must(t, st.StartTransfer(ctx, old, Transfer{ID: 1, Direction: Received, Name: "Rapport annuel.PDF", Size: 10, Started: at(-3400)}))

	newer := sid(0x20)
	must(t, st.StartSession(ctx, SessionStart{ID: newer, Kind: Unattended, ComputerID: "PC-42", Started: at(3600), TechnicianName: "Ana"}))
	must(t, st.RecordEvent(ctx, newer, Event{At: at(3610), Kind: EventTechSharingStarted, Actor: 1}))
	must(t, st.RecordEvent(ctx, newer, Event{At: at(3620), Kind: EventConsentRefused, Actor: 2, Permission: protocol.PermView}))
	must(t, st.EndSession(ctx, newer, at(3700), 1, protocol.NoError))
	return st
}

func ids(sums []Summary) []protocol.SessionID {
	out := []protocol.SessionID{}
	for _, s := range sums {
		out = append(out, s.ID)
	}
	return out
}

func TestListSessionsSearch(t *testing.T) {
	st := history(t)
	all := []protocol.SessionID{sid(0x20), sid(7), sid(0x10)}
	for _, c := range []struct {
		search string
		want   []protocol.SessionID
	}{
		{"", all},
		{"   ", all},
		{"bob", []protocol.SessionID{sid(7)}}, // customer name, any case
		{"elodie", []protocol.SessionID{sid(0x10)}},        // without the accent
		{"ÉLODIE martin", []protocol.SessionID{sid(0x10)}}, // every word must match
		{"élodie bob", []protocol.SessionID{}},             // …somewhere in the same session
		{"chloé", []protocol.SessionID{sid(7)}},            // a second technician
		{"ana", []protocol.SessionID{sid(0x20), sid(7)}},   // the technician who ran it
		{"printer", []protocol.SessionID{sid(7)}},          // chat text and a file name
		{"100%", []protocol.SessionID{sid(0x10)}},          // LIKE's wildcards are plain characters
		{"zoom_level", []protocol.SessionID{sid(0x10)}},    // …both of them
		{"_", []protocol.SessionID{sid(0x10)}},             // …both of them
		{"rapport annuel.pdf", []protocol.SessionID{sid(0x10)}},
		{"0707", []protocol.SessionID{sid(7)}}, // the start of the session ID
		{"2020202020", []protocol.SessionID{sid(0x20)}},
		{"driver.exe", []protocol.SessionID{sid(7)}},
		{"nothing-like-this", []protocol.SessionID{}},
		{"'; DROP TABLE sessions; --", []protocol.SessionID{}},
	} {
		t.Run(c.search, func(t *testing.T) {
			got, err := st.ListSessions(testCtx(t), Query{Search: c.search})
			must(t, err)
			if g := ids(got); !reflect.DeepEqual(g, c.want) {
				t.Errorf("ListSessions(%q) = %v, want %v", c.search, g, c.want)
			}
		})
	}
}

func TestListSessionsPaging(t *testing.T) {
	st := history(t)
	for _, c := range []struct {
		limit, offset int
		want          []protocol.SessionID
	}{
		{0, 0, []protocol.SessionID{sid(0x20), sid(7), sid(0x10)}},
		{1, 0, []protocol.SessionID{sid(0x20)}},
		{2, 1, []protocol.SessionID{sid(7), sid(0x10)}},
		{5, 3, []protocol.SessionID{}},
		{1, -4, []protocol.SessionID{sid(0x20)}},
	} {
		got, err := st.ListSessions(testCtx(t), Query{Limit: c.limit, Offset: c.offset})
		must(t, err)
		if g := ids(got); !reflect.DeepEqual(g, c.want) {
			t.Errorf("limit %d offset %d: %v, want %v", c.limit, c.offset, g, c.want)
		}
	}
}

func TestListSessionsSummary(t *testing.T) {
	st := history(t)
	got, err := st.ListSessions(testCtx(t), Query{})
	must(t, err)
	want := []Summary{
		{ID: sid(0x20), Kind: Unattended, ComputerID: "PC-42", TechnicianName: "Ana", Technicians: []string{},
			Started: at(3600), Ended: at(3700), EndCode: protocol.NoError, LastActivity: at(3700),
			TechShared: true, ConsentsRefused: 1},
		{ID: sid(7), Kind: Attended, CustomerName: "Bob", TechnicianName: "Ana", Technicians: []string{"Ana", "Chloé"},
			Started: at(0), Ended: at(90), EndCode: protocol.SessionEnded, LastActivity: at(90),
			Viewed: true, Controlled: true, ChatMessages: 2, FilesSent: 1, FilesReceived: 1, FilesFailed: 1,
			BytesTransferred: 1004, ParticipantsCount: 3},
		{ID: sid(0x10), Kind: Attended, CustomerName: "Élodie Martin", TechnicianName: "Dan", Technicians: []string{"Dan"},
			Started: at(-3600), LastActivity: at(-3400), ChatMessages: 1, FilesReceived: 1, ParticipantsCount: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListSessions:\n%+v\nwant\n%+v", got, want)
	}
	durations := []time.Duration{100 * time.Second, 90 * time.Second, 200 * time.Second}
	for i, s := range got {
		if s.Duration() != durations[i] {
			t.Errorf("%s: Duration %v, want %v", s.ID, s.Duration(), durations[i])
		}
	}
	// The never-ended session's summary agrees with its full record.
	full, err := st.LoadSession(testCtx(t), sid(0x10))
	must(t, err)
	if !full.LastActivity().Equal(got[2].LastActivity) || full.Duration() != got[2].Duration() {
		t.Errorf("LoadSession says %v/%v, ListSessions %v/%v", full.LastActivity(), full.Duration(), got[2].LastActivity, got[2].Duration())
	}
}

func TestResolveID(t *testing.T) {
	st := history(t)
	ctx := testCtx(t)
	twin := sid(0x10)
	twin[15] = 0x11
	must(t, st.StartSession(ctx, SessionStart{ID: twin, Started: at(0)}))
	for _, c := range []struct {
		in   string
		want protocol.SessionID
		err  error // nil with a zero want: any error
	}{
		{sid(7).String(), sid(7), nil},
		{strings.ToUpper(sid(0x20).String()), sid(0x20), nil},
		{"0707", sid(7), nil},
		{"2020-2020", sid(0x20), nil},
		{"1010", protocol.SessionID{}, ErrAmbiguous},
		{sid(0x10).String(), sid(0x10), nil},
		{"ffff", protocol.SessionID{}, ErrNotFound},
		{sid(0x30).String(), protocol.SessionID{}, ErrNotFound},
		{"070", protocol.SessionID{}, nil},  // too short
		{"07zz", protocol.SessionID{}, nil}, // not hex
		{sid(7).String() + "00", protocol.SessionID{}, nil},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := st.ResolveID(ctx, c.in)
			if c.want.IsZero() {
				if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
					t.Errorf("ResolveID(%q) = %v, %v; want error %v", c.in, got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("ResolveID(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

// FuzzSearch checks that any search text runs (no SQL error, no panic) and finds a chat message containing it.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"bob", "100%", "_", "'", `"`, "\\", "é", "a b", "\x00", "--", "?1"} {
		f.Add(s)
	}
	ctx := f.Context()
	st, err := Open(ctx, f.TempDir()+"/history.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	var n byte
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := st.ListSessions(ctx, Query{Search: s, Limit: 5}); err != nil {
			t.Fatalf("ListSessions(%q): %v", s, err)
		}
		if strings.TrimSpace(s) == "" || strings.ContainsRune(s, 0) {
			return
		}
		n++
		id := sid(n)
		id[0] = 0xee // never a prefix of the search, which then must match the chat
		_ = st.DeleteSession(ctx, id)
		must(t, st.StartSession(ctx, SessionStart{ID: id, Started: at(0)}))
		must(t, st.RecordChat(ctx, id, ChatMessage{ID: 1, Author: 1, Sent: at(1), Text: "<" + s + ">"}))
		got, err := st.ListSessions(ctx, Query{Search: s, Limit: 1000})
		must(t, err)
		for _, g := range got {
			if g.ID == id {
				return
			}
		}
		t.Errorf("search %q did not find a chat message %q", s, "<"+s+">")
	})
}
