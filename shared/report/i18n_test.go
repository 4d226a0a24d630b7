package report

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

var placeholder = regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)

// TestBundlesMatch checks that the English and French tables have the same keys, each with the same
// placeholders, and no empty text.
func TestBundlesMatch(t *testing.T) {
	cats, err := loadCatalogs()
	must(t, err)
	en, fr := cats["en"], cats["fr"]
	if len(en) == 0 {
		t.Fatal("no English words")
	}
	for _, pair := range [][2]string{{"en", "fr"}, {"fr", "en"}} {
		a, b := cats[pair[0]], cats[pair[1]]
		for k, v := range a {
			other, ok := b[k]
			if !ok {
				t.Errorf("%q is in report.%s.json, not in report.%s.json", k, pair[0], pair[1])
				continue
			}
			if v == "" && k != "summary.separator" {
				t.Errorf("report.%s.json: %q is empty", pair[0], k)
			}
			pa, pb := placeholder.FindAllString(v, -1), placeholder.FindAllString(other, -1)
			slices.Sort(pa)
			slices.Sort(pb)
			if !slices.Equal(pa, pb) {
				t.Errorf("%q: placeholders %v in %s, %v in %s", k, pa, pair[0], pb, pair[1])
			}
		}
	}
	if len(en) != len(fr) {
		t.Errorf("%d English keys, %d French", len(en), len(fr))
	}
}

// TestBundlesAreValidJSONObjects guards against a duplicated key, which encoding/json would silently merge.
func TestBundlesHaveNoDuplicateKeys(t *testing.T) {
	for _, l := range Languages {
		data, err := bundles.ReadFile("report." + l + ".json")
		must(t, err)
		dec := json.NewDecoder(strings.NewReader(string(data)))
		seen := map[string]bool{}
		_, _ = dec.Token() // {
		for dec.More() {
			tok, err := dec.Token()
			must(t, err)
			key := tok.(string)
			if seen[key] {
				t.Errorf("report.%s.json: %q twice", l, key)
			}
			seen[key] = true
			var v string
			must(t, dec.Decode(&v))
		}
	}
}

// TestKeysForEveryValue checks that every value the data can hold has its words: codes, permissions, event
// kinds, roles, kinds, statuses, answers, days and months.
func TestKeysForEveryValue(t *testing.T) {
	cats, err := loadCatalogs()
	must(t, err)
	var keys []string
	for _, c := range protocol.AllCodes() {
		keys = append(keys, codeKey(c))
	}
	keys = append(keys, codeKey(protocol.Code(999)))
	for p := protocol.PermView; p.Known(); p++ {
		keys = append(keys, "permission."+p.String())
	}
	for _, k := range store.EventKinds() {
		keys = append(keys, "event."+string(k))
	}
	keys = append(keys, []string{"role." + protocol.RoleCustomer.String(), "role." + protocol.RoleTechnician.String(),
		"kind." + string(store.Attended), "kind." + string(store.Unattended),
		"direction." + string(store.Sent), "direction." + string(store.Received),
		"direction." + string(store.Sent) + "_unknown", "direction." + string(store.Received) + "_unknown",
		"status." + StatusCompleted, "status." + StatusCancelled, "status." + StatusRefused, "status." + StatusFailed,
		"status." + StatusIncomplete, "answer." + AnswerGiven, "answer." + AnswerRefused, "answer." + AnswerExpired,
		"answer." + AnswerNone}...)
	for d := range 7 {
		keys = append(keys, "weekday."+strconv.Itoa(d))
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, "month."+strconv.Itoa(m))
	}
	for _, l := range Languages {
		for _, k := range keys {
			if _, ok := cats[l][k]; !ok {
				t.Errorf("report.%s.json lacks %q", l, k)
			}
		}
	}
}

func TestNormalizeLang(t *testing.T) {
	for in, want := range map[string]string{
		"": "en", "en": "en", "fr": "fr", "FR": "fr", "fr_FR.UTF-8": "fr", "fr-CA": "fr", "fr@euro": "fr",
		"en_GB": "en", "de_DE": "en", "C": "en", "POSIX": "en", " fr ": "fr", "french": "en",
	} {
		if got := NormalizeLang(in); got != want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 0, "0 chat messages"},
		{"en", 1, "1 chat message"},
		{"en", 2, "2 chat messages"},
		{"en", 12345, "12,345 chat messages"},
		{"fr", 0, "0 message"},
		{"fr", 1, "1 message"},
		{"fr", 2, "2 messages"},
		{"fr", 12345, "12\u00a0345 messages"},
	} {
		w, err := wordsFor(c.lang)
		must(t, err)
		if got := w.N("summary.chat", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}
