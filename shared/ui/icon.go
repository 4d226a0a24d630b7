package ui

import (
	"sync"

	"fyne.io/fyne/v2"

	"github.com/tandem-remote/tandem/assets"
)

// AppIcon is the Tandem icon as a PNG resource, for windows and the system tray; nil (Fyne's own icon then)
// if it cannot be drawn, which the log says.
var AppIcon = sync.OnceValue(func() fyne.Resource {
	b, err := assets.IconPNG(256)
	if err != nil {
		fyne.LogError("drawing the Tandem icon", err)
		return nil
	}
	return fyne.NewStaticResource("tandem.png", b)
})
