//go:build linux && cgo && !nopipewire

// A PipeWire video consumer for package pipewire. libpipewire-0.3 is not linked: tpw_load dlopens it and
// resolves the pw_* functions below into the table `api`; everything else used here (SPA's POD builder and
// parser, the pw_core/pw_registry method macros) is static inline in the headers. The program therefore
// starts, and reports ErrUnavailable, where libpipewire is absent.
//
// Threads: PipeWire calls every callback below on the pw_thread_loop's thread (the stream does not ask for
// RT processing), with the loop lock held. The newest frame is converted to BGRA there into `back`, then
// swapped with `front` under `mu`; Go's thread copies `front` out under `mu` (tpw_frame).

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>

#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>
#include <pipewire/pipewire.h>

#include "tpw.h"

// Every libpipewire function this file calls, resolved by tpw_load.
#define TPW_FUNCS(X)                                                                                   \
	X(pw_init)                                                                                     \
	X(pw_thread_loop_new)                                                                          \
	X(pw_thread_loop_get_loop)                                                                     \
	X(pw_thread_loop_start)                                                                        \
	X(pw_thread_loop_stop)                                                                         \
	X(pw_thread_loop_destroy)                                                                      \
	X(pw_thread_loop_lock)                                                                         \
	X(pw_thread_loop_unlock)                                                                       \
	X(pw_context_new)                                                                              \
	X(pw_context_destroy)                                                                          \
	X(pw_context_connect_fd)                                                                       \
	X(pw_core_disconnect)                                                                          \
	X(pw_properties_new)                                                                           \
	X(pw_proxy_destroy)                                                                            \
	X(pw_stream_new)                                                                               \
	X(pw_stream_add_listener)                                                                      \
	X(pw_stream_connect)                                                                           \
	X(pw_stream_get_node_id)                                                                       \
	X(pw_stream_update_params)                                                                     \
	X(pw_stream_dequeue_buffer)                                                                    \
	X(pw_stream_queue_buffer)                                                                      \
	X(pw_stream_destroy)

#define TPW_DECLARE(name) __typeof__(name) *name;
struct tpw_api {
	TPW_FUNCS(TPW_DECLARE)
};
static struct tpw_api api;

