package session

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/capture"
	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
)

// corpusSender opens the corpus's recording name (beside the repository), for a lossless encoder and a video
// sender that accepts lossy video; the test closes both at its end.
func corpusSender(t *testing.T, name string) (*capture.Replay, *codec.Encoder, *videoSender) {
	t.Helper()
	rec, err := capture.OpenReplay(filepath.Join("..", "..", "..", "shared", "corpus", name+".frames.zst"))
	if err != nil {
		t.Fatalf("the corpus beside the repository: %v", err)
	}
	t.Cleanup(func() { _ = rec.Close() })
	v := &videoSender{}
	v.allow(true)
	t.Cleanup(v.stop)
	return rec, codec.NewEncoder(), v
}

// codeCorpus codes rec with enc as a link that takes one frame in stride sees it, for at most n frames (0: all):
// before frame k > 0 is coded, before(k, prev, cur) is asked, and a true answer ends the walk; once frame k is
// coded, coded(k, cur, pkt) is told.
func codeCorpus(t *testing.T, rec *capture.Replay, enc *codec.Encoder, stride, n int,
	before func(k int, prev, cur codec.Frame) bool, coded func(k int, cur codec.Frame, pkt []byte)) {
	t.Helper()
	var pkt []byte
	var frames [2]codec.Frame
	for k := 0; k*stride < rec.Header().Count && (n == 0 || k < n); k++ {
		f, prev := &frames[k%2], frames[(k+1)%2]
		for range min(stride, rec.Header().Count-k*stride) {
			if err := rec.Capture(0, f); err != nil {
				t.Fatal(err)
			}
		}
		if k > 0 && before(k, prev, *f) {
			return
		}
		var err error
		if pkt, err = enc.Encode(pkt[:0], *f); err != nil {
			t.Fatal(err)
		}
		coded(k, *f, pkt)
	}
}

// The corpus's recordings of a page scrolled and a terminal dragged across a photographic wallpaper, seen as a
// profile B link sees them (a frame every half second or so), never go lossy: neither is a video.
func TestCorpusScrollAndDragStayLossless(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	const stride = 15 // a frame every 15 of the recording's
	for _, name := range []string{"window-drag", "web-scroll"} {
		t.Run(name, func(t *testing.T) {
			rec, enc, v := corpusSender(t, name)
			const rate = 250_000 // profile B
			codeCorpus(t, rec, enc, stride, 10, func(k int, prev, cur codec.Frame) bool {
				if v.confirm(prev, cur, rate, time.Now()) {
					t.Fatalf("frame %d went lossy before coding: region %v", k*stride, v.region)
				}
				return false
			}, func(k int, cur codec.Frame, pkt []byte) {
				if k == 0 {
					v.expect(nil, 0)
				} else if v.observe(cur, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), rate, time.Now()) {
					t.Fatalf("frame %d went lossy after coding: region %v", k*stride, v.region)
				}
			})
		})
	}
}

// On a link far too slow for their exact frames (profile B, a frame every half second), the same recordings go
// on moving as video once crawlFrames frames in a row took the link over crawlCrossing; on profile A, where they
// cross at 15 to 20 frames a second, they never do, frame after frame.
func TestCorpusCrawlsOnlyOnAVerySlowLink(t *testing.T) {
	if !vpx.Available() {
		t.Skip("VP8 is not built in (no cgo): nothing goes lossy")
	}
	for _, c := range []struct {
		name      string
		rate      float64 // bytes per second
		stride    int     // a frame every stride of the recording's
		wantCrawl bool
	}{
		{"web-scroll on profile B", 250_000, 15, true},
		{"window-drag on profile B", 250_000, 15, true},
		{"web-scroll on profile A", 1_250_000, 2, false},
		{"window-drag on profile A", 1_250_000, 2, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, _, _ := strings.Cut(c.name, " ")
			rec, enc, v := corpusSender(t, name)
			crawled := -1
			codeCorpus(t, rec, enc, c.stride, 0, func(k int, prev, cur codec.Frame) bool {
				if v.crawl(prev, cur, c.rate, time.Now()) {
					crawled = k
				}
				return crawled >= 0
			}, func(k int, cur codec.Frame, pkt []byte) {
				if k > 0 {
					v.observe(cur, enc.Photo(), enc.Changed(), enc.Stats(), len(pkt), c.rate, time.Now())
				}
			})
			switch {
			case !c.wantCrawl && crawled >= 0:
				t.Fatalf("frame %d went lossy as a crawl: region %v", crawled*c.stride, v.region)
			case c.wantCrawl && crawled < 0:
				t.Fatal("the recording never went lossy")
			case c.wantCrawl && crawled > crawlFrames+3:
				t.Errorf("it went lossy at frame %d sent, want by frame %d (two to three seconds of the link)", crawled+1, crawlFrames+4)
			}
			if c.wantCrawl && v.region.Dx()*v.region.Dy() < 1920*1080/4 {
				t.Errorf("the lossy region %v is a small part of what moves", v.region)
			}
		})
	}
}
