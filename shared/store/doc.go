// Package store keeps Tandem Expert's session history in SQLite (the pure-Go driver modernc.org/sqlite): sessions,
// participants, events, chat messages and file transfers, so that a report can be produced after a session, even
// after a crash.
//
// # Writing
//
// The session wiring records things as they happen, one small transaction per record; a record is on disk when
// the call returns, so a crash (or SIGKILL) of the program loses nothing already recorded. A Store is safe for
// concurrent use by any number of goroutines. Every call takes a context that bounds the wait for the database.
//
//	st, _ := store.Open(ctx, path)                     // path from DefaultPath, or a test's t.TempDir()
//	st.StartSession(ctx, store.SessionStart{ID: sid, Kind: store.Attended, Started: now, TechnicianName: "Ana"})
//	st.Join(ctx, sid, store.Participant{ID: 1, Name: "Ana", Role: protocol.RoleTechnician, Joined: now})
//	st.Join(ctx, sid, store.Participant{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: now})
//	st.RecordEvent(ctx, sid, store.Event{At: now, Kind: store.EventConsentAsked, Actor: 1, Permission: protocol.PermControl})
//	st.RecordChat(ctx, sid, store.ChatMessage{ID: 7, Author: 2, AuthorName: "Bob", Sent: now, Text: "hello"})
//	st.MarkChatDelivered(ctx, sid, 2, 7)
//	st.StartTransfer(ctx, sid, store.Transfer{ID: 3, Direction: store.Received, Peer: 2, Name: "log.txt", Size: 42, Started: now})
//	st.FinishTransfer(ctx, sid, store.Received, 3, 0, store.TransferResult{Finished: now, Outcome: protocol.NoError, SHA256: hex, BytesDone: 42})
//	st.EndSession(ctx, sid, now, 2, protocol.SessionEnded)
//
// Join and Leave also record the joined/left events; EndSession records the ended event and closes every
// participant still present. A zero time in any record means "now".
//
// # Reading
//
// ListSessions serves the History list (newest first, optionally filtered by a search over customer and
// technician names, chat text, file names and session IDs) with a summary of each session; LoadSession returns
// one whole session for a report; ResolveID turns what a person typed (a whole ID or a unique prefix) into an ID.
//
// # The database
//
// One file (DefaultPath: the user's config directory/Tandem/history.db), owner-only (0600, in a 0700 directory),
// in WAL mode with foreign keys on and a busy timeout, so that another process (the report command) can read
// while Expert writes. Its schema is versioned with PRAGMA user_version: migrations is an ordered list of steps,
// each applied in its own transaction; Open brings an older database up to date and refuses a newer one
// (ErrTooNew). Times are stored as Unix milliseconds (UTC); session IDs as 32 lower-case hex digits; message and
// transfer IDs (uint64 on the wire) as the int64 with the same bits.
package store