int tpw_load(const char *soname, char *err, size_t errlen)
{
	struct tpw_api tmp;
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
#define TPW_RESOLVE(name)                                                                              \
	if ((*(void **)&tmp.name = dlsym(h, #name)) == NULL) {                                         \
		snprintf(err, errlen, "%s has no %s", soname, #name);                                  \
		dlclose(h);                                                                            \
		return -1;                                                                             \
	}
	TPW_FUNCS(TPW_RESOLVE)
#undef TPW_RESOLVE
	api = tmp; // the library stays loaded for good
	api.pw_init(NULL, NULL);
	return 0;
}

// The size of SPA_META_Cursor with a w×h ARGB bitmap. We accept up to 1024×1024; the producer picks.
#define CURSOR_META_SIZE(w, h) (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (w) * (h) * 4)
#define MAX_DEQUEUE 64

// Per-buffer state, in pw_buffer.user_data.
struct tpw_buf {
	bool bad;        // unusable (mmap failed, or the file is smaller than the buffer claims)
	void *map;       // our own mapping of a DMA-BUF (PipeWire maps MemFd itself), or NULL
	size_t map_len;
	const uint8_t *data; // readable start of datas[0] when map != NULL
};

struct tpw_stream {
	// Used by the PipeWire thread only (and by open/free while that thread is not running).
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct pw_proxy *link; // the link we asked link-factory for, if any
	struct spa_hook link_listener;
	uint32_t target;       // the node we consume
	uint32_t own_node;     // our stream's node, SPA_ID_INVALID until known
	bool link_factory;     // the registry shows a link-factory
	int sync_seq;
	uint32_t max_dim;
	uint64_t max_bytes;
	uint32_t format, width, height; // negotiated video format; format 0 when none is usable
	uint8_t *back;
	size_t back_cap;
	uint32_t n_buffers, n_bad; // current buffers and how many of them are unusable
	char bad_why[128];
	bool cursor_known, cursor_hidden;
	int cursor_x, cursor_y;

	// Guarded by mu; cond is broadcast on every change.
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool connected, synced, target_seen, closed, ended;
	bool failed;  // the format cannot be used: no frame can come until it changes
	bool all_bad; // every buffer is unusable: no frame can come until they change
	char ended_why[256]; // why ended
	char fail_why[256];  // why failed or all_bad
	uint8_t *front;
	size_t front_cap;
	uint32_t fw, fh;
	bool have_frame;
	int waiting; // threads waiting in tpw_frame
	bool cursor_ok;
	int cx, cy;
	uint64_t frames, rejected;
};


// ENDED marks the stream as gone for good (the first reason wins) and wakes the waiters.
#define ENDED(s, ...)                                                                                  \
	do {                                                                                           \
		pthread_mutex_lock(&(s)->mu);                                                          \
		if (!(s)->ended) {                                                                     \
			(s)->ended = true;                                                             \
			snprintf((s)->ended_why, sizeof((s)->ended_why), __VA_ARGS__);                 \
		}                                                                                      \
		pthread_cond_broadcast(&(s)->cond);                                                    \
		pthread_mutex_unlock(&(s)->mu);                                                        \
	} while (0)

static void set_failed(struct tpw_stream *s, bool failed, const char *why);

// on_link_info reports a link that cannot work (no format or buffers both ends accept): no frame can come.
static void on_link_info(void *data, const struct pw_link_info *info)
{
	struct tpw_stream *s = data;
	char why[256];

	if (info->state != PW_LINK_STATE_ERROR)
		return;
	snprintf(why, sizeof(why), "cannot link node %u to us: %s", s->target, info->error ? info->error : "error");
	set_failed(s, true, why);
}

static const struct pw_link_events link_events = {
	PW_VERSION_LINK_EVENTS,
	.info = on_link_info,
};

// try_link asks the daemon's link-factory to link the target node's output to our input, once both nodes
// are known. A session manager (WirePlumber) would link us by itself from node.target; without one nothing
// does. Where link-factory is not visible to us (a portal's restricted remote) the session manager must do
// it. When both try, one of the two links fails with EEXIST, which is harmless.
static void try_link(struct tpw_stream *s)
{
	char out[16], in[16];
	bool target_seen;

	pthread_mutex_lock(&s->mu);
	target_seen = s->target_seen;
	pthread_mutex_unlock(&s->mu);
	if (s->link != NULL || !s->link_factory || !target_seen || s->own_node == SPA_ID_INVALID)
		return;
	snprintf(out, sizeof(out), "%u", s->target);
	snprintf(in, sizeof(in), "%u", s->own_node);
	struct spa_dict_item items[] = {
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_OUTPUT_NODE, out),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_INPUT_NODE, in),
		SPA_DICT_ITEM_INIT(PW_KEY_OBJECT_LINGER, "false"),
	};
	struct spa_dict dict = SPA_DICT_INIT_ARRAY(items);
	s->link = pw_core_create_object(s->core, "link-factory", PW_TYPE_INTERFACE_Link, PW_VERSION_LINK,
					&dict, 0);
	if (s->link != NULL)
		pw_link_add_listener((struct pw_link *)s->link, &s->link_listener, &link_events, s);
}

static void on_core_done(void *data, uint32_t id, int seq)
{
	struct tpw_stream *s = data;
	if (id != PW_ID_CORE || seq != s->sync_seq)
		return;
	// The registry has listed every global that existed when we connected.
	pthread_mutex_lock(&s->mu);
	s->synced = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct tpw_stream *s = data;
	// Errors about other objects (a link that already exists, say) concern that object only.
	if (id == PW_ID_CORE)
		ENDED(s, "PipeWire connection: %s (%s)", message ? message : "error", spa_strerror(res));
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.done = on_core_done,
	.error = on_core_error,
};

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
		      const struct spa_dict *props)
{
	struct tpw_stream *s = data;
	if (id == s->target && spa_streq(type, PW_TYPE_INTERFACE_Node)) {
		pthread_mutex_lock(&s->mu);
		s->target_seen = true;
		pthread_mutex_unlock(&s->mu);
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Factory) && props != NULL &&
		   spa_streq(spa_dict_lookup(props, PW_KEY_FACTORY_NAME), "link-factory")) {
		s->link_factory = true;
	}
	try_link(s);
}

