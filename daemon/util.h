/*
 * util: allocation that dies on out-of-memory, bounded string helpers,
 * UTF-8 decoding, whole-buffer reads and writes on descriptors and small
 * time helpers.  L0: libc only, no logging.  The I/O helpers only move
 * bytes; what a failure means is for the caller to say.
 *
 * Out of memory is the one condition where we exit from a helper: a mail
 * daemon that cannot allocate a few bytes cannot answer anyone sensibly,
 * and every caller checking for it would hide the real error paths.
 */
#ifndef HP_UTIL_H
#define HP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define HP_NELEM(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
/* xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh string owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* strlcpy semantics: always terminates, returns strlen(src). */
size_t hp_strlcpy(char *dst, const char *src, size_t size);
/* Trim ASCII white space at both ends, in place; returns s. */
char *hp_trim(char *s);
/* Case-insensitive ASCII comparison; NULL sorts first. */
int hp_strcasecmp_null(const char *a, const char *b);
/* True when both are NULL or equal. */
bool hp_streq_null(const char *a, const char *b);
/* Lower-case ASCII in place; returns s. */
char *hp_lower(char *s);
/* hp_utf8_decode's answer for malformed input: not a code point, so it
 * cannot be mistaken for a U+FFFD written in the text itself. */
#define HP_UTF8_BAD UINT32_MAX
/* Decode the UTF-8 character at s (n > 0 bytes left; never reads past
 * them): its code point, with *len its length.  Malformed input (a stray
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut
 * off by n) yields HP_UTF8_BAD with *len 1, so a caller that goes on
 * skips one byte.  Controls, NUL included, are code points like any. */
uint32_t hp_utf8_decode(const unsigned char *s, size_t n, size_t *len);
/* True when s[0..len) is valid UTF-8 with no NUL, no DEL and no C0
 * controls other than TAB, CR and LF. */
bool hp_utf8_valid(const char *s, size_t len);
/* Number of bytes of the UTF-8 sequence that starts at s (1 for bad bytes).
 * Looks only at lead and continuation bits (an overlong form counts as
 * one sequence) and reads up to 4 bytes, stopping at the first byte that
 * is not a continuation, so s must be NUL-terminated; for text already
 * validated.  Use hp_utf8_decode on outside input. */
size_t hp_utf8_seqlen(const unsigned char *s);

/* Levenshtein distance over bytes, bounded: returns max+1 once it exceeds max. */
size_t hp_edit_distance(const char *a, const char *b, size_t max);

/* "2027-01-04T09:12:00Z" for t into buf (at least 21 bytes). */
void hp_iso8601_utc(time_t t, char *buf, size_t size);

/* Parse "10M", "512K", "42" into bytes; "30s", "5m", "2h", "7d" into
 * seconds.  Return 0, or -1 on a malformed value or overflow. */
int hp_parse_size(const char *s, uint64_t *out);
int hp_parse_duration(const char *s, uint64_t *out);

/* Format into err (skipped when err is NULL or errlen 0) and return -1,
 * so that a failing path reads `return hp_errf(err, errlen, "...", ...);`. */
int hp_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* read() into buf until size bytes are in or the end of file, retrying
 * EINTR.  Returns the number of bytes read (less than size only at end
 * of file), or -1 with errno set. */
ssize_t hp_read_full(int fd, void *buf, size_t size);
/* write() all size bytes, retrying EINTR and short writes.  Returns 0, or
 * -1 with errno set (EIO when write() makes no progress).  A write to a
 * closed pipe or socket raises SIGPIPE as write() does. */
int hp_write_full(int fd, const void *buf, size_t size);
/* Read the whole file at path, at most max bytes (max < SIZE_MAX / 2),
 * into a fresh NUL-terminated *out (the caller frees it); *len (may be
 * NULL) gets the length without the NUL.  Any file that read() can read,
 * a pipe such as /dev/stdin included; the caller checks the file type
 * first where that matters (and reads with hp_read_full then).  Returns
 * 0, or -1 with errno set (EFBIG when the file is larger than max) and
 * *out untouched. */
int hp_read_file(const char *path, size_t max, char **out, size_t *len);

/* Microseconds of CLOCK_MONOTONIC: for deadlines and rates, which must
 * not jump when the wall clock is set. */
int64_t hp_monotonic_us(void);

#endif
