/*
 * msg_int: what msg.c shares with msg_charset.c.  Internal to the msg
 * module; nothing outside daemon/msg*.c includes this.
 */
#ifndef HP_MSG_INT_H
#define HP_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum msg_clean_mode {
	MSG_CLEAN_HEADER,	/* unfold: no line ends, TAB → space, no controls */
	MSG_CLEAN_TEXT,		/* LF line ends, TAB kept, no other controls */
};

/* True when s[0..n) is well-formed UTF-8 (controls allowed). */
bool msg_utf8_ok(const char *s, size_t n);

/* Append s[0..n), read as Windows-1252, to out as UTF-8. */
void msg_from_cp1252(struct buf *out, const char *s, size_t n);

/* Append s[0..n) to out as clean UTF-8, stopping on a character boundary
 * when out is full.  Malformed bytes become U+FFFD; C1 controls become
 * the Windows-1252 character they stand for (they come from ISO-8859-1
 * labels on Windows-1252 text, RFC 2047 words included); a BOM is
 * dropped. */
void msg_clean(struct buf *out, const char *s, size_t n,
    enum msg_clean_mode mode);

/* Append in[0..n), in charset cs (NULL = undeclared), to out as UTF-8
 * that may still hold controls and U+FFFD (pass it through msg_clean).
 * Undeclared, US-ASCII and unknown charsets: UTF-8 when the bytes are
 * valid UTF-8, else Windows-1252. */
void msg_to_utf8(struct buf *out, const char *in, size_t n, const char *cs);

#endif
