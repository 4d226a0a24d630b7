package ui

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// SaveScreenshot writes what w shows on screen to a PNG file, for headless demos and end-to-end tests. On X11
// it reads the window's pixels from the X server, which is what a person would see (Fyne's own Canvas.Capture
// reads back the GL front buffer, which Mesa under Xvfb leaves blank); elsewhere it falls back to
// Canvas.Capture. Call it on the UI goroutine.
func SaveScreenshot(w fyne.Window, path string) error {
	img, err := captureWindow(w)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		_ = f.Close()
		return fmt.Errorf("screenshot: %w", err)
	}
	return f.Close()
}

func captureWindow(w fyne.Window) (image.Image, error) {
	var handle uintptr
	if nw, ok := w.(driver.NativeWindow); ok {
		nw.RunNative(func(ctx any) {
			if x, ok := ctx.(driver.X11WindowContext); ok {
				handle = x.WindowHandle
			}
		})
	}
	if handle == 0 {
		return w.Canvas().Capture(), nil
	}
	return captureX11(handle)
}

// Screenshot saves w to path once it has been redrawn. Call it on the UI goroutine.
func Screenshot(w fyne.Window, path string) {
	go func() {
		time.Sleep(screenshotSettle) // let the last change reach the screen
		fyne.Do(func() {
			if err := SaveScreenshot(w, path); err != nil {
				fyne.LogError("saving screenshot", err)
			}
		})
	}()
}

// screenshotSettle is how long Screenshot lets the window redraw first.
const screenshotSettle = 500 * time.Millisecond
