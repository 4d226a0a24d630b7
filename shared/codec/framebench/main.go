// Command framebench measures the screen codec on frame recordings (the corpus format of
// ../shared/corpus/README.md): it encodes every frame in order, decodes every packet, checks that each decoded
// frame equals the input, and prints one line per file (one JSON object per line with -json).
//
// With -x264 it then pipes the same frames, in the same run, into the x264 command line encoder (lossless RGB,
// ultrafast preset, one thread: the reference of ../shared/corpus/README.md) and prints its ratio and CPU time per
// frame beside ours. x264 is GPL and never part of the product; the bench only runs it when it is installed.
//
// With -coarse STEP the delta frames may leave photographs coarse (codec.Encoder.SetCoarse): each decoded frame
// must then be within half a step of the input, the line gives the PSNR of the decoded frames, and a last
// packet, after Refine, must make the picture exact (its size is printed). -every N codes one
// frame in N, as a capture loop on a slow link does.
//
//	go run ./shared/codec/framebench [-json] [-v] [-x264] [-coarse STEP] [-every N] FILE.frames.zst...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/tandem-remote/tandem/shared/codec"
)

type result struct {
	File                string  `json:"file"`
	Width               int     `json:"width"`
	Height              int     `json:"height"`
	Frames              int     `json:"frames"`
	RawBytes            int64   `json:"raw_bytes"`
	EncodedBytes        int64   `json:"encoded_bytes"`
	Ratio               float64 `json:"ratio"`
	EncodeMsPerFrame    float64 `json:"encode_ms_per_frame"`
	EncodeCPUMsPerFrame float64 `json:"encode_cpu_ms_per_frame"`
	DecodeMsPerFrame    float64 `json:"decode_ms_per_frame"`
	Lossless            bool    `json:"lossless"`
	Coarse              int     `json:"coarse_step,omitempty"`
	PSNR                float64 `json:"psnr_db,omitempty"`
	RefineBytes         int64   `json:"refine_bytes,omitempty"`
	X264Bytes           int64   `json:"x264_bytes,omitempty"`
	X264Ratio           float64 `json:"x264_ratio,omitempty"`
	X264CPUMsPerFrame   float64 `json:"x264_cpu_ms_per_frame,omitempty"`
}

