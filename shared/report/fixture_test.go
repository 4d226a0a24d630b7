package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

var t0 = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var fixtureID = protocol.SessionID{0x3f, 0x9a, 0x1c, 0x42, 0x7e, 0x05, 0xd1, 0xb8, 0x64, 0x2a, 0x90, 0xee, 0x13, 0x5c, 0x7b, 0x01}

// hostile holds what a malicious peer might send as names, chat and file names.
var hostile = struct{ customer, chat, file, tech string }{
	customer: `Bob<script>alert(1)</script>`,
	chat:     "\"><img src=x onerror=alert(1)>\n<a href=\"javascript:alert(2)\">click</a> & </textarea>",
	file:     "invoice\u202Efdp.exe",
	tech:     "Zoé\u2066 \u0627\u0644\u062f\u0639\u0645",
}

// recordFixture records, through the real store, the session the golden files show: two technicians, a customer,
// every kind of event, consents answered each way, chat (some of it hostile) and transfers of every outcome.
func recordFixture(t testing.TB, st *store.Store) {
	ctx := testCtx(t)
	id := fixtureID
	ev := func(sec int, kind store.EventKind, actor protocol.ParticipantID, perm protocol.Permission, detail string) {
		must(t, st.RecordEvent(ctx, id, store.Event{At: at(sec), Kind: kind, Actor: actor, Permission: perm, Detail: detail}))
	}
	must(t, st.StartSession(ctx, store.SessionStart{ID: id, Kind: store.Attended, Started: at(0), TechnicianName: "Ana Lima"}))
	must(t, st.Join(ctx, id, store.Participant{ID: 1, Name: "Ana Lima", Role: protocol.RoleTechnician, Joined: at(0)}))
	must(t, st.Join(ctx, id, store.Participant{ID: 2, Name: hostile.customer, Role: protocol.RoleCustomer, Joined: at(12)}))
	ev(12, store.EventConnected, 0, 0, store.RouteDetail("rv.example.com", false))
	ev(12, store.EventSharingStarted, 2, 0, "")
	ev(40, store.EventConsentAsked, 1, protocol.PermControl, "")
	ev(46, store.EventConsentRefused, 2, protocol.PermControl, "")
	ev(95, store.EventConsentAsked, 1, protocol.PermControl, "")
	ev(101, store.EventConsentGiven, 2, protocol.PermControl, "")
	ev(101, store.EventControlGranted, 1, 0, "")
	must(t, st.RecordChat(ctx, id, store.ChatMessage{ID: 1, Author: 1, AuthorName: "Ana Lima", Sent: at(20), Text: "Hello, I can see your screen now."}))
	must(t, st.MarkChatDelivered(ctx, id, 1, 1))
	must(t, st.RecordChat(ctx, id, store.ChatMessage{ID: 1, Author: 2, AuthorName: hostile.customer, Sent: at(31), Text: hostile.chat}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 1, Direction: store.Received, Peer: 2, Name: "printer-log.txt", Size: 18_422, Started: at(130)}))
	must(t, st.FinishTransfer(ctx, id, store.Received, 1, 0, store.TransferResult{Finished: at(131), Outcome: protocol.NoError,
		SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", BytesDone: 18_422}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 1, Direction: store.Sent, Peer: 2, Name: hostile.file, Size: 2_500_000, Started: at(150)}))
	must(t, st.FinishTransfer(ctx, id, store.Sent, 1, 0, store.TransferResult{Finished: at(152), Outcome: protocol.Refused}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 2, Direction: store.Sent, Peer: 2, Name: "driver-setup.msi", Size: 48_234_496, Started: at(160)}))
	must(t, st.TransferProgress(ctx, id, store.Sent, 2, 0, 10_000_000))
	must(t, st.FinishTransfer(ctx, id, store.Sent, 2, 0, store.TransferResult{Finished: at(190), Outcome: protocol.DiskFull, BytesDone: 31_000_000}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 2, Direction: store.Received, Peer: 2, Name: "screenshot.png", Size: 1, Started: at(200)}))
	must(t, st.FinishTransfer(ctx, id, store.Received, 2, 0, store.TransferResult{Finished: at(201), Outcome: protocol.Cancelled}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 3, Direction: store.Received, Peer: 2, Name: "notes.txt", Size: 999, Started: at(205)}))
	must(t, st.Join(ctx, id, store.Participant{ID: 3, Name: hostile.tech, Role: protocol.RoleTechnician, Joined: at(300)}))
	ev(305, store.EventConnected, 0, 0, store.RouteDetail("<rv>.example.com", true))
	ev(310, store.EventMonitorChanged, 1, 0, "2 (1920×1080)")
	ev(320, store.EventTechSharingStarted, 3, 0, "")
	ev(330, store.EventConsentAsked, 3, protocol.PermInvite, "")
	ev(390, store.EventConsentExpired, 0, protocol.PermInvite, "")
	ev(400, store.EventTechSharingStopped, 3, 0, "")
	must(t, st.Leave(ctx, id, 3, at(410)))
	ev(420, store.EventControlRevoked, 2, 0, "")
	ev(425, store.EventSharingStopped, 2, 0, "")
	ev(430, store.EventConsentAsked, 1, protocol.PermView, "")
	must(t, st.RecordChat(ctx, id, store.ChatMessage{ID: 2, Author: 2, AuthorName: hostile.customer, Sent: at(3700), Text: "Thanks, all good!\nBye"}))
	must(t, st.EndSession(ctx, id, at(3725), 2, protocol.SessionEnded))
}

func fixture(t testing.TB) (*store.Store, *store.Session) {
	st, err := store.Open(testCtx(t), filepath.Join(t.TempDir(), "history.db"))
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	recordFixture(t, st)
	s, err := st.LoadSession(testCtx(t), fixtureID)
	must(t, err)
	return st, s
}

var fixtureOptions = Options{Location: time.UTC, Generated: time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC), Generator: "Tandem test"}
