// Package joinpage is the web page where a customer who has never installed Tandem types the support key: it
// checks the key's nameplate with the rendezvous, then hands out Tandem Customer for the visitor's system under
// a name that carries the key (see joinstamp), stamped with the rendezvous where the format allows, and offers
// the tandem:// link to those who have the program. The page works without JavaScript, loads nothing from
// elsewhere, speaks English or French by Accept-Language, and never logs a key or a visitor's address.
package joinpage

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	ttemplate "text/template"
	"time"

	"golang.org/x/text/language"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/joinstamp"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
)

// Config configures a join page.
type Config struct {
	// Releases is the folder of release files handed out (tandem-customer-VERSION-x86_64.AppImage, -x64.msi,
	// -macos.dmg). It is read at each request. Empty or missing: only the tandem:// link is offered.
	Releases string
	// Rendezvous is the URL the customer's program meets the technician through: stamped into the files that
	// allow it and put into the tandem:// link.
	Rendezvous string
	// Waiting reports whether a nameplate can still be claimed, for a visitor at address from
	// (rendezvous.Server.NameplateWaiting, which counts the lookup as a claim from that address and fails with
	// rendezvous.ErrRateLimited beyond the rendezvous's limit).
	Waiting func(ctx context.Context, from net.IP, nameplate string) (bool, error)
	// Log receives one line per download and per failure; never a key or an address. Nil: discard.
	Log *slog.Logger
}

// Page serves the join page. Its routes: GET / (the key form, ?hl=en|fr to choose the language), POST /join
// (the key → the download offer), POST /download (the file).
type Page struct {
	cfg  Config
	msgs map[string]map[string]string // language → key → text
	tmpl *template.Template
}

// New returns the page for cfg.
func New(cfg Config) (*Page, error) {
	if cfg.Waiting == nil || cfg.Rendezvous == "" {
		return nil, errors.New("joinpage: a rendezvous URL and a nameplate check are needed")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &Page{cfg: cfg, msgs: map[string]map[string]string{}}
	for _, l := range i18n.Languages {
		b, err := i18n.Bundle(l)
		if err != nil {
			return nil, err
		}
		p.msgs[l] = b
	}
	p.tmpl = template.Must(template.New("page").Parse(pageHTML))
	return p, nil
}

const maxForm = 4 << 10

func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	formErr := error(nil)
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		formErr = r.ParseForm()
	}
	tr := p.translator(r)
	if formErr != nil {
		p.render(w, http.StatusBadRequest, view{tr: tr, Error: tr.L("page.bad_key")})
		return
	}
	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		p.render(w, http.StatusOK, view{tr: tr})
	case r.URL.Path == "/join" && r.Method == http.MethodPost:
		p.join(w, r, tr)
	case r.URL.Path == "/download" && r.Method == http.MethodPost:
		p.download(w, r, tr)
	case r.URL.Path == "/join" || r.URL.Path == "/download":
		http.Redirect(w, r, "/", http.StatusSeeOther) // a reload of a result page: back to the form
	default:
		p.render(w, http.StatusNotFound, view{tr: tr, Error: tr.L("page.not_found")})
	}
}

// checkKey reads the (parsed) form's key and checks its nameplate. It returns the key, or writes the form again with
// a sentence and returns "".
func (p *Page) checkKey(w http.ResponseWriter, r *http.Request, tr translator) string {
	typed := r.PostFormValue("key")
	key, err := transport.ParseSupportKey(typed)
	if err != nil {
		p.render(w, http.StatusOK, view{tr: tr, Error: tr.L("page.bad_key"), Typed: typed})
		return ""
	}
	nameplate, _ := transport.SplitKey(key)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	ok, err := p.cfg.Waiting(ctx, sourceOf(r), nameplate)
	switch {
	case errors.Is(err, rendezvous.ErrRateLimited):
		p.cfg.Log.Info("join page: key check refused: rate limit")
		p.render(w, http.StatusTooManyRequests, view{tr: tr, Error: tr.L("page.limited"), Typed: typed})
		return ""
	case err != nil:
		p.cfg.Log.Warn("join page: cannot check a key", "err", err)
		p.render(w, http.StatusServiceUnavailable, view{tr: tr, Error: tr.L("page.unavailable"), Typed: typed})
		return ""
	case !ok:
		p.cfg.Log.Info("join page: a key that does not work")
		p.render(w, http.StatusOK, view{tr: tr, Error: tr.L("page.unknown_key"), Typed: typed})
		return ""
	}
	return key
}

func (p *Page) join(w http.ResponseWriter, r *http.Request, tr translator) {
	key := p.checkKey(w, r, tr)
	if key == "" {
		return
	}
	v := view{tr: tr, Key: key, ShownKey: transport.FormatSupportKey(key), Ready: true,
		Link: template.URL("tandem://join?rv=" + url.QueryEscape(p.cfg.Rendezvous) + "&key=" + key)}
	vis := visitorOf(r.UserAgent())
	best, ok, others := pick(scanReleases(p.cfg.Releases), vis)
	if ok {
		v.Best = p.offer(tr, best)
	} else if vis.Platform == "mobile" {
		v.Note = tr.L("page.mobile")
	} else if len(others) == 0 {
		v.Note = tr.L("page.no_release")
	}
	for _, o := range others {
		v.Others = append(v.Others, p.offer(tr, o))
	}
	p.cfg.Log.Info("join page: key accepted", "system", vis.Platform, "offered", v.Best.ID)
	p.render(w, http.StatusOK, v)
}

