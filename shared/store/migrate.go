package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migration is one step of the schema: the statements that take the database from the version before it to its
// own. Steps are never edited once released: a change is a new step at the end.
type migration struct {
	version int
	about   string
	stmts   []string
}

// migrations is the ordered list of schema steps; migrations[i].version == i+1.
var migrations = []migration{
	{1, "sessions, participants, events, chat and transfers", []string{
		`CREATE TABLE sessions (
			id              TEXT PRIMARY KEY CHECK (length(id) = 32),
			customer_name   TEXT NOT NULL DEFAULT '',
			technician_name TEXT NOT NULL DEFAULT '',
			started_at      INTEGER NOT NULL,
			ended_at        INTEGER,
			end_code        INTEGER,
			ended_by        INTEGER NOT NULL DEFAULT 0
		) STRICT`,
		`CREATE INDEX sessions_started ON sessions (started_at DESC)`,
		`CREATE TABLE participants (
			session_id     TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
			participant_id INTEGER NOT NULL,
			name           TEXT NOT NULL DEFAULT '',
			role           INTEGER NOT NULL,
			joined_at      INTEGER NOT NULL,
			left_at        INTEGER,
			seq            INTEGER NOT NULL,
			PRIMARY KEY (session_id, participant_id)
		) STRICT`,
		`CREATE TABLE events (
			seq        INTEGER PRIMARY KEY,
			session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
			at         INTEGER NOT NULL,
			kind       TEXT NOT NULL,
			actor      INTEGER NOT NULL DEFAULT 0,
			permission INTEGER NOT NULL DEFAULT 0,
			detail     TEXT NOT NULL DEFAULT ''
		) STRICT`,
		`CREATE INDEX events_session ON events (session_id, seq)`,
		`CREATE TABLE chat (
			seq         INTEGER PRIMARY KEY,
			session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
			author_id   INTEGER NOT NULL,
			message_id  INTEGER NOT NULL,
			author_name TEXT NOT NULL DEFAULT '',
			sent_at     INTEGER NOT NULL,
			text        TEXT NOT NULL,
			delivered   INTEGER NOT NULL DEFAULT 0,
			UNIQUE (session_id, author_id, message_id)
		) STRICT`,
		`CREATE TABLE transfers (
			seq         INTEGER PRIMARY KEY,
			session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
			transfer_id INTEGER NOT NULL,
			file_index  INTEGER NOT NULL,
			direction   TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
			peer_id     INTEGER NOT NULL DEFAULT 0,
			file_name   TEXT NOT NULL,
			size        INTEGER NOT NULL,
			sha256      TEXT NOT NULL DEFAULT '',
			outcome     INTEGER,
			started_at  INTEGER NOT NULL,
			finished_at INTEGER,
			bytes_done  INTEGER NOT NULL DEFAULT 0,
			UNIQUE (session_id, direction, transfer_id, file_index)
		) STRICT`,
	}},
	{2, "unattended sessions: the session's kind and the computer's ID", []string{
		`ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'attended' CHECK (kind IN ('attended', 'unattended'))`,
		`ALTER TABLE sessions ADD COLUMN computer_id TEXT NOT NULL DEFAULT ''`,
	}},
	{3, "computers the technician reaches unattended", []string{
		`CREATE TABLE computers (
			id        TEXT PRIMARY KEY CHECK (length(id) > 0),
			name      TEXT NOT NULL DEFAULT '',
			owner     TEXT NOT NULL DEFAULT '',
			addr      TEXT NOT NULL,
			secret    BLOB NOT NULL CHECK (length(secret) = 32),
			added_at  INTEGER NOT NULL,
			last_seen INTEGER,
			state     TEXT NOT NULL DEFAULT ''
		) STRICT`,
	}},
	{4, "computers reached through a rendezvous", []string{
		`ALTER TABLE computers ADD COLUMN rendezvous TEXT NOT NULL DEFAULT ''`,
	}},
}

// SchemaVersion is the schema version this package writes: the version of the last migration (a test checks).
const SchemaVersion = 4

// ErrTooNew is returned by Open for a database written by a newer version of Tandem.
var ErrTooNew = errors.New("the history database was written by a newer version of Tandem")

// userVersion reads PRAGMA user_version.
func userVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

// migrate brings db up to version target (SchemaVersion for Open; lower in tests), one transaction per step, so
// that a failure or a crash leaves the database at the last step that completed.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	current, err := userVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > SchemaVersion {
		return fmt.Errorf("%w (schema version %d, this one knows up to %d)", ErrTooNew, current, SchemaVersion)
	}
	for _, m := range migrations {
		if m.version <= current || m.version > target {
			continue
		}
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one step and sets user_version in the same transaction (user_version lives in the
// database header, which the transaction covers).
func applyMigration(ctx context.Context, db *sql.DB, m migration) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", m.version, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Re-check inside the write transaction: another process may have migrated since we looked.
	v, err := userVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("migration %d: %w", m.version, err)
	}
	if v >= m.version {
		return tx.Rollback()
	}
	if v != m.version-1 {
		return fmt.Errorf("migration %d: database is at version %d", m.version, v)
	}
	for i, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %d (%s), statement %d: %w", m.version, m.about, i+1, err)
		}
	}
	// PRAGMA takes no parameters; the version is a number from the table above.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("migration %d: setting the version: %w", m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: %w", m.version, err)
	}
	return nil
}