static void on_global_remove(void *data, uint32_t id)
{
	struct tpw_stream *s = data;
	if (id == s->target)
		ENDED(s, "node %u was removed", id);
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
	struct tpw_stream *s = data;
	switch (state) {
	case PW_STREAM_STATE_ERROR:
		ENDED(s, "stream error: %s", error ? error : "unknown");
		break;
	case PW_STREAM_STATE_UNCONNECTED:
		ENDED(s, "stream disconnected");
		break;
	case PW_STREAM_STATE_PAUSED:
	case PW_STREAM_STATE_STREAMING:
		s->own_node = api.pw_stream_get_node_id(s->stream);
		pthread_mutex_lock(&s->mu);
		s->connected = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mu);
		try_link(s);
		break;
	default:
		break;
	}
}

// Byte positions of B, G and R in a pixel of the formats we take (all 4 bytes per pixel); false otherwise.
static bool byte_order(uint32_t format, int *b, int *g, int *r)
{
	switch (format) {
	case SPA_VIDEO_FORMAT_BGRx:
	case SPA_VIDEO_FORMAT_BGRA:
		*b = 0, *g = 1, *r = 2;
		return true;
	case SPA_VIDEO_FORMAT_RGBx:
	case SPA_VIDEO_FORMAT_RGBA:
		*b = 2, *g = 1, *r = 0;
		return true;
	case SPA_VIDEO_FORMAT_xRGB:
	case SPA_VIDEO_FORMAT_ARGB:
		*b = 3, *g = 2, *r = 1;
		return true;
	case SPA_VIDEO_FORMAT_xBGR:
	case SPA_VIDEO_FORMAT_ABGR:
		*b = 1, *g = 2, *r = 3;
		return true;
	}
	return false;
}

static void set_failed(struct tpw_stream *s, bool failed, const char *why)
{
	pthread_mutex_lock(&s->mu);
	s->failed = failed;
	if (failed)
		snprintf(s->fail_why, sizeof(s->fail_why), "%s", why);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

// on_param_changed checks the negotiated format and asks for buffers and metadata to go with it.
static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct tpw_stream *s = data;
	uint32_t media_type, media_subtype;
	struct spa_video_info_raw raw;
	int b, g, r;
	char why[128];

	if (id != SPA_PARAM_Format)
		return;
	s->format = s->width = s->height = 0;
	if (param == NULL)
		return; // the format was cleared; a new one will follow
	spa_zero(raw);
	if (spa_format_parse(param, &media_type, &media_subtype) < 0 || media_type != SPA_MEDIA_TYPE_video ||
	    media_subtype != SPA_MEDIA_SUBTYPE_raw || spa_format_video_raw_parse(param, &raw) < 0 ||
	    !byte_order(raw.format, &b, &g, &r)) {
		set_failed(s, true, "the producer chose a video format we cannot read");
		return;
	}
	uint64_t w = raw.size.width, h = raw.size.height;
	if (w == 0 || h == 0 || w > s->max_dim || h > s->max_dim || 4 * w * h > s->max_bytes) {
		snprintf(why, sizeof(why), "frame size %ux%u outside the limits", raw.size.width,
			 raw.size.height);
		set_failed(s, true, why);
		return;
	}
	s->format = raw.format;
	s->width = w;
	s->height = h;
	set_failed(s, false, NULL);

	uint8_t buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[3];
	params[0] = spa_pod_builder_add_object(&pb, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(8, 1, 32),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
		// shared memory first; DMA-BUF is mapped by on_add_buffer where the producer sends it
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(
			(1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr) | (1 << SPA_DATA_DmaBuf)));
	params[1] = spa_pod_builder_add_object(&pb, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	params[2] = spa_pod_builder_add_object(&pb, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_CHOICE_RANGE_Int(CURSOR_META_SIZE(64, 64),
			sizeof(struct spa_meta_cursor), CURSOR_META_SIZE(1024, 1024)));
	api.pw_stream_update_params(s->stream, params, 3);
}

static void on_add_buffer(void *data, struct pw_buffer *pb)
{
	struct tpw_stream *s = data;
	struct tpw_buf *tb = calloc(1, sizeof(*tb));
	struct spa_data *d;
	struct stat st;

	if (tb == NULL)
		return; // process treats a buffer without user_data as unusable
	pb->user_data = tb;
	s->n_buffers++;
	if (pb->buffer->n_datas < 1)
		goto bad;
	d = &pb->buffer->datas[0];
	if (d->type != SPA_DATA_MemFd && d->type != SPA_DATA_DmaBuf)
		return;
	// Reading past the end of the file behind a mapping raises SIGBUS: the file must hold the buffer.
	if (d->fd < 0 || fstat(d->fd, &st) < 0 || (uint64_t)st.st_size < (uint64_t)d->mapoffset + d->maxsize) {
		snprintf(s->bad_why, sizeof(s->bad_why), "buffer file smaller than its %u bytes", d->maxsize);
		goto bad;
	}
	if (d->type == SPA_DATA_DmaBuf && d->data == NULL) {
		// A linear DMA-BUF can be read through mmap; a tiled one, or one of a driver that refuses, cannot.
		size_t len = (size_t)d->mapoffset + d->maxsize;
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, d->fd, 0);
		if (m == MAP_FAILED) {
			snprintf(s->bad_why, sizeof(s->bad_why), "cannot map DMA-BUF: %s", strerror(errno));
			goto bad;
		}
		tb->map = m;
		tb->map_len = len;
		tb->data = (const uint8_t *)m + d->mapoffset;
	}
	return;
bad:
	tb->bad = true;
	s->n_bad++;
}

