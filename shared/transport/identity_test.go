package transport

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

func TestIdentityPEMRoundTrip(t *testing.T) {
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	b, err := id.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseIdentity(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID() != id.ID() {
		t.Fatalf("ID changed across PEM: %v → %v", id.ID(), back.ID())
	}
	other, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ob, err := other.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	keyOnly := b[:bytes.Index(b, []byte("-----BEGIN CERTIFICATE"))]
	certOnly := ob[bytes.Index(ob, []byte("-----BEGIN CERTIFICATE")):]
	for name, bad := range map[string][]byte{
		"empty":          nil,
		"key only":       keyOnly,
		"another's cert": append(append([]byte{}, keyOnly...), certOnly...),
		"garbage":        []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"truncated":      b[:len(b)/2],
	} {
		if _, err := ParseIdentity(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParseID(t *testing.T) {
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := id.ID().String()
	for _, in := range []string{s, " " + s + "\n", string(bytes.ReplaceAll([]byte(s), []byte("-"), nil))} {
		got, err := ParseID(in)
		if err != nil || got != id.ID() {
			t.Fatalf("ParseID(%q) = %v, %v", in, got, err)
		}
	}
	if got, err := ParseID(string(bytes.ToLower([]byte(s)))); err != nil || got != id.ID() {
		t.Fatalf("lower case: %v, %v", got, err)
	}
	for _, bad := range []string{"", "ABC", s + "A", s[:len(s)-1] + "1"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

// judge is a gate that names its own wrong proofs, as an unattended computer does.
type judge struct{ secret []byte }

func (j judge) Begin(ID, net.Addr) ([]byte, func(Outcome), error) {
	return j.secret, func(Outcome) {}, nil
}

func (judge) WrongProof(ID) error {
	return &protocol.Error{Code: protocol.WrongPassword, Detail: "wrong password"}
}

func TestProofJudgeNamesTheWrongProof(t *testing.T) {
	id := newID(t)
	ln := listenAs(t, id, judge{secret: []byte("right")})
	_, err := dial(t, ln.Addr().String(), "wrong")
	wantCode(t, err, protocol.WrongPassword)
	c, err := dial(t, ln.Addr().String(), "right")
	if err != nil {
		t.Fatalf("right secret: %v", err)
	}
	if c.PeerID() != id.ID() {
		t.Fatal("dialer saw another identity")
	}
	closeBoth(t, c, ln)
}

func TestDialExpectsTheSavedIdentity(t *testing.T) {
	id, other, me := newID(t), newID(t), newID(t)
	ln := listenAs(t, id, judge{secret: []byte("right")})
	_, err := Dial(t.Context(), ln.Addr().String(), DialConfig{Identity: me, Secret: []byte("right"), Expect: other.ID()})
	wantCode(t, err, protocol.IdentityChanged)
	c, err := Dial(t.Context(), ln.Addr().String(), DialConfig{Identity: me, Secret: []byte("right"), Expect: id.ID()})
	if err != nil {
		t.Fatalf("the saved identity: %v", err)
	}
	closeBoth(t, c, ln)
}

func TestProbeSeesTheListenerWithoutAProof(t *testing.T) {
	id, me := newID(t), newID(t)
	begun := make(chan struct{}, 1)
	ln := listenAs(t, id, countingGate{begun})
	got, err := Probe(t.Context(), ln.Addr().String(), me)
	if err != nil || got != id.ID() {
		t.Fatalf("Probe = %v, %v; want %v", got, err, id.ID())
	}
	select {
	case <-begun:
		t.Fatal("a probe reached the gate")
	case <-time.After(200 * time.Millisecond):
	}
	// Nobody there.
	dead := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := Probe(ctx, dead, me); protocol.CodeOf(err) != protocol.Unreachable {
		t.Fatalf("probe of nobody: %v", err)
	}
}

// countingGate says on begun when an attempt reaches it.
type countingGate struct{ begun chan struct{} }

func (g countingGate) Begin(ID, net.Addr) ([]byte, func(Outcome), error) {
	select {
	case g.begun <- struct{}{}:
	default:
	}
	return []byte("x"), func(Outcome) {}, nil
}

// newID makes an identity or fails the test.
func newID(t *testing.T) *Identity {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// listenAs listens on loopback as id with gate until the test ends.
func listenAs(t *testing.T, id *Identity, gate Gate) *Listener {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", ListenConfig{Identity: id, Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// closeBoth closes a confirmed connection and its other end, which ln accepted.
func closeBoth(t *testing.T, c *Conn, ln *Listener) {
	t.Helper()
	c.Close(protocol.NoError, "")
	lc, err := ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lc.Close(protocol.NoError, "")
}
