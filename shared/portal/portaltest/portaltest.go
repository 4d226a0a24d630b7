//go:build linux || freebsd || openbsd || netbsd

// Package portaltest runs a stand-in for xdg-desktop-portal's RemoteDesktop and ScreenCast interfaces on a
// private D-Bus session bus, for tests of shared/portal and of the programs that use it on Wayland. It answers
// as a person at the system's dialog would (allow, or cancel), hands out the PipeWire remote the test gives it,
// keeps restore tokens as the real portal does (single use; a valid one restores without a dialog), and
// records every input call.
package portaltest

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	picker "github.com/tandem-remote/tandem/shared/picker/portaltest"
	"github.com/tandem-remote/tandem/shared/portal"
)

// Config is what the stand-in portal offers.
type Config struct {
	// Streams are the monitors a person who allows shares (Node and Bounds; Bounds may be empty).
	Streams []portal.Stream
	// Remote returns a new file descriptor for OpenPipeWireRemote (the portal closes its copy when the
	// session closes, or at the end of the test); nil answers with an error.
	Remote func() (int, error)
	// Version is the RemoteDesktop interface's version (2 when 0): restore tokens need 2.
	Version uint32
	// Devices are the device types offered (keyboard and pointer when 0).
	Devices uint32
	// NoRemoteDesktop leaves out the RemoteDesktop interface (a compositor without it).
	NoRemoteDesktop bool
}

// Event is one input call the portal received.
type Event struct {
	Method  string  // "NotifyPointerMotionAbsolute", "NotifyPointerButton", …
	Stream  uint32  // motion: the stream node
	X, Y    float64 // motion: the position in the stream
	Button  int32   // button: the evdev code
	Keysym  int32   // keysym
	Pressed bool    // button, keysym
	Axis    uint32  // discrete axis
	Steps   int32   // discrete axis
}

func (e Event) String() string {
	switch e.Method {
	case "NotifyPointerMotionAbsolute":
		return fmt.Sprintf("move %d (%g,%g)", e.Stream, e.X, e.Y)
	case "NotifyPointerButton":
		return fmt.Sprintf("button %#x %v", e.Button, e.Pressed)
	case "NotifyKeyboardKeysym":
		return fmt.Sprintf("keysym %#x %v", e.Keysym, e.Pressed)
	case "NotifyPointerAxisDiscrete":
		return fmt.Sprintf("axis %d %d", e.Axis, e.Steps)
	}
	return e.Method
}

// Portal is the stand-in portal.
type Portal struct {
	conn *dbus.Conn
	cfg  Config

	mu       sync.Mutex
	refuse   bool
	dialogs  int
	given    []string        // restore tokens received by SelectDevices
	valid    map[string]bool // tokens that would restore
	issued   int
	sessions map[dbus.ObjectPath]*session
	events   []Event
	opened   int    // OpenPipeWireRemote calls answered
	cursor   uint32 // the cursor mode the last SelectSources asked for
}

type session struct {
	sender  string
	devices uint32 // asked for
	token   string // restore token given
	persist uint32
	sources bool   // SelectSources called
	started uint32 // devices granted at Start; 0 before
	running bool   // Start answered yes
	screen  bool   // a ScreenCast session (no input), not a RemoteDesktop one
	cursor  uint32
	fds     []int // the PipeWire remotes handed out: our copies, closed with the session
}

// Start starts a private session bus with the stand-in portal on it and points DBUS_SESSION_BUS_ADDRESS at it
// for the rest of the test.
func Start(t testing.TB, cfg Config) *Portal {
	t.Helper()
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	if cfg.Devices == 0 {
		cfg.Devices = portal.DeviceKeyboard | portal.DevicePointer
	}
	address := picker.StartBusOnly(t)
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	p := &Portal{conn: conn, cfg: cfg, valid: map[string]bool{}, sessions: map[dbus.ObjectPath]*session{}}
	t.Cleanup(func() {
		_ = conn.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, s := range p.sessions {
			p.closeFDs(s)
		}
	})
	if !cfg.NoRemoteDesktop {
		if err := conn.Export(remoteDesktop{p}, portal.ObjectPath, portal.RemoteDesktopIface); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Export(screenCast{p}, portal.ObjectPath, portal.ScreenCastIface); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(properties{p}, portal.ObjectPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName(portal.BusName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("portal: taking the name: %v %v", r, err)
	}
	return p
}

// Refuse makes the person cancel the dialogs from now on (or allow again).
func (p *Portal) Refuse(refuse bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = refuse
}

// Dialogs returns how many times the system's dialog was shown (a start without a valid restore token).
func (p *Portal) Dialogs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialogs
}

// TokensGiven returns the restore tokens the portal was given, in order ("" for a start without one).
func (p *Portal) TokensGiven() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.given...)
}

