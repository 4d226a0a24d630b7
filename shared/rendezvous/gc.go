package rendezvous

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) that a rendezvous process runs with unless GOGC is set
// in its environment. A rendezvous keeps a small live heap (connections, subscriptions, a few thousand
// nameplates) and allocates for every message it routes; with Go's default of 100 it collects so often that
// under load a fifth of its CPU goes to the collector (capacitybench: 1400 meetings/s on one core at 100,
// 1900–2050 at 400). The heap then grows to about five times what is live, tens of megabytes.
const GCPercent = 400

// TuneGC sets the collector's target to GCPercent unless the GOGC environment variable says otherwise. Programs
// that run a rendezvous (tandem-rendezvous, capacitybench's server) call it first thing.
func TuneGC() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(GCPercent)
}
