/*
 * libFuzzer target for itip_read.  The whole input goes to both readers:
 * itip_read_reply and itip_read_event (default zone Europe/Amsterdam).
 * Besides crashes, sanitizer reports and leaks it checks the module's
 * promises: every reply string terminated inside its array, valid UTF-8
 * without control characters, a valid attendee address on success and
 * a zeroed reply on failure; a submitted event with a summary, a tzid
 * unless all-day, sane dates and an end not before its start; one-line
 * errors; the same answer on a second run.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Idaemon $(pkg-config --cflags libical) tests/fuzz/fuzz_itip_read.c \
 *       daemon/itip_read.c daemon/itip_event_read.c daemon/addr.c \
 *       daemon/util.c -o fuzz_itip_read $(pkg-config --libs libical)
 *   ./fuzz_itip_read -max_total_time=30 tests/fuzz/corpus/itip_read
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "itip_read.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t size, bool newlines)
{
	size_t n = strnlen(s, size);

	if (n >= size || !hp_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && !(newlines && s[i] == '\n'))
		    || s[i] == 0x7f)
			abort();
}

static void
check_err(const char *err, size_t size)
{
	if (strnlen(err, size) == 0 || strnlen(err, size) >= size ||
	    strchr(err, '\n') != NULL || strchr(err, '\r') != NULL)
		abort();
}

static void
check_reply(const char *s, size_t size)
{
	struct itip_reply a, b;
	char err[256] = "", err2[256] = "";
	int rc = itip_read_reply(s, size, &a, err, sizeof(err));

	check_field(a.uid, sizeof(a.uid), false);
	check_field(a.recurrence_id, sizeof(a.recurrence_id), false);
	check_field(a.attendee_addr, sizeof(a.attendee_addr), false);
	check_field(a.attendee_name, sizeof(a.attendee_name), false);
	check_field(a.comment, sizeof(a.comment), false);
	check_field(a.organizer_addr, sizeof(a.organizer_addr), false);
	if (rc == 0) {
		if (a.method != ITIP_REPLY || a.uid[0] == '\0' ||
		    !addr_valid(a.attendee_addr) ||
		    (a.organizer_addr[0] != '\0' &&
		    !addr_valid(a.organizer_addr)))
			abort();
	} else {
		check_err(err, sizeof(err));
		if (a.uid[0] != '\0' || a.attendee_addr[0] != '\0' ||
		    a.comment[0] != '\0')
			abort();
	}
	if (itip_read_reply(s, size, &b, err2, sizeof(err2)) != rc ||
	    memcmp(&a, &b, sizeof(a)) != 0 || strcmp(err, err2) != 0)
		abort();
}

static void
check_date(const struct itip_time *t)
{
	if (t->year < 1900 || t->year > 2199 || t->month < 1 ||
	    t->month > 12 || t->day < 1 || t->day > 31 || t->hour < 0 ||
	    t->hour > 23 || t->minute < 0 || t->minute > 59 ||
	    t->second < 0 || t->second > 60)
		abort();
}

static long
key(const struct itip_time *t)
{
	return ((((long)t->year * 13 + t->month) * 32 + t->day) * 24 +
	    t->hour) * 3600L + t->minute * 60L + t->second;
}

static void
check_event(const char *s, size_t size)
{
	struct itip_event_owned ev;
	struct itip_event view;
	char err[256] = "";

	if (itip_read_event(s, size, "Europe/Amsterdam", &ev, err,
	    sizeof(err)) != 0) {
		check_err(err, sizeof(err));
		if (ev.summary != NULL || ev.tzid != NULL || ev.uid != NULL)
			abort();
		return;
	}
	if (ev.summary == NULL || ev.start.all_day != ev.end.all_day ||
	    (ev.tzid == NULL) != ev.start.all_day)
		abort();
	check_field(ev.summary, ITIP_MAX_TEXT + 1, false);
	if (ev.location != NULL)
		check_field(ev.location, ITIP_MAX_TEXT + 1, false);
	if (ev.description != NULL)
		check_field(ev.description, ITIP_MAX_TEXT + 1, true);
	if (ev.uid != NULL)
		check_field(ev.uid, ITIP_MAX_UID + 1, false);
	check_date(&ev.start);
	check_date(&ev.end);
	/* Wall clocks of one zone: across a DST change an hour can differ,
	 * but never by more. */
	if (key(&ev.end) + 3600 < key(&ev.start))
		abort();
	itip_event_owned_view(&ev, &view);
	if (view.summary != ev.summary || view.tzid != ev.tzid)
		abort();
	itip_event_owned_clear(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply((const char *)data, size);
	check_event((const char *)data, size);
	return 0;
}
