package ui

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
)

// QuitOnSignal makes SIGINT and SIGTERM quit the app the way closing its windows does, so that a session in
// progress is ended properly (the peer is told) rather than cut off. The gate closes at the signal, from the
// watcher's goroutine, before the app's loop stops: after that, session goroutines must not touch the windows.
// (Fyne's lifecycle hook OnStopped would be the natural place, but Fyne 2.7.1 can deadlock at exit when one is
// set: the hook goes to the main loop through a queue that the loop may have drained and left a moment before,
// and the process then never exits; TestDemoEndToEnd hung on it about one run in 40.) The watcher lives as long
// as the process.
func QuitOnSignal(a fyne.App, gate *Gate) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		signal.Stop(ch) // a second signal kills at once
		gate.Close()
		fyne.Do(a.Quit)
	}()
}
