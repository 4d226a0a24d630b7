package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestComputers(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	secret := bytes.Repeat([]byte{1}, 32)
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, bad := range []Computer{{Addr: "a:1", Secret: secret}, {ID: "X", Addr: "a:1"}, {ID: "X", Secret: secret}} {
		if err := st.SaveComputer(ctx, bad); err == nil {
			t.Errorf("saved %+v", bad)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveComputer(ctx, Computer{ID: "B-ID", Name: "zoé-laptop", Owner: "Zoé", Addr: "192.0.2.7:47900", Secret: secret, Added: at}))
	must(st.SaveComputer(ctx, Computer{ID: "A-ID", Name: "Accounting", Owner: "Bob", Addr: "192.0.2.8:47900", Secret: secret, Added: at}))
	must(st.RenameComputer(ctx, "B-ID", "Zoé's laptop"))
	must(st.ComputerSeen(ctx, "B-ID", at.Add(time.Hour), "blocked"))
	cs, err := st.Computers(ctx)
	must(err)
	if len(cs) != 2 || cs[0].ID != "A-ID" || cs[1].Name != "Zoé's laptop" || cs[1].State != "blocked" || !cs[1].LastSeen.IsZero() {
		t.Fatalf("computers %+v", cs)
	}
	must(st.ComputerSeen(ctx, "B-ID", at.Add(2*time.Hour), ""))
	// Set up again, through a rendezvous: new address, rendezvous and secret, the name kept, the state cleared.
	secret2 := bytes.Repeat([]byte{2}, 32)
	const rv = "tls://rv.example.org:4222"
	must(st.SaveComputer(ctx, Computer{ID: "B-ID", Name: "ignored", Owner: "Zoé", Addr: "192.0.2.9:47900", Rendezvous: rv,
		Secret: secret2}))
	c, err := st.Computer(ctx, "B-ID")
	must(err)
	if c.Name != "Zoé's laptop" || c.Addr != "192.0.2.9:47900" || c.Rendezvous != rv || !bytes.Equal(c.Secret, secret2) ||
		!c.LastSeen.Equal(at.Add(2*time.Hour)) || !c.Added.Equal(at) {
		t.Fatalf("after a new set-up %+v", c)
	}
	// Reached only through a rendezvous: no address is needed.
	must(st.SaveComputer(ctx, Computer{ID: "C-ID", Owner: "Eve", Rendezvous: rv, Secret: secret}))
	must(st.SetComputerSecret(ctx, "B-ID", secret))
	must(st.RemoveComputer(ctx, "A-ID"))
	if _, err := st.Computer(ctx, "A-ID"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed computer: %v", err)
	}
	if err := st.RenameComputer(ctx, "A-ID", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("renaming a removed computer: %v", err)
	}
}
