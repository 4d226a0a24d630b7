// Package winloop runs a Windows message loop on a thread of its own: what a hot key (RegisterHotKey without a
// window posts WM_HOTKEY to the registering thread) and windows created by Tandem itself (they live on the thread
// that created them) need. It exists on Windows only.
package winloop
