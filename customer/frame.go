package main

import (
	"errors"
	"image"
	"log"
	"sync/atomic"

	"github.com/tandem-remote/tandem/shared/screenframe"
)

// Colour and width of the frame around the shared monitor while a technician views it.
const (
	frameColour = 0xffcc00
	frameWidth  = 4
)

// screenFrame keeps the frame around the shared monitor while it is viewed. A goroutine of its own draws and
// removes it (talking to the window system takes a while, and the UI goroutine never waits for it); the fields
// belong to the UI goroutine.
type screenFrame struct {
	wishes[image.Rectangle]             // the monitor to frame, the empty rectangle for none
	shown                   atomic.Bool // a frame is on screen (for tests)
}

// frameScreen asks for the frame around the shared monitor (on) or for none.
func (t *toolbar) frameScreen(on bool) {
	if t.opts.portal != nil {
		return // Wayland: the system shows its own sharing indicator, and an X11 frame would sit in the wrong place
	}
	k := &t.frame
	var r image.Rectangle
	if on {
		var ok bool
		if r, ok = t.sharedMonitor(); !ok {
			return
		}
	} else if !k.started() {
		return
	}
	k.wish(r, k.run)
}

// stopFrame removes the frame and waits for the goroutine, at shutdown.
func (t *toolbar) stopFrame() { t.frame.end() }

func (k *screenFrame) run(want <-chan image.Rectangle, stop <-chan struct{}) {
	var f *screenframe.Frame
	var at image.Rectangle
	remove := func() {
		f.Close()
		f, at = nil, image.Rectangle{}
		k.shown.Store(false)
	}
	defer remove()
	warned := false
	for {
		select {
		case r := <-want:
			if r == at {
				continue
			}
			remove()
			if r.Empty() {
				continue
			}
			nf, err := screenframe.Show(r, frameColour, frameWidth)
			if err != nil {
				if !warned && !errors.Is(err, screenframe.ErrUnsupported) {
					log.Printf("drawing the frame around the shared screen: %v", err)
				}
				warned = true
				continue
			}
			f, at = nf, r
			k.shown.Store(true)
		case <-stop:
			return
		}
	}
}