static void on_remove_buffer(void *data, struct pw_buffer *pb)
{
	struct tpw_stream *s = data;
	struct tpw_buf *tb = pb->user_data;

	if (tb == NULL)
		return;
	s->n_buffers--;
	if (tb->bad)
		s->n_bad--;
	if (tb->map != NULL)
		munmap(tb->map, tb->map_len);
	free(tb);
	pb->user_data = NULL;
}

enum { BUF_EMPTY, BUF_VIDEO, BUF_BAD };

// classify tells whether pb holds a whole, readable frame of the negotiated format (and where), holds no
// picture (a cursor-only update), or is unusable. It never trusts a size it has not checked.
static int classify(struct tpw_stream *s, struct pw_buffer *pb, const uint8_t **src, uint64_t *stride)
{
	struct spa_buffer *buf = pb->buffer;
	struct tpw_buf *tb = pb->user_data;
	struct spa_meta_header *h;
	struct spa_data *d;
	const uint8_t *base;

	if (buf->n_datas < 1)
		return BUF_BAD;
	d = &buf->datas[0];
	if (d->chunk->size == 0 || (d->chunk->flags & SPA_CHUNK_FLAG_EMPTY))
		return BUF_EMPTY;
	if (s->format == 0 || tb == NULL || tb->bad || (d->chunk->flags & SPA_CHUNK_FLAG_CORRUPTED))
		return BUF_BAD;
	h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h));
	if (h != NULL && (h->flags & SPA_META_HEADER_FLAG_CORRUPTED))
		return BUF_BAD;
	base = tb->map != NULL ? tb->data : d->data;
	if (base == NULL)
		return BUF_BAD;
	uint64_t row = 4 * (uint64_t)s->width;
	int64_t st = d->chunk->stride == 0 ? (int64_t)row : d->chunk->stride;
	if (st < (int64_t)row)
		return BUF_BAD;
	uint64_t need = (uint64_t)st * (s->height - 1) + row;
	if (d->chunk->size < need || (uint64_t)d->chunk->offset + need > d->maxsize)
		return BUF_BAD;
	*src = base + d->chunk->offset;
	*stride = st;
	return BUF_VIDEO;
}

