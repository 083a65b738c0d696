/*
 * dsn_int: what dsn.c shares with dsn_text.c (the plain-text guesser and
 * VERP).  Internal to the dsn module; nothing outside daemon/dsn*.c
 * includes this.  Everything works on (pointer, length) spans of
 * untrusted bytes unless it says NUL-terminated.
 */
#ifndef HP_DSN_INT_H
#define HP_DSN_INT_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_FIELD_MAX 2048	/* one unfolded field or diagnostic, bytes */

static inline bool
dsn_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool
dsn_is_alnum(int c)
{
	return dsn_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
dsn_is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Lower-case the ASCII letters of s in place from p to the end. */
static inline void
dsn_lower_from(char *p)
{
	for (; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
}

/* Squeeze runs of blanks in clean text s into one space: folding and
 * dropped reply prefixes leave gaps nobody wants to read. */
static inline void
dsn_squeeze(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++)
		if (!dsn_is_blank(*r) || (w > s && w[-1] != ' '))
			*w++ = dsn_is_blank(*r) ? ' ' : *r;
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Append src[0, n) to dst (holding *dlen bytes of size) as clean text:
 * control characters become a space, bytes that are not UTF-8 '?'.
 * Stops before a character that would not fit; dst stays terminated. */
void dsn_text_copy(char *dst, size_t size, size_t *dlen, const char *src,
    size_t n);

/* Copy clean, NUL-terminated src into dst, cut at a character boundary. */
void dsn_utf8_copy(char *dst, size_t size, const char *src);

/* Case-insensitive search for needle in s[0, n): offset or -1. */
long dsn_span_find(const char *s, size_t n, const char *needle);

/* An enhanced status code (RFC 3463) whose class is in classes ("245")
 * exactly at s[i], standing alone: not inside a word, a version or an IP
 * address.  Writes "C.S.D" to out (16 bytes). */
bool dsn_code_at(const char *s, size_t n, size_t i, const char *classes,
    char *out);

/* Offset of the first dsn_code_at match in s[0, n), or -1. */
long dsn_code_find(const char *s, size_t n, const char *classes, char *out);

/* A basic reply code ("550 ", "421-", or at the end) at s[i]; out (16
 * bytes) gets its class as "5.0.0". */
bool dsn_code_basic_at(const char *s, size_t n, size_t i, char *out);

#endif
