package rendezvous

import (
	"errors"
	"strings"
	"testing"
)

// TestTLSPin connects over TLS and secure WebSocket to a rendezvous with a self-signed certificate: with the
// right "#sha256=" pin the client works, with a wrong pin it fails with ErrPinMismatch, and without a pin the
// system roots refuse the certificate. TURN over TLS uses the same certificate.
func TestTLSPin(t *testing.T) {
	tc, der := selfSigned(t)
	cfg := testConfig(t)
	cfg.TLS = tc
	cfg.TURNTLSListen = "127.0.0.1:0"
	srv := startServer(t, cfg)
	pin := "#sha256=" + Fingerprint(der)
	wrong := "#sha256=" + strings.Repeat("ab", 32)
	if !strings.HasPrefix(srv.ClientURL(), "tls://") || !strings.HasPrefix(srv.WebSocketURL(), "wss://") {
		t.Fatalf("URLs %s, %s: want tls:// and wss://", srv.ClientURL(), srv.WebSocketURL())
	}
	for _, base := range []string{srv.ClientURL(), srv.WebSocketURL()} {
		t.Run(base[:strings.Index(base, ":")], func(t *testing.T) {
			c := dial(t, base+pin)
			np, err := c.Create(ctx(t))
			if err != nil {
				t.Fatalf("Create over a pinned connection: %v", err)
			}
			if turnAddrs := srv.TURNAddrs(); turnAddrs.TLS == nil {
				t.Fatal("no TURN TLS listener")
			}
			addr, _, _ := turnAddr(t, np.ICE, "turns", "tcp")
			if addr != srv.TURNAddrs().TLS.String() {
				t.Errorf("turns URL %s, want %s", addr, srv.TURNAddrs().TLS)
			}

			_, err = Dial(ctx(t), base+wrong, DialOptions{})
			if !errors.Is(err, ErrPinMismatch) {
				t.Errorf("Dial with a wrong pin = %v, want ErrPinMismatch", err)
			}
			if _, err := Dial(ctx(t), base, DialOptions{}); err == nil {
				t.Error("Dial without a pin accepted a self-signed certificate")
			}
		})
	}
}

// TestParseURL checks the accepted URL forms and that each refusal says what is wrong.
func TestParseURL(t *testing.T) {
	pin := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		in      string
		wantURL string
		wantErr string
		pinned  bool
	}{
		{in: "nats://rv.example.org:4222", wantURL: "nats://rv.example.org:4222"},
		{in: "tls://rv.example.org", wantURL: "tls://rv.example.org"},
		{in: "tls://10.0.0.1:4222#sha256=" + pin, wantURL: "tls://10.0.0.1:4222", pinned: true},
		{in: "wss://rv.example.org/tandem#sha256=" + pin, wantURL: "wss://rv.example.org/tandem", pinned: true},
		{in: "ws://[::1]:8080/x", wantURL: "ws://[::1]:8080/x"},
		{in: " TLS://rv.example.org ", wantURL: "tls://rv.example.org"},
		{in: "", wantErr: "empty"},
		{in: "rv.example.org:4222", wantErr: "scheme"},
		{in: "http://rv.example.org", wantErr: "not one of"},
		{in: "tls://", wantErr: "no host"},
		{in: "tls://rv.example.org:99999", wantErr: "bad port"},
		{in: "tls://user:pw@rv.example.org", wantErr: "user name"},
		{in: "tls://rv.example.org/path", wantErr: "no path"},
		{in: "tls://rv.example.org#md5=00", wantErr: "fragment"},
		{in: "tls://rv.example.org#sha256=abc", wantErr: "64 hex"},
		{in: "nats://rv.example.org#sha256=" + pin, wantErr: "needs tls"},
	} {
		ep, err := ParseURL(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseURL(%q) error = %v, want one mentioning %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if ep.URL != tc.wantURL || (ep.Pin != nil) != tc.pinned {
			t.Errorf("ParseURL(%q) = %+v, want URL %s pinned %v", tc.in, ep, tc.wantURL, tc.pinned)
		}
	}
}
