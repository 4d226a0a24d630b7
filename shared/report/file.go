package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

// Format is a report's file format.
type Format string

// The formats.
const (
	HTML Format = "html" // one self-contained page to read or print
	JSON Format = "json" // the documented schema (SCHEMA.md), for other programs
)

// FormatOf picks the format from a file name's extension: .html or .htm, or .json (any case).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return HTML, nil
	case ".json":
		return JSON, nil
	}
	return "", fmt.Errorf("report file %q: the name must end in .html or .json", path)
}

// Write writes the report of a loaded session to w in format f.
func Write(w io.Writer, s *store.Session, f Format, o Options) error {
	r := Build(s, o)
	switch f {
	case HTML:
		return r.WriteHTML(w, o)
	case JSON:
		return r.WriteJSON(w)
	}
	return fmt.Errorf("unknown report format %q", f)
}

// SaveFile writes the report of session id from st to path, in the format its extension names (FormatOf). The
// file appears whole or not at all (written beside it, then renamed), readable by its owner only, since it holds
// the chat log. This is what the viewer's and History's Report buttons call.
func SaveFile(ctx context.Context, st *store.Store, id protocol.SessionID, path string, o Options) (err error) {
	f, err := FormatOf(path)
	if err != nil {
		return err
	}
	s, err := st.LoadSession(ctx, id)
	if err != nil {
		return fmt.Errorf("report of session %s: %w", id, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, s, f, o); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the report %s: %w", path, err)
	}
	return nil
}

// WriteFile is `tandem-expert report SESSION-ID -o FILE`: it writes the report of the session that id names (a
// whole session ID or a unique prefix of it, see store.ResolveID) to path (.html or .json), in lang (see
// NormalizeLang), with times in the computer's time zone.
func WriteFile(ctx context.Context, st *store.Store, id, path, lang string) error {
	sid, err := st.ResolveID(ctx, id)
	if err != nil {
		return err
	}
	return SaveFile(ctx, st, sid, path, Options{Lang: lang})
}

// FileName suggests a file name for a session's report, for a save dialog:
// tandem-session-YYYYMMDD-HHMM-XXXXXXXX.html, with the session's start in local time and its ID's first 8 digits.
func FileName(id protocol.SessionID, started time.Time, f Format) string {
	return fmt.Sprintf("tandem-session-%s-%s.%s", started.Local().Format("20060102-1504"), id.String()[:8], f)
}
