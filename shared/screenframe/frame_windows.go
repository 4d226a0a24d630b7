//go:build windows

package screenframe

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32                  = windows.NewLazySystemDLL("user32.dll")
	gdi32                   = windows.NewLazySystemDLL("gdi32.dll")
	procRegisterClassEx     = user32.NewProc("RegisterClassExW")
	procCreateWindowEx      = user32.NewProc("CreateWindowExW")
	procDestroyWindow       = user32.NewProc("DestroyWindow")
	procDefWindowProc       = user32.NewProc("DefWindowProcW")
	procGetMessage          = user32.NewProc("GetMessageW")
	procTranslateMessage    = user32.NewProc("TranslateMessage")
	procDispatchMessage     = user32.NewProc("DispatchMessageW")
	procPostThreadMessage   = user32.NewProc("PostThreadMessageW")
	procSetLayeredAttribute = user32.NewProc("SetLayeredWindowAttributes")
	procCreateSolidBrush    = gdi32.NewProc("CreateSolidBrush")
	procDeleteObject        = gdi32.NewProc("DeleteObject")
)

const (
	wsPopup           = 0x80000000
	wsVisible         = 0x10000000
	wsExTopmost       = 0x00000008
	wsExToolWindow    = 0x00000080
	wsExTransparent   = 0x00000020 // with WS_EX_LAYERED: the pointer goes through
	wsExLayered       = 0x00080000
	wsExNoActivate    = 0x08000000
	lwaAlpha          = 0x2
	wmQuit            = 0x0012
	className         = "TandemScreenFrame"
	errClassExists    = 1410 // ERROR_CLASS_ALREADY_EXISTS
	colorRefBlueShift = 16
)

type wndClassEx struct {
	size, style                        uint32
	wndProc                            uintptr
	clsExtra, wndExtra                 int32
	instance, icon, cursor, background windows.Handle
	menuName, className                *uint16
	iconSm                             windows.Handle
}

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

var (
	wndProc     = windows.NewCallback(func(hwnd, m, w, l uintptr) uintptr { r, _, _ := procDefWindowProc.Call(hwnd, m, w, l); return r })
	classOnce   sync.Once
	classErr    error
	classNameW  = windows.StringToUTF16Ptr(className)
	emptyTitleW = windows.StringToUTF16Ptr("")
)

// show creates the four bars on a thread of their own, whose message loop keeps them alive until Close.
func show(r image.Rectangle, rgb uint32, width int) (*Frame, error) {
	classOnce.Do(func() {
		wc := wndClassEx{wndProc: wndProc, className: classNameW}
		wc.size = uint32(unsafe.Sizeof(wc))
		if a, _, err := procRegisterClassEx.Call(uintptr(unsafe.Pointer(&wc))); a == 0 && err != windows.Errno(errClassExists) {
			classErr = fmt.Errorf("RegisterClassEx: %w", err)
		}
	})
	if classErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, classErr)
	}
	// COLORREF is 0x00BBGGRR.
	colorRef := (rgb&0xff)<<colorRefBlueShift | rgb&0xff00 | rgb>>16&0xff
	errc := make(chan error, 1)
	tid := make(chan uint32, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		brush, _, _ := procCreateSolidBrush.Call(uintptr(colorRef))
		defer procDeleteObject.Call(brush)
		var wins []uintptr
		defer func() {
			for _, w := range wins {
				procDestroyWindow.Call(w)
			}
		}()
		for _, e := range edges(r, width) {
			w, _, err := procCreateWindowEx.Call(wsExTopmost|wsExToolWindow|wsExTransparent|wsExLayered|wsExNoActivate,
				uintptr(unsafe.Pointer(classNameW)), uintptr(unsafe.Pointer(emptyTitleW)), wsPopup|wsVisible,
				uintptr(e.Min.X), uintptr(e.Min.Y), uintptr(e.Dx()), uintptr(e.Dy()), 0, 0, 0, 0)
			if w == 0 {
				errc <- fmt.Errorf("screenframe: CreateWindowEx: %w", err)
				return
			}
			wins = append(wins, w)
			procSetLayeredAttribute.Call(w, 0, 255, lwaAlpha)
			setBrush(w, brush)
		}
		tid <- windows.GetCurrentThreadId()
		errc <- nil
		var m msg
		for {
			r, _, _ := procGetMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT, or an error
				return
			}
			procTranslateMessage.Call(uintptr(unsafe.Pointer(&m)))
			procDispatchMessage.Call(uintptr(unsafe.Pointer(&m)))
		}
	}()
	if err := <-errc; err != nil {
		<-done
		return nil, err
	}
	id := <-tid
	return &Frame{close: func() {
		procPostThreadMessage.Call(uintptr(id), wmQuit, 0, 0)
		<-done
	}}, nil
}

var procSetClassLongPtr = user32.NewProc("SetClassLongPtrW")

// setBrush paints w with brush (GCLP_HBRBACKGROUND of its class, set before the first paint).
func setBrush(w, brush uintptr) {
	const gclpHbrBackground = ^uintptr(9) // -10
	procSetClassLongPtr.Call(w, gclpHbrBackground, brush)
	// A repaint with the new background.
	user32.NewProc("InvalidateRect").Call(w, 0, 1)
}
