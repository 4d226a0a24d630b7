package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"fmt"
	"io"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/cpace"
)

// The key confirmation runs on the first bidirectional stream, which the dialer opens. Every field has a fixed
// size, so nothing here allocates on a peer's say-so:
//
//	dialer → listener  "TNDM" | min version (1) | max version (1) | Ya (32)
//	listener → dialer  min version (1) | max version (1) | Yb (32) | tag_b (64)
//	dialer → listener  tag_a (64)
//	listener → dialer  0x01 (accepted)
//
// A version range without overlap, a spent key or a wrong tag closes the connection with the matching
// protocol.Code instead. Ya and Yb are CPace shares (package cpace), computed with the secret as PRS, the
// session binding of binding() as CI and sid, and each side's version range as its associated data, so a
// downgrade of the version range also breaks the confirmation. The tags are the draft's explicit key
// confirmation (cpace.ConfirmationTag over each sender's share and AD); the listener's tag goes first, so a dialer learns a wrong key before it says anything
// more.

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
	var reply [2 + shareSize + tagSize]byte
	if _, err := io.ReadFull(rw, reply[:]); err != nil {
		return 0, fmt.Errorf("reading key share: %w", err)
	}
	peer := versionRange{reply[0], reply[1]}
	v, ok := local.common(peer)
	if !ok {
		return 0, errVersion(local, peer)
	}
	yb := reply[2 : 2+shareSize]
	isk, err := st.Finish(yb, peer.ad())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errWrongKey, err)
	}
	if !hmac.Equal(reply[2+shareSize:], cpace.ConfirmationTag(b.sid, isk, yb, peer.ad())) {
		return 0, errWrongKey
	}
	if _, err := rw.Write(cpace.ConfirmationTag(b.sid, isk, ya, local.ad())); err != nil {
		return 0, fmt.Errorf("sending confirmation: %w", err)
	}
	var ack [1]byte
	if _, err := io.ReadFull(rw, ack[:]); err != nil {
		return 0, fmt.Errorf("reading acceptance: %w", err)
	}
	if ack[0] != acceptByte {
		return 0, &protocol.Error{Code: protocol.ProtocolViolation, Detail: "bad acceptance byte"}
	}
	return v, nil
}

// confirmListener runs the listener's half over rw, asking gate for the secret once the peer's versions are
// known to be compatible. It returns the negotiated version.
func confirmListener(rw io.ReadWriter, gate Gate, peerID ID, b binding, rnd io.Reader) (uint8, error) {
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
	secret, err := gate.Begin(peerID)
	if err != nil {
		return 0, err
	}
	accepted := false
	defer func() { gate.Done(accepted) }()

	ya := hello[6:]
	st, yb, err := cpace.Start(cpace.Responder, secret, b.ci, b.sid, local.ad(), rnd)
	if err != nil {
		return 0, fmt.Errorf("starting key confirmation: %w", err)
	}
	isk, err := st.Finish(ya, peer.ad())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errWrongKey, err)
	}
	reply := append([]byte{local.min, local.max}, yb...)
	if _, err := rw.Write(append(reply, cpace.ConfirmationTag(b.sid, isk, yb, local.ad())...)); err != nil {
		return 0, fmt.Errorf("sending key share: %w", err)
	}
	var tag [tagSize]byte
	if _, err := io.ReadFull(rw, tag[:]); err != nil {
		// A dialer with the wrong key hangs up here; count it as the failure it is.
		return 0, fmt.Errorf("%w: %w", errWrongKey, err)
	}
	if !hmac.Equal(tag[:], cpace.ConfirmationTag(b.sid, isk, ya, peer.ad())) {
		return 0, errWrongKey
	}
	if _, err := rw.Write([]byte{acceptByte}); err != nil {
		return 0, fmt.Errorf("sending acceptance: %w", err)
	}
	accepted = true
	return v, nil
}
