package report

import (
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The report's words. The project's bundles (package i18n) register with Fyne, which this package must not
// import, so the report carries its own small tables, one per language, with the same keys (a test checks).
// Placeholders are written {{.Name}}, as in the project's bundles; a key with a count has a ".one" and an
// ".other" form.

//go:embed report.en.json report.fr.json
var bundles embed.FS

// Languages lists the languages a report can be written in; the first is the default.
var Languages = []string{"en", "fr"}

var (
	loadOnce sync.Once
	catalogs map[string]map[string]string
	loadErr  error
)

func loadCatalogs() (map[string]map[string]string, error) {
	loadOnce.Do(func() {
		catalogs = map[string]map[string]string{}
		for _, l := range Languages {
			data, err := bundles.ReadFile("report." + l + ".json")
			if err != nil {
				loadErr = fmt.Errorf("report strings %s: %w", l, err)
				return
			}
			m := map[string]string{}
			if err := json.Unmarshal(data, &m); err != nil {
				loadErr = fmt.Errorf("report strings %s: %w", l, err)
				return
			}
			catalogs[l] = m
		}
	})
	return catalogs, loadErr
}

// NormalizeLang maps a language setting or locale ("fr", "fr_FR.UTF-8", "fr-CA", "EN") to one of Languages;
// anything else (including "" and "C") gives the default, "en".
func NormalizeLang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "_-.@"); i >= 0 {
		l = l[:i]
	}
	for _, known := range Languages {
		if l == known {
			return known
		}
	}
	return Languages[0]
}

// words translates keys into one language.
type words struct {
	lang string
	m    map[string]string
}

func wordsFor(lang string) (words, error) {
	cats, err := loadCatalogs()
	if err != nil {
		return words{}, err
	}
	l := NormalizeLang(lang)
	return words{lang: l, m: cats[l]}, nil
}

// missingKey, when set (by tests), hears of every key T did not find.
var missingKey func(lang, key string)

// T returns the text of key with its placeholders filled from args (name, value, name, value…). A missing key
// shows as the key itself, which the tests forbid.
func (w words) T(key string, args ...string) string {
	s, ok := w.m[key]
	if !ok {
		if missingKey != nil {
			missingKey(w.lang, key)
		}
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{{."+args[i]+"}}", args[i+1])
	}
	return s
}

// N returns the form of key for the count n (key.one or key.other, by the language's rule), with {{.N}} set to
// n and the other placeholders from args.
func (w words) N(key string, n int, args ...string) string {
	form := ".other"
	if n == 1 || (w.lang == "fr" && n == 0) { // French counts 0 and 1 as singular
		form = ".one"
	}
	return w.T(key+form, append([]string{"N", w.number(int64(n))}, args...)...)
}

// number writes n with the language's thousands separator.
func (w words) number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := w.T("number.group")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