// Revoke forgets every restore token, as the person revoking the permission in the system's settings.
func (p *Portal) Revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.valid)
}

// Sessions returns how many sessions are open.
func (p *Portal) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// CloseSessions ends every session as the system does when the person stops sharing from its indicator.
func (p *Portal) CloseSessions(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	paths := make([]dbus.ObjectPath, 0, len(p.sessions))
	for path := range p.sessions {
		paths = append(paths, path)
	}
	for _, s := range p.sessions {
		p.closeFDs(s)
	}
	clear(p.sessions)
	p.mu.Unlock()
	for _, path := range paths {
		_ = p.conn.Export(nil, path, portal.SessionIface)
		if err := p.conn.Emit(path, portal.SessionIface+".Closed", map[string]dbus.Variant{}); err != nil {
			t.Fatal(err)
		}
	}
}

// Input returns the input calls received so far.
func (p *Portal) Input() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// WaitInput waits until at least n input calls came, and returns them; it fails the test after timeout.
func (p *Portal) WaitInput(t testing.TB, n int, timeout time.Duration) []Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ev := p.Input()
		if len(ev) >= n {
			return ev
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal: %d input calls after %v, want %d: %v", len(ev), timeout, n, ev)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ResetInput forgets the input calls received so far.
func (p *Portal) ResetInput() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = nil
}

// CursorMode returns the cursor mode the last SelectSources asked for (0 if none).
func (p *Portal) CursorMode() uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursor
}

// RemotesOpened returns how many PipeWire remotes the portal handed out.
func (p *Portal) RemotesOpened() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opened
}

// requestPath is the Request object's path for a call from sender with options' handle_token.
func requestPath(sender dbus.Sender, options map[string]dbus.Variant) dbus.ObjectPath {
	token, _ := options["handle_token"].Value().(string)
	if token == "" {
		token = fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	return dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + senderPart(sender) + "/" + token)
}

func senderPart(sender dbus.Sender) string {
	return strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_")
}

// respond emits the Response of the request at path. The client subscribed before calling, so the signal
// may come before the method's reply.
func (p *Portal) respond(path dbus.ObjectPath, status uint32, results map[string]dbus.Variant) *dbus.Error {
	if err := p.conn.Emit(path, portal.RequestIface+".Response", status, results); err != nil {
		return dbus.MakeFailedError(err)
	}
	return nil
}

// lookup returns the session at path if sender owns it.
func (p *Portal) lookup(sender dbus.Sender, path dbus.ObjectPath) (*session, *dbus.Error) {
	s := p.sessions[path]
	if s == nil || s.sender != string(sender) {
		return nil, dbus.MakeFailedError(fmt.Errorf("invalid session %s", path))
	}
	return s, nil
}

type remoteDesktop struct{ p *Portal }

func (r remoteDesktop) CreateSession(sender dbus.Sender, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return r.p.createSession(sender, options, false)
}

// createSession creates a RemoteDesktop session, or a ScreenCast one (screen).
func (p *Portal) createSession(sender dbus.Sender, options map[string]dbus.Variant, screen bool) (dbus.ObjectPath, *dbus.Error) {
	token, _ := options["session_handle_token"].Value().(string)
	if token == "" {
		return "", dbus.MakeFailedError(fmt.Errorf("no session_handle_token"))
	}
	path := dbus.ObjectPath("/org/freedesktop/portal/desktop/session/" + senderPart(sender) + "/" + token)
	p.mu.Lock()
	p.sessions[path] = &session{sender: string(sender), screen: screen}
	p.mu.Unlock()
	if err := p.conn.Export(sessionObject{p, path}, path, portal.SessionIface); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	req := requestPath(sender, options)
	return req, p.respond(req, 0, map[string]dbus.Variant{"session_handle": dbus.MakeVariant(string(path))})
}

func (r remoteDesktop) SelectDevices(sender dbus.Sender, handle dbus.ObjectPath, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	p := r.p
	p.mu.Lock()
	s, derr := p.lookup(sender, handle)
	if derr == nil && s.screen {
		derr = dbus.MakeFailedError(fmt.Errorf("a screen cast session has no devices"))
	}
	if derr == nil {
		s.devices, _ = options["types"].Value().(uint32)
		s.token, _ = options["restore_token"].Value().(string)
		s.persist, _ = options["persist_mode"].Value().(uint32)
		p.given = append(p.given, s.token)
	}
	p.mu.Unlock()
	if derr != nil {
		return "", derr
	}
	req := requestPath(sender, options)
	return req, p.respond(req, 0, map[string]dbus.Variant{})
}