func (p *Page) download(w http.ResponseWriter, r *http.Request, tr translator) {
	key := p.checkKey(w, r, tr)
	if key == "" {
		return
	}
	id := r.PostFormValue("file")
	var rel release
	for _, c := range scanReleases(p.cfg.Releases) {
		if c.ID() == id {
			rel = c
		}
	}
	if rel.Path == "" {
		p.render(w, http.StatusNotFound, view{tr: tr, Error: tr.L("page.no_release")})
		return
	}
	f, err := os.Open(rel.Path)
	if err != nil {
		p.cfg.Log.Error("join page: opening a release", "file", rel.Path, "err", err)
		p.render(w, http.StatusInternalServerError, view{tr: tr, Error: tr.L("page.unavailable")})
		return
	}
	defer func() { _ = f.Close() }() // read only
	st, err := f.Stat()
	if err != nil {
		p.render(w, http.StatusInternalServerError, view{tr: tr, Error: tr.L("page.unavailable")})
		return
	}
	size := st.Size()
	if rel.stamped() {
		size += joinstamp.Size(p.cfg.Rendezvous)
	}
	name := joinstamp.FileName(key, rel.Platform, rel.Arch)
	if rel.Plain {
		name = joinstamp.FileName(key, "linux-bin", rel.Arch)
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.CopyN(w, f, st.Size()); err != nil {
		p.cfg.Log.Info("join page: download cut short", "file", rel.ID(), "err", err)
		return
	}
	if rel.stamped() {
		if err := joinstamp.Append(w, p.cfg.Rendezvous); err != nil {
			p.cfg.Log.Info("join page: download cut short", "file", rel.ID(), "err", err)
			return
		}
	}
	p.cfg.Log.Info("join page: download", "file", rel.ID(), "bytes", size)
}

// offer is one download button.
type offer struct {
	ID, System, Size, Steps string
}

func (p *Page) offer(tr translator, r release) offer {
	o := offer{ID: r.ID(), Size: tr.size(r.Size)}
	switch r.Platform {
	case "linux":
		o.System, o.Steps = tr.L("page.system_linux_x86_64"), tr.L("page.steps_linux")
		if r.Arch == "aarch64" {
			o.System = tr.L("page.system_linux_aarch64")
		}
	case "windows":
		o.System, o.Steps = tr.L("page.system_windows"), tr.L("page.steps_install")
	case "macos":
		o.System, o.Steps = tr.L("page.system_macos"), tr.L("page.steps_install")
	}
	return o
}

// view is what one page shows.
type view struct {
	tr       translator
	Error    string // a sentence above the form
	Typed    string // what the visitor typed, shown again with an error
	Ready    bool   // the key works: the offer instead of the form
	Key      string
	ShownKey string
	Link     template.URL
	Best     offer
	Others   []offer
	Note     string
}

// Lang is the page's language code; T a sentence of it.
func (v view) Lang() string        { return v.tr.lang }
func (v view) T(key string) string { return v.tr.L(key) }

// OtherLang and OtherName are the language the page's switch offers.
func (v view) OtherLang() string {
	if v.tr.lang == "fr" {
		return "en"
	}
	return "fr"
}
func (v view) OtherName() string {
	if v.tr.lang == "fr" {
		return "English"
	}
	return "Français"
}

// Download is the label of the main button; ReadyText the sentence above it.
func (v view) Download() string {
	return v.tr.L("page.download", map[string]any{"System": v.Best.System})
}
func (v view) ReadyText() string { return v.tr.L("page.ready", map[string]any{"Key": v.ShownKey}) }

func (p *Page) render(w http.ResponseWriter, status int, v view) {
	var b bytes.Buffer
	if err := p.tmpl.Execute(&b, v); err != nil {
		p.cfg.Log.Error("join page: rendering", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.tr.lang)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// translator gives one language's sentences.
type translator struct {
	lang string
	msgs map[string]string
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.French})

// translator picks the language: ?hl= (the page's own switch), else the best match of Accept-Language.
func (p *Page) translator(r *http.Request) translator {
	code := "en"
	if hl := r.URL.Query().Get("hl"); hl == "en" || hl == "fr" {
		code = hl
	} else if hl := r.PostFormValue("hl"); r.Method == http.MethodPost && (hl == "en" || hl == "fr") {
		code = hl
	} else {
		tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
		if _, i, conf := matcher.Match(tags...); conf != language.No && i == 1 {
			code = "fr"
		}
	}
	return translator{lang: code, msgs: p.msgs[code]}
}

// L returns the sentence of key, with data filled in as the bundles' {{.Name}} placeholders say.
func (tr translator) L(key string, data ...map[string]any) string {
	s, ok := tr.msgs[key]
	if !ok {
		return key
	}
	if len(data) == 0 || !strings.Contains(s, "{{") {
		return s
	}
	t, err := ttemplate.New("").Option("missingkey=zero").Parse(s)
	if err != nil {
		return s
	}
	var b strings.Builder
	if err := t.Execute(&b, data[0]); err != nil {
		return s
	}
	return b.String()
}

// size writes a file size the way the language writes sizes (the units of the transfer windows).
func (tr translator) size(n int64) string {
	f, unit := float64(n), "units.b"
	switch {
	case n >= 1e9:
		f, unit = f/1e9, "units.gb"
	case n >= 1e6:
		f, unit = f/1e6, "units.mb"
	case n >= 1e3:
		f, unit = f/1e3, "units.kb"
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	if unit == "units.b" {
		s = strconv.FormatInt(n, 10)
	}
	s = strings.Replace(s, ".", tr.L("units.decimal_point"), 1)
	return tr.L(unit, map[string]any{"N": s})
}

// sourceOf is the address that limits count against: the connection's IP (a proxy in front would need its
// own limits; X-Forwarded-For is not trusted).
func sourceOf(r *http.Request) net.IP {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(host)
}
