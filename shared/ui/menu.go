package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// ShowMenuUnder shows menu as a pop-up under the button b of canvas c (a button that opens a menu, as File
// transfer does).
func ShowMenuUnder(c fyne.Canvas, b *widget.Button, menu *fyne.Menu) {
	widget.ShowPopUpMenuAtRelativePosition(menu, c, fyne.NewPos(0, b.Size().Height), b)
}
