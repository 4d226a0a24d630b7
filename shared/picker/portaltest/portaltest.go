// Package portaltest runs a private D-Bus session bus with a stand-in for xdg-desktop-portal's FileChooser, for
// the tests of the programs' file dialogs: each OpenFile call reaches the test, which answers it as a person at
// the dialog would (these files, that folder, or Cancel).
package portaltest

import (
	"bufio"
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Call is one OpenFile call as the portal received it.
type Call struct {
	Parent, Title, Accept string
	Multiple, Directory   bool

	p    *Portal
	path dbus.ObjectPath
}

// Answer answers the call as if the person chose paths (files or folders).
func (c *Call) Answer(t testing.TB, paths ...string) {
	t.Helper()
	uris := make([]string, len(paths))
	for i, p := range paths {
		uris[i] = (&url.URL{Scheme: "file", Path: p}).String()
	}
	c.respond(t, 0, map[string]dbus.Variant{"uris": dbus.MakeVariant(uris)})
}

// Cancel answers the call as if the person pressed Cancel.
func (c *Call) Cancel(t testing.TB) { c.respond(t, 1, map[string]dbus.Variant{}) }

func (c *Call) respond(t testing.TB, status uint32, results map[string]dbus.Variant) {
	t.Helper()
	if err := c.p.conn.Emit(c.path, "org.freedesktop.portal.Request.Response", status, results); err != nil {
		t.Fatalf("portal: answering: %v", err)
	}
}

// Portal is the stand-in portal on a private bus.
type Portal struct {
	conn  *dbus.Conn
	calls chan *Call
}

// Start starts a private session bus (dbus-daemon) and the portal on it, and points DBUS_SESSION_BUS_ADDRESS at
// it for the rest of the test. Without dbus-daemon the test fails: CI installs it.
func Start(t testing.TB) *Portal {
	t.Helper()
	address := StartBusOnly(t)
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	p := &Portal{conn: conn, calls: make(chan *Call, 16)}
	if err := conn.Export(fileChooser{p}, "/org/freedesktop/portal/desktop", "org.freedesktop.portal.FileChooser"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.freedesktop.portal.Desktop", dbus.NameFlagDoNotQueue); err != nil ||
		r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("portal: taking the name: %v %v", r, err)
	}
	return p
}

// StartBusOnly starts a private session bus without any portal (a desktop without xdg-desktop-portal), points
// DBUS_SESSION_BUS_ADDRESS at it for the rest of the test and returns its address.
func StartBusOnly(t testing.TB) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is not installed (Debian: dbus-daemon): %v", err)
	}
	dir := t.TempDir()
	// A configuration of its own: no service directories, so that the bus never starts the machine's real
	// xdg-desktop-portal in place of the stand-in (or of nothing).
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+config, "--nofork", "--nopidfile", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // its warnings (an fd limit it may not raise) are said only if it fails
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	var address string
	select {
	case address = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon did not print its address: %s", stderr.String())
	}
	if address == "" {
		t.Fatalf("dbus-daemon did not start: %s", stderr.String())
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", address)
	return address
}

// Next returns the next OpenFile call, or fails the test after timeout.
func (p *Portal) Next(t testing.TB, timeout time.Duration) *Call {
	t.Helper()
	select {
	case c := <-p.calls:
		return c
	case <-time.After(timeout):
		t.Fatalf("no file dialog was asked for within %v", timeout)
		return nil
	}
}

type fileChooser struct{ p *Portal }

// OpenFile is the portal's method: it hands the call to the test and returns the request's path, as
// xdg-desktop-portal does (the answer comes later, as a Response signal on that path).
func (f fileChooser) OpenFile(sender dbus.Sender, parent, title string, options map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	token, _ := options["handle_token"].Value().(string)
	if token == "" {
		token = "t" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	}
	s := strings.ReplaceAll(strings.TrimPrefix(string(sender), ":"), ".", "_")
	c := &Call{Parent: parent, Title: title, p: f.p,
		path: dbus.ObjectPath("/org/freedesktop/portal/desktop/request/" + s + "/" + token)}
	c.Accept, _ = options["accept_label"].Value().(string)
	c.Multiple, _ = options["multiple"].Value().(bool)
	c.Directory, _ = options["directory"].Value().(bool)
	f.p.calls <- c
	return c.path, nil
}
