package session

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/tandem-remote/tandem/shared/transport"
)

// LinkScheme is the URL scheme of join links.
const LinkScheme = "tandem"

// ErrBadLink is returned for text that is neither a join link nor a support key.
var ErrBadLink = errors.New("not a Tandem join link")

// Link is where to join and with which key.
type Link struct {
	Addr string // host:port of the technician's Expert (UDP)
	Key  string // nine digits
}

// String renders the link as tandem://join?addr=HOST:PORT&key=DIGITS.
func (l Link) String() string {
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
