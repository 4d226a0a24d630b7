package rendezvous

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMessageSize checks that a full-size message passes (nats-server's max payload leaves room for it) and a
// larger one is refused before it is sent.
func TestMessageSize(t *testing.T) {
	srv := startServer(t, testConfig(t))
	expert, _, np, cmb := claimed(t, srv.ClientURL())
	if err := cmb.Send(ctx(t), make([]byte, MaxMessageSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized Send = %v, want ErrTooLarge", err)
	}
	if err := cmb.Send(ctx(t), bytes.Repeat([]byte{7}, MaxMessageSize)); err != nil {
		t.Fatalf("full-size Send: %v", err)
	}
	emb := expert.Open(<-np.Claims)
	if got := recv(t, emb); len(got) != MaxMessageSize {
		t.Fatalf("received %d bytes, want %d", len(got), MaxMessageSize)
	}
}

// TestLogsHoldNoSecrets runs a session's worth of events (and some refusals) with every log at debug level,
// nats-server's and pion's included, and checks that no token, TURN credential, TURN secret or internal
// password appears.
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf lockedBuffer
	cfg := testConfig(t)
	cfg.TURNSecret = []byte("a-turn-secret-that-must-not-leak")
	cfg.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := startServer(t, cfg)

	tokens := []string{randomHex(16), randomHex(16)}
	var clients []*Client
	for _, tok := range tokens {
		c, err := Dial(ctx(t), srv.ClientURL(), DialOptions{Token: tok, Log: cfg.Log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		clients = append(clients, c)
	}
	np, err := clients[0].Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := clients[1].Claim(ctx(t), np.Name); err != nil {
		t.Fatal(err)
	}
	addr, user, pass := turnAddr(t, np.ICE, "turn", "udp")
	relay, err := turnClient(t, "udp", addr, user, pass).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	relay.Close()
	if r, err := turnClient(t, "udp", addr, user, "wrong"+pass).Allocate(); err == nil {
		r.Close()
	}
	if _, _, err := rawConn(t, srv.ClientURL(), "admin", tokens[0]); err == nil {
		t.Fatal("user admin was let in")
	}
	if _, _, err := rawConn(t, srv.ClientURL(), internalUser, tokens[0]); err == nil {
		t.Fatal("a wrong internal password was let in")
	}

	logs := buf.String()
	if !strings.Contains(logs, "nameplate claimed") {
		t.Fatalf("the log misses events:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"token 1": tokens[0], "token 2": tokens[1], "TURN credential": pass,
		"TURN secret": string(cfg.TURNSecret), "internal password": srv.internalPassword,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
}
