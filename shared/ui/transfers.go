package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/transfer"
)

// TransferList shows every file transfer of a session, both ways: what, with whom, a progress bar, the speed
// and time left, the state in words, and Cancel while it runs. Feed it the session's transfer events with Apply.
// Use it on the UI goroutine only.
type TransferList struct {
	widget.BaseWidget

	peer     string
	onCancel func(transfer.ID)
	rows     map[transfer.ID]*transferRow
	box      *fyne.Container
	empty    *widget.Label
	content  fyne.CanvasObject
}

type transferRow struct {
	peer   string // whom the transfer is with
	title  *widget.Label
	bar    *widget.ProgressBar
	detail *widget.Label
	cancel *widget.Button
	total  uint64
	done   bool
}

// NewTransferList returns an empty list; peer names the other side, onCancel cancels a transfer.
func NewTransferList(peer string, onCancel func(transfer.ID)) *TransferList {
	l := &TransferList{peer: peer, onCancel: onCancel, rows: map[transfer.ID]*transferRow{}}
	l.box = container.NewVBox()
	l.empty = widget.NewLabel(lang.L("transfers.none"))
	l.content = container.NewVScroll(container.NewVBox(l.empty, l.box))
	l.ExtendBaseWidget(l)
	return l
}

// CreateRenderer implements fyne.Widget.
func (l *TransferList) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(l.content)
}

// MinSize implements fyne.Widget.
func (l *TransferList) MinSize() fyne.Size { return fyne.NewSize(420, 200) }

// State returns what the list says of a transfer ("" when it is not listed).
func (l *TransferList) State(id transfer.ID) string {
	if r := l.rows[id]; r != nil {
		return r.detail.Text
	}
	return ""
}

// Progress returns a transfer's progress bar value (0..1) and whether Cancel is on.
func (l *TransferList) Progress(id transfer.ID) (float64, bool) {
	if r := l.rows[id]; r != nil {
		return r.bar.Value, !r.cancel.Disabled()
	}
	return 0, false
}

// IDs returns the transfers listed.
func (l *TransferList) IDs() []transfer.ID {
	ids := make([]transfer.ID, 0, len(l.rows))
	for id := range l.rows {
		ids = append(ids, id)
	}
	return ids
}

// CancelButton returns a transfer's Cancel button (nil when it is not listed).
func (l *TransferList) CancelButton(id transfer.ID) *widget.Button {
	if r := l.rows[id]; r != nil {
		return r.cancel
	}
	return nil
}

// row returns the row of a transfer, adding it (titled from its files) if new.
func (l *TransferList) row(id transfer.ID, files []transfer.File, total uint64, peer string) *transferRow {
	if r := l.rows[id]; r != nil {
		return r
	}
	r := &transferRow{total: total, peer: peer}
	r.title = widget.NewLabelWithStyle(transferTitle(id, files, total, peer), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.bar = widget.NewProgressBar()
	r.detail = widget.NewLabel("")
	r.detail.Wrapping = fyne.TextWrapWord
	r.cancel = widget.NewButtonWithIcon(lang.L("transfers.cancel"), theme.CancelIcon(), func() {
		if l.onCancel != nil && !r.done {
			r.cancel.Disable()
			l.onCancel(id)
		}
	})
	l.rows[id] = r
	l.empty.Hide()
	l.box.Add(container.NewVBox(r.title, container.NewBorder(nil, nil, nil, r.cancel, r.bar), r.detail, widget.NewSeparator()))
	return r
}

// Apply takes a transfer event with the list's peer into the list.
func (l *TransferList) Apply(e transfer.Event) { l.ApplyWith(e, l.peer) }

// ApplyWith takes a transfer event into the list, the transfer being with peer (one of several technicians).
func (l *TransferList) ApplyWith(e transfer.Event, peer string) {
	switch e := e.(type) {
	case transfer.OfferSent:
		l.row(e.ID, e.Files, e.Total, peer).detail.SetText(lang.L("transfers.waiting_answer", map[string]any{"Name": peer}))
	case transfer.OfferReceived:
		l.row(e.ID, e.Files, e.Total, peer).detail.SetText(lang.L("transfers.waiting_you"))
	case transfer.Answered:
		r := l.row(e.ID, nil, 0, peer)
		if e.Accepted {
			r.detail.SetText(lang.L("transfers.starting"))
		}
	case transfer.Progress:
		r := l.row(e.ID, nil, e.Total, peer)
		if e.Total > 0 {
			r.bar.SetValue(float64(e.Done) / float64(e.Total))
		}
		rate := "—" // not known yet
		if e.Rate >= 1 {
			rate = lang.L("units.per_second", map[string]any{"Size": Bytes(uint64(e.Rate))})
		}
		args := map[string]any{"Done": Bytes(e.Done), "Total": Bytes(e.Total), "Rate": rate, "Left": Duration(e.Left)}
		r.detail.SetText(lang.L("transfers.progress", args))
	case transfer.Finished:
		r := l.row(e.ID, nil, 0, peer)
		r.done = true
		r.cancel.Disable()
		switch {
		case e.Err == nil:
			r.bar.SetValue(1)
			if e.Completed == 1 {
				r.detail.SetText(lang.L("transfers.completed"))
			} else {
				r.detail.SetText(lang.L("transfers.completed_many", map[string]any{"Count": e.Completed}))
			}
		case e.Completed > 0:
			r.detail.SetText(lang.L("transfers.partly", map[string]any{"Count": e.Completed, "Failed": e.Failed,
				"Reason": ErrorText(e.Err)}))
		default:
			r.detail.SetText(lang.L("transfers.failed", map[string]any{"Reason": ErrorText(e.Err)}))
		}
	}
}

// transferTitle says what a transfer moves, and which way.
func transferTitle(id transfer.ID, files []transfer.File, total uint64, peer string) string {
	what := ""
	switch len(files) {
	case 0:
	case 1:
		what = files[0].Name
	default:
		what = lang.L("transfers.files", map[string]any{"Count": len(files)})
	}
	args := map[string]any{"What": what, "Name": peer, "Size": Bytes(total)}
	if id.Dir == transfer.Outgoing {
		return lang.L("transfers.to", args)
	}
	return lang.L("transfers.from", args)
}

// Bytes writes a size for people in decimal units, as the language writes them: 512 B, 12.3 KB, 4.5 MB in
// English; 512 o, 12,3 Ko, 4,5 Mo in French.
func Bytes(n uint64) string {
	const unit = 1000
	if n < unit {
		return lang.L("units.b", map[string]any{"N": strconv.FormatUint(n, 10)})
	}
	f, key := float64(n), ""
	for _, k := range []string{"units.kb", "units.mb", "units.gb", "units.tb"} {
		f /= unit
		key = k
		if f < unit {
			break
		}
	}
	return lang.L(key, map[string]any{"N": oneDecimal(f)})
}

// oneDecimal writes f with one decimal, with the language's decimal point: 12.3 in English, 12,3 in French.
func oneDecimal(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 1, 64), ".", lang.L("units.decimal_point"), 1)
}

// Duration writes a time left for people: 45 s, 3 min, 1 h 05.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return lang.L("transfers.seconds", map[string]any{"S": int(d.Seconds() + 0.5)})
	case d < time.Hour:
		return lang.L("transfers.minutes", map[string]any{"M": int(d.Minutes() + 0.5)})
	}
	return lang.L("transfers.hours", map[string]any{"H": int(d.Hours()), "M": fmt.Sprintf("%02d", int(d.Minutes())%60)})
}
