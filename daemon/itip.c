/*
 * itip: the calendar builder (see itip.h).  Pure (L1): no I/O, clock or
 * logging; the caller passes DTSTAMP and the VTIMEZONE text in.
 *
 * We write the iCalendar text ourselves instead of using libical's
 * serializer: what matters to clients is the exact shape (plain IANA
 * TZID, compact VTIMEZONE, property set and order of the big senders,
 * CRLF, 75-octet folds between UTF-8 characters), and that is easiest to
 * guarantee and to test when every byte is ours.  Each property is first
 * assembled unfolded in a scratch buffer, then folded into the output,
 * so no escaping or quoting code has to think about line lengths.
 *
 * Must not: invent defaults for missing data (a REQUEST without an
 * attendee or a CANCEL that does not raise SEQUENCE is refused), or let
 * a control character reach the output.
 */
#include "itip.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "util.h"

#define YEAR_MIN	1970	/* the VTIMEZONE onsets start in 1970 */
#define YEAR_MAX	2199
#define FOLD_AT		75	/* octets per line, CRLF excluded */
#define VTZ_MAX		8192	/* itip_vtimezone writes under 1 KiB */

bool
itip_tzid_valid(const char *tzid)
{
	size_t n = strnlen(tzid, ITIP_MAX_TZID + 1);

	if (n == 0 || n > ITIP_MAX_TZID || tzid[0] == '/' ||
	    tzid[n - 1] == '/' || strstr(tzid, "..") != NULL ||
	    strstr(tzid, "//") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tzid[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		    c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* ---- checking input */

/*
 * A text we are about to write: at most max octets of valid UTF-8
 * without controls (C0, DEL, C1).  Line breaks only where multiline, and
 * then a CR only as part of CRLF.  NULL passes unless required.
 */
static int
check_text(const char *what, const char *s, size_t max, bool required,
    bool multiline, char *err, size_t errlen)
{
	size_t n, i, clen;

	if (s == NULL || s[0] == '\0')
		return required ? hp_errf(err, errlen, "%s is missing", what) : 0;
	if ((n = strnlen(s, max + 1)) > max)
		return hp_errf(err, errlen, "%s is longer than %zu octets",
		    what, max);
	if (!hp_utf8_valid(s, n))
		return hp_errf(err, errlen, "%s is not valid UTF-8 or holds "
		    "a control character", what);
	for (i = 0; i < n; i += clen) {
		uint32_t cp = hp_utf8_decode((const unsigned char *)s + i,
		    n - i, &clen);

		if ((cp >= 0x80 && cp <= 0x9f) || (!multiline && (cp == '\r' ||
		    cp == '\n')) || (cp == '\r' && s[i + 1] != '\n'))
			return hp_errf(err, errlen, "%s holds a control "
			    "character", what);
	}
	return 0;
}

static int
check_addr(const char *what, const char *addr, const char *name,
    char *err, size_t errlen)
{
	if (addr == NULL || strnlen(addr, ITIP_MAX_ADDR + 1) > ITIP_MAX_ADDR ||
	    !addr_valid(addr))
		return hp_errf(err, errlen, "%s address is invalid", what);
	return check_text(what, name, ITIP_MAX_NAME, false, false, err,
	    errlen);
}

static int
check_time(const char *what, const struct itip_time *t, char *err,
    size_t errlen)
{
	if (t->year < YEAR_MIN || t->year > YEAR_MAX || t->month < 1 ||
	    t->month > 12 || t->day < 1 || t->day > 31)
		return hp_errf(err, errlen, "%s date is out of range", what);
	/* Days of the month without a table: the next day must roll over. */
	if (t->day > 28) {
		struct tm tm = { .tm_year = t->year - 1900,
		    .tm_mon = t->month - 1, .tm_mday = t->day, .tm_hour = 12 };
		time_t probe = timegm(&tm);
		struct tm back;

		if (probe == (time_t)-1 || gmtime_r(&probe, &back) == NULL ||
		    back.tm_mday != t->day)
			return hp_errf(err, errlen, "%s date does not exist",
			    what);
	}
	if (!t->all_day && (t->hour < 0 || t->hour > 23 || t->minute < 0 ||
	    t->minute > 59 || t->second < 0 || t->second > 59))
		return hp_errf(err, errlen, "%s time is out of range", what);
	return 0;
}

/* <0, 0, >0 like strcmp; all-day times compare by date only. */
static int
time_cmp(const struct itip_time *a, const struct itip_time *b)
{
	const int x[6] = { a->year, a->month, a->day,
	    a->all_day ? 0 : a->hour, a->all_day ? 0 : a->minute,
	    a->all_day ? 0 : a->second };
	const int y[6] = { b->year, b->month, b->day,
	    b->all_day ? 0 : b->hour, b->all_day ? 0 : b->minute,
	    b->all_day ? 0 : b->second };

	for (int i = 0; i < 6; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static int
check_times(const struct itip_event *ev, const char *vtz, char *err,
    size_t errlen)
{
	if (check_time("start", &ev->start, err, errlen) != 0 ||
	    check_time("end", &ev->end, err, errlen) != 0)
		return -1;
	if (ev->start.all_day != ev->end.all_day)
		return hp_errf(err, errlen, "start and end must both be "
		    "all-day or both timed");
	if (time_cmp(&ev->end, &ev->start) <= 0)
		return hp_errf(err, errlen, "end is not after start");
	if (ev->start.all_day)
		return 0;
	if (ev->tzid == NULL)
		return vtz == NULL ? 0 : hp_errf(err, errlen,
		    "VTIMEZONE given for an event in UTC");
	if (!itip_tzid_valid(ev->tzid))
		return hp_errf(err, errlen, "invalid TZID");
	if (vtz == NULL)
		return hp_errf(err, errlen, "TZID %s needs its VTIMEZONE",
		    ev->tzid);
	return 0;
}

/* The VTIMEZONE must be one whole component for exactly ev->tzid. */
static int
check_vtimezone(const char *vtz, const char *tzid, char *err, size_t errlen)
{
	static const char head[] = "BEGIN:VTIMEZONE\r\nTZID:";
	static const char tail[] = "END:VTIMEZONE\r\n";
	size_t n = strnlen(vtz, VTZ_MAX + 1), t = strlen(tzid);

	if (n > VTZ_MAX || !hp_utf8_valid(vtz, n))
		return hp_errf(err, errlen, "VTIMEZONE is too long or not text");
	if (n < sizeof(head) + t + sizeof(tail) ||
	    memcmp(vtz, head, sizeof(head) - 1) != 0 ||
	    memcmp(vtz + sizeof(head) - 1, tzid, t) != 0 ||
	    memcmp(vtz + sizeof(head) - 1 + t, "\r\n", 2) != 0 ||
	    memcmp(vtz + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
		return hp_errf(err, errlen, "VTIMEZONE is not the one for "
		    "TZID %s", tzid);
	return 0;
}

static int
check_event(enum itip_method method, const struct itip_event *ev,
    const struct itip_attendee *att, const char *vtz, char *err,
    size_t errlen)
{
	if (check_text("UID", ev->uid, ITIP_MAX_UID, true, false, err,
	    errlen) != 0 ||
	    check_text("summary", ev->summary, ITIP_MAX_TEXT, true, false,
	    err, errlen) != 0 ||
	    check_text("location", ev->location, ITIP_MAX_TEXT, false, false,
	    err, errlen) != 0 ||
	    check_text("description", ev->description, ITIP_MAX_TEXT, false,
	    true, err, errlen) != 0 ||
	    check_addr("organizer", ev->organizer_addr, ev->organizer_name,
	    err, errlen) != 0 ||
	    check_times(ev, vtz, err, errlen) != 0)
		return -1;
	if (ev->sequence > INT32_MAX)
		return hp_errf(err, errlen, "SEQUENCE is out of range");
	if (method == ITIP_CANCEL && ev->sequence == 0)
		return hp_errf(err, errlen, "a CANCEL must raise SEQUENCE "
		    "above the REQUEST's (got 0)");
	if (method == ITIP_REQUEST && ev->cancelled)
		return hp_errf(err, errlen, "a cancelled event is sent with "
		    "CANCEL, not REQUEST");
	if (method == ITIP_PUBLISH)
		return att == NULL ? 0 : hp_errf(err, errlen,
		    "PUBLISH carries no ATTENDEE");
	if (att == NULL)
		return hp_errf(err, errlen, "REQUEST and CANCEL need the attendee");
	if (check_addr("attendee", att->addr, att->name, err, errlen) != 0)
		return -1;
	if (addr_equal(att->addr, ev->organizer_addr))
		return hp_errf(err, errlen, "the attendee is the organizer");
	if (att->partstat < ITIP_NEEDS_ACTION ||
	    att->partstat >= ITIP_PARTSTAT_OTHER)
		return hp_errf(err, errlen, "unknown PARTSTAT");
	return 0;
}

/* ---- writing */

/*
 * Append one content line, folded: at most FOLD_AT octets per physical
 * line including the space that starts a continuation, never between
 * the bytes of one UTF-8 character (RFC 5545 §3.1).
 */
static int
put_folded(struct buf *out, const char *s, size_t n)
{
	size_t col = 0, i = 0;

	while (i < n) {
		size_t seq = hp_utf8_seqlen((const unsigned char *)s + i);

		if (seq > n - i)
			seq = n - i;
		if (col + seq > FOLD_AT) {
			if (buf_append(out, "\r\n ", 3) != 0)
				return -1;
			col = 1;
		}
		if (buf_append(out, s + i, seq) != 0)
			return -1;
		col += seq;
		i += seq;
	}
	return buf_append(out, "\r\n", 2);
}

/* TEXT value escaping (RFC 5545 §3.3.11); CRLF and LF become \n. */
static int
put_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		int rc;

		if (*s == '\r' && s[1] == '\n')
			continue;
		if (*s == '\n')
			rc = buf_puts(b, "\\n");
		else if (*s == '\\' || *s == ';' || *s == ',')
			rc = buf_printf(b, "\\%c", *s);
		else
			rc = buf_putc(b, *s);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ";CN=name": '"' cannot be written in a parameter value (RFC 5545 has
 * no escape for it), so it is dropped; a value with : ; or , is quoted. */
static int
put_cn(struct buf *b, const char *name)
{
	bool quote;
	size_t kept = 0;

	if (name == NULL)
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		kept += *p != '"';
	if (kept == 0)
		return 0;
	quote = strpbrk(name, ":;,") != NULL;
	if (buf_puts(b, quote ? ";CN=\"" : ";CN=") != 0)
		return -1;
	for (const char *p = name; *p != '\0'; p++)
		if (*p != '"' && buf_putc(b, *p) != 0)
			return -1;
	return quote ? buf_putc(b, '"') : 0;
}

static int
put_time(struct buf *b, const char *name, const struct itip_time *t,
    const char *tzid)
{
	if (t->all_day)
		return buf_printf(b, "%s;VALUE=DATE:%04d%02d%02d", name,
		    t->year, t->month, t->day);
	if (tzid != NULL && buf_printf(b, "%s;TZID=%s", name, tzid) != 0)
		return -1;
	if (tzid == NULL && buf_puts(b, name) != 0)
		return -1;
	return buf_printf(b, ":%04d%02d%02dT%02d%02d%02d%s", t->year, t->month,
	    t->day, t->hour, t->minute, t->second, tzid == NULL ? "Z" : "");
}

/* Move the scratch line into out, folded. */
static int
flush_line(struct buf *out, struct buf *line)
{
	int rc = put_folded(out, line->data ? line->data : "", line->len);

	buf_reset(line);
	return rc;
}

/* "NAME:escaped text", skipped when text is NULL or empty. */
static int
put_text_prop(struct buf *out, struct buf *line, const char *name,
    const char *text)
{
	if (text == NULL || text[0] == '\0')
		return 0;
	if (buf_puts(line, name) != 0 || buf_putc(line, ':') != 0 ||
	    put_text(line, text) != 0)
		return -1;
	return flush_line(out, line);
}

/* Each line of the VTIMEZONE, folded like ours (they fit already). */
static int
put_vtimezone_text(struct buf *out, const char *vtz)
{
	const char *p = vtz, *eol;

	while ((eol = strstr(p, "\r\n")) != NULL) {
		if (put_folded(out, p, (size_t)(eol - p)) != 0)
			return -1;
		p = eol + 2;
	}
	return 0;
}

static int
put_calendar_head(struct buf *out, struct buf *line, enum itip_method method,
    const char *prodid, const char *vtz)
{
	static const char *const names[] = {
		[ITIP_REQUEST] = "REQUEST", [ITIP_CANCEL] = "CANCEL",
		[ITIP_PUBLISH] = "PUBLISH"
	};

	if (buf_puts(out, "BEGIN:VCALENDAR\r\n") != 0 ||
	    put_text_prop(out, line, "PRODID", prodid) != 0 ||
	    buf_printf(out, "VERSION:2.0\r\nCALSCALE:GREGORIAN\r\n"
	    "METHOD:%s\r\n", names[method]) != 0)
		return -1;
	return vtz != NULL ? put_vtimezone_text(out, vtz) : 0;
}

static int
put_times(struct buf *out, struct buf *line, const struct itip_event *ev,
    time_t dtstamp)
{
	const char *tzid = ev->start.all_day ? NULL : ev->tzid;
	struct tm tm;

	if (gmtime_r(&dtstamp, &tm) == NULL ||
	    buf_printf(out, "DTSTAMP:%04d%02d%02dT%02d%02d%02dZ\r\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) != 0 ||
	    buf_printf(out, "SEQUENCE:%u\r\n", ev->sequence) != 0 ||
	    put_time(line, "DTSTART", &ev->start, tzid) != 0 ||
	    flush_line(out, line) != 0 ||
	    put_time(line, "DTEND", &ev->end, tzid) != 0)
		return -1;
	return flush_line(out, line);
}

static int
put_people(struct buf *out, struct buf *line, const struct itip_event *ev,
    const struct itip_attendee *att)
{
	static const char *const partstat[] = {
		[ITIP_NEEDS_ACTION] = "NEEDS-ACTION",
		[ITIP_ACCEPTED] = "ACCEPTED", [ITIP_DECLINED] = "DECLINED",
		[ITIP_TENTATIVE] = "TENTATIVE", [ITIP_DELEGATED] = "DELEGATED"
	};

	if (buf_puts(line, "ORGANIZER") != 0 ||
	    put_cn(line, ev->organizer_name) != 0 ||
	    buf_printf(line, ":mailto:%s", ev->organizer_addr) != 0 ||
	    flush_line(out, line) != 0)
		return -1;
	if (att == NULL)
		return 0;
	if (buf_printf(line, "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
	    "PARTSTAT=%s%s", partstat[att->partstat],
	    att->rsvp ? ";RSVP=TRUE" : "") != 0 ||
	    put_cn(line, att->name) != 0 ||
	    buf_printf(line, ":mailto:%s", att->addr) != 0)
		return -1;
	return flush_line(out, line);
}

static int
put_event(struct buf *out, struct buf *line, enum itip_method method,
    const struct itip_event *ev, const struct itip_attendee *att,
    time_t dtstamp)
{
	bool cancelled = method == ITIP_CANCEL || ev->cancelled;

	if (buf_puts(out, "BEGIN:VEVENT\r\n") != 0 ||
	    put_text_prop(out, line, "UID", ev->uid) != 0 ||
	    put_times(out, line, ev, dtstamp) != 0 ||
	    put_text_prop(out, line, "SUMMARY", ev->summary) != 0 ||
	    put_text_prop(out, line, "LOCATION", ev->location) != 0 ||
	    put_text_prop(out, line, "DESCRIPTION", ev->description) != 0 ||
	    put_people(out, line, ev, att) != 0)
		return -1;
	return buf_printf(out, "STATUS:%s\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n"
	    "END:VCALENDAR\r\n", cancelled ? "CANCELLED" : "CONFIRMED");
}

int
itip_build(enum itip_method method, const struct itip_event *ev,
    const struct itip_attendee *att, time_t dtstamp, const char *prodid,
    const char *vtimezone, char **out, size_t *len, char *err, size_t errlen)
{
	struct buf b, line;
	struct tm tm;
	int rc = -1;

	buf_init(&b, ITIP_MAX_OUTPUT);
	buf_init(&line, ITIP_MAX_OUTPUT);
	if (method != ITIP_REQUEST && method != ITIP_CANCEL &&
	    method != ITIP_PUBLISH) {
		hp_errf(err, errlen, "the builder writes REQUEST, CANCEL and "
		    "PUBLISH only");
		goto fail;
	}
	if (ev == NULL || check_event(method, ev, att, vtimezone, err,
	    errlen) != 0 || check_text("PRODID", prodid, ITIP_MAX_PRODID,
	    true, false, err, errlen) != 0)
		goto fail;
	if (gmtime_r(&dtstamp, &tm) == NULL || tm.tm_year + 1900 < YEAR_MIN ||
	    tm.tm_year + 1900 > YEAR_MAX) {
		hp_errf(err, errlen, "DTSTAMP is out of range");
		goto fail;
	}
	if (ev->start.all_day || ev->tzid == NULL)
		vtimezone = NULL;
	else if (check_vtimezone(vtimezone, ev->tzid, err, errlen) != 0)
		goto fail;
	if (put_calendar_head(&b, &line, method, prodid, vtimezone) != 0 ||
	    put_event(&b, &line, method, ev, att, dtstamp) != 0) {
		hp_errf(err, errlen, "calendar is longer than %d octets",
		    ITIP_MAX_OUTPUT);
		goto fail;
	}
	*out = buf_release(&b, len);
	rc = 0;
fail:
	buf_free(&line);
	buf_free(&b);
	return rc;
}
