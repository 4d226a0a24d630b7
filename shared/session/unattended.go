package session

import (
	"net"
	"strconv"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport"
)

// UnattendedSetUp tells the technician, after the customer granted RequestUnattended, that their program set
// unattended access up (Err nil), with what Tandem Expert keeps of the computer, or why it could not (Err a
// *protocol.Error: Refused when the user did not give the administrator's approval).
type UnattendedSetUp struct {
	Computer transport.ID // the computer ID, to pin
	Secret   []byte       // the password stretched for this computer (package unattended's Secret)
	Addr     string       // where its agent listens: the customer's address in this session, with the agent's port ("": none)
	// Rendezvous is the URL of the rendezvous this session came through, where the computer's agent is present
	// from now on (reach it there rather than at Addr); empty for a session over a direct link.
	Rendezvous string
	Name       string // the computer's name
	Err        error
}

func (UnattendedSetUp) isEvent() {}

func unattendedSetUp(m *protocol.UnattendedReady, peerAddr, rendezvous string) UnattendedSetUp {
	if m.Code != protocol.NoError {
		return UnattendedSetUp{Err: &protocol.Error{Code: m.Code, Detail: "setting up unattended access failed"}}
	}
	addr := ""
	if m.Port != 0 {
		host, _, err := net.SplitHostPort(peerAddr)
		if err != nil {
			host = peerAddr
		}
		addr = net.JoinHostPort(host, strconv.Itoa(int(m.Port)))
	}
	return UnattendedSetUp{Computer: transport.ID(m.Computer), Secret: append([]byte(nil), m.Secret...),
		Addr: addr, Rendezvous: rendezvous, Name: m.Name}
}

// UnattendedInfo is what the customer's program tells the technician once it has set unattended access up.
type UnattendedInfo struct {
	Computer transport.ID
	Secret   []byte
	Port     uint16
	Name     string
}

// Rendezvous returns the URL of the rendezvous through which this program reached the technician, "" over a
// direct link: an unattended agent set up in this session is present there.
func (g *Guest) Rendezvous() string { return g.way.rendezvous() }

// UnattendedReady tells the technician whose request question was (a ConsentRequested for PermUnattended that
// the customer granted) that unattended access is set up for them, with info; with err non-nil, that it could not
// be (its code is sent: Refused, Internal…).
func (g *Guest) UnattendedReady(question uint64, info UnattendedInfo, err error) error {
	tech, _ := questionOf(question)
	var c *customer
	for _, h := range g.halves() {
		if h.tech == tech {
			c = h
		}
	}
	if c == nil {
		return ErrEnded
	}
	s := c.consentSender()
	if s == nil {
		return ErrEnded
	}
	m := &protocol.UnattendedReady{Computer: info.Computer[:], Secret: info.Secret, Port: info.Port,
		Name: protocol.SanitizeText(info.Name, protocol.MaxNameLen)}
	if err != nil {
		code := protocol.CodeOf(err)
		if code == protocol.NoError {
			code = protocol.Internal
		}
		m = &protocol.UnattendedReady{Code: code}
	}
	return s.send(m)
}
