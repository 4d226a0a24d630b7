package icepath

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/transport/v5/vnet"
)

// TestLoopbackDirect: real sockets on loopback, host candidates only: both sides agree on one direct pair,
// the generation and the user fragments; datagrams pass both ways; quic-go handshakes and moves 4 MB.
func TestLoopbackDirect(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	sigOff, sigAns := signallerPair()
	off, ans := connect(t, ctx, loopbackConfig(t), loopbackConfig(t), sigOff, sigAns)

	for _, p := range []*Path{off, ans} {
		if p.Kind() != Direct {
			t.Errorf("Kind() = %v, want direct", p.Kind())
		}
		if candidateType(p.LocalCandidate()) != "host" || candidateType(p.RemoteCandidate()) != "host" {
			t.Errorf("pair %q ↔ %q, want host ↔ host", p.LocalCandidate(), p.RemoteCandidate())
		}
		if ip := p.LocalAddr().(*net.UDPAddr).IP; !ip.IsLoopback() {
			t.Errorf("LocalAddr() = %v, want loopback", p.LocalAddr())
		}
	}
	if off.Generation() != ans.Generation() || off.Generation() == 0 {
		t.Errorf("generations %d and %d", off.Generation(), ans.Generation())
	}
	if off.OffererUfrag() != ans.OffererUfrag() || off.AnswererUfrag() != ans.AnswererUfrag() ||
		off.LocalUfrag() != ans.RemoteUfrag() || off.OffererUfrag() == off.AnswererUfrag() {
		t.Errorf("ufrags: offerer sees %q/%q, answerer sees %q/%q", off.OffererUfrag(), off.AnswererUfrag(),
			ans.OffererUfrag(), ans.AnswererUfrag())
	}
	if off.LocalCandidate() != strings.Replace(ans.RemoteCandidate(), "prflx", "host", 1) {
		t.Logf("offerer's local %q, answerer's remote %q", off.LocalCandidate(), ans.RemoteCandidate())
	}
	exchange(t, off, ans)
	quicTransfer(t, ctx, off, ans, 4<<20)
}

// TestLoopbackRelayed: a real pion/turn server on loopback with TURN REST credentials; the offerer gathers
// relayed candidates only, so the path must go through the relay: over UDP, over TCP when the server's UDP
// port does not answer, and over TLS. quic-go moves 4 MB over each.
func TestLoopbackRelayed(t *testing.T) {
	srv := startTURN(t)
	tests := []struct {
		name string
		urls []string
		via  string // suffix of the offerer's local candidate
	}{
		{"udp", []string{"turn:" + srv.udp + "?transport=udp"}, ""},
		{"tcp, udp blocked", []string{"turn:" + closedUDPPort(t) + "?transport=udp", "turn:" + srv.tcp + "?transport=tcp"}, " via tcp"},
		{"tls", []string{"turns:" + srv.tls + "?transport=tcp"}, " via tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			offCfg := loopbackConfig(t)
			offCfg.Servers = []Server{credentials(t, tt.urls...)}
			offCfg.RelayOnly = true
			offCfg.TURNInsecureSkipVerify = true
			sigOff, sigAns := signallerPair()
			off, ans := connect(t, ctx, offCfg, loopbackConfig(t), sigOff, sigAns)

			for _, p := range []*Path{off, ans} {
				if p.Kind() != Relayed {
					t.Errorf("Kind() = %v (%q ↔ %q), want relayed", p.Kind(), p.LocalCandidate(), p.RemoteCandidate())
				}
			}
			if candidateType(off.LocalCandidate()) != "relay" || !strings.HasSuffix(off.LocalCandidate(), "udp "+srvRelayHost(off)+tt.via) {
				t.Errorf("offerer's local candidate %q, want a relay%s", off.LocalCandidate(), tt.via)
			}
			t.Logf("offerer %q ↔ %q", off.LocalCandidate(), off.RemoteCandidate())
			exchange(t, off, ans)
			quicTransfer(t, ctx, off, ans, 4<<20)
		})
	}
}

// lateCandidates delays the candidates it sends, as a slow mailbox would: the peer's checks overtake them.
type lateCandidates struct {
	Signaller
	delay time.Duration
}

