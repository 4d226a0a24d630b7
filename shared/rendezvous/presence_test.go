package rendezvous

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"
)

// computerCert makes an Ed25519 certificate as an unattended computer has, and a signer with its key.
func computerCert(t *testing.T) ([]byte, func([]byte) []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der, func(m []byte) []byte { return ed25519.Sign(priv, m) }
}

// TestPresence: a computer that proves its key is found by its computer key; the knocker and the computer talk
// through the knock's mailbox; lookups follow it; Absent ends it.
func TestPresence(t *testing.T) {
	srv := startServer(t, testConfig(t))
	computer, tech := dial(t, srv.ClientURL()), dial(t, srv.ClientURL())
	cert, sign := computerCert(t)
	key := ComputerKey(cert)

	if present, err := tech.Lookup(ctx(t), key); err != nil || present {
		t.Fatalf("Lookup before Present = %v, %v; want false", present, err)
	}
	if _, _, err := tech.KnockAt(ctx(t), key); !errors.Is(err, ErrAbsent) {
		t.Fatalf("KnockAt before Present: %v, want ErrAbsent", err)
	}
	expires, err := computer.Present(ctx(t), cert, sign)
	if err != nil {
		t.Fatalf("Present: %v", err)
	}
	if d := time.Until(expires); d < time.Minute || d > 4*time.Minute {
		t.Errorf("presence lasts %v, want about 3 minutes", d)
	}
	if r := Renewal(expires); r < 30*time.Second || r > 2*time.Minute {
		t.Errorf("Renewal = %v, want about a minute", r)
	}
	if present, err := tech.Lookup(ctx(t), key); err != nil || !present {
		t.Fatalf("Lookup after Present = %v, %v; want true", present, err)
	}
	tmb, ice, err := tech.KnockAt(ctx(t), key)
	if err != nil {
		t.Fatalf("KnockAt: %v", err)
	}
	if len(ice) == 0 {
		t.Error("KnockAt returned no ICE servers")
	}
	if err := tmb.Send(ctx(t), []byte("knock knock")); err != nil {
		t.Fatal(err)
	}
	var k Knock
	select {
	case k = <-computer.Knocks():
	case <-ctx(t).Done():
		t.Fatal("no knock event")
	}
	if k.Computer != key || k.Mailbox != tmb.ID() || k.Peer != tech.Principal() {
		t.Fatalf("knock %+v, want computer %s mailbox %s peer %s", k, key, tmb.ID(), tech.Principal())
	}
	cmb := computer.OpenKnock(k)
	if got := recv(t, cmb); got != "knock knock" {
		t.Errorf("computer got %q", got)
	}
	if err := cmb.Send(ctx(t), []byte("who is there")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, tmb); got != "who is there" {
		t.Errorf("technician got %q", got)
	}

	if _, _, err := computer.KnockAt(ctx(t), key); !errors.Is(err, ErrForbidden) {
		t.Errorf("knocking at oneself: %v, want ErrForbidden", err)
	}
	if err := tech.Absent(ctx(t), cert); !errors.Is(err, ErrUnknownNameplate) {
		t.Errorf("Absent by someone else: %v, want unknown", err)
	}
	if err := computer.Absent(ctx(t), cert); err != nil {
		t.Fatalf("Absent: %v", err)
	}
	if present, err := tech.Lookup(ctx(t), key); err != nil || present {
		t.Fatalf("Lookup after Absent = %v, %v; want false", present, err)
	}
	if _, _, err := tech.KnockAt(ctx(t), key); !errors.Is(err, ErrAbsent) {
		t.Fatalf("KnockAt after Absent: %v, want ErrAbsent", err)
	}
}

// TestPresenceNeedsTheKey: a principal that cannot sign with the computer's key, or that replays another
// principal's signature, cannot take the computer's knocks; a later proof by the real holder moves them.
func TestPresenceNeedsTheKey(t *testing.T) {
	srv := startServer(t, testConfig(t))
	computer, thief, tech := dial(t, srv.ClientURL()), dial(t, srv.ClientURL()), dial(t, srv.ClientURL())
	cert, sign := computerCert(t)
	_, otherSign := computerCert(t)
	key := ComputerKey(cert)

	replayed := sign(PresenceMessage(computer.Principal()))
	for name, s := range map[string]func([]byte) []byte{
		"another key":         otherSign,
		"another's signature": func([]byte) []byte { return replayed },
		"no signature":        func([]byte) []byte { return nil },
	} {
		if _, err := thief.Present(ctx(t), cert, s); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: Present = %v, want ErrForbidden", name, err)
		}
	}
	if _, err := thief.Present(ctx(t), []byte("not a certificate"), sign); !errors.Is(err, ErrBadRequest) {
		t.Errorf("garbage certificate: %v, want ErrBadRequest", err)
	}
	if present, _ := tech.Lookup(ctx(t), key); present {
		t.Fatal("a refused presence is visible")
	}
	if _, err := computer.Present(ctx(t), cert, sign); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tech.KnockAt(ctx(t), key); err != nil {
		t.Fatalf("KnockAt: %v", err)
	}
	select {
	case <-computer.Knocks():
	case <-ctx(t).Done():
		t.Fatal("the computer did not get the knock")
	}
	select {
	case k := <-thief.Knocks():
		t.Fatalf("the thief got a knock: %+v", k)
	default:
	}
	if _, _, err := tech.KnockAt(ctx(t), "not-a-key"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("KnockAt with a malformed key: %v", err)
	}
}

// TestPresenceLapses: a presence that is not renewed is gone after its lifetime.
func TestPresenceLapses(t *testing.T) {
	clk := &clock{}
	cfg := testConfig(t)
	cfg.now = clk.Now
	srv := startServer(t, cfg)
	computer, tech := dial(t, srv.ClientURL()), dial(t, srv.ClientURL())
	cert, sign := computerCert(t)
	if _, err := computer.Present(ctx(t), cert, sign); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3*time.Minute + time.Second)
	if present, err := tech.Lookup(ctx(t), ComputerKey(cert)); err != nil || present {
		t.Fatalf("Lookup after the lifetime = %v, %v; want false", present, err)
	}
	if _, _, err := tech.KnockAt(ctx(t), ComputerKey(cert)); !errors.Is(err, ErrAbsent) {
		t.Fatalf("KnockAt after the lifetime: %v, want ErrAbsent", err)
	}
}
