package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/cpace"
	"github.com/tandem-remote/tandem/shared/transport/fec"
)

// TestMain checks that no goroutine outlives the tests. After many refused attempts at once, quic-go keeps a
// closed listener's socket until the handshakes it had under way time out (its 5 s handshake idle timeout), so
// the check allows that long and a margin.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var err error
		for deadline := time.Now().Add(15 * time.Second); ; {
			if err = goleak.Find(); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// host is a listener on loopback with a support key, recording refused attempts.
type host struct {
	ln   *Listener
	key  *SupportKey
	mu   sync.Mutex
	fail []error
}

func newHost(t *testing.T, key *SupportKey) *host {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	h := &host{key: key}
	h.ln, err = Listen("127.0.0.1:0", ListenConfig{Identity: id, Gate: key, OnFailure: func(a Attempt) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.fail = append(h.fail, a.Err)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.ln.Close() })
	return h
}

func (h *host) addr() string { return h.ln.Addr().String() }

// failures waits until n attempts have been refused and returns their codes.
func (h *host) failures(t *testing.T, n int) []protocol.Code {
	t.Helper()
	for {
		h.mu.Lock()
		if len(h.fail) >= n {
			codes := make([]protocol.Code, len(h.fail))
			for i, err := range h.fail {
				codes[i] = protocol.CodeOf(err)
			}
			h.mu.Unlock()
			return codes
		}
		h.mu.Unlock()
		select {
		case <-t.Context().Done():
			t.Fatalf("waited for %d refused attempts", n)
		case <-h.key.Changed():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func testKey(t *testing.T) *SupportKey {
	t.Helper()
	k, err := NewSupportKeyGate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func dial(t *testing.T, addr, secret string) (*Conn, error) {
	t.Helper()
	return dialFrom(t, "", addr, secret)
}

// noAccept checks that the listener hands out no connection.
func noAccept(t *testing.T, h *host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if c, err := h.ln.Accept(ctx); err == nil {
		c.Close(protocol.NoError, "")
		t.Fatal("listener accepted a connection that failed confirmation")
	}
}

func wantCode(t *testing.T, err error, code protocol.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", code)
	}
	if got := protocol.CodeOf(err); got != code {
		t.Fatalf("error %v has code %v, want %v", err, got, code)
	}
}

func TestRightKeyJoinsAndStreamsFlow(t *testing.T) {
	h := newHost(t, testKey(t))
	dc, err := dial(t, h.addr(), h.key.Key())
	if err != nil {
		t.Fatalf("dial with the right key: %v", err)
	}
	defer dc.Close(protocol.NoError, "")
	lc, err := h.ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(protocol.NoError, "")
	// A confirmation does not spend the key: the listener's user does, once the joiner has introduced itself.
	if h.key.State() != KeyWaiting {
		t.Fatalf("key state %v after a confirmation, want waiting", h.key.State())
	}
	h.key.Spend()
	if h.key.State() != KeyUsed {
		t.Fatalf("key state %v after Spend, want used", h.key.State())
	}
	if dc.Version() != int(protocol.Version) || lc.Version() != int(protocol.Version) {
		t.Fatalf("versions %d/%d", dc.Version(), lc.Version())
	}

	// Either side may open streams: the header arrives before any data.
	st, err := dc.OpenStream(t.Context(), protocol.StreamHeader{Kind: protocol.Chat})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("bonjour")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	hdr, rs, err := lc.AcceptStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Kind != protocol.Chat {
		t.Fatalf("stream kind %v, want chat", hdr.Kind)
	}
	got, err := io.ReadAll(rs)
	if err != nil || string(got) != "bonjour" {
		t.Fatalf("read %q, %v", got, err)
	}
	rs.Close()

	// The key is single-use: a second customer is refused.
	_, err = dial(t, h.addr(), h.key.Key())
	wantCode(t, err, protocol.KeyExpired)
}

func TestWrongKeyRefusedBeforeAnyStream(t *testing.T) {
	h := newHost(t, testKey(t))
	wrong := "000000000"
	if h.key.Key() == wrong {
		wrong = "000000001"
	}
	_, err := dial(t, h.addr(), wrong)
	wantCode(t, err, protocol.WrongKey)
	if codes := h.failures(t, 1); codes[0] != protocol.WrongKey {
		t.Fatalf("host saw %v, want wrong key", codes)
	}
	noAccept(t, h)
	// The right key still works after one failure.
	c, err := dial(t, h.addr(), h.key.Key())
	if err != nil {
		t.Fatalf("right key after a wrong one: %v", err)
	}
	c.Close(protocol.NoError, "")
	lc, err := h.ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lc.Close(protocol.NoError, "")
}

// Wrong keys from MaxKeyAttempts sources retire the key; one source is refused after MaxSourceFailures without
// using up the key for everyone else.
func TestSixthAttemptRefused(t *testing.T) {
	h := newHost(t, testKey(t))
	wrong := "999999999"
	if h.key.Key() == wrong {
		wrong = "999999998"
	}
	for i := range MaxSourceFailures {
		_, err := dialFrom(t, "127.0.0.2", h.addr(), wrong)
		wantCode(t, err, protocol.WrongKey)
		h.failures(t, i+1)
	}
	_, err := dialFrom(t, "127.0.0.2", h.addr(), h.key.Key())
	wantCode(t, err, protocol.TooManyAttempts)
	h.failures(t, MaxSourceFailures+1)
	if h.key.State() != KeyWaiting {
		t.Fatalf("state %v after one source's failures, want waiting", h.key.State())
	}
	for i := MaxSourceFailures; i < MaxKeyAttempts; i++ {
		_, err := dialFrom(t, fmt.Sprintf("127.0.0.%d", 10+i), h.addr(), wrong)
		wantCode(t, err, protocol.WrongKey)
		h.failures(t, i+2)
	}
	if h.key.State() != KeyRetired {
		t.Fatalf("state %v after %d failures, want retired", h.key.State(), MaxKeyAttempts)
	}
	// Even the right key is refused now, and told why.
	_, err = dial(t, h.addr(), h.key.Key())
	wantCode(t, err, protocol.TooManyAttempts)
	codes := h.failures(t, MaxKeyAttempts+2)
	if codes[MaxKeyAttempts+1] != protocol.TooManyAttempts {
		t.Fatalf("host saw %v", codes)
	}
	noAccept(t, h)
}

// dialFrom is dial from the loopback address local (any 127.x.y.z is this machine; "" lets the system choose).
func dialFrom(t *testing.T, local, addr, secret string) (*Conn, error) {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	return Dial(ctx, addr, DialConfig{Identity: id, Secret: []byte(secret), LocalAddr: local})
}

// quicFrom makes a QUIC connection with id's certificate from the loopback address local to addr; the test's
// cleanup closes it.
func quicFrom(t *testing.T, ctx context.Context, local, addr string, id *Identity) *quic.Conn {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(local)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	t.Cleanup(func() {
		_ = tr.Close()
		_ = udp.Close()
	})
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	qc, err := tr.Dial(ctx, raddr, tlsConfig(id), quicConfig(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qc.CloseWithError(0, "") })
	return qc
}

func TestExpiredKeyRefused(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	key := newSupportKeyGate("123456789", clock, KeyLifetime)
	h := newHost(t, key)
	mu.Lock()
	now = now.Add(KeyLifetime)
	mu.Unlock()
	if key.State() != KeyExpired {
		t.Fatalf("state %v, want expired", key.State())
	}
	_, err := dial(t, h.addr(), "123456789")
	wantCode(t, err, protocol.KeyExpired)
	noAccept(t, h)
}

// rawDial opens a QUIC connection with a Tandem certificate and the confirmation stream, but does the
// confirmation itself: the tests below play a misbehaving dialer.
func rawDial(t *testing.T, addr string) (*quic.Conn, *quic.Stream, binding) {
	t.Helper()
	return rawDialFrom(t, "127.0.0.1", addr)
}

// rawDialFrom is rawDial from the loopback address local.
func rawDialFrom(t *testing.T, local, addr string) (*quic.Conn, *quic.Stream, binding) {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	qc := quicFrom(t, t.Context(), local, addr, id)
	peer, err := peerID(qc.ConnectionState().TLS.PeerCertificates)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bindingOf(qc, peer, id.ID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := qc.OpenStreamSync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return qc, st, b
}

// recorder keeps what one side writes.
type recorder struct {
	io.ReadWriter
	sent bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { r.sent.Write(p); return r.ReadWriter.Write(p) }

// waitClosed waits for qc to end and returns its code.
func waitClosed(t *testing.T, qc *quic.Conn) protocol.Code {
	t.Helper()
	select {
	case <-qc.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open")
	}
	pe := asProtocolError(context.Cause(qc.Context()))
	if pe == nil {
		t.Fatalf("connection ended with %v, no code", context.Cause(qc.Context()))
	}
	return pe.Code
}

func TestReplayedTranscriptRefused(t *testing.T) {
	key := newSupportKeyGate("314159265", time.Now, KeyLifetime)
	h := newHost(t, key)
	// An honest dialer's half is recorded; an attacker replays it on a new connection.
	qc, st, b := rawDial(t, h.addr())
	rec := &recorder{ReadWriter: st}
	_, err := confirmDialer(rec, []byte("314159265"), b, rand.Reader)
	if err != nil {
		t.Fatalf("honest half: %v", err)
	}
	lc, err := h.ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lc.Close(protocol.NoError, "")
	// The key is still waiting (nobody spent it): replay everything on a fresh connection.
	qc.CloseWithError(0, "")

	qc2, st2, _ := rawDial(t, h.addr())
	recorded := rec.sent.Bytes()
	first := recorded[:len(confirmMagic)+2+shareSize]
	if _, err := st2.Write(first); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 2+shareSize)
	if _, err := io.ReadFull(st2, reply); err != nil {
		t.Fatal(err)
	}
	st2.Write(recorded[len(first) : len(first)+tagSize])
	if code := waitClosed(t, qc2); code != protocol.WrongKey {
		t.Fatalf("replay ended with %v, want wrong key", code)
	}
	noAccept(t, h)
	if codes := h.failures(t, 1); codes[0] != protocol.WrongKey {
		t.Fatalf("host saw %v", codes)
	}
}

func TestMachineInTheMiddleRefusedByBoth(t *testing.T) {
	h := newHost(t, testKey(t))
	// The attacker terminates TLS on both sides with its own certificates and relays the confirmation bytes
	// unchanged. It knows everything but the key.
	mitmID, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ml, err := quic.ListenAddr("127.0.0.1:0", tlsConfig(mitmID), quicConfig(0))
	if err != nil {
		t.Fatal(err)
	}
	defer ml.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		victim, err := ml.Accept(t.Context())
		if err != nil {
			return
		}
		defer victim.CloseWithError(0, "")
		server, err := quic.DialAddr(t.Context(), h.addr(), tlsConfig(mitmID), quicConfig(0))
		if err != nil {
			return
		}
		defer server.CloseWithError(0, "")
		vs, err := victim.AcceptStream(t.Context())
		if err != nil {
			return
		}
		ss, err := server.OpenStreamSync(t.Context())
		if err != nil {
			return
		}
		var relay sync.WaitGroup
		relay.Add(2)
		go func() { defer relay.Done(); io.Copy(ss, vs); ss.Close() }()
		go func() { defer relay.Done(); io.Copy(vs, ss); vs.Close() }()
		select {
		case <-victim.Context().Done():
		case <-server.Context().Done():
		}
		victim.CloseWithError(0, "")
		server.CloseWithError(0, "")
		relay.Wait()
	}()

	_, err = dial(t, ml.Addr().String(), h.key.Key())
	wantCode(t, err, protocol.WrongKey)
	if codes := h.failures(t, 1); codes[0] != protocol.WrongKey {
		t.Fatalf("host saw %v", codes)
	}
	noAccept(t, h)
	if h.key.State() == KeyUsed {
		t.Fatal("the key was spent by a machine in the middle")
	}
}

func TestVersionMismatchToldToBoth(t *testing.T) {
	h := newHost(t, testKey(t))
	qc, st, _ := rawDial(t, h.addr())
	future := byte(protocol.Version + 5)
	msg := append([]byte(confirmMagic), future, future)
	st.Write(append(msg, make([]byte, shareSize)...))
	if code := waitClosed(t, qc); code != protocol.VersionMismatch {
		t.Fatalf("dialer told %v, want version mismatch", code)
	}
	if codes := h.failures(t, 1); codes[0] != protocol.VersionMismatch {
		t.Fatalf("host saw %v", codes)
	}
	if h.key.State() != KeyWaiting {
		t.Fatal("a version mismatch must not count as a key attempt")
	}
}

func TestClosingEitherSideEndsTheOther(t *testing.T) {
	for _, closer := range []string{"dialer", "listener"} {
		t.Run(closer, func(t *testing.T) {
			h := newHost(t, testKey(t))
			dc, err := dial(t, h.addr(), h.key.Key())
			if err != nil {
				t.Fatal(err)
			}
			lc, err := h.ln.Accept(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			a, b := dc, lc
			if closer == "listener" {
				a, b = lc, dc
			}
			a.Close(protocol.SessionEnded, "bye")
			// Well inside IdleTimeout: the peer was told, it did not time out.
			select {
			case <-b.Done():
			case <-time.After(IdleTimeout / 3):
				t.Fatal("peer still connected")
			}
			wantCode(t, b.Err(), protocol.SessionEnded)
			// A stream accept on the ended connection fails with the same reason.
			_, _, err = b.AcceptStream(t.Context())
			wantCode(t, err, protocol.SessionEnded)
		})
	}
}

func TestSupportKeyFormat(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"123 456 789", "123456789", true},
		{"123456789", "123456789", true},
		{" 123-456-789\n", "123456789", true},
		{"123\u00a0456\u00a0789", "123456789", true},
		{"12345678", "", false},
		{"1234567890", "", false},
		{"12345678a", "", false},
		{"", "", false},
		{"١٢٣٤٥٦٧٨٩", "", false}, // other digits are not key digits
	} {
		got, err := ParseSupportKey(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSupportKey(%q) = %q, %v", tc.in, got, err)
		}
	}
	if got := FormatSupportKey("123456789"); got != "123 456 789" {
		t.Errorf("FormatSupportKey = %q", got)
	}
	for range 20 {
		k, err := NewSupportKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSupportKey(k); err != nil {
			t.Fatalf("NewSupportKey gave %q", k)
		}
	}
}

func TestIDString(t *testing.T) {
	var id ID
	s := id.String()
	if len(s) != 52+7 || s[7] != '-' {
		t.Fatalf("ID string %q", s)
	}
}

func TestSilentDialerTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("waits ConfirmTimeout")
	}
	h := newHost(t, testKey(t))
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	// A dialer that completes TLS and then says nothing is cut off after ConfirmTimeout, told why, and it
	// does not cost the key an attempt.
	qc, err := quic.DialAddr(t.Context(), h.addr(), tlsConfig(id), quicConfig(0))
	if err != nil {
		t.Fatal(err)
	}
	defer qc.CloseWithError(0, "")
	select {
	case <-qc.Context().Done():
	case <-time.After(ConfirmTimeout + 5*time.Second):
		t.Fatal("silent dialer still connected")
	}
	if pe := asProtocolError(context.Cause(qc.Context())); pe == nil || pe.Code != protocol.Timeout {
		t.Fatalf("silent dialer told %v, want timeout", context.Cause(qc.Context()))
	}
	if codes := h.failures(t, 1); codes[0] != protocol.Timeout {
		t.Fatalf("host saw %v", codes)
	}
	if h.key.State() != KeyWaiting {
		t.Fatal("a silent dialer spent a key attempt")
	}
}

func TestUrgencyPutsPeopleBeforeFramesBeforeFiles(t *testing.T) {
	// quic-go sends lower urgencies first.
	for _, k := range []protocol.StreamKind{protocol.Control, protocol.Consent, protocol.Input} {
		if Urgency(k) >= Urgency(protocol.Chat) {
			t.Errorf("%v (%d) is not ahead of chat (%d)", k, Urgency(k), Urgency(protocol.Chat))
		}
	}
	if !(Urgency(protocol.Chat) < Urgency(protocol.Screen) && Urgency(protocol.Screen) < Urgency(protocol.File)) {
		t.Errorf("chat %d, screen %d, file %d: want increasing", Urgency(protocol.Chat), Urgency(protocol.Screen), Urgency(protocol.File))
	}
	for k := protocol.Control; k <= protocol.File; k++ {
		if u := Urgency(k); u < 0 || u > 7 {
			t.Errorf("%v: urgency %d outside quic-go's 0..7", k, u)
		}
	}
}

// Strangers who start attempts and stall (their key share sent, no proof) neither retire the key nor keep the
// customer out: they made no guess. Once they hang up the key has no failure against it.
func TestStalledStrangersCostNothing(t *testing.T) {
	h := newHost(t, testKey(t))
	var stalled []*quic.Conn
	for i := range MaxKeyAttempts + 1 {
		qc, st, b := rawDialFrom(t, fmt.Sprintf("127.0.0.%d", 20+i), h.addr())
		ad := []byte{byte(protocol.MinVersion), byte(protocol.Version)}
		_, ya, err := cpace.Start(cpace.Initiator, []byte("a guess"), b.ci, b.sid, ad, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write(append(append([]byte(confirmMagic), ad...), ya...)); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 2+shareSize)
		if _, err := io.ReadFull(st, reply); err != nil {
			t.Fatalf("stranger %d: no key share back: %v", i, err)
		}
		stalled = append(stalled, qc)
	}
	c, err := dial(t, h.addr(), h.key.Key())
	if err != nil {
		t.Fatalf("the customer while %d strangers stall: %v", len(stalled), err)
	}
	c.Close(protocol.NoError, "")
	lc, err := h.ln.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	lc.Close(protocol.NoError, "")
	for _, qc := range stalled {
		qc.CloseWithError(0, "")
	}
	h.failures(t, len(stalled))
	h.key.mu.Lock()
	failures, inFlight := h.key.failures, h.key.inFlight
	h.key.mu.Unlock()
	if failures != 0 || inFlight != 0 {
		t.Fatalf("after the stalled attempts: %d failures, %d under way; want none", failures, inFlight)
	}
}

// Fifty dialers with wrong keys hammer the listener from one machine while the customer joins from another:
// the customer gets in, and the key is not retired.
func TestHammeringStrangerDoesNotKeepTheCustomerOut(t *testing.T) {
	h := newHost(t, testKey(t))
	wrong := "111111111"
	if h.key.Key() == wrong {
		wrong = "111111112"
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if c, err := dialFrom(t, "127.0.0.3", h.addr(), wrong); err == nil {
				c.Close(protocol.NoError, "")
				t.Error("a wrong key was accepted")
			}
		})
	}
	c, err := dial(t, h.addr(), h.key.Key())
	wg.Wait()
	if err != nil {
		t.Fatalf("the customer while a stranger hammers: %v", err)
	}
	c.Close(protocol.NoError, "")
	if st := h.key.State(); st != KeyWaiting {
		t.Fatalf("key %v, want waiting (the customer's program spends it)", st)
	}
	h.key.mu.Lock()
	failures := h.key.failures
	h.key.mu.Unlock()
	if failures > MaxSourceFailures {
		t.Fatalf("%d failures counted against the key from one source, want at most %d", failures, MaxSourceFailures)
	}
}

// A repair datagram carries a shard as long as the longest of QUIC's datagrams in its group, and fec's header: it
// must fit a path's 1400-byte MTU, and the 1452 bytes quic-go reads a datagram into (an ICE path returns an error
// for a larger one, and QUIC's connection ends).
func TestParityDatagramFitsThePath(t *testing.T) {
	if n := packetSize + fec.ParityOverhead; n > 1400 {
		t.Fatalf("a parity datagram can be %d bytes: QUIC's %d and fec's %d, over a path's 1400", n, packetSize,
			fec.ParityOverhead)
	}
}
