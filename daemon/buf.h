/*
 * buf: a growable byte buffer with a hard maximum.  Appending past the
 * maximum fails (returns -1) and leaves the buffer unchanged, so code
 * that reads outside input can bound what it keeps.  The data is always
 * NUL-terminated (not counted in len) so it can be used as a C string.
 */
#ifndef HP_BUF_H
#define HP_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;	/* 0 = no limit beyond SIZE_MAX/2 */
};

/* Initialise an empty buffer that will hold at most max bytes. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (who frees them) and reset the buffer.
 * Never NULL: an empty buffer yields "". */
char *buf_release(struct buf *b, size_t *len);

#endif