// read_cursor takes the pointer position from pb's SPA_META_Cursor, when it carries new cursor data (id != 0).
static void read_cursor(struct tpw_stream *s, struct pw_buffer *pb)
{
	struct spa_meta *m = spa_buffer_find_meta(pb->buffer, SPA_META_Cursor);
	struct spa_meta_cursor *c;

	if (m == NULL || m->data == NULL || m->size < sizeof(*c))
		return;
	c = m->data;
	if (c->id == 0)
		return;
	s->cursor_known = true;
	s->cursor_x = c->position.x;
	s->cursor_y = c->position.y;
	// A bitmap comes only when the sprite changes; an empty one means the pointer is hidden.
	if (c->bitmap_offset >= sizeof(*c) && (uint64_t)c->bitmap_offset + sizeof(struct spa_meta_bitmap) <= m->size) {
		struct spa_meta_bitmap *b = SPA_PTROFF(c, c->bitmap_offset, struct spa_meta_bitmap);
		s->cursor_hidden = b->size.width == 0 || b->size.height == 0;
	}
}

// convert writes w×h pixels of the negotiated format at src (rows stride bytes apart) into dst as BGRA with
// A=255, rows 4*w bytes apart.
static void convert(const struct tpw_stream *s, uint8_t *dst, const uint8_t *src, uint64_t stride)
{
	int bi, gi, ri;
	uint32_t w = s->width, h = s->height;

	byte_order(s->format, &bi, &gi, &ri);
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *sp = src + stride * y;
		uint8_t *dp = dst + (size_t)4 * w * y;
		if (bi == 0 && gi == 1 && ri == 2) {
			memcpy(dp, sp, (size_t)4 * w);
			for (uint32_t x = 0; x < w; x++)
				dp[4 * x + 3] = 255;
			continue;
		}
		for (uint32_t x = 0; x < w; x++, sp += 4, dp += 4) {
			dp[0] = sp[bi];
			dp[1] = sp[gi];
			dp[2] = sp[ri];
			dp[3] = 255;
		}
	}
}

static void dmabuf_sync(struct pw_buffer *pb, uint64_t flags)
{
	struct tpw_buf *tb = pb->user_data;
	struct dma_buf_sync sync = {.flags = flags | DMA_BUF_SYNC_READ};
	if (tb != NULL && tb->map != NULL)
		ioctl(pb->buffer->datas[0].fd, DMA_BUF_IOCTL_SYNC, &sync); // best effort: coherency only
}

// on_process takes every buffer that arrived, keeps the newest picture and the cursor updates, and gives
// the buffers back at once.
static void on_process(void *data)
{
	struct tpw_stream *s = data;
	struct pw_buffer *bufs[MAX_DEQUEUE], *pb;
	const uint8_t *src = NULL, *vsrc = NULL;
	uint64_t stride = 0, vstride = 0;
	uint64_t rejected = 0;
	int n = 0, video = -1;
	bool converted = false;

	while (n < MAX_DEQUEUE && (pb = api.pw_stream_dequeue_buffer(s->stream)) != NULL)
		bufs[n++] = pb;
	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		read_cursor(s, bufs[i]);
		switch (classify(s, bufs[i], &src, &stride)) {
		case BUF_VIDEO:
			video = i, vsrc = src, vstride = stride;
			break;
		case BUF_BAD:
			rejected++;
			break;
		}
	}
	if (video >= 0) {
		size_t need = (size_t)4 * s->width * s->height;
		if (s->back_cap < need) {
			uint8_t *nb = realloc(s->back, need);
			if (nb != NULL) {
				s->back = nb;
				s->back_cap = need;
			}
		}
		if (s->back_cap >= need) {
			dmabuf_sync(bufs[video], DMA_BUF_SYNC_START);
			convert(s, s->back, vsrc, vstride);
			dmabuf_sync(bufs[video], DMA_BUF_SYNC_END);
			converted = true;
		} else {
			rejected++;
		}
	}
	for (int i = 0; i < n; i++)
		api.pw_stream_queue_buffer(s->stream, bufs[i]);

	pthread_mutex_lock(&s->mu);
	if (converted) {
		uint8_t *t = s->front;
		size_t tc = s->front_cap;
		s->front = s->back, s->front_cap = s->back_cap;
		s->back = t, s->back_cap = tc;
		s->fw = s->width, s->fh = s->height;
		s->have_frame = true;
		s->frames++;
	}
	s->rejected += rejected;
	s->all_bad = !converted && s->n_buffers > 0 && s->n_bad == s->n_buffers;
	if (s->all_bad)
		snprintf(s->fail_why, sizeof(s->fail_why), "none of the %u buffers can be read: %s",
			 s->n_buffers, s->bad_why);
	s->cursor_ok = s->cursor_known && !s->cursor_hidden;
	s->cx = s->cursor_x, s->cy = s->cursor_y;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
	.process = on_process,
};

