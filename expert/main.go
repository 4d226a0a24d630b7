// Tandem Expert is the technician's program: it hosts support sessions that customers join with a key.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/store"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		os.Exit(reportCommand(os.Args[2:], os.Stdout, os.Stderr, store.OpenDefault))
	}
	var opts options
	flag.StringVar(&opts.listen, "listen", "", "UDP address to listen on (default: all interfaces, any port)")
	flag.StringVar(&opts.advertise, "advertise", "", "host name or address the join link names (default: this machine's LAN address)")
	flag.StringVar(&opts.name, "name", defaultName(), "your name as the customer sees it")
	rv := flag.String("rendezvous", "", "URL of the rendezvous customers reach you through, e.g. tls://rv.example.com:4222 (default: the preference; none: direct links on one network)")
	flag.BoolVar(&opts.path.Loopback, "rendezvous-loopback", false, "let paths through the rendezvous use loopback addresses (a demo on one machine)")
	language := flag.String("lang", "", "language: en or fr (default: the system's)")
	newSession := flag.Bool("new-session", false, "start a session at once")
	join := flag.String("join", "", "join a colleague's session at once with the invitation link they sent (tandem://join?…&invite=…)")
	linkFile := flag.String("link-file", "", "write each new join link, and each invitation for a colleague, to this file (for the demo)")
	shot := flag.String("screenshot", "", "once the customer's screen shows, save the viewer window to this PNG file (for headless runs)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("Tandem Expert", version.Program)
		return
	}
	set := map[string]bool{} // the flags given on the command line win over the preferences
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	ui.QuietFyneNoise()
	a := app.NewWithID("org.tandem-remote.expert")
	if icon := ui.AppIcon(); icon != nil {
		a.SetIcon(icon)
	}
	if !set["lang"] {
		*language = loadPrefs(a.Preferences(), "").Language
	}
	if err := i18n.Register(*language); err != nil {
		log.Fatal(err)
	}
	if *linkFile != "" {
		opts.onLink = func(l session.Link) {
			if err := os.WriteFile(*linkFile, []byte(l.String()+"\n"), 0o600); err != nil {
				log.Printf("writing join link: %v", err)
			}
		}
	}
	st, err := store.OpenDefault(context.Background())
	if err != nil {
		log.Printf("history: %v", err)
		opts.storeErr = err
	} else {
		opts.store = st
		defer func() { _ = st.Close() }()
	}
	if dbPath, err := store.DefaultPath(); err == nil {
		opts.identity, opts.identityErr = loadIdentity(filepath.Join(filepath.Dir(dbPath), identityFile))
	} else {
		opts.identityErr = err
	}
	if opts.identityErr != nil {
		log.Printf("identity: %v", opts.identityErr)
	}
	h := newHome(a, opts)
	if set["name"] {
		h.prefs.Name = opts.name
	}
	if set["rendezvous"] {
		if err := rendezvous.CheckURL(*rv); *rv != "" && err != nil {
			log.Fatalf("-rendezvous: %v", err)
		}
		h.prefs.Rendezvous = *rv
	}
	if *shot != "" {
		taken := false
		h.opts.onPaint = func() {
			if !taken {
				// Once the customer's picture is there. The viewer, which opens on Joined, is the window of
				// the session (and covers the home window on a screen without a window manager).
				taken = true
				w := h.win
				if vs := h.viewers(); len(vs) > 0 && vs[0].win != nil {
					w = vs[0].win
				}
				ui.Screenshot(w, *shot)
			}
		}
	}
	switch {
	case *join != "":
		lk, err := session.ParseLink(*join)
		if err != nil || !lk.IsInvite() {
			log.Fatal(lang.L("expert.colleague_bad_link"))
		}
		h.joinColleague(lk)
	case *newSession || *shot != "":
		h.startSession()
	}
	h.opts.quitting = ui.ExitIfStuck // closing the home window quits
	ui.QuitOnSignal(a, h.gate)
	h.win.ShowAndRun()
	h.shutdown() // after Quit too, not only when the window is closed
}

func defaultName() string {
	for _, v := range []string{"TANDEM_NAME", "USER", "USERNAME"} {
		if n := os.Getenv(v); n != "" {
			return n
		}
	}
	return ""
}
