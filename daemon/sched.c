/*
 * sched: see sched.h.  RRULE expansion is libical's (3.0.16 on Debian 12);
 * this file chooses DTSTART, converts wall-clock occurrences to UTC the
 * RFC 5545 way, keeps every search bounded, and works around two traps
 * (notes/libraries.md section 4):
 *   - icalrecur_iterator_set_start() is wrong in 3.0.16 (it skips an
 *     occurrence later on the start's own day, and loses the INTERVAL
 *     phase of HOURLY/MINUTELY rules) and refuses COUNT rules, so it is
 *     not used.  To start near a given time we move DTSTART forward by a
 *     whole number of FREQ*INTERVAL periods instead, which leaves the
 *     series unchanged for rules without COUNT (tests/unit/test_sched.c
 *     compares this with a walk from the anchor).
 *   - libical iterates sub-daily rules one FREQ step at a time inside a
 *     single icalrecur_iterator_next() call until the day-level BY parts
 *     match, for ever when they never do (FREQ=MINUTELY;BYMONTH=2;
 *     BYMONTHDAY=30 spins; so does FREQ=HOURLY;INTERVAL=168;BYDAY=MO).
 *     Such rules are refused up front; no check of ours could interrupt it.
 * It also refuses what its parser silently gets wrong: an empty part
 * ("FREQ=MONTHLY;;BYDAY=1MO" is read as plain FREQ=MONTHLY) or an empty
 * value ("BYHOUR=" is ignored).
 */
#include "sched.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "util.h"

#define ANCHOR_YEAR	2026
#define PARTS_MAX	32
#define HALF_DAY	43200

struct rule {
	struct icalrecurrencetype r;
	icaltimezone *zone;
	struct icaltimetype anchor;	/* DTSTART, local time in zone */
	time_t anchor_utc;
};