func (r remoteDesktop) Start(sender dbus.Sender, handle dbus.ObjectPath, parent string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return r.p.start(sender, handle, options, false)
}

// start answers RemoteDesktop.Start, or ScreenCast.Start (screen), as the person at the dialog would.
func (p *Portal) start(sender dbus.Sender, handle dbus.ObjectPath, options map[string]dbus.Variant, screen bool) (dbus.ObjectPath, *dbus.Error) {
	req := requestPath(sender, options)
	p.mu.Lock()
	s, derr := p.lookup(sender, handle)
	if derr == nil && s.screen != screen {
		derr = dbus.MakeFailedError(fmt.Errorf("started through the wrong interface"))
	}
	if derr != nil {
		p.mu.Unlock()
		return "", derr
	}
	restored := s.token != "" && p.valid[s.token]
	delete(p.valid, s.token) // single use
	if !restored {
		p.dialogs++
		if p.refuse {
			p.mu.Unlock()
			return req, p.respond(req, 1, map[string]dbus.Variant{})
		}
	}
	s.started, s.running = s.devices&p.cfg.Devices, true
	results := map[string]dbus.Variant{}
	if !screen {
		results["devices"] = dbus.MakeVariant(s.started)
	}
	if s.persist == portal.PersistUntilRevoked {
		p.issued++
		token := fmt.Sprintf("restore-%d", p.issued)
		p.valid[token] = true
		results["restore_token"] = dbus.MakeVariant(token)
	}
	if s.sources {
		type stream struct {
			Node  uint32
			Props map[string]dbus.Variant
		}
		var streams []stream
		for _, st := range p.cfg.Streams {
			props := map[string]dbus.Variant{"source_type": dbus.MakeVariant(portal.SourceMonitor)}
			if !st.Bounds.Empty() {
				props["position"] = dbus.MakeVariant(struct{ X, Y int32 }{int32(st.Bounds.Min.X), int32(st.Bounds.Min.Y)}) //nolint:gosec // test sizes
				props["size"] = dbus.MakeVariant(struct{ W, H int32 }{int32(st.Bounds.Dx()), int32(st.Bounds.Dy())})       //nolint:gosec // test sizes
			}
			if st.ID != "" {
				props["id"] = dbus.MakeVariant(st.ID)
			}
			streams = append(streams, stream{st.Node, props})
		}
		results["streams"] = dbus.MakeVariant(streams)
	}
	p.mu.Unlock()
	return req, p.respond(req, 0, results)
}

// input checks that the session was started with the device and records e.
func (p *Portal) input(sender dbus.Sender, handle dbus.ObjectPath, device uint32, e Event) *dbus.Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, derr := p.lookup(sender, handle)
	if derr != nil {
		return derr
	}
	if s.started&device == 0 {
		return dbus.MakeFailedError(fmt.Errorf("%s: device not granted", e.Method))
	}
	if e.Method == "NotifyPointerMotionAbsolute" {
		known := false
		for _, st := range p.cfg.Streams {
			known = known || st.Node == e.Stream
		}
		if !known || !s.sources {
			return dbus.MakeFailedError(fmt.Errorf("unknown stream %d", e.Stream))
		}
	}
	p.events = append(p.events, e)
	return nil
}

func (r remoteDesktop) NotifyPointerMotionAbsolute(sender dbus.Sender, h dbus.ObjectPath, _ map[string]dbus.Variant, stream uint32, x, y float64) *dbus.Error {
	return r.p.input(sender, h, portal.DevicePointer, Event{Method: "NotifyPointerMotionAbsolute", Stream: stream, X: x, Y: y})
}

func (r remoteDesktop) NotifyPointerButton(sender dbus.Sender, h dbus.ObjectPath, _ map[string]dbus.Variant, button int32, state uint32) *dbus.Error {
	return r.p.input(sender, h, portal.DevicePointer, Event{Method: "NotifyPointerButton", Button: button, Pressed: state == 1})
}

func (r remoteDesktop) NotifyPointerAxisDiscrete(sender dbus.Sender, h dbus.ObjectPath, _ map[string]dbus.Variant, axis uint32, steps int32) *dbus.Error {
	return r.p.input(sender, h, portal.DevicePointer, Event{Method: "NotifyPointerAxisDiscrete", Axis: axis, Steps: steps})
}

