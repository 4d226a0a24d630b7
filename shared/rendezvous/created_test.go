package rendezvous

import (
	"fmt"
	"testing"
	"time"
)

// createdPlates gives a nameplate's revision to its owner only, once, and forgets what lapsed; taken entries
// do not pile up behind one that lives long.
func TestCreatedPlates(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	ttl := 10 * time.Minute
	tests := []struct {
		name string
		run  func(c *createdPlates) (rev uint64, ok bool)
		want uint64 // 0: not found
	}{
		{"owner takes it", func(c *createdPlates) (uint64, bool) {
			c.put("1234", "alice", 7, t0.Add(ttl), t0)
			return c.take("1234", "alice")
		}, 7},
		{"someone else does not", func(c *createdPlates) (uint64, bool) {
			c.put("1234", "alice", 7, t0.Add(ttl), t0)
			return c.take("1234", "mallory")
		}, 0},
		{"taken once", func(c *createdPlates) (uint64, bool) {
			c.put("1234", "alice", 7, t0.Add(ttl), t0)
			c.take("1234", "alice")
			return c.take("1234", "alice")
		}, 0},
		{"made again: the newer revision", func(c *createdPlates) (uint64, bool) {
			c.put("1234", "alice", 7, t0.Add(ttl), t0)
			c.put("1234", "alice", 9, t0.Add(2*ttl), t0.Add(ttl+time.Second))
			return c.take("1234", "alice")
		}, 9},
		{"lapsed ones go", func(c *createdPlates) (uint64, bool) {
			c.put("1234", "alice", 7, t0.Add(ttl), t0)
			c.put("5678", "bob", 8, t0.Add(2*ttl), t0.Add(ttl))
			return c.take("1234", "alice")
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c createdPlates
			rev, ok := tt.run(&c)
			if ok != (tt.want != 0) || rev != tt.want {
				t.Fatalf("take = %d, %v; want %d", rev, ok, tt.want)
			}
		})
	}

	t.Run("taken ones behind a live one", func(t *testing.T) {
		var c createdPlates
		c.put("0000", "alice", 1, t0.Add(ttl), t0) // never released
		for i := range 10_000 {
			name := fmt.Sprintf("%04d", 1+i%9999)
			c.put(name, "bob", uint64(i+2), t0.Add(ttl), t0)
			if _, ok := c.take(name, "bob"); !ok {
				t.Fatalf("take %s: not found", name)
			}
		}
		if c.len() != 1 || len(c.order) > 2*c.len()+65 {
			t.Fatalf("%d remembered, %d in order; want 1 and a few", c.len(), len(c.order))
		}
		if rev, ok := c.take("0000", "alice"); !ok || rev != 1 {
			t.Fatalf("the live one: %d, %v", rev, ok)
		}
	})
}
