/* Debian's libsquashfuse.a is built with every squashfs decompressor, so linking it statically pulls in the
 * LZO library, which is GPL-2.0-or-later. Tandem's AppImages are compressed with zstd and never need LZO, so the
 * runtime is linked with this stand-in instead of liblzo2: an LZO-compressed image fails to read, and no GPL
 * code ends up in the runtime. */
#include <stddef.h>

int lzo1x_decompress_safe(const unsigned char *src, size_t src_len, unsigned char *dst, size_t *dst_len,
                          void *wrkmem) {
    (void)src;
    (void)src_len;
    (void)dst;
    (void)dst_len;
    (void)wrkmem;
    return -1; /* LZO_E_ERROR */
}
