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
// technician with a public address), or the rendezvous through which both programs meet from anywhere. A link
// with an Invite instead of a Key is a colleague's invitation into a running session: the address is then the
// customer's program's.
type Link struct {
	Addr       string // host:port of the technician's Expert (UDP); empty with a rendezvous
	Rendezvous string // URL of the rendezvous (tls://, wss://, nats://…, maybe with #sha256=pin); empty for direct
	Key        string // nine digits; with a rendezvous, its nameplate then the secret (transport.SplitKey)
	Invite     string // an invitation token (transport.ParseInviteToken), instead of Key
	Nameplate  string // with Invite and Rendezvous: the nameplate the customer's program holds for the colleague
}

// String renders the link as tandem://join?addr=HOST:PORT&key=DIGITS, tandem://join?rv=URL&key=DIGITS, or with
// invite=TOKEN instead of the key (and, with a rendezvous, plate=NAMEPLATE).
func (l Link) String() string {
	secret := "&key=" + l.Key
	if l.Invite != "" {
		secret = "&invite=" + l.Invite
		if l.Nameplate != "" {
			secret += "&plate=" + l.Nameplate
		}
	}
	if l.Rendezvous != "" {
		return LinkScheme + "://join?rv=" + url.QueryEscape(l.Rendezvous) + secret
	}
	// Addresses, keys and tokens need no escaping (host:port, [v6]:port, digits, base32), and a person may
	// read the link.
	return LinkScheme + "://join?addr=" + l.Addr + secret
}

// ParseLink reads a join link, tolerating the spaces and line breaks that copying from a chat adds.
func ParseLink(s string) (Link, error) {
	s = strings.Join(strings.Fields(s), "")
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, LinkScheme) || u.Host != "join" {
		return Link{}, ErrBadLink
	}
	q := u.Query()
	var lk Link
	if q.Has("invite") {
		if q.Has("key") {
			return Link{}, ErrBadLink
		}
		if lk.Invite, err = transport.ParseInviteToken(q.Get("invite")); err != nil {
			return Link{}, ErrBadLink
		}
	} else if lk.Key, err = transport.ParseSupportKey(q.Get("key")); err != nil {
		return Link{}, ErrBadLink
	}
	if rv := q.Get("rv"); rv != "" {
		if err := rendezvous.CheckURL(rv); err != nil {
			return Link{}, ErrBadLink
		}
		lk.Rendezvous = rv
		if lk.Invite != "" { // an invitation through a rendezvous names its nameplate
			plate := q.Get("plate")
			if len(plate) != transport.NameplateDigits || strings.Trim(plate, "0123456789") != "" {
				return Link{}, ErrBadLink
			}
			lk.Nameplate = plate
		}
		return lk, nil
	}
	if q.Has("plate") {
		return Link{}, ErrBadLink
	}
	host, port, err := net.SplitHostPort(q.Get("addr"))
	if err != nil || host == "" || port == "" {
		return Link{}, ErrBadLink
	}
	lk.Addr = net.JoinHostPort(host, port)
	return lk, nil
}

// IsInvite reports whether the link is a colleague's invitation rather than a customer's join link.
func (l Link) IsInvite() bool { return l.Invite != "" }

// LooksLikeLink reports whether s is meant as a join link rather than a key (so a UI can join at once).
func LooksLikeLink(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), LinkScheme+":")
}