func (s lateCandidates) Send(ctx context.Context, msg []byte) error {
	if m, err := decodeMessage(msg); err == nil && m.T == typeCand {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Signaller.Send(ctx, msg)
}

// The offerer's relay checks the answerer's host candidate before its own candidate has reached the answerer:
// the answerer first knows it only as peer-reflexive, and still says the path is relayed once the candidate
// comes. The candidate is late in the mailbox, or late from pion itself (which tells of a local candidate
// from its own goroutine, and may already check from it): a connected side still sends its selected candidate.
func TestRelayKnownFirstFromItsCheck(t *testing.T) {
	srv := startTURN(t)
	tests := []struct {
		name    string
		mailbox time.Duration // the offerer's candidates wait this long before they are sent
		notice  time.Duration // pion's notices of the offerer's candidates come this late
	}{
		{"late in the mailbox", 300 * time.Millisecond, 0},
		{"late from pion", 0, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			offCfg := loopbackConfig(t)
			offCfg.Servers = []Server{credentials(t, "turn:"+srv.udp+"?transport=udp")}
			offCfg.RelayOnly = true
			offCfg.candidateLag = tt.notice
			sigOff, sigAns := signallerPair()
			off, ans := connect(t, ctx, offCfg, loopbackConfig(t), lateCandidates{sigOff, tt.mailbox}, sigAns)
			if ans.Kind() != Relayed || candidateType(ans.RemoteCandidate()) != "relay" {
				t.Fatalf("the answerer sees %v (%q ↔ %q), want relayed to the offerer's relay", ans.Kind(),
					ans.LocalCandidate(), ans.RemoteCandidate())
			}
			if off.Kind() != Relayed {
				t.Fatalf("the offerer sees %v", off.Kind())
			}
			exchange(t, off, ans)
		})
	}
}

// srvRelayHost returns the host:port part of the path's local candidate description.
func srvRelayHost(p *Path) string {
	f := strings.Fields(p.LocalCandidate())
	if len(f) < 3 {
		return ""
	}
	return f[2]
}

// TestVNet: a virtual internet (pion vnet) with a STUN/TURN server and two home routers with NAT, 20 ms
// each way per home router. Easy NATs give a direct path through server-reflexive candidates (the relay is
// gathered too, so this also shows the default RelayAcceptanceMinWait lets the direct pair win); a
// symmetric NAT on either side needs the relay.
func TestVNet(t *testing.T) {
	tests := []struct {
		name       string
		natA, natB vnet.NATType
		want       Kind
	}{
		{"full cone both", natFullCone, natFullCone, Direct},
		{"port-restricted both", natPortRestricted, natPortRestricted, Direct},
		{"full cone and symmetric", natFullCone, natSymmetric, Direct}, // a full cone accepts anyone
		{"symmetric and port-restricted", natSymmetric, natPortRestricted, Relayed},
		{"port-restricted and symmetric", natPortRestricted, natSymmetric, Relayed},
		{"symmetric both", natSymmetric, natSymmetric, Relayed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			topo := newTopology(t, tt.natA, tt.natB, 20*time.Millisecond)
			offCfg := Config{Net: topo.offerer, Servers: vnetServers(t), Log: testLogger(t)}
			ansCfg := Config{Net: topo.answerer, Servers: vnetServers(t), Log: testLogger(t)}
			sigOff, sigAns := signallerPair()
			start := time.Now()
			off, ans := connect(t, ctx, offCfg, ansCfg, sigOff, sigAns)
			t.Logf("connected in %v: offerer %q ↔ %q", time.Since(start).Round(time.Millisecond),
				off.LocalCandidate(), off.RemoteCandidate())

			for _, p := range []*Path{off, ans} {
				if p.Kind() != tt.want {
					t.Errorf("Kind() = %v (%q ↔ %q), want %v", p.Kind(), p.LocalCandidate(), p.RemoteCandidate(), tt.want)
				}
				types := candidateType(p.LocalCandidate()) + "/" + candidateType(p.RemoteCandidate())
				switch tt.want {
				case Direct:
					// Different home networks: a working direct pair involves a NAT mapping on at least one end.
					if strings.Contains(types, "relay") || types == "host/host" {
						t.Errorf("candidate types %s for a direct path", types)
					}
				case Relayed:
					if !strings.Contains(types, "relay") {
						t.Errorf("candidate types %s for a relayed path", types)
					}
				}
			}
			exchange(t, off, ans)
		})
	}
}

