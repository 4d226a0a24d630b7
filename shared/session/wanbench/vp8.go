//go:build cgo && linux

package main

import (
	"fmt"
	"math"
	"time"

	"github.com/tandem-remote/tandem/shared/codec"
	"github.com/tandem-remote/tandem/shared/codec/vpx"
)

// vp8Bench codes the natural video's player region with VP8 at each rate (kbit/s) and prints the encoder's
// milliseconds per frame, the bytes per frame and the PSNR of the decoded pictures.
func vp8Bench(rates []int) error {
	c := naturalVideo()
	for _, kbps := range rates {
		enc, err := vpx.NewEncoder(playerW, playerH, kbps, 2)
		if err != nil {
			return err
		}
		dec, err := vpx.NewDecoder(playerW, playerH, 2)
		if err != nil {
			enc.Close()
			return err
		}
		out := codec.Frame{Width: videoW, Height: videoH, Stride: 4 * videoW, Pix: make([]byte, 4*videoW*videoH)}
		var spent, decSpent time.Duration
		var bytes int
		var psnrSum, psnrMin float64 = 0, math.Inf(1)
		var pkt []byte
		const passes = 2
		n := 0
		for pass := range passes {
			for i, f := range c.frames {
				t0 := time.Now()
				pkt, _, err = enc.Encode(pkt[:0], f, playerX, playerY, n == 0, int64(n*1000/recordingFPS))
				spent += time.Since(t0)
				if err != nil {
					return err
				}
				t0 = time.Now()
				if err := dec.Decode(pkt, out, playerX, playerY); err != nil {
					return fmt.Errorf("frame %d: %w", i, err)
				}
				decSpent += time.Since(t0)
				n++
				if pass == passes-1 { // the second pass: the rate control has settled
					bytes += len(pkt)
					region := func(fr codec.Frame) codec.Frame {
						return codec.Frame{Width: playerW, Height: playerH, Stride: fr.Stride, Pix: fr.Pix[playerY*fr.Stride+4*playerX:]}
					}
					p := psnr(region(out), region(f))
					psnrSum += p
					psnrMin = min(psnrMin, p)
				}
			}
		}
		enc.Close()
		dec.Close()
		k := len(c.frames)
		fmt.Printf("VP8 %dx%d at %d kbit/s: encode %.1f ms/frame, decode %.1f ms/frame, %.1f KB/frame (%.0f kbit/s at 30 fps), PSNR mean %.1f dB, min %.1f dB\n",
			playerW, playerH, kbps, ms(spent)/float64(n), ms(decSpent)/float64(n), float64(bytes)/float64(k)/1000,
			float64(bytes)/float64(k)*30*8/1000, psnrSum/float64(k), psnrMin)
	}
	return nil
}