func main() {
	asJSON := flag.Bool("json", false, "print one JSON object per file")
	verbose := flag.Bool("v", false, "print a line per frame to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	withX264 := flag.Bool("x264", false, "also code the frames with the x264 command (lossless RGB, ultrafast, one thread) and print its ratio and CPU per frame")
	coarse := flag.Int("coarse", 0, "let delta frames leave photographs coarse to this step (2..128; 0: lossless)")
	every := flag.Int("every", 1, "code one frame in this many")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: framebench [-json] [-v] [-x264] [-coarse STEP] [-every N] FILE.frames.zst...")
		flag.PrintDefaults()
	}
	flag.Parse()
	// x264 codes every frame, lossless: beside -coarse or -every its figures would not compare with ours.
	if flag.NArg() == 0 || *every < 1 || *coarse < 0 || *coarse > 128 || (*coarse > 0 || *every > 1) && *withX264 {
		flag.Usage()
		os.Exit(2)
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "framebench: %v\n", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(os.Stderr, "framebench: %v\n", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	failed := false
	for _, path := range flag.Args() {
		res, err := run(path, options{verbose: *verbose, x264: *withX264, coarse: *coarse, every: *every})
		if err != nil {
			fmt.Fprintf(os.Stderr, "framebench: %s: %v\n", path, err)
			failed = true
			continue
		}
		if !res.Lossless {
			failed = true
		}
		if *asJSON {
			b, _ := json.Marshal(res)
			fmt.Println(string(b))
		} else {
			fmt.Printf("%-28s %4dx%-4d %4d frames  ratio %8.1f  encode %6.2f ms/frame (cpu %6.2f ms)  decode %6.2f ms/frame  lossless %v\n",
				res.File, res.Width, res.Height, res.Frames, res.Ratio, res.EncodeMsPerFrame, res.EncodeCPUMsPerFrame,
				res.DecodeMsPerFrame, res.Lossless)
			if res.Coarse > 0 {
				fmt.Printf("%-28s coarse step %d: PSNR %.1f dB, then %d bytes to exact\n", "", res.Coarse, res.PSNR, res.RefineBytes)
			}
			if res.X264Bytes > 0 {
				fmt.Printf("%-28s x264 lossless RGB ultrafast: ratio %8.1f  cpu %6.2f ms/frame  (ours: ratio x%.2f, cpu x%.2f)\n",
					"", res.X264Ratio, res.X264CPUMsPerFrame, res.Ratio/res.X264Ratio, res.EncodeCPUMsPerFrame/res.X264CPUMsPerFrame)
			}
		}
	}
	if failed {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// recording is an open .frames.zst file, read frame by frame.
type recording struct {
	f       *os.File
	zr      *zstd.Decoder
	br      *bufio.Reader
	w, h, n int
}

func openRecording(path string) (*recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r := &recording{f: f, zr: zr, br: bufio.NewReaderSize(zr, 1<<20)}
	hdr, err := r.br.ReadString('\n')
	if err != nil {
		r.close()
		return nil, fmt.Errorf("reading header: %w", err)
	}
	var pixfmt string
	if _, err := fmt.Sscanf(hdr, "FRAMES v1 %d %d %d %s\n", &r.w, &r.h, &r.n, &pixfmt); err != nil || pixfmt != "BGRA" ||
		r.w <= 0 || r.h <= 0 || r.n < 0 || r.w > 1<<15 || r.h > 1<<15 {
		r.close()
		return nil, fmt.Errorf("bad header %q", hdr)
	}
	return r, nil
}

// read reads frame i into pix.
func (r *recording) read(i int, pix []byte) error {
	if _, err := io.ReadFull(r.br, pix); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("frame %d of %d: truncated", i, r.n)
		}
		return fmt.Errorf("frame %d: %w", i, err)
	}
	return nil
}

func (r *recording) close() {
	r.zr.Close()
	_ = r.f.Close() // read-only: nothing to lose
}

// diff returns the largest difference between a colour byte of a and b, and the sum of the squares of the
// differences.
func diff(a, b codec.Frame) (most int, sq float64) {
	for y := range a.Height {
		ra, rb := a.Pix[y*a.Stride:][:4*a.Width], b.Pix[y*b.Stride:][:4*b.Width]
		for x := range ra {
			if x%4 == 3 || ra[x] == rb[x] {
				continue
			}
			d := int(ra[x]) - int(rb[x])
			most = max(most, d, -d)
			sq += float64(d * d)
		}
	}
	return most, sq
}

// options are the command's flags for one run.
type options struct {
	verbose, x264 bool
	coarse, every int
}

func run(path string, o options) (result, error) {
	verbose, withX264 := o.verbose, o.x264
	res := result{File: path, Lossless: true, Coarse: o.coarse}
	rec, err := openRecording(path)
	if err != nil {
		return res, err
	}
	defer rec.close()
	w, h, n := rec.w, rec.h, rec.n
	res.Width, res.Height = w, h
	// Two capture buffers in turn, as a live capture loop would use them with EncodeRetained.
	bufs := [2]codec.Frame{codec.NewFrame(w, h), codec.NewFrame(w, h)}
	enc := codec.NewEncoder()
	dec := codec.NewDecoder(codec.DecoderOptions{MaxPixels: w * h})
	defer dec.Close()
	var pkt []byte
	var encWall, decWall, encCPU time.Duration
	var sqErr float64
	var frame codec.Frame
	for i := 0; i < n; i++ {
		next := bufs[res.Frames%2]
		if err := rec.read(i, next.Pix); err != nil {
			return res, err
		}
		if i%o.every != 0 {
			continue
		}
		frame = next
		if i > 0 {
			enc.SetCoarse(o.coarse)
		}
		c0 := cpuTime()
		t0 := time.Now()
		pkt, err = enc.EncodeRetained(pkt[:0], frame)
		t1 := time.Now()
		c1 := cpuTime()
		if err != nil {
			return res, fmt.Errorf("encoding frame %d: %w", i, err)
		}
		err = dec.Decode(pkt)
		t2 := time.Now()
		if err != nil {
			return res, fmt.Errorf("decoding frame %d: %w", i, err)
		}
		encWall += t1.Sub(t0)
		encCPU += c1 - c0
		decWall += t2.Sub(t1)
		res.EncodedBytes += int64(len(pkt))
		if o.coarse > 0 {
			most, se := diff(dec.Frame(), frame)
			sqErr += se
			if most > o.coarse/2 || (se == 0) != enc.Exact() {
				res.Lossless = false
				fmt.Fprintf(os.Stderr, "framebench: %s: frame %d off by up to %d (exact %v)\n", path, i, most, enc.Exact())
			}
		} else if !dec.Frame().Equal(frame) {
			res.Lossless = false
			fmt.Fprintf(os.Stderr, "framebench: %s: frame %d differs after decoding\n", path, i)
		}
		if verbose {
			s := enc.Stats()
			fmt.Fprintf(os.Stderr, "%4d %8d B %6.2f ms cpu %6.2f ms %+v\n", i, len(pkt), float64(t1.Sub(t0).Microseconds())/1000, float64((c1-c0).Microseconds())/1000, s)
		}
		res.Frames++
	}
	if o.coarse > 0 && res.Frames > 0 {
		// Still: Refine makes the picture exact.
		enc.Refine()
		if pkt, err = enc.EncodeRetained(pkt[:0], frame); err != nil {
			return res, err
		}
		if err := dec.Decode(pkt); err != nil {
			return res, err
		}
		res.RefineBytes = int64(len(pkt))
		if !dec.Frame().Equal(frame) || !enc.Exact() {
			res.Lossless = false
			fmt.Fprintf(os.Stderr, "framebench: %s: not exact once still\n", path)
		}
		res.PSNR = math.Inf(1)
		if mse := sqErr / float64(res.Frames) / float64(3*w*h); mse > 0 {
			res.PSNR = 10 * math.Log10(255*255/mse)
		}
	}
	res.RawBytes = int64(res.Frames) * int64(w) * int64(h) * 4
	if res.EncodedBytes > 0 {
		res.Ratio = float64(res.RawBytes) / float64(res.EncodedBytes)
	}
	if withX264 {
		// After ours, not beside it: the two would share the memory bus and the caches.
		bytes, cpu, err := runX264(path)
		if err != nil {
			return res, err
		}
		res.X264Bytes = bytes
		if bytes > 0 && res.Frames > 0 {
			res.X264Ratio = float64(res.RawBytes) / float64(bytes)
			res.X264CPUMsPerFrame = float64(cpu.Microseconds()) / 1000 / float64(res.Frames)
		}
	}
	if res.Frames > 0 {
		fr := float64(res.Frames)
		res.EncodeMsPerFrame = float64(encWall.Microseconds()) / 1000 / fr
		res.EncodeCPUMsPerFrame = float64(encCPU.Microseconds()) / 1000 / fr
		res.DecodeMsPerFrame = float64(decWall.Microseconds()) / 1000 / fr
	}
	return res, nil
}
