package rendezvous

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Presence: an unattended computer, whose identity (an Ed25519 certificate) lasts, keeps itself findable by
// its computer ID, the hex SHA-256 of its certificate, so that a technician who saved it can reach it from
// anywhere without a nameplate:
//
//	tandem.v1.req.P.present  PresentRequest → PresentReply   P is now where knocks at the computer go
//	tandem.v1.req.P.absent   AbsentRequest  → Reply          the computer is no longer found here
//	tandem.v1.req.Q.knock    KnockRequest   → ClaimReply     a mailbox shared with the computer's principal
//	tandem.v1.req.Q.lookup   LookupRequest  → LookupReply    whether the computer is present
//	tandem.v1.box.P.knocked  KnockedEvent   → Reply          from the service to the computer, per knock
//
// A presence proves that its principal holds the computer's key: the request carries the certificate and an
// Ed25519 signature of PresenceMessage(P), so a stranger cannot divert the knocks meant for a computer, and a
// signature seen by the rendezvous is worth nothing to another principal. Presences live PresenceTTL (3 minutes
// by default) unless renewed; the client renews them well before. The rendezvous still cannot join: the
// technician pins the computer's certificate and proves the password end to end.
const (
	opPresent = "present"
	opAbsent  = "absent"
	opKnock   = "knock"
	opLookup  = "lookup"

	knockedToken   = "knocked"
	presenceBucket = "tandem-presence"
	presenceDomain = "tandem-presence-v1\n"
	maxCertSize    = 4096
)

// ErrAbsent: the computer knocked at is not present at this rendezvous (off, not connected, or never was).
var ErrAbsent = errors.New("rendezvous: the computer is not present")

// PresenceMessage is what a computer signs with its identity key to be present as principal p.
func PresenceMessage(p string) []byte { return []byte(presenceDomain + p) }

// ComputerKey returns the key a computer is present under: the hex SHA-256 of its certificate (DER).
func ComputerKey(certDER []byte) string {
	sum := sha256.Sum256(certDER)
	return hex.EncodeToString(sum[:])
}

// PresentRequest makes the caller's principal the one knocks at Computer reach.
type PresentRequest struct {
	// Computer is ComputerKey(Cert).
	Computer string `json:"computer"`
	// Cert is the computer's certificate (DER), with an Ed25519 key.
	Cert []byte `json:"cert"`
	// Sig is the Ed25519 signature of PresenceMessage(the caller's principal) by the certificate's key.
	Sig []byte `json:"sig"`
}

