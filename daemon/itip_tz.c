/*
 * itip_tz: the zone half of itip (see itip.h).  itip_vtimezone turns a
 * POSIX TZ string into the compact VTIMEZONE that Google and Exchange
 * send (one DAYLIGHT and one STANDARD with open yearly RRULEs), which is
 * the shape every client reads correctly; libical's own zones carry
 * history back to 1835 under a prefixed TZID that python3-icalendar
 * rejects and khal crashes on (notes/itip.md §4.8).  itip_tz_posix reads
 * that string from the system's TZif file: the module's only I/O, kept
 * apart so that everything else here is pure and can be fuzzed.
 *
 * Must not: log, guess a rule it cannot express (a wrong VTIMEZONE moves
 * every invitation by an hour; refusing says so at once), or read any
 * file outside /usr/share/zoneinfo.
 */
#include "itip.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define TZ_DIR		"/usr/share/zoneinfo/"
#define TZ_FILE_MAX	(1024 * 1024)	/* real TZif files are < 100 KiB */
#define TZ_NAME_MAX	32		/* an abbreviation such as CEST */
#define DAY		86400L
#define BASE_YEAR	1970		/* DTSTART year of both onsets */

/* One transition rule "Mm.w.d/time": week 5 means the last one. */
struct tz_rule {
	int month, week, wday;
	long secs;		/* local time before the change; any sign */
};

/* A parsed POSIX TZ string; offsets in seconds east of UTC. */
struct tz_posix {
	char std_name[TZ_NAME_MAX + 1], dst_name[TZ_NAME_MAX + 1];
	long std_off, dst_off;
	bool has_dst;
	struct tz_rule to_dst, to_std;
};

/* A rule as iCalendar writes it: BYDAY=<nth><wday> when mday_lo is 0,
 * else BYDAY=<wday>;BYMONTHDAY=mday_lo..mday_lo+6. */
struct tz_onset {
	int month, nth, wday, mday_lo;
	long secs;		/* 0 .. DAY-1 */
	int day1970;		/* day of month of the first onset in 1970 */
};

