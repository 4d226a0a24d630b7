package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/report"
	"github.com/tandem-remote/tandem/shared/store"
)

// historyLimit is how many sessions the History window lists (the newest; a search narrows them).
const historyLimit = 500

// history is the History window: past sessions, newest first, searchable by customer, technician, chat text or
// file name, each with its report. Use it on the UI goroutine only.
type history struct {
	home      *home
	win       fyne.Window
	search    *widget.Entry
	list      *widget.List
	items     []store.Summary
	selected  int
	reportBtn *widget.Button
	status    *widget.Label
}

// openHistory shows the History window, building it if needed.
func (h *home) openHistory() {
	if h.opts.store == nil {
		return
	}
	if hs := h.hist; hs != nil {
		hs.reload()
		hs.win.Show()
		hs.win.RequestFocus()
		return
	}
	hs := &history{home: h, selected: -1}
	h.hist = hs
	hs.win = h.app.NewWindow(lang.L("history.title"))
	hs.search = widget.NewEntry()
	hs.search.SetPlaceHolder(lang.L("history.search"))
	hs.search.OnChanged = func(string) { hs.reload() }
	hs.list = widget.NewList(func() int { return len(hs.items) }, func() fyne.CanvasObject {
		title := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		what := widget.NewLabel("")
		what.Truncation = fyne.TextTruncateEllipsis
		return container.NewVBox(title, what)
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		if i < 0 || i >= len(hs.items) {
			return
		}
		box := o.(*fyne.Container)
		box.Objects[0].(*widget.Label).SetText(historyTitle(hs.items[i]))
		box.Objects[1].(*widget.Label).SetText(report.Summarize(hs.items[i], lang.L("viewer.report_lang")))
	})
	hs.list.OnSelected = func(i widget.ListItemID) {
		hs.selected = i
		hs.reportBtn.Enable()
	}
	hs.list.OnUnselected = func(widget.ListItemID) {
		hs.selected = -1
		hs.reportBtn.Disable()
	}
	hs.reportBtn = widget.NewButtonWithIcon(lang.L("history.report"), theme.DocumentSaveIcon(), hs.askReport)
	hs.reportBtn.Disable()
	hs.status = widget.NewLabel("")
	hs.status.Wrapping = fyne.TextWrapWord
	bottom := container.NewVBox(container.NewHBox(hs.reportBtn), hs.status)
	hs.win.SetContent(container.NewBorder(container.NewPadded(hs.search), container.NewPadded(bottom), nil, nil, hs.list))
	hs.win.Resize(fyne.NewSize(640, 520))
	hs.win.SetOnClosed(func() {
		if h.hist == hs {
			h.hist = nil
		}
	})
	hs.reload()
	hs.win.Show()
	hs.win.Canvas().Focus(hs.search)
}

// reload lists the sessions that match the search.
func (hs *history) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	items, err := hs.home.opts.store.ListSessions(ctx, store.Query{Search: hs.search.Text, Limit: historyLimit})
	if err != nil {
		log.Printf("history: %v", err)
		hs.status.SetText(lang.L("history.unreadable"))
		return
	}
	hs.items = items
	hs.list.UnselectAll()
	hs.selected = -1
	hs.reportBtn.Disable()
	hs.list.Refresh()
	switch {
	case len(items) == 0 && hs.search.Text != "":
		hs.status.SetText(lang.L("history.no_match"))
	case len(items) == 0:
		hs.status.SetText(lang.L("history.empty"))
	default:
		hs.status.SetText(lang.L("history.count", map[string]any{"Count": len(items)}))
	}
}

// historyTitle is a session's first line: customer, start, duration.
func historyTitle(s store.Summary) string {
	name := s.CustomerName
	if name == "" {
		name = lang.L("history.no_name")
	}
	title := lang.L("history.item", map[string]any{"Name": name, "Start": s.Started.Local().Format("2006-01-02 15:04"),
		"Duration": durationText(s.Duration())})
	if s.Kind == store.Unattended {
		title += " " + lang.L("history.unattended")
	}
	return title
}

// durationText says how long something lasted, to the minute (to the second under a minute).
func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return lang.L("history.seconds", map[string]any{"S": int(d.Seconds())})
	case d < time.Hour:
		return lang.L("history.minutes", map[string]any{"M": int(d.Minutes())})
	}
	return lang.L("history.hours", map[string]any{"H": int(d.Hours()), "M": fmt.Sprintf("%02d", int(d.Minutes())%60)})
}

// askReport asks where to save the selected session's report.
func (hs *history) askReport() {
	if hs.selected < 0 || hs.selected >= len(hs.items) {
		return
	}
	s := hs.items[hs.selected]
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		_ = w.Close()
		hs.saveReport(s, path)
	}, hs.win)
	d.SetFileName(report.FileName(s.ID, s.Started, report.HTML))
	d.SetFilter(storage.NewExtensionFileFilter([]string{".html", ".json"}))
	d.Show()
}

// saveReport writes a session's report to path and says how it went.
func (hs *history) saveReport(s store.Summary, path string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	err := report.SaveFile(ctx, hs.home.opts.store, s.ID, path, report.Options{Lang: lang.L("viewer.report_lang")})
	if err != nil {
		log.Printf("report: %v", err)
		hs.status.SetText(lang.L("viewer.note.report_failed", map[string]any{"Path": path}))
		return
	}
	hs.status.SetText(lang.L("viewer.note.report_saved", map[string]any{"Path": path}))
}
