package rendezvous

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestNameplatesUnique creates 300 nameplates at once from several clients. With 10 000 names, random draws
// collide with near certainty at this size, so the test goes through the "key exists" retry; the atomic
// KV create must still hand out 300 different names.
func TestNameplatesUnique(t *testing.T) {
	cfg := testConfig(t)
	cfg.CreatesPerMinute = 1000
	srv := startServer(t, cfg)
	const clients, each = 6, 50
	var (
		mu    sync.Mutex
		names = make(map[string]bool)
		wg    sync.WaitGroup
	)
	for range clients {
		c := dial(t, srv.ClientURL())
		wg.Go(func() {
			for range each {
				np, err := c.Create(ctx(t))
				if err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				mu.Lock()
				if names[np.Name] {
					t.Errorf("nameplate %s handed out twice", np.Name)
				}
				names[np.Name] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(names) != clients*each {
		t.Errorf("got %d distinct nameplates, want %d", len(names), clients*each)
	}
}

// TestClaimRefused covers every way a claim fails. Unknown, expired, released and used-up nameplates all give
// the same ErrUnknownNameplate; claiming one's own nameplate is forbidden. Expiry uses the server's clock
// (the nameplate carries its expiry), so the test does not wait for JetStream's TTL.
func TestClaimRefused(t *testing.T) {
	clk := &clock{}
	cfg := testConfig(t)
	cfg.MaxClaims = 3
	cfg.ClaimsPerMinute = 1000
	cfg.CreatesPerMinute = 1000
	cfg.now = clk.Now
	srv := startServer(t, cfg)
	expert := dial(t, srv.ClientURL())
	customer := dial(t, srv.ClientURL())

	create := func(t *testing.T) string {
		t.Helper()
		np, err := expert.Create(ctx(t))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return np.Name
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T) string // returns the nameplate to claim
		claimer *Client
		want    error
	}{
		{"never created", func(t *testing.T) string {
			// Create one to learn a name that is taken, then claim a different one.
			n := create(t)
			if n == "1234" {
				return "4321"
			}
			return "1234"
		}, customer, ErrUnknownNameplate},
		{"expired", func(t *testing.T) string {
			n := create(t)
			clk.Advance(10*time.Minute + time.Second)
			return n
		}, customer, ErrUnknownNameplate},
		{"released", func(t *testing.T) string {
			n := create(t)
			if err := expert.Release(ctx(t), n); err != nil {
				t.Fatalf("Release: %v", err)
			}
			return n
		}, customer, ErrUnknownNameplate},
		{"used up", func(t *testing.T) string {
			np, err := expert.Create(ctx(t))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			for i := range cfg.MaxClaims {
				if _, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), np.Name); err != nil {
					t.Fatalf("claim %d of %d: %v", i+1, cfg.MaxClaims, err)
				}
			}
			// The owner had every claim it accepts, and hears of no more.
			for i := range cfg.MaxClaims + 1 {
				if _, ok := <-np.Claims; ok != (i < cfg.MaxClaims) {
					t.Fatalf("Claims after %d claims: open %v", i, ok)
				}
			}
			return np.Name
		}, customer, ErrUnknownNameplate},
		{"owner gone", func(t *testing.T) string {
			// The owner's program went away without giving the nameplate back: nobody would answer the
			// claimer, who hears so at once instead of waiting for an answer that never comes.
			owner := dial(t, srv.ClientURL())
			np, err := owner.Create(ctx(t))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			owner.Close()
			return np.Name
		}, customer, ErrUnknownNameplate},
		{"own nameplate", create, expert, ErrForbidden},
		{"not four digits", func(*testing.T) string { return "12a4" }, customer, ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.prepare(t)
			_, _, err := tc.claimer.Claim(ctx(t), n)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Claim(%s) = %v, want %v", n, err, tc.want)
			}
		})
	}

	t.Run("release of someone else's nameplate", func(t *testing.T) {
		n := create(t)
		if err := customer.Release(ctx(t), n); !errors.Is(err, ErrUnknownNameplate) {
			t.Fatalf("Release by a stranger = %v, want ErrUnknownNameplate", err)
		}
		if _, _, err := customer.Claim(ctx(t), n); err != nil {
			t.Fatalf("the nameplate should have survived: %v", err)
		}
	})
}

// TestReleaseAfterAnotherNode: in a cluster, a nameplate can be released through another node and made again,
// so what the creating node remembers of it (its revision) is stale; the owner's release still deletes it, and a
// second release says it is gone.
func TestReleaseAfterAnotherNode(t *testing.T) {
	srv := startServer(t, testConfig(t))
	owner := dial(t, srv.ClientURL())
	var np *Nameplate
	for range 2 { // the second is at revision 2 or later
		var err error
		if np, err = owner.Create(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	// As if this node had made the same name for the same owner before, at an older revision.
	srv.svc.created.put(np.Name, owner.Principal(), 1, time.Now().Add(time.Minute), time.Now())
	if err := owner.Release(ctx(t), np.Name); err != nil {
		t.Fatalf("Release with a stale revision remembered: %v", err)
	}
	if _, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), np.Name); !errors.Is(err, ErrUnknownNameplate) {
		t.Fatalf("Claim after the release = %v, want ErrUnknownNameplate", err)
	}
	if err := owner.Release(ctx(t), np.Name); !errors.Is(err, ErrUnknownNameplate) {
		t.Fatalf("second Release = %v, want ErrUnknownNameplate", err)
	}
}

// TestRateLimits shows that creates and claims are counted per source address, not per principal: fresh
// clients from the same address share the budget.
func TestRateLimits(t *testing.T) {
	clk := &clock{}
	cfg := testConfig(t)
	cfg.CreatesPerMinute = 3
	cfg.ClaimsPerMinute = 2
	cfg.now = clk.Now
	srv := startServer(t, cfg)

	var names []string
	for i := range cfg.CreatesPerMinute {
		np, err := dial(t, srv.ClientURL()).Create(ctx(t))
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		names = append(names, np.Name)
	}
	if _, err := dial(t, srv.ClientURL()).Create(ctx(t)); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("create over the limit = %v, want ErrRateLimited", err)
	}
	for i := range cfg.ClaimsPerMinute {
		if _, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), names[i]); err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
	}
	if _, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), names[2]); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("claim over the limit = %v, want ErrRateLimited", err)
	}
	clk.Advance(time.Minute)
	if _, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), names[2]); err != nil {
		t.Fatalf("claim a minute later: %v", err)
	}
}

// A rendezvous that announces more claims than an owner will take (a modified one, trying to let many guessers
// in) gets no more than maxClaimsCap.
func TestOwnerCapsTheClaims(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxClaims = maxClaimsCap + 10
	cfg.ClaimsPerMinute = 1000
	srv := startServer(t, cfg)
	np, err := dial(t, srv.ClientURL()).Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	claimer := dial(t, srv.ClientURL())
	for i := range maxClaimsCap {
		if _, _, err := claimer.Claim(ctx(t), np.Name); err != nil {
			t.Fatalf("claim %d of %d: %v", i+1, maxClaimsCap, err)
		}
	}
	if _, _, err := claimer.Claim(ctx(t), np.Name); !errors.Is(err, ErrUnknownNameplate) {
		t.Fatalf("claim %d: %v", maxClaimsCap+1, err)
	}
}
