package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/store"
)

//go:embed report.html.tmpl
var pageSource string

// page is parsed once; every rendering clones it to bind its language's words.
var page = template.Must(template.New("report").Funcs(template.FuncMap{"t": func(string) string { return "" }}).Parse(pageSource))

// The view of a report: every string already translated and formatted. html/template escapes each of them for
// its context, and everything a peer could have written has been through reveal first.
type (
	view struct {
		Lang, Title, Summary, ZoneNote, Footer, Generator string
		Facts                                             []fact
		Participants                                      []participantRow
		Consents                                          []consentRow
		Timeline                                          []eventRow
		Chat                                              []chatRow
		Transfers                                         []transferRow
	}
	fact struct {
		Label, Value string
		Mono         bool
	}
	participantRow struct{ Name, Role, Joined, Left string }
	consentRow     struct{ Permission, AskedBy, Asked, Answer, AnswerClass, AnsweredBy, Answered string }
	eventRow       struct{ Time, Who, What, Class string }
	chatRow        struct {
		Author, Time, Text string
		Delivered          bool
	}
	transferRow struct {
		Name, Direction, Size, Exact, Done, Status, StatusClass, Reason, SHA256, Started, Finished string
	}
)

// WriteHTML writes the report as one self-contained HTML page (inline CSS, no script, no external resource) in
// o.Lang, with times in o.Location.
func (r *Report) WriteHTML(w io.Writer, o Options) error {
	wd, err := wordsFor(o.Lang)
	if err != nil {
		return err
	}
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	f := formatter{w: wd, loc: loc, day: r.Session.Started.In(loc)}
	t, err := page.Clone()
	if err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	t.Funcs(template.FuncMap{"t": func(key string) string { return wd.T(key) }})
	if err := t.Execute(w, r.view(f)); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func (r *Report) view(f formatter) view {
	w := f.w
	v := view{Lang: w.lang, Title: w.T("title"), Generator: r.Generator}
	v.Summary = summarize(w, r.facts())
	v.ZoneNote = w.T("zone_note", "Zone", zoneName(r.Session.Started.In(f.loc)))
	v.Footer = w.T("footer", "Time", f.full(r.Generated), "Generator", reveal(r.Generator, false))

	names := map[uint32]string{}
	for _, p := range r.Participants {
		names[p.ID] = p.Name
	}
	who := func(id uint32, name string) string {
		if id == 0 {
			return "—"
		}
		if name == "" {
			name = names[id]
		}
		return f.name(name)
	}

	s := r.Session
	add := func(label, value string, mono bool) { v.Facts = append(v.Facts, fact{w.T(label), value, mono}) }
	add("fact.id", s.ID, true)
	add("fact.kind", w.T("kind."+s.Kind), false)
	if s.ComputerID != "" {
		add("fact.computer", reveal(s.ComputerID, false), true)
	}
	customer := "—"
	if strings.TrimSpace(s.Customer) != "" {
		customer = f.name(s.Customer)
	}
	add("fact.customer", customer, false)
	techs := s.Technicians
	if len(techs) == 0 && s.Technician != "" {
		techs = []string{s.Technician}
	}
	shown := make([]string, len(techs))
	for i, t := range techs {
		shown[i] = f.name(t)
	}
	add("fact.technicians", strings.Join(shown, ", "), false)
	add("fact.started", f.full(s.Started), false)
	if s.Ended != nil && s.End != nil {
		add("fact.ended", f.full(*s.Ended), false)
		add("fact.end_reason", capitalize(f.code(s.End.Code)), false)
		if s.End.EndedBy != 0 {
			add("fact.ended_by", who(s.End.EndedBy, s.End.EndedByName), false)
		}
	} else {
		add("fact.ended", w.T("end.unclean", "Time", f.full(s.LastActivity)), false)
	}
	add("fact.duration", f.duration(time.Duration(s.DurationMS)*time.Millisecond), false)

	for _, p := range r.Participants {
		left := "—"
		if p.Left != nil {
			left = f.stamp(*p.Left)
		}
		v.Participants = append(v.Participants, participantRow{Name: f.name(p.Name), Role: w.T("role." + p.Role),
			Joined: f.stamp(p.Joined), Left: left})
	}
	for _, c := range r.Consents {
		row := consentRow{Permission: capitalize(f.permission(c.Permission)), AskedBy: who(c.AskedBy, c.AskedByName), Asked: "—",
			Answer: w.T("answer." + c.Answer), AnswerClass: c.Answer + "-answer", AnsweredBy: who(c.AnsweredBy, c.AnsweredByName),
			Answered: "—"}
		if c.Asked != nil {
			row.Asked = f.stamp(*c.Asked)
		}
		if c.Answered != nil {
			row.Answered = f.stamp(*c.Answered)
		}
		v.Consents = append(v.Consents, row)
	}
	roles := map[uint32]string{}
	for _, p := range r.Participants {
		roles[p.ID] = p.Role
	}
	for _, e := range r.Events {
		v.Timeline = append(v.Timeline, eventRow{Time: f.stamp(e.Time), Who: who(e.Actor, e.ActorName),
			What: f.event(e, roles[e.Actor], s), Class: eventClass(e.Kind)})
	}
	for _, m := range r.Chat {
		v.Chat = append(v.Chat, chatRow{Author: who(m.Author, m.AuthorName), Time: f.stamp(m.Sent),
			Text: reveal(m.Text, true), Delivered: m.Delivered})
	}
	for _, t := range r.Transfers {
		direction := w.T("direction." + t.Direction + "_unknown")
		if t.Peer != 0 {
			direction = w.T("direction."+t.Direction, "Peer", who(t.Peer, t.PeerName))
		}
		row := transferRow{Name: f.name(t.Name), Direction: direction,
			Size: f.size(t.Size), Done: f.size(t.BytesDone), Status: w.T("status." + t.Status), StatusClass: t.Status,
			SHA256: t.SHA256, Started: f.stamp(t.Started), Finished: "—"}
		if t.Size >= 1000 { // the rounded size is not the exact one
			row.Exact = w.N("size.bytes", int(t.Size))
		}
		if t.Finished != nil {
			row.Finished = f.stamp(*t.Finished)
		}
		if t.Outcome != nil && t.Status == StatusFailed {
			row.Reason = f.code(*t.Outcome)
		}
		v.Transfers = append(v.Transfers, row)
	}
	return v
}

func eventClass(kind string) string {
	switch store.EventKind(kind) {
	case store.EventConsentRefused, store.EventConsentExpired, store.EventConsentWithdrawn:
		return "warn"
	case store.EventControlGranted, store.EventConsentGiven:
		return "grant"
	case store.EventEnded:
		return "end"
	}
	return ""
}

// formatter writes times, sizes and names in one language and time zone.
type formatter struct {
	w   words
	loc *time.Location
	day time.Time // the session's first day, in loc: times on it are written without their date
}

// name is a peer-written name made safe to show: hidden characters revealed, "(no name)" when empty.
func (f formatter) name(s string) string {
	if strings.TrimSpace(s) == "" {
		return f.w.T("name.none")
	}
	return reveal(s, false)
}

func (f formatter) date(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = f.w.T("format.day_one") // French writes "1er"
	}
	return f.w.T("format.date", "Weekday", f.w.T("weekday."+strconv.Itoa(int(t.Weekday()))),
		"Day", day, "Month", f.w.T("month."+strconv.Itoa(int(t.Month()))), "Year", strconv.Itoa(t.Year()))
}

