//go:build linux || freebsd || openbsd || netbsd

// Package portal asks xdg-desktop-portal for a remote-desktop session on a Wayland desktop: the screen's
// monitors as PipeWire streams and the right to move the pointer and type, granted by the person at the
// computer in one system dialog (RemoteDesktop with ScreenCast sources in the same session).
//
//	s, err := portal.Start(ctx, portal.Options{RestoreToken: saved, Persist: true})
//	if errors.Is(err, portal.ErrRefused) { ... the person said no ... }
//	saved = s.RestoreToken() // single use: keep the new one after every start
//	fd, err := s.OpenPipeWireRemote(ctx) // for shared/capture/pipewire
//	err = s.PointerMotionAbsolute(s.Streams()[0].Node, 10, 20)
//
// The restore token (persist_mode 2) lets the next session of the same kind start without a dialog until the
// person revokes it in the system's settings. The package speaks D-Bus only (github.com/godbus/dbus/v5); the
// frames themselves are read by shared/capture/pipewire.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// The portal's names on the session bus.
const (
	BusName            = "org.freedesktop.portal.Desktop"
	ObjectPath         = dbus.ObjectPath("/org/freedesktop/portal/desktop")
	RemoteDesktopIface = "org.freedesktop.portal.RemoteDesktop"
	ScreenCastIface    = "org.freedesktop.portal.ScreenCast"
	RequestIface       = "org.freedesktop.portal.Request"
	SessionIface       = "org.freedesktop.portal.Session"
)

// Device types of RemoteDesktop.SelectDevices (a bit mask).
const (
	DeviceKeyboard uint32 = 1
	DevicePointer  uint32 = 2
)

// ScreenCast constants used here.
const (
	SourceMonitor       uint32 = 1 // types of SelectSources
	CursorMetadata      uint32 = 4 // cursor_mode: the pointer is sent apart from the frames, as metadata
	CursorHidden        uint32 = 1
	CursorEmbedded      uint32 = 2
	PersistUntilRevoked uint32 = 2 // persist_mode
)

// Request responses.
const (
	responseSuccess   = 0
	responseCancelled = 1
)

var (
	// ErrUnavailable is wrapped when the desktop has no portal, or one without the RemoteDesktop and
	// ScreenCast interfaces (a compositor that does not offer remote desktop, a session without a bus).
	ErrUnavailable = errors.New("the desktop offers no remote desktop portal")
	// ErrRefused is wrapped when the person at the computer cancelled the system's dialog.
	ErrRefused = errors.New("the person at the computer did not allow screen sharing and remote control")
	// ErrClosed is wrapped by calls on a session that is closed, by Close or by the system (the person
	// stopped it from the system's indicator).
	ErrClosed = errors.New("the remote desktop session is closed")
)

// Options are what Start asks for.
type Options struct {
	// RestoreToken is the token a previous session's RestoreToken returned; empty for none.
	RestoreToken string
	// Persist asks the system to remember the person's choice until they revoke it (persist_mode 2).
	Persist bool
	// ParentWindow identifies the application's window for the dialog ("x11:<hex XID>", "wayland:<handle>"),
	// empty when unknown.
	ParentWindow string
	// ScreenOnly asks for the monitors alone, in a ScreenCast session: the system's dialog asks only to share
	// the screen (the technician sharing their own), and the session has no input.
	ScreenOnly bool
}

// Stream is one monitor the person allowed.
type Stream struct {
	// Node is the PipeWire node to read the monitor's frames from.
	Node uint32
	// Bounds is where the monitor is in the compositor's logical coordinates (Position and Size of the
	// portal's answer); empty when the portal did not say (a single monitor: then the frame's size is
	// its size, at the origin).
	Bounds image.Rectangle
	// ID is the portal's opaque stream ID, empty when not given.
	ID string
}

