//go:build linux && cgo && !nopipewire

// A real PipeWire client that plays a screen-cast source, as a compositor does for the portal: a driver
// video stream (PW_DIRECTION_OUTPUT) with its own thread loop, context and core, offering one raw format at
// one size, with SPA_META_Header and SPA_META_Cursor. A timer sends the current picture every few
// milliseconds while the stream is streaming, so a test's picture arrives however late the consumer links.
// Unlike package pipewire this links libpipewire: it is only for tests, which run where it is installed.
//
// Go calls the pwt_* functions from its own threads; they take the thread loop lock, which PipeWire holds
// around every callback below, so all fields are guarded by it.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>
#include <pipewire/pipewire.h>

#include "producer.h"

#define CURSOR_SIZE 4 // the cursor bitmap we send is CURSOR_SIZE² ARGB
#define CURSOR_META_SIZE(w, h) (sizeof(struct spa_meta_cursor) + sizeof(struct spa_meta_bitmap) + (w) * (h) * 4)
#define INTERVAL_NS (10 * SPA_NSEC_PER_MSEC)

struct pwt_producer {
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct spa_source *timer;
	uint32_t format;
	int pad;
	bool dmabuf;
	bool short_files; // dmabuf files half the size the buffers claim
	uint32_t w, h;    // the size offered and of pix
	uint8_t *pix;     // the picture, rows 4*w bytes, in format
	uint32_t nw, nh;  // the negotiated size, 0 before
	int cursor_x, cursor_y;
	int fault;
	uint64_t sent;
	uint32_t seq;
	int state;
	uint32_t node;
	char error[256];
};

uint32_t pwt_format_id(const char *name)
{
	static const struct {
		const char *name;
		uint32_t id;
	} formats[] = {
		{"BGRx", SPA_VIDEO_FORMAT_BGRx}, {"BGRA", SPA_VIDEO_FORMAT_BGRA}, {"RGBx", SPA_VIDEO_FORMAT_RGBx},
		{"RGBA", SPA_VIDEO_FORMAT_RGBA}, {"xRGB", SPA_VIDEO_FORMAT_xRGB}, {"xBGR", SPA_VIDEO_FORMAT_xBGR},
		{"ARGB", SPA_VIDEO_FORMAT_ARGB}, {"ABGR", SPA_VIDEO_FORMAT_ABGR}, {"NV12", SPA_VIDEO_FORMAT_NV12},
	};
	for (size_t i = 0; i < SPA_N_ELEMENTS(formats); i++)
		if (spa_streq(name, formats[i].name))
			return formats[i].id;
	return 0;
}

static uint32_t stride_of(struct pwt_producer *p)
{
	return 4 * p->nw + p->pad;
}

static const struct spa_pod *enum_format(struct pwt_producer *p, struct spa_pod_builder *b)
{
	return spa_pod_builder_add_object(b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
		SPA_FORMAT_VIDEO_format, SPA_POD_Id(p->format),
		SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE(p->w, p->h)),
		SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&SPA_FRACTION(0, 1)));
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct pwt_producer *p = data;
	if (id == PW_ID_CORE) {
		snprintf(p->error, sizeof(p->error), "connection: %s (%s)", message, spa_strerror(res));
		p->state = PWT_ERROR;
	}
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
	struct pwt_producer *p = data;
	struct pw_loop *loop = pw_thread_loop_get_loop(p->loop);
	struct timespec first = {0, 1}, every = {0, INTERVAL_NS};

	switch (state) {
	case PW_STREAM_STATE_ERROR:
	case PW_STREAM_STATE_UNCONNECTED:
		snprintf(p->error, sizeof(p->error), "stream %s: %s", pw_stream_state_as_string(state),
			 error ? error : "");
		p->state = PWT_ERROR;
		break;
	case PW_STREAM_STATE_PAUSED:
		p->node = pw_stream_get_node_id(p->stream);
		p->state = PWT_READY;
		pw_loop_update_timer(loop, p->timer, NULL, NULL, false);
		break;
	case PW_STREAM_STATE_STREAMING:
		p->node = pw_stream_get_node_id(p->stream);
		p->state = PWT_READY;
		pw_loop_update_timer(loop, p->timer, &first, &every, false);
		break;
	default:
		break;
	}
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct pwt_producer *p = data;
	struct spa_video_info_raw raw;
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[3];

	if (id != SPA_PARAM_Format)
		return;
	p->nw = p->nh = 0;
	if (param == NULL || spa_format_video_raw_parse(param, &raw) < 0)
		return;
	p->nw = raw.size.width;
	p->nh = raw.size.height;
	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
		SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(4, 2, 16),
		SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
		SPA_PARAM_BUFFERS_size, SPA_POD_Int(stride_of(p) * p->nh),
		SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride_of(p)),
		SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(1 << (p->dmabuf ? SPA_DATA_DmaBuf : SPA_DATA_MemFd)));
	params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
		SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
	params[2] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
		SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Cursor),
		SPA_PARAM_META_size, SPA_POD_Int(CURSOR_META_SIZE(64, 64)));
	pw_stream_update_params(p->stream, params, 3);
}