func (r remoteDesktop) NotifyKeyboardKeysym(sender dbus.Sender, h dbus.ObjectPath, _ map[string]dbus.Variant, keysym int32, state uint32) *dbus.Error {
	return r.p.input(sender, h, portal.DeviceKeyboard, Event{Method: "NotifyKeyboardKeysym", Keysym: keysym, Pressed: state == 1})
}

type screenCast struct{ p *Portal }

func (c screenCast) SelectSources(sender dbus.Sender, handle dbus.ObjectPath, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	p := c.p
	p.mu.Lock()
	s, derr := p.lookup(sender, handle)
	if derr == nil {
		types, _ := options["types"].Value().(uint32)
		_, hasToken := options["restore_token"]
		_, hasPersist := options["persist_mode"]
		switch {
		case types&portal.SourceMonitor == 0:
			derr = dbus.MakeFailedError(fmt.Errorf("no monitor source asked for"))
		case !s.screen && (hasToken || hasPersist):
			derr = dbus.MakeFailedError(fmt.Errorf("a remote desktop session persists through SelectDevices"))
		default:
			if s.screen {
				s.token, _ = options["restore_token"].Value().(string)
				s.persist, _ = options["persist_mode"].Value().(uint32)
				p.given = append(p.given, s.token)
			}
			s.sources = true
			s.cursor, _ = options["cursor_mode"].Value().(uint32)
			p.cursor = s.cursor
		}
	}
	p.mu.Unlock()
	if derr != nil {
		return "", derr
	}
	req := requestPath(sender, options)
	return req, p.respond(req, 0, map[string]dbus.Variant{})
}

func (c screenCast) OpenPipeWireRemote(sender dbus.Sender, handle dbus.ObjectPath, _ map[string]dbus.Variant) (dbus.UnixFD, *dbus.Error) {
	p := c.p
	p.mu.Lock()
	s, derr := p.lookup(sender, handle)
	if derr == nil && !s.running {
		derr = dbus.MakeFailedError(fmt.Errorf("session not started"))
	}
	p.mu.Unlock()
	if derr != nil {
		return -1, derr
	}
	if p.cfg.Remote == nil {
		return -1, dbus.MakeFailedError(fmt.Errorf("no PipeWire here"))
	}
	fd, err := p.cfg.Remote()
	if err != nil {
		return -1, dbus.MakeFailedError(err)
	}
	p.mu.Lock()
	p.opened++
	if s := p.sessions[handle]; s != nil {
		s.fds = append(s.fds, fd)
	} else {
		defer func() { _ = syscall.Close(fd) }()
	}
	p.mu.Unlock()
	return dbus.UnixFD(fd), nil //nolint:gosec // a file descriptor
}

func (c screenCast) CreateSession(sender dbus.Sender, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return c.p.createSession(sender, options, true)
}

func (c screenCast) Start(sender dbus.Sender, handle dbus.ObjectPath, parent string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	return c.p.start(sender, handle, options, true)
}

type sessionObject struct {
	p    *Portal
	path dbus.ObjectPath
}

func (s sessionObject) Close(sender dbus.Sender) *dbus.Error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, derr := p.lookup(sender, s.path); derr != nil {
		return derr
	}
	p.closeFDs(p.sessions[s.path])
	delete(p.sessions, s.path)
	return nil
}

// closeFDs closes the portal's copies of the remotes handed out to s, as the real portal keeps none.
func (p *Portal) closeFDs(s *session) {
	if s == nil {
		return
	}
	for _, fd := range s.fds {
		_ = syscall.Close(fd)
	}
	s.fds = nil
}

type properties struct{ p *Portal }

func (pr properties) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	cfg := pr.p.cfg
	switch {
	case iface == portal.RemoteDesktopIface && !cfg.NoRemoteDesktop && name == "version":
		return dbus.MakeVariant(cfg.Version), nil
	case iface == portal.RemoteDesktopIface && !cfg.NoRemoteDesktop && name == "AvailableDeviceTypes":
		return dbus.MakeVariant(cfg.Devices), nil
	case iface == portal.ScreenCastIface && name == "version":
		return dbus.MakeVariant(uint32(4)), nil
	case iface == portal.ScreenCastIface && name == "AvailableSourceTypes":
		return dbus.MakeVariant(portal.SourceMonitor | 2), nil
	case iface == portal.ScreenCastIface && name == "AvailableCursorModes":
		return dbus.MakeVariant(portal.CursorHidden | portal.CursorEmbedded | portal.CursorMetadata), nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"no such property " + iface + "." + name})
}
