package main

import (
	"bufio"
	"fmt"
	"math"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/tandem-remote/tandem/shared/codec"
)

// The natural-video recording: a 1920x1080 desktop (a gradient wallpaper, a top bar, a video player window)
// whose 1280x720 player shows an aerial "photograph" (a landscape of fractal noise, hill-shaded, coloured from
// water to snow) panned and slowly zoomed with sub-pixel sampling, plus a camera's grain on every frame: as in
// a real video, every pixel of the player changes in every frame and nothing moves by whole pixels. Three
// seconds at 30 frames per second, made the same way on every run (no random seed, no outside file).
const (
	videoW, videoH   = 1920, 1080
	playerX, playerY = 320, 200
	playerW, playerH = 1280, 720
	videoFrames      = 90
	photoW, photoH   = 1800, 1100 // the photograph the player pans over
)

// naturalVideo makes the recording.
func naturalVideo() *clip {
	photo := landscape(photoW, photoH)
	desk := desktop()
	c := &clip{name: "natural-video"}
	grain := uint64(0x2545f4914f6cdd1d)
	for i := range videoFrames {
		f := codec.Frame{Width: videoW, Height: videoH, Stride: 4 * videoW, Pix: append([]byte(nil), desk...)}
		t := float64(i) / videoFrames
		zoom := 1 + 0.12*t
		ox, oy := 60+310*t, 40+170*t // pan, in photo pixels
		for y := range playerH {
			row := f.Pix[(playerY+y)*f.Stride+4*playerX:]
			sy := oy + float64(y)/zoom
			for x := range playerW {
				sx := ox + float64(x)/zoom
				r, g, b := photo.sample(sx, sy)
				grain ^= grain << 13
				grain ^= grain >> 7
				grain ^= grain << 17
				n := float64(int(grain&7) - 3) // ±3 levels of grain
				row[4*x] = clamp8(b + n)
				row[4*x+1] = clamp8(g + n)
				row[4*x+2] = clamp8(r + n)
				row[4*x+3] = 255
			}
		}
		c.frames = append(c.frames, f)
	}
	return c
}

// saveVideo writes the recording as a .frames.zst file (../shared/corpus/README.md's format).
func saveVideo(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		_ = f.Close()
		return err
	}
	w := bufio.NewWriterSize(zw, 1<<20)
	err = writeClip(w, naturalVideo())
	if err == nil {
		err = w.Flush()
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// desktop is the still part of every frame, BGRA.
func desktop() []byte {
	pix := make([]byte, 4*videoW*videoH)
	set := func(x, y int, r, g, b byte) {
		i := 4 * (y*videoW + x)
		pix[i], pix[i+1], pix[i+2], pix[i+3] = b, g, r, 255
	}
	for y := range videoH {
		for x := range videoW {
			v := byte(40 + 50*y/videoH)
			set(x, y, v/2, v, v+40) // wallpaper: a blue gradient
			switch {
			case y < 28:
				set(x, y, 30, 30, 34) // the top bar
			case x >= playerX-4 && x < playerX+playerW+4 && y >= playerY-36 && y < playerY+playerH+48:
				set(x, y, 235, 235, 238) // the player window, its title bar and its controls
				if y >= playerY+playerH+20 && y < playerY+playerH+26 && x >= playerX+60 && x < playerX+playerW-60 {
					set(x, y, 90, 90, 220) // the progress bar
				}
			}
		}
	}
	return pix
}

// photo is an RGB picture in float components.
type photo struct {
	w, h int
	rgb  []float64
}

// sample reads the photo at a sub-pixel place, bilinearly.
func (p *photo) sample(x, y float64) (r, g, b float64) {
	x = math.Max(0, math.Min(x, float64(p.w-2)))
	y = math.Max(0, math.Min(y, float64(p.h-2)))
	x0, y0 := int(x), int(y)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(xx, yy, k int) float64 { return p.rgb[3*(yy*p.w+xx)+k] }
	var c [3]float64
	for k := range 3 {
		top := at(x0, y0, k)*(1-fx) + at(x0+1, y0, k)*fx
		bot := at(x0, y0+1, k)*(1-fx) + at(x0+1, y0+1, k)*fx
		c[k] = top*(1-fy) + bot*fy
	}
	return c[0], c[1], c[2]
}

// landscape draws an aerial view: heights of fractal value noise, coloured by height and lit from the north
// west.
func landscape(w, h int) *photo {
	height := make([]float64, w*h)
	for y := range h {
		for x := range w {
			v, amp, freq := 0.0, 1.0, 1.0/256
			for range 7 {
				v += amp * valueNoise(float64(x)*freq, float64(y)*freq)
				amp *= 0.5
				freq *= 2
			}
			height[y*w+x] = v / 1.98
		}
	}
	p := &photo{w: w, h: h, rgb: make([]float64, 3*w*h)}
	for y := range h {
		for x := range w {
			hv := height[y*w+x]
			dx := height[y*w+min(x+1, w-1)] - height[y*w+max(x-1, 0)]
			dy := height[min(y+1, h-1)*w+x] - height[max(y-1, 0)*w+x]
			light := math.Max(0.35, math.Min(1.3, 0.85-18*(dx+dy)))
			var r, g, b float64
			switch {
			case hv < 0.42:
				r, g, b = 30, 70+80*hv, 120+150*hv // water
				light = 1
			case hv < 0.46:
				r, g, b = 200, 185, 140 // sand
			case hv < 0.62:
				r, g, b = 60+100*(hv-0.46), 120+90*(0.62-hv), 50 // fields and forest
			case hv < 0.74:
				r, g, b = 120, 110, 100 // rock
			default:
				r, g, b = 240, 240, 245 // snow
			}
			i := 3 * (y*w + x)
			p.rgb[i], p.rgb[i+1], p.rgb[i+2] = r*light, g*light, b*light
		}
	}
	return p
}

// valueNoise is smooth noise in [0, 1) on a lattice of hashed values.
func valueNoise(x, y float64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	ix, iy := int64(x0), int64(y0)
	v00, v10 := lattice(ix, iy), lattice(ix+1, iy)
	v01, v11 := lattice(ix, iy+1), lattice(ix+1, iy+1)
	return (v00*(1-fx)+v10*fx)*(1-fy) + (v01*(1-fx)+v11*fx)*fy
}

func lattice(x, y int64) float64 {
	h := uint64(x)*0x9e3779b97f4a7c15 ^ uint64(y)*0xc2b2ae3d27d4eb4f //nolint:gosec // a hash
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	return float64(h>>11) / (1 << 53)
}

func clamp8(v float64) byte {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v + 0.5)
}
