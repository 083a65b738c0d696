/*
 * util: allocation that dies on out-of-memory, bounded string helpers,
 * and small time helpers.  L0: libc only, no logging, no I/O.
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
/* True when s[0..len) is valid UTF-8 with no NUL and no C0 controls
 * other than TAB, CR and LF. */
bool hp_utf8_valid(const char *s, size_t len);
/* Number of bytes of the UTF-8 sequence that starts at s (1 for bad bytes). */
size_t hp_utf8_seqlen(const unsigned char *s);

/* Levenshtein distance over bytes, bounded: returns max+1 once it exceeds max. */
size_t hp_edit_distance(const char *a, const char *b, size_t max);

/* "2027-01-04T09:12:00Z" for t into buf (at least 21 bytes). */
void hp_iso8601_utc(time_t t, char *buf, size_t size);

/* Parse "10M", "512K", "42" into bytes; "30s", "5m", "2h", "7d" into
 * seconds.  Return 0, or -1 on a malformed value or overflow. */
int hp_parse_size(const char *s, uint64_t *out);
int hp_parse_duration(const char *s, uint64_t *out);

#endif