// With dmabuf, buffers are ours: memfds that claim to be DMA-BUFs, so that the consumer maps them itself.
static void on_add_buffer(void *data, struct pw_buffer *pb)
{
	struct pwt_producer *p = data;
	struct spa_data *d = &pb->buffer->datas[0];

	if (!p->dmabuf)
		return;
	if ((d->type & (1 << SPA_DATA_DmaBuf)) == 0)
		return;
	d->type = SPA_DATA_DmaBuf;
	d->flags = SPA_DATA_FLAG_READWRITE;
	d->mapoffset = 0;
	d->maxsize = stride_of(p) * p->nh;
	d->fd = memfd_create("pwtest-dmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->fd < 0)
		return;
	if (p->short_files) {
		// A lie about the size: reading the claimed size would raise SIGBUS. Nothing is written.
		if (ftruncate(d->fd, d->maxsize / 2) < 0)
			return;
		d->data = NULL;
		return;
	}
	if (ftruncate(d->fd, d->maxsize) < 0 ||
	    (d->data = mmap(NULL, d->maxsize, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0)) == MAP_FAILED) {
		d->data = NULL;
		return;
	}
	fcntl(d->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
}

static void on_remove_buffer(void *data, struct pw_buffer *pb)
{
	struct pwt_producer *p = data;
	struct spa_data *d = &pb->buffer->datas[0];

	if (!p->dmabuf)
		return;
	if (d->data != NULL)
		munmap(d->data, d->maxsize);
	if (d->fd >= 0)
		close(d->fd);
	d->data = NULL;
	d->fd = -1;
}

static void fill_cursor(struct pwt_producer *p, struct spa_buffer *buf)
{
	struct spa_meta *m = spa_buffer_find_meta(buf, SPA_META_Cursor);
	struct spa_meta_cursor *c;
	struct spa_meta_bitmap *bm;
	bool visible = p->cursor_x >= 0;

	if (m == NULL || m->size < CURSOR_META_SIZE(CURSOR_SIZE, CURSOR_SIZE))
		return;
	c = m->data;
	c->id = 1;
	c->flags = 0;
	c->position.x = visible ? p->cursor_x : 0;
	c->position.y = visible ? p->cursor_y : 0;
	c->hotspot.x = c->hotspot.y = 0;
	c->bitmap_offset = sizeof(*c);
	bm = SPA_PTROFF(c, c->bitmap_offset, struct spa_meta_bitmap);
	bm->format = SPA_VIDEO_FORMAT_ARGB;
	bm->size.width = bm->size.height = visible ? CURSOR_SIZE : 0; // an empty sprite hides the pointer
	bm->stride = CURSOR_SIZE * 4;
	bm->offset = sizeof(*bm);
	memset(SPA_PTROFF(bm, bm->offset, void), 0xff, CURSOR_SIZE * CURSOR_SIZE * 4);
}

static void on_process(void *data)
{
	struct pwt_producer *p = data;
	struct pw_buffer *pb;
	struct spa_buffer *buf;
	struct spa_data *d;
	struct spa_meta_header *h;
	uint32_t stride = stride_of(p);

	// Send only once the negotiated size is that of the picture (not in the middle of a resize).
	if (p->nw == 0 || p->nw != p->w || p->nh != p->h)
		return;
	if ((pb = pw_stream_dequeue_buffer(p->stream)) == NULL)
		return;
	buf = pb->buffer;
	d = &buf->datas[0];
	if (p->short_files) { // a whole frame, as far as the chunk says
		d->chunk->offset = 0;
		d->chunk->size = stride * p->nh;
		d->chunk->stride = stride;
		d->chunk->flags = SPA_CHUNK_FLAG_NONE;
		pw_stream_queue_buffer(p->stream, pb);
		p->sent++;
		return;
	}
	if (d->data == NULL || d->maxsize < stride * p->nh) {
		d->chunk->size = 0;
		pw_stream_queue_buffer(p->stream, pb);
		return;
	}
	for (uint32_t y = 0; y < p->nh; y++) {
		uint8_t *row = SPA_PTROFF(d->data, y * stride, uint8_t);
		memcpy(row, p->pix + (size_t)y * 4 * p->nw, 4 * p->nw);
		memset(row + 4 * p->nw, 0xee, p->pad); // padding the consumer must skip
	}
	d->chunk->offset = 0;
	d->chunk->size = stride * p->nh;
	d->chunk->stride = stride;
	d->chunk->flags = SPA_CHUNK_FLAG_NONE;
	switch (p->fault) {
	case PWT_FAULT_CORRUPTED:
		d->chunk->flags = SPA_CHUNK_FLAG_CORRUPTED;
		break;
	case PWT_FAULT_SHORT:
		d->chunk->size = stride * (p->nh - 1) + 4 * p->nw - 1; // the last pixel is cut off
		break;
	case PWT_FAULT_PAST_END:
		d->chunk->offset = d->maxsize - 4;
		break;
	case PWT_FAULT_BIG_STRIDE:
		d->chunk->stride = d->maxsize;
		break;
	}
	if ((h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h))) != NULL) {
		h->pts = -1;
		h->flags = 0;
		h->seq = p->seq++;
		h->dts_offset = 0;
	}
	fill_cursor(p, buf);
	pw_stream_queue_buffer(p->stream, pb);
	p->sent++;
}