// full writes a date and a time.
func (f formatter) full(t time.Time) string {
	t = t.In(f.loc)
	return f.w.T("format.datetime", "Date", f.date(t), "Time", t.Format("15:04:05"))
}

// stamp writes a time of the session: the time alone on the session's first day, with its date otherwise.
func (f formatter) stamp(t time.Time) string {
	t = t.In(f.loc)
	if y, m, d := t.Date(); y == f.day.Year() && m == f.day.Month() && d == f.day.Day() {
		return t.Format("15:04:05")
	}
	return f.full(t)
}

func (f formatter) duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64(d.Round(time.Second) / time.Second)
	h, m, s := sec/3600, sec/60%60, sec%60
	two := func(n int64) string { return fmt.Sprintf("%02d", n) }
	switch {
	case h > 0:
		return f.w.T("duration.hms", "H", f.w.number(h), "M", two(m), "S", two(s))
	case m > 0:
		return f.w.T("duration.ms", "M", strconv.FormatInt(m, 10), "S", two(s))
	}
	return f.w.T("duration.s", "S", strconv.FormatInt(s, 10))
}

// size writes a byte count the way people read it: 999 bytes, 1.5 MB (decimal units).
func (f formatter) size(n uint64) string {
	if n < 1000 {
		return f.w.N("size.bytes", int(n))
	}
	units := []string{"size.kB", "size.MB", "size.GB", "size.TB"}
	v := float64(n)
	i := -1
	for v >= 999.95 && i < len(units)-1 {
		v /= 1000
		i++
	}
	num := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	num = strings.Replace(num, ".", f.w.T("number.decimal"), 1)
	return f.w.T(units[i], "N", num)
}

