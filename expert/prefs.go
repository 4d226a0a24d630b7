package main

import (
	"github.com/tandem-remote/tandem/i18n"

	"errors"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/rendezvous"
)

// prefs are the technician's settings, kept in the app's preferences (Fyne stores them in the user's config
// folder).
type prefs struct {
	Name           string // the name customers see
	UninstallAtEnd bool   // ask Customer to remove itself when the session ends (sent at join)
	DownloadDir    string // where received files go
	AskWhere       bool   // ask for a folder for each incoming transfer
	Language       string // "", "en" or "fr"; applies at the next start
	AllowControl   bool   // this technician may ask for remote control in their sessions
	AllowFiles     bool   // this technician may send and receive files in their sessions
	Rendezvous     string // URL of the rendezvous customers reach this program through; "" for direct links
	PreferQuality  bool   // keep every picture exact on slow links instead of moving video going lossy (viewer's choice)
}

// Preference keys.
const (
	prefName         = "name"
	prefUninstall    = "uninstall_at_end"
	prefDownloadDir  = "download_dir"
	prefAskWhere     = "ask_where"
	prefLanguage     = "language"
	prefAllowControl = "allow_control"
	prefAllowFiles   = "allow_files"
	prefRendezvous   = "rendezvous"
	prefQuality      = "prefer_quality"
)

// loadPrefs reads the settings, with the defaults for what was never set.
func loadPrefs(p fyne.Preferences, defaultName string) prefs {
	home, _ := os.UserHomeDir()
	return prefs{
		Name:           p.StringWithFallback(prefName, defaultName),
		UninstallAtEnd: p.BoolWithFallback(prefUninstall, true),
		DownloadDir:    p.StringWithFallback(prefDownloadDir, filepath.Join(home, "Downloads")),
		AskWhere:       p.BoolWithFallback(prefAskWhere, true),
		Language:       p.String(prefLanguage),
		AllowControl:   p.BoolWithFallback(prefAllowControl, true),
		AllowFiles:     p.BoolWithFallback(prefAllowFiles, true),
		Rendezvous:     p.String(prefRendezvous),
		PreferQuality:  p.Bool(prefQuality),
	}
}

func (pr prefs) save(p fyne.Preferences) {
	p.SetString(prefName, pr.Name)
	p.SetBool(prefUninstall, pr.UninstallAtEnd)
	p.SetString(prefDownloadDir, pr.DownloadDir)
	p.SetBool(prefAskWhere, pr.AskWhere)
	p.SetString(prefLanguage, pr.Language)
	p.SetBool(prefAllowControl, pr.AllowControl)
	p.SetBool(prefAllowFiles, pr.AllowFiles)
	p.SetString(prefRendezvous, pr.Rendezvous)
	p.SetBool(prefQuality, pr.PreferQuality)
}

// prefsWindow is the Preferences window. Use it on the UI goroutine only.
type prefsWindow struct {
	win       fyne.Window
	name      *widget.Entry
	uninstall *widget.Check
	dir       *widget.Entry
	askWhere  *widget.Check
	language  *widget.Select
	control   *widget.Check
	files     *widget.Check
	rv        *widget.Entry
	saveBtn   *widget.Button
}

// languageChoices are the Language list's entries, in the order of prefs.Language's values "", "en", "fr".
func languageChoices() []string {
	return []string{lang.L("prefs.language_system"), "English", "Français"}
}

var languageCodes = []string{"", "en", "fr"}