// Session is a started remote-desktop session. Its methods are safe for concurrent use.
type Session struct {
	conn    *dbus.Conn
	handle  dbus.ObjectPath
	streams []Stream
	devices uint32
	token   string

	closeOnce sync.Once
	closed    chan struct{} // closed when the session ends, by Close or by the system
	done      chan struct{} // closed when watch returns
	mu        sync.Mutex
	why       error // why the session ended, set before closed is closed
}

// Start opens a connection to the session bus, creates a RemoteDesktop session, selects the keyboard and the
// pointer, selects every monitor as ScreenCast sources with the cursor as metadata, and starts it: the system
// shows its dialog unless the restore token lets it restore the person's earlier choice. It returns once the
// person answered, or ctx ended (the dialog is then closed).
func Start(ctx context.Context, o Options) (*Session, error) {
	conn, err := Connect() // not tied to ctx: the session outlives the start
	if err != nil {
		return nil, err
	}
	c, err := NewRequester(conn)
	if err == nil {
		var s *Session
		if s, err = c.start(ctx, o); err == nil {
			go s.watch(c.signals)
			return s, nil
		}
	}
	_ = conn.Close()
	return nil, err
}

// Connect opens a private connection to the session bus, authenticated and named, without starting a bus
// where there is none (a desktop without a session bus has no portal either). Its errors wrap ErrUnavailable.
func Connect() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
	}
	if err := conn.Auth(nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
	}
	if err := conn.Hello(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
	}
	return conn, nil
}

// Requester calls the portal's methods that answer later, through a Request object's Response signal. It
// takes every signal of its connection: one Requester per connection.
type Requester struct {
	conn    *dbus.Conn
	signals chan *dbus.Signal
	sender  string          // the connection's unique name as the portal writes it in paths ("1_42")
	session dbus.ObjectPath // the session's handle, once created: its end ends a waiting request
}

// NewRequester returns the Requester of conn, a connection from Connect.
func NewRequester(conn *dbus.Conn) (*Requester, error) {
	names := conn.Names()
	if len(names) == 0 {
		return nil, fmt.Errorf("portal: %w: no name on the session bus", ErrUnavailable)
	}
	c := &Requester{conn: conn, signals: make(chan *dbus.Signal, 32),
		sender: strings.ReplaceAll(strings.TrimPrefix(names[0], ":"), ".", "_")}
	conn.Signal(c.signals)
	return c, nil
}

