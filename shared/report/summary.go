package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandem-remote/tandem/shared/store"
)

// facts are what a one-line description of a session says.
type facts struct {
	viewed, controlled, techShared, ended bool
	refused, chat, sent, received, failed int
}

func (r *Report) facts() facts {
	f := facts{ended: r.Session.Ended != nil, chat: len(r.Chat)}
	for _, e := range r.Events {
		switch store.EventKind(e.Kind) {
		case store.EventSharingStarted:
			f.viewed = true
		case store.EventControlGranted:
			f.controlled = true
		case store.EventTechSharingStarted:
			f.techShared = true
		case store.EventConsentRefused:
			f.refused++
		}
	}
	for _, t := range r.Transfers {
		if t.Direction == string(store.Sent) {
			f.sent++
		} else {
			f.received++
		}
		if t.Status != StatusCompleted && t.Status != StatusIncomplete {
			f.failed++
		}
	}
	return f
}

// Summarize says in a few words what happened in a session of the History list, in lang (see NormalizeLang):
// e.g. "Screen viewed, remote control, 3 chat messages, 1 file received".
func Summarize(s store.Summary, lang string) string {
	w, err := wordsFor(lang)
	if err != nil {
		return ""
	}
	return summarize(w, facts{viewed: s.Viewed, controlled: s.Controlled, techShared: s.TechShared,
		ended: !s.Ended.IsZero(), refused: s.ConsentsRefused, chat: s.ChatMessages, sent: s.FilesSent,
		received: s.FilesReceived, failed: s.FilesFailed})
}

func summarize(w words, f facts) string {
	var parts []string
	if f.viewed {
		parts = append(parts, w.T("summary.viewed"))
	}
	if f.controlled {
		parts = append(parts, w.T("summary.controlled"))
	}
	if f.techShared {
		parts = append(parts, w.T("summary.tech_shared"))
	}
	if f.refused > 0 {
		parts = append(parts, w.N("summary.refused", f.refused))
	}
	if f.chat > 0 {
		parts = append(parts, w.N("summary.chat", f.chat))
	}
	if f.sent > 0 {
		parts = append(parts, w.N("summary.sent", f.sent))
	}
	if f.received > 0 {
		parts = append(parts, w.N("summary.received", f.received))
	}
	if f.failed > 0 {
		parts = append(parts, w.N("summary.failed", f.failed))
	}
	if len(parts) == 0 {
		parts = append(parts, w.T("summary.nothing"))
	}
	if !f.ended {
		parts = append(parts, w.T("summary.unclean"))
	}
	return capitalize(strings.Join(parts, w.T("summary.separator")))
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
