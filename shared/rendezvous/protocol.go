package rendezvous

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Version is the protocol version carried in every subject ("tandem.v1....").
const Version = 1

// Subjects. P is a principal (see Principal), M a mailbox ID.
//
//	tandem.v1.req.P.create    request  CreateRequest → CreateReply
//	tandem.v1.req.P.claim     request  ClaimRequest → ClaimReply
//	tandem.v1.req.P.release   request  ReleaseRequest → Reply
//	tandem.v1.req.P.retire    request  same as release
//	tandem.v1.req.P.ice       request  (empty) → ICEReply
//	tandem.v1.box.P.claimed   request  ClaimedEvent → Reply, from the service to the owner of a nameplate,
//	                          which registers the mailbox before it answers
//	tandem.v1.mb.S.R.M        message  opaque body (≤ MaxMessageSize), from S to R in mailbox M; S may
//	                          publish only under its own name, R reads only what is addressed to it and keeps
//	                          only what comes from the other member of M
//
// The server only answers a request whose reply subject lies under the sender's own inbox prefix
// (_INBOX.P.), so a client cannot aim the service's replies at someone else's subjects.
const (
	subjectPrefix = "tandem.v1."
	reqPrefix     = subjectPrefix + "req."
	boxPrefix     = subjectPrefix + "box."
	mbPrefix      = subjectPrefix + "mb."
	inboxPrefix   = "_INBOX."

	opCreate  = "create"
	opClaim   = "claim"
	opRelease = "release"
	opRetire  = "retire"
	opICE     = "ice"

	claimedToken = "claimed"

	// clientUser is the NATS user name every client connects with; the password is its token.
	clientUser = "tandem"
	// queueGroup lets the service instances of a cluster share the requests.
	queueGroup = "tandem-rendezvous"

	nameplateBucket = "tandem-nameplates"
)

// MaxMessageSize is the largest mailbox message body, in bytes.
const MaxMessageSize = 64 << 10

// Error codes carried in the "error" field of a reply.
const (
	codeUnknown    = "unknown"
	codeBusy       = "busy"
	codeLimited    = "limited"
	codeForbidden  = "forbidden"
	codeBadRequest = "bad-request"
	codeInternal   = "internal"
)

// Errors a client call can return, matched with errors.Is.
var (
	// ErrUnknownNameplate: the nameplate does not exist, expired, or was used up. The three are not told apart.
	ErrUnknownNameplate = errors.New("rendezvous: unknown nameplate")
	// ErrUnknownMailbox: the mailbox was not opened from a claim, so its other member is not known.
	ErrUnknownMailbox = errors.New("rendezvous: unknown mailbox")
	// ErrBusy: the rendezvous has no free nameplate right now.
	ErrBusy = errors.New("rendezvous: no free nameplate")
	// ErrRateLimited: too many requests from this source; try again in a minute.
	ErrRateLimited = errors.New("rendezvous: rate limited")
	// ErrForbidden: the caller may not do this (claim its own nameplate, release someone else's).
	ErrForbidden = errors.New("rendezvous: forbidden")
	// ErrBadRequest: the rendezvous did not understand the request.
	ErrBadRequest = errors.New("rendezvous: bad request")
	// ErrUnavailable: no rendezvous service answered (starting up, or the cluster lost its quorum).
	ErrUnavailable = errors.New("rendezvous: service unavailable")
	// ErrTooLarge: a mailbox message is larger than MaxMessageSize.
	ErrTooLarge = errors.New("rendezvous: message too large")
	// ErrClosed: the client or mailbox was closed.
	ErrClosed = errors.New("rendezvous: closed")
)

// IsUnknownNameplate reports whether err says that a nameplate is unknown (never existed, expired or used up).
func IsUnknownNameplate(err error) bool { return errors.Is(err, ErrUnknownNameplate) }

// codeError maps a wire error code to its sentinel error ("unknown" is always a nameplate).
func codeError(code string) error {
	switch code {
	case "":
		return nil
	case codeUnknown:
		return ErrUnknownNameplate
	case codeBusy:
		return ErrBusy
	case codeLimited:
		return ErrRateLimited
	case codeForbidden:
		return ErrForbidden
	case codeBadRequest:
		return ErrBadRequest
	default:
		return fmt.Errorf("rendezvous: server error %q", code)
	}
}

// ICEServer is one STUN or TURN server as handed to pion/ice (and to WebRTC's RTCIceServer).
type ICEServer struct {
	// URLs are stun:, turn: or turns: URLs, e.g. "turn:relay.example.org:3478?transport=udp".
	URLs []string `json:"urls"`
	// Username is the TURN user name ("<unix expiry>:<principal>"); empty for STUN.
	Username string `json:"username,omitempty"`
	// Credential is the TURN password, base64(HMAC-SHA1(secret, Username)); empty for STUN.
	Credential string `json:"credential,omitempty"`
}

