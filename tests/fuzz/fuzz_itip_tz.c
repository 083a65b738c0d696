/*
 * libFuzzer target for itip_vtimezone: the input (up to its first NUL)
 * is the footer line of a TZif file, which itip_tz_posix copies from the
 * system's zoneinfo.  Besides crashes and sanitizer reports it checks the
 * function's promises: on failure a message and no output; on success
 * one VTIMEZONE for the given TZID, CRLF lines of at most 75 printable
 * ASCII octets, one STANDARD and at most one DAYLIGHT, every DAYLIGHT
 * with an RRULE, and the same answer on a second run.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon tests/fuzz/fuzz_itip_tz.c daemon/itip.c daemon/itip_tz.c \
 *       daemon/util.c daemon/buf.c daemon/addr.c -o fuzz_itip_tz
 *   ./fuzz_itip_tz -max_total_time=30 tests/fuzz/corpus/itip_tz
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "itip.h"
#include "util.h"

#define TZID "Europe/Fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
check_vtimezone(const char *v)
{
	static const char head[] = "BEGIN:VTIMEZONE\r\nTZID:" TZID "\r\n";
	static const char tail[] = "END:VTIMEZONE\r\n";
	size_t n = strlen(v);

	if (n < sizeof(head) + sizeof(tail) ||
	    memcmp(v, head, sizeof(head) - 1) != 0 ||
	    strcmp(v + n - (sizeof(tail) - 1), tail) != 0)
		abort();
	for (const char *p = v, *eol; *p != '\0'; p = eol + 2) {
		if ((eol = strstr(p, "\r\n")) == NULL || eol - p > 75)
			abort();
		for (const char *c = p; c < eol; c++)
			if (*c < 0x20 || *c > 0x7e)
				abort();
	}
	if (count(v, "BEGIN:STANDARD\r\n") != 1 ||
	    count(v, "BEGIN:DAYLIGHT\r\n") > 1 ||
	    count(v, "RRULE:") != 2 * count(v, "BEGIN:DAYLIGHT\r\n"))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1), *a = NULL, *b = NULL, err[256];
	int ra, rb;

	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	ra = itip_vtimezone(TZID, s, &a, err, sizeof(err));
	if (ra == -1 && (a != NULL || err[0] == '\0'))
		abort();
	rb = itip_vtimezone(TZID, s, &b, err, sizeof(err));
	if (ra != rb)
		abort();
	if (ra == 0) {
		check_vtimezone(a);
		if (strcmp(a, b) != 0)
			abort();
	}
	free(a);
	free(b);
	free(s);
	return 0;
}