func (f formatter) permission(p string) string {
	key := "permission." + p
	if _, ok := f.w.m[key]; !ok {
		return f.w.T("permission.unknown", "Name", p)
	}
	return f.w.T(key)
}

// code writes an end reason or a transfer outcome.
func (f formatter) code(c Code) string {
	return f.w.T(codeKey(protocol.Code(c.Value)), "Code", strconv.FormatUint(c.Value, 10))
}

// codeKey is the key of a code's words: "code." and the name of its i18n key (error.disk_full → code.disk_full).
func codeKey(c protocol.Code) string {
	return "code." + strings.TrimPrefix(c.MessageKey(), "error.")
}

// event writes what an event says, in a sentence whose subject is the Who column.
func (f formatter) event(e Event, role string, s Session) string {
	w := f.w
	switch store.EventKind(e.Kind) {
	case store.EventJoined:
		return w.T("event.joined", "Role", w.T("role."+role))
	case store.EventConsentAsked, store.EventConsentGiven, store.EventConsentRefused, store.EventConsentExpired,
		store.EventConsentWithdrawn:
		return w.T("event."+e.Kind, "Permission", f.permission(e.Permission))
	case store.EventMonitorChanged:
		return w.T("event.monitor_changed", "Monitor", reveal(e.Detail, false))
	case store.EventConnected:
		how, server, _ := strings.Cut(e.Detail, ":")
		switch how {
		case "direct", "met", "relayed":
		default:
			how = "unknown"
		}
		return w.T("event.connected", "Route", w.T("route."+how, "Server", reveal(server, false)))
	case store.EventEnded:
		reason := ""
		if s.End != nil {
			reason = f.code(s.End.Code)
		}
		return w.T("event.ended", "Reason", reason)
	}
	if !store.EventKind(e.Kind).Known() {
		return w.T("event.unknown", "Kind", reveal(e.Kind, false))
	}
	return w.T("event." + e.Kind)
}

func zoneName(t time.Time) string {
	name, offset := t.Zone()
	if offset == 0 && (name == "UTC" || name == "GMT" || name == "") {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	utc := fmt.Sprintf("UTC%s%02d:%02d", sign, offset/3600, offset/60%60)
	if name == "" || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-") {
		return utc
	}
	return name + " (" + utc + ")"
}

// reveal makes text from a peer safe to show, beyond HTML escaping (which html/template does): invisible
// characters that could disguise it (bidirectional overrides and isolates that make "gpj.exe" read "exe.jpg",
// control characters, Unicode line separators, and line breaks in single-line text) are written as visible
// [U+XXXX] marks, and invalid UTF-8 as U+FFFD.
func reveal(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r, multiline) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hidden(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !multiline
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // embeddings, overrides, isolates
		return true
	case r == 0x2028 || r == 0x2029, r == 0xfeff: // line and paragraph separators, zero-width no-break space
		return true
	}
	return false
}
