// Package i18n embeds Tandem's English and French message bundles and registers them with Fyne's lang package.
//
// Every user-visible string of both programs is a key in the bundles under translations/: LANG.json, and
// PART.LANG.json for a part of a program (customer.en.json, viewer.fr.json…). English and French have the same
// keys, and every key the code uses exists (tests check both). Call Register once, before any window is built.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"fyne.io/fyne/v2/lang"
)

//go:embed translations
var translations embed.FS

// Languages lists the language codes Tandem ships, in the order a language picker shows them.
var Languages = []string{"en", "fr"}

// Register loads the bundles. An empty language follows the system locale, as Fyne does; "en" or "fr" forces
// that language for this process (Fyne's own dialogs included). Called again, it switches language: strings
// looked up afterwards are in the new one (windows built before keep theirs until rebuilt).
func Register(language string) error {
	if language == "" {
		restore() // back to the system's, after a language was forced
	}
	if language == "" && plainCLocale() {
		language = "en" // the C locale is not a language: say so to Fyne, which otherwise logs an error
	}
	if language != "" {
		if err := force(language); err != nil {
			return err
		}
	}
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		return fmt.Errorf("loading translations: %w", err)
	}
	return nil
}

// localeVars are the variables force may change, and systemEnv their values before it first did.
var (
	localeVars = []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
	systemEnv  map[string]*string
)

// restore puts the locale variables back as they were before force first changed them.
func restore() {
	for v, val := range systemEnv {
		if val == nil {
			_ = os.Unsetenv(v)
		} else {
			_ = os.Setenv(v, *val)
		}
	}
}

// force makes Fyne's locale lookup (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG on Unix) pick language.
func force(language string) error {
	if systemEnv == nil {
		systemEnv = map[string]*string{}
		for _, v := range localeVars {
			if val, ok := os.LookupEnv(v); ok {
				systemEnv[v] = &val
			} else {
				systemEnv[v] = nil
			}
		}
	}
	known := false
	for _, l := range Languages {
		known = known || l == language
	}
	if !known {
		return fmt.Errorf("unknown language %q (known: %v)", language, Languages)
	}
	// LANGUAGE is ignored when the locale is exactly C or POSIX: lift that to C.UTF-8, which keeps its meaning.
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if val := os.Getenv(v); val != "" {
			if val == "C" || val == "POSIX" {
				if err := os.Setenv(v, "C.UTF-8"); err != nil {
					return err
				}
			}
			break
		}
	}
	return os.Setenv("LANGUAGE", language)
}

// plainCLocale reports whether the Unix locale variables name the C (or POSIX) locale without a LANGUAGE list.
func plainCLocale() bool {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if val := os.Getenv(v); val != "" {
			return val == "C" || val == "POSIX" || (os.Getenv("LANGUAGE") == "" && (val == "C.UTF-8" || val == "C.utf8"))
		}
	}
	return os.Getenv("LANGUAGE") == ""
}

// Bundle returns the raw key → text map of one shipped language, for tests and tools: the union of
// translations/LANG.json and translations/PART.LANG.json (Fyne loads every such file; a key may be in only one).
func Bundle(language string) (map[string]string, error) {
	files, err := fs.Glob(translations, "translations/*"+language+".json")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, f := range files {
		base := path.Base(f)
		if base != language+".json" && !strings.HasSuffix(base, "."+language+".json") {
			continue
		}
		data, err := translations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		part := map[string]string{}
		if err := json.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("bundle %s: %w", f, err)
		}
		for k, v := range part {
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("bundle %s: key %q is in two files", language, k)
			}
			m[k] = v
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("no bundle for %q", language)
	}
	return m, nil
}
