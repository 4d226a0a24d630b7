// Tandem Customer is the program of the person who needs help: it joins a technician's session with a support
// key or a join link, and keeps that person in charge of what happens on their computer.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"fyne.io/fyne/v2/app"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/input"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/unattended"
	"github.com/tandem-remote/tandem/shared/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "agent" { // the system's part of unattended access: no window
		os.Exit(agentMain(os.Args[2:], os.Stderr))
	}
	var opts options
	flag.StringVar(&opts.name, "name", os.Getenv("TANDEM_NAME"), "your name as the technician sees it")
	flag.StringVar(&opts.addr, "addr", "", "the technician's address (host:port) to use with a bare support key")
	flag.StringVar(&opts.rendezvous, "rendezvous", "", "URL of the rendezvous to meet the technician through with a bare support key (wins over -addr)")
	flag.BoolVar(&opts.path.Loopback, "rendezvous-loopback", false, "let paths through the rendezvous use loopback addresses (a demo on one machine)")
	language := flag.String("lang", "", "language: en or fr (default: the system's)")
	shot := flag.String("screenshot", "", "once joined, save the window to this PNG file (for headless runs)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.BoolVar(&opts.helper, "helper", false, "serve unattended access in this desktop session (started at login)")
	socket := flag.String("socket", unattended.LocalPaths().Socket, "the unattended access agent's socket (with -helper)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] [tandem://join?…]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVersion {
		fmt.Println("Tandem Customer", version.Program)
		return
	}
	if opts.rendezvous != "" {
		if err := rendezvous.CheckURL(opts.rendezvous); err != nil {
			log.Fatalf("-rendezvous: %v", err)
		}
	}
	ui.QuietFyneNoise()
	a := app.NewWithID("org.tandem-remote.customer")
	if icon := ui.AppIcon(); icon != nil {
		a.SetIcon(icon)
	}
	if *language == "" { // -lang wins over the language chosen in the window
		*language = a.Preferences().String(languagePref)
	}
	if err := i18n.Register(*language); err != nil {
		log.Fatal(err)
	}
	closeBackEnds := openBackEnds(&opts)
	opts.setup = systemSetup()
	opts.install = detectInstallation(a)
	t := newToolbar(a, opts)
	if *shot != "" {
		t.opts.onState = func(s state) {
			if s == stateJoined {
				ui.Screenshot(t.win, *shot)
			}
		}
	}
	if !opts.helper {
		t.opts.quitting = ui.ExitIfStuck // closing the toolbar ends the program (a helper's only hides)
	}
	ui.QuitOnSignal(a, t.gate)
	if opts.helper {
		if t.opts.portal != nil {
			t.openPortalForHelper()
		}
		hp := startHelper(t, *socket)
		a.Run() // the toolbar shows itself when the agent hands over a session
		hp.close()
	} else {
		t.startFrom(flag.Arg(0), launchedFile())
		t.win.ShowAndRun()
	}
	t.shutdown() // after Quit too, not only when the window is closed
	closeBackEnds()
}

// openBackEnds opens the screen source and the input injector that sessions use. One that fails is left out
// (the toolbar says, in plain words, that sharing or remote control cannot work here) and the details go to
// the log. The function returned closes what was opened, once no session uses it.
func openBackEnds(opts *options) (closeAll func()) {
	if opts.portal = detectPortal(); opts.portal != nil {
		// Wayland: X11 would see only XWayland's windows. The portal is asked before the first session, after
		// the toolbar has said what the system will ask (wayland_unix.go); the toolbar closes it.
		log.Print("Wayland desktop: the screen and the input go through the desktop portal")
		return func() {}
	}
	if src, err := capture.New(); err != nil {
		opts.screenErr = err
	} else if mons, err := src.Monitors(); err != nil || len(mons) == 0 {
		_ = src.Close()
		if err == nil {
			err = capture.ErrNoMonitor
		}
		opts.screenErr = fmt.Errorf("listing monitors: %w", err)
	} else {
		opts.screen, opts.monitor = src, mons[0].Index // primary first
	}
	if opts.screenErr != nil {
		log.Printf("screen sharing cannot work here: %v", opts.screenErr)
	}
	if inj, err := input.New(); err != nil {
		opts.injectorErr = err
		log.Printf("remote control cannot work here: %v", err)
	} else {
		opts.injector = inj
	}
	return func() {
		if opts.screen != nil {
			_ = opts.screen.Close()
		}
		if opts.injector != nil {
			_ = opts.injector.Close()
		}
	}
}
