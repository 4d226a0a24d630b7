//go:build cgo && linux

// Package vpx codes moving photographic regions of the screen with VP8 (libvpx, BSD licence, linked statically
// from Debian's libvpx-dev): what the lossless codec cannot send fast enough over a slow link (a playing video,
// an animation, a dragged photograph) crosses as real-time video at the rate the link allows, and the lossless
// codec makes it exact once it stops. Where libvpx is not built in (Available reports false), the lossless path
// carries everything.
package vpx

/*
#cgo LDFLAGS: -l:libvpx.a -lm -lpthread
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

// BGRA (the screen's layout) to I420, BT.601 limited range, chroma averaged over 2x2.
static void bgra_to_i420(const unsigned char *src, int stride, int w, int h,
                         unsigned char *y, unsigned char *u, unsigned char *v) {
	int cw = (w + 1) / 2;
	for (int r = 0; r < h; r++) {
		const unsigned char *p = src + (size_t)r * stride;
		unsigned char *yr = y + (size_t)r * w;
		for (int c = 0; c < w; c++) {
			int b = p[4*c], g = p[4*c+1], rr = p[4*c+2];
			yr[c] = (unsigned char)(((66*rr + 129*g + 25*b + 128) >> 8) + 16);
		}
	}
	for (int r = 0; r < h; r += 2) {
		const unsigned char *p0 = src + (size_t)r * stride;
		const unsigned char *p1 = src + (size_t)(r + 1 < h ? r + 1 : r) * stride;
		unsigned char *ur = u + (size_t)(r/2) * cw, *vr = v + (size_t)(r/2) * cw;
		for (int c = 0; c < w; c += 2) {
			int c1 = c + 1 < w ? c + 1 : c;
			int b = p0[4*c] + p0[4*c1] + p1[4*c] + p1[4*c1];
			int g = p0[4*c+1] + p0[4*c1+1] + p1[4*c+1] + p1[4*c1+1];
			int rr = p0[4*c+2] + p0[4*c1+2] + p1[4*c+2] + p1[4*c1+2];
			b = (b + 2) >> 2; g = (g + 2) >> 2; rr = (rr + 2) >> 2;
			ur[c/2] = (unsigned char)(((-38*rr - 74*g + 112*b + 128) >> 8) + 128);
			vr[c/2] = (unsigned char)(((112*rr - 94*g - 18*b + 128) >> 8) + 128);
		}
	}
}

static unsigned char clamp(int x) { return x < 0 ? 0 : x > 255 ? 255 : (unsigned char)x; }

// I420 planes (with their strides) to BGRA.
static void i420_to_bgra(const unsigned char *y, int ys, const unsigned char *u, int us, const unsigned char *v, int vs,
                         int w, int h, unsigned char *dst, int stride) {
	for (int r = 0; r < h; r++) {
		const unsigned char *yr = y + (size_t)r * ys, *ur = u + (size_t)(r/2) * us, *vr = v + (size_t)(r/2) * vs;
		unsigned char *d = dst + (size_t)r * stride;
		for (int c = 0; c < w; c++) {
			int C = yr[c] - 16, D = ur[c/2] - 128, E = vr[c/2] - 128;
			d[4*c+2] = clamp((298*C + 409*E + 128) >> 8);
			d[4*c+1] = clamp((298*C - 100*D - 208*E + 128) >> 8);
			d[4*c] = clamp((298*C + 516*D + 128) >> 8);
			d[4*c+3] = 255;
		}
	}
}

static vpx_codec_err_t enc_init(vpx_codec_ctx_t *ctx, int w, int h, int kbps, int threads) {
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_err_t err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	cfg.g_w = w; cfg.g_h = h;
	cfg.g_timebase.num = 1; cfg.g_timebase.den = 1000; // milliseconds
	cfg.rc_target_bitrate = kbps;
	cfg.rc_end_usage = VPX_CBR;
	cfg.g_lag_in_frames = 0;
	cfg.g_threads = threads;
	cfg.g_error_resilient = 0;
	// Up to VP8's coarsest quantizer: at 56, a 1472x952 page scrolled at 660 kbit/s (profile B) overshot its
	// rate by half and crossed at 3.2 frames a second; at 63, 4.5 to 4.8.
	cfg.rc_min_quantizer = 2; cfg.rc_max_quantizer = 63;
	cfg.rc_undershoot_pct = 95; cfg.rc_overshoot_pct = 15;
	cfg.rc_buf_sz = 600; cfg.rc_buf_initial_sz = 400; cfg.rc_buf_optimal_sz = 500;
	cfg.kf_mode = VPX_KF_DISABLED; // key frames when asked
	err = vpx_codec_enc_init(ctx, vpx_codec_vp8_cx(), &cfg, 0);
	if (err) return err;
	vpx_codec_control(ctx, VP8E_SET_CPUUSED, -8); // real time, fast
	vpx_codec_control(ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(ctx, VP8E_SET_TOKEN_PARTITIONS, threads > 1 ? 1 : 0);
	return VPX_CODEC_OK;
}

static vpx_codec_err_t enc_rate(vpx_codec_ctx_t *ctx, int kbps) {
	vpx_codec_enc_cfg_t cfg = *ctx->config.enc;
	cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(ctx, &cfg);
}

static vpx_codec_err_t enc_frame(vpx_codec_ctx_t *ctx, unsigned char *i420, int w, int h, long pts, int key) {
	vpx_image_t img;
	if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, w, h, 1, i420)) return VPX_CODEC_MEM_ERROR;
	return vpx_codec_encode(ctx, &img, pts, 33, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
}

// The next compressed frame's bytes, or NULL; *size gets its length, *key whether it is a key frame.
static const void *enc_next(vpx_codec_ctx_t *ctx, vpx_codec_iter_t *it, size_t *size, int *key) {
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(ctx, it))) {
		if (p->kind == VPX_CODEC_CX_FRAME_PKT) {
			*size = p->data.frame.sz;
			*key = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return p->data.frame.buf;
		}
	}
	return NULL;
}

static vpx_codec_err_t dec_init(vpx_codec_ctx_t *ctx, int threads) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = threads;
	return vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), &cfg, 0);
}

// Decodes one frame into dst (BGRA, w×h, stride); returns 1 when a picture came out of the right size.
static int dec_frame(vpx_codec_ctx_t *ctx, const unsigned char *data, size_t n, int w, int h, unsigned char *dst, int stride, vpx_codec_err_t *err) {
	*err = vpx_codec_decode(ctx, data, (unsigned int)n, NULL, 0);
	if (*err) return 0;
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img = vpx_codec_get_frame(ctx, &it);
	if (!img || img->fmt != VPX_IMG_FMT_I420 || (int)img->d_w != w || (int)img->d_h != h) return 0;
	i420_to_bgra(img->planes[0], img->stride[0], img->planes[1], img->stride[1], img->planes[2], img->stride[2], w, h, dst, stride);
	return 1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/tandem-remote/tandem/shared/codec"
)

// Available reports whether VP8 is built in.
func Available() bool { return true }

// MaxSide bounds a coded region's width and height (VP8's limit is 16383).
const MaxSide = 4096

var (
	// ErrUnavailable is returned where libvpx is not built in.
	ErrUnavailable = errors.New("VP8 video is not available in this build")
	// ErrCorrupt is returned for a packet the decoder refuses, or whose picture is not of the expected size.
	ErrCorrupt = errors.New("corrupt VP8 packet")
)

func vpxErr(what string, e C.vpx_codec_err_t) error {
	return fmt.Errorf("vp8 %s: %s", what, C.GoString(C.vpx_codec_err_to_string(e)))
}

// Encoder codes pictures of one w×h region (both even) at a target rate. It is not safe for concurrent use;
// Close frees it.
type Encoder struct {
	ctx  *C.vpx_codec_ctx_t
	w, h int
	i420 unsafe.Pointer // C memory: the frame being coded, converted
	pts  int64
}

// NewEncoder returns an encoder for w×h pictures at kbps kilobits per second, with threads threads.
func NewEncoder(w, h, kbps, threads int) (*Encoder, error) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxSide || h > MaxSide {
		return nil, fmt.Errorf("vp8: region %dx%d (even sides up to %d)", w, h, MaxSide)
	}
	e := &Encoder{ctx: (*C.vpx_codec_ctx_t)(C.calloc(1, C.sizeof_vpx_codec_ctx_t)), w: w, h: h}
	if err := C.enc_init(e.ctx, C.int(w), C.int(h), C.int(max(kbps, 50)), C.int(max(threads, 1))); err != C.VPX_CODEC_OK {
		C.free(unsafe.Pointer(e.ctx))
		return nil, vpxErr("encoder", err)
	}
	e.i420 = C.malloc(C.size_t(w*h + 2*((w+1)/2)*((h+1)/2)))
	return e, nil
}

// SetRate changes the target rate, in kilobits per second.
func (e *Encoder) SetRate(kbps int) error {
	if err := C.enc_rate(e.ctx, C.int(max(kbps, 50))); err != C.VPX_CODEC_OK {
		return vpxErr("rate", err)
	}
	return nil
}

// Encode codes the region of f at (x, y), appending the packet to dst; key forces a key frame. It reports
// whether the packet is a key frame (the first one always is).
func (e *Encoder) Encode(dst []byte, f codec.Frame, x, y int, key bool, elapsedMs int64) ([]byte, bool, error) {
	if x < 0 || y < 0 || x+e.w > f.Width || y+e.h > f.Height {
		return dst, false, fmt.Errorf("vp8: region %dx%d at %d,%d outside a %dx%d frame", e.w, e.h, x, y, f.Width, f.Height)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	src := &f.Pix[y*f.Stride+4*x]
	pin.Pin(src)
	plane := e.w * e.h
	cw := (e.w + 1) / 2
	C.bgra_to_i420((*C.uchar)(unsafe.Pointer(src)), C.int(f.Stride), C.int(e.w), C.int(e.h),
		(*C.uchar)(e.i420), (*C.uchar)(unsafe.Add(e.i420, plane)), (*C.uchar)(unsafe.Add(e.i420, plane+cw*((e.h+1)/2))))
	k := C.int(0)
	if key {
		k = 1
	}
	if err := C.enc_frame(e.ctx, (*C.uchar)(e.i420), C.int(e.w), C.int(e.h), C.long(elapsedMs), k); err != C.VPX_CODEC_OK {
		return dst, false, vpxErr("encode", err)
	}
	isKey := false
	var it C.vpx_codec_iter_t
	for {
		var size C.size_t
		var kf C.int
		p := C.enc_next(e.ctx, &it, &size, &kf)
		if p == nil {
			break
		}
		dst = append(dst, unsafe.Slice((*byte)(p), int(size))...)
		isKey = isKey || kf != 0
	}
	return dst, isKey, nil
}

// Close frees the encoder.
func (e *Encoder) Close() {
	if e.ctx != nil {
		C.vpx_codec_destroy(e.ctx)
		C.free(unsafe.Pointer(e.ctx))
		C.free(e.i420)
		e.ctx, e.i420 = nil, nil
	}
}

// Decoder decodes the packets of one w×h region. It is not safe for concurrent use; Close frees it.
type Decoder struct {
	ctx  *C.vpx_codec_ctx_t
	w, h int
}

// NewDecoder returns a decoder for w×h pictures.
func NewDecoder(w, h, threads int) (*Decoder, error) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxSide || h > MaxSide {
		return nil, fmt.Errorf("vp8: region %dx%d (even sides up to %d)", w, h, MaxSide)
	}
	d := &Decoder{ctx: (*C.vpx_codec_ctx_t)(C.calloc(1, C.sizeof_vpx_codec_ctx_t)), w: w, h: h}
	if err := C.dec_init(d.ctx, C.int(max(threads, 1))); err != C.VPX_CODEC_OK {
		C.free(unsafe.Pointer(d.ctx))
		return nil, vpxErr("decoder", err)
	}
	return d, nil
}

// Decode decodes pkt into the region of dst at (x, y). An error wraps ErrCorrupt.
func (d *Decoder) Decode(pkt []byte, dst codec.Frame, x, y int) error {
	if len(pkt) == 0 || x < 0 || y < 0 || x+d.w > dst.Width || y+d.h > dst.Height {
		return fmt.Errorf("%w: %d bytes for a %dx%d region at %d,%d of %dx%d", ErrCorrupt, len(pkt), d.w, d.h, x, y, dst.Width, dst.Height)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&pkt[0])
	out := &dst.Pix[y*dst.Stride+4*x]
	pin.Pin(out)
	var err C.vpx_codec_err_t
	if C.dec_frame(d.ctx, (*C.uchar)(unsafe.Pointer(&pkt[0])), C.size_t(len(pkt)), C.int(d.w), C.int(d.h),
		(*C.uchar)(unsafe.Pointer(out)), C.int(dst.Stride), &err) == 0 {
		if err != C.VPX_CODEC_OK {
			return fmt.Errorf("%w: %s", ErrCorrupt, C.GoString(C.vpx_codec_err_to_string(err)))
		}
		return fmt.Errorf("%w: no %dx%d picture", ErrCorrupt, d.w, d.h)
	}
	return nil
}

// Close frees the decoder.
func (d *Decoder) Close() {
	if d.ctx != nil {
		C.vpx_codec_destroy(d.ctx)
		C.free(unsafe.Pointer(d.ctx))
		d.ctx = nil
	}
}