static struct timespec deadline_after(int64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (ns < 0)
		ns = 0;
	t.tv_sec += ns / 1000000000;
	t.tv_nsec += ns % 1000000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

void tpw_free(struct tpw_stream *s)
{
	if (s->loop != NULL)
		api.pw_thread_loop_stop(s->loop); // joins the thread: no callback runs after this
	if (s->stream != NULL)
		api.pw_stream_destroy(s->stream); // calls on_remove_buffer for every buffer
	if (s->link != NULL) {
		spa_hook_remove(&s->link_listener);
		api.pw_proxy_destroy(s->link);
	}
	if (s->registry != NULL) {
		spa_hook_remove(&s->registry_listener);
		api.pw_proxy_destroy((struct pw_proxy *)s->registry);
	}
	if (s->core != NULL) {
		spa_hook_remove(&s->core_listener);
		api.pw_core_disconnect(s->core); // closes the fd
	}
	if (s->context != NULL)
		api.pw_context_destroy(s->context);
	if (s->loop != NULL)
		api.pw_thread_loop_destroy(s->loop);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s->front);
	free(s->back);
	free(s);
}

struct tpw_stream *tpw_open(int fd, uint32_t node, uint32_t max_dim, uint64_t max_bytes, int64_t timeout_ns,
			    int *unavailable, char *err, size_t errlen)
{
	struct tpw_stream *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int res;

	if (s == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->target = node;
	s->own_node = SPA_ID_INVALID;
	s->max_dim = max_dim;
	s->max_bytes = max_bytes;

	*unavailable = 0;
	if ((s->loop = api.pw_thread_loop_new("tandem-pipewire", NULL)) == NULL ||
	    (s->context = api.pw_context_new(api.pw_thread_loop_get_loop(s->loop), NULL, 0)) == NULL) {
		// Most likely client.conf or the modules it loads are missing (Debian ships them in
		// pipewire-bin and libpipewire-0.3-modules): the library alone cannot do anything.
		snprintf(err, errlen, "cannot create a PipeWire context: %s", strerror(errno));
		*unavailable = 1;
		close(fd);
		goto fail;
	}
	if ((res = api.pw_thread_loop_start(s->loop)) < 0) {
		snprintf(err, errlen, "cannot start the PipeWire thread: %s", spa_strerror(res));
		close(fd);
		goto fail;
	}

	api.pw_thread_loop_lock(s->loop);
	// On success the core owns fd; on failure pw_context_connect_fd has not closed it.
	if ((s->core = api.pw_context_connect_fd(s->context, fd, NULL, 0)) == NULL) {
		snprintf(err, errlen, "cannot connect to the PipeWire remote: %s", strerror(errno));
		api.pw_thread_loop_unlock(s->loop);
		close(fd);
		goto fail;
	}
	pw_core_add_listener(s->core, &s->core_listener, &core_events, s);
	s->registry = pw_core_get_registry(s->core, PW_VERSION_REGISTRY, 0);
	if (s->registry != NULL)
		pw_registry_add_listener(s->registry, &s->registry_listener, &registry_events, s);
	s->sync_seq = pw_core_sync(s->core, PW_ID_CORE, 0);

	s->stream = api.pw_stream_new(s->core, "tandem-capture",
		api.pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
				      PW_KEY_MEDIA_ROLE, "Screen", NULL));
	if (s->stream == NULL) {
		snprintf(err, errlen, "cannot create a PipeWire stream: %s", strerror(errno));
		api.pw_thread_loop_unlock(s->loop);
		goto fail;
	}
	api.pw_stream_add_listener(s->stream, &s->stream_listener, &stream_events, s);

	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];
	// Any size and framerate; the formats convert knows. No modifier is offered, so producers send
	// shared memory rather than GPU buffers.
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_CHOICE_ENUM_Id(9, SPA_VIDEO_FORMAT_BGRx,
			SPA_VIDEO_FORMAT_BGRx, SPA_VIDEO_FORMAT_BGRA, SPA_VIDEO_FORMAT_RGBx, SPA_VIDEO_FORMAT_RGBA,
			SPA_VIDEO_FORMAT_xRGB, SPA_VIDEO_FORMAT_xBGR, SPA_VIDEO_FORMAT_ARGB, SPA_VIDEO_FORMAT_ABGR),
		SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(1920, 1080),
			&SPA_RECTANGLE(1, 1), &SPA_RECTANGLE(max_dim, max_dim)));
	// The target id becomes node.target, which session managers match against node ids (target.object
	// would be matched against object.serial, which the portal does not hand out).
	res = api.pw_stream_connect(s->stream, PW_DIRECTION_INPUT, node,
		PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_DONT_RECONNECT, params, 1);
	api.pw_thread_loop_unlock(s->loop);
	if (res < 0) {
		snprintf(err, errlen, "cannot connect the stream: %s", spa_strerror(res));
		goto fail;
	}

	// Wait until the daemon has made our node and the registry has told whether the target exists.
	struct timespec deadline = deadline_after(timeout_ns);
	bool timed_out = false;
	pthread_mutex_lock(&s->mu);
	while (!(s->connected && s->synced) && !s->ended && !timed_out)
		timed_out = pthread_cond_timedwait(&s->cond, &s->mu, &deadline) == ETIMEDOUT;
	if (s->ended)
		snprintf(err, errlen, "%s", s->ended_why);
	else if (!s->connected || !s->synced)
		snprintf(err, errlen, "timed out connecting to PipeWire");
	else if (!s->target_seen)
		snprintf(err, errlen, "PipeWire has no node %u", node);
	bool ok = !s->ended && s->connected && s->synced && s->target_seen;
	pthread_mutex_unlock(&s->mu);
	if (!ok)
		goto fail;
	return s;

