package ui

import (
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
)

// QuitOnSignal makes SIGINT and SIGTERM quit the app the way closing its windows does, so that a session in
// progress is ended properly (the peer is told) rather than cut off. The watcher lives as long as the process.
func QuitOnSignal(a fyne.App) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		signal.Stop(ch) // a second signal kills at once
		fyne.Do(a.Quit)
	}()
}
