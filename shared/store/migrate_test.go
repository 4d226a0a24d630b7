package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// rawDB opens path with the driver directly, as an older Tandem would have.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	must(t, registerFunctions())
	db, err := sql.Open("sqlite", dsn(path, false))
	must(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// schema describes every table (columns with type, nullness, default, key) and index of db.
func schema(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := testCtx(t)
	out := map[string][]string{}
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name`)
	must(t, err)
	type obj struct{ typ, name, table string }
	var objs []obj
	for rows.Next() {
		var o obj
		must(t, rows.Scan(&o.typ, &o.name, &o.table))
		objs = append(objs, o)
	}
	must(t, rows.Err())
	must(t, rows.Close())
	for _, o := range objs {
		var info *sql.Rows
		if o.typ == "table" {
			info, err = db.QueryContext(ctx, `SELECT name, type, "notnull", coalesce(dflt_value, ''), pk FROM pragma_table_info(?)`, o.name)
		} else {
			info, err = db.QueryContext(ctx, `SELECT coalesce(name, ''), '', 0, '', seqno FROM pragma_index_info(?)`, o.name)
		}
		must(t, err)
		for info.Next() {
			var name, typ, dflt string
			var notNull, pk int
			must(t, info.Scan(&name, &typ, &notNull, &dflt, &pk))
			out[o.typ+" "+o.name] = append(out[o.typ+" "+o.name], fmt.Sprintf("%s %s notnull=%d default=%s pk=%d", name, typ, notNull, dflt, pk))
		}
		must(t, info.Err())
		must(t, info.Close())
	}
	return out
}

// TestMigrationsFromEachVersion builds a database at every earlier version (0 is a new, empty file), opens it,
// and checks that it ends with exactly the schema of a database created at the latest version.
func TestMigrationsFromEachVersion(t *testing.T) {
	fresh := openTest(t)
	want := schema(t, fresh.r)
	if len(want) == 0 {
		t.Fatal("empty schema")
	}
	for v := 0; v <= SchemaVersion; v++ {
		t.Run(fmt.Sprintf("from v%d", v), func(t *testing.T) {
			ctx := testCtx(t)
			path := filepath.Join(t.TempDir(), "history.db")
			db := rawDB(t, path)
			must(t, migrate(ctx, db, v))
			got, err := userVersion(ctx, db)
			must(t, err)
			if got != v {
				t.Fatalf("built at version %d, want %d", got, v)
			}
			must(t, db.Close())

			st, err := Open(ctx, path)
			must(t, err)
			defer st.Close()
			if got, err := st.Version(ctx); err != nil || got != SchemaVersion {
				t.Fatalf("Version() = %d, %v; want %d", got, err, SchemaVersion)
			}
			if got := schema(t, st.r); !reflect.DeepEqual(got, want) {
				t.Errorf("schema after migrating from v%d:\n%v\nwant\n%v", v, got, want)
			}
		})
	}
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	if len(migrations) < 2 {
		t.Fatal("fewer than two schema versions")
	}
	if last := migrations[len(migrations)-1].version; last != SchemaVersion {
		t.Errorf("SchemaVersion is %d, the last migration %d", SchemaVersion, last)
	}
	for i, m := range migrations {
		if m.version != i+1 || len(m.stmts) == 0 || m.about == "" {
			t.Errorf("migrations[%d]: version %d, %d statements, about %q", i, m.version, len(m.stmts), m.about)
		}
	}
}

// v1Schema is the schema of the first release, written out here (not taken from migrations) so that an edit of
// a released step cannot hide itself.
var v1Schema = []string{
	`CREATE TABLE sessions (id TEXT PRIMARY KEY CHECK (length(id) = 32), customer_name TEXT NOT NULL DEFAULT '',
		technician_name TEXT NOT NULL DEFAULT '', started_at INTEGER NOT NULL, ended_at INTEGER, end_code INTEGER,
		ended_by INTEGER NOT NULL DEFAULT 0) STRICT`,
	`CREATE INDEX sessions_started ON sessions (started_at DESC)`,
	`CREATE TABLE participants (session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		participant_id INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '', role INTEGER NOT NULL,
		joined_at INTEGER NOT NULL, left_at INTEGER, seq INTEGER NOT NULL, PRIMARY KEY (session_id, participant_id)) STRICT`,
	`CREATE TABLE events (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		at INTEGER NOT NULL, kind TEXT NOT NULL, actor INTEGER NOT NULL DEFAULT 0, permission INTEGER NOT NULL DEFAULT 0,
		detail TEXT NOT NULL DEFAULT '') STRICT`,
	`CREATE INDEX events_session ON events (session_id, seq)`,
	`CREATE TABLE chat (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		author_id INTEGER NOT NULL, message_id INTEGER NOT NULL, author_name TEXT NOT NULL DEFAULT '',
		sent_at INTEGER NOT NULL, text TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,
		UNIQUE (session_id, author_id, message_id)) STRICT`,
	`CREATE TABLE transfers (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		transfer_id INTEGER NOT NULL, file_index INTEGER NOT NULL,
		direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')), peer_id INTEGER NOT NULL DEFAULT 0,
		file_name TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL DEFAULT '', outcome INTEGER,
		started_at INTEGER NOT NULL, finished_at INTEGER, bytes_done INTEGER NOT NULL DEFAULT 0,
		UNIQUE (session_id, direction, transfer_id, file_index)) STRICT`,
	`PRAGMA user_version = 1`,
}

// TestMigrateHandMadeV1 writes a version-1 database with records in it, as the first release did, and checks
// that Open migrates it and that every record is still there, with the new columns at their defaults.
func TestMigrateHandMadeV1(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "history.db")
	db := rawDB(t, path)
	id := sid(0x5a).String()
	for _, stmt := range append(v1Schema,
		`INSERT INTO sessions (id, customer_name, technician_name, started_at, ended_at, end_code, ended_by)
			VALUES ('`+id+`', 'Bob', 'Ana', 1741944600000, 1741945200000, 7, 2)`,
		`INSERT INTO participants VALUES ('`+id+`', 1, 'Ana', 2, 1741944600000, 1741945200000, 1)`,
		`INSERT INTO participants VALUES ('`+id+`', 2, 'Bob', 1, 1741944601000, 1741945200000, 2)`,
		`INSERT INTO events (session_id, at, kind, actor, detail) VALUES ('`+id+`', 1741944601000, 'joined', 2, 'Bob')`,
		`INSERT INTO chat (session_id, author_id, message_id, author_name, sent_at, text, delivered)
			VALUES ('`+id+`', 2, 1, 'Bob', 1741944602000, 'hello', 1)`,
		`INSERT INTO transfers (session_id, transfer_id, file_index, direction, peer_id, file_name, size, sha256,
			outcome, started_at, finished_at, bytes_done)
			VALUES ('`+id+`', 9, 0, 'received', 2, 'log.txt', 3, '', 0, 1741944603000, 1741944604000, 3)`,
	) {
		_, err := db.ExecContext(ctx, stmt)
		must(t, err)
	}
	must(t, db.Close())

	st, err := Open(ctx, path)
	must(t, err)
	defer st.Close()
	got, err := st.LoadSession(ctx, sid(0x5a))
	must(t, err)
	start := timeOf(1741944600000)
	want := &Session{
		ID: sid(0x5a), Kind: Attended, CustomerName: "Bob", TechnicianName: "Ana",
		Started: start, Ended: start.Add(10 * time.Minute), EndCode: protocol.SessionEnded, EndedBy: 2,
		Participants: []Participant{
			{ID: 1, Name: "Ana", Role: protocol.RoleTechnician, Joined: start, Left: start.Add(10 * time.Minute)},
			{ID: 2, Name: "Bob", Role: protocol.RoleCustomer, Joined: start.Add(time.Second), Left: start.Add(10 * time.Minute)},
		},
		Events:    []Event{{At: start.Add(time.Second), Kind: EventJoined, Actor: 2, Detail: "Bob"}},
		Chat:      []ChatMessage{{ID: 1, Author: 2, AuthorName: "Bob", Sent: start.Add(2 * time.Second), Text: "hello", Delivered: true}},
		Transfers: []Transfer{{ID: 9, Direction: Received, Peer: 2, Name: "log.txt", Size: 3, Started: start.Add(3 * time.Second), Finished: start.Add(4 * time.Second), BytesDone: 3}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after migration:\n%+v\nwant\n%+v", got, want)
	}
	// The version-2 columns work on the migrated database.
	must(t, st.StartSession(ctx, SessionStart{ID: sid(0x5b), Kind: Unattended, ComputerID: "ABCD-EFGH", Started: start}))
	got, err = st.LoadSession(ctx, sid(0x5b))
	must(t, err)
	if got.Kind != Unattended || got.ComputerID != "ABCD-EFGH" {
		t.Errorf("kind %q, computer %q after migration", got.Kind, got.ComputerID)
	}
}

func TestOpenRefusesANewerDatabase(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "history.db")
	db := rawDB(t, path)
	_, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	must(t, err)
	must(t, db.Close())
	before, err := os.ReadFile(path)
	must(t, err)

	if st, err := Open(ctx, path); !errors.Is(err, ErrTooNew) {
		if st != nil {
			_ = st.Close()
		}
		t.Fatalf("Open of a newer database: %v, want ErrTooNew", err)
	}
	after, err := os.ReadFile(path)
	must(t, err)
	if string(before) != string(after) {
		t.Error("Open changed a database it refused")
	}
}

// TestFailedMigrationRollsBack checks that a step that fails leaves the database at the version before it.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "history.db")
	db := rawDB(t, path)
	must(t, migrate(ctx, db, 1))
	bad := migration{2, "broken", []string{`ALTER TABLE sessions ADD COLUMN x TEXT`, `THIS IS NOT SQL`}}
	if err := applyMigration(ctx, db, bad); err == nil {
		t.Fatal("a broken migration succeeded")
	}
	if v, err := userVersion(ctx, db); err != nil || v != 1 {
		t.Errorf("version after a failed step: %d, %v; want 1", v, err)
	}
	var n int
	must(t, db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('sessions') WHERE name = 'x'`).Scan(&n))
	if n != 0 {
		t.Error("the failed step's first statement stayed")
	}
}
