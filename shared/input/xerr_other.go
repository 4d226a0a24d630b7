//go:build cgo && (windows || darwin)

package input

// platformInit has nothing to check here.
func platformInit() error { return nil }

// platformErrors is always 0: robotgo reports no asynchronous errors here.
func platformErrors() uint64 { return 0 }

// platformClose has nothing to release here.
func platformClose() {}
