package transport

import (
	"net"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// The gate remembers only sources with an attempt under way or a wrong proof: strangers from ever new addresses
// who give up before proving anything leave nothing behind, and neither use up the key.
func TestAbandonedAttemptsAreForgotten(t *testing.T) {
	k := newSupportKeyGate("123456789", time.Now, time.Minute)
	for i := range 1000 {
		from := &net.UDPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)), Port: 4000}
		_, done, err := k.Begin(ID{}, from)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		done(Abandoned)
	}
	if len(k.sources) != 0 || k.State() != KeyWaiting {
		t.Fatalf("after abandoned attempts: %d sources remembered, key %v", len(k.sources), k.State())
	}
	// A wrong proof is remembered against its source, and the key.
	from := &net.UDPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 4000}
	for range MaxSourceFailures {
		_, done, err := k.Begin(ID{}, from)
		if err != nil {
			t.Fatal(err)
		}
		done(Failed)
	}
	if _, _, err := k.Begin(ID{}, from); protocol.CodeOf(err) != protocol.TooManyAttempts {
		t.Fatalf("a source after %d wrong proofs: %v", MaxSourceFailures, err)
	}
	if len(k.sources) != 1 || k.failures != MaxSourceFailures {
		t.Fatalf("%d sources, %d failures", len(k.sources), k.failures)
	}
}
