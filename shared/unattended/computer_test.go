package unattended

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"short", false},
		{"123456789", false},
		{"1234567890", true},
		{"  123456789  ", false}, // spaces at the ends do not count
		{"éàçùôêëïüœ", true},     // characters, not bytes
		{"a b c d", false},
		{"a b c d e", true}, // five words
		{string([]byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6}), false},
		{string(bytes.Repeat([]byte("a"), MaxPasswordBytes)), true},
		{string(bytes.Repeat([]byte("a"), MaxPasswordBytes+1)), false},
	} {
		if err := CheckPassword(tc.pw); (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
}

func TestSecretDependsOnPasswordAndComputer(t *testing.T) {
	var a, b transport.ID
	b[0] = 1
	s := Secret("correct horse battery staple", a)
	if len(s) != SecretSize {
		t.Fatalf("secret of %d bytes", len(s))
	}
	if !bytes.Equal(s, Secret("correct horse battery staple", a)) {
		t.Fatal("same password and computer, another secret")
	}
	if bytes.Equal(s, Secret("correct horse battery stapler", a)) {
		t.Fatal("another password, same secret")
	}
	if bytes.Equal(s, Secret("correct horse battery staple", b)) {
		t.Fatal("another computer, same secret")
	}
}

func TestComputerKeepsItsStateOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "agent")
	c, err := OpenComputer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status().SetUp {
		t.Fatal("a fresh computer says it is set up")
	}
	tech := newTech(t, "Ana")
	if err := c.SetUp(Secret("a long enough password", c.ID()), tech.tech); err != nil {
		t.Fatal(err)
	}
	if err := c.SetBlocked(true); err != nil {
		t.Fatal(err)
	}
	again, err := OpenComputer(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := again.Status()
	if again.ID() != c.ID() || !st.SetUp || !st.Blocked || len(st.Technicians) != 1 || st.Technicians[0].ID != tech.id.ID() ||
		st.Technicians[0].Name != "Ana" {
		t.Fatalf("reopened: id %v (was %v), status %+v", again.ID(), c.ID(), st)
	}
	for _, p := range []string{dir, filepath.Join(dir, stateFile), filepath.Join(dir, logFile)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others may read it", p, fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, stateFile)); bytes.Contains(b, []byte("a long enough password")) {
		t.Fatal("the state file holds the password")
	}
	entries, err := again.Log().Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].What != EventSetUp || entries[0].Technician != "Ana" || entries[1].What != EventBlocked {
		t.Fatalf("log %+v", entries)
	}
}

func TestComputerRefusesABrokenStateFile(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":      "{",
		"newer version": `{"version": 99}`,
		"bad identity":  `{"version": 1, "identity": "nope"}`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenComputer(dir); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestLogRotatesAndSkipsBrokenLines(t *testing.T) {
	dir := t.TempDir()
	l := OpenLog(dir)
	if err := os.WriteFile(filepath.Join(dir, logFile), []byte("garbage\n{\"what\":\"\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := string(bytes.Repeat([]byte("é"), 4*maxDetailLength))
	n := 0
	for ; ; n++ {
		if err := l.Add(Entry{What: EventViewed, Detail: long, Technician: long}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, previousLogFile)); err == nil {
			break
		}
	}
	if err := l.Add(Entry{What: EventFileSent, Detail: "last"}); err != nil {
		t.Fatal(err)
	}
	all, err := l.Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n+2 || all[len(all)-1].Detail != "last" {
		t.Fatalf("%d entries after %d adds, last %+v", len(all), n+2, all[len(all)-1])
	}
	if d := all[0].Detail; len(d) > maxDetailLength || !bytes.HasPrefix([]byte(long), []byte(d)) {
		t.Fatalf("detail not clipped on a rune: %d bytes", len(d))
	}
	last2, err := l.Read(2)
	if err != nil || len(last2) != 2 || last2[1].Detail != "last" {
		t.Fatalf("Read(2) = %+v, %v", last2, err)
	}
}

// tech is a technician's Tandem Expert: its persistent identity.
type tech struct {
	id   *transport.Identity
	tech Technician
}

func newTech(t *testing.T, name string) tech {
	t.Helper()
	id, err := transport.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return tech{id: id, tech: Technician{ID: id.ID(), Name: name}}
}

// listen serves c's gate on loopback and returns its address; every confirmed connection is closed once the
// dialer has hung up (closing it at once could cut the dialer off before it reads the listener's confirmation).
func listen(t *testing.T, c *Computer) string {
	t.Helper()
	ln, err := transport.Listen("127.0.0.1:0", transport.ListenConfig{Identity: c.Identity(), Gate: c})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept(t.Context())
			if err != nil {
				return
			}
			wg.Go(func() {
				select {
				case <-conn.Done():
				case <-time.After(10 * time.Second):
				}
				conn.Close(protocol.NoError, "")
			})
		}
	})
	return ln.Addr().String()
}

// connect dials the computer at addr as tk with the password and returns the code it gets (NoError on success).
func (tk tech) connect(t *testing.T, addr, password string, computer transport.ID) protocol.Code {
	t.Helper()
	conn, err := transport.Dial(t.Context(), addr, transport.DialConfig{Identity: tk.id, Secret: secretOf(password, computer)})
	if err != nil {
		return protocol.CodeOf(err)
	}
	if conn.PeerID() != computer {
		t.Fatalf("the computer presented %v, want %v", conn.PeerID(), computer)
	}
	conn.Close(protocol.NoError, "")
	return protocol.NoError
}