/* A walk over the occurrences, strictly increasing in UTC. */
struct walk {
	const struct rule *rule;
	icalrecur_iterator *it;
	bool have_last;
	time_t last;
	unsigned *budget;		/* occurrences left for this call */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* A local time's fields as seconds, as if the zone were UTC. */
static int64_t
wall_seconds(struct icaltimetype t)
{
	return days_from_civil(t.year, t.month, t.day) * 86400 +
	    t.hour * 3600 + t.minute * 60 + t.second;
}

static int64_t
wall_of(time_t u, icaltimezone *zone)
{
	return wall_seconds(icaltime_from_timet_with_zone(u, 0, zone));
}

/*
 * The UTC instant of wall-clock time t in zone, per RFC 5545 3.3.5: the
 * first of two instants in an autumn fold (libical 3.0.16 picks the
 * second), and the offset from before the change for a time in a spring
 * gap.  Offsets 12 h either side stand for "before" and "after": no zone
 * changes its offset twice within 12 hours.
 */
static time_t
local_to_utc(struct icaltimetype t, icaltimezone *zone)
{
	int64_t w = wall_seconds(t);
	time_t u = icaltime_as_timet_with_zone(t, zone);
	time_t early = (time_t)(w - (wall_of(u - HALF_DAY, zone) -
	    (u - HALF_DAY)));
	time_t late = (time_t)(w - (wall_of(u + HALF_DAY, zone) -
	    (u + HALF_DAY)));

	if (wall_of(early, zone) == w)
		return early;
	if (wall_of(late, zone) == w)
		return late;
	return early;
}

static bool
has(const short *by)
{
	return by[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

/* The smallest value of a BY list, or 0 when it is absent. */
static int
by_min(const short *by, int size)
{
	int m = INT_MAX;

	for (int i = 0; i < size && by[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		if (by[i] < m)
			m = by[i];
	return m == INT_MAX ? 0 : m;
}

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}

static bool
value_char(char c)
{
	return name_char(c) || (c >= '0' && c <= '9') || c == ',' ||
	    c == '+';
}

/* The NAME=VALUE;... shape, before libical sees it (see the top). */
static int
rule_syntax(const char *s, char *err, size_t errlen)
{
	const char *part[PARTS_MAX];
	size_t nlen[PARTS_MAX], n = 0, len = strnlen(s, SCHED_RRULE_MAX + 1);
	bool freq = false;

	if (len == 0)
		return hp_errf(err, errlen, "empty schedule");
	if (len > SCHED_RRULE_MAX)
		return hp_errf(err, errlen, "schedule longer than %d bytes",
		    SCHED_RRULE_MAX);
	if (strncasecmp(s, "RRULE:", 6) == 0)
		return hp_errf(err, errlen, "write the rule without 'RRULE:'");
	for (const char *p = s;; p++) {
		const char *q = p;

		while (name_char(*q))
			q++;
		if (q == p || *q != '=' || !value_char(q[1]) || n == PARTS_MAX)
			return hp_errf(err, errlen, "'%.100s' is not an RRULE "
			    "such as FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;"
			    "BYMINUTE=0 (NAME=VALUE parts separated by ';')", s);
		for (size_t i = 0; i < n; i++)
			if (nlen[i] == (size_t)(q - p) &&
			    strncasecmp(part[i], p, nlen[i]) == 0)
				return hp_errf(err, errlen, "%.*s given twice",
				    (int)nlen[i], p);
		part[n] = p;
		nlen[n++] = (size_t)(q - p);
		freq |= q - p == 4 && strncasecmp(p, "FREQ", 4) == 0;
		for (p = q + 1; value_char(*p); p++)
			;
		if (*p == '\0')
			break;
		if (*p != ';')
			return hp_errf(err, errlen, "unexpected '%c' in "
			    "schedule '%.100s'", *p, s);
	}
	return freq ? 0 : hp_errf(err, errlen, "schedule without FREQ=");
}

/* Refuse what cannot be a newsletter schedule or could make libical spin. */
static int
rule_limits(const struct icalrecurrencetype *r, char *err, size_t errlen)
{
	bool subdaily = r->freq == ICAL_MINUTELY_RECURRENCE ||
	    r->freq == ICAL_HOURLY_RECURRENCE;

	if (r->freq == ICAL_SECONDLY_RECURRENCE)
		return hp_errf(err, errlen, "FREQ=SECONDLY is not a newsletter "
		    "schedule (use at most FREQ=MINUTELY)");
	if (r->rscale != NULL)
		return hp_errf(err, errlen, "RSCALE is not supported");
	if (subdaily && (has(r->by_day) || has(r->by_month_day) ||
	    has(r->by_year_day) || has(r->by_week_no) || has(r->by_month) ||
	    has(r->by_set_pos)))
		return hp_errf(err, errlen, "FREQ=%s takes only BYHOUR, "
		    "BYMINUTE and BYSECOND; use FREQ=DAILY or longer to pick "
		    "days", r->freq == ICAL_HOURLY_RECURRENCE ? "HOURLY" :
		    "MINUTELY");
	return 0;
}

static bool
tzid_syntax(const char *tzid)
{
	size_t len = strnlen(tzid, SCHED_TZID_MAX + 1);

	if (len == 0 || len > SCHED_TZID_MAX || tzid[0] == '/' ||
	    strstr(tzid, "..") != NULL)
		return false;
	for (const char *p = tzid; *p != '\0'; p++)
		if (!name_char(*p) && !(*p >= '0' && *p <= '9') &&
		    strchr("/_+", *p) == NULL)
			return false;
	return true;
}

static void
rule_close(struct rule *ru)
{
	/* The parser strdup()s RSCALE; it is refused, but may be set. */
	free(ru->r.rscale);
	ru->r.rscale = NULL;
}

/* Parse and check rrule and tzid into ru (rule_close() it on success). */
static int
rule_open(struct rule *ru, const char *rrule, const char *tzid, char *err,
    size_t errlen)
{
	struct icaltimetype a = icaltime_null_time();

	memset(ru, 0, sizeof(*ru));
	if (rrule == NULL || tzid == NULL)
		return hp_errf(err, errlen, "no schedule or time zone");
	if (rule_syntax(rrule, err, errlen) == -1)
		return -1;
	if (!tzid_syntax(tzid) ||
	    (ru->zone = icaltimezone_get_builtin_timezone(tzid)) == NULL)
		return hp_errf(err, errlen, "'%.80s' is not a time zone known "
		    "to libical (e.g. Europe/Amsterdam)", tzid);
	ru->r = icalrecurrencetype_from_string(rrule);
	if (ru->r.freq == ICAL_NO_RECURRENCE) {
		rule_close(ru);
		return hp_errf(err, errlen, "'%.100s' is not a valid RFC 5545 "
		    "RRULE", rrule);
	}
	if (rule_limits(&ru->r, err, errlen) == -1) {
		rule_close(ru);
		return -1;
	}
	a.year = ANCHOR_YEAR;
	a.month = a.day = 1;
	a.hour = by_min(ru->r.by_hour, ICAL_BY_HOUR_SIZE);
	a.minute = by_min(ru->r.by_minute, ICAL_BY_MINUTE_SIZE);
	a.second = by_min(ru->r.by_second, ICAL_BY_SECOND_SIZE);
	a = icaltime_normalize(a);	/* BYSECOND=60 */
	ru->anchor = icaltime_set_timezone(&a, ru->zone);
	ru->anchor_utc = local_to_utc(ru->anchor, ru->zone);
	return 0;
}

/*
 * DTSTART for a walk that must see every occurrence after `from`: the
 * anchor moved forward by whole FREQ*INTERVAL periods to at least one
 * period before from's wall-clock time.  The move is in wall-clock fields,
 * as libical steps, so phase and the anchor's day/time defaults survive.
 * COUNT counts from the anchor, so a COUNT rule always starts there.
 */
static struct icaltimetype
rule_start(const struct rule *ru, time_t from)
{
	struct icaltimetype a = ru->anchor, l;
	int64_t days, units, n;

	if (ru->r.count > 0 || from <= ru->anchor_utc)
		return a;
	l = icaltime_from_timet_with_zone(from, 0, ru->zone);
	days = days_from_civil(l.year, l.month, l.day) -
	    days_from_civil(a.year, a.month, a.day);
	switch (ru->r.freq) {
	case ICAL_YEARLY_RECURRENCE:	units = l.year - a.year; break;
	case ICAL_MONTHLY_RECURRENCE:
		units = (int64_t)(l.year - a.year) * 12 + l.month - a.month;
		break;
	case ICAL_WEEKLY_RECURRENCE:	units = days / 7; break;
	case ICAL_DAILY_RECURRENCE:	units = days; break;
	case ICAL_HOURLY_RECURRENCE:
		units = days * 24 + l.hour - a.hour;
		break;
	default:			/* MINUTELY; rule_limits() */
		units = (days * 24 + l.hour - a.hour) * 60 + l.minute -
		    a.minute;
		break;
	}
	n = (units / ru->r.interval - 1) * ru->r.interval;
	if (n <= 0)
		return a;
	switch (ru->r.freq) {
	case ICAL_YEARLY_RECURRENCE:	a.year += (int)n; break;
	case ICAL_MONTHLY_RECURRENCE:
		a.year += (int)((a.month - 1 + n) / 12);
		a.month = (int)((a.month - 1 + n) % 12) + 1;
		break;
	case ICAL_WEEKLY_RECURRENCE:	icaltime_adjust(&a, (int)(n * 7), 0, 0, 0);
		break;
	case ICAL_DAILY_RECURRENCE:	icaltime_adjust(&a, (int)n, 0, 0, 0); break;
	case ICAL_HOURLY_RECURRENCE:
		icaltime_adjust(&a, (int)(n / 24), (int)(n % 24), 0, 0);
		break;
	default:
		icaltime_adjust(&a, (int)(n / 1440), (int)(n % 1440 / 60),
		    (int)(n % 60), 0);
		break;
	}
	return icaltime_set_timezone(&a, ru->zone);
}

static int
walk_start(struct walk *w, const struct rule *ru, time_t from,
    unsigned *budget, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->rule = ru;
	w->budget = budget;
	w->it = icalrecur_iterator_new(ru->r, rule_start(ru, from));
	if (w->it == NULL)
		return hp_errf(err, errlen, "libical refuses the rule (a "
		    "day that never exists?)");
	return 0;
}

static void
walk_end(struct walk *w)
{
	if (w->it != NULL)
		icalrecur_iterator_free(w->it);
	w->it = NULL;
}

/* The next occurrence: 0 and *out, 1 at the end of the series (or past
 * SCHED_TIME_MAX), -1 when the call's budget is spent. */
static int
walk_next(struct walk *w, time_t *out, char *err, size_t errlen)
{
	for (;;) {
		struct icaltimetype t;
		time_t u;

		if (*w->budget == 0)
			return hp_errf(err, errlen, "gave up after %d "
			    "occurrences of the schedule", SCHED_ITER_MAX);
		(*w->budget)--;
		t = icalrecur_iterator_next(w->it);
		if (icaltime_is_null_time(t))
			return 1;
		/* The zone is not reliably kept on iterator results. */
		t = icaltime_set_timezone(&t, w->rule->zone);
		u = local_to_utc(t, w->rule->zone);
		if (u > SCHED_TIME_MAX)
			return 1;
		/* Never the same instant twice (DST changes). */
		if (w->have_last && u <= w->last)
			continue;
		w->have_last = true;
		w->last = u;
		*out = u;
		return 0;
	}
}

/* The first occurrence > after: 0 and *out, 1 none, -1 error. */
static int
occ_after(const struct rule *ru, time_t after, time_t *out, unsigned *budget,
    char *err, size_t errlen)
{
	struct walk w;
	time_t u = 0;
	int rc;

	if (walk_start(&w, ru, after, budget, err, errlen) == -1)
		return -1;
	while ((rc = walk_next(&w, &u, err, errlen)) == 0 && u <= after)
		;
	walk_end(&w);
	*out = rc == 0 ? u : 0;
	return rc;
}

/* Scan (from, hi] for its latest occurrence: 0 and *out, 1 none, -1. */
static int
occ_last_scan(const struct rule *ru, time_t from, time_t hi, time_t *out,
    unsigned *budget, char *err, size_t errlen)
{
	struct walk w;
	time_t u = 0;
	bool found = false;
	int rc;

	if (walk_start(&w, ru, from, budget, err, errlen) == -1)
		return -1;
	while ((rc = walk_next(&w, &u, err, errlen)) == 0 && u <= hi) {
		if (u > from) {
			*out = u;
			found = true;
		}
	}
	walk_end(&w);
	if (rc == -1)
		return -1;
	return found ? 0 : 1;
}

/*
 * The latest occurrence in (lo, hi].  Looking back from hi in windows
 * growing 8-fold keeps a dense rule after a long downtime (or a long gap
 * since the anchor) from walking every occurrence in between.  A COUNT
 * rule walks from its anchor anyway, so it gets one window.
 */
static int
occ_last_in(const struct rule *ru, time_t lo, time_t hi, time_t *out,
    unsigned *budget, char *err, size_t errlen)
{
	static const int64_t step[] = {
		[ICAL_SECONDLY_RECURRENCE] = 1,
		[ICAL_MINUTELY_RECURRENCE] = 60,
		[ICAL_HOURLY_RECURRENCE] = 3600,
		[ICAL_DAILY_RECURRENCE] = 86400,
		[ICAL_WEEKLY_RECURRENCE] = 7 * 86400,
		[ICAL_MONTHLY_RECURRENCE] = 31 * 86400,
		[ICAL_YEARLY_RECURRENCE] = 366 * 86400,
	};
	int64_t span = step[ru->r.freq] * ru->r.interval * 2;

	for (;;) {
		time_t from = ru->r.count > 0 || hi - lo <= span ? lo :
		    (time_t)(hi - span);
		int rc = occ_last_scan(ru, from, hi, out, budget, err, errlen);

		if (rc != 1 || from == lo)
			return rc;
		span *= 8;
	}
}

static bool
time_ok(time_t t)
{
	return t >= 0 && t <= SCHED_TIME_MAX;
}

int
sched_check(const char *rrule, const char *tzid, char *err, size_t errlen)
{
	struct rule ru;
	unsigned budget = SCHED_ITER_MAX;
	time_t first;
	int rc;

	if (rule_open(&ru, rrule, tzid, err, errlen) == -1)
		return -1;
	rc = occ_after(&ru, ru.anchor_utc - 1, &first, &budget, err, errlen);
	rule_close(&ru);
	if (rc == 1)
		return hp_errf(err, errlen, "the schedule has no occurrence "
		    "after %d-01-01", ANCHOR_YEAR);
	return rc;
}

int
sched_next(const char *rrule, const char *tzid, time_t after, time_t *next,
    char *err, size_t errlen)
{
	struct rule ru;
	unsigned budget = SCHED_ITER_MAX;
	int rc;

	*next = 0;
	if (!time_ok(after))
		return hp_errf(err, errlen, "time %lld out of range",
		    (long long)after);
	if (rule_open(&ru, rrule, tzid, err, errlen) == -1)
		return -1;
	rc = occ_after(&ru, after, next, &budget, err, errlen);
	rule_close(&ru);
	return rc;
}

int
sched_due(const char *rrule, const char *tzid, time_t last_slot,
    time_t installed_at, time_t now, time_t *slot, time_t *next_due,
    char *err, size_t errlen)
{
	struct rule ru;
	unsigned budget = SCHED_ITER_MAX;
	time_t lo = last_slot != 0 ? last_slot : installed_at - 1;
	int rc = 1;

	*slot = *next_due = 0;
	if (!time_ok(last_slot) || !time_ok(installed_at) || !time_ok(now))
		return hp_errf(err, errlen, "time out of range");
	if (rule_open(&ru, rrule, tzid, err, errlen) == -1)
		return -1;
	if (lo < now)
		rc = occ_last_in(&ru, lo, now, slot, &budget, err, errlen);
	if (rc != -1 && occ_after(&ru, lo > now ? lo : now, next_due, &budget,
	    err, errlen) == -1)
		rc = -1;
	rule_close(&ru);
	if (rc == -1) {
		*slot = *next_due = 0;
		return -1;
	}
	return rc == 0 ? 1 : 0;
}

unsigned
sched_backoff(unsigned attempts, unsigned base, unsigned cap, uint32_t rnd)
{
	uint64_t d = base, total;

	if (attempts == 0)
		attempts = 1;
	/* base < 2^32, so 31 doublings reach 2^63 at most: no overflow. */
	for (unsigned i = 1; i < attempts && d < cap && i < 32; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Scaled, not rnd % (d/4 + 1): that would not grow with d. */
	total = d + (((d / 4 + 1) * (uint64_t)rnd) >> 32);
	return total > UINT_MAX ? UINT_MAX : (unsigned)total;
}

static void
label_at(time_t u, icaltimezone *zone, int level, char *out, size_t outlen)
{
	struct icaltimetype l = icaltime_from_timet_with_zone(u, 0, zone);

	switch (level) {
	case 0:
		snprintf(out, outlen, "%04d-%02d", l.year, l.month);
		break;
	case 1:
		snprintf(out, outlen, "%04d-%02d-%02d", l.year, l.month, l.day);
		break;
	case 2:
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d", l.year,
		    l.month, l.day, l.hour, l.minute);
		break;
	default:
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d", l.year,
		    l.month, l.day, l.hour, l.minute, l.second);
		break;
	}
}

int
sched_issue_label(const char *rrule, const char *tzid, time_t slot,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct rule ru;
	unsigned budget = SCHED_ITER_MAX;
	time_t prev = 0, next = 0;
	char a[SCHED_LABEL_MAX], b[SCHED_LABEL_MAX];
	int rp, rn = -1, level;

	if (out == NULL || outlen < SCHED_LABEL_MAX || !time_ok(slot))
		return hp_errf(err, errlen, "bad label buffer or time");
	out[0] = '\0';
	if (rule_open(&ru, rrule, tzid, err, errlen) == -1)
		return -1;
	rp = occ_last_in(&ru, -1, slot - 1, &prev, &budget, err, errlen);
	if (rp != -1)
		rn = occ_after(&ru, slot, &next, &budget, err, errlen);
	if (rp == -1 || rn == -1) {
		rule_close(&ru);
		return -1;
	}
	for (level = 0; level < 3; level++) {
		label_at(slot, ru.zone, level, out, outlen);
		label_at(prev, ru.zone, level, a, sizeof(a));
		label_at(next, ru.zone, level, b, sizeof(b));
		if ((rp == 1 || strcmp(out, a) != 0) &&
		    (rn == 1 || strcmp(out, b) != 0))
			break;
	}
	label_at(slot, ru.zone, level, out, outlen);
	rule_close(&ru);
	return 0;
}