// TestVNetTCPUnsupported records that pion's vnet has no TCP (DialTCP fails), so TURN over TCP is tested on
// loopback (TestLoopbackRelayed) rather than behind virtual NATs. If this starts failing, vnet gained TCP.
func TestVNetTCPUnsupported(t *testing.T) {
	n, err := vnet.NewNet(&vnet.NetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.DialTCP("tcp4", nil, &net.TCPAddr{IP: net.IPv4(1, 2, 3, 4), Port: 3478}); err == nil {
		t.Fatal("vnet DialTCP works now: add a TURN-over-TCP case to TestVNet")
	}
}

// TestBadInput: hostile or broken signalling never crashes an attempt: malformed messages and candidates
// are skipped with a logged reason and the attempt still connects; an answer of the wrong generation is
// ignored, and if no right one comes the attempt fails with a clear error when its context ends.
func TestBadInput(t *testing.T) {
	const gen = 4242
	goodPwd := strings.Repeat("p", 24)
	junkBefore := func(junk ...[]byte) func([]byte) [][]byte {
		return func(msg []byte) [][]byte { return append(append([][]byte{}, junk...), msg) }
	}
	after := func(typ string, junk func() [][]byte) func([]byte) [][]byte {
		return func(msg []byte) [][]byte {
			if m, _ := decodeMessage(msg); m.T == typ {
				return append([][]byte{msg}, junk()...)
			}
			return [][]byte{msg}
		}
	}
	thousand := func() [][]byte {
		var out [][]byte
		for i := range 1000 {
			// TEST-NET addresses, dropped by the loopback-only remote filter: nothing is ever sent to them.
			c := fmt.Sprintf("candidate:%d 1 udp 1 192.0.2.%d %d typ host", i, i%250+1, 1024+i)
			out = append(out, encodeRaw(typeCand, gen, c))
		}
		return out
	}
	tests := []struct {
		name     string
		offEdit  func([]byte) [][]byte // what the offerer's messages become
		ansEdit  func([]byte) [][]byte
		timeout  time.Duration
		wantErr  error    // nil: both sides connect
		wantLogs []string // parts of one logged line
	}{
		{name: "malformed JSON", offEdit: junkBefore([]byte(`{"t":`), []byte(`not json`), []byte(`[]`)),
			wantLogs: []string{"skipping message", "malformed message"}},
		{name: "unknown type and missing generation", offEdit: junkBefore([]byte(`{"t":"hello","gen":"5"}`), []byte(`{"t":"offer"}`)),
			wantLogs: []string{"skipping message", "unknown message type"}},
		{name: "bad credentials", offEdit: junkBefore(encodeRaw(typeOffer, 77, "a b", goodPwd)),
			wantLogs: []string{"skipping message", "invalid ICE user fragment"}},
		{name: "oversized message", offEdit: junkBefore([]byte(`{"t":"cand","gen":"1","c":"` + strings.Repeat("x", 10000) + `"}`)),
			wantLogs: []string{"skipping message", "more than 4096"}},
		{name: "candidate that does not parse", offEdit: after(typeOffer, func() [][]byte {
			return [][]byte{
				encodeRaw(typeCand, gen, "candidate:garbage"),
				encodeRaw(typeCand, gen, "candidate:1 1 udp 2130706431 deadbeef.local 5000 typ host"),
				encodeRaw(typeCand, gen, "candidate:1 1 tcp 2130706431 127.0.0.1 5000 typ host tcptype passive"),
				encodeRaw(typeCand, gen, "candidate:1 2 udp 2130706431 127.0.0.1 5000 typ host"),
			}
		}), wantLogs: []string{"skipping candidate", "does not parse"}},
		// The answerer's candidates are dropped so that the path depends on its checks towards the offerer's
		// candidates: the offerer sees a peer-reflexive candidate and waits 200 ms before picking it, in
		// which the answerer reads the 1000 candidates sent after the offerer's own.
		{name: "1000 candidates", offEdit: after(typeEnd, thousand), ansEdit: func(msg []byte) [][]byte {
			if m, _ := decodeMessage(msg); m.T == typeCand {
				return nil
			}
			return [][]byte{msg}
		}, wantLogs: []string{"skipping candidates beyond the limit"}},
		{name: "answer of the wrong generation first", ansEdit: junkBefore(encodeRaw(typeAnswer, gen+1, "wxyz", goodPwd))},
		{name: "answers of the wrong generation only", ansEdit: func(msg []byte) [][]byte {
			m, err := decodeMessage(msg)
			if err != nil {
				return nil
			}
			m.Gen++
			return [][]byte{m.encode()}
		}, timeout: 2 * time.Second, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			rec, log := newRecorder(t)
			offCfg, ansCfg := loopbackConfig(t), loopbackConfig(t)
			offCfg.Generation = gen
			offCfg.Log, ansCfg.Log = log, log
			o, a := signallerPair()
			var sigOff, sigAns Signaller = o, a
			if tt.offEdit != nil {
				sigOff = tamperSignaller{o, tt.offEdit}
			}
			if tt.ansEdit != nil {
				sigAns = tamperSignaller{a, tt.ansEdit}
			}
			off, ans, offErr, ansErr := connectErr(ctx, offCfg, ansCfg, sigOff, sigAns)
			if off != nil {
				defer off.Close()
			}
			if ans != nil {
				defer ans.Close()
			}
			if tt.wantErr == nil {
				if offErr != nil || ansErr != nil {
					t.Fatalf("offer: %v; answer: %v\nlog:\n%s", offErr, ansErr, rec.dump())
				}
				exchange(t, off, ans)
			} else {
				if !errors.Is(offErr, tt.wantErr) || !strings.Contains(offErr.Error(), "generation 4242") {
					t.Errorf("offer error %v, want %v naming the generation", offErr, tt.wantErr)
				}
				if ansErr == nil {
					t.Errorf("answer succeeded without the offerer")
				}
				t.Logf("offer: %v; answer: %v", offErr, ansErr)
			}
			if len(tt.wantLogs) > 0 && !rec.contains(tt.wantLogs...) {
				t.Errorf("no log line with %q; log:\n%s", tt.wantLogs, rec.dump())
			}
		})
	}
}