static const char *const wday_names[7] = {
	"SU", "MO", "TU", "WE", "TH", "FR", "SA"
};

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Day of the week of y-m-d, 0 = Sunday (Sakamoto's method). */
static int
weekday(int y, int m, int d)
{
	static const int t[12] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An abbreviation: letters, or <...> with letters, digits, + and -. */
static int
parse_name(const char **pp, char *out, char *err, size_t errlen)
{
	const char *p = *pp, *start;
	bool quoted = *p == '<';
	size_t n;

	start = p += quoted;
	while (is_alpha(*p) || (quoted && (is_digit(*p) || *p == '+' ||
	    *p == '-')))
		p++;
	n = (size_t)(p - start);
	if (quoted && *p++ != '>')
		return hp_errf(err, errlen, "zone abbreviation: missing '>'");
	if (n < 3 || n > TZ_NAME_MAX)
		return hp_errf(err, errlen,
		    "zone abbreviation must have 3 to %d characters",
		    TZ_NAME_MAX);
	memcpy(out, start, n);
	out[n] = '\0';
	*pp = p;
	return 0;
}

/* [+-]h[h[h]][:mm[:ss]] into seconds; hours at most max_hours. */
static int
parse_hms(const char **pp, long max_hours, long *out, char *err,
    size_t errlen)
{
	const char *p = *pp;
	long sign = 1, part[3] = { 0, 0, 0 };
	int i;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		int digits = 0;

		if (i > 0 && (*p != ':' || !is_digit(p[1])))
			break;
		p += i > 0;
		while (is_digit(*p) && digits < 3)
			part[i] = part[i] * 10 + (*p++ - '0'), digits++;
		if (digits == 0 || is_digit(*p) || (i > 0 && (digits > 2 ||
		    part[i] > 59)))
			return hp_errf(err, errlen, "malformed time in zone rule");
	}
	if (part[0] > max_hours)
		return hp_errf(err, errlen, "hours beyond %ld in zone rule",
		    max_hours);
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*pp = p;
	return 0;
}

/* ",Mm.w.d[/time]" (the comma already consumed). */
static int
parse_rule(const char **pp, struct tz_rule *r, char *err, size_t errlen)
{
	const char *p = *pp;

	if (*p == 'J' || is_digit(*p))
		return hp_errf(err, errlen, "zone rule '%c...' counts days of "
		    "the year (Jn or n form), which no yearly BYDAY rule can "
		    "express", *p);
	if (*p != 'M' || !is_digit(p[1]) ||
	    (r->month = (int)strtol(p + 1, (char **)&p, 10)) < 1 ||
	    r->month > 12 || *p != '.' || !is_digit(p[1]) ||
	    (r->week = (int)strtol(p + 1, (char **)&p, 10)) < 1 ||
	    r->week > 5 || *p != '.' || !is_digit(p[1]) || is_digit(p[2]) ||
	    (r->wday = p[1] - '0') > 6)
		return hp_errf(err, errlen, "malformed Mm.w.d zone rule");
	p += 2;
	r->secs = 2 * 3600;
	/* RFC 8536 §3.3.1 allows -167..167 hours here. */
	if (*p == '/' && (p++, parse_hms(&p, 167, &r->secs, err, errlen) != 0))
		return -1;
	*pp = p;
	return 0;
}

static int
parse_posix(const char *s, struct tz_posix *tz, char *err, size_t errlen)
{
	const char *p = s;
	long west;

	memset(tz, 0, sizeof(*tz));
	if (strnlen(s, ITIP_MAX_POSIX_TZ + 1) > ITIP_MAX_POSIX_TZ)
		return hp_errf(err, errlen, "POSIX TZ string is too long");
	if (parse_name(&p, tz->std_name, err, errlen) != 0 ||
	    parse_hms(&p, 24, &west, err, errlen) != 0)
		return -1;
	tz->std_off = tz->dst_off = -west;
	if (*p == '\0')
		return 0;
	tz->has_dst = true;
	if (parse_name(&p, tz->dst_name, err, errlen) != 0)
		return -1;
	tz->dst_off = tz->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (parse_hms(&p, 24, &west, err, errlen) != 0)
			return -1;
		tz->dst_off = -west;
	}
	if (*p != ',')
		return hp_errf(err, errlen, "zone has daylight saving time "
		    "but no rules for it");
	p++;
	if (parse_rule(&p, &tz->to_dst, err, errlen) != 0)
		return -1;
	if (*p++ != ',')
		return hp_errf(err, errlen, "zone rule: expected ','");
	if (parse_rule(&p, &tz->to_std, err, errlen) != 0)
		return -1;
	if (*p != '\0')
		return hp_errf(err, errlen, "unexpected text after zone rules");
	return 0;
}

/*
 * Mm.w.d/time as an iCalendar onset.  A time outside 0-24 h moves the
 * change to another weekday: "last Sunday at -1:00" is the Saturday
 * before it at 23:00, i.e. the Saturday among days 24-30 of a 31-day
 * month.  That is a rule only while the shifted week stays inside the
 * month for every year (February: 28 days), hence the refusal.
 */
static int
rule_onset(const struct tz_rule *r, struct tz_onset *o, char *err,
    size_t errlen)
{
	long shift = r->secs >= 0 ? r->secs / DAY : -((-r->secs + DAY - 1) / DAY);
	int mdays = r->month == 2 ? 28 : month_days(BASE_YEAR, r->month);
	int first, day;

	memset(o, 0, sizeof(*o));
	o->month = r->month;
	o->secs = r->secs - shift * DAY;
	o->wday = (int)(((r->wday + shift) % 7 + 7) % 7);
	o->nth = r->week == 5 ? -1 : r->week;
	if (shift != 0) {
		int lo = r->week == 5 ? mdays - 6 : 7 * (r->week - 1) + 1;

		lo += (int)shift;
		if (lo < 1 || lo + 6 > mdays || (r->month == 2 &&
		    r->week == 5))
			return hp_errf(err, errlen, "zone rule M%d.%d.%d with "
			    "time %+ldh crosses a month boundary; not "
			    "expressible as a yearly BYDAY rule", r->month,
			    r->week, r->wday, r->secs / 3600);
		o->mday_lo = lo;
	}
	first = 1 + (r->wday - weekday(BASE_YEAR, r->month, 1) + 7) % 7;
	day = first + 7 * (r->week - 1);
	while (day > month_days(BASE_YEAR, r->month))
		day -= 7;
	o->day1970 = day + (int)shift;
	return 0;
}

