package icepath

import (
	"context"
	"testing"
	"time"

	"github.com/pion/transport/v5/vnet"
)

// BenchmarkConnect measures one attempt, from the start of Offer to both sides connected (ns/op), and
// reports how many attempts ended relayed (relayed/op). Loopback cases use real sockets (the relayed one a
// relay-only offerer and a pion/turn server on loopback); vnet cases put each side behind a NAT with the
// given one-way delay per home router, a STUN/TURN server on the virtual WAN, and the default
// RelayAcceptanceMinWait: easy NATs (port-restricted both) should end direct (relayed/op 0), a symmetric
// NAT against a port-restricted one can only end relayed. These numbers justify
// DefaultRelayAcceptanceMinWait.
func BenchmarkConnect(b *testing.B) {
	srv := startTURN(b)
	b.Run("loopback/direct", func(b *testing.B) {
		benchConnect(b, func() (Config, Config) { return loopbackConfig(b), loopbackConfig(b) })
	})
	b.Run("loopback/relayed", func(b *testing.B) {
		benchConnect(b, func() (Config, Config) {
			off := loopbackConfig(b)
			off.RelayOnly = true
			off.Servers = []Server{credentials(b, "turn:"+srv.udp+"?transport=udp")}
			return off, loopbackConfig(b)
		})
	})
	for _, delay := range []time.Duration{0, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond} {
		for _, c := range []struct {
			name       string
			natA, natB vnet.NATType
		}{{"easy", natPortRestricted, natPortRestricted}, {"symmetric", natSymmetric, natPortRestricted}} {
			b.Run("vnet-"+delay.String()+"/"+c.name, func(b *testing.B) {
				topo := newTopology(b, c.natA, c.natB, delay)
				benchConnect(b, func() (Config, Config) {
					return Config{Net: topo.offerer, Servers: vnetServers(b)},
						Config{Net: topo.answerer, Servers: vnetServers(b)}
				})
			})
		}
	}
}

func benchConnect(b *testing.B, configs func() (Config, Config)) {
	relayed := 0
	for b.Loop() {
		offCfg, ansCfg := configs()
		ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
		sigOff, sigAns := signallerPair()
		off, ans, offErr, ansErr := connectErr(ctx, offCfg, ansCfg, sigOff, sigAns)
		cancel()
		if offErr != nil || ansErr != nil {
			b.Fatalf("offer: %v; answer: %v", offErr, ansErr)
		}
		b.StopTimer()
		if off.Kind() == Relayed {
			relayed++
		}
		_ = off.Close()
		_ = ans.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(relayed)/float64(b.N), "relayed/op")
}
