package rendezvous

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Knock tells a present computer that someone knocked at it; open its mailbox with Client.OpenKnock.
type Knock struct {
	// Computer is the computer key knocked at.
	Computer string
	// Mailbox is the ID of the mailbox shared with the knocker.
	Mailbox string
	// Peer is the knocker's principal.
	Peer string
}

// knocksBuffer is how many knocks wait for the reader of Knocks before the next are refused.
const knocksBuffer = 16

// Present makes this client the one that knocks at a computer reach: cert is the computer's certificate
// (DER, Ed25519) and sign signs with its key. It returns when the presence lapses unless Present is called
// again; call it again after Renewal. Knocks arrive on Knocks.
func (c *Client) Present(ctx context.Context, cert []byte, sign func([]byte) []byte) (time.Time, error) {
	computer := ComputerKey(cert)
	c.mu.Lock()
	if c.present == nil {
		c.present = make(map[string]bool)
	}
	c.present[computer] = true // before the request: a knock may come as soon as the rendezvous answers
	c.mu.Unlock()
	body, _ := json.Marshal(PresentRequest{Computer: computer, Cert: cert, Sig: sign(PresenceMessage(c.p))})
	var r PresentReply
	if err := c.request(ctx, reqSubject(c.p, opPresent), opPresent, body, &r); err != nil {
		return time.Time{}, err
	}
	return time.Unix(r.Expires, 0), nil
}

// Renewal is how long to wait before renewing a presence that lapses at expires.
func Renewal(expires time.Time) time.Duration { return presenceRenewal(time.Now(), expires) }

// Absent ends this client's presence for the computer of cert: knocks at it are refused from now on.
func (c *Client) Absent(ctx context.Context, cert []byte) error {
	computer := ComputerKey(cert)
	c.mu.Lock()
	delete(c.present, computer)
	c.mu.Unlock()
	body, _ := json.Marshal(AbsentRequest{Computer: computer})
	var r Reply
	return c.request(ctx, reqSubject(c.p, opAbsent), opAbsent, body, &r)
}

// Knocks delivers the knocks at the computers this client is present for. It is never closed before Close.
func (c *Client) Knocks() <-chan Knock { return c.knocks }

// OpenKnock returns the mailbox of a knock, with any message of the knocker that already arrived.
func (c *Client) OpenKnock(k Knock) *Mailbox {
	return c.Open(Claim{Mailbox: k.Mailbox, Peer: k.Peer})
}

// KnockAt asks the rendezvous for a mailbox shared with the present computer whose key is computer, and ICE
// servers. ErrAbsent means the computer is not present here.
func (c *Client) KnockAt(ctx context.Context, computer string) (*Mailbox, []ICEServer, error) {
	if !validComputer(computer) {
		return nil, nil, fmt.Errorf("rendezvous: knock: %q is not a computer key: %w", computer, ErrBadRequest)
	}
	var r ClaimReply
	body, _ := json.Marshal(KnockRequest{Computer: computer})
	if err := c.request(ctx, reqSubject(c.p, opKnock), opKnock, body, &r); err != nil {
		if errors.Is(err, ErrUnknownNameplate) {
			return nil, nil, fmt.Errorf("rendezvous: knock: %w", ErrAbsent)
		}
		return nil, nil, err
	}
	if !validMailbox(r.Mailbox) || !validPrincipal(r.Owner) {
		return nil, nil, errors.New("rendezvous: knock: malformed mailbox or owner in the reply")
	}
	return c.Open(Claim{Mailbox: r.Mailbox, Peer: r.Owner}), r.ICE, nil
}

// Lookup tells whether the computer whose key is computer is present at the rendezvous.
func (c *Client) Lookup(ctx context.Context, computer string) (bool, error) {
	if !validComputer(computer) {
		return false, fmt.Errorf("rendezvous: lookup: %q is not a computer key: %w", computer, ErrBadRequest)
	}
	var r LookupReply
	body, _ := json.Marshal(LookupRequest{Computer: computer})
	if err := c.request(ctx, reqSubject(c.p, opLookup), opLookup, body, &r); err != nil {
		return false, err
	}
	return r.Present, nil
}

// knockedLocked takes a knock event: like a claim, the mailbox is made ready before the service is answered.
// A knock at a computer this client is not present for, or that nobody reads, is refused.
func (c *Client) knockedLocked(msg *nats.Msg) {
	var ev KnockedEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil || !validMailbox(ev.Mailbox) || !validPrincipal(ev.Claimer) {
		c.log.Warn("malformed knock event from the rendezvous")
		c.answerClaim(msg, codeBadRequest)
		return
	}
	if !c.present[ev.Computer] {
		c.answerClaim(msg, codeUnknown)
		return
	}
	select {
	case c.knocks <- Knock{Computer: ev.Computer, Mailbox: ev.Mailbox, Peer: ev.Claimer}:
	default:
		c.log.Warn("knock refused: nobody reads Knocks", "computer", ev.Computer)
		c.answerClaim(msg, codeUnknown)
		return
	}
	c.mailboxForLocked(ev.Mailbox, ev.Claimer)
	c.answerClaim(msg, "")
}
