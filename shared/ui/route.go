package ui

import (
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
