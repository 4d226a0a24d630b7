package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

var t0 = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func sid(b byte) protocol.SessionID {
	var id protocol.SessionID
	for i := range id {
		id[i] = b
	}
	return id
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func openTest(t *testing.T) *Store {
	t.Helper()
	st, err := Open(testCtx(t), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenSettingsAndPermissions(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "Tandem")
	path := filepath.Join(dir, "history.db")
	st, err := Open(ctx, path)
	must(t, err)
	defer st.Close()
	must(t, st.StartSession(ctx, SessionStart{ID: sid(1), Started: at(0)})) // makes the WAL exist

	if runtime.GOOS != "windows" {
		for _, c := range []struct {
			path string
			want os.FileMode
		}{{dir, 0o700 | os.ModeDir}, {path, 0o600}, {path + "-wal", 0o600}, {path + "-shm", 0o600}} {
			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != c.want {
				t.Errorf("%s: mode %v, want %v", filepath.Base(c.path), fi.Mode(), c.want)
			}
		}
	}
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "2"},
		{"user_version", strconv.Itoa(SchemaVersion)},
	} {
		for name, db := range map[string]*sql.DB{"writer": st.w, "reader": st.r} {
			var got string
			must(t, db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got))
			if c.pragma == "synchronous" && name == "reader" {
				continue // readers never write
			}
			if got != c.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, c.pragma, got, c.want)
			}
		}
	}
	if _, err := st.r.ExecContext(ctx, `DELETE FROM sessions`); err == nil {
		t.Error("the reader pool could write")
	}
	if st.Path() != path {
		t.Errorf("Path() = %q, want %q", st.Path(), path)
	}
}

func TestOpenTightensAnExistingFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "history.db")
	must(t, os.WriteFile(path, nil, 0o644))
	st, err := Open(testCtx(t), path)
	must(t, err)
	defer st.Close()
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	t.Setenv("HOME", "/tmp/home")
	t.Setenv("AppData", `C:\AppData`)
	p, err := DefaultPath()
	must(t, err)
	if filepath.Base(p) != "history.db" || filepath.Base(filepath.Dir(p)) != "Tandem" {
		t.Errorf("DefaultPath() = %q, want …/Tandem/history.db", p)
	}
	if runtime.GOOS == "linux" && p != "/tmp/cfg/Tandem/history.db" {
		t.Errorf("DefaultPath() = %q, want /tmp/cfg/Tandem/history.db", p)
	}
}

func TestOpenDefault(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sets XDG_CONFIG_HOME")
	}
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	must(t, os.Mkdir(filepath.Join(cfg, "Tandem"), 0o755))
	st, err := OpenDefault(testCtx(t))
	must(t, err)
	defer st.Close()
	fi, err := os.Stat(filepath.Join(cfg, "Tandem"))
	must(t, err)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("Tandem folder mode %v, want 0700", fi.Mode().Perm())
	}
	if st.Path() != filepath.Join(cfg, "Tandem", "history.db") {
		t.Errorf("Path() = %q", st.Path())
	}
}

func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{"a b.db", "what?.db", "100%.db", "hash#.db", "é.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			st, err := Open(testCtx(t), path)
			must(t, err)
			must(t, st.StartSession(testCtx(t), SessionStart{ID: sid(1), Started: at(0)}))
			must(t, st.Close())
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not at %q: %v", path, err)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	st := openTest(t)
	ctx := testCtx(t)
	must(t, st.Close())
	must(t, st.Close()) // idempotent
	if err := st.StartSession(ctx, SessionStart{ID: sid(1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("StartSession after Close: %v, want ErrClosed", err)
	}
	if _, err := st.ListSessions(ctx, Query{}); !errors.Is(err, ErrClosed) {
		t.Errorf("ListSessions after Close: %v, want ErrClosed", err)
	}
	if _, err := st.Version(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Version after Close: %v, want ErrClosed", err)
	}
}

func TestCancelledContext(t *testing.T) {
	st := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.StartSession(ctx, SessionStart{ID: sid(1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("StartSession: %v, want context.Canceled", err)
	}
	if _, err := st.LoadSession(ctx, sid(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("LoadSession: %v, want context.Canceled", err)
	}
}

func TestParseID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want protocol.SessionID
		ok   bool
	}{
		{"01010101010101010101010101010101", sid(1), true},
		{" ABABABAB-ABABABAB-ABABABAB-ABABABAB ", sid(0xab), true},
		{"abab abab abab abab abab abab abab abab", sid(0xab), true},
		{"0101", protocol.SessionID{}, false},
		{"zz010101010101010101010101010101", protocol.SessionID{}, false},
		{"0101010101010101010101010101010101", protocol.SessionID{}, false},
		{"", protocol.SessionID{}, false},
	} {
		got, err := ParseID(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseID(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Éloïse":   "eloise",
		"FRANÇOIS": "francois",
		"Ångström": "angstrom",
		"Straße":   "straße",
		"日本":       "日本",
		"":         "",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
