package main

import (
	"log"
	"os"

	"github.com/tandem-remote/tandem/shared/joinstamp"
	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/session"
)

// launchedFile is the file the program was started from: the AppImage (its runtime sets $APPIMAGE, in FUSE and
// extract-and-run modes alike), else the executable.
func launchedFile() string {
	if p := os.Getenv("APPIMAGE"); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// launchLink reads the session that a copy downloaded from a join page carries: the support key in the file's
// name, and the rendezvous stamped at its end (else the one given with -rendezvous). ok is false when the name
// carries no key, or when nothing says where to meet the technician.
func launchLink(file, rendezvousFlag string) (session.Link, bool) {
	key := joinstamp.KeyFromName(file)
	if key == "" {
		return session.Link{}, false
	}
	rv, err := joinstamp.Read(file)
	if err == nil {
		if err := rendezvous.CheckURL(rv); err != nil {
			log.Printf("%s: the stamped rendezvous %q is not usable: %v", file, rv, err)
			rv = ""
		}
	}
	if rv == "" {
		rv = rendezvousFlag
	}
	if rv == "" {
		return session.Link{}, false
	}
	return session.Link{Rendezvous: rv, Key: key}, true
}

// startFrom begins what the command line or the program's own file asks for. A join link given as an argument
// (as the tandem:// handler passes it) joins at once; so does a copy downloaded from a join page, named with the
// key. Otherwise the form waits for the customer, and the tandem:// link offer may come.
func (t *toolbar) startFrom(arg, file string) {
	if arg != "" && session.LooksLikeLink(arg) {
		t.keyEntry.SetText(arg)
		return
	}
	if lk, ok := launchLink(file, t.opts.rendezvous); ok {
		t.keyEntry.SetText(lk.String())
		return
	}
	t.offerLinks() // not in the middle of joining: then it waits for the end of the session
}
