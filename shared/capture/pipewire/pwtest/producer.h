// A PipeWire video source for tests (see producer.c).

#ifndef TANDEM_PWTEST_PRODUCER_H
#define TANDEM_PWTEST_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Faults a producer can put into the buffers it sends, to play a broken producer.
enum {
	PWT_FAULT_NONE = 0,
	PWT_FAULT_CORRUPTED = 1,  // SPA_CHUNK_FLAG_CORRUPTED set
	PWT_FAULT_SHORT = 2,      // chunk size one byte short of the frame's last pixel
	PWT_FAULT_PAST_END = 3,   // chunk offset near the end of the buffer memory
	PWT_FAULT_BIG_STRIDE = 4, // chunk stride so large the rows would run past the buffer
};

// Producer states.
enum {
	PWT_CONNECTING = 0,
	PWT_READY = 1, // the node exists (paused or streaming)
	PWT_ERROR = 2,
};

struct pwt_producer;

// pwt_format_id returns the SPA_VIDEO_FORMAT_* of a name such as "BGRx", or 0.
uint32_t pwt_format_id(const char *name);

// pwt_producer_new connects a driver video source to the daemon on fd (taken over in all cases) that offers
// exactly format at w×h. Rows in its buffers are 4*w+pad bytes apart. dmabuf makes it allocate its buffers
// itself, as memfds labelled SPA_DATA_DmaBuf; short_files makes those files half the size the buffers claim.
// Returns NULL with a message in err.
struct pwt_producer *pwt_producer_new(int fd, uint32_t format, int w, int h, int pad, bool dmabuf,
				      bool short_files, char *err, size_t errlen);

// pwt_producer_state returns PWT_*; node is set once ready, err once in error.
int pwt_producer_state(struct pwt_producer *p, uint32_t *node, char *err, size_t errlen);

// pwt_producer_push replaces the picture the producer sends (len must be 4*w*h of the current size, pixels in
// the producer's format) and the cursor (hidden when x < 0). It returns -1 when len is wrong.
int pwt_producer_push(struct pwt_producer *p, const void *pix, size_t len, int x, int y, int fault);

// pwt_producer_resize renegotiates the format at w×h; the picture becomes black until the next push.
int pwt_producer_resize(struct pwt_producer *p, int w, int h);

// pwt_producer_sent returns how many buffers have been sent with the current picture.
uint64_t pwt_producer_sent(struct pwt_producer *p);

// pwt_producer_free disconnects and releases everything.
void pwt_producer_free(struct pwt_producer *p);

#endif
