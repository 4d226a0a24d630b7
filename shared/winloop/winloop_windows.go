//go:build windows

package winloop

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	user32                = windows.NewLazySystemDLL("user32.dll")
	procGetMessage        = user32.NewProc("GetMessageW")
	procTranslateMessage  = user32.NewProc("TranslateMessage")
	procDispatchMessage   = user32.NewProc("DispatchMessageW")
	procPostThreadMessage = user32.NewProc("PostThreadMessageW")
)

const wmQuit = 0x0012

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

// Start locks a new goroutine to its thread and runs setup there; if setup fails, Start returns its error.
// Otherwise the thread then runs its message loop, handing each message to onMessage (nil: none) before
// dispatching it to its window, until stop is called; cleanup (from setup, may be nil) runs on the thread at the
// end. stop waits for the thread to be done.
func Start(setup func() (cleanup func(), err error), onMessage func(message uint32)) (stop func(), err error) {
	errc := make(chan error, 1)
	tid := make(chan uint32, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cleanup, err := setup()
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			errc <- err
			return
		}
		tid <- windows.GetCurrentThreadId()
		errc <- nil
		var m msg
		for {
			r, _, _ := procGetMessage.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // WM_QUIT, or an error
				return
			}
			if onMessage != nil {
				onMessage(m.message)
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
	return func() {
		procPostThreadMessage.Call(uintptr(id), wmQuit, 0, 0)
		<-done
	}, nil
}
