package session

import (
	"sync"
	"time"

	"github.com/tandem-remote/tandem/shared/codec/vpx"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// Picture says how exact a picture of a shared screen is (the technician's of the customer's, or the customer's of
// a technician's).
type Picture int

const (
	// PictureNone: no picture yet.
	PictureNone Picture = iota
	// PictureExact: the picture is the customer's screen bit for bit, as of its last frame.
	PictureExact
	// PictureSharpening: a coarse preview is shown while the exact picture crosses the link.
	PictureSharpening
	// PictureLossy: a moving region of the screen is shown as lossy video; it turns exact once it stops.
	PictureLossy
)

// Quality is how the customer's screen reaches the technician, for the viewer's indicator.
type Quality struct {
	RTT     time.Duration // the connection's smoothed round trip; 0 before it is known
	Rate    float64       // bits per second received lately, everything included; 0 before it is known
	Picture Picture
}

// qualityMeter turns the connection's byte count into a rate between two calls at least rateEvery apart.
type qualityMeter struct {
	mu    sync.Mutex
	at    time.Time
	bytes uint64
	rate  float64
}

// rateEvery is the shortest span a rate is measured over.
const rateEvery = 500 * time.Millisecond

func (m *qualityMeter) update(received uint64, now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.at.IsZero() || received < m.bytes: // the first call, or another connection (a return)
		m.at, m.bytes, m.rate = now, received, 0
	case now.Sub(m.at) >= rateEvery:
		m.rate = float64(received-m.bytes) * 8 / now.Sub(m.at).Seconds()
		m.at, m.bytes = now, received
	}
	return m.rate
}

// Quality returns how the customer's screen reaches the technician now.
func (h *Host) Quality() Quality {
	t, err := h.tech()
	if err != nil {
		return Quality{}
	}
	rtt, received := t.l.conn.Traffic()
	return Quality{RTT: rtt, Rate: h.quality.update(received, time.Now()), Picture: t.view.picture()}
}

// SetPreferQuality chooses between exactness and speed for the customer's screen, now and for the rest of the
// session: true keeps every frame lossless whatever the link; false (the default) lets a region that keeps
// moving with photographic content (a video) cross a slow link as lossy video, made exact once it stops.
func (h *Host) SetPreferQuality(exact bool) {
	h.exact.Store(exact)
	if t, err := h.tech(); err == nil {
		t.view.optionsChanged()
	}
}

// LossyVideo reports whether this build can show a moving region as lossy video (VP8 built in); without it
// every picture is exact, whatever the technician prefers.
func LossyVideo() bool { return vpx.Available() }

// PreferQuality reports the technician's choice (SetPreferQuality).
func (h *Host) PreferQuality() bool { return h.exact.Load() }

// SetPreferQuality chooses between exactness and speed for the screens the technicians share with the customer,
// now and for the rest of the session, as Host.SetPreferQuality does for the customer's screen.
func (g *Guest) SetPreferQuality(exact bool) {
	g.exact.Store(exact)
	for _, c := range g.halves() {
		if c != nil {
			c.view.optionsChanged()
		}
	}
}

// PreferQuality reports the customer's choice (SetPreferQuality).
func (g *Guest) PreferQuality() bool { return g.exact.Load() }

// TechnicianQuality returns how technician tech's connection goes and how their screen reaches the customer: the
// route, the round trip, the rate received from them, and how exact the customer's picture of their screen is
// (PictureNone while they are not connected).
func (g *Guest) TechnicianQuality(tech protocol.ParticipantID) (Route, Quality) {
	c := g.half(tech)
	if c == nil {
		return Route{}, Quality{}
	}
	rtt, received := c.l.conn.Traffic()
	return c.l.peer.Route, Quality{RTT: rtt, Rate: c.quality.update(received, time.Now()), Picture: c.view.picture()}
}
