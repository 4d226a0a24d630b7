package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/ui/uitest"
)

func TestSessionIsRecordedAndReported(t *testing.T) {
	h := testHome(t, "en")
	c := joinSharing(t, h)
	v := h.cur().view
	if v.reportBtn.Disabled() {
		t.Fatal("Report is off in a session with a history")
	}
	// Chat both ways, a control request answered yes.
	if _, err := c.g.SendChat(`<script>alert("x")</script>`); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "the customer's message", func() bool { return len(v.chat.Messages()) == 1 })
	test.Type(v.chat.Field(), "Bonjour Bob")
	test.Tap(v.chat.SendBtn)
	test.Tap(v.controlBtn)
	ask := waitCustomer(t, c, func(e session.ConsentRequested) bool { return e.What == protocol.PermControl })
	if err := c.g.Answer(ask.ID, true); err != nil {
		t.Fatal(err)
	}
	h.loop.Until(t, 20*time.Second, "control", func() bool { return v.controlled })
	h.loop.Until(t, 20*time.Second, "delivery", func() bool {
		msgs := v.chat.Messages()
		return len(msgs) == 2 && msgs[1].Delivered
	})
	test.Tap(v.endBtn)
	uitest.Answer(t, v.win, lang.L("Yes"))
	h.loop.Until(t, 20*time.Second, "the end", func() bool { return v.ended })

	id := v.rec.session()
	var s *store.Session
	h.loop.Until(t, 20*time.Second, "the history to hold the whole session", func() bool {
		var err error
		s, err = h.opts.store.LoadSession(context.Background(), id)
		return err == nil && !s.Ended.IsZero() && len(s.Chat) == 2
	})
	kinds := map[store.EventKind]int{}
	for _, e := range s.Events {
		kinds[e.Kind]++
	}
	for _, k := range []store.EventKind{store.EventJoined, store.EventSharingStarted, store.EventConsentAsked,
		store.EventConsentGiven, store.EventControlGranted, store.EventEnded} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the history: %v", k, kinds)
		}
	}
	if s.CustomerName != "Bob" || s.TechnicianName != "Alice" || s.EndCode != protocol.SessionEnded || s.EndedBy != technicianID {
		t.Errorf("session %+v", s)
	}
	if !s.Chat[1].Delivered || s.Chat[1].Text != "Bonjour Bob" {
		t.Errorf("chat %+v", s.Chat)
	}

	// The viewer's Report: an HTML page that escapes what the customer wrote.
	path := filepath.Join(t.TempDir(), "report.html")
	v.saveReport(path)
	if want := lang.L("viewer.note.report_saved", map[string]any{"Path": path}); !strings.Contains(v.status.Text, want) {
		t.Fatalf("status %q, want it to say %q", v.status.Text, want)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("<script>alert")) || !bytes.Contains(page, []byte("&lt;script&gt;")) {
		t.Fatal("the report does not escape the customer's chat")
	}

	// The command line: the same session by a prefix of its ID, as JSON.
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	open := func(context.Context) (*store.Store, error) {
		return store.Open(context.Background(), h.opts.store.Path())
	}
	if code := reportCommand([]string{"-lang", "en", "-o", out, id.String()[:8]}, &stdout, &stderr, open); code != 0 {
		t.Fatalf("report command: exit %d: %s", code, stderr.String())
	}
	if js, err := os.ReadFile(out); err != nil || !bytes.Contains(js, []byte(`"schema": 1`)) && !bytes.Contains(js, []byte(`"schema":1`)) {
		t.Fatalf("JSON report %s (%v)", js, err)
	}
	stderr.Reset()
	if code := reportCommand([]string{"-lang", "en", "ffffffffffff"}, &stdout, &stderr, open); code != 1 ||
		!strings.Contains(stderr.String(), lang.L("cli.no_such_session")) {
		t.Fatalf("unknown session: exit %d, %q", code, stderr.String())
	}
}