func TestGateOverRealQUIC(t *testing.T) {
	c, err := OpenComputer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The gate reads the clock from the listener's goroutines, which may still be finishing an attempt.
	start := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	var later atomic.Int64
	c.now = func() time.Time { return start.Add(time.Duration(later.Load())) }
	addr := listen(t, c)
	ana, bob, eve := newTech(t, "Ana"), newTech(t, "Bob"), newTech(t, "Eve")
	const pw, pw2 = "first password here", "second password here"

	if got := ana.connect(t, addr, pw, c.ID()); got != protocol.NotAllowed {
		t.Fatalf("before set up: %v", got)
	}
	if err := c.SetUp(Secret(pw, c.ID()), ana.tech); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		who  tech
		pw   string
		do   func()
		want protocol.Code
	}{
		{"right password", ana, pw, nil, protocol.NoError},
		{"not on the list, right password", eve, pw, nil, protocol.NotAllowed},
		{"wrong password", ana, "nope nope nope", nil, protocol.WrongPassword},
		{"blocked", ana, pw, func() { must(t, c.SetBlocked(true)) }, protocol.Blocked},
		{"unblocked", ana, pw, func() { must(t, c.SetBlocked(false)) }, protocol.NoError},
		{"password changed: the old one", ana, pw, func() { must(t, c.ChangePassword(secretOf(pw2, c.ID()))) }, protocol.PasswordChanged},
		{"password changed: the new one", ana, pw2, nil, protocol.NoError},
		{"then a wrong one is wrong", ana, pw, nil, protocol.WrongPassword},
		{"a second technician set up", bob, pw2, func() { must(t, c.SetUp(secretOf(pw2, c.ID()), bob.tech)) }, protocol.NoError},
		// SetUp with the same password is a new generation too: Ana must give it once more, and she has it.
		{"first technician after that", ana, pw2, nil, protocol.NoError},
		{"removed", bob, pw2, func() { must(t, c.RemoveTechnician(bob.id.ID())) }, protocol.NotAllowed},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := s.who.connect(t, addr, s.pw, c.ID()); got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
	}

	// Five wrong passwords in a row lock access for LockFor, even to the right password, and say so.
	for i := range MaxWrongPasswords {
		if got := ana.connect(t, addr, "wrong guess number", c.ID()); got != protocol.WrongPassword {
			t.Fatalf("wrong password %d: %v", i+1, got)
		}
	}
	if got := ana.connect(t, addr, pw2, c.ID()); got != protocol.Locked {
		t.Fatalf("after %d wrong passwords: %v", MaxWrongPasswords, got)
	}
	if st := c.Status(); !st.LockedUntil.Equal(start.Add(LockFor)) {
		t.Fatalf("locked until %v, want %v", st.LockedUntil, start.Add(LockFor))
	}
	later.Store(int64(LockFor))
	if got := ana.connect(t, addr, pw2, c.ID()); got != protocol.NoError {
		t.Fatalf("after the lock: %v", got)
	}
	if st := c.Status(); st.Failures != 0 || !st.LockedUntil.IsZero() {
		t.Fatalf("after a right password: %+v", st)
	}

	entries, err := c.Log().Read(0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[Event]int{}
	for _, e := range entries {
		count[e.What]++
		if e.What == EventWrongPassword && (e.Technician != "Ana" || e.From == "" || e.TechnicianID != ana.id.ID().String()) {
			t.Errorf("wrong password logged as %+v", e)
		}
	}
	want := map[Event]int{EventSetUp: 2, EventRefusedUnknown: 3, EventWrongPassword: 3 + MaxWrongPasswords, EventBlocked: 1,
		EventUnblocked: 1, EventRefusedBlocked: 1, EventPasswordChanged: 1, EventRemoved: 1, EventLocked: 1, EventRefusedLocked: 1}
	for ev, n := range want {
		if count[ev] != n {
			t.Errorf("log has %d %q, want %d (log: %v)", count[ev], ev, n, count)
		}
	}
}

// secrets memoises Secret for the tests, which try the same passwords many times (argon2id is slow on purpose).
var secrets sync.Map

func secretOf(password string, computer transport.ID) []byte {
	key := password + "\x00" + computer.String()
	if s, ok := secrets.Load(key); ok {
		return s.([]byte)
	}
	s := Secret(password, computer)
	secrets.Store(key, s)
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A stranger who keeps knocking fills at most maxRefusalsLogged lines a minute, then one line says how many more.
func TestRefusalsDoNotFloodTheLog(t *testing.T) {
	c, err := OpenComputer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	var later atomic.Int64
	c.now = func() time.Time { return start.Add(time.Duration(later.Load())) }
	stranger := newTech(t, "Eve")
	for range maxRefusalsLogged + 15 {
		if _, _, err := c.Begin(stranger.id.ID(), nil); protocol.CodeOf(err) != protocol.NotAllowed {
			t.Fatalf("a stranger: %v", err)
		}
	}
	later.Store(int64(refusalWindow))
	if _, _, err := c.Begin(stranger.id.ID(), nil); err == nil {
		t.Fatal("a stranger got in")
	}
	entries, err := c.Log().Read(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != maxRefusalsLogged+2 || entries[maxRefusalsLogged].What != EventRefusedMore ||
		entries[maxRefusalsLogged].Detail != "15" || entries[maxRefusalsLogged+1].What != EventRefusedUnknown {
		t.Fatalf("%d entries; the summary %+v", len(entries), entries[min(maxRefusalsLogged, len(entries)-1)])
	}
}
