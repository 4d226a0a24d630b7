package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

func TestFormatOf(t *testing.T) {
	for _, c := range []struct {
		path string
		want Format
		ok   bool
	}{
		{"r.html", HTML, true}, {"R.HTM", HTML, true}, {"dir.v2/r.json", JSON, true}, {"r.JSON", JSON, true},
		{"r.pdf", "", false}, {"r", "", false}, {"html", "", false},
	} {
		got, err := FormatOf(c.path)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("FormatOf(%q) = %q, %v", c.path, got, err)
		}
	}
}

// TestWriteFile is the command line's path: an ID prefix, a file name, a language.
func TestWriteFile(t *testing.T) {
	st, _ := fixture(t)
	ctx := testCtx(t)
	dir := t.TempDir()
	for _, c := range []struct {
		id, file, lang string
		contains       string
	}{
		{fixtureID.String(), "full.html", "fr", "Rapport de session Tandem"},
		{"3F9A1C42", "prefix.htm", "en_US.UTF-8", "Tandem session report"},
		{"3f9a-1c42", "report.json", "", `"schema": 1`},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			must(t, WriteFile(ctx, st, c.id, path, c.lang))
			data, err := os.ReadFile(path)
			must(t, err)
			if !bytes.Contains(data, []byte(c.contains)) {
				t.Errorf("%s lacks %q", c.file, c.contains)
			}
			if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
				t.Errorf("%s: %v, %v", c.file, fi.Mode(), err)
			}
		})
	}
	// Replacing a file works; nothing else is left in the folder.
	must(t, WriteFile(ctx, st, fixtureID.String(), filepath.Join(dir, "full.html"), "en"))
	entries, err := os.ReadDir(dir)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"full.html", "prefix.htm", "report.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}

	for _, c := range []struct {
		name, id, path string
		is             error
	}{
		{"unknown session", "ffff", filepath.Join(dir, "x.html"), store.ErrNotFound},
		{"bad ID", "not-hex", filepath.Join(dir, "x.html"), nil},
		{"bad extension", fixtureID.String(), filepath.Join(dir, "x.pdf"), nil},
		{"missing folder", fixtureID.String(), filepath.Join(dir, "no", "x.html"), os.ErrNotExist},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := WriteFile(ctx, st, c.id, c.path, "en")
			if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
				t.Errorf("WriteFile: %v, want %v", err, c.is)
			}
			if _, err := os.Stat(c.path); err == nil {
				t.Error("a file was written")
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	_, s := fixture(t)
	r := Build(s, fixtureOptions)
	var buf bytes.Buffer
	must(t, r.WriteJSON(&buf))
	var back Report
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	must(t, dec.Decode(&back))
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("decoded report differs:\n%+v\nwant\n%+v", back, *r)
	}
	if back.Schema != SchemaVersion || back.Session.Customer != hostile.customer || back.Chat[1].Text != hostile.chat {
		t.Errorf("schema %d, customer %q, chat %q", back.Schema, back.Session.Customer, back.Chat[1].Text)
	}
}

// TestSchemaIsDocumented checks that SCHEMA.md names every JSON field the report writes.
func TestSchemaIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("SCHEMA.md")
	must(t, err)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				t.Errorf("%s.%s has no JSON name", path, f.Name)
				continue
			}
			if !bytes.Contains(doc, []byte("| `"+name+"` |")) {
				t.Errorf("SCHEMA.md does not document %s.%s", path, name)
			}
			walk(f.Type, path+"."+name)
		}
	}
	walk(reflect.TypeFor[Report](), "report")
	if !bytes.Contains(doc, []byte("version 1")) || SchemaVersion != 1 {
		t.Error("SCHEMA.md's version is not SchemaVersion")
	}
	for _, k := range store.EventKinds() {
		if !bytes.Contains(doc, []byte("| `"+string(k)+"` |")) {
			t.Errorf("SCHEMA.md does not document the event kind %q", k)
		}
	}
	for _, c := range protocol.AllCodes() {
		if !bytes.Contains(doc, []byte(c.String())) {
			t.Errorf("SCHEMA.md does not list code %d (%s)", c, c)
		}
	}
}

func TestFileName(t *testing.T) {
	got := FileName(fixtureID, time.Date(2025, 3, 14, 9, 30, 0, 0, time.Local), HTML)
	if want := "tandem-session-20250314-0930-3f9a1c42.html"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}

func TestBuildDefaults(t *testing.T) {
	before := time.Now().Add(-time.Second)
	r := Build(&store.Session{ID: fixtureID, Kind: store.Attended, Started: t0}, Options{})
	if r.Generated.Before(before) || !strings.HasPrefix(r.Generator, "Tandem ") {
		t.Errorf("generated %v by %q", r.Generated, r.Generator)
	}
	if r.Session.End != nil || r.Session.Ended != nil || r.Participants == nil || r.Chat == nil || r.Transfers == nil ||
		r.Events == nil || r.Consents == nil || r.Session.Technicians == nil {
		t.Errorf("empty session: %+v", r)
	}
	var buf bytes.Buffer
	must(t, r.WriteHTML(&buf, Options{}))
	if !strings.Contains(buf.String(), "Nobody joined.") {
		t.Error("an empty session's page does not say nobody joined")
	}
	if err := Write(&buf, &store.Session{}, Format("pdf"), Options{}); err == nil {
		t.Error("Write in an unknown format succeeded")
	}
}
