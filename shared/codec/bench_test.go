package codec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// corpusFrames reads the first n frames of a corpus file, or skips the test.
func corpusFrames(tb testing.TB, name string, n int) []Frame {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, name+".frames.zst"))
	if err != nil {
		tb.Skipf("corpus: %v", err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	br := bufio.NewReaderSize(zr, 1<<20)
	var w, h, count int
	if _, err := fmt.Fscanf(br, "FRAMES v1 %d %d %d BGRA\n", &w, &h, &count); err != nil {
		tb.Fatal(err)
	}
	var out []Frame
	for range min(n, count) {
		fr := NewFrame(w, h)
		if _, err := io.ReadFull(br, fr.Pix); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fr)
	}
	return out
}

// BenchmarkKeyFrame encodes the first frame of a corpus file as a key frame.
func BenchmarkKeyFrame(b *testing.B) {
	for _, name := range []string{"idle", "web-scroll", "terminal"} {
		b.Run(name, func(b *testing.B) {
			fr := corpusFrames(b, name, 1)[0]
			e := NewEncoder()
			var pkt []byte
			b.SetBytes(int64(len(fr.Pix)))
			for b.Loop() {
				e.Reset()
				pkt, _ = e.Encode(pkt[:0], fr)
			}
			b.ReportMetric(float64(len(pkt)), "bytes")
		})
	}
}

// BenchmarkDelta encodes frames 1..n of a corpus file after frame 0, again and again.
func BenchmarkDelta(b *testing.B) {
	for _, name := range []string{"web-scroll", "window-drag", "terminal"} {
		b.Run(name, func(b *testing.B) {
			frs := corpusFrames(b, name, 40)
			e := NewEncoder()
			var pkt []byte
			pkt, _ = e.Encode(pkt[:0], frs[0])
			i := 1
			for b.Loop() {
				pkt, _ = e.Encode(pkt[:0], frs[i])
				i++
				if i == len(frs) {
					i = 1
				}
			}
		})
	}
}
