package rendezvous

import (
	"fmt"
	"testing"
)

// TestExchange proves the whole signalling path over NATS TCP and over WebSocket: create, claim, the owner's
// claim event, and ordered messages both ways through the mailbox, including a message the claimer sends
// before the owner has opened the mailbox.
func TestExchange(t *testing.T) {
	srv := startServer(t, testConfig(t))
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"nats", srv.ClientURL()},
		{"websocket", srv.WebSocketURL() + "/tandem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expert, customer := dial(t, tc.url), dial(t, tc.url)
			np, err := expert.Create(ctx(t))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if len(np.ICE) == 0 {
				t.Errorf("Create returned no ICE servers")
			}
			cmb, ice, err := customer.Claim(ctx(t), np.Name)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if len(ice) == 0 {
				t.Errorf("Claim returned no ICE servers")
			}
			// The customer speaks first, before the expert has even seen the claim.
			if err := cmb.Send(ctx(t), []byte("hello from customer")); err != nil {
				t.Fatalf("customer Send: %v", err)
			}
			var claim Claim
			select {
			case claim = <-np.Claims:
			case <-ctx(t).Done():
				t.Fatal("no claim event")
			}
			if claim.Nameplate != np.Name || claim.Mailbox != cmb.ID() {
				t.Fatalf("claim event %+v, want nameplate %s mailbox %s", claim, np.Name, cmb.ID())
			}
			emb := expert.Open(claim)
			if got := recv(t, emb); got != "hello from customer" {
				t.Errorf("expert got %q", got)
			}
			const n = 50
			for i := range n {
				if err := emb.Send(ctx(t), fmt.Appendf(nil, "e%d", i)); err != nil {
					t.Fatalf("expert Send %d: %v", i, err)
				}
			}
			for i := range n {
				if got, want := recv(t, cmb), fmt.Sprintf("e%d", i); got != want {
					t.Fatalf("customer got %q, want %q", got, want)
				}
			}
			if err := cmb.Send(ctx(t), []byte("bye")); err != nil {
				t.Fatalf("customer Send: %v", err)
			}
			if got := recv(t, emb); got != "bye" {
				t.Errorf("expert got %q", got)
			}
			if err := expert.Release(ctx(t), np.Name); err != nil {
				t.Errorf("Release: %v", err)
			}
		})
	}
}

// TestSeveralClaims shows that every claim of one nameplate gets its own mailbox and its own claim event, so a
// customer who typed a wrong key cannot read or disturb the right customer's signalling, and that Release
// closes the nameplate's Claims.
func TestSeveralClaims(t *testing.T) {
	srv := startServer(t, testConfig(t))
	expert := dial(t, srv.ClientURL())
	np, err := expert.Create(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	customers := make(map[string]*Mailbox) // by mailbox ID
	for i := range n {
		mb, _, err := dial(t, srv.ClientURL()).Claim(ctx(t), np.Name)
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		if err := mb.Send(ctx(t), []byte("I am "+mb.ID())); err != nil {
			t.Fatal(err)
		}
		customers[mb.ID()] = mb
	}
	if len(customers) != n {
		t.Fatalf("%d claims share mailboxes: %d distinct", n, len(customers))
	}
	for range n {
		c := <-np.Claims
		cmb, ok := customers[c.Mailbox]
		if !ok {
			t.Fatalf("claim event for unknown mailbox %s", c.Mailbox)
		}
		emb := expert.Open(c)
		if got := recv(t, emb); got != "I am "+c.Mailbox {
			t.Errorf("mailbox %s carried %q", c.Mailbox, got)
		}
		if err := emb.Send(ctx(t), []byte("answer for "+c.Mailbox)); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, cmb); got != "answer for "+c.Mailbox {
			t.Errorf("customer of %s got %q", c.Mailbox, got)
		}
	}
	if err := expert.Release(ctx(t), np.Name); err != nil {
		t.Fatal(err)
	}
	if _, open := <-np.Claims; open {
		t.Error("Claims still open after Release")
	}
}
