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
	"github.com/tandem-remote/tandem/shared/session"
	"github.com/tandem-remote/tandem/shared/ui"
	"github.com/tandem-remote/tandem/shared/version"
)

func main() {
	var opts options
	flag.StringVar(&opts.name, "name", os.Getenv("TANDEM_NAME"), "your name as the technician sees it")
	flag.StringVar(&opts.addr, "addr", "", "the technician's address (host:port) to use with a bare support key")
	language := flag.String("lang", "", "language: en or fr (default: the system's)")
	shot := flag.String("screenshot", "", "once joined, save the window to this PNG file (for headless runs)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] [tandem://join?…]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVersion {
		fmt.Println("Tandem Customer", version.Program)
		return
	}
	if err := i18n.Register(*language); err != nil {
		log.Fatal(err)
	}
	a := app.NewWithID("org.tandem-remote.customer")
	t := newToolbar(a, opts)
	if *shot != "" {
		t.opts.onState = func(s state) {
			if s == stateJoined {
				ui.Screenshot(t.win, *shot)
			}
		}
	}
	// A join link given as an argument (as the tandem:// handler passes it) joins at once.
	if arg := flag.Arg(0); arg != "" && session.LooksLikeLink(arg) {
		t.keyEntry.SetText(arg)
	}
	ui.QuitOnSignal(a)
	t.win.ShowAndRun()
	t.shutdown() // after Quit too, not only when the window is closed
}