// openPrefs shows the Preferences window, building it if needed.
func (h *home) openPrefs() {
	if h.prefsWin != nil {
		h.prefsWin.win.Show()
		h.prefsWin.win.RequestFocus()
		return
	}
	pr := h.prefs
	pw := &prefsWindow{win: h.app.NewWindow(lang.L("prefs.title"))}
	h.prefsWin = pw
	pw.name = widget.NewEntry()
	pw.name.SetText(pr.Name)
	pw.uninstall = widget.NewCheck(lang.L("prefs.uninstall"), nil)
	pw.uninstall.SetChecked(pr.UninstallAtEnd)
	pw.dir = widget.NewEntry()
	pw.dir.SetText(pr.DownloadDir)
	browse := widget.NewButton(lang.L("prefs.browse"), func() {
		d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				pw.dir.SetText(u.Path())
			}
		}, pw.win)
		d.Show()
	})
	pw.askWhere = widget.NewCheck(lang.L("prefs.ask_where"), nil)
	pw.askWhere.SetChecked(pr.AskWhere)
	pw.language = widget.NewSelect(languageChoices(), nil)
	for i, c := range languageCodes {
		if c == pr.Language {
			pw.language.SetSelectedIndex(i)
		}
	}
	pw.control = widget.NewCheck(lang.L("prefs.allow_control"), nil)
	pw.control.SetChecked(pr.AllowControl)
	pw.files = widget.NewCheck(lang.L("prefs.allow_files"), nil)
	pw.files.SetChecked(pr.AllowFiles)
	pw.rv = widget.NewEntry()
	pw.rv.SetPlaceHolder("tls://rendezvous.example.com:4222")
	pw.rv.SetText(pr.Rendezvous)
	pw.rv.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil // direct links
		}
		if err := rendezvous.CheckURL(strings.TrimSpace(s)); err != nil {
			return errors.New(lang.L("prefs.rendezvous_bad"))
		}
		return nil
	}
	rvHint := widget.NewLabel(lang.L("prefs.rendezvous_hint"))
	rvHint.Wrapping = fyne.TextWrapWord
	pw.saveBtn = widget.NewButton(lang.L("prefs.save"), func() { h.savePrefs(pw) })
	pw.saveBtn.Importance = widget.HighImportance
	cancel := widget.NewButton(lang.L("prefs.cancel"), pw.win.Close)

	form := widget.NewForm(
		widget.NewFormItem(lang.L("prefs.name"), pw.name),
		widget.NewFormItem("", pw.uninstall),
		widget.NewFormItem(lang.L("prefs.download_dir"), container.NewBorder(nil, nil, nil, browse, pw.dir)),
		widget.NewFormItem("", pw.askWhere),
		widget.NewFormItem(lang.L("prefs.permissions"), container.NewVBox(pw.control, pw.files)),
		widget.NewFormItem(lang.L("prefs.language"), pw.language),
		widget.NewFormItem(lang.L("prefs.rendezvous"), container.NewVBox(pw.rv, rvHint)),
	)
	note := widget.NewLabel(lang.L("prefs.note"))
	note.Wrapping = fyne.TextWrapWord
	pw.win.SetContent(container.NewPadded(container.NewVBox(form, note, container.NewHBox(layout.NewSpacer(), cancel, pw.saveBtn))))
	pw.win.Resize(fyne.NewSize(560, 0))
	pw.win.SetOnClosed(func() {
		if h.prefsWin == pw {
			h.prefsWin = nil
		}
	})
	pw.win.Show()
}

// savePrefs keeps what the window says and applies it: the name and the uninstall request from the next session,
// the permissions at once, the language at once when no session runs (the home window is built again in it),
// else at the next start (a session's windows are not rebuilt under a technician's hands).
func (h *home) savePrefs(pw *prefsWindow) {
	if err := pw.rv.Validate(); err != nil {
		dialog.ShowError(err, pw.win)
		return
	}
	pr := h.prefs
	pr.Rendezvous = strings.TrimSpace(pw.rv.Text)
	pr.Name = pw.name.Text
	pr.UninstallAtEnd = pw.uninstall.Checked
	pr.DownloadDir = pw.dir.Text
	pr.AskWhere = pw.askWhere.Checked
	if i := pw.language.SelectedIndex(); i >= 0 && i < len(languageCodes) {
		pr.Language = languageCodes[i]
	}
	pr.AllowControl = pw.control.Checked
	pr.AllowFiles = pw.files.Checked
	pr.save(h.app.Preferences())
	changed := pr.Language != h.prefs.Language
	h.prefs = pr
	for _, v := range h.viewers() {
		v.refresh()
	}
	pw.win.Close()
	if changed && len(h.sessions) == 0 {
		if err := i18n.Register(pr.Language); err == nil {
			h.rebuild()
		}
	}
}
