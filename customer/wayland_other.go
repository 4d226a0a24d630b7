//go:build !(linux || freebsd || openbsd || netbsd)

package main

// portalAccess is the desktop portal of Wayland desktops: there is none on this system.
type portalAccess struct{}

func detectPortal() *portalAccess        { return nil }
func (t *toolbar) needsPortal() bool     { return false }
func (t *toolbar) askPortal(then func()) { then() }
func (t *toolbar) openPortalForHelper()  {}
func (t *toolbar) closePortal()          {}
func portalReason(error) (string, bool)  { return "", false }