func (c *Requester) start(ctx context.Context, o Options) (*Session, error) {
	portal := c.conn.Object(BusName, ObjectPath)

	// The interface the session is created and started through, and whether it can persist.
	iface, persists := RemoteDesktopIface, false
	var want uint32 // the devices asked for
	if o.ScreenOnly {
		iface = ScreenCastIface
		version, err := c.property(ctx, portal, ScreenCastIface, "version")
		if err != nil {
			return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
		}
		persists = version >= 4
	} else {
		version, err := c.property(ctx, portal, RemoteDesktopIface, "version")
		if err != nil {
			return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
		}
		devices, err := c.property(ctx, portal, RemoteDesktopIface, "AvailableDeviceTypes")
		if err != nil {
			return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
		}
		if want = (DeviceKeyboard | DevicePointer) & devices; want == 0 {
			return nil, fmt.Errorf("portal: %w: it offers neither keyboard nor pointer", ErrUnavailable)
		}
		persists = version >= 2
	}
	sources, err := c.property(ctx, portal, ScreenCastIface, "AvailableSourceTypes")
	if err != nil {
		return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
	}
	cursors, _ := c.property(ctx, portal, ScreenCastIface, "AvailableCursorModes") // version 2 and later
	if sources&SourceMonitor == 0 {
		return nil, fmt.Errorf("portal: %w: it cannot share monitors", ErrUnavailable)
	}
	// persist sets the options that make the person's choice last: on SelectDevices for a remote desktop, on
	// SelectSources for a screen cast.
	persist := func(opts map[string]dbus.Variant) {
		if !persists {
			return
		}
		if o.Persist {
			opts["persist_mode"] = dbus.MakeVariant(PersistUntilRevoked)
		}
		if o.RestoreToken != "" {
			opts["restore_token"] = dbus.MakeVariant(o.RestoreToken)
		}
	}

	sessionToken := c.token()
	res, err := c.Request(ctx, iface+".CreateSession",
		func(opts map[string]dbus.Variant) []any {
			opts["session_handle_token"] = dbus.MakeVariant(sessionToken)
			return []any{opts}
		})
	if err != nil {
		return nil, fmt.Errorf("portal: creating the session: %w", err)
	}
	var handle string
	if v, ok := res["session_handle"]; !ok || v.Store(&handle) != nil || !dbus.ObjectPath(handle).IsValid() {
		return nil, errors.New("portal: creating the session: no valid session handle in the answer")
	}
	s := &Session{conn: c.conn, handle: dbus.ObjectPath(handle), closed: make(chan struct{}), done: make(chan struct{})}
	c.session = s.handle
	if err := c.conn.AddMatchSignal(dbus.WithMatchInterface(SessionIface), dbus.WithMatchMember("Closed"),
		dbus.WithMatchObjectPath(s.handle)); err != nil {
		return nil, fmt.Errorf("portal: %w: %w", ErrUnavailable, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = c.conn.Object(BusName, s.handle).Call(SessionIface+".Close", dbus.FlagNoReplyExpected).Err
		}
	}()

	if !o.ScreenOnly {
		if _, err := c.Request(ctx, RemoteDesktopIface+".SelectDevices",
			func(opts map[string]dbus.Variant) []any {
				opts["types"] = dbus.MakeVariant(want)
				persist(opts)
				return []any{s.handle, opts}
			}); err != nil {
			return nil, fmt.Errorf("portal: choosing the keyboard and pointer: %w", err)
		}
	}
	cursor := CursorHidden // then the pointer is not in the frames, and not known either
	switch {
	case cursors&CursorMetadata != 0:
		cursor = CursorMetadata
	case cursors&CursorHidden == 0 && cursors&CursorEmbedded != 0:
		cursor = CursorEmbedded
	}
	if _, err := c.Request(ctx, ScreenCastIface+".SelectSources",
		func(opts map[string]dbus.Variant) []any {
			opts["types"] = dbus.MakeVariant(SourceMonitor)
			opts["multiple"] = dbus.MakeVariant(true)
			if cursors != 0 {
				opts["cursor_mode"] = dbus.MakeVariant(cursor)
			}
			if o.ScreenOnly {
				persist(opts)
			}
			return []any{s.handle, opts}
		}); err != nil {
		return nil, fmt.Errorf("portal: choosing the monitors: %w", err)
	}
	res, err = c.Request(ctx, iface+".Start",
		func(opts map[string]dbus.Variant) []any { return []any{s.handle, o.ParentWindow, opts} })
	if err != nil {
		return nil, fmt.Errorf("portal: starting: %w", err)
	}
	if err := s.readStart(res); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// readStart reads RemoteDesktop.Start's results.
func (s *Session) readStart(res map[string]dbus.Variant) error {
	if v, ok := res["devices"]; ok {
		if err := v.Store(&s.devices); err != nil {
			return fmt.Errorf("portal: the answer's devices: %w", err)
		}
	}
	if v, ok := res["restore_token"]; ok {
		if err := v.Store(&s.token); err != nil {
			return fmt.Errorf("portal: the answer's restore token: %w", err)
		}
	}
	var raw []struct {
		Node  uint32
		Props map[string]dbus.Variant
	}
	if v, ok := res["streams"]; ok {
		if err := v.Store(&raw); err != nil {
			return fmt.Errorf("portal: the answer's streams: %w", err)
		}
	}
	if len(raw) == 0 {
		return fmt.Errorf("portal: %w: no monitor was shared", ErrRefused)
	}
	for _, r := range raw {
		st := Stream{Node: r.Node}
		var pos, size struct{ X, Y int32 }
		hasPos := prop(r.Props, "position", &pos)
		if prop(r.Props, "size", &size) && size.X > 0 && size.Y > 0 {
			if !hasPos {
				pos = struct{ X, Y int32 }{}
			}
			st.Bounds = image.Rect(int(pos.X), int(pos.Y), int(pos.X)+int(size.X), int(pos.Y)+int(size.Y))
		}
		prop(r.Props, "id", &st.ID)
		s.streams = append(s.streams, st)
	}
	return nil
}

// prop stores the stream property key into dst, and reports whether it was there and of dst's type.
func prop(props map[string]dbus.Variant, key string, dst any) bool {
	v, ok := props[key]
	return ok && v.Store(dst) == nil
}

// property reads a uint32 property of the portal.
func (c *Requester) property(ctx context.Context, portal dbus.BusObject, iface, name string) (uint32, error) {
	var v dbus.Variant
	if err := portal.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, name).Store(&v); err != nil {
		return 0, fmt.Errorf("reading %s.%s: %w", iface, name, err)
	}
	var u uint32
	if err := v.Store(&u); err != nil {
		return 0, fmt.Errorf("reading %s.%s: %w", iface, name, err)
	}
	return u, nil
}

