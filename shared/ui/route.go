package ui

import (
	"strconv"

	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/session"
)

// RouteText says in words how a session's connection goes: direct, direct after meeting through a rendezvous,
// or relayed by it.
func RouteText(r session.Route) string {
	switch {
	case r.Relayed:
		return lang.L("route.relayed", map[string]any{"Server": r.Rendezvous})
	case r.Rendezvous != "":
		return lang.L("route.direct_met", map[string]any{"Server": r.Rendezvous})
	}
	return lang.L("route.direct")
}

// RouteQualityText says how the connection goes and how the customer's screen reaches the technician: the route,
// the rate received, the round trip, and whether the picture is exact, sharpening, or has a moving region shown
// as lossy video.
func RouteQualityText(r session.Route, q session.Quality) string {
	pic := lang.L("quality.exact")
	switch q.Picture {
	case session.PictureNone:
		pic = lang.L("quality.waiting")
	case session.PictureSharpening:
		pic = lang.L("quality.sharpening")
	case session.PictureLossy:
		pic = lang.L("quality.lossy")
	}
	args := map[string]any{"Route": RouteText(r), "RTT": strconv.Itoa(int(q.RTT.Milliseconds())), "Picture": pic}
	if q.Rate == 0 { // not measured yet
		return lang.L("quality.line_norate", args)
	}
	args["Rate"] = bitRate(q.Rate)
	return lang.L("quality.line", args)
}

// bitRate writes a rate in bits per second as the language writes it: 850 kbit/s, 9.8 Mbit/s (9,8 in French).
func bitRate(bps float64) string {
	if bps < 1e6 {
		return lang.L("quality.rate_kbit", map[string]any{"N": strconv.Itoa(int(bps/1000 + 0.5))})
	}
	return lang.L("quality.rate_mbit", map[string]any{"N": oneDecimal(bps / 1e6)})
}