static int
put_offset(struct buf *b, const char *name, long off)
{
	long a = off < 0 ? -off : off;

	if (buf_printf(b, "%s:%c%02ld%02ld", name, off < 0 ? '-' : '+',
	    a / 3600, a / 60 % 60) != 0)
		return -1;
	if (a % 60 != 0 && buf_printf(b, "%02ld", a % 60) != 0)
		return -1;
	return buf_puts(b, "\r\n");
}

/* One STANDARD or DAYLIGHT; o is NULL for a zone without DST. */
static int
put_sub(struct buf *b, bool is_dst, long from, long to, const char *name,
    const struct tz_onset *o)
{
	const char *kind = is_dst ? "DAYLIGHT" : "STANDARD";

	if (buf_printf(b, "BEGIN:%s\r\n", kind) != 0 ||
	    put_offset(b, "TZOFFSETFROM", from) != 0 ||
	    put_offset(b, "TZOFFSETTO", to) != 0 ||
	    buf_printf(b, "TZNAME:%s\r\n", name) != 0)
		return -1;
	if (o == NULL)
		return buf_printf(b, "DTSTART:%d0101T000000\r\nEND:%s\r\n",
		    BASE_YEAR, kind);
	if (buf_printf(b, "DTSTART:%d%02d%02dT%02ld%02ld%02ld\r\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=%d;", BASE_YEAR, o->month,
	    o->day1970, o->secs / 3600, o->secs / 60 % 60, o->secs % 60,
	    o->month) != 0)
		return -1;
	if (o->mday_lo == 0) {
		if (buf_printf(b, "BYDAY=%d%s", o->nth,
		    wday_names[o->wday]) != 0)
			return -1;
	} else {
		if (buf_printf(b, "BYMONTHDAY=%d", o->mday_lo) != 0)
			return -1;
		for (int d = o->mday_lo + 1; d <= o->mday_lo + 6; d++)
			if (buf_printf(b, ",%d", d) != 0)
				return -1;
		if (buf_printf(b, ";BYDAY=%s", wday_names[o->wday]) != 0)
			return -1;
	}
	return buf_printf(b, "\r\nEND:%s\r\n", kind);
}

static int
put_vtimezone(struct buf *b, const char *tzid, const struct tz_posix *tz,
    char *err, size_t errlen)
{
	struct tz_onset on_dst, on_std;
	/* Irish time is "IST-1GMT0": winter is the negative DST. */
	bool swap = tz->dst_off < tz->std_off;

	if (buf_printf(b, "BEGIN:VTIMEZONE\r\nTZID:%s\r\n", tzid) != 0)
		return hp_errf(err, errlen, "VTIMEZONE too long");
	if (!tz->has_dst) {
		if (put_sub(b, false, tz->std_off, tz->std_off, tz->std_name,
		    NULL) != 0)
			return hp_errf(err, errlen, "VTIMEZONE too long");
	} else {
		if (rule_onset(&tz->to_dst, &on_dst, err, errlen) != 0 ||
		    rule_onset(&tz->to_std, &on_std, err, errlen) != 0)
			return -1;
		/* DAYLIGHT first, as Google and Exchange write it. */
		for (int i = 0; i < 2; i++) {
			bool dst_period = (i == 0) != swap;

			if (put_sub(b, i == 0,
			    dst_period ? tz->std_off : tz->dst_off,
			    dst_period ? tz->dst_off : tz->std_off,
			    dst_period ? tz->dst_name : tz->std_name,
			    dst_period ? &on_dst : &on_std) != 0)
				return hp_errf(err, errlen,
				    "VTIMEZONE too long");
		}
	}
	if (buf_puts(b, "END:VTIMEZONE\r\n") != 0)
		return hp_errf(err, errlen, "VTIMEZONE too long");
	return 0;
}

