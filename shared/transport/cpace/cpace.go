// Package cpace implements the CPace balanced password-authenticated key
// exchange (PAKE) for the cipher suite CPACE-RISTR255-SHA512, as specified in
// draft-irtf-cfrg-cpace-21 ("CPace, a balanced composable PAKE", IRTF CFRG),
// using the ristretto255 group (RFC 9496, github.com/gtank/ristretto255) and
// SHA-512 (crypto/sha512).
//
// # What CPace gives
//
// Two parties that share a low-entropy secret (a password, or a string derived
// from one: the password-related string PRS) each send one message and derive
// the same 64-byte intermediate session key ISK if, and only if, they used the
// same PRS, channel identifier CI, session identifier sid, and saw the same
// messages and associated data. A passive eavesdropper learns nothing about
// the password; an active attacker gets at most one online password guess per
// protocol run, and no offline dictionary attack.
//
// # What the caller must supply
//
//   - PRS: the shared secret. If it is a clear-text password it SHOULD be
//     encoded according to RFC 8265 first (draft Section 4.3).
//   - CI: the channel identifier, identical on both sides and never sent on
//     the wire (it may be confidential). Bind it to the channel (e.g. a TLS
//     exporter value) and to the party identities; if both identities are in
//     CI, the encoding MUST associate each identity with its role, initiator
//     first (draft Section 10.1.1).
//   - sid: a public session identifier, unique per session, known to both
//     sides before the run; RECOMMENDED, may be empty (draft Section 10.9).
//   - AD: associated data of this party. It is authenticated by CPace but is
//     NOT confidential and is NOT part of the message returned by [Start]: the
//     caller transmits it next to the message (or both sides know it in
//     advance) and passes the peer's AD to [State.Finish].
//   - Transport: the caller sends the message returned by [Start] (exactly
//     [MessageSize] bytes: the ristretto255 encoding of this party's share Y)
//     and hands the peer's message to [State.Finish].
//   - Roles: in the initiator–responder setting one side is [Initiator] and
//     the other [Responder] (the transcript is lv_cat(Ya,ADa)||lv_cat(Yb,ADb)
//     with A the initiator). [Symmetric] is the draft's setting without
//     roles (ordered concatenation o_cat of the two messages); it requires
//     ADa and ADb to be unique per session (draft Section 10.1.1).
//   - Key confirmation and key derivation: CPace itself provides only
//     implicit authentication. Callers SHOULD add an explicit key-confirmation
//     round (draft Section 10.4) and SHOULD pass ISK through a KDF such as
//     HKDF before use (draft Section 10.3). ISK must be kept secret.
//   - Abort: any error from [State.Finish] means the run MUST be aborted.
//
// A [State] is single-use: its secret scalar is erased by the first call to
// [State.Finish], whatever its outcome. It is not safe for concurrent use.
package cpace

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"io"

	"github.com/gtank/ristretto255"
)

// Role says which side of the protocol this party is.
type Role int

const (
	// Initiator is party A of the initiator–responder setting.
	Initiator Role = iota + 1
	// Responder is party B of the initiator–responder setting.
	Responder
	// Symmetric is the setting without initiator and responder roles
	// (the draft's "symmetric"/"parallel" setting, transcript_oc). Both
	// parties use Symmetric.
	Symmetric
)

// String returns the name of the role.
func (r Role) String() string {
	switch r {
	case Initiator:
		return "Initiator"
	case Responder:
		return "Responder"
	case Symmetric:
		return "Symmetric"
	default:
		return "Role(invalid)"
	}
}

const (
	// MessageSize is the size of the message returned by Start: the
	// ristretto255 encoding of the public share Y.
	MessageSize = 32
	// ISKSize is the size of the intermediate session key returned by
	// Finish (H.b_in_bytes of SHA-512).
	ISKSize = sha512.Size
)

// Constants of the group environment G_Ristretto255 and hash H = SHA-512
// (draft Sections 8.3 and 6.2).
const (
	dsi            = "CPaceRistretto255" // G.DSI
	dsiISK         = dsi + "_ISK"        // G.DSI || b"_ISK"
	hashBlockSize  = sha512.BlockSize    // H.s_in_bytes = 128
	fieldSizeBytes = 32                  // G.field_size_bytes
	groupSizeBits  = 252                 // G.group_size_bits
)

