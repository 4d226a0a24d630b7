package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"fmt"
	"io"
	"net"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/cpace"
)

// The key confirmation runs on the first bidirectional stream, which the dialer opens. Every field has a fixed
// size, so nothing here allocates on a peer's say-so:
//
//	dialer → listener  "TNDM" | min version (1) | max version (1) | Ya (32)
//	listener → dialer  min version (1) | max version (1) | Yb (32)
//	dialer → listener  tag_a (64)
//	listener → dialer  tag_b (64) | 0x01 (accepted)
//
// A version range without overlap, a spent key or a wrong tag closes the connection with the matching
// protocol.Code instead. Ya and Yb are CPace shares (package cpace), computed with the secret as PRS, the
// session binding of binding() as CI and sid, and each side's version range as its associated data, so a
// downgrade of the version range also breaks the confirmation. The tags are the draft's explicit key
// confirmation (cpace.ConfirmationTag over each sender's share and AD).
//
// The dialer's tag goes first (protocol version 2; version 1 had the listener's first). Whoever first receives
// the other's tag can check one guess of the key; a dialer that has only Yb can check nothing. So a dialer that
// stalls or hangs up before its tag has made no guess and costs the key nothing (Outcome Abandoned), and only a
// wrong tag counts against it (Failed): strangers cannot use up a key by starting attempts and stalling. The
// dialer then checks the listener's tag, so each side proves the key to the other.

const (
	confirmMagic = "TNDM"
	shareSize    = 32
	tagSize      = sha512.Size
	acceptByte   = 0x01
)

// versionRange is the protocol versions a side speaks, oldest first.
type versionRange struct{ min, max uint8 }

func localVersions() versionRange {
	return versionRange{min: uint8(protocol.MinVersion), max: uint8(protocol.Version)}
}

func (v versionRange) ad() []byte { return []byte{v.min, v.max} }

// common returns the highest version both ranges hold.
func (v versionRange) common(peer versionRange) (uint8, bool) {
	hi := min(v.max, peer.max)
	if hi < max(v.min, peer.min) {
		return 0, false
	}
	return hi, true
}

// binding is what ties the confirmation to this one TLS session: exporter keying material and both
// certificate fingerprints, listener's first, then the path context (PathContext) when the connection runs over
// a path that a rendezvous helped find, so that a rendezvous which swaps nameplates, mailboxes or ICE
// credentials breaks the confirmation.
type binding struct {
	ci, sid []byte
}

func newBinding(exporter []byte, listener, dialer ID, path []byte) binding {
	ci := make([]byte, 0, len(protocol.ALPN)+len(exporter)+2*len(ID{})+len(path))
	ci = append(ci, protocol.ALPN...)
	ci = append(ci, exporter[:32]...)
	ci = append(ci, listener[:]...)
	ci = append(ci, dialer[:]...)
	ci = append(ci, path...)
	return binding{ci: ci, sid: exporter[32:48]}
}

// exporterLabel names Tandem's use of the TLS exporter (RFC 8446 §7.5).
const exporterLabel = "EXPORTER-tandem-key-confirmation"

// exporterSize is how many exporter bytes binding uses: 32 for CI, 16 for sid.
const exporterSize = 48

// errVersion makes the error for two version ranges without overlap.
func errVersion(local, peer versionRange) error {
	return &protocol.Error{Code: protocol.VersionMismatch,
		Detail: fmt.Sprintf("this side speaks protocol %d–%d, the peer %d–%d", local.min, local.max, peer.min, peer.max)}
}

var errWrongKey = &protocol.Error{Code: protocol.WrongKey, Detail: "key confirmation failed"}