static void on_timer(void *data, uint64_t expirations)
{
	struct pwt_producer *p = data;
	pw_stream_trigger_process(p->stream);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.add_buffer = on_add_buffer,
	.remove_buffer = on_remove_buffer,
	.process = on_process,
};

void pwt_producer_free(struct pwt_producer *p)
{
	if (p->loop != NULL)
		pw_thread_loop_stop(p->loop);
	if (p->stream != NULL)
		pw_stream_destroy(p->stream);
	if (p->timer != NULL)
		pw_loop_destroy_source(pw_thread_loop_get_loop(p->loop), p->timer);
	if (p->core != NULL) {
		spa_hook_remove(&p->core_listener);
		pw_core_disconnect(p->core);
	}
	if (p->context != NULL)
		pw_context_destroy(p->context);
	if (p->loop != NULL)
		pw_thread_loop_destroy(p->loop);
	free(p->pix);
	free(p);
}

struct pwt_producer *pwt_producer_new(int fd, uint32_t format, int w, int h, int pad, bool dmabuf,
				      bool short_files, char *err, size_t errlen)
{
	struct pwt_producer *p = calloc(1, sizeof(*p));
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];
	int res;

	pw_init(NULL, NULL);
	if (p == NULL || (p->pix = calloc((size_t)w * h, 4)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		if (p != NULL)
			free(p);
		return NULL;
	}
	p->format = format;
	p->w = w;
	p->h = h;
	p->pad = pad;
	p->dmabuf = dmabuf;
	p->short_files = dmabuf && short_files;
	p->cursor_x = p->cursor_y = -1;
	if ((p->loop = pw_thread_loop_new("pwtest-producer", NULL)) == NULL ||
	    (p->context = pw_context_new(pw_thread_loop_get_loop(p->loop), NULL, 0)) == NULL ||
	    pw_thread_loop_start(p->loop) < 0) {
		snprintf(err, errlen, "cannot start a PipeWire context: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	pw_thread_loop_lock(p->loop);
	if ((p->core = pw_context_connect_fd(p->context, fd, NULL, 0)) == NULL) {
		snprintf(err, errlen, "cannot connect: %s", strerror(errno));
		close(fd);
		pw_thread_loop_unlock(p->loop);
		goto fail;
	}
	pw_core_add_listener(p->core, &p->core_listener, &core_events, p);
	p->timer = pw_loop_add_timer(pw_thread_loop_get_loop(p->loop), on_timer, p);
	p->stream = pw_stream_new(p->core, "pwtest-producer",
		pw_properties_new(PW_KEY_MEDIA_CLASS, "Video/Source", PW_KEY_NODE_NAME, "pwtest-producer", NULL));
	if (p->timer == NULL || p->stream == NULL) {
		snprintf(err, errlen, "cannot make the stream: %s", strerror(errno));
		pw_thread_loop_unlock(p->loop);
		goto fail;
	}
	pw_stream_add_listener(p->stream, &p->stream_listener, &stream_events, p);
	params[0] = enum_format(p, &b);
	res = pw_stream_connect(p->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
		PW_STREAM_FLAG_DRIVER | (dmabuf ? PW_STREAM_FLAG_ALLOC_BUFFERS : PW_STREAM_FLAG_MAP_BUFFERS), params, 1);
	pw_thread_loop_unlock(p->loop);
	if (res < 0) {
		snprintf(err, errlen, "cannot connect the stream: %s", spa_strerror(res));
		goto fail;
	}
	return p;
fail:
	pwt_producer_free(p);
	return NULL;
}

int pwt_producer_state(struct pwt_producer *p, uint32_t *node, char *err, size_t errlen)
{
	int state;
	pw_thread_loop_lock(p->loop);
	state = p->state;
	*node = p->node;
	snprintf(err, errlen, "%s", p->error);
	pw_thread_loop_unlock(p->loop);
	return state;
}

int pwt_producer_push(struct pwt_producer *p, const void *pix, size_t len, int x, int y, int fault)
{
	int res = -1;
	pw_thread_loop_lock(p->loop);
	if (len == (size_t)4 * p->w * p->h) {
		memcpy(p->pix, pix, len);
		p->cursor_x = x;
		p->cursor_y = y;
		p->fault = fault;
		p->sent = 0;
		res = 0;
	}
	pw_thread_loop_unlock(p->loop);
	return res;
}

int pwt_producer_resize(struct pwt_producer *p, int w, int h)
{
	uint8_t buf[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	const struct spa_pod *params[1];
	uint8_t *pix = calloc((size_t)w * h, 4);
	int res;

	if (pix == NULL)
		return -ENOMEM;
	pw_thread_loop_lock(p->loop);
	free(p->pix);
	p->pix = pix;
	p->w = w;
	p->h = h;
	p->fault = PWT_FAULT_NONE;
	p->sent = 0;
	params[0] = enum_format(p, &b);
	res = pw_stream_update_params(p->stream, params, 1);
	pw_thread_loop_unlock(p->loop);
	return res;
}

uint64_t pwt_producer_sent(struct pwt_producer *p)
{
	uint64_t n;
	pw_thread_loop_lock(p->loop);
	n = p->sent;
	pw_thread_loop_unlock(p->loop);
	return n;
}