// PresentReply answers a PresentRequest.
type PresentReply struct {
	// Expires is when the presence lapses unless renewed, in Unix seconds.
	Expires int64 `json:"expires,omitempty"`
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// AbsentRequest ends the caller's presence for Computer.
type AbsentRequest struct {
	Computer string `json:"computer"`
}

// KnockRequest asks for a mailbox shared with a present computer.
type KnockRequest struct {
	Computer string `json:"computer"`
}

// LookupRequest asks whether a computer is present.
type LookupRequest struct {
	Computer string `json:"computer"`
}

// LookupReply answers a LookupRequest.
type LookupReply struct {
	Present bool `json:"present"`
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// KnockedEvent tells a present computer that someone knocked; like a claim, each knock gets its own mailbox,
// and the knocker hears of it only once the computer keeps its messages.
type KnockedEvent struct {
	Computer string `json:"computer"`
	Mailbox  string `json:"mailbox"`
	Claimer  string `json:"claimer"`
}

// presenceEntry is the value stored under a computer key in the tandem-presence bucket.
type presenceEntry struct {
	Owner   string `json:"owner"`
	Expires int64  `json:"expires"` // Unix seconds
}

// validComputer reports whether s is a computer key: 64 lower-case hex digits.
func validComputer(s string) bool { return len(s) == 64 && isLowerHex(s) }

func (r *PresentReply) errorCode() string { return r.Error }
func (r *LookupReply) errorCode() string  { return r.Error }

// present checks p's proof of holding the computer's key and makes p its presence.
func (s *service) present(ctx context.Context, p string, body []byte) (any, string) {
	var req PresentRequest
	if err := json.Unmarshal(body, &req); err != nil || !validComputer(req.Computer) || len(req.Cert) > maxCertSize ||
		ComputerKey(req.Cert) != req.Computer {
		return nil, codeBadRequest
	}
	cert, err := x509.ParseCertificate(req.Cert)
	if err != nil {
		return nil, codeBadRequest
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || !ed25519.Verify(pub, PresenceMessage(p), req.Sig) {
		s.cfg.Log.Info("presence refused: no proof of the computer's key", "principal", p)
		return nil, codeForbidden
	}
	if !s.presentLim.allow(s.sources.source(p)) {
		return nil, codeLimited
	}
	expires := s.cfg.now().Add(s.cfg.PresenceTTL)
	val, _ := json.Marshal(presenceEntry{Owner: p, Expires: expires.Unix()})
	if _, err := kv(ctx, func(c context.Context) (uint64, error) { return s.presence.Put(c, req.Computer, val) }); err != nil {
		s.cfg.Log.Error("presence failed", "principal", p, "err", err)
		return nil, codeInternal
	}
	s.cfg.Log.Debug("computer present", "principal", p, "computer", req.Computer)
	return PresentReply{Expires: expires.Unix()}, ""
}

// absent deletes p's presence for a computer; someone else's is left alone and reported as unknown.
func (s *service) absent(ctx context.Context, p string, body []byte) (any, string) {
	var req AbsentRequest
	if err := json.Unmarshal(body, &req); err != nil || !validComputer(req.Computer) {
		return nil, codeBadRequest
	}
	e, rev, code := s.readPresence(ctx, req.Computer)
	if code == "" && e.Owner != p {
		code = codeUnknown
	}
	if code != "" {
		return nil, code
	}
	_, err := kv(ctx, func(c context.Context) (struct{}, error) {
		return struct{}{}, s.presence.Delete(c, req.Computer, jetstream.LastRevision(rev))
	})
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists):
		return nil, codeUnknown // renewed or taken over meanwhile
	case err != nil:
		return nil, codeInternal
	}
	return Reply{}, ""
}

// knock finds a present computer for q and opens a mailbox between them, asking the computer first.
func (s *service) knock(ctx context.Context, q string, body []byte) (any, string) {
	var req KnockRequest
	if err := json.Unmarshal(body, &req); err != nil || !validComputer(req.Computer) {
		return nil, codeBadRequest
	}
	if !s.claimLim.allow(s.sources.source(q)) {
		s.cfg.Log.Info("knock refused: rate limit", "principal", q)
		return nil, codeLimited
	}
	e, _, code := s.readPresence(ctx, req.Computer)
	switch {
	case code != "":
	case s.cfg.now().Unix() >= e.Expires:
		code = codeUnknown
	case e.Owner == q:
		code = codeForbidden
	}
	if code != "" {
		s.cfg.Log.Info("knock refused", "principal", q, "computer", req.Computer, "reason", code)
		return nil, code
	}
	m := randomHex(16)
	ev, _ := json.Marshal(KnockedEvent{Computer: req.Computer, Mailbox: m, Claimer: q})
	if !s.askOwner(ctx, e.Owner, knockedToken, ev) {
		s.cfg.Log.Info("knock unanswered", "principal", q, "owner", e.Owner, "computer", req.Computer)
		return nil, codeUnknown
	}
	ice, err := s.iceServers(q)
	if err != nil {
		return nil, codeInternal
	}
	s.cfg.Log.Info("computer knocked at", "principal", q, "owner", e.Owner, "computer", req.Computer, "mailbox", m)
	return ClaimReply{Mailbox: m, Owner: e.Owner, ICE: ice}, ""
}

// lookup tells whether a computer is present.
func (s *service) lookup(ctx context.Context, q string, body []byte) (any, string) {
	var req LookupRequest
	if err := json.Unmarshal(body, &req); err != nil || !validComputer(req.Computer) {
		return nil, codeBadRequest
	}
	if !s.lookupLim.allow(s.sources.source(q)) {
		return nil, codeLimited
	}
	e, _, code := s.readPresence(ctx, req.Computer)
	switch code {
	case "":
		return LookupReply{Present: s.cfg.now().Unix() < e.Expires}, ""
	case codeUnknown:
		return LookupReply{}, ""
	default:
		return nil, code
	}
}

// readPresence reads the presence of a computer and its revision, or the code of a reply (unknown, internal).
func (s *service) readPresence(ctx context.Context, computer string) (presenceEntry, uint64, string) {
	var e presenceEntry
	rev, code := s.readEntry(ctx, s.presence, computer, &e)
	return e, rev, code
}

// askOwner sends an event to the principal owner's box and reports whether it accepted it in time.
func (s *service) askOwner(ctx context.Context, owner, token string, ev []byte) bool {
	actx, cancel := context.WithTimeout(ctx, claimAckWait)
	defer cancel()
	ack, err := s.nc.RequestWithContext(actx, boxSubject(owner, token), ev)
	var r Reply
	return err == nil && json.Unmarshal(ack.Data, &r) == nil && r.Error == ""
}

// presenceRenewal is how long a client waits before it renews a presence that lasts until expires.
func presenceRenewal(now, expires time.Time) time.Duration {
	return max(expires.Sub(now)/3, time.Second)
}