// TestGenerations: leftovers of an earlier attempt in the mailbox (an old offer, twice, with its candidates),
// and a mailbox that delivers every message twice, do not confuse the answerer: it answers the new offer
// only. Then a second attempt on the same mailbox, with leftovers of the first, connects again.
func TestGenerations(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const oldGen, newGen = 7, 8
	seen := &Generations{}
	seen.Add(oldGen)
	o, a := signallerPair()
	pwd := strings.Repeat("q", 24)
	for _, m := range [][]byte{
		encodeRaw(typeOffer, oldGen, "oldu", pwd),
		encodeRaw(typeCand, oldGen, "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"),
		encodeRaw(typeOffer, oldGen, "oldu", pwd),
		encodeRaw(typeEnd, oldGen),
	} {
		a.in <- m
	}
	// The old answer is still in the offerer's inbox too.
	o.in <- encodeRaw(typeAnswer, oldGen, "olda", pwd)
	twice := func(msg []byte) [][]byte { return [][]byte{msg, msg} }

	offCfg, ansCfg := loopbackConfig(t), loopbackConfig(t)
	offCfg.Generation = newGen
	ansCfg.Seen = seen
	off, ans := connect(t, ctx, offCfg, ansCfg, tamperSignaller{o, twice}, tamperSignaller{a, twice})
	if off.Generation() != newGen || ans.Generation() != newGen {
		t.Fatalf("generations %d and %d, want %d", off.Generation(), ans.Generation(), newGen)
	}
	exchange(t, off, ans)
	_ = off.Close()
	_ = ans.Close()

	// Second attempt, random generation, same mailbox and memory; the first attempt may have left trickled
	// candidates in both inboxes.
	offCfg.Generation = 0
	off2, ans2 := connect(t, ctx, offCfg, ansCfg, o, a)
	if off2.Generation() == newGen || off2.Generation() != ans2.Generation() {
		t.Fatalf("second attempt generations %d and %d", off2.Generation(), ans2.Generation())
	}
	exchange(t, off2, ans2)
}

