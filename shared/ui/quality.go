package ui

import (
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/tandem-remote/tandem/shared/session"
)

// NewQualitySelect builds the list that chooses between speed (a moving video crosses a slow link as lossy
// video, exact once it stops) and quality (every picture exact, however slowly it comes), showing exact's
// choice; changed is called with each new choice. Where this build has no video decoder, the list is disabled
// and says noVideo instead.
func NewQualitySelect(exact bool, noVideo string, changed func(exact bool)) *widget.Select {
	speed, quality := lang.L("quality.prefer_speed"), lang.L("quality.prefer_quality")
	sel := widget.NewSelect([]string{speed, quality}, nil)
	sel.PlaceHolder = speed // its width is the list's: wide enough for either choice
	if len(quality) > len(speed) {
		sel.PlaceHolder = quality
	}
	if !session.LossyVideo() {
		sel.PlaceHolder = noVideo
		sel.Disable()
		return sel
	}
	if exact {
		sel.SetSelected(quality)
	} else {
		sel.SetSelected(speed)
	}
	sel.OnChanged = func(choice string) { changed(choice == quality) }
	return sel
}

// QualityEvery is how often a window writes a link's figures again (RouteQualityText) while pictures come.
const QualityEvery = time.Second

// Every has do run f (on the UI goroutine: do is fyne.Do or a test's loop) every d, from a goroutine that the
// returned stop ends; stop waits for it and may be called more than once. The window that shows what f writes
// owns it, and stops it when it closes.
func Every(d time.Duration, do func(func()), f func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				do(f) // only queues f: this never waits for the UI goroutine
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}