int
itip_vtimezone(const char *tzid, const char *posix_tz, char **out,
    char *err, size_t errlen)
{
	struct tz_posix tz;
	struct buf b;
	int rc = -1;

	buf_init(&b, 4096);
	if (tzid == NULL || !itip_tzid_valid(tzid)) {
		hp_errf(err, errlen, "invalid TZID");
		goto fail;
	}
	if (posix_tz == NULL || parse_posix(posix_tz, &tz, err, errlen) != 0)
		goto fail;
	/* iCalendar offsets are -2359..+2359. */
	if (tz.std_off <= -DAY || tz.std_off >= DAY || tz.dst_off <= -DAY ||
	    tz.dst_off >= DAY) {
		hp_errf(err, errlen, "UTC offset of 24 hours or more");
		goto fail;
	}
	if (put_vtimezone(&b, tzid, &tz, err, errlen) != 0)
		goto fail;
	*out = buf_release(&b, NULL);
	rc = 0;
fail:
	buf_free(&b);
	return rc;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The last transition time of the version 2+ data block (RFC 8536 §3),
 * or INT64_MIN when there is none.  The footer only describes the time
 * after it: Morocco's file lists Ramadan changes up to 2087 under a
 * footer of plain "<+01>-1", so a zone whose explicit transitions go on
 * past 2037 (where "fat" files stop) is not described by its footer.
 */
static int
tzif_last_transition(const unsigned char *d, size_t len, int64_t *last)
{
	size_t c[6], v1, off;

	for (int i = 0; i < 6; i++)
		if ((c[i] = be32(d + 20 + 4 * (size_t)i)) > len)
			return -1;
	/* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
	v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
	if (v1 + 44 > len || memcmp(d + v1, "TZif", 4) != 0)
		return -1;
	for (int i = 0; i < 6; i++)
		if ((c[i] = be32(d + v1 + 20 + 4 * (size_t)i)) > len)
			return -1;
	off = v1 + 44;
	if (c[3] * 8 > len - off)
		return -1;
	*last = INT64_MIN;
	if (c[3] > 0) {
		const unsigned char *p = d + off + (c[3] - 1) * 8;

		*last = (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
	}
	return 0;
}

int
itip_tz_posix(const char *tzid, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char *path = NULL, *data = NULL, *end, *start;
	size_t len = 0;
	int64_t last;
	int rc = -1;

	if (tzid == NULL || !itip_tzid_valid(tzid)) {
		hp_errf(err, errlen, "invalid time zone name");
		goto fail;
	}
	path = xasprintf("%s%s", TZ_DIR, tzid);
	if (hp_read_file(path, TZ_FILE_MAX, &data, &len) != 0) {
		hp_errf(err, errlen, "unknown time zone %s", tzid);
		goto fail;
	}
	/* Version '2' and later carry the footer (RFC 8536 §3.3). */
	if (len < 44 || memcmp(data, "TZif", 4) != 0 || data[4] < '2' ||
	    data[4] > '9') {
		hp_errf(err, errlen, "%s is not a TZif file of version 2 or "
		    "later", tzid);
		goto fail;
	}
	if (tzif_last_transition((const unsigned char *)data, len,
	    &last) != 0) {
		hp_errf(err, errlen, "%s is a damaged TZif file", tzid);
		goto fail;
	}
	if (last > INT32_MAX) {
		hp_errf(err, errlen, "%s has rule changes after 2037 that its "
		    "POSIX TZ string does not describe", tzid);
		goto fail;
	}
	end = data + len - 1;
	if (*end != '\n' || (start = memrchr(data, '\n',
	    (size_t)(end - data))) == NULL || end == start + 1) {
		hp_errf(err, errlen, "%s has no POSIX TZ footer", tzid);
		goto fail;
	}
	start++;
	if ((size_t)(end - start) >= outlen ||
	    (size_t)(end - start) > ITIP_MAX_POSIX_TZ) {
		hp_errf(err, errlen, "POSIX TZ footer of %s is too long", tzid);
		goto fail;
	}
	for (const char *c = start; c < end; c++)
		if (*c < 0x21 || *c > 0x7e) {
			hp_errf(err, errlen, "POSIX TZ footer of %s is not "
			    "printable", tzid);
			goto fail;
		}
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	rc = 0;
fail:
	free(data);
	free(path);
	return rc;
}
