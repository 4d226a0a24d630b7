package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/joinstamp"
	"github.com/tandem-remote/tandem/shared/rendezvous"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start runs the program with args until the end of the test and returns the lines it printed before
// "ready", by name.
func start(t *testing.T, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		if err := <-errc; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	lines := make(map[string]string)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		name, val, _ := strings.Cut(sc.Text(), " ")
		if name == "ready" {
			return lines
		}
		lines[name] = strings.TrimSpace(val)
	}
	t.Fatalf("run stopped before it was ready: %v", <-errc)
	return nil
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key as PEM files.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rendezvous test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestRunLoopback starts the program on loopback without a certificate (allowed there), reads the printed
// URLs and uses them; cancelling the context stops it cleanly.
func TestRunLoopback(t *testing.T) {
	lines := start(t, "-nats", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "",
		"-metrics", "127.0.0.1:0", "-log-level", "warn")
	for _, name := range []string{"nats", "websocket", "turn-udp", "metrics"} {
		if lines[name] == "" {
			t.Errorf("no %s line in %v", name, lines)
		}
	}
	if _, ok := lines["nats-pin"]; ok {
		t.Error("a pin line without a certificate")
	}
	c, err := rendezvous.Dial(t.Context(), lines["nats"], rendezvous.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create(t.Context()); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

// TestRunWithCert starts the program with a self-signed certificate and connects with the printed pinned URLs.
func TestRunWithCert(t *testing.T) {
	cert, key := writeCert(t)
	lines := start(t, "-nats", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "",
		"-turn-tls", "127.0.0.1:0", "-cert", cert, "-key", key, "-log-level", "warn")
	for _, name := range []string{"nats-pin", "websocket-pin"} {
		u := lines[name]
		if !strings.Contains(u, "#sha256=") {
			t.Fatalf("%s line %q has no pin", name, u)
		}
		c, err := rendezvous.Dial(t.Context(), u, rendezvous.DialOptions{})
		if err != nil {
			t.Fatalf("Dial %s: %v", u, err)
		}
		_, err = c.Create(t.Context())
		c.Close()
		if err != nil {
			t.Fatalf("Create over %s: %v", u, err)
		}
	}
	if lines["turn-tls"] == "" {
		t.Errorf("no turn-tls line in %v", lines)
	}
}

// TestRefusals checks that bad or dangerous command lines are refused before anything listens, with a message
// that names the problem.
func TestRefusals(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-nats", ":4222", "-turn-udp", "", "-turn-tcp", ""}, "-insecure"},
		{[]string{"-nats", "127.0.0.1:0", "-ws", "0.0.0.0:443", "-turn-udp", "", "-turn-tcp", ""}, "-insecure"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-cert", "x.pem"}, "go together"},
		{[]string{"-nats", "127.0.0.1:0"}, "-public-ip"},
		{[]string{"-nats", "127.0.0.1:0", "-public-ip", "nope"}, "not an IP"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "", "-relay-ports", "9-1"}, "LOW-HIGH"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-turn-external", "turn:x:3478"}, "-turn-secret-file"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-turn-secret-file", secret, "-turn-external", "http://x"}, "not a stun:"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-routes", "nats-route://x:6222"}, "need -cluster"},
		{[]string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-cluster", "c", "-cluster-listen", "127.0.0.1:0"}, "routes"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		err := run(t.Context(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// TestRunJoinPage starts the program with its join page, as a customer's browser and a technician's Expert
// would use it: the technician's nameplate names the page, the page takes the key and hands out a copy of
// Tandem Customer stamped with the URL the program prints, over HTTPS with the rendezvous's certificate.
func TestRunJoinPage(t *testing.T) {
	cert, key := writeCert(t)
	releases := t.TempDir()
	if err := os.WriteFile(filepath.Join(releases, "tandem-customer-1.0.0-x86_64.AppImage"), []byte("\x7fELF customer"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := start(t, "-nats", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-turn-udp", "127.0.0.1:0", "-turn-tcp", "",
		"-cert", cert, "-key", key, "-web", "127.0.0.1:0", "-releases", releases, "-log-level", "warn")
	page := lines["join-page"]
	if !strings.HasPrefix(page, "https://127.0.0.1:") || !strings.HasSuffix(page, "/") {
		t.Fatalf("join-page line %q", page)
	}
	tech, err := rendezvous.Dial(t.Context(), lines["nats-pin"], rendezvous.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tech.Close()
	np, err := tech.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if np.JoinPage != page {
		t.Fatalf("the nameplate names the page %q, want %q", np.JoinPage, page)
	}
	pool := x509.NewCertPool()
	pemBytes, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.PostForm(page+"download", url.Values{"key": {np.Name + "54321"}, "file": {"linux-x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	saved := filepath.Join(t.TempDir(), "tandem-customer-"+np.Name+"54321-x86_64.AppImage")
	if err := os.WriteFile(saved, body, 0o755); err != nil {
		t.Fatal(err)
	}
	if rv, err := joinstamp.Read(saved); err != nil || rv != lines["websocket-pin"] {
		t.Fatalf("stamp %q, %v; want the WebSocket URL %q", rv, err, lines["websocket-pin"])
	}
}

func TestJoinPageFlagsNeedWeb(t *testing.T) {
	err := run(t.Context(), []string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-releases", t.TempDir()},
		io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-web") {
		t.Fatalf("run = %v", err)
	}
	err = run(t.Context(), []string{"-nats", "127.0.0.1:0", "-turn-udp", "", "-turn-tcp", "", "-web", "0.0.0.0:0"},
		io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "without a certificate") {
		t.Fatalf("a page beyond loopback without a certificate: %v", err)
	}
}
