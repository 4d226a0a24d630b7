package rendezvous

import (
	"context"
	"crypto/tls"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/rendezvous/internal/testcert"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testLog returns a logger writing to the test log when -v is given.
func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}

// clock is a settable time source for Config.now.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// testConfig is a loopback configuration without TLS and with every listener on a free port.
func testConfig(t *testing.T) Config {
	return Config{
		NATSListen:        "127.0.0.1:0",
		WebSocketListen:   "127.0.0.1:0",
		TURNUDPListen:     "127.0.0.1:0",
		TURNTCPListen:     "127.0.0.1:0",
		TURNSecret:        []byte("test-secret"),
		AllowPrivatePeers: true,
		MetricsListen:     "127.0.0.1:0",
		Log:               testLog(t),
	}
}

// startServer starts a rendezvous and closes it at the end of the test.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// ctx returns the test context with a deadline.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// claimed connects an expert and a customer to url, has the expert create a nameplate and the customer claim it,
// and returns both clients, the nameplate and the customer's mailbox.
func claimed(t *testing.T, url string) (expert, customer *Client, np *Nameplate, cmb *Mailbox) {
	t.Helper()
	expert, customer = dial(t, url), dial(t, url)
	np, err := expert.Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	cmb, _, err = customer.Claim(ctx(t), np.Name)
	if err != nil {
		t.Fatal(err)
	}
	return expert, customer, np, cmb
}

// dial connects a client and closes it at the end of the test.
func dial(t *testing.T, url string) *Client {
	t.Helper()
	c, err := Dial(ctx(t), url, DialOptions{Log: testLog(t)})
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(c.Close)
	return c
}

// selfSigned returns a TLS configuration with a fresh self-signed certificate for 127.0.0.1, and the
// certificate's DER.
func selfSigned(t *testing.T) (*tls.Config, []byte) { return testcert.SelfSigned(t) }

// recv receives one message from mb.
func recv(t *testing.T, mb *Mailbox) string {
	t.Helper()
	b, err := mb.Recv(ctx(t))
	if err != nil {
		t.Fatalf("Recv on %s: %v", mb.ID(), err)
	}
	return string(b)
}
