package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transfer"
)

func TestTransferListFollowsATransfer(t *testing.T) {
	test.NewTempApp(t)
	if err := i18n.Register("en"); err != nil {
		t.Fatal(err)
	}
	var cancelled []transfer.ID
	l := NewTransferList("Alice", func(id transfer.ID) { cancelled = append(cancelled, id) })
	w := test.NewWindow(l)
	defer w.Close()
	out := transfer.ID{Dir: transfer.Outgoing, N: 1}
	files := []transfer.File{{Name: "photo.jpg", Size: 3_000_000}}
	l.Apply(transfer.OfferSent{ID: out, Files: files, Total: 3_000_000})
	if got := l.State(out); got != lang.L("transfers.waiting_answer", map[string]any{"Name": "Alice"}) {
		t.Fatalf("state %q", got)
	}
	if got := l.rows[out].title.Text; got != "To Alice: photo.jpg (3.0\u00a0MB)" {
		t.Fatalf("title %q", got)
	}
	l.Apply(transfer.Answered{ID: out, Accepted: true})
	l.Apply(transfer.Progress{ID: out, Done: 1_500_000, Total: 3_000_000, Rate: 500_000, Left: 3 * time.Second})
	if v, cancel := l.Progress(out); v != 0.5 || !cancel {
		t.Fatalf("progress %v, cancel on %v", v, cancel)
	}
	if got := l.State(out); got != "1.5\u00a0MB of 3.0\u00a0MB · 500.0\u00a0KB/s · 3 s left" {
		t.Fatalf("progress text %q", got)
	}
	test.Tap(l.CancelButton(out))
	if len(cancelled) != 1 || cancelled[0] != out {
		t.Fatalf("cancelled %v", cancelled)
	}
	l.Apply(transfer.Finished{ID: out, Err: &protocol.Error{Code: protocol.Cancelled}, Failed: 1})
	if _, cancel := l.Progress(out); cancel {
		t.Fatal("Cancel still on after the end")
	}
	if got := l.State(out); got != lang.L("transfers.failed", map[string]any{"Reason": ErrorText(&protocol.Error{Code: protocol.Cancelled})}) {
		t.Fatalf("end %q", got)
	}
	in := transfer.ID{Dir: transfer.Incoming, N: 1}
	l.Apply(transfer.OfferReceived{ID: in, Files: []transfer.File{{Name: "a"}, {Name: "b"}}, Total: 10})
	l.Apply(transfer.Finished{ID: in, Completed: 2})
	if v, _ := l.Progress(in); v != 1 || l.rows[in].title.Text != "From Alice: 2 files (10\u00a0B)" {
		t.Fatalf("incoming: %v %q", v, l.rows[in].title.Text)
	}
}

func TestBytesAndRatesInEachLanguage(t *testing.T) {
	test.NewTempApp(t)
	t.Cleanup(func() { _ = i18n.Register("en") })
	for _, c := range []struct {
		lang       string
		n          uint64
		size, rate string
	}{
		{"en", 512, "512\u00a0B", "512\u00a0B/s"},
		{"en", 12_345, "12.3\u00a0KB", "12.3\u00a0KB/s"},
		{"en", 4_500_000_000, "4.5\u00a0GB", "4.5\u00a0GB/s"},
		{"fr", 512, "512\u00a0o", "512\u00a0o/s"},
		{"fr", 12_345, "12,3\u00a0Ko", "12,3\u00a0Ko/s"},
		{"fr", 100_700_000, "100,7\u00a0Mo", "100,7\u00a0Mo/s"},
	} {
		if err := i18n.Register(c.lang); err != nil {
			t.Fatal(err)
		}
		if got := Bytes(c.n); got != c.size {
			t.Errorf("%s: Bytes(%d) = %q, want %q", c.lang, c.n, got, c.size)
		}
		l := NewTransferList("Alice", nil)
		id := transfer.ID{Dir: transfer.Outgoing, N: 1}
		l.Apply(transfer.OfferSent{ID: id, Files: []transfer.File{{Name: "a", Size: 2 * c.n}}, Total: 2 * c.n})
		l.Apply(transfer.Progress{ID: id, Done: 1, Total: 2 * c.n, Rate: float64(c.n), Left: 3 * time.Second})
		if got := l.State(id); !strings.Contains(got, " · "+c.rate+" · ") {
			t.Errorf("%s: state %q does not give the rate as %q", c.lang, got, c.rate)
		}
		l.Apply(transfer.Progress{ID: id, Done: 1, Total: 2 * c.n})
		if got := l.State(id); !strings.Contains(got, " · — · ") {
			t.Errorf("%s: an unknown rate shows as %q", c.lang, got)
		}
	}
}