// TestSupersededOffer: the answerer takes an offer whose offerer is gone (it never sends candidates) and
// starts connecting; the real offerer's newer offer replaces that attempt and the path connects.
func TestSupersededOffer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	o, a := signallerPair()
	a.in <- encodeRaw(typeOffer, 1, "gone", strings.Repeat("g", 24))
	rec, log := newRecorder(t)
	ansCfg := loopbackConfig(t)
	ansCfg.Log = log
	ansCfg.Seen = &Generations{}

	ansDone := make(chan struct{})
	var ans *Path
	var ansErr error
	go func() { defer close(ansDone); ans, ansErr = Answer(ctx, ansCfg, a) }()
	// Wait until the answerer has answered the dead offer, then make the real one.
	select {
	case <-ctx.Done():
		t.Fatal("no answer to the first offer")
	case m := <-o.in:
		if genOf(m) != 1 {
			t.Fatalf("first reply of generation %d", genOf(m))
		}
	}
	offCfg := loopbackConfig(t)
	offCfg.Generation = 2
	off, err := Offer(ctx, offCfg, o)
	<-ansDone
	if err != nil || ansErr != nil {
		t.Fatalf("offer: %v; answer: %v", err, ansErr)
	}
	defer off.Close()
	defer ans.Close()
	if ans.Generation() != 2 || !ansCfg.Seen.Has(1) || !ansCfg.Seen.Has(2) {
		t.Fatalf("answer of generation %d", ans.Generation())
	}
	if !rec.contains("newer offer, restarting") {
		t.Errorf("restart not logged:\n%s", rec.dump())
	}
	exchange(t, off, ans)
}

// TestPathLost: when the peer goes away, the path is declared lost within DisconnectedTimeout +
// FailedTimeout: Done closes and a blocked ReadFrom (what quic-go does all the time) and WriteTo fail with
// ErrPathLost. pion itself only drops the candidates on failure and would leave the read blocked.
func TestPathLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	off, ans := quickToLose(t, ctx)
	exchange(t, off, ans)

	readErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 1500)
		_, _, err := ans.ReadFrom(buf)
		readErr <- err
	}()
	start := time.Now()
	if err := off.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ans.Done():
	case <-ctx.Done():
		t.Fatal("path not declared lost")
	}
	t.Logf("lost after %v", time.Since(start).Round(time.Millisecond))
	if err := <-readErr; !errors.Is(err, ErrPathLost) {
		t.Errorf("blocked ReadFrom returned %v, want ErrPathLost", err)
	}
	if _, err := ans.WriteTo([]byte("x"), nil); !errors.Is(err, ErrPathLost) {
		t.Errorf("WriteTo returned %v, want ErrPathLost", err)
	}
	// The closed side reports a plain close.
	if _, _, err := off.ReadFrom(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadFrom on a closed path returned %v, want net.ErrClosed", err)
	}
	select {
	case <-off.Done():
	default:
		t.Error("Done not closed by Close")
	}
}

