package session

import (
	"image"
	"testing"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
	"github.com/tandem-remote/tandem/shared/protocol"
)

// FuzzVideoView feeds the viewer's video overlay what a hostile sharer could send: a VideoPacket of any
// geometry and content, then a second one (the key flag and data are the peer's), then a lossless frame that
// changed any rectangle, with or without a VideoEnd between. Whatever comes, the view must not panic, a
// decoded packet must change only a rectangle inside the screen, and the lossless picture must stay what it
// was outside the video.
func FuzzVideoView(f *testing.F) {
	if !vpx.Available() {
		f.Skip("built without libvpx: no VP8 decoder to fuzz")
	}
	const w, h = 128, 96
	enc, err := vpx.NewEncoder(64, 48, 500, 1)
	if err != nil {
		f.Fatal(err)
	}
	src := codec.NewFrame(64, 48)
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
	}
	key, _, err := enc.Encode(nil, src, 0, 0, true, 0)
	if err != nil {
		f.Fatal(err)
	}
	delta, _, err := enc.Encode(nil, src, 0, 0, false, 1)
	enc.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(16), uint16(8), uint16(64), uint16(48), key, true, delta, false, 0, 0, 40, 40, true)
	f.Add(uint16(16), uint16(8), uint16(64), uint16(48), key, false, key, true, 100, 90, 28, 6, false)
	f.Add(uint16(100), uint16(80), uint16(64), uint16(48), key, true, delta, false, 0, 0, w, h, false)
	f.Fuzz(func(t *testing.T, x, y, pw, ph uint16, first []byte, secondKey bool, second []byte, end bool,
		cx, cy, cw, ch int, ending bool) {
		fb := codec.NewFrame(w, h)
		for i := range fb.Pix {
			fb.Pix[i] = byte(i)
		}
		var v videoView
		defer v.stop()
		screen := image.Rect(0, 0, w, h)
		for i, pkt := range []*protocol.VideoPacket{
			{Seq: 1, X: x, Y: y, W: pw, H: ph, Key: true, Data: first},
			{Seq: 2, X: x, Y: y, W: pw, H: ph, Key: secondKey, Data: second},
		} {
			if pkt.Validate() != nil {
				return // ReadMessage refuses it before the view sees it
			}
			r, err := v.packet(pkt, fb)
			if err != nil {
				continue
			}
			got := image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H)
			if !got.In(screen) || got.Empty() {
				t.Fatalf("packet %d changed %v, outside the %v screen", i, got, screen)
			}
		}
		if !v.active() {
			return
		}
		region := v.region
		v.ending = ending
		// The lossless frame changed a rectangle of the screen: mark it in fb.
		c := image.Rect(cx, cy, cx+cw, cy+ch).Intersect(screen)
		for yy := c.Min.Y; yy < c.Max.Y; yy++ {
			for xx := c.Min.X; xx < c.Max.X; xx++ {
				fb.Pix[yy*fb.Stride+4*xx] ^= 0xff
			}
		}
		var changed []codec.Rect
		if !c.Empty() {
			changed = []codec.Rect{{X: c.Min.X, Y: c.Min.Y, W: c.Dx(), H: c.Dy()}}
		}
		out := v.lossless(fb, changed)
		if ending {
			if v.active() {
				t.Fatal("the region outlived its VideoEnd")
			}
			last := out[len(out)-1]
			if image.Rect(last.X, last.Y, last.X+last.W, last.Y+last.H) != region {
				t.Fatalf("the ended region %v was not redrawn: changes %v", region, out)
			}
			return
		}
		for yy := range h {
			for xx := range w {
				if image.Pt(xx, yy).In(region) {
					continue
				}
				i := yy*fb.Stride + 4*xx
				if v.view.Pix[i] != fb.Pix[i] {
					t.Fatalf("pixel (%d,%d) outside the video %v differs from the lossless picture", xx, yy, region)
				}
			}
		}
	})
}
