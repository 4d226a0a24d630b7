//go:build linux || freebsd || openbsd || netbsd

package ui

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2/driver"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// keepAboveNative keeps the X window of ctx above the others (or stops).
func keepAboveNative(ctx any, on bool) error {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok {
		return ErrAboveUnsupported // Wayland, say
	}
	return keepAboveX11(c.WindowHandle, on)
}

// keepAboveX11 sets or clears _NET_WM_STATE_ABOVE on the X window win. With a window manager (one that
// advertises _NET_SUPPORTING_WM_CHECK), the request goes to it as EWMH says: a client message to the root
// window. Without one, nobody would act on that message, so the state property is written directly, as a
// window manager would.
func keepAboveX11(win uintptr, on bool) error {
	c, err := xgb.NewConn()
	if err != nil {
		return fmt.Errorf("connecting to X: %w", err)
	}
	defer c.Close()
	return setAbove(c, xproto.Window(win), on)
}

func setAbove(c *xgb.Conn, w xproto.Window, on bool) error {
	root := xproto.Setup(c).DefaultScreen(c).Root
	state, err := atom(c, "_NET_WM_STATE")
	if err != nil {
		return err
	}
	above, err := atom(c, "_NET_WM_STATE_ABOVE")
	if err != nil {
		return err
	}
	wm, err := hasWindowManager(c, root)
	if err != nil {
		return err
	}
	if wm {
		action := uint32(0) // _NET_WM_STATE_REMOVE
		if on {
			action = 1 // _NET_WM_STATE_ADD
		}
		ev := xproto.ClientMessageEvent{Format: 32, Window: w, Type: state,
			Data: xproto.ClientMessageDataUnionData32New([]uint32{action, uint32(above), 0, 1, 0})} // 1: an application
		return xproto.SendEventChecked(c, false, root,
			xproto.EventMaskSubstructureNotify|xproto.EventMaskSubstructureRedirect, string(ev.Bytes())).Check()
	}
	reply, err := xproto.GetProperty(c, false, w, state, xproto.AtomAtom, 0, 64).Reply()
	if err != nil {
		return fmt.Errorf("reading the window state: %w", err)
	}
	atoms := atomList(reply)
	has := slices.Contains(atoms, above)
	switch {
	case on && !has:
		atoms = append(atoms, above)
	case !on && has:
		atoms = slices.DeleteFunc(atoms, func(a xproto.Atom) bool { return a == above })
	default:
		return nil
	}
	data := make([]byte, 4*len(atoms))
	for i, a := range atoms {
		xgb.Put32(data[4*i:], uint32(a))
	}
	return xproto.ChangePropertyChecked(c, xproto.PropModeReplace, w, state, xproto.AtomAtom, 32,
		uint32(len(atoms)), data).Check() //nolint:gosec // a handful of atoms
}

// hasWindowManager reports whether an EWMH window manager runs: the root's _NET_SUPPORTING_WM_CHECK names a
// window.
func hasWindowManager(c *xgb.Conn, root xproto.Window) (bool, error) {
	check, err := atom(c, "_NET_SUPPORTING_WM_CHECK")
	if err != nil {
		return false, err
	}
	reply, err := xproto.GetProperty(c, false, root, check, xproto.AtomWindow, 0, 1).Reply()
	if err != nil {
		return false, fmt.Errorf("looking for a window manager: %w", err)
	}
	return reply.Format == 32 && reply.ValueLen == 1, nil
}

func atom(c *xgb.Conn, name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c, false, uint16(len(name)), name).Reply() //nolint:gosec // short constant names
	if err != nil {
		return 0, fmt.Errorf("atom %s: %w", name, err)
	}
	return r.Atom, nil
}

// atomList reads a property of type ATOM.
func atomList(r *xproto.GetPropertyReply) []xproto.Atom {
	if r.Format != 32 {
		return nil
	}
	out := make([]xproto.Atom, 0, r.ValueLen)
	for i := 0; i+4 <= len(r.Value); i += 4 {
		out = append(out, xproto.Atom(xgb.Get32(r.Value[i:])))
	}
	return out
}