// TestAttemptFailures: an attempt ends with a clear error and closes its agent (goleak checks) when its
// context ends with nobody answering, when ICE finds no working pair, and when the Signaller fails.
func TestAttemptFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, off, ans Signaller) (*Path, error)
	}{
		{"nobody answers", func(ctx context.Context, off, _ Signaller) (*Path, error) {
			return Offer(ctx, loopbackConfig(t), off)
		}},
		{"no offer", func(ctx context.Context, _, ans Signaller) (*Path, error) {
			return Answer(ctx, loopbackConfig(t), ans)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			o, a := signallerPair()
			if _, err := tc.run(ctx, o, a); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%v, want a deadline error", err)
			}
		})
	}
	t.Run("ICE fails", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		// Symmetric NATs on both sides and no STUN or TURN server: no pair can work.
		topo := newTopology(t, natSymmetric, natSymmetric, 0)
		fast := func(n *vnet.Net) Config {
			return Config{Net: n, DisconnectedTimeout: 500 * time.Millisecond, FailedTimeout: 500 * time.Millisecond, Log: testLogger(t)}
		}
		sigOff, sigAns := signallerPair()
		start := time.Now()
		_, _, offErr, ansErr := connectErr(ctx, fast(topo.offerer), fast(topo.answerer), sigOff, sigAns)
		if !errors.Is(offErr, ErrFailed) || !errors.Is(ansErr, ErrFailed) {
			t.Fatalf("offer: %v; answer: %v; want ErrFailed", offErr, ansErr)
		}
		t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), offErr)
	})
	t.Run("signaller fails", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		o, _ := signallerPair()
		broken := tamperSignaller{failingSignaller{o}, nil}
		_, err := Offer(ctx, loopbackConfig(t), broken.Signaller)
		if !errors.Is(err, ErrSignalling) || !errors.Is(err, errTest) {
			t.Fatalf("Offer: %v, want ErrSignalling wrapping the Signaller's error", err)
		}
	})
	t.Run("relay only without TURN", func(t *testing.T) {
		cfg := loopbackConfig(t)
		cfg.RelayOnly = true
		o, _ := signallerPair()
		if _, err := Offer(t.Context(), cfg, o); err == nil || !strings.Contains(err.Error(), "RelayOnly") {
			t.Fatalf("Offer: %v", err)
		}
	})
}

// failingSignaller fails every Send.
type failingSignaller struct{ Signaller }

func (failingSignaller) Send(context.Context, []byte) error { return errTest }

// TestServerURLs: URLs that do not parse and TURN servers without credentials are skipped; the rest keep
// their credentials.
func TestServerURLs(t *testing.T) {
	got := serverURLs([]Server{
		{URLs: []string{"stun:h:3478", "bogus:x", "turn:h:3478?transport=udp"}},
		{URLs: []string{"turn:h:3478?transport=tcp", "turns:h:5349?transport=tcp"}, Username: "1:u", Credential: "c"},
	}, logger(nil))
	var s []string
	for _, u := range got {
		s = append(s, fmt.Sprintf("%s %s:%d %s %s/%s", u.Scheme, u.Host, u.Port, u.Proto, u.Username, u.Password))
	}
	want := []string{"stun h:3478 udp /", "turn h:3478 tcp 1:u/c", "turns h:5349 tcp 1:u/c"}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}

