package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// BusyTimeout is how long a statement waits for another connection or process that holds the write lock.
const BusyTimeout = 5 * time.Second

// Errors callers may test with errors.Is.
var (
	ErrNotFound = errors.New("not found in the history")
	ErrClosed   = errors.New("the history database is closed")
)

// Store is an open history database. It is safe for concurrent use; Close it when done.
type Store struct {
	path string
	w    *sql.DB // one connection: every write goes through it, so writers queue here rather than fail busy
	r    *sql.DB // read-only connections (History, reports), which WAL lets run beside the writer

	mu     sync.Mutex
	closed bool
}

// DefaultPath returns where Tandem Expert keeps its history: history.db in the Tandem folder of the user's
// configuration directory (~/.config/Tandem on Linux, %AppData%\Tandem on Windows, ~/Library/Application
// Support/Tandem on macOS).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the configuration directory: %w", err)
	}
	return filepath.Join(dir, "Tandem", "history.db"), nil
}

// OpenDefault opens (creating if needed) the database at DefaultPath, and makes its Tandem folder owner-only.
func OpenDefault(ctx context.Context) (*Store, error) {
	path, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("restricting %s to its owner: %w", dir, err)
	}
	return Open(ctx, path)
}

// Open opens the history database at path, creating it (and missing parent folders, 0700) if needed, and
// migrates it to SchemaVersion. The file is made owner-only (0600); SQLite gives its -wal and -shm files the same
// mode. A database from a newer Tandem is refused with ErrTooNew and left untouched.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder of %s: %w", abs, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	if err := os.Chmod(abs, 0o600); err != nil {
		return nil, fmt.Errorf("restricting %s to its owner: %w", abs, err)
	}
	if err := registerFunctions(); err != nil {
		return nil, err
	}

	// Another program opening the same new file at the same moment (Expert and the report command) may hold the
	// lock that switching to WAL or migrating takes, in a way SQLite's busy timeout does not wait for: try again.
	var w *sql.DB
	if err := retryBusy(ctx, func() (err error) {
		w, err = openDB(ctx, abs, false)
		return err
	}); err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	if err := retryBusy(ctx, func() error { return migrate(ctx, w, SchemaVersion) }); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("history database %s: %w", abs, err)
	}
	var r *sql.DB
	if err := retryBusy(ctx, func() (err error) {
		r, err = openDB(ctx, abs, true)
		return err
	}); err != nil {
		_ = w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	return &Store{path: abs, w: w, r: r}, nil
}

// dsn builds the driver's name for the database at the absolute path abs: a file: URI (so that any character of
// the path survives) with the connection settings as parameters the driver applies to every connection.
func dsn(abs string, readOnly bool) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/…
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate") // take the write lock at BEGIN: two processes never deadlock upgrading a read
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)") // a committed record survives a power cut, not only a crash
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
}

// openDB opens one pool and checks that it works (and, for the writer, that WAL mode took).
func openDB(ctx context.Context, abs string, readOnly bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(abs, readOnly))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	if !strings.EqualFold(mode, "wal") {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: journal mode is %q, not WAL", abs, mode)
	}
	return db, nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database. Calls after Close return ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	errR := s.r.Close()
	errW := s.w.Close() // the last connection checkpoints the WAL into the main file
	if err := errors.Join(errW, errR); err != nil {
		return fmt.Errorf("closing the history database: %w", err)
	}
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Version returns the database's schema version (SchemaVersion once Open has returned).
func (s *Store) Version(ctx context.Context) (int, error) {
	if s.isClosed() {
		return 0, ErrClosed
	}
	return userVersion(ctx, s.r)
}

// write runs fn in one write transaction, committed before it returns.
func (s *Store) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) (err error) {
	if s.isClosed() {
		return fmt.Errorf("%s: %w", what, ErrClosed)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// mapErr turns a foreign-key failure (a record for a session never started) into ErrNotFound.
func mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w (%w)", ErrNotFound, err)
	}
	return err
}

// read runs fn in one read transaction, so that what it reads is one consistent snapshot.
func (s *Store) read(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if s.isClosed() {
		return fmt.Errorf("%s: %w", what, ErrClosed)
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

var (
	registerOnce sync.Once
	registerErr  error
)

// registerFunctions adds tandem_fold(text) to the driver: the text lower-cased and without accents, which is
// what searches compare (so "eric" finds "Éric").
func registerFunctions() error {
	registerOnce.Do(func() {
		registerErr = sqlite.RegisterDeterministicScalarFunction("tandem_fold", 1,
			func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
				switch v := args[0].(type) {
				case string:
					return fold(v), nil
				case []byte:
					return fold(string(v)), nil
				case nil:
					return "", nil
				default:
					return fmt.Sprint(v), nil
				}
			})
		if registerErr != nil {
			registerErr = fmt.Errorf("registering the search function: %w", registerErr)
		}
	})
	return registerErr
}

// fold lower-cases s and strips its accents ("Éloïse" → "eloise").
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// Time and ID conversions between Go and the database.

func msOf(t time.Time) int64 { return t.UnixMilli() }

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func timeOf(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return timeOf(n.Int64)
}

// ParseID parses a whole session ID: 32 hex digits (either case, spaces and dashes ignored).
func ParseID(s string) (protocol.SessionID, error) {
	var id protocol.SessionID
	h := normalizeHex(s)
	if len(h) != 2*len(id) || !isHex(h) {
		return id, fmt.Errorf("session ID %q: want %d hex digits", s, 2*len(id))
	}
	for i := range id {
		id[i] = hexVal(h[2*i])<<4 | hexVal(h[2*i+1])
	}
	return id, nil
}

func normalizeHex(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if hexVal(s[i]) == 0xff {
			return false
		}
	}
	return true
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0xff
}

// retryBusy runs f again while it fails because the database is busy, for at most BusyTimeout.
func retryBusy(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		err := f()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}
