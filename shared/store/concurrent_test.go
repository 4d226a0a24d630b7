package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// TestConcurrentWrites has many goroutines record into a few sessions at once, through two Stores on the same
// file (as Expert and a second process would), while others list and load; every record must be there after.
func TestConcurrentWrites(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "history.db")
	a, err := Open(ctx, path)
	must(t, err)
	defer a.Close()
	b, err := Open(ctx, path)
	must(t, err)
	defer b.Close()

	const sessions, writers, each = 4, 16, 15
	for s := range sessions {
		must(t, a.StartSession(ctx, SessionStart{ID: sid(byte(s + 1)), Started: at(0)}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+2*writers)
	for w := range writers {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Go(func() {
			id := sid(byte(w%sessions + 1))
			author := protocol.ParticipantID(w + 1)
			if err := st.Join(ctx, id, Participant{ID: author, Name: fmt.Sprint("writer ", w), Role: protocol.RoleTechnician, Joined: at(w)}); err != nil {
				errs <- err
				return
			}
			for i := range each {
				var err error
				switch i % 3 {
				case 0:
					err = st.RecordChat(ctx, id, ChatMessage{ID: uint64(i + 1), Author: author, Sent: at(i), Text: fmt.Sprint(w, "/", i)})
				case 1:
					err = st.RecordEvent(ctx, id, Event{At: at(i), Kind: EventMonitorChanged, Actor: author, Detail: fmt.Sprint(i)})
				case 2:
					err = st.StartTransfer(ctx, id, Transfer{ID: uint64(w*1000 + i), Direction: Sent, Peer: author, Name: fmt.Sprint(w, "-", i), Size: 1, Started: at(i)})
					if err == nil {
						err = st.FinishTransfer(ctx, id, Sent, uint64(w*1000+i), 0, TransferResult{Finished: at(i + 1), BytesDone: 1})
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() { // a reader beside each writer
			for range 5 {
				if _, err := a.ListSessions(ctx, Query{Search: "writer"}); err != nil {
					errs <- err
				}
				if _, err := b.LoadSession(ctx, sid(byte(w%sessions+1))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var chats, events, transfers int
	for s := range sessions {
		got, err := a.LoadSession(ctx, sid(byte(s+1)))
		must(t, err)
		chats += len(got.Chat)
		events += len(got.Events)
		transfers += len(got.Transfers)
		for _, tr := range got.Transfers {
			if !tr.Done() {
				t.Errorf("transfer %d not finished", tr.ID)
			}
		}
	}
	perWriter := func(rem int) int { // how many i in [0, each) have i%3 == rem
		n := 0
		for i := range each {
			if i%3 == rem {
				n++
			}
		}
		return n
	}
	if want := writers * perWriter(0); chats != want {
		t.Errorf("%d chat messages, want %d", chats, want)
	}
	if want := writers * (perWriter(1) + 1); events != want { // + the joined event
		t.Errorf("%d events, want %d", events, want)
	}
	if want := writers * perWriter(2); transfers != want {
		t.Errorf("%d transfers, want %d", transfers, want)
	}
}

// TestConcurrentOpen has several goroutines open (and so migrate) the same new file at once.
func TestConcurrentOpen(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "history.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			st, err := Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			if v, err := st.Version(context.Background()); err != nil || v != SchemaVersion {
				errs <- fmt.Errorf("version %d: %w", v, err)
			}
			errs <- st.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
