package icepath

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/transport/v5/vnet"
	"github.com/pion/turn/v5"
	"github.com/quic-go/quic-go"
	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine (an ICE agent's, a TURN allocation's, quic-go's) outlives the
// tests: every attempt, path and server must be closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ---- Signaller pair ----

// chanSignaller is one end of an in-memory mailbox: Send puts a message in the peer's inbox, Recv takes
// from its own. The inboxes are buffered so tests can put leftovers in them before an attempt.
type chanSignaller struct {
	in  chan []byte
	out chan []byte
}

func (s *chanSignaller) Send(ctx context.Context, msg []byte) error {
	select {
	case s.out <- bytes.Clone(msg):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *chanSignaller) Recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-s.in:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// signallerPair returns the offerer's and the answerer's ends of a new mailbox.
func signallerPair() (off, ans *chanSignaller) {
	toAns, toOff := make(chan []byte, 4096), make(chan []byte, 4096)
	return &chanSignaller{in: toOff, out: toAns}, &chanSignaller{in: toAns, out: toOff}
}

// tamperSignaller passes every sent message through edit, which returns what is really sent (nothing,
// the message, it twice, junk around it…).
type tamperSignaller struct {
	Signaller
	edit func(msg []byte) [][]byte
}

func (s tamperSignaller) Send(ctx context.Context, msg []byte) error {
	for _, m := range s.edit(msg) {
		if err := s.Signaller.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// ---- logs ----

// recorder is an slog.Handler that keeps every record (info and above) as one line, for tests that check
// a reason was logged.
type recorder struct {
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr
}

func newRecorder(testing.TB) (*recorder, *slog.Logger) {
	r := &recorder{}
	return r, slog.New(r)
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	for _, a := range r.attrs {
		b.WriteString(" " + a.String())
	}
	rec.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, b.String())
	return nil
}
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &recorderView{r: r, attrs: append(append([]slog.Attr{}, r.attrs...), as...)}
}
func (r *recorder) WithGroup(string) slog.Handler { return r }

// contains reports whether a logged line contains every one of parts.
func (r *recorder) contains(parts ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

type recorderView struct {
	r     *recorder
	attrs []slog.Attr
}

func (v *recorderView) Enabled(ctx context.Context, l slog.Level) bool { return v.r.Enabled(ctx, l) }
func (v *recorderView) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(v.attrs...)
	return v.r.Handle(ctx, rec)
}
func (v *recorderView) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorderView{r: v.r, attrs: append(append([]slog.Attr{}, v.attrs...), as...)}
}
func (v *recorderView) WithGroup(string) slog.Handler { return v }

// testLogger logs to the test output when TANDEM_ICE_DEBUG is set (pion's logs included), else nowhere.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TANDEM_ICE_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// ---- connecting ----

func isLoopback(ip net.IP) bool { return ip.IsLoopback() }

// loopbackConfig is a Config that uses loopback addresses only, so tests never send to another address.
func loopbackConfig(t testing.TB) Config {
	return Config{IncludeLoopback: true, IPFilter: isLoopback, Log: testLogger(t)}
}

// connect runs Offer and Answer at the same time over sigOff/sigAns and returns both paths, closed at the
// end of the test.
func connect(t testing.TB, ctx context.Context, offCfg, ansCfg Config, sigOff, sigAns Signaller) (off, ans *Path) {
	t.Helper()
	off, ans, offErr, ansErr := connectErr(ctx, offCfg, ansCfg, sigOff, sigAns)
	if offErr != nil || ansErr != nil {
		t.Fatalf("connect: offer: %v; answer: %v", offErr, ansErr)
	}
	t.Cleanup(func() { _ = off.Close(); _ = ans.Close() })
	return off, ans
}

// connectErr is connect that returns the errors; paths that were made are the caller's to close.
func connectErr(ctx context.Context, offCfg, ansCfg Config, sigOff, sigAns Signaller) (off, ans *Path, offErr, ansErr error) {
	var wg sync.WaitGroup
	wg.Go(func() { ans, ansErr = Answer(ctx, ansCfg, sigAns) })
	off, offErr = Offer(ctx, offCfg, sigOff)
	wg.Wait()
	if offErr != nil && off != nil {
		_ = off.Close()
	}
	return off, ans, offErr, ansErr
}

// exchange sends a datagram each way and checks it arrives, with the fixed peer address.
func exchange(t *testing.T, a, b *Path) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, dir := range []struct {
		from, to *Path
		msg      string
	}{{a, b, "ping from offerer"}, {b, a, "pong from answerer"}} {
		if err := dir.to.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		if _, err := dir.from.WriteTo([]byte(dir.msg), nil); err != nil {
			t.Fatalf("write: %v", err)
		}
		buf := make([]byte, 1500)
		n, addr, err := dir.to.ReadFrom(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(buf[:n]) != dir.msg {
			t.Fatalf("read %q, want %q", buf[:n], dir.msg)
		}
		if addr.String() != dir.to.RemoteAddr().String() {
			t.Fatalf("read from %v, want the fixed %v", addr, dir.to.RemoteAddr())
		}
		if err := dir.to.SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}

// ---- QUIC over paths ----

// selfSignedTLS returns a throwaway server config and a client config that trusts it.
func selfSignedTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tandem-test"},
		DNSNames: []string{"tandem-test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos:   []string{"tandem-test"}, MinVersion: tls.VersionTLS13,
	}
	client = &tls.Config{RootCAs: pool, ServerName: "tandem-test", NextProtos: []string{"tandem-test"},
		MinVersion: tls.VersionTLS13}
	return server, client
}

// quicPair runs a QUIC handshake from the offerer's path to the answerer's, with idle as both sides' idle
// timeout, and returns both connections and how long the handshake took. The test's cleanup closes them.
func quicPair(t *testing.T, ctx context.Context, off, ans *Path, idle time.Duration) (client, server *quic.Conn, handshake time.Duration) {
	t.Helper()
	serverTLS, clientTLS := selfSignedTLS(t)
	qcfg := &quic.Config{MaxIdleTimeout: idle}
	serverTr := &quic.Transport{Conn: ans}
	t.Cleanup(func() { _ = serverTr.Close() })
	ln, err := serverTr.Listen(serverTLS, qcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	clientTr := &quic.Transport{Conn: off}
	t.Cleanup(func() { _ = clientTr.Close() })
	accepted := make(chan *quic.Conn, 1)
	go func() {
		defer close(accepted)
		if c, err := ln.Accept(ctx); err == nil {
			accepted <- c
		}
	}()
	start := time.Now()
	client, err = clientTr.Dial(ctx, off.RemoteAddr(), clientTLS, qcfg)
	if err != nil {
		t.Fatalf("QUIC dial over %s path: %v", off.Kind(), err)
	}
	handshake = time.Since(start)
	t.Cleanup(func() { _ = client.CloseWithError(0, "") })
	if server = <-accepted; server == nil {
		t.Fatal("no QUIC connection accepted")
	}
	t.Cleanup(func() { _ = server.CloseWithError(0, "") })
	return client, server, handshake
}

// quicTransfer runs a QUIC handshake from the offerer's path to the answerer's, sends size bytes on a
// stream, and checks the answerer's SHA-256 of what it received, sent back on the same stream.
func quicTransfer(t *testing.T, ctx context.Context, off, ans *Path, size int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	conn, server, handshake := quicPair(t, ctx, off, ans, 10*time.Second)
	serverErr := make(chan error, 1)
	go func() {
		serverErr <- func() error {
			st, err := server.AcceptStream(ctx)
			if err != nil {
				return fmt.Errorf("accept stream: %w", err)
			}
			h := sha256.New()
			if _, err := io.Copy(h, st); err != nil {
				return fmt.Errorf("read stream: %w", err)
			}
			if _, err := st.Write(h.Sum(nil)); err != nil {
				return fmt.Errorf("write digest: %w", err)
			}
			return st.Close()
		}()
	}()

	start := time.Now()
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	_, _ = rand.Read(data)
	want := sha256.Sum256(data)
	if _, err := st.Write(data); err != nil {
		t.Fatalf("write stream: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(st)
	if err != nil {
		t.Fatalf("read digest: %v", err)
	}
	elapsed := time.Since(start)
	if !bytes.Equal(got, want[:]) {
		t.Fatalf("digest mismatch: the answerer did not receive the %d bytes intact", size)
	}
	if err := <-serverErr; err != nil {
		t.Fatalf("server: %v", err)
	}
	t.Logf("QUIC over %s path: handshake %v, %d bytes + digest in %v (%.0f Mbit/s)", off.Kind(),
		handshake.Round(time.Millisecond), size, elapsed.Round(time.Millisecond),
		float64(size)*8/elapsed.Seconds()/1e6)
}

// ---- TURN on loopback ----

const turnSecret = "test-shared-secret"

// turnServer is a pion/turn server on loopback with TURN REST credentials.
type turnServer struct {
	udp, tcp, tls string // host:port of each listener
}

// startTURN starts a TURN server on 127.0.0.1 with UDP, TCP and TLS listeners, stopped at the end of the
// test. Relayed addresses are on 127.0.0.1 too.
func startTURN(t testing.TB) *turnServer {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, _ := selfSignedTLS(t)
	rawTLSLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := tls.NewListener(rawTLSLn, serverTLS.Clone())
	quiet := pionLoggerFactory{logger(testLogger(t))}
	relay := func() *turn.RelayAddressGeneratorStatic {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm:             "tandem.test",
		AuthHandler:       turn.LongTermTURNRESTAuthHandler(turnSecret, quiet.NewLogger("turn-auth")),
		LoggerFactory:     quiet,
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: relay()}},
		ListenerConfigs: []turn.ListenerConfig{
			{Listener: tcpLn, RelayAddressGenerator: relay()},
			{Listener: tlsLn, RelayAddressGenerator: relay()},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &turnServer{udp: pc.LocalAddr().String(), tcp: tcpLn.Addr().String(), tls: rawTLSLn.Addr().String()}
}

// credentials returns a Server with fresh TURN REST credentials for urls.
func credentials(t testing.TB, urls ...string) Server {
	t.Helper()
	user, pass, err := turn.GenerateLongTermTURNRESTCredentials(turnSecret, "tester", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return Server{URLs: urls, Username: user, Credential: pass}
}

// closedUDPPort returns a loopback UDP address where nothing listens (a TURN server whose UDP is blocked).
func closedUDPPort(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	return addr
}

// ---- vnet topology ----

const (
	vnetServerIP = "1.2.3.4" // the rendezvous: STUN and TURN on port 3478
	vnetPubA     = "27.1.1.1"
	vnetLANA     = "192.168.0.2"
	vnetPubB     = "28.1.1.1"
	vnetLANB     = "10.2.0.2"
)

// topology is a virtual internet: a WAN router with the STUN/TURN server, and two home routers with NAT, an
// offerer's machine behind one and an answerer's behind the other.
type topology struct {
	wan      *vnet.Router
	offerer  *vnet.Net
	answerer *vnet.Net
	server   *turn.Server
}

// newTopology builds the virtual network; delay is added by each home router (each way).
func newTopology(t testing.TB, natA, natB vnet.NATType, delay time.Duration) *topology {
	t.Helper()
	vnetMu.Lock() // vnet.NewNet draws MAC addresses from an unguarded package counter
	defer vnetMu.Unlock()
	lf := pionLoggerFactory{logger(testLogger(t))}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "0.0.0.0/0", LoggerFactory: lf})
	must(err)
	serverNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{vnetServerIP}})
	must(err)
	must(wan.AddNet(serverNet))

	home := func(pub, lan string, nat vnet.NATType) *vnet.Net {
		r, err := vnet.NewRouter(&vnet.RouterConfig{
			StaticIPs: []string{pub}, CIDR: lan + "/24", NATType: &nat, MinDelay: delay, LoggerFactory: lf,
		})
		must(err)
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{lan}})
		must(err)
		must(r.AddNet(n))
		must(wan.AddRouter(r))
		return n
	}
	topo := &topology{wan: wan, offerer: home(vnetPubA, vnetLANA, natA), answerer: home(vnetPubB, vnetLANB, natB)}
	must(wan.Start())
	t.Cleanup(func() { _ = wan.Stop() })

	pc, err := serverNet.ListenPacket("udp4", net.JoinHostPort(vnetServerIP, "3478"))
	must(err)
	topo.server, err = turn.NewServer(turn.ServerConfig{
		Realm:         "tandem.test",
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(turnSecret, lf.NewLogger("turn-auth")),
		LoggerFactory: lf,
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
			RelayAddress: net.ParseIP(vnetServerIP), Address: "0.0.0.0", Net: serverNet,
		}}},
	})
	must(err)
	t.Cleanup(func() { _ = topo.server.Close() })
	return topo
}

