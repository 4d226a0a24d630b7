package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

// crashEnv, when set in the environment, names the database TestCrashWriterChild writes to.
const crashEnv = "TANDEM_REPORT_CRASH_DB"

var crashID = protocol.SessionID{0xde, 0xad}

// TestCrashWriterChild is the writer process of TestReportAfterWriterKilled, which runs this test binary again
// with crashEnv set: it records a session as fast as it can, printing "recorded N" after the Nth chat message's
// call returned, until it is killed. Without crashEnv it does nothing.
func TestCrashWriterChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // never outlive a lost parent for long
	defer cancel()
	st, err := store.Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	check := func(err error) {
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	check(st.StartSession(ctx, store.SessionStart{ID: crashID, Started: t0, TechnicianName: "Ana"}))
	check(st.Join(ctx, crashID, store.Participant{ID: 1, Name: "Ana", Role: protocol.RoleTechnician, Joined: t0}))
	check(st.Join(ctx, crashID, store.Participant{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: at(1)}))
	check(st.RecordEvent(ctx, crashID, store.Event{At: at(1), Kind: store.EventSharingStarted, Actor: 2}))
	check(st.StartTransfer(ctx, crashID, store.Transfer{ID: 1, Direction: store.Received, Peer: 2, Name: "big.iso", Size: 1 << 30, Started: at(2)}))
	for i := 1; ctx.Err() == nil; i++ {
		check(st.RecordChat(ctx, crashID, store.ChatMessage{ID: uint64(i), Author: protocol.ParticipantID(1 + i%2), Sent: at(2 + i), Text: "message " + strconv.Itoa(i)}))
		if i%10 == 0 {
			check(st.TransferProgress(ctx, crashID, store.Received, 1, 0, uint64(i)<<20))
		}
		fmt.Println("recorded", i) // os.Stdout is not buffered: the parent sees this line at once
	}
	os.Exit(2) // the parent should have killed us long before
}

// TestReportAfterWriterKilled kills (SIGKILL) a process in the middle of recording a session, then opens its
// database and makes the report: everything the writer had recorded must be there, and the report must say that
// the session was cut short.
func TestReportAfterWriterKilled(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "history.db")
	cmd := exec.CommandContext(testCtx(t), os.Args[0], "-test.run=^TestCrashWriterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())

	const enough = 60
	acked := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		if n, ok := strings.CutPrefix(line, "recorded "); ok {
			acked, err = strconv.Atoi(n)
			must(t, err)
			if acked == enough {
				must(t, cmd.Process.Kill()) // SIGKILL: no deferred call, no Close, no checkpoint
				break
			}
		} else if strings.HasPrefix(line, "error") {
			t.Fatalf("writer: %s", line)
		}
	}
	for lines.Scan() { // lines already written before the kill
		if n, ok := strings.CutPrefix(lines.Text(), "recorded "); ok {
			acked, _ = strconv.Atoi(n)
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the writer exited normally; stderr:\n%s", stderr.String())
	}
	if acked < enough {
		t.Fatalf("the writer stopped after %d records; stderr:\n%s", acked, stderr.String())
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log after the kill (%v): the writer was not cut short", err)
	}

	st, err := store.Open(testCtx(t), path)
	must(t, err)
	defer st.Close()
	s, err := st.LoadSession(testCtx(t), crashID)
	must(t, err)
	if len(s.Chat) < acked {
		t.Fatalf("%d chat messages in the database, the writer had recorded %d", len(s.Chat), acked)
	}
	for i, m := range s.Chat {
		if m.ID != uint64(i+1) || m.Text != "message "+strconv.Itoa(i+1) {
			t.Fatalf("chat message %d is %d %q", i+1, m.ID, m.Text)
		}
	}
	if !s.Ended.IsZero() || len(s.Participants) != 2 || len(s.Transfers) != 1 || s.Transfers[0].Done() ||
		s.Transfers[0].BytesDone < uint64(acked/10*10)<<20 {
		t.Errorf("after the kill: ended %v, %d participants, transfers %+v", s.Ended, len(s.Participants), s.Transfers)
	}

	r := Build(s, fixtureOptions)
	var page, doc bytes.Buffer
	must(t, r.WriteHTML(&page, Options{Lang: "en", Location: time.UTC}))
	must(t, r.WriteJSON(&doc))
	for _, want := range []string{"No end was recorded", "message " + strconv.Itoa(acked), "Did not finish", "cut short"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if !strings.Contains(doc.String(), `"ended": null`) || !strings.Contains(doc.String(), `"status": "incomplete"`) {
		t.Error("the JSON report does not say the session and the transfer were cut short")
	}
	// The History list shows it too, and the database takes new records.
	list, err := st.ListSessions(testCtx(t), store.Query{Search: "message " + strconv.Itoa(acked)})
	must(t, err)
	if len(list) != 1 || list[0].ChatMessages != len(s.Chat) || !list[0].Ended.IsZero() {
		t.Errorf("History after the kill: %+v", list)
	}
	must(t, st.EndSession(testCtx(t), crashID, time.Time{}, 0, protocol.ConnectionLost))
}
