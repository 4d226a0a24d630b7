package transfer

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
	"github.com/tandem-remote/tandem/shared/transport/transporttest"
)

// BenchmarkSend256MiB sends one 256 MiB file over loopback QUIC and reports
// MB/s, hashing on both sides, with the partial file and the rename:
//
//	GOMAXPROCS=2 go test -run - -bench Send256MiB ./shared/transfer
//
// The receiver writes to the test's temporary folder (disk), to /dev/shm
// (tmpfs, when there is one), or nowhere (a WrapWrite seam that discards:
// the network, QUIC and SHA-256 only).
func BenchmarkSend256MiB(b *testing.B) {
	const size = 256 << 20
	src := b.TempDir()
	p := writeFile(b, src, "big.bin", size)
	run := func(b *testing.B, dst string, cfg Config) {
		s, r := newPair(b, Config{}, cfg)
		r.acceptInto(dst)
		b.SetBytes(size)
		for b.Loop() {
			id, err := s.eng.Offer(b.Context(), p)
			if err != nil {
				b.Fatal(err)
			}
			if f := r.finished(incomingID(id)); f.Err != nil {
				b.Fatal(f.Err)
			}
			if f := s.finished(id); f.Err != nil {
				b.Fatal(f.Err)
			}
			b.StopTimer()
			if err := os.Remove(filepath.Join(dst, "big.bin")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.Run("disk", func(b *testing.B) { run(b, b.TempDir(), Config{}) })
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		b.Run("tmpfs", func(b *testing.B) {
			dst, err := os.MkdirTemp("/dev/shm", "tandem-bench-")
			if err != nil {
				b.Skip(err)
			}
			defer os.RemoveAll(dst)
			run(b, dst, Config{})
		})
	}
	b.Run("discard", func(b *testing.B) {
		run(b, b.TempDir(), Config{WrapWrite: func(io.Writer) io.Writer { return io.Discard }})
	})
}

// BenchmarkLoopbackQUIC is the ceiling the engine works under: 256 MiB
// copied on one stream of the same transport, with no file, hash or
// message framing.
func BenchmarkLoopbackQUIC(b *testing.B) {
	const size = 256 << 20
	dc, lc := transporttest.Pair(b)
	defer dc.Close(protocol.NoError, "")
	defer lc.Close(protocol.NoError, "")
	buf := make([]byte, chunkSize)
	b.SetBytes(size)
	for b.Loop() {
		var got int64
		var wg sync.WaitGroup
		wg.Go(func() {
			_, st, err := lc.AcceptStream(b.Context())
			if err != nil {
				return
			}
			got, _ = io.CopyBuffer(io.Discard, st, make([]byte, chunkSize))
		})
		st, err := dc.OpenStream(b.Context(), protocol.StreamHeader{Kind: protocol.File, TransferID: 1})
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < size; n += len(buf) {
			if _, err := st.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		_ = st.Close()
		wg.Wait()
		if got != size {
			b.Fatalf("received %d bytes", got)
		}
	}
}
