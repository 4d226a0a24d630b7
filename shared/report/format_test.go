package report

import (
	"strconv"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

func formatterFor(t *testing.T, lang string) formatter {
	w, err := wordsFor(lang)
	must(t, err)
	return formatter{w: w, loc: time.UTC, day: t0}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		n      uint64
		en, fr string
	}{
		{0, "0 bytes", "0 octet"},
		{1, "1 byte", "1 octet"},
		{999, "999 bytes", "999 octets"},
		{1000, "1.0 kB", "1,0 ko"},
		{18_422, "18.4 kB", "18,4 ko"},
		{999_949, "999.9 kB", "999,9 ko"},
		{999_950, "1.0 MB", "1,0 Mo"},
		{48_234_496, "48.2 MB", "48,2 Mo"},
		{5_000_000_000, "5.0 GB", "5,0 Go"},
		{3_500_000_000_000_000, "3500.0 TB", "3500,0 To"},
	} {
		if got := formatterFor(t, "en").size(c.n); got != c.en {
			t.Errorf("size(%d) en = %q, want %q", c.n, got, c.en)
		}
		if got := formatterFor(t, "fr").size(c.n); got != c.fr {
			t.Errorf("size(%d) fr = %q, want %q", c.n, got, c.fr)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0 s"},
		{0, "0 s"},
		{1499 * time.Millisecond, "1 s"},
		{59 * time.Second, "59 s"},
		{61 * time.Second, "1 min 01 s"},
		{3725 * time.Second, "1 h 02 min 05 s"},
		{1000 * time.Hour, "1,000 h 00 min 00 s"},
	} {
		if got := formatterFor(t, "en").duration(c.d); got != c.want {
			t.Errorf("duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestDates(t *testing.T) {
	f := formatterFor(t, "fr")
	if got, want := f.full(t0), "vendredi 14 mars 2025 à 09:30:00"; got != want {
		t.Errorf("full = %q, want %q", got, want)
	}
	if got, want := f.stamp(t0.Add(time.Hour)), "10:30:00"; got != want {
		t.Errorf("stamp on the first day = %q, want %q", got, want)
	}
	if got, want := f.stamp(t0.Add(15*time.Hour)), "samedi 15 mars 2025 à 00:30:00"; got != want {
		t.Errorf("stamp on the next day = %q, want %q", got, want)
	}
	f = formatterFor(t, "en")
	f.loc = time.FixedZone("", -5*3600)
	if got, want := f.full(t0), "Friday 14 March 2025, 04:30:00"; got != want {
		t.Errorf("full in UTC-5 = %q, want %q", got, want)
	}
}

func TestZoneName(t *testing.T) {
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "UTC"},
		{time.FixedZone("CET", 3600), "CET (UTC+01:00)"},
		{time.FixedZone("", -5*3600-1800), "UTC-05:30"},
		{time.FixedZone("+03", 3*3600), "UTC+03:00"},
	} {
		if got := zoneName(t0.In(c.loc)); got != c.want {
			t.Errorf("zoneName(%v) = %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestReveal(t *testing.T) {
	for _, c := range []struct {
		in        string
		multiline bool
		want      string
	}{
		{"plain", false, "plain"},
		{"Zoé الدعم 日本", false, "Zoé الدعم 日本"},
		{"invoice\u202Efdp.exe", false, "invoice[U+202E]fdp.exe"},
		{"a\u2066b\u2069c\u202Ad\u202Ce", false, "a[U+2066]b[U+2069]c[U+202A]d[U+202C]e"},
		{"two\nlines", false, "two[U+000A]lines"},
		{"two\nlines\tand tab", true, "two\nlines\tand tab"},
		{"crlf\r\nline", true, "crlf\nline"},
		{"bell\a", true, "bell[U+0007]"},
		{"nul\x00", false, "nul[U+0000]"},
		{"c1\u0085", false, "c1[U+0085]"},
		{"bom\ufeff", false, "bom[U+FEFF]"},
		{"bad\xffutf8", false, "bad\uFFFDutf8"},
		{"line\u2028sep", false, "line[U+2028]sep"},
		{"line\u2028sep", true, "line[U+2028]sep"},
		{"zwj 👩\u200d💻", false, "zwj 👩\u200d💻"},
	} {
		if got := reveal(c.in, c.multiline); got != c.want {
			t.Errorf("reveal(%q, %v) = %q, want %q", c.in, c.multiline, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	ended := store.Summary{Started: t0, Ended: t0.Add(time.Minute)}
	for _, c := range []struct {
		name   string
		s      store.Summary
		en, fr string
	}{
		{"nothing", ended, "No activity recorded", "Aucune activité enregistrée"},
		{"cut short", store.Summary{Started: t0}, "No activity recorded, cut short", "Aucune activité enregistrée, interrompue"},
		{"busy", store.Summary{Started: t0, Ended: t0.Add(time.Minute), Viewed: true, Controlled: true, TechShared: true,
			ConsentsRefused: 2, ChatMessages: 1, FilesSent: 3, FilesReceived: 1, FilesFailed: 1},
			"Screen viewed, remote control, technician's screen shown, 2 requests refused, 1 chat message, 3 files sent, 1 file received, 1 transfer did not complete",
			"Écran consulté, contrôle à distance, écran du technicien montré, 2 demandes refusées, 1 message, 3 fichiers envoyés, 1 fichier reçu, 1 transfert non abouti"},
		{"chat only", store.Summary{Started: t0, Ended: t0, ChatMessages: 4}, "4 chat messages", "4 messages"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Summarize(c.s, "en"); got != c.en {
				t.Errorf("en: %q, want %q", got, c.en)
			}
			if got := Summarize(c.s, "fr_FR.UTF-8"); got != c.fr {
				t.Errorf("fr: %q, want %q", got, c.fr)
			}
		})
	}
}

// TestSummaryAgreesWithReport checks that the History line of a session (from store.ListSessions) says what its
// report's header says.
func TestSummaryAgreesWithReport(t *testing.T) {
	st, s := fixture(t)
	list, err := st.ListSessions(testCtx(t), store.Query{})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d sessions", len(list))
	}
	w, err := wordsFor("en")
	must(t, err)
	if got, want := Summarize(list[0], "en"), summarize(w, Build(s, fixtureOptions).facts()); got != want {
		t.Errorf("History says %q, the report %q", got, want)
	}
}

func TestConsentPairing(t *testing.T) {
	ev := func(sec int, kind store.EventKind, actor protocol.ParticipantID, p protocol.Permission) store.Event {
		return store.Event{At: at(sec), Kind: kind, Actor: actor, Permission: p}
	}
	names := map[protocol.ParticipantID]string{1: "Ana", 2: "Bob", 3: "Chloé"}
	for _, c := range []struct {
		name   string
		events []store.Event
		want   []string // permission/asked by/answer/answered by
	}{
		{"none", nil, nil},
		{"one of each", []store.Event{
			ev(1, store.EventConsentAsked, 1, protocol.PermControl),
			ev(2, store.EventConsentGiven, 2, protocol.PermControl),
			ev(3, store.EventConsentAsked, 1, protocol.PermView),
			ev(4, store.EventConsentRefused, 2, protocol.PermView),
			ev(5, store.EventConsentAsked, 3, protocol.PermInvite),
			ev(6, store.EventConsentExpired, 0, protocol.PermInvite),
			ev(7, store.EventConsentAsked, 1, protocol.PermUnattended),
		}, []string{"control/1/given/2", "view/1/refused/2", "invite/3/expired/0", "unattended/1/none/0"}},
		{"answers go to the oldest request of their permission", []store.Event{
			ev(1, store.EventConsentAsked, 1, protocol.PermControl),
			ev(2, store.EventConsentAsked, 3, protocol.PermView),
			ev(3, store.EventConsentAsked, 3, protocol.PermControl),
			ev(4, store.EventConsentRefused, 2, protocol.PermControl),
			ev(5, store.EventConsentGiven, 2, protocol.PermView),
			ev(6, store.EventConsentGiven, 2, protocol.PermControl),
		}, []string{"control/1/refused/2", "view/3/given/2", "control/3/given/2"}},
		{"an answer without its request", []store.Event{
			ev(1, store.EventConsentGiven, 2, protocol.PermControl),
			ev(2, store.EventSharingStarted, 2, 0),
		}, []string{"control/0/given/2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := consents(c.events, names)
			if len(got) != len(c.want) {
				t.Fatalf("%d consents, want %d: %+v", len(got), len(c.want), got)
			}
			for i, g := range got {
				s := g.Permission + "/" + itoa(g.AskedBy) + "/" + g.Answer + "/" + itoa(g.AnsweredBy)
				if s != c.want[i] {
					t.Errorf("consent %d: %s, want %s", i, s, c.want[i])
				}
				if g.AnsweredBy != 0 && g.AnsweredByName != names[protocol.ParticipantID(g.AnsweredBy)] {
					t.Errorf("consent %d: answered by name %q", i, g.AnsweredByName)
				}
				if (g.Answer == AnswerNone) != (g.Answered == nil) || (g.AskedBy == 0) != (g.Asked == nil) {
					t.Errorf("consent %d: times %v %v for %+v", i, g.Asked, g.Answered, g)
				}
			}
		})
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
