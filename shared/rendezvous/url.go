package rendezvous

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Endpoint is a parsed rendezvous URL.
type Endpoint struct {
	// URL is the server URL without the fragment, as handed to nats.go.
	URL string
	// Scheme is "nats", "tls", "ws" or "wss".
	Scheme string
	// Host is the host name or IP.
	Host string
	// Pin is the SHA-256 of the server's leaf certificate (DER) when the URL carries "#sha256=<hex>"; nil
	// otherwise, and then the certificate is checked against the system roots.
	Pin []byte
}

// HostOf names the rendezvous at raw by its host, as people know it (no scheme, port or pin); raw itself when
// it names no host.
func HostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return raw
}

// Secure reports whether the connection is encrypted (tls:// or wss://).
func (e Endpoint) Secure() bool { return e.Scheme == "tls" || e.Scheme == "wss" }

// ParseURL checks a rendezvous URL and says what is wrong with it. Accepted forms:
//
//	nats://host[:port]                 plain TCP (the caller decides whether to allow it)
//	tls://host[:port][#sha256=<hex>]   TLS
//	ws://host[:port][/path]            plain WebSocket
//	wss://host[:port][/path][#sha256=<hex>]
//
// The optional fragment pins the SHA-256 fingerprint of the server's leaf certificate instead of checking it
// against the system roots (for a rendezvous with a self-signed certificate).
func ParseURL(raw string) (Endpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Endpoint{}, errors.New("rendezvous URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("rendezvous URL %q does not parse: %w", raw, err)
	}
	e := Endpoint{Scheme: strings.ToLower(u.Scheme), Host: u.Hostname()}
	switch e.Scheme {
	case "nats", "tls", "ws", "wss":
	case "":
		return Endpoint{}, fmt.Errorf("rendezvous URL %q has no scheme: start it with tls://, wss://, nats:// or ws://", raw)
	default:
		return Endpoint{}, fmt.Errorf("rendezvous URL %q: scheme %q is not one of tls, wss, nats, ws", raw, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || e.Host == "" {
		return Endpoint{}, fmt.Errorf("rendezvous URL %q has no host (expected %s://host:port)", raw, e.Scheme)
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return Endpoint{}, fmt.Errorf("rendezvous URL %q: bad port %q", raw, p)
		}
	}
	if u.User != nil {
		return Endpoint{}, fmt.Errorf("rendezvous URL %q carries a user name or password; remove it", raw)
	}
	if (e.Scheme == "nats" || e.Scheme == "tls") && (u.Path != "" && u.Path != "/" || u.RawQuery != "") {
		return Endpoint{}, fmt.Errorf("rendezvous URL %q: a %s:// URL has no path or query", raw, e.Scheme)
	}
	if u.Fragment != "" {
		hexPin, ok := strings.CutPrefix(u.Fragment, "sha256=")
		if !ok {
			return Endpoint{}, fmt.Errorf("rendezvous URL %q: the fragment must be #sha256=<64 hex digits>", raw)
		}
		pin, err := hex.DecodeString(strings.ReplaceAll(hexPin, ":", ""))
		if err != nil || len(pin) != sha256.Size {
			return Endpoint{}, fmt.Errorf("rendezvous URL %q: the certificate fingerprint must be 64 hex digits", raw)
		}
		if !e.Secure() {
			return Endpoint{}, fmt.Errorf("rendezvous URL %q: a certificate fingerprint needs tls:// or wss://", raw)
		}
		e.Pin = pin
	}
	u.Fragment, u.RawFragment = "", ""
	e.URL = u.String()
	return e, nil
}

// CheckURL reports what is wrong with a rendezvous URL, or nil (see ParseURL).
func CheckURL(raw string) error {
	_, err := ParseURL(raw)
	return err
}

// Fingerprint returns the hex SHA-256 of a DER certificate, the value of a "#sha256=" pin.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ErrPinMismatch is returned (wrapped) when the server's certificate does not match the URL's "#sha256=" pin.
var ErrPinMismatch = errors.New("rendezvous: the server's certificate does not match the pinned fingerprint")

// pinnedTLS returns a TLS configuration that accepts exactly the leaf certificate with the given SHA-256.
func pinnedTLS(pin []byte) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return ErrPinMismatch
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(sum[:], pin) != 1 {
				return fmt.Errorf("%w (got sha256=%x)", ErrPinMismatch, sum)
			}
			return nil
		},
	}
}

// checkPage returns page if it is an absolute http or https URL without user information, and "" otherwise:
// a join page announced by the rendezvous goes into the text a technician sends a customer.
func checkPage(page string) string {
	u, err := url.Parse(page)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(page, " \t\r\n") {
		return ""
	}
	return page
}
