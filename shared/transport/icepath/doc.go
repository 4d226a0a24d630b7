// Package icepath finds a UDP path between two programs that can only dial out (both behind NATs and
// firewalls), with ICE (github.com/pion/ice/v4): host, server-reflexive (STUN) and relayed (TURN over UDP,
// TCP or TLS) candidates are gathered, exchanged through a rendezvous mailbox, checked in pairs, and the
// best working pair becomes a [Path], on which QUIC runs.
//
// # Roles
//
// The offerer is the customer's program (it will dial QUIC) and calls [Offer]; it is the controlling ICE
// agent, which picks (nominates) the pair. The answerer is the technician's program (it listens for QUIC)
// and calls [Answer]; it is the controlled agent. Each call is one attempt with a fresh ICE agent; a caller
// that wants to retry calls again.
//
// # Signalling and generations
//
// The two sides talk through a [Signaller], an ordered mailbox that the caller provides. Every message is a
// small JSON object with a type "t" and a generation "gen" (a decimal string holding a uint64):
//
//	{"t":"offer",  "gen":"…", "ufrag":"…", "pwd":"…"}   offerer → answerer, first message of an attempt
//	{"t":"answer", "gen":"…", "ufrag":"…", "pwd":"…"}   answerer → offerer, first reply
//	{"t":"cand",   "gen":"…", "c":"candidate:…"}        either way, one per gathered candidate (trickle)
//	{"t":"end",    "gen":"…"}                           either way, after the last candidate
//
// The offerer draws a new generation for every attempt (or takes [Config.Generation]). After a reconnection
// the mailbox may still hold messages of an earlier attempt; both sides ignore messages of other
// generations, and the answerer answers only offers of generations it has not taken part in yet (it
// remembers them in [Config.Seen], which the caller shares between the attempts of a session). An offer of a
// newer generation that arrives while the answerer is still connecting replaces the attempt under way.
// Messages that do not parse, candidates that do not parse or are not plain UDP addresses, and candidates
// beyond [MaxRemoteCandidates] are skipped with a logged reason; they never end an attempt.
//
// The ICE user fragments and passwords travel through the mailbox, which the rendezvous can read: ICE
// authenticates nothing end to end. The caller binds the path to the session by putting [Path.OffererUfrag]
// and [Path.AnswererUfrag] into its key confirmation transcript.
//
// # The fixed peer address
//
// [Path] is a net.PacketConn for quic.Transport{Conn: path}. ReadFrom reports every datagram as coming from
// one fixed address ([Path.RemoteAddr], the selected remote candidate) and WriteTo ignores its address and
// sends on the selected pair. That is all quic-go needs: a Path carries exactly one peer, and quic-go tells
// connections apart by connection ID, not by address; since the address never changes, quic-go never sees a
// migration. A Path offers neither SyscallConn nor ReadMsgUDP, so quic-go uses its plain PacketConn code (no
// GSO, no ECN, no path-MTU discovery: it keeps its initial 1280-byte packets, which also fit in a TURN
// channel). The ICE agent keeps consent checks and keepalives running on the same pair, next to QUIC.
//
// When the path is lost (no packet from the peer for [Config.DisconnectedTimeout] plus
// [Config.FailedTimeout]), the agent is closed: [Path.Done] is closed and ReadFrom and WriteTo fail with
// [ErrPathLost], so quic-go sees its connection die.
package icepath