// confirmDialer runs the dialer's half over rw. It returns the negotiated version.
func confirmDialer(rw io.ReadWriter, secret []byte, b binding, rnd io.Reader) (uint8, error) {
	local := localVersions()
	st, ya, err := cpace.Start(cpace.Initiator, secret, b.ci, b.sid, local.ad(), rnd)
	if err != nil {
		return 0, fmt.Errorf("starting key confirmation: %w", err)
	}
	hello := append([]byte(confirmMagic), local.min, local.max)
	if _, err := rw.Write(append(hello, ya...)); err != nil {
		return 0, fmt.Errorf("sending key share: %w", err)
	}
	var reply [2 + shareSize]byte
	if _, err := io.ReadFull(rw, reply[:]); err != nil {
		return 0, fmt.Errorf("reading key share: %w", err)
	}
	peer := versionRange{reply[0], reply[1]}
	v, ok := local.common(peer)
	if !ok {
		return 0, errVersion(local, peer)
	}
	yb := reply[2:]
	isk, err := st.Finish(yb, peer.ad())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errWrongKey, err)
	}
	if _, err := rw.Write(cpace.ConfirmationTag(b.sid, isk, ya, local.ad())); err != nil {
		return 0, fmt.Errorf("sending confirmation: %w", err)
	}
	var answer [tagSize + 1]byte
	if _, err := io.ReadFull(rw, answer[:]); err != nil {
		// A listener that finds the dialer's tag wrong closes the connection with WrongKey, which the caller
		// reads from the connection when it can; a listener that hangs up without saying more (or a machine in
		// the middle that hides its reason) did not accept the key either.
		return 0, fmt.Errorf("%w: reading confirmation: %w", errWrongKey, err)
	}
	if !hmac.Equal(answer[:tagSize], cpace.ConfirmationTag(b.sid, isk, yb, peer.ad())) {
		return 0, errWrongKey
	}
	if answer[tagSize] != acceptByte {
		return 0, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "bad acceptance byte"}
	}
	return v, nil
}

// confirmListener runs the listener's half over rw, asking gate for the secret once the peer's versions are
// known to be compatible. It returns the negotiated version.
func confirmListener(rw io.ReadWriter, gate Gate, peerID ID, from net.Addr, b binding, rnd io.Reader) (uint8, error) {
	var hello [len(confirmMagic) + 2 + shareSize]byte
	if _, err := io.ReadFull(rw, hello[:]); err != nil {
		return 0, fmt.Errorf("reading key share: %w", err)
	}
	if !bytes.Equal(hello[:4], []byte(confirmMagic)) {
		return 0, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "not a Tandem key confirmation"}
	}
	local, peer := localVersions(), versionRange{hello[4], hello[5]}
	v, ok := local.common(peer)
	if !ok {
		return 0, errVersion(local, peer)
	}
	secret, done, err := gate.Begin(peerID, from)
	if err != nil {
		return 0, err
	}
	outcome := Abandoned
	defer func() { done(outcome) }()

	ya := hello[6:]
	st, yb, err := cpace.Start(cpace.Responder, secret, b.ci, b.sid, local.ad(), rnd)
	if err != nil {
		return 0, fmt.Errorf("starting key confirmation: %w", err)
	}
	isk, err := st.Finish(ya, peer.ad())
	if err != nil { // a share that is not a point; the dialer has learned nothing
		return 0, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "bad key share", Err: err}
	}
	if _, err := rw.Write(append([]byte{local.min, local.max}, yb...)); err != nil {
		return 0, fmt.Errorf("sending key share: %w", err)
	}
	var tag [tagSize]byte
	if _, err := io.ReadFull(rw, tag[:]); err != nil {
		// The dialer went away or stalled before proving anything: it learned nothing it could check a guess
		// against, so the key loses nothing.
		return 0, fmt.Errorf("reading confirmation: %w", err)
	}
	if !hmac.Equal(tag[:], cpace.ConfirmationTag(b.sid, isk, ya, peer.ad())) {
		outcome = Failed
		if j, ok := gate.(ProofJudge); ok {
			return 0, j.WrongProof(peerID)
		}
		return 0, errWrongKey
	}
	outcome = Confirmed
	if _, err := rw.Write(append(cpace.ConfirmationTag(b.sid, isk, yb, local.ad()), acceptByte)); err != nil {
		return 0, fmt.Errorf("sending acceptance: %w", err)
	}
	return v, nil
}