// TestDecode: the message and candidate checks, one reason per refusal.
func TestDecode(t *testing.T) {
	pwd := strings.Repeat("p", 22)
	tests := []struct {
		in      string
		wantErr string
	}{
		{`{"t":"offer","gen":"1","ufrag":"abcd","pwd":"` + pwd + `"}`, ""},
		{`{"t":"offer","gen":"18446744073709551615","ufrag":"abcd","pwd":"` + pwd + `"}`, ""},
		{`{"t":"offer","gen":"1","ufrag":"abc","pwd":"` + pwd + `"}`, "user fragment"},
		{`{"t":"answer","gen":"1","ufrag":"abcd","pwd":"short"}`, "password"},
		{`{"t":"answer","gen":"1","ufrag":"ab\"cd","pwd":"` + pwd + `"}`, "user fragment"},
		{`{"t":"cand","gen":"1"}`, "without candidate"},
		{`{"t":"end","gen":"0"}`, "without generation"},
		{`{"t":"end","gen":1}`, "malformed"},
		{`{"t":"end","gen":"-1"}`, "malformed"},
		{`{"t":"x","gen":"1"}`, "unknown message type"},
		{`null`, "without generation"},
		{``, "malformed"},
	}
	for _, tt := range tests {
		_, err := decodeMessage([]byte(tt.in))
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("decodeMessage(%s) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
	cands := []struct {
		in      string
		wantErr string
	}{
		{"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", ""},
		{"candidate:1 1 udp 2130706431 ::1 5000 typ host", ""},
		{"1 1 udp 1694498815 203.0.113.5 40000 typ srflx raddr 0.0.0.0 rport 0", ""},
		{"candidate:1 1 udp 16777215 203.0.113.5 50000 typ relay raddr 0.0.0.0 rport 0", ""},
		{"candidate:garbage", "does not parse"},
		{"candidate:1 1 udp 2130706431 x.local 5000 typ host", "not an IP"},
		{"candidate:1 1 tcp 2130706431 127.0.0.1 5000 typ host tcptype passive", "only UDP"},
		{"candidate:1 2 udp 2130706431 127.0.0.1 5000 typ host", "component"},
		{"candidate:1 1 udp 2130706431 0.0.0.0 5000 typ host", "not usable"},
		{"candidate:1 1 udp 2130706431 224.0.0.1 5000 typ host", "not usable"},
		{"candidate:1 1 udp 2130706431 127.0.0.1 0 typ host", "not usable"},
	}
	for _, tt := range cands {
		_, err := parseCandidate(tt.in)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("parseCandidate(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

// TestGenerationsBounded: Generations forgets the oldest beyond its bound.
func TestGenerationsBounded(t *testing.T) {
	var g Generations
	for i := range uint64(maxGenerations + 10) {
		g.Add(i + 1)
	}
	g.Add(maxGenerations + 10) // again: no duplicate
	if g.Has(1) || g.Has(10) || !g.Has(11) || !g.Has(maxGenerations+10) || len(g.gens) != maxGenerations {
		t.Fatalf("generations %v", g.gens)
	}
	var nilG *Generations
	nilG.Add(1)
	if nilG.Has(1) {
		t.Fatal("nil Generations remembers")
	}
	if Direct.String() != "direct" || Relayed.String() != "relayed" || Kind(7).String() != "Kind(7)" {
		t.Fatal("Kind.String")
	}
}

// quickToLose connects a pair on loopback whose paths are declared lost 600 ms after the peer goes quiet.
func quickToLose(t *testing.T, ctx context.Context) (off, ans *Path) {
	t.Helper()
	cfg := loopbackConfig(t)
	cfg.DisconnectedTimeout, cfg.FailedTimeout, cfg.KeepaliveInterval = 300*time.Millisecond, 300*time.Millisecond, 100*time.Millisecond
	sigOff, sigAns := signallerPair()
	return connect(t, ctx, cfg, cfg, sigOff, sigAns)
}

// TestPathLostQUIC: quic-go running over a path sees its connection die when the path is lost, through
// the read error, well before its own idle timeout.
func TestPathLostQUIC(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	off, ans := quickToLose(t, ctx)

	const idle = 20 * time.Second
	_, server, _ := quicPair(t, ctx, off, ans, idle)

	start := time.Now()
	if err := off.Close(); err != nil { // the customer's machine vanishes
		t.Fatal(err)
	}
	select {
	case <-server.Context().Done():
	case <-ctx.Done():
		t.Fatal("QUIC connection still alive")
	}
	took := time.Since(start)
	cause := context.Cause(server.Context())
	t.Logf("QUIC connection ended after %v: %v", took.Round(time.Millisecond), cause)
	if !errors.Is(cause, ErrPathLost) || took >= idle {
		t.Fatalf("QUIC connection ended with %v after %v, want ErrPathLost before the idle timeout", cause, took)
	}
}

// FuzzDecode: no input makes message or candidate parsing panic, and what is accepted re-encodes to a
// message that decodes the same.
func FuzzDecode(f *testing.F) {
	pwd := strings.Repeat("p", 22)
	for _, s := range []string{
		`{"t":"offer","gen":"1","ufrag":"abcd","pwd":"` + pwd + `"}`,
		`{"t":"cand","gen":"9","c":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"}`,
		`{"t":"cand","gen":"9","c":"candidate:1 1 udp 16777215 203.0.113.5 50000 typ relay raddr 0.0.0.0 rport 0"}`,
		`{"t":"end","gen":"18446744073709551615"}`, `{"t":`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMessage(b)
		if err != nil {
			return
		}
		if m.T == typeCand {
			_, _ = parseCandidate(m.Cand)
		}
		again, err := decodeMessage(m.encode())
		if err != nil || again != m {
			t.Fatalf("%+v re-decodes as %+v, %v", m, again, err)
		}
	})
}
