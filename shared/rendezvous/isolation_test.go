package rendezvous

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawConn connects with plain nats.go as principal Principal(token) and reports asynchronous errors (the
// server's permission violations) on the returned channel.
func rawConn(t *testing.T, url, user, token string) (*nats.Conn, <-chan error, error) {
	t.Helper()
	errs := make(chan error, 16)
	nc, err := nats.Connect(url,
		nats.UserInfo(user, token),
		nats.CustomInboxPrefix(inboxPrefix+Principal(token)),
		nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}),
	)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(nc.Close)
	return nc, errs, nil
}

// wantViolation waits for an asynchronous permission violation mentioning subject.
func wantViolation(t *testing.T, errs <-chan error, subject string) {
	t.Helper()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), subject) {
			t.Fatalf("got async error %v, want a permission violation for %s", err, subject)
		}
	case <-ctx(t).Done():
		t.Fatalf("no permission violation for %s", subject)
	}
}

// TestIsolation shows that a third client, with a token of its own, can neither read nor write another
// principal's subjects, nor get a message into a mailbox it is not a member of, nor reach JetStream, and that
// other user names and malformed tokens are refused.
func TestIsolation(t *testing.T) {
	srv := startServer(t, testConfig(t))
	url := srv.ClientURL()
	expert, customer, np, cmb := claimed(t, url)
	emb := expert.Open(<-np.Claims)
	victim := expert.Principal()

	// After each attempt, a genuine message from the customer must be the next thing the expert receives:
	// nothing the attacker did reached the mailbox.
	genuine := func(t *testing.T, msg string) {
		t.Helper()
		if err := cmb.Send(ctx(t), []byte(msg)); err != nil {
			t.Fatalf("customer Send: %v", err)
		}
		if got := recv(t, emb); got != msg {
			t.Fatalf("expert received %q, want %q: the attacker got through", got, msg)
		}
	}

	token := randomHex(16)
	nc, errs, err := rawConn(t, url, clientUser, token)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("subscribe to another principal's mailboxes", func(t *testing.T) {
		for _, subj := range []string{
			boxSubject(victim, ">"),
			boxSubject(victim, claimedToken),
			boxPrefix + ">",
			mbSubject("*", victim, "*"),
			mbSubject(customer.Principal(), victim, cmb.ID()),
			mbSubject(victim, "*", "*"),
			mbPrefix + ">",
			inboxPrefix + victim + ".>",
			">",
		} {
			if _, err := nc.Subscribe(subj, func(*nats.Msg) { t.Errorf("attacker received a message on %s", subj) }); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			wantViolation(t, errs, subj)
		}
		genuine(t, "after subscribe")
	})

	t.Run("publish a claim event", func(t *testing.T) {
		subj := boxSubject(victim, claimedToken)
		if err := nc.Publish(subj, []byte(`{"nameplate":"1234","mailbox":"`+cmb.ID()+`","claimer":"`+Principal(token)+`"}`)); err != nil {
			t.Fatal(err)
		}
		wantViolation(t, errs, subj)
		genuine(t, "after publish")
	})

	t.Run("publish as another principal", func(t *testing.T) {
		for _, subj := range []string{
			mbSubject(customer.Principal(), victim, cmb.ID()),
			reqSubject(customer.Principal(), opICE),
		} {
			if err := nc.Publish(subj, []byte("forged")); err != nil {
				t.Fatal(err)
			}
			wantViolation(t, errs, subj)
		}
		genuine(t, "after impersonation")
	})

	t.Run("send into a mailbox it is not a member of", func(t *testing.T) {
		// Under its own name, to the victim, in the victim's mailbox: delivered, and dropped by the victim's
		// client, which keeps only the customer's messages in that mailbox.
		attacker := dial(t, url)
		if err := attacker.Open(Claim{Mailbox: cmb.ID(), Peer: victim}).Send(ctx(t), []byte("forged")); err != nil {
			t.Fatalf("Send = %v", err)
		}
		if err := nc.Publish(mbSubject(Principal(token), victim, cmb.ID()), []byte("forged")); err != nil {
			t.Fatal(err)
		}
		genuine(t, "after foreign send")
	})

	t.Run("reply subject aimed at a mailbox", func(t *testing.T) {
		// The service must not answer into someone else's subjects.
		msg := &nats.Msg{Subject: reqSubject(Principal(token), opICE), Reply: boxSubject(victim, claimedToken)}
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		// A normal request from the same connection is answered after the forged one was handled.
		sub, err := nc.SubscribeSync(inboxPrefix + Principal(token) + ".probe")
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.PublishRequest(reqSubject(Principal(token), opICE), sub.Subject, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.NextMsgWithContext(ctx(t)); err != nil {
			t.Fatalf("no answer to the genuine request: %v", err)
		}
		genuine(t, "after forged reply subject")
	})

	t.Run("JetStream API", func(t *testing.T) {
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithTimeout(ctx(t), 2*time.Second)
		defer cancel()
		if _, err := js.KeyValue(c, nameplateBucket); err == nil {
			t.Fatal("the attacker opened the nameplate bucket")
		}
		wantViolation(t, errs, "$JS.API")
	})

	t.Run("other user names and bad tokens", func(t *testing.T) {
		for _, tc := range []struct{ user, pass string }{
			{"admin", randomHex(16)},
			{internalUser, randomHex(32)},
			{clientUser, "short"},
			{clientUser, strings.ToUpper(randomHex(16))},
			{"", ""},
		} {
			if _, _, err := rawConn(t, url, tc.user, tc.pass); !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("user %q connected or failed oddly: %v", tc.user, err)
			}
		}
	})
}
