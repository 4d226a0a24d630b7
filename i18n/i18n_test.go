package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
)

func bundles(t *testing.T) map[string]map[string]string {
	t.Helper()
	all := map[string]map[string]string{}
	for _, l := range Languages {
		b, err := Bundle(l)
		if err != nil {
			t.Fatalf("bundle %s: %v", l, err)
		}
		all[l] = b
	}
	return all
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func TestBundlesHaveTheSameKeysAndPlaceholders(t *testing.T) {
	all := bundles(t)
	en := all["en"]
	for lang, b := range all {
		for k, v := range en {
			tr, ok := b[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			if strings.TrimSpace(tr) == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			if !slices.Equal(placeholders(v), placeholders(tr)) {
				t.Errorf("%s: %q has placeholders %v, English has %v", lang, k, placeholders(tr), placeholders(v))
			}
		}
		for k := range b {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, English does not", lang, k)
			}
		}
	}
}

func TestEveryErrorCodeHasASentence(t *testing.T) {
	all := bundles(t)
	keys := []string{protocol.UnknownCodeKey}
	for _, c := range protocol.AllCodes() {
		keys = append(keys, c.MessageKey())
	}
	for lang, b := range all {
		for _, k := range keys {
			if _, ok := b[k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}

// TestEveryKeyUsedExists reads the Go sources of both programs and shared/ for lang.L("key") calls.
func TestEveryKeyUsedExists(t *testing.T) {
	en := bundles(t)["en"]
	call := regexp.MustCompile(`(?:lang|tr)\.[LX]\("([^"]+)"`)
	used := 0
	for _, dir := range []string{"../customer", "../expert", "../shared"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range call.FindAllStringSubmatch(string(src), -1) {
				used++
				if _, ok := en[m[1]]; !ok {
					t.Errorf("%s uses %q, which no bundle has", path, m[1])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if used < 20 {
		t.Fatalf("found only %d translated strings: is the scan looking in the right place?", used)
	}
}

func TestRegisterRefusesUnknownLanguage(t *testing.T) {
	if err := Register("xx"); err == nil {
		t.Fatal("Register accepted an unknown language")
	}
}
