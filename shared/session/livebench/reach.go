package main

import (
	"fmt"

	"github.com/tandem-remote/tandem/shared/rendezvous"
	"github.com/tandem-remote/tandem/shared/rendezvous/rendezvoustest"
	"github.com/tandem-remote/tandem/shared/session"
)

// meeting is a rendezvous on loopback and the path options of the customer's side.
type meeting struct {
	srv  *rendezvous.Server
	url  string
	path session.PathOptions
}

// startMeeting starts a rendezvous engine on loopback; how is "direct" or "relayed" (the customer's side gathers
// relayed candidates only, so the path goes through the rendezvous's TURN relay).
func startMeeting(how string) (*meeting, error) {
	path := session.PathOptions{Loopback: true}
	switch how {
	case "direct":
	case "relayed":
		path.RelayOnly = true
	default:
		return nil, fmt.Errorf("-reach %q: want direct or relayed", how)
	}
	srv, err := rendezvous.Start(rendezvoustest.Config())
	if err != nil {
		return nil, err
	}
	return &meeting{srv: srv, url: srv.ClientURL(), path: path}, nil
}

func (m *meeting) close() { _ = m.srv.Close() }
