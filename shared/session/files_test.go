package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
)

// testFile writes n random bytes to a file and returns its path and content.
func testFile(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// waitTransfer returns the first transfer event of type E that ok accepts.
func waitTransfer[E transfer.Event](t *testing.T, ch <-chan Event, ok func(E, FileTransfer) bool) (E, FileTransfer) {
	t.Helper()
	var got E
	ft := waitFor(t, ch, func(ft FileTransfer) bool {
		e, is := ft.Event.(E)
		if is && ok(e, ft) {
			got = e
			return true
		}
		return false
	})
	return got, ft
}

func TestFilesBothWays(t *testing.T) {
	s := newLive(t, capture.NewPattern(), 0)
	src, data := testFile(t, "rapport d'été.pdf", 300<<10)
	id, err := s.g.Files().Send(src)
	if err != nil {
		t.Fatal(err)
	}
	offer, _ := waitTransfer(t, s.h.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	if len(offer.Files) != 1 || offer.Files[0].Name != "rapport d'été.pdf" || offer.Total != uint64(len(data)) {
		t.Fatalf("offer %+v", offer)
	}
	dir := t.TempDir()
	if err := s.h.Files().Accept(offer.ID, dir); err != nil {
		t.Fatal(err)
	}
	for _, side := range []<-chan Event{s.h.Events(), s.g.Events()} {
		done, _ := waitTransfer(t, side, func(transfer.Finished, FileTransfer) bool { return true })
		if done.Err != nil || done.Completed != 1 {
			t.Fatalf("finished %+v", done)
		}
		if side == s.g.Events() && done.ID != id {
			t.Fatalf("the customer's transfer %v finished as %v", id, done.ID)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, "rapport d'été.pdf"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the received file differs (%v)", err)
	}

	// The other way, declined.
	back, _ := testFile(t, "setup.exe", 10)
	if _, err := s.h.Files().Send(back); err != nil {
		t.Fatal(err)
	}
	in, _ := waitTransfer(t, s.g.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	if err := s.g.Files().Decline(in.ID); err != nil {
		t.Fatal(err)
	}
	done, _ := waitTransfer(t, s.h.Events(), func(e transfer.Finished, _ FileTransfer) bool { return e.ID.Dir == transfer.Outgoing })
	if protocol.CodeOf(done.Err) != protocol.Refused {
		t.Fatalf("declined offer finished with %v", done.Err)
	}
}

func TestTransferResumesAfterAReconnection(t *testing.T) {
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 20*time.Second)
	src, data := testFile(t, "big.bin", 24<<20)
	if _, err := s.g.Files().Send(src); err != nil {
		t.Fatal(err)
	}
	offer, _ := waitTransfer(t, s.h.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	dir := t.TempDir()
	if err := s.h.Files().Accept(offer.ID, dir); err != nil {
		t.Fatal(err)
	}
	// Cut the path once some of the file has arrived.
	waitTransfer(t, s.h.Events(), func(p transfer.Progress, _ FileTransfer) bool { return p.Done > 1<<20 })
	s.relay.Cut(true)
	first, _ := waitTransfer(t, s.h.Events(), func(transfer.Finished, FileTransfer) bool { return true })
	if !interrupted(first.Err) {
		t.Fatalf("the cut transfer ended with %v", first.Err)
	}
	s.relay.Cut(false)
	// The rest comes by itself, into the same folder, without a question.
	again, ft := waitTransfer(t, s.h.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	if !ft.Resumed || again.Files[0].Name != "big.bin" {
		t.Fatalf("after the reconnection: %+v (resumed %v)", again, ft.Resumed)
	}
	ans, _ := waitTransfer(t, s.h.Events(), func(transfer.Answered, FileTransfer) bool { return true })
	if !ans.Accepted || ans.Resumed == 0 || ans.Dir != dir {
		t.Fatalf("answer %+v: want accepted into %s, resuming", ans, dir)
	}
	done, _ := waitTransfer(t, s.h.Events(), func(e transfer.Finished, _ FileTransfer) bool { return e.ID == again.ID })
	if done.Err != nil {
		t.Fatalf("the resumed transfer ended with %v", done.Err)
	}
	sum := sha256.Sum256(data)
	if done.Results[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatal("the resumed file's hash differs")
	}
	got, err := os.ReadFile(filepath.Join(dir, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the resumed file differs (%v)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the folder holds %d entries, want only the file", len(entries))
	}
}

// A file that changed while the connection was down is a new offer: the customer is asked again instead of
// the rest being taken by itself, and the partial file of the old one is deleted (issue 19, finding 3).
func TestResumeAsksAgainForAChangedFile(t *testing.T) {
	src, _ := testFile(t, "setup.exe", 64<<20) // before the session: the idle timeouts are short
	_, other := testFile(t, "other", 64<<20)
	s := newResumable(t, 600*time.Millisecond, 600*time.Millisecond, 20*time.Second)
	go func() { // the technician's program reads its events (a full queue would hold the session up); they end with it
		for range s.h.Events() { //nolint:revive // read and dropped
		}
	}()
	if _, err := s.h.Files().Send(src); err != nil {
		t.Fatal(err)
	}
	offer, _ := waitTransfer(t, s.g.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	dir := t.TempDir()
	if err := s.g.Files().Accept(offer.ID, dir); err != nil {
		t.Fatal(err)
	}
	waitTransfer(t, s.g.Events(), func(p transfer.Progress, _ FileTransfer) bool { return p.Done > 0 })
	s.relay.Cut(true)
	first, _ := waitTransfer(t, s.g.Events(), func(transfer.Finished, FileTransfer) bool { return true })
	if !interrupted(first.Err) || first.Results[0].Partial == "" {
		t.Fatalf("the cut transfer ended with %v, partial %q", first.Err, first.Results[0].Partial)
	}
	if _, err := os.Stat(first.Results[0].Partial); err != nil {
		t.Fatalf("the partial file kept for a resume: %v", err)
	}

	// Meanwhile the technician's file becomes another one of the same size.
	if err := os.WriteFile(src, other, 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	s.relay.Cut(false)

	again, ft := waitTransfer(t, s.g.Events(), func(transfer.OfferReceived, FileTransfer) bool { return true })
	if ft.Resumed || again.Files[0].Name != "setup.exe" {
		t.Fatalf("after the reconnection: %+v taken by itself (%v)", again, ft.Resumed)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the folder still holds %v after the changed offer", entries)
	}
	// Nothing is answered for the customer: the question is theirs.
	select {
	case e := <-s.g.Events():
		if ft, ok := e.(FileTransfer); ok {
			if ans, ok := ft.Event.(transfer.Answered); ok {
				t.Fatalf("the changed file was answered without the customer: %+v", ans)
			}
		}
	case <-time.After(300 * time.Millisecond):
	}
	if err := s.g.Files().Accept(again.ID, dir); err != nil {
		t.Fatal(err)
	}
	done, _ := waitTransfer(t, s.g.Events(), func(e transfer.Finished, _ FileTransfer) bool { return e.ID == again.ID })
	if done.Err != nil {
		t.Fatalf("the new offer ended with %v", done.Err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "setup.exe"))
	if err != nil || !bytes.Equal(got, other) {
		t.Fatalf("the received file is not the new one (%v)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the folder holds %d entries, want only the file", len(entries))
	}
}
