/*
 * util: see util.h.  Nothing here logs; the only output of its own is
 * the one fatal message on out-of-memory.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
die_oom(void)
{
	static const char msg[] = "hanzepost: out of memory\n";
	ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(71); /* EX_OSERR */
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die_oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		die_oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		die_oom();
	p = realloc(p, n * size != 0 ? n * size : 1);
	if (p == NULL)
		die_oom();
	return p;
}

char *
xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		die_oom();
	return p;
}

size_t
hp_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

char *
hp_trim(char *s)
{
	char *start = s, *end;

	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		end--;
	memmove(s, start, (size_t)(end - start));
	s[end - start] = '\0';
	return s;
}

int
hp_strcasecmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb || ca == 0)
			return ca - cb;
	}
}

bool
hp_streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

char *
hp_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

size_t
hp_utf8_seqlen(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80)
		return 2;
	if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80)
		return 3;
	if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 &&
	    (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80)
		return 4;
	return 1;
}

uint32_t
hp_utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t need;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	/* Lead bytes C0, C1 and F5..FF can only start overlong or too large
	 * sequences; E0, F0 and F4 still need the checks below. */
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07u;
	else
		return HP_UTF8_BAD;
	if (n <= need)
		return HP_UTF8_BAD;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return HP_UTF8_BAD;
		cp = (cp << 6) | (s[k] & 0x3fu);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return HP_UTF8_BAD;
	*len = need + 1;
	return cp;
}

bool
hp_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len) {
		uint32_t cp = hp_utf8_decode(s + i, len - i, &n);

		if (cp == HP_UTF8_BAD || cp == 0x7f ||
		    (cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n'))
			return false;
		i += n;
	}
	return true;
}

size_t
hp_edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row, result;

	if (la > 64 || lb > 64)
		return max + 1; /* names are short; do not spend time on prose */
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	row = xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	result = row[lb];
	free(row);
	return result > max ? max + 1 : result;
}

void
hp_iso8601_utc(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
parse_scaled(const char *s, const char *units, const uint64_t *factors,
    uint64_t *out)
{
	char *end;
	unsigned long long v;
	const char *u;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	if (end[1] != '\0' || (u = strchr(units, tolower((unsigned char)*end))) == NULL)
		return -1;
	if (v > UINT64_MAX / factors[u - units])
		return -1;
	*out = v * factors[u - units];
	return 0;
}

int
hp_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t f[] = { 1024, 1024 * 1024, 1024ull * 1024 * 1024 };
	return parse_scaled(s, "kmg", f, out);
}

int
hp_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t f[] = { 1, 60, 3600, 86400 };
	return parse_scaled(s, "smhd", f, out);
}

int
hp_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

ssize_t
hp_read_full(int fd, void *buf, size_t size)
{
	char *p = buf;
	size_t got = 0;

	while (got < size) {
		ssize_t r = read(fd, p + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
hp_write_full(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t r = write(fd, p, size);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		size -= (size_t)r;
	}
	return 0;
}

int
hp_read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *data = NULL;
	size_t cap = 0, used = 0;
	ssize_t r;
	int fd, err;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	/* Grow towards max + 1 bytes: reading that one byte more is how a
	 * file larger than max shows, without trusting st_size (pipes have
	 * none, and files change). */
	do {
		cap = cap == 0 ? 8192 : cap * 2;
		if (cap > max + 1)
			cap = max + 1;
		data = xreallocarray(data, cap + 1, 1);
		if ((r = hp_read_full(fd, data + used, cap - used)) == -1)
			goto fail;
		used += (size_t)r;
	} while (used == cap && cap <= max);
	if (used > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	data[used] = '\0';
	*out = data;
	if (len != NULL)
		*len = used;
	return 0;
fail:
	err = errno;
	free(data);
	close(fd);
	errno = err;
	return -1;
}

int64_t
hp_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
