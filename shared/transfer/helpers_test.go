package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

// TestMain checks that no goroutine outlives the tests. Leaks are looked
// for until none is left or 10 s have passed, longer than goleak's own
// retries, for a busy machine. The two goroutines of a quic-go listener's
// socket are not counted: they end 3 PTOs after its last connection closed,
// which a loaded machine can stretch past any wait (a connection left open
// would still show, by its own goroutines).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(10 * time.Second)
		ignore := []goleak.Option{
			goleak.IgnoreAnyFunction("github.com/quic-go/quic-go.(*Transport).listen"),
			goleak.IgnoreAnyFunction("github.com/quic-go/quic-go.(*Transport).runSendQueue"),
		}
		for err := goleak.Find(ignore...); err != nil; err = goleak.Find(ignore...) {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "goleak:", err)
				code = 1
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	os.Exit(code)
}

// waitTime bounds every wait of the tests.
const waitTime = 20 * time.Second

// side is one end of a test connection: its engine, the loop that hands it
// File streams (as the session does) and the events it emitted.
type side struct {
	tb     testing.TB
	name   string
	conn   *transport.Conn
	eng    *Engine
	stop   context.CancelFunc
	loop   sync.WaitGroup
	mu     sync.Mutex
	accept string // when set, every offer is accepted into this folder
	events []Event
	notify chan struct{}
}

func newSide(tb testing.TB, name string, conn *transport.Conn, cfg Config) *side {
	s := &side{tb: tb, name: name, conn: conn, notify: make(chan struct{}, 1)}
	cfg.OnEvent = s.record
	if cfg.ProgressInterval == 0 {
		cfg.ProgressInterval = 5 * time.Millisecond
	}
	s.eng = New(conn, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.loop.Go(func() {
		for {
			h, st, err := conn.AcceptStream(ctx)
			if err != nil {
				return
			}
			if h.Kind == protocol.File {
				s.eng.HandleStream(h, st)
			} else {
				transport.Refuse(st, protocol.UnknownStream)
			}
		}
	})
	return s
}

// close ends the side: engine, connection, stream loop.
func (s *side) close() {
	s.eng.Close()
	s.conn.Close(protocol.NoError, "")
	s.stop()
	s.loop.Wait()
}

// acceptInto makes the side accept every offer into dir.
func (s *side) acceptInto(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accept = dir
}

func (s *side) record(ev Event) {
	s.mu.Lock()
	dir := s.accept
	s.mu.Unlock()
	if o, ok := ev.(OfferReceived); ok && dir != "" {
		if err := s.eng.Accept(o.ID, dir); err != nil {
			s.tb.Errorf("%s: accept %v: %v", s.name, o.ID, err)
		}
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// wait returns the first event that satisfies ok, waiting for it.
func (s *side) wait(ok func(Event) bool, what string) Event {
	s.tb.Helper()
	deadline := time.After(waitTime)
	for {
		s.mu.Lock()
		for _, ev := range s.events {
			if ok(ev) {
				s.mu.Unlock()
				return ev
			}
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-deadline:
			s.tb.Fatalf("%s: no %s; events: %s", s.name, what, s.dump())
		}
	}
}

func (s *side) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, ev := range s.events {
		if _, ok := ev.(Progress); ok {
			continue
		}
		fmt.Fprintf(&b, "\n  %T %+v", ev, ev)
	}
	return b.String()
}

// all returns the events of type T about id.
func all[T Event](s *side, id ID) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, ev := range s.events {
		if e, ok := ev.(T); ok && ev.Transfer() == id {
			out = append(out, e)
		}
	}
	return out
}

func waitEvent[T Event](s *side, id ID) T {
	s.tb.Helper()
	var zero T
	return s.wait(func(ev Event) bool {
		_, ok := ev.(T)
		return ok && (id == ID{} || ev.Transfer() == id)
	}, fmt.Sprintf("%T of %v", zero, id)).(T)
}

func (s *side) offerReceived() OfferReceived {
	s.tb.Helper()
	return waitEvent[OfferReceived](s, ID{})
}

func (s *side) finished(id ID) Finished {
	s.tb.Helper()
	return waitEvent[Finished](s, id)
}

// newPair returns two sides connected over loopback: a dialled, b listened.
func newPair(tb testing.TB, ca, cb Config) (a, b *side) {
	tb.Helper()
	dc, lc := transporttest.Pair(tb)
	a, b = newSide(tb, "a", dc, ca), newSide(tb, "b", lc, cb)
	tb.Cleanup(func() {
		a.close()
		b.close()
	})
	return a, b
}

// incomingID is the ID on the receiving side of a transfer offered with id.
func incomingID(id ID) ID { return ID{Incoming, id.N} }

func wantCode(tb testing.TB, err error, code protocol.Code) {
	tb.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T), want a *protocol.Error with %v", err, err, code)
	}
	if pe.Code != code {
		tb.Fatalf("error %v has code %v, want %v", err, pe.Code, code)
	}
}

// writeFile writes a file of n pseudo-random bytes (seeded by name) and
// returns its path.
func writeFile(tb testing.TB, dir, name string, n int) string {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, pattern(name, n), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// pattern returns n bytes that depend on seed.
func pattern(seed string, n int) []byte {
	b := make([]byte, n)
	h := sha256.Sum256([]byte(seed))
	for i := 0; i < n; i += len(h) {
		copy(b[i:], h[:])
		h = sha256.Sum256(h[:])
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tree lists the files under dir (slash paths, partial files included), with
// their contents' hashes.
func tree(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			out[filepath.ToSlash(rel)] = "symlink"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = sha(b)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func names(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// partials returns the partial files under dir.
func partials(tb testing.TB, dir string) []string {
	var out []string
	for _, n := range names(tree(tb, dir)) {
		if strings.HasSuffix(n, PartialSuffix) {
			out = append(out, n)
		}
	}
	return out
}

// gate is a WrapRead seam that lets the first `after` bytes of every file
// through, then holds reads until opened.
type gate struct {
	after int64
	open  chan struct{}
	once  sync.Once
}

// pausedMidFile sends a new file of size bytes named name from a to b, which accepts it into dst, and returns
// once b holds a quarter of it: the sender's reads then wait at half the file until g is released (at the end
// of the test at the latest).
func pausedMidFile(t *testing.T, name string, size int) (a, b *side, id ID, path, dst string, g *gate) {
	t.Helper()
	src := t.TempDir()
	dst = t.TempDir()
	path = writeFile(t, src, name, size)
	g = newGate(int64(size) / 2)
	t.Cleanup(g.release)
	a, b = newPair(t, Config{WrapRead: g.wrap}, Config{})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(func(ev Event) bool {
		p, ok := ev.(Progress)
		return ok && p.FileDone >= uint64(size)/4
	}, "part of the file")
	return a, b, id, path, dst, g
}

func newGate(after int64) *gate { return &gate{after: after, open: make(chan struct{})} }

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) wrap(r io.Reader) io.Reader { return &gatedReader{g: g, r: r} }

type gatedReader struct {
	g *gate
	r io.Reader
	n int64
}

func (r *gatedReader) Read(p []byte) (int, error) {
	if r.n >= r.g.after {
		<-r.g.open
	} else if int64(len(p)) > r.g.after-r.n {
		p = p[:r.g.after-r.n]
	}
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}

// failWriter fails with err once n bytes have been written.
type failWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, f.err
	}
	f.n -= int64(len(p))
	return f.w.Write(p)
}
