package joinpage

import (
	"bytes"
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-remote/tandem/shared/joinstamp"
	"github.com/tandem-remote/tandem/shared/rendezvous"
)

const (
	firefoxLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	edgeWindows    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
	safariMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
	chromeAndroid  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	chromiumArm64L = "Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// fixture is a real rendezvous on loopback with one nameplate taken by a technician's client, and the page in
// front of it over real HTTP.
type fixture struct {
	url      string // the page
	rv       string // the rendezvous URL the page stamps
	key      string // a key whose nameplate waits
	releases string
	logs     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t *testing.T, lookups int) *fixture {
	t.Helper()
	srv, err := rendezvous.Start(rendezvous.Config{NATSListen: "127.0.0.1:0", ClaimsPerMinute: lookups})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	tech, err := rendezvous.Dial(t.Context(), srv.ClientURL(), rendezvous.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tech.Close)
	np, err := tech.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{rv: srv.ClientURL(), key: np.Name + "12345", releases: t.TempDir(), logs: &syncBuffer{}}
	for name, content := range map[string]string{
		"tandem-customer-0.9.0-x86_64.AppImage":  "\x7fELF an AppImage for PCs",
		"tandem-customer-0.9.0-aarch64.AppImage": "\x7fELF an AppImage for ARM",
		"tandem-customer-0.9.0-x64.msi":          "\xd0\xcf\x11\xe0 an installer",
		"tandem-customer-0.9.0-macos.dmg":        "a disk image koly",
		"tandem-customer-0.9.0-linux-x86_64":     "\x7fELF a bare build, which the AppImage wins over",
		"tandem-customer-0.9.0-linux-aarch64":    "\x7fELF a bare build for ARM",
		"tandem-expert-0.9.0-x86_64.AppImage":    "\x7fELF the technician's program",
		"notes.txt":                              "not a release",
	} {
		if err := os.WriteFile(filepath.Join(f.releases, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page, err := New(Config{Releases: f.releases, Rendezvous: f.rv, Waiting: srv.NameplateWaiting,
		Log: slog.New(slog.NewTextHandler(f.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(page)
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(t *testing.T, method, path, userAgent, acceptLanguage string, form url.Values) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", userAgent)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func mustContain(t *testing.T, r reply, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) && !strings.Contains(html.UnescapeString(r.body), p) {
			t.Errorf("the page lacks %q:\n%s", p, r.body)
		}
	}
}

func TestTheFormSpeaksTheVisitorsLanguage(t *testing.T) {
	f := newFixture(t, 0)
	cases := []struct{ acceptLanguage, query, lang, title string }{
		{"", "", "en", "Join your technician"},
		{"fr-FR,fr;q=0.9,en;q=0.8", "", "fr", "Rejoindre votre technicien"},
		{"de-DE,de;q=0.9,fr;q=0.5", "", "fr", "Rejoindre votre technicien"},
		{"en-GB,en;q=0.9,fr;q=0.8", "", "en", "Join your technician"},
		{"fr-CA", "?hl=en", "en", "Join your technician"},
		{"", "?hl=fr", "fr", "Rejoindre votre technicien"},
	}
	for _, c := range cases {
		r := f.do(t, http.MethodGet, "/"+c.query, firefoxLinux, c.acceptLanguage, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Language") != c.lang {
			t.Errorf("%q%s: status %d, language %q; want 200 and %q", c.acceptLanguage, c.query, r.status,
				r.header.Get("Content-Language"), c.lang)
		}
		mustContain(t, r, `<html lang="`+c.lang+`">`, c.title, `<form method="post" action="/join">`, `name="key"`)
		if strings.Contains(r.body, "<script") || strings.Contains(r.body, "http://") || strings.Contains(r.body, "https://") {
			t.Errorf("the page runs a script or loads something from elsewhere:\n%s", r.body)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	}
}

func TestAWrongKeyGetsASentence(t *testing.T) {
	f := newFixture(t, 0)
	other := "0000"
	if strings.HasPrefix(f.key, other) {
		other = "0001"
	}
	cases := []struct{ typed, lang, sentence string }{
		{"12345", "en", "This is not a support key"},
		{"abc def ghi", "fr", "Ce n'est pas une clé d'assistance"},
		{other + "12345", "en", "This key does not work"},
		{other + " 123 45", "fr", "Cette clé ne fonctionne pas"},
	}
	for _, c := range cases {
		r := f.do(t, http.MethodPost, "/join", firefoxLinux, c.lang, url.Values{"key": {c.typed}})
		mustContain(t, r, c.sentence, `action="/join"`)
		if strings.Contains(r.body, `action="/download"`) {
			t.Errorf("%q: a download is offered for a key that does not work", c.typed)
		}
	}
	// A download asked for directly with a wrong key hands out nothing.
	r := f.do(t, http.MethodPost, "/download", firefoxLinux, "", url.Values{"key": {other + "12345"}, "file": {"linux-x86_64"}})
	if r.header.Get("Content-Disposition") != "" || strings.Contains(r.body, "ELF") {
		t.Fatalf("a wrong key got a file: %d %v", r.status, r.header)
	}
}

func TestTheOfferFitsTheVisitorsSystem(t *testing.T) {
	f := newFixture(t, 0)
	shown := f.key[:3] + " " + f.key[3:6] + " " + f.key[6:]
	cases := []struct {
		ua, lang, offered, button string
		others                    []string
	}{
		{firefoxLinux, "en", "linux-x86_64", "Download Tandem Customer for Linux (64-bit PC)", []string{"linux-aarch64", "windows", "macos"}},
		{chromiumArm64L, "fr", "linux-aarch64", "Télécharger Tandem Customer pour Linux (ARM 64 bits)", nil},
		{edgeWindows, "en", "windows", "Download Tandem Customer for Windows", nil},
		{safariMac, "fr", "macos", "Télécharger Tandem Customer pour macOS", nil},
	}
	for _, c := range cases {
		r := f.do(t, http.MethodPost, "/join", c.ua, c.lang, url.Values{"key": {shown}})
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", c.offered, r.status)
		}
		mustContain(t, r, c.button, `name="file" value="`+c.offered+`"`, shown,
			`href="tandem://join?rv=`+url.QueryEscape(f.rv)+`&amp;key=`+f.key+`"`)
		for _, o := range c.others {
			mustContain(t, r, `value="`+o+`"`)
		}
		if strings.Contains(r.body, "expert") {
			t.Errorf("the technician's program is offered to a customer")
		}
	}
	r := f.do(t, http.MethodPost, "/join", chromeAndroid, "en", url.Values{"key": {f.key}})
	mustContain(t, r, "Open this page on the computer that needs help")
}

func TestTheDownloadCarriesTheKeyAndTheRendezvous(t *testing.T) {
	f := newFixture(t, 0)
	cases := []struct {
		file, name, original string
		stamped              bool
	}{
		{"linux-x86_64", "tandem-customer-" + f.key + "-x86_64.AppImage", "tandem-customer-0.9.0-x86_64.AppImage", true},
		{"windows", "Tandem Customer " + f.key + ".msi", "tandem-customer-0.9.0-x64.msi", false},
		{"macos", "Tandem Customer " + f.key + ".dmg", "tandem-customer-0.9.0-macos.dmg", false},
	}
	// With the AppImage gone, the bare build is handed out, stamped too.
	cases = append(cases, struct {
		file, name, original string
		stamped              bool
	}{"linux-x86_64", "tandem-customer-" + f.key + "-linux-x86_64", "tandem-customer-0.9.0-linux-x86_64", true})
	for i, c := range cases {
		if i == len(cases)-1 {
			if err := os.Remove(filepath.Join(f.releases, "tandem-customer-0.9.0-x86_64.AppImage")); err != nil {
				t.Fatal(err)
			}
		}
		r := f.do(t, http.MethodPost, "/download", firefoxLinux, "", url.Values{"key": {f.key}, "file": {c.file}})
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", c.file, r.status, r.body)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+c.name+`"` {
			t.Fatalf("%s: Content-Disposition %q", c.file, cd)
		}
		original, err := os.ReadFile(filepath.Join(f.releases, c.original))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.body, string(original)) {
			t.Fatalf("%s: the file's own bytes changed", c.file)
		}
		saved := filepath.Join(t.TempDir(), c.name)
		if err := os.WriteFile(saved, []byte(r.body), 0o755); err != nil {
			t.Fatal(err)
		}
		if joinstamp.KeyFromName(saved) != f.key {
			t.Errorf("%s: the saved file's name carries no key", c.file)
		}
		rv, err := joinstamp.Read(saved)
		switch {
		case c.stamped && (err != nil || rv != f.rv):
			t.Errorf("%s: stamp %q, %v; want %q", c.file, rv, err, f.rv)
		case !c.stamped && (!errors.Is(err, joinstamp.ErrNoStamp) || len(r.body) != len(original)):
			t.Errorf("%s: a format that ends at its own end was stamped", c.file)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, f.key) || strings.Contains(logs, f.key[4:]) ||
		strings.Contains(logs, "127.0.0.1") {
		t.Errorf("a key or an address reached the log:\n%s", logs)
	} else if !strings.Contains(logs, "join page: download") {
		t.Errorf("downloads are not logged:\n%s", logs)
	}
}

func TestLookupsAreLimited(t *testing.T) {
	f := newFixture(t, 3)
	for i := range 3 {
		if r := f.do(t, http.MethodPost, "/join", firefoxLinux, "", url.Values{"key": {f.key}}); r.status != http.StatusOK {
			t.Fatalf("lookup %d: status %d", i+1, r.status)
		}
	}
	r := f.do(t, http.MethodPost, "/join", firefoxLinux, "fr", url.Values{"key": {f.key}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("the fourth lookup in a minute: status %d", r.status)
	}
	mustContain(t, r, "Trop d'essais")
}

func TestOddRequests(t *testing.T) {
	f := newFixture(t, 0)
	if r := f.do(t, http.MethodGet, "/join", firefoxLinux, "", nil); r.status != http.StatusSeeOther {
		t.Errorf("GET /join: %d, want a redirect to the form", r.status)
	}
	if r := f.do(t, http.MethodGet, "/../../etc/passwd", firefoxLinux, "", nil); r.status != http.StatusNotFound ||
		strings.Contains(r.body, "root:") {
		t.Errorf("a path outside: %d", r.status)
	}
	big := url.Values{"key": {strings.Repeat("1", 10000)}}
	if r := f.do(t, http.MethodPost, "/join", firefoxLinux, "", big); r.status != http.StatusBadRequest {
		t.Errorf("a huge form: %d", r.status)
	}
	for _, file := range []string{"../notes.txt", "linux-riscv", "", "tandem-expert-0.9.0-x86_64.AppImage"} {
		r := f.do(t, http.MethodPost, "/download", firefoxLinux, "", url.Values{"key": {f.key}, "file": {file}})
		if r.header.Get("Content-Disposition") != "" {
			t.Errorf("file %q was handed out", file)
		}
	}
	// The key and hl fields cannot inject markup.
	r := f.do(t, http.MethodPost, "/join", firefoxLinux, "", url.Values{"key": {`"><script>alert(1)</script>`}, "hl": {`"><b>`}})
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, `"><b>`) {
		t.Errorf("markup from the form reached the page:\n%s", r.body)
	}
}

func TestSizes(t *testing.T) {
	p, err := New(Config{Rendezvous: "nats://127.0.0.1:4222", Waiting: func(context.Context, net.IP, string) (bool, error) { return false, nil }})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 812, "812\u00a0B"}, {"en", 14_150_000, "14.2\u00a0MB"}, {"fr", 14_150_000, "14,2\u00a0Mo"}, {"fr", 2_100, "2,1\u00a0Ko"},
	}
	for _, c := range cases {
		if got := (translator{lang: c.lang, msgs: p.msgs[c.lang]}).size(c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}
