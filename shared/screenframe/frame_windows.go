//go:build windows

package screenframe

import (
	"fmt"
	"image"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/tandem-remote/tandem/shared/winloop"
)

var (
	user32                  = windows.NewLazySystemDLL("user32.dll")
	gdi32                   = windows.NewLazySystemDLL("gdi32.dll")
	procRegisterClassEx     = user32.NewProc("RegisterClassExW")
	procCreateWindowEx      = user32.NewProc("CreateWindowExW")
	procDestroyWindow       = user32.NewProc("DestroyWindow")
	procDefWindowProc       = user32.NewProc("DefWindowProcW")
	procSetLayeredAttribute = user32.NewProc("SetLayeredWindowAttributes")
	procSetClassLongPtr     = user32.NewProc("SetClassLongPtrW")
	procInvalidateRect      = user32.NewProc("InvalidateRect")
	procCreateSolidBrush    = gdi32.NewProc("CreateSolidBrush")
	procDeleteObject        = gdi32.NewProc("DeleteObject")
)

const (
	wsPopup         = 0x80000000
	wsVisible       = 0x10000000
	wsExTopmost     = 0x00000008
	wsExToolWindow  = 0x00000080
	wsExTransparent = 0x00000020 // with WS_EX_LAYERED: the pointer goes through
	wsExLayered     = 0x00080000
	wsExNoActivate  = 0x08000000
	lwaAlpha        = 0x2
	className       = "TandemScreenFrame"
	errClassExists  = 1410 // ERROR_CLASS_ALREADY_EXISTS
)

type wndClassEx struct {
	size, style                        uint32
	wndProc                            uintptr
	clsExtra, wndExtra                 int32
	instance, icon, cursor, background windows.Handle
	menuName, className                *uint16
	iconSm                             windows.Handle
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
	colorRef := (rgb&0xff)<<16 | rgb&0xff00 | rgb>>16&0xff // COLORREF is 0x00BBGGRR
	stop, err := winloop.Start(func() (func(), error) {
		brush, _, _ := procCreateSolidBrush.Call(uintptr(colorRef))
		var wins []uintptr
		cleanup := func() {
			for _, w := range wins {
				procDestroyWindow.Call(w)
			}
			procDeleteObject.Call(brush)
		}
		for _, e := range edges(r, width) {
			w, _, err := procCreateWindowEx.Call(wsExTopmost|wsExToolWindow|wsExTransparent|wsExLayered|wsExNoActivate,
				uintptr(unsafe.Pointer(classNameW)), uintptr(unsafe.Pointer(emptyTitleW)), wsPopup|wsVisible,
				uintptr(e.Min.X), uintptr(e.Min.Y), uintptr(e.Dx()), uintptr(e.Dy()), 0, 0, 0, 0)
			if w == 0 {
				return cleanup, fmt.Errorf("screenframe: CreateWindowEx: %w", err)
			}
			wins = append(wins, w)
			procSetLayeredAttribute.Call(w, 0, 255, lwaAlpha)
			setBrush(w, brush)
		}
		return cleanup, nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return &Frame{close: stop}, nil
}

// setBrush paints w with brush (GCLP_HBRBACKGROUND of its class, set before the first paint).
func setBrush(w, brush uintptr) {
	const gclpHbrBackground = ^uintptr(9) // -10
	procSetClassLongPtr.Call(w, gclpHbrBackground, brush)
	procInvalidateRect.Call(w, 0, 1) // a repaint with the new background
}