var (
	// ErrInvalidMessage is returned by Finish when the peer's message is not
	// a valid encoding of a ristretto255 element or encodes the identity
	// element (scalar_mult_vfy returned G.I). The run must be aborted.
	ErrInvalidMessage = errors.New("cpace: invalid peer message")
	// ErrStateUsed is returned by Finish when called on a State whose
	// Finish has already been called.
	ErrStateUsed = errors.New("cpace: state already used")
	// errInvalidRole is returned by Start for an unknown Role.
	errInvalidRole = errors.New("cpace: invalid role")
	// errBadRandom is returned by Start when rand yields the zero scalar,
	// which only happens with a broken randomness source.
	errBadRandom = errors.New("cpace: randomness source produced the zero scalar")
)

// State is one party's state between Start and Finish.
type State struct {
	role Role
	sid  []byte
	y    *ristretto255.Scalar // secret scalar; nil once Finish was called
	msg  []byte               // encoding of own share Y
	ad   []byte               // own associated data
}

// Start begins a CPace run. It computes the generator g from the
// password-related string prs, the channel identifier ci and the session
// identifier sid, samples a secret scalar y from rand and returns the state
// together with the message to send to the peer: the 32-byte encoding of
// Y = y*g. The associated data ad is not part of the message; it is bound
// into the transcript and must reach the peer by other means (see the
// package documentation). rand should be crypto/rand.Reader; nil means
// crypto/rand.Reader. All byte slices are copied or only read; prs is not
// retained.
func Start(role Role, prs, ci, sid, ad []byte, rand io.Reader) (*State, []byte, error) {
	if role != Initiator && role != Responder && role != Symmetric {
		return nil, nil, errInvalidRole
	}
	y, err := sampleScalar(rand)
	if err != nil {
		return nil, nil, err
	}
	g := calculateGenerator(prs, ci, sid)
	Y := ristretto255.NewElement().ScalarMult(y, g)
	if Y.Equal(ristretto255.NewElement()) == 1 {
		// Only possible if the hash mapped to the identity; negligible.
		return nil, nil, errors.New("cpace: generator is the identity element")
	}
	msg := Y.Encode(make([]byte, 0, MessageSize))
	s := &State{
		role: role,
		sid:  bytes.Clone(sid),
		y:    y,
		msg:  msg,
		ad:   bytes.Clone(ad),
	}
	return s, bytes.Clone(msg), nil
}

// Finish takes the peer's message (the 32-byte encoding of its share) and the
// peer's associated data and returns the 64-byte intermediate session key
// ISK. It returns ErrInvalidMessage if the peer's message does not decode to
// a valid group element or if the resulting secret point K is the identity;
// the run must then be aborted. Finish can be called only once per State.
func (s *State) Finish(peerMsg, peerAD []byte) ([]byte, error) {
	if s == nil || s.y == nil {
		return nil, ErrStateUsed
	}
	y := s.y
	s.y = nil
	defer y.Zero()

	k, err := scalarMultVfy(y, peerMsg)
	if err != nil {
		return nil, err
	}
	var t []byte
	switch s.role {
	case Initiator:
		t = transcriptIR(s.msg, s.ad, peerMsg, peerAD)
	case Responder:
		t = transcriptIR(peerMsg, peerAD, s.msg, s.ad)
	default: // Symmetric; Start rejects other roles.
		t = transcriptOC(s.msg, s.ad, peerMsg, peerAD)
	}
	isk := deriveISK(s.sid, k, t)
	clear(k)
	return isk, nil
}

// sampleScalar implements the RECOMMENDED G.sample_scalar() of draft Section
// 8.3: sample G.group_size_bytes random bytes, clear the bits above
// G.group_size_bits and interpret the result as a little-endian integer.
// The result is below 2^252 < group order, hence a canonical scalar. The
// zero scalar is rejected.
func sampleScalar(r io.Reader) (*ristretto255.Scalar, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [fieldSizeBytes]byte
	defer clear(b[:])
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	b[len(b)-1] &= 0xff >> (8*fieldSizeBytes - groupSizeBits) // keep bits 0..251
	y := ristretto255.NewScalar()
	if err := y.Decode(b[:]); err != nil {
		return nil, err // unreachable: b < 2^252
	}
	if y.Equal(ristretto255.NewScalar()) == 1 {
		return nil, errBadRandom
	}
	return y, nil
}

// calculateGenerator implements G.calculate_generator(H,PRS,CI,sid) of draft
// Section 8.3: _g = element_derivation(H.hash(generator_string(...), 64)).
func calculateGenerator(prs, ci, sid []byte) *ristretto255.Element {
	genStr := generatorString([]byte(dsi), prs, ci, sid, hashBlockSize)
	h := sha512.Sum512(genStr) // 2*G.field_size_bytes = 64 = SHA-512 output
	clear(genStr)
	g := ristretto255.NewElement().FromUniformBytes(h[:])
	clear(h[:])
	return g
}

