// Package rendezvous is the engine of tandem-rendezvous, the server through which Tandem Expert and Tandem
// Customer meet when neither can accept connections, and the client both programs use to talk to it.
//
// The server embeds nats-server (with JetStream) and a pion/turn TURN/STUN relay. It holds nothing the
// end-to-end security depends on: the session is confirmed end to end by CPace with a secret the rendezvous
// never sees, so a malicious rendezvous can deny service, never join.
//
// # Principals
//
// A client connects with NATS user "tandem" and a password it drew itself: a token of at least 128 bits in
// lower-case hex. Its principal P is the first 32 hex digits of hex(SHA-256(token)) (see Principal). nats-server
// permissions, set per connection by a custom authenticator, let it publish only to tandem.v1.req.P.> and
// tandem.v1.mb.P.*.*, subscribe only to _INBOX.P.>, tandem.v1.box.P.> and tandem.v1.mb.*.P.*, and answer the
// events it receives, so the principal in a request or message subject is proven by the connection. A
// restarted rendezvous needs no state to recognise a principal.
//
// # Protocol (version 1, JSON bodies)
//
//	tandem.v1.req.P.create          {}                → {nameplate, ice, expires, max_claims} | {error}
//	tandem.v1.req.Q.claim           {nameplate}       → {mailbox, owner, ice} | {error}
//	tandem.v1.req.P.release|retire  {nameplate}       → {} | {error}
//	tandem.v1.req.P.ice             (empty)           → {ice} | {error}
//	tandem.v1.box.P.claimed         {nameplate, mailbox, claimer} → {} | {error}, service to owner, per claim
//	tandem.v1.mb.S.R.M              opaque (≤ 64 KiB), from S to R in mailbox M, client to client, in order
//	tandem.v1.req.P.present         {computer, cert, sig} → {expires} | {error}
//	tandem.v1.req.P.absent          {computer}        → {} | {error}
//	tandem.v1.req.Q.knock           {computer}        → {mailbox, owner, ice} | {error}
//	tandem.v1.req.Q.lookup          {computer}        → {present} | {error}
//	tandem.v1.box.P.knocked         {computer, mailbox, claimer} → {} | {error}, service to computer, per knock
//
// The last five let an unattended computer be found by its computer ID, without a nameplate (see
// PresentRequest): it proves that it holds its identity key, and a knock at it opens a mailbox as a claim does.
//
// Requests are NATS request/reply. The service instances subscribe with the queue group "tandem-rendezvous", so
// the nodes of a cluster share the load. Errors are "unknown" (nameplate: never existed, expired, used up, not
// yours, or its owner is gone — never told apart), "busy", "limited", "forbidden" and "bad-request"; the client
// maps them to ErrUnknownNameplate, ErrBusy, ErrRateLimited, ErrForbidden and ErrBadRequest.
//
// Nameplates are four random digits, created atomically in the JetStream KV bucket "tandem-nameplates" (whose
// TTL is the nameplate lifetime) and written once: a claim only reads its owner, and a release deletes it at
// the revision it was made with. Each claim gets its own mailbox ID (128 random bits). The service asks the
// owner first (claimed), and only once the owner keeps the claimer's messages does it tell the claimer the
// mailbox and the owner's principal. The owner's client counts the claims: it accepts the maximum the create
// reply names (5) and refuses the rest, so that a guesser of the secret has that many tries. Mailbox messages never reach the service: each side publishes under its own name
// to the other, whose client keeps in mailbox M only what M's other member sent. Nothing of a mailbox is stored.
//
// ICE servers carry TURN REST credentials: user name "<unix expiry>:<principal>", password
// base64(HMAC-SHA1(secret, user name)), which the embedded relay checks and coturn's use-auth-secret mode
// accepts as well.
package rendezvous
