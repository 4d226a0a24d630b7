package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

// pastSession writes a finished session into the history.
func pastSession(t *testing.T, st *store.Store, id byte, customer, chat string, started time.Time) protocol.SessionID {
	t.Helper()
	ctx := context.Background()
	sid := protocol.SessionID{id}
	if err := st.StartSession(ctx, store.SessionStart{ID: sid, Started: started, CustomerName: customer, TechnicianName: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Join(ctx, sid, store.Participant{ID: customerID, Name: customer, Role: protocol.RoleCustomer, Joined: started}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordChat(ctx, sid, store.ChatMessage{ID: 1, Author: customerID, AuthorName: customer, Sent: started.Add(time.Minute), Text: chat}); err != nil {
		t.Fatal(err)
	}
	if err := st.EndSession(ctx, sid, started.Add(12*time.Minute), technicianID, protocol.SessionEnded); err != nil {
		t.Fatal(err)
	}
	return sid
}

func TestHistoryListsSearchesAndReports(t *testing.T) {
	h := testHome(t, "en")
	st := h.opts.store
	day := time.Date(2026, 11, 20, 9, 30, 0, 0, time.Local)
	pastSession(t, st, 1, "Bob", "my printer is offline", day)
	pastSession(t, st, 2, "Carole", "the screen flickers", day.Add(24*time.Hour))

	test.Tap(h.historyBtn)
	hs := h.hist
	if hs == nil || len(hs.items) != 2 || hs.items[0].CustomerName != "Carole" {
		t.Fatalf("history lists %+v, want Carole then Bob", hs)
	}
	if got, want := historyTitle(hs.items[1]), "Bob — 2026-11-20 09:30 — 12 min"; got != want {
		t.Fatalf("title %q, want %q", got, want)
	}
	test.Type(hs.search, "printer")
	if len(hs.items) != 1 || hs.items[0].CustomerName != "Bob" {
		t.Fatalf("searching 'printer' lists %d sessions", len(hs.items))
	}
	if !hs.reportBtn.Disabled() {
		t.Fatal("Save report is on with nothing selected")
	}
	hs.list.Select(0)
	if hs.reportBtn.Disabled() {
		t.Fatal("Save report is off with a session selected")
	}
	path := filepath.Join(t.TempDir(), "bob.html")
	hs.saveReport(hs.items[hs.selected], path)
	if hs.status.Text != lang.L("viewer.note.report_saved", map[string]any{"Path": path}) {
		t.Fatalf("status %q", hs.status.Text)
	}
	page, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(page), "my printer is offline") {
		t.Fatalf("the report lacks the chat (%v)", err)
	}
	test.Type(hs.search, " nothing-like-this")
	if len(hs.items) != 0 || hs.status.Text != lang.L("history.no_match") {
		t.Fatalf("no match: %d items, status %q", len(hs.items), hs.status.Text)
	}
}
