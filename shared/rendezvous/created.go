package rendezvous

import (
	"sync"
	"time"
)

// createdPlates remembers the owner and revision of the nameplates this node created, until they are released
// or lapse, so that a release on this node deletes at that revision without reading the nameplate first. It is
// only a shortcut: a release it does not know reads the bucket, and the revision check refuses a nameplate that
// changed since. The zero value is ready to use.
type createdPlates struct {
	mu    sync.Mutex
	byKey map[string]createdPlate
	order []createdName // in creation order, which is expiry order (one TTL for all); may hold taken ones
}

type createdPlate struct {
	owner   string
	rev     uint64
	expires time.Time
}

type createdName struct {
	name string
	rev  uint64
}

// put records nameplate name, created for owner at revision rev, lapsing at expires; now is the time. The
// entries that lapsed by now go.
func (c *createdPlates) put(name, owner string, rev uint64, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = make(map[string]createdPlate)
	}
	drop := 0
	for _, o := range c.order {
		if e, ok := c.byKey[o.name]; ok && e.rev == o.rev {
			if e.expires.After(now) {
				break
			}
			delete(c.byKey, o.name)
		}
		drop++
	}
	c.order = c.order[drop:]
	if len(c.order) > 2*len(c.byKey)+64 { // mostly taken ones behind a live one: compact
		live := c.order[:0]
		for _, o := range c.order {
			if e, ok := c.byKey[o.name]; ok && e.rev == o.rev {
				live = append(live, o)
			}
		}
		clear(c.order[len(live):])
		c.order = live
	}
	c.order = append(c.order, createdName{name, rev})
	c.byKey[name] = createdPlate{owner: owner, rev: rev, expires: expires}
}

// take returns and forgets the revision of nameplate name if this node created it for owner.
func (c *createdPlates) take(name, owner string) (rev uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[name]
	if !ok || e.owner != owner {
		return 0, false
	}
	delete(c.byKey, name)
	return e.rev, true
}

// len returns how many nameplates it remembers.
func (c *createdPlates) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey)
}

// live returns how many of the nameplates it remembers have not lapsed by now.
func (c *createdPlates) live(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.byKey {
		if e.expires.After(now) {
			n++
		}
	}
	return n
}