// token returns a new random handle token.
func (c *Requester) token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "tandem" + hex.EncodeToString(b[:])
}

// Request calls the portal's method (interface and name) and waits for its answer. It subscribes to the
// request's Response before the call (the answer cannot come before anyone listens), then calls with the
// arguments args returns; args receives the options with handle_token set. Errors: the person cancelling (or
// the portal ending the request otherwise) wraps ErrRefused; a portal that will not take the call, or a bus
// that closes, wraps ErrUnavailable; ctx ending returns ctx.Err() (the dialog is closed).
func (c *Requester) Request(ctx context.Context, method string,
	args func(opts map[string]dbus.Variant) []any) (map[string]dbus.Variant, error) {
	portal := c.conn.Object(BusName, ObjectPath)
	token := c.token()
	expected := dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + c.sender + "/" + token)
	match := []dbus.MatchOption{dbus.WithMatchInterface(RequestIface), dbus.WithMatchMember("Response"),
		dbus.WithMatchObjectPath(expected)}
	if err := c.conn.AddMatchSignal(match...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() { _ = c.conn.RemoveMatchSignal(match...) }()
	var handle dbus.ObjectPath
	if err := portal.CallWithContext(ctx, method, 0, args(map[string]dbus.Variant{"handle_token": dbus.MakeVariant(token)})...).Store(&handle); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	for {
		select {
		case sig, ok := <-c.signals:
			if !ok {
				return nil, fmt.Errorf("%w: the session bus closed", ErrUnavailable)
			}
			if sig.Name == SessionIface+".Closed" && sig.Path == c.session {
				return nil, fmt.Errorf("%w by the system", ErrClosed)
			}
			if sig.Name != RequestIface+".Response" || (sig.Path != handle && sig.Path != expected) {
				continue
			}
			return readResponse(sig)
		case <-ctx.Done():
			_ = c.conn.Object(BusName, handle).Call(RequestIface+".Close", 0).Err // the dialog goes away
			return nil, ctx.Err()
		}
	}
}

// readResponse reads a Response signal's (status, results).
func readResponse(sig *dbus.Signal) (map[string]dbus.Variant, error) {
	if len(sig.Body) != 2 {
		return nil, errors.New("a malformed answer from the portal")
	}
	status, ok := sig.Body[0].(uint32)
	results, ok2 := sig.Body[1].(map[string]dbus.Variant)
	if !ok || !ok2 {
		return nil, errors.New("a malformed answer from the portal")
	}
	switch status {
	case responseSuccess:
		return results, nil
	case responseCancelled:
		return nil, ErrRefused
	}
	return nil, fmt.Errorf("%w (the portal ended the request: status %d)", ErrRefused, status)
}

// watch follows the session's Closed signal until the connection closes.
func (s *Session) watch(signals <-chan *dbus.Signal) {
	defer close(s.done)
	for sig := range signals {
		if sig.Name == SessionIface+".Closed" && sig.Path == s.handle {
			s.end(fmt.Errorf("portal: %w by the system", ErrClosed))
		}
	}
	s.end(fmt.Errorf("portal: %w", ErrClosed))
}

