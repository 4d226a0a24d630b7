//go:build screenshots

package joinpage

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenshots draws the join page in its states with headless Chromium, as a visitor's browser shows it, into
// $TANDEM_SHOTS/LANG/page-*.png (make screenshots).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("TANDEM_SHOTS")
	if dir == "" {
		t.Fatal("TANDEM_SHOTS names no folder (make screenshots sets it)")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: `bash .ci/deps.sh screenshots` installs it")
	}
	f := newFixture(t, 0)
	page, err := New(Config{Releases: f.releases, Rendezvous: f.rv, Waiting: func(ctx context.Context, _ net.IP, n string) (bool, error) {
		return n == f.key[:4], nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	shots := []struct {
		name, method, path, ua string
		form                   url.Values
	}{
		{"page-01-key", http.MethodGet, "/", firefoxLinux, nil},
		{"page-02-wrong-key", http.MethodPost, "/join", firefoxLinux, url.Values{"key": {"000012345"}}},
		{"page-03-download-linux", http.MethodPost, "/join", firefoxLinux, url.Values{"key": {f.key}}},
		{"page-04-download-windows", http.MethodPost, "/join", edgeWindows, url.Values{"key": {f.key}}},
		{"page-05-phone", http.MethodPost, "/join", chromeAndroid, url.Values{"key": {f.key}}},
	}
	for _, language := range []string{"en", "fr"} {
		out := filepath.Join(dir, language)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range shots {
			var body *strings.Reader
			if s.form != nil {
				body = strings.NewReader(s.form.Encode())
			} else {
				body = strings.NewReader("")
			}
			req := httptest.NewRequest(s.method, s.path, body)
			if s.form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("User-Agent", s.ua)
			req.Header.Set("Accept-Language", language)
			rec := httptest.NewRecorder()
			page.ServeHTTP(rec, req)
			html := filepath.Join(t.TempDir(), s.name+".html")
			if err := os.WriteFile(html, rec.Body.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			png := filepath.Join(out, s.name+".png")
			cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
				"--force-device-scale-factor=1", "--window-size=900,820", "--screenshot="+png, "file://"+html)
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, b)
			}
			t.Logf("wrote %s", png)
		}
	}
}
