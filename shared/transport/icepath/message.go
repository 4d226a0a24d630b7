package icepath

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pion/ice/v4"
)

// Message types on the wire (the "t" field).
const (
	typeOffer  = "offer"
	typeAnswer = "answer"
	typeCand   = "cand"
	typeEnd    = "end"
)

// maxMessageSize bounds a message before it is parsed; real messages are under 300 bytes.
const maxMessageSize = 4096

// message is one signalling message; which fields are set depends on T.
type message struct {
	T     string `json:"t"`
	Gen   uint64 `json:"gen,string"`
	Ufrag string `json:"ufrag,omitempty"`
	Pwd   string `json:"pwd,omitempty"`
	Cand  string `json:"c,omitempty"`
}

func (m message) encode() []byte {
	b, err := json.Marshal(m)
	if err != nil { // cannot happen: only strings and an integer
		panic(fmt.Sprintf("icepath: encode message: %v", err))
	}
	return b
}

// decodeMessage parses and checks one message; the error says why it must be skipped.
func decodeMessage(b []byte) (message, error) {
	var m message
	if len(b) > maxMessageSize {
		return m, fmt.Errorf("message of %d bytes, more than %d", len(b), maxMessageSize)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("malformed message: %w", err)
	}
	if m.Gen == 0 {
		return m, errors.New("message without generation")
	}
	switch m.T {
	case typeOffer, typeAnswer:
		if err := checkCredentials(m.Ufrag, m.Pwd); err != nil {
			return m, err
		}
	case typeCand:
		if m.Cand == "" {
			return m, errors.New("candidate message without candidate")
		}
	case typeEnd:
	default:
		return m, fmt.Errorf("unknown message type %q", m.T)
	}
	return m, nil
}

// checkCredentials applies RFC 8445 §5.3: ice-chars only, ufrag 4 to 256, pwd 22 to 256 characters.
func checkCredentials(ufrag, pwd string) error {
	if len(ufrag) < 4 || len(ufrag) > 256 || !iceChars(ufrag) {
		return errors.New("invalid ICE user fragment")
	}
	if len(pwd) < 22 || len(pwd) > 256 || !iceChars(pwd) {
		return errors.New("invalid ICE password")
	}
	return nil
}

func iceChars(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// parseCandidate turns a remote candidate line into a candidate this package uses: UDP, component 1, and a
// literal IP address (no mDNS names, which would need lookups on the local network).
func parseCandidate(s string) (ice.Candidate, error) {
	c, err := ice.UnmarshalCandidate(s)
	if err != nil {
		return nil, fmt.Errorf("candidate does not parse: %w", err)
	}
	if !c.NetworkType().IsUDP() {
		return nil, fmt.Errorf("candidate of network %s, only UDP is used", c.NetworkType())
	}
	if c.Component() != ice.ComponentRTP {
		return nil, fmt.Errorf("candidate of component %d, only 1 is used", c.Component())
	}
	addr, err := netip.ParseAddr(c.Address())
	if err != nil || strings.HasSuffix(c.Address(), ".local") {
		return nil, fmt.Errorf("candidate address %q is not an IP address", c.Address())
	}
	if !addr.IsValid() || addr.IsUnspecified() || addr.IsMulticast() || c.Port() <= 0 || c.Port() > 65535 {
		return nil, fmt.Errorf("candidate address %s:%d is not usable", c.Address(), c.Port())
	}
	return c, nil
}