// end marks the session ended for why, once.
func (s *Session) end(why error) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.why = why
		s.mu.Unlock()
		close(s.closed)
	})
}

// Streams returns the monitors the person allowed, in the portal's order.
func (s *Session) Streams() []Stream { return append([]Stream(nil), s.streams...) }

// Devices returns the devices the person allowed (DeviceKeyboard | DevicePointer bits).
func (s *Session) Devices() uint32 { return s.devices }

// RestoreToken returns the token to pass to the next Start, empty if the system gave none. It is single
// use: store it in place of the one Start was given.
func (s *Session) RestoreToken() string { return s.token }

// Closed is closed when the session ends (Close, or the system ended it).
func (s *Session) Closed() <-chan struct{} { return s.closed }

// Err says why the session ended, nil while it runs.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why
}

// OpenPipeWireRemote returns a file descriptor connected to the PipeWire daemon, on which the streams' nodes
// can be read. The caller owns it.
func (s *Session) OpenPipeWireRemote(ctx context.Context) (int, error) {
	if err := s.Err(); err != nil {
		return -1, err
	}
	var fd dbus.UnixFD
	if err := s.conn.Object(BusName, ObjectPath).CallWithContext(ctx, ScreenCastIface+".OpenPipeWireRemote", 0,
		s.handle, map[string]dbus.Variant{}).Store(&fd); err != nil {
		return -1, fmt.Errorf("portal: opening the PipeWire remote: %w", err)
	}
	if fd < 0 {
		return -1, errors.New("portal: opening the PipeWire remote: no file descriptor in the answer")
	}
	return int(fd), nil
}

// notify calls a RemoteDesktop.Notify* method on the session.
func (s *Session) notify(method string, args ...any) error {
	if err := s.Err(); err != nil {
		return err
	}
	all := append([]any{s.handle, map[string]dbus.Variant{}}, args...)
	if err := s.conn.Object(BusName, ObjectPath).Call(RemoteDesktopIface+"."+method, 0, all...).Err; err != nil {
		if e := s.Err(); e != nil {
			return e
		}
		return fmt.Errorf("portal: %s: %w", method, err)
	}
	return nil
}

// PointerMotionAbsolute moves the pointer to (x, y) in the logical coordinates of the stream with node
// stream (relative to its top-left corner).
func (s *Session) PointerMotionAbsolute(stream uint32, x, y float64) error {
	return s.notify("NotifyPointerMotionAbsolute", stream, x, y)
}

// PointerButton presses or releases a button given by its Linux evdev code (BTN_LEFT is 0x110).
func (s *Session) PointerButton(evdev int32, pressed bool) error {
	return s.notify("NotifyPointerButton", evdev, state(pressed))
}

// PointerAxisDiscrete scrolls by steps wheel notches on axis 0 (vertical; positive scrolls down) or 1
// (horizontal; positive scrolls right).
func (s *Session) PointerAxisDiscrete(axis uint32, steps int32) error {
	return s.notify("NotifyPointerAxisDiscrete", axis, steps)
}

// KeyboardKeysym presses or releases the key that makes the X keysym sym on the computer's keyboard layout.
func (s *Session) KeyboardKeysym(sym int32, pressed bool) error {
	return s.notify("NotifyKeyboardKeysym", sym, state(pressed))
}

func state(pressed bool) uint32 {
	if pressed {
		return 1
	}
	return 0
}

// Close ends the session (the system stops sharing and removes its indicator) and closes the connection.
// Calling it again does nothing.
func (s *Session) Close() error {
	if s.Err() == nil {
		_ = s.conn.Object(BusName, s.handle).Call(SessionIface+".Close", 0).Err
	}
	s.end(fmt.Errorf("portal: %w", ErrClosed))
	err := s.conn.Close()
	<-s.done
	if err != nil && !errors.Is(err, dbus.ErrClosed) {
		return err
	}
	return nil
}
