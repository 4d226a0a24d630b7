// The C side of package pipewire: a PipeWire video consumer whose libpipewire-0.3 functions are resolved with
// dlsym at run time (see tpw.c). Go calls only the functions declared here.

#ifndef TANDEM_TPW_H
#define TANDEM_TPW_H

#include <stddef.h>
#include <stdint.h>

// Results of tpw_frame.
enum {
	TPW_OK = 0,      // the newest frame was copied into dst
	TPW_NEED = 1,    // dst is too small: *w × *h needs 4*w*h bytes
	TPW_TIMEOUT = 2, // no frame came within the timeout
	TPW_CLOSED = 3,  // tpw_shutdown was called
	TPW_ENDED = 4,   // the stream or its node went away (err says why)
	TPW_FAILED = 5,  // no usable frame can come now (err says why)
};

struct tpw_stream;

// tpw_load dlopens soname and resolves every pw_* function this package uses, then calls pw_init. It returns
// 0, or -1 with a message in err. A failed load leaves an earlier successful one in place.
int tpw_load(const char *soname, char *err, size_t errlen);

// tpw_open connects to the PipeWire remote on fd (taking ownership of it in all cases) and starts consuming
// node's video. max_dim and max_bytes bound the frame size (checked before anything is allocated). It waits
// up to timeout_ns for the stream to be connected. On failure it returns NULL with a message in err and has
// released everything; *unavailable is 1 when libpipewire cannot work here at all (no configuration or
// modules).
struct tpw_stream *tpw_open(int fd, uint32_t node, uint32_t max_dim, uint64_t max_bytes, int64_t timeout_ns,
			    int *unavailable, char *err, size_t errlen);

// tpw_frame waits up to timeout_ns for the first frame, then copies the newest one (BGRA, stride 4*w) into
// dst when cap is large enough. *w and *h are set for TPW_OK and TPW_NEED.
int tpw_frame(struct tpw_stream *s, void *dst, size_t cap, int64_t timeout_ns, int *w, int *h, char *err,
	      size_t errlen);

// tpw_cursor returns the last known pointer position; it returns 0 when unknown or hidden.
int tpw_cursor(struct tpw_stream *s, int *x, int *y);

// tpw_stats reports how many frames were taken, how many buffers were rejected, and how many threads wait in
// tpw_frame (for tests).
void tpw_stats(struct tpw_stream *s, uint64_t *frames, uint64_t *rejected, int *waiting);

// tpw_shutdown wakes every waiter in tpw_frame and makes later calls return TPW_CLOSED. It frees nothing and
// may run while another thread is inside tpw_frame.
void tpw_shutdown(struct tpw_stream *s);

// tpw_free stops the PipeWire thread and releases everything. No other call may be running or follow.
void tpw_free(struct tpw_stream *s);

#endif