var vnetMu sync.Mutex

// vnetServers is what the rendezvous would hand out in the virtual network.
func vnetServers(t testing.TB) []Server {
	hp := net.JoinHostPort(vnetServerIP, "3478")
	return []Server{
		{URLs: []string{"stun:" + hp}},
		credentials(t, "turn:"+hp+"?transport=udp"),
	}
}

var (
	natFullCone       = vnet.NATType{MappingBehavior: vnet.EndpointIndependent, FilteringBehavior: vnet.EndpointIndependent}
	natPortRestricted = vnet.NATType{MappingBehavior: vnet.EndpointIndependent, FilteringBehavior: vnet.EndpointAddrPortDependent}
	natSymmetric      = vnet.NATType{MappingBehavior: vnet.EndpointAddrPortDependent, FilteringBehavior: vnet.EndpointAddrPortDependent}
)

// candidateType returns the type word of a LocalCandidate/RemoteCandidate description.
func candidateType(desc string) string {
	typ, _, _ := strings.Cut(desc, " ")
	return typ
}

// genOf returns the generation of an encoded message, or 0.
func genOf(b []byte) uint64 {
	m, err := decodeMessage(b)
	if err != nil {
		return 0
	}
	return m.Gen
}

func encodeRaw(t string, gen uint64, fields ...string) []byte {
	m := message{T: t, Gen: gen}
	if len(fields) >= 2 {
		m.Ufrag, m.Pwd = fields[0], fields[1]
	}
	if len(fields) == 1 {
		m.Cand = fields[0]
	}
	return m.encode()
}

var errTest = errors.New("test")
