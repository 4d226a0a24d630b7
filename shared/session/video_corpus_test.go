package session

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
)

// The corpus's recordings of a page scrolled and a terminal dragged across a photographic wallpaper, seen as a
// profile B link sees them (a frame every half second or so), never go lossy: neither is a video.
func TestCorpusScrollAndDragStayLossless(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	const stride = 15 // a frame every 15 of the recording's
	for _, name := range []string{"window-drag", "web-scroll"} {
		t.Run(name, func(t *testing.T) {
			rec, err := capture.OpenReplay(filepath.Join("..", "..", "..", "shared", "corpus", name+".frames.zst"))
			if err != nil {
				t.Fatalf("the corpus beside the repository: %v", err)
			}
			defer rec.Close()
			enc := codec.NewEncoder()
			var v videoSender
			v.allow(true)
			defer v.stop()
			const rate = 250_000 // profile B
			var pkt []byte
			var frames [2]codec.Frame
			for k := 0; k*stride < rec.Header().Count && k < 10; k++ {
				f, prev := &frames[k%2], frames[(k+1)%2]
				for range min(stride, rec.Header().Count-k*stride) {
					if err := rec.Capture(0, f); err != nil {
						t.Fatal(err)
					}
				}
				if k > 0 && v.confirm(prev, *f, rate, time.Now()) {
					t.Fatalf("frame %d went lossy before coding: region %v", k*stride, v.region)
				}
				if pkt, err = enc.Encode(pkt[:0], *f); err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					v.expect(nil, 0)
				} else if v.observe(*f, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), rate, time.Now()) {
					t.Fatalf("frame %d went lossy after coding: region %v", k*stride, v.region)
				}
			}
		})
	}
}