// CreateRequest asks for a fresh nameplate. It has no fields yet.
type CreateRequest struct{}

// CreateReply answers a CreateRequest.
type CreateReply struct {
	// Nameplate is four decimal digits, "0000" to "9999".
	Nameplate string `json:"nameplate,omitempty"`
	// ICE lists STUN/TURN servers with fresh credentials.
	ICE []ICEServer `json:"ice,omitempty"`
	// Expires is when the nameplate lapses, in Unix seconds.
	Expires int64 `json:"expires,omitempty"`
	// MaxClaims is how many claims the owner accepts; it refuses the claims after those.
	MaxClaims int `json:"max_claims,omitempty"`
	// JoinPage is the address of the rendezvous's join page, where a customer types the key; empty when it
	// serves none.
	JoinPage string `json:"join_page,omitempty"`
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// ClaimRequest claims another principal's nameplate.
type ClaimRequest struct {
	// Nameplate is the four digits the customer typed.
	Nameplate string `json:"nameplate"`
}

// ClaimReply answers a ClaimRequest.
type ClaimReply struct {
	// Mailbox is the ID (32 hex digits) of the mailbox shared with the nameplate's owner.
	Mailbox string `json:"mailbox,omitempty"`
	// Owner is the principal of the nameplate's owner, the other member of the mailbox.
	Owner string `json:"owner,omitempty"`
	// ICE lists STUN/TURN servers with fresh credentials.
	ICE []ICEServer `json:"ice,omitempty"`
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// ClaimedEvent tells a nameplate's owner that someone claimed it; each claim gets its own mailbox. The owner
// answers with a Reply once it keeps the claimer's messages, and only then does the claimer hear of the mailbox:
// its first message cannot come before the owner knows whom it is from.
type ClaimedEvent struct {
	// Nameplate is the claimed nameplate.
	Nameplate string `json:"nameplate"`
	// Mailbox is the ID of the mailbox shared with the claimer.
	Mailbox string `json:"mailbox"`
	// Claimer is the principal of the claimer, the other member of the mailbox.
	Claimer string `json:"claimer"`
}

// ReleaseRequest deletes the caller's own nameplate (release and retire are the same operation).
type ReleaseRequest struct {
	// Nameplate is the nameplate to delete.
	Nameplate string `json:"nameplate"`
}

// ICEReply answers an ice request with fresh TURN credentials.
type ICEReply struct {
	// ICE lists STUN/TURN servers with fresh credentials.
	ICE []ICEServer `json:"ice,omitempty"`
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// Reply answers release requests, and the owner's answer to a ClaimedEvent.
type Reply struct {
	// Error is an error code; empty on success.
	Error string `json:"error,omitempty"`
}

// nameplateEntry is the value stored under a nameplate in the tandem-nameplates bucket.
type nameplateEntry struct {
	Owner   string `json:"owner"`
	Expires int64  `json:"expires"` // Unix seconds
}

// Principal derives the principal of a client token: the first 32 hex digits of hex(SHA-256(token)). Only
// the holder of the token can act as the principal, and the rendezvous never needs to store the token.
func Principal(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])[:32]
}

// validToken reports whether a client token is 32 to 128 lower-case hex digits (≥ 128 bits).
func validToken(t string) bool {
	return len(t) >= 32 && len(t) <= 128 && isLowerHex(t)
}

// validNameplate reports whether s is exactly four decimal digits.
func validNameplate(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validMailbox reports whether s is a mailbox ID: 32 lower-case hex digits.
func validMailbox(s string) bool { return len(s) == 32 && isLowerHex(s) }

// validPrincipal reports whether s has the shape of a principal: 32 lower-case hex digits.
func validPrincipal(s string) bool { return validMailbox(s) }

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// reqSubject builds tandem.v1.req.P.op[.rest].
func reqSubject(p, op string, rest ...string) string {
	return reqPrefix + p + "." + strings.Join(append([]string{op}, rest...), ".")
}

// boxSubject builds tandem.v1.box.P.tail.
func boxSubject(p, tail string) string { return boxPrefix + p + "." + tail }

// mbSubject builds tandem.v1.mb.S.R.M, a message from S to R in mailbox M.
func mbSubject(from, to, m string) string { return mbPrefix + from + "." + to + "." + m }

// parseMB splits a mailbox message subject into sender, receiver and mailbox; ok is false for any other shape.
func parseMB(subject string) (from, to, m string, ok bool) {
	rest, found := strings.CutPrefix(subject, mbPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || !validPrincipal(parts[0]) || !validPrincipal(parts[1]) || !validMailbox(parts[2]) {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