fail:
	tpw_free(s);
	return NULL;
}

int tpw_frame(struct tpw_stream *s, void *dst, size_t cap, int64_t timeout_ns, int *w, int *h, char *err,
	      size_t errlen)
{
	struct timespec deadline = deadline_after(timeout_ns);
	bool timed_out = false;
	int res;

	pthread_mutex_lock(&s->mu);
	s->waiting++;
	while (!s->closed && !s->ended && !s->failed && !s->all_bad && !s->have_frame && !timed_out)
		timed_out = pthread_cond_timedwait(&s->cond, &s->mu, &deadline) == ETIMEDOUT;
	s->waiting--;
	if (s->closed) {
		res = TPW_CLOSED;
	} else if (s->ended) {
		snprintf(err, errlen, "%s", s->ended_why);
		res = TPW_ENDED;
	} else if (s->failed || s->all_bad) {
		snprintf(err, errlen, "%s", s->fail_why);
		res = TPW_FAILED;
	} else if (!s->have_frame) {
		res = TPW_TIMEOUT;
	} else {
		size_t n = (size_t)4 * s->fw * s->fh;
		*w = s->fw;
		*h = s->fh;
		res = cap < n ? TPW_NEED : TPW_OK;
		if (res == TPW_OK)
			memcpy(dst, s->front, n);
	}
	pthread_mutex_unlock(&s->mu);
	return res;
}

int tpw_cursor(struct tpw_stream *s, int *x, int *y)
{
	int ok;
	pthread_mutex_lock(&s->mu);
	*x = s->cx;
	*y = s->cy;
	ok = s->cursor_ok && !s->closed;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

void tpw_stats(struct tpw_stream *s, uint64_t *frames, uint64_t *rejected, int *waiting)
{
	pthread_mutex_lock(&s->mu);
	*frames = s->frames;
	*rejected = s->rejected;
	*waiting = s->waiting;
	pthread_mutex_unlock(&s->mu);
}

void tpw_shutdown(struct tpw_stream *s)
{
	pthread_mutex_lock(&s->mu);
	s->closed = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}