// scalarMultVfy implements G.scalar_mult_vfy(y,X) of draft Section 8.3 and
// the abort rule of Section 7.2: it returns encode(y*decode(X)), or
// ErrInvalidMessage where the draft returns G.I (decode failure, or a result
// equal to the identity element).
func scalarMultVfy(y *ristretto255.Scalar, x []byte) ([]byte, error) {
	if len(x) != MessageSize {
		return nil, ErrInvalidMessage
	}
	X := ristretto255.NewElement()
	if err := X.Decode(x); err != nil {
		return nil, ErrInvalidMessage
	}
	K := ristretto255.NewElement().ScalarMult(y, X)
	if K.Equal(ristretto255.NewElement()) == 1 {
		return nil, ErrInvalidMessage
	}
	return K.Encode(make([]byte, 0, fieldSizeBytes)), nil
}

// deriveISK returns ISK = H.hash(lv_cat(G.DSI || b"_ISK", sid, K) || transcript)
// (draft Section 7.2).
func deriveISK(sid, k, transcript []byte) []byte {
	h := sha512.New()
	h.Write(lvCat([]byte(dsiISK), sid, k))
	h.Write(transcript)
	return h.Sum(make([]byte, 0, ISKSize))
}

// generatorString returns lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid) with
// len_zpad = max(0, s_in_bytes - 1 - len(prepend_len(PRS)) -
// len(prepend_len(DSI))) (draft Section 8.1 and Appendix A.2).
func generatorString(dsi, prs, ci, sid []byte, sInBytes int) []byte {
	zpad := max(0, sInBytes-1-lenPrependLen(prs)-lenPrependLen(dsi))
	return lvCat(dsi, prs, make([]byte, zpad), ci, sid)
}

// prependLen appends prepend_len(data) to dst: the LEB128 encoding of
// len(data) followed by data (draft Appendix A.1.1). Unsigned LEB128 is the
// encoding produced by encoding/binary's Uvarint functions.
func prependLen(dst, data []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(data)))
	return append(dst, data...)
}

// lenPrependLen returns len(prepend_len(data)).
func lenPrependLen(data []byte) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutUvarint(buf[:], uint64(len(data))) + len(data)
}

// lvCat returns lv_cat(args...) = prepend_len(a0) || prepend_len(a1) || ...
// (draft Appendix A.1.3).
func lvCat(args ...[]byte) []byte {
	n := 0
	for _, a := range args {
		n += lenPrependLen(a)
	}
	out := make([]byte, 0, n)
	for _, a := range args {
		out = prependLen(out, a)
	}
	return out
}

// lexicographicallyLarger reports whether a > b in the lexicographical
// ordering of draft Appendix A.3.1 (a proper prefix is the smaller string).
func lexicographicallyLarger(a, b []byte) bool {
	return bytes.Compare(a, b) > 0
}

// oCat returns o_cat(a,b) = b"oc" || max(a,b) || min(a,b) (draft Appendix
// A.3.2).
func oCat(a, b []byte) []byte {
	if !lexicographicallyLarger(a, b) {
		a, b = b, a
	}
	out := make([]byte, 0, 2+len(a)+len(b))
	out = append(out, "oc"...)
	out = append(out, a...)
	return append(out, b...)
}

// transcriptIR returns lv_cat(Ya,ADa) || lv_cat(Yb,ADb) (draft Appendix A.3.4).
func transcriptIR(ya, ada, yb, adb []byte) []byte {
	return append(lvCat(ya, ada), lvCat(yb, adb)...)
}

// transcriptOC returns o_cat(lv_cat(Ya,ADa), lv_cat(Yb,ADb)) (draft Appendix
// A.3.6).
func transcriptOC(ya, ada, yb, adb []byte) []byte {
	return oCat(lvCat(ya, ada), lvCat(yb, adb))
}

// ConfirmationTag computes the explicit key-confirmation tag that section 10.4 of the draft suggests:
// HMAC-SHA-512 under mac_key = SHA-512("CPaceMac" || sid || ISK) over lv_cat(Y, AD), where Y and AD are the
// share and associated data of the party that sends the tag. Each side sends its own tag and checks the peer's
// with hmac.Equal; a mismatch means the two ISKs differ (wrong password, or a different channel).
func ConfirmationTag(sid, isk, y, ad []byte) []byte {
	macKey := sha512.Sum512(append(append([]byte("CPaceMac"), sid...), isk...))
	m := hmac.New(sha512.New, macKey[:])
	m.Write(lvCat(y, ad))
	return m.Sum(nil)
}
