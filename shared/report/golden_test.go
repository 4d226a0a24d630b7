package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// cutShort records a session that never ended (its program was stopped), unattended, across midnight.
func cutShort(t testing.TB, st *store.Store) protocol.SessionID {
	ctx := testCtx(t)
	id := protocol.SessionID{0xc0, 0xff, 0xee}
	start := time.Date(2025, 12, 31, 22, 50, 0, 0, time.UTC)
	must(t, st.StartSession(ctx, store.SessionStart{ID: id, Kind: store.Unattended, ComputerID: "K7QF-2MZX-PL4D", Started: start, TechnicianName: ""}))
	must(t, st.Join(ctx, id, store.Participant{ID: 1, Name: "", Role: protocol.RoleTechnician, Joined: start}))
	must(t, st.RecordEvent(ctx, id, store.Event{At: start.Add(time.Second), Kind: store.EventSharingStarted}))
	must(t, st.StartTransfer(ctx, id, store.Transfer{ID: 9, Direction: store.Received, Name: "backup.tar", Size: 5_000_000_000, Started: start.Add(9 * time.Minute)}))
	must(t, st.TransferProgress(ctx, id, store.Received, 9, 0, 1_234_567_890))
	must(t, st.RecordEvent(ctx, id, store.Event{At: start.Add(75 * time.Minute), Kind: store.EventConsentExpired, Permission: protocol.PermControl}))
	return id
}

// goldenCases are the reports compared with testdata/*.golden.
func goldenCases(t *testing.T) []struct {
	file   string
	format Format
	s      *store.Session
	o      Options
} {
	st, full := fixture(t)
	short, err := st.LoadSession(testCtx(t), cutShort(t, st))
	must(t, err)
	withLang := func(o Options, lang string, loc *time.Location) Options {
		o.Lang, o.Location = lang, loc
		return o
	}
	paris := time.FixedZone("CET", 3600)
	return []struct {
		file   string
		format Format
		s      *store.Session
		o      Options
	}{
		{"session.en.html", HTML, full, withLang(fixtureOptions, "en", time.UTC)},
		{"session.fr.html", HTML, full, withLang(fixtureOptions, "fr", time.UTC)},
		{"session.json", JSON, full, fixtureOptions},
		{"cut-short.en.html", HTML, short, withLang(fixtureOptions, "en", paris)},
		{"cut-short.fr.html", HTML, short, withLang(fixtureOptions, "fr", paris)},
		{"cut-short.json", JSON, short, fixtureOptions},
	}
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			must(t, Write(&buf, c.s, c.format, c.o))
			path := filepath.Join("testdata", c.file+".golden")
			if *update {
				must(t, os.MkdirAll("testdata", 0o755))
				must(t, os.WriteFile(path, buf.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			must(t, err)
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./shared/report -run TestGolden -update to accept):\n%s", c.file, path, firstDiff(buf.Bytes(), want))
			}
		})
	}
}

// TestEveryKeyExists renders every golden case and fails on any key missing from its language's table.
func TestEveryKeyExists(t *testing.T) {
	var mu sync.Mutex
	missing := map[string]bool{}
	missingKey = func(lang, key string) {
		mu.Lock()
		defer mu.Unlock()
		missing[lang+": "+key] = true
	}
	defer func() { missingKey = nil }()
	for _, c := range goldenCases(t) {
		for _, lang := range Languages {
			o := c.o
			o.Lang = lang
			must(t, Build(c.s, o).WriteHTML(&bytes.Buffer{}, o))
		}
	}
	for k := range missing {
		t.Errorf("missing key %s", k)
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + string(gl) + "\nwant: " + string(wl)
		}
	}
	return ""
}
