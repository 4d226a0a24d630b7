package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

var hostileTexts = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(1)>`,
	`</td></tr></table><h1>fake</h1>`,
	`<!-- comment --><![CDATA[x]]>`,
	`javascript:alert(1)`,
	"</style><style>body{display:none}</style>",
	"</title><meta http-equiv=refresh content=0;url=http://evil>",
	"\u202Eexe.txt",
	"\u2066RTL isolate\u2069 and \u202Boverride\u202C",
	"{{.Peer}} {{.N}} {{template \"x\"}}",
	"&lt;already&gt; &amp; &#60;",
	"\x00\x1b[31mred\x1b[0m",
	"bad utf-8 \xff\xfe",
	"line\u2028separator\u2029paragraph\ufeff",
}

// sessionWith is a session where every text a peer controls is s.
func sessionWith(s string) *store.Session {
	return &store.Session{
		ID: fixtureID, Kind: store.Unattended, ComputerID: s, CustomerName: s, TechnicianName: s,
		Started: t0, Ended: at(60), EndCode: protocol.SessionEnded, EndedBy: 2,
		Participants: []store.Participant{
			{ID: 1, Name: s, Role: protocol.RoleTechnician, Joined: t0},
			{ID: 2, Name: s, Role: protocol.RoleCustomer, Joined: at(1)},
		},
		Events: []store.Event{
			{At: at(1), Kind: store.EventJoined, Actor: 2, Detail: s},
			{At: at(2), Kind: store.EventMonitorChanged, Actor: 1, Detail: s},
			{At: at(3), Kind: store.EventKind("x-" + s), Actor: 1, Detail: s}, // a kind this version does not know
			{At: at(4), Kind: store.EventConsentAsked, Actor: 1, Permission: protocol.PermControl, Detail: s},
		},
		Chat: []store.ChatMessage{{ID: 1, Author: 2, AuthorName: s, Sent: at(5), Text: s}},
		Transfers: []store.Transfer{{ID: 1, Direction: store.Received, Peer: 2, Name: s, Size: 1, Started: at(6),
			Finished: at(7), Outcome: protocol.Code(12345)}},
	}
}

var tag = regexp.MustCompile(`<[^>]*>`)

// structure is the page's markup without its text: the tags and their attributes, in order.
func structure(page string) []string { return tag.FindAllString(page, -1) }

func renderHTML(t testing.TB, s *store.Session, lang string) string {
	var buf bytes.Buffer
	o := fixtureOptions
	o.Lang = lang
	if err := Write(&buf, s, HTML, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkEscaped fails if s, put in every peer-controlled field, changes the page's markup (a tag or attribute
// more or less) compared with a harmless text, or reaches the page with an invisible character.
func checkEscaped(t testing.TB, s, lang string) {
	base := structure(renderHTML(t, sessionWith("x"), lang))
	page := renderHTML(t, sessionWith(s), lang)
	got := structure(page)
	if strings.Join(got, "\n") != strings.Join(base, "\n") {
		t.Fatalf("text %q changed the markup:\n%s", s, strings.Join(got, "\n"))
	}
	for _, r := range page {
		if hidden(r, false) && r != '\n' && r != '\t' {
			t.Fatalf("text %q: character %U reached the page", s, r)
		}
	}
}

func TestHTMLEscapesEverythingAPeerSent(t *testing.T) {
	for _, s := range hostileTexts {
		for _, lang := range Languages {
			t.Run(lang+" "+s, func(t *testing.T) {
				checkEscaped(t, s, lang)
				page := renderHTML(t, sessionWith(s), lang)
				for _, bad := range []string{"<script", "<img", "<svg", "<h1>fake", "<meta http-equiv=refresh", "onerror=alert(1)>"} {
					if strings.Contains(page, bad) {
						t.Errorf("%q is in the page", bad)
					}
				}
			})
		}
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	for _, lang := range Languages {
		page := renderHTML(t, sessionWith("x"), lang)
		for _, bad := range []string{"<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http://", "https://"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: the page contains %q", lang, bad)
			}
		}
		for _, want := range []string{"<!DOCTYPE html>", `<html lang="` + lang + `">`, `<meta charset="utf-8">`,
			"Content-Security-Policy", "default-src 'none'", "@media print"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", lang, want)
			}
		}
	}
}

// FuzzHTMLEscaping puts arbitrary text in every field a peer controls.
func FuzzHTMLEscaping(f *testing.F) {
	for _, s := range hostileTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEscaped(t, "x"+s, "en") // not empty: an empty computer ID rightly drops its row
	})
}
