package session

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
)

// The corpus's recordings of a page scrolled and a terminal dragged across a photographic wallpaper, seen as a
// profile B link sees them (a frame every half second or so), never go lossy: neither is a video.
func TestCorpusScrollAndDragStayLossless(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	for _, name := range []string{"window-drag", "web-scroll"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, name+".frames.zst"))
			if err != nil {
				t.Fatalf("the corpus beside the repository: %v", err)
			}
			defer f.Close()
			zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			br := bufio.NewReaderSize(zr, 1<<20)
			var w, h, n int
			if _, err := fmt.Fscanf(br, "FRAMES v1 %d %d %d BGRA\n", &w, &h, &n); err != nil {
				t.Fatal(err)
			}
			enc := codec.NewEncoder()
			var v videoSender
			v.allow(true)
			defer v.stop()
			const rate = 250_000 // profile B
			var pkt []byte
			frames := [2]codec.Frame{codec.NewFrame(w, h), codec.NewFrame(w, h)}
			for k := 0; k*15 < n && k < 10; k++ {
				f, prev := frames[k%2], frames[(k+1)%2]
				for range min(15, n-k*15) { // a frame every 15 of the recording's
					if _, err := io.ReadFull(br, f.Pix); err != nil {
						t.Fatal(err)
					}
				}
				if k > 0 && v.confirm(prev, f, rate, time.Now()) {
					t.Fatalf("frame %d went lossy before coding: region %v", k*15, v.region)
				}
				if pkt, err = enc.Encode(pkt[:0], f); err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					v.expect(nil, 0)
				} else if v.observe(f, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), rate, time.Now()) {
					t.Fatalf("frame %d went lossy after coding: region %v", k*15, v.region)
				}
			}
		})
	}
}
