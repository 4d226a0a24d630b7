package ui

import (
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
)

// QuitOnSignal makes SIGINT and SIGTERM quit the app the way closing its windows does, so that a session in
// progress is ended properly (the peer is told) rather than cut off. The gate closes at the signal, from the
// watcher's goroutine, before the app's loop stops: after that, session goroutines must not touch the windows.
// The process exits even if Fyne's loop does not stop (ExitIfStuck). The watcher lives as long as the process.
func QuitOnSignal(a fyne.App, gate *Gate) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		signal.Stop(ch)
		gate.Close()
		ExitIfStuck()
		fyne.Do(a.Quit)
	}()
}

// stuckAfter is how long a program that is quitting may take before ExitIfStuck ends it.
const stuckAfter = 15 * time.Second

var exitOnce sync.Once

// ExitIfStuck ends the process stuckAfter from now unless it has ended by then; call it when the program has
// begun to quit (its sessions ended or ending). Fyne 2.7.1 can hang at exit: its own stop hook goes to the main
// loop through a queue that the loop may have drained for the last time a moment before, and then the main
// goroutine waits forever in ShowAndRun for an event queue stuck behind it (Lifecycle.WaitForEvents). It did in
// about one run of the headless demo in 40, and a window that has gone would have left the program running
// unseen. Later calls do nothing; the goroutine lives until the process ends.
func ExitIfStuck() {
	exitOnce.Do(func() {
		go func() {
			time.Sleep(stuckAfter)
			log.Printf("the program did not stop within %v of quitting (the UI toolkit's loop hangs): exiting", stuckAfter)
			os.Exit(0)
		}()
	})
}
