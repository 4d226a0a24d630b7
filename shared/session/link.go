package session

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/transport"
)

// LinkScheme is the URL scheme of join links.
const LinkScheme = "tandem"

// ErrBadLink is returned for text that is neither a join link nor a support key.
var ErrBadLink = errors.New("not a Tandem join link")

// Link is where to join and with which key: either the technician's own address (direct, for one network or a
// technician with a public address), or the rendezvous through which both programs meet from anywhere.
type Link struct {
	Addr       string // host:port of the technician's Expert (UDP); empty with a rendezvous
	Rendezvous string // URL of the rendezvous (tls://, wss://, nats://…, maybe with #sha256=pin); empty for direct
	Key        string // nine digits; with a rendezvous, its nameplate then the secret (transport.SplitKey)
}

// String renders the link as tandem://join?addr=HOST:PORT&key=DIGITS, or tandem://join?rv=URL&key=DIGITS.
func (l Link) String() string {
	if l.Rendezvous != "" {
		return LinkScheme + "://join?rv=" + url.QueryEscape(l.Rendezvous) + "&key=" + l.Key
	}
	// Addresses and keys need no escaping (host:port, [v6]:port, digits), and a person may read the link.
	return LinkScheme + "://join?addr=" + l.Addr + "&key=" + l.Key
}

// ParseLink reads a join link, tolerating the spaces and line breaks that copying from a chat adds.
func ParseLink(s string) (Link, error) {
	s = strings.Join(strings.Fields(s), "")
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, LinkScheme) || u.Host != "join" {
		return Link{}, ErrBadLink
	}
	q := u.Query()
	key, err := transport.ParseSupportKey(q.Get("key"))
	if err != nil {
		return Link{}, ErrBadLink
	}
	if rv := q.Get("rv"); rv != "" {
		if err := rendezvous.CheckURL(rv); err != nil {
			return Link{}, ErrBadLink
		}
		return Link{Rendezvous: rv, Key: key}, nil
	}
	host, port, err := net.SplitHostPort(q.Get("addr"))
	if err != nil || host == "" || port == "" {
		return Link{}, ErrBadLink
	}
	return Link{Addr: net.JoinHostPort(host, port), Key: key}, nil
}

// LooksLikeLink reports whether s is meant as a join link rather than a key (so a UI can join at once).
func LooksLikeLink(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), LinkScheme+":")
}
