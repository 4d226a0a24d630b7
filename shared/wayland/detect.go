// Package wayland gives Tandem Customer the screen and the input of a Wayland desktop, where X11 capture
// sees nothing but XWayland windows and XTest input reaches nothing: one xdg-desktop-portal session
// (shared/portal) asks the person at the computer, in one system dialog, to share their monitors and allow
// remote control; the monitors' frames come from the PipeWire streams the portal opens
// (shared/capture/pipewire) through a capture.Source, and the technician's input goes back through the
// portal's Notify* calls through an input.Injector. The portal's restore token is kept in a file so that the
// next session asks again only if the person revoked their permission.
package wayland

// Kind is the kind of graphical session the program runs in.
type Kind int

// The kinds of session.
const (
	None    Kind = iota // no graphical session (a service, an SSH login)
	X11                 // an X11 session: capture and input through X
	Wayland             // a Wayland session: capture and input through the desktop portal
)

func (k Kind) String() string {
	switch k {
	case X11:
		return "x11"
	case Wayland:
		return "wayland"
	}
	return "none"
}

// Detect says what kind of session the environment getenv reads (os.Getenv) belongs to. XDG_SESSION_TYPE,
// which the login manager sets, decides; without it, WAYLAND_DISPLAY means Wayland and DISPLAY X11. A
// Wayland session also sets DISPLAY for XWayland: that is not an X11 session.
func Detect(getenv func(string) string) Kind {
	switch getenv("XDG_SESSION_TYPE") {
	case "wayland":
		return Wayland
	case "x11":
		return X11
	}
	switch {
	case getenv("WAYLAND_DISPLAY") != "":
		return Wayland
	case getenv("DISPLAY") != "":
		return X11
	}
	return None
}
