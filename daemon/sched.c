/*
 * sched: see sched.h.  libical (3.0.16 on Debian 12) expands the rule's
 * days; this file adds the times of day, COUNT and UNTIL itself, chooses
 * DTSTART, converts wall-clock times to UTC the RFC 5545 way and keeps
 * every search bounded.  Why not leave it all to libical (the traps are
 * in notes/libraries.md section 4 and test_sched.c):
 *   - icalrecur_iterator_set_start() is wrong in 3.0.16 (it skips an
 *     occurrence later on the start's own day and loses the INTERVAL
 *     phase of sub-daily rules) and refuses COUNT rules.  To start near a
 *     given time we move DTSTART forward by whole FREQ*INTERVAL periods
 *     instead, which leaves the days of a rule without COUNT unchanged.
 *   - one icalrecur_iterator_next() call loops until the day-level BY
 *     parts match, up to the year 2582 when they never do, one candidate
 *     per time of day: FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30 took 450 s
 *     under ASan.  Fed days only, a never-matching rule costs < 1 s, and
 *     sched_check() reports it.  Sub-daily FREQ steps inside libical even
 *     spin for ever (FREQ=HOURLY;INTERVAL=168;BYDAY=MO), and keep a phase
 *     moved by a spring gap for ever after; so HOURLY/MINUTELY become the
 *     equivalent FREQ=DAILY rule with a list of times (rule_times()).
 *   - its parser silently misreads an empty part ("FREQ=MONTHLY;;BYDAY=1MO"
 *     is plain FREQ=MONTHLY) and ignores an empty value ("BYHOUR="), so
 *     rule_syntax() refuses both first.
 *   - for a wall-clock time that occurs twice it returns the later
 *     instant; RFC 5545 wants the first.  Its time in a spring gap is the
 *     offset-before reading (02:30 -> 03:30 CEST), which can overtake real
 *     times after the gap; local_to_utc() takes the end of the gap.
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
#define SKIP_MARGIN	(3 * 3600)

/*
 * A parsed schedule.  r keeps only what picks days (FREQ >= DAILY,
 * INTERVAL, BYDAY, BYMONTHDAY, BYYEARDAY, BYMONTH, BYSETPOS, WKST); the
 * times of day, COUNT and UNTIL are applied by walk_next().
 */
struct rule {
	struct icalrecurrencetype r;
	icaltimezone *zone;
	struct icaltimetype anchor;	/* DTSTART: 2026-01-01 12:00 local */
	time_t anchor_utc;		/* 2026-01-01 00:00 local */
	int count;			/* COUNT, or 0 */
	time_t until;			/* UNTIL, or SCHED_TIME_MAX */
	unsigned char hour[24], minute[60], second[60];	/* ascending */
	int nhour, nminute, nsecond;
};

/* The occurrences from a DTSTART, strictly increasing in UTC. */
struct walk {
	const struct rule *rule;
	icalrecur_iterator *it;
	struct icaltimetype day;	/* the day being expanded */
	int64_t day_wall;		/* its 00:00 as wall_seconds() */
	int h, m, s;			/* its next time of day */
	int64_t skip_wall;		/* pass over candidates before it */
	bool have_day, have_last;
	time_t last;
	int emitted;			/* for COUNT, from the anchor */
	unsigned *budget;		/* candidates left for this call */
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
 * The UTC instant of wall-clock time t in zone: the first instant at
 * which the zone's clock shows t or later.  Mostly the one instant that
 * shows t; in an autumn fold the first of two (RFC 5545 3.3.5; libical
 * 3.0.16 picks the second); in a spring gap the end of the gap, where
 * the clock jumps past t.  This is monotonic in t, so a walk in
 * wall-clock order stays in time order, and times in one gap become one
 * instant.  Offsets 12 h either side stand for "before" and "after": no
 * zone changes its offset twice within 12 hours.
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
	time_t a = early < late ? early : late, b = early < late ? late : early;

	if (wall_of(a, zone) == w)
		return a;
	if (wall_of(b, zone) == w)
		return b;
	if (wall_of(a, zone) > w || wall_of(b, zone) < w)
		return u;		/* not a gap after all: trust libical */
	while (b - a > 1) {
		time_t m = a + (b - a) / 2;

		if (wall_of(m, zone) >= w)
			b = m;
		else
			a = m;
	}
	return b;
}

static bool
has(const short *by)
{
	return by[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

/* All of it: libical 3.0.16 still slows down by the old entries' count
 * when only the first is reset. */
static void
by_clear(short *by, int size)
{
	for (int i = 0; i < size; i++)
		by[i] = ICAL_RECURRENCE_ARRAY_MAX;
}

/*
 * The values of a BY list (size entries at most) in [0, max), ascending
 * and without repeats, into out.  step 0: an absent list stands for {0},
 * the anchor's hour, minute or second.  step > 0 (a sub-daily INTERVAL
 * at its own level): only values in the phase of the smallest listed one
 * (0 when the list is absent), and all of them when it is absent.
 */
static int
by_set(const short *by, int size, int max, int step, unsigned char *out)
{
	bool in[61] = { false }, any = false;
	int n = 0, phase = 0;

	for (int i = 0; i < size && by[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		if (by[i] < 0 || by[i] >= max)
			continue;
		if (!any || by[i] < phase)
			phase = by[i];
		in[by[i]] = any = true;
	}
	if (!any && step == 0) {
		out[0] = 0;
		return 1;
	}
	for (int v = 0; v < max; v++)
		if ((!any || in[v]) && (step == 0 || v % step == phase % step))
			out[n++] = (unsigned char)v;
	return n;
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
	/* Only these characters, so that messages may quote s. */
	for (size_t i = 0; i < len; i++)
		if (!value_char(s[i]) && s[i] != ';' && s[i] != '=')
			return hp_errf(err, errlen, "unexpected character "
			    "0x%02x at offset %zu of the schedule",
			    (unsigned char)s[i], i);
	for (const char *p = s;; p++) {
		const char *q = p;

		while (name_char(*q))
			q++;
		if (q == p || *q != '=' || !value_char(q[1]) || n == PARTS_MAX)
			return hp_errf(err, errlen, "'%.100s' is not an RRULE "
			    "such as FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;"
			    "BYMINUTE=0 (NAME=VALUE parts separated by ';')",
			    s);
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
			return hp_errf(err, errlen, "'%.100s' is not an RRULE: "
			    "'%c' in a value", s, *p);
	}
	return freq ? 0 : hp_errf(err, errlen, "schedule without FREQ=");
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

/* Refuse what cannot be a newsletter schedule or what the day/time split
 * (see the top) cannot express. */
static int
rule_limits(const struct icalrecurrencetype *r, char *err, size_t errlen)
{
	bool hourly = r->freq == ICAL_HOURLY_RECURRENCE;
	bool ordinal = false;
	const char *f = hourly ? "HOURLY" : "MINUTELY";

	if (r->freq == ICAL_SECONDLY_RECURRENCE)
		return hp_errf(err, errlen, "FREQ=SECONDLY is not a newsletter "
		    "schedule (use at most FREQ=MINUTELY)");
	if (r->rscale != NULL)
		return hp_errf(err, errlen, "RSCALE is not supported");
	/* FREQ=YEARLY;BYWEEKNO=-53 crashes libical 3.0.16 (SIGSEGV in
	 * icalrecur_iterator_new), and week 53 comes out misordered. */
	if (has(r->by_week_no))
		return hp_errf(err, errlen, "BYWEEKNO is not supported");
	if (!icaltime_is_null_time(r->until) && (r->until.is_date ||
	    !icaltime_is_utc(r->until)))
		return hp_errf(err, errlen, "UNTIL must be a UTC date-time "
		    "such as 20271231T230000Z (RFC 5545 3.3.10)");
	for (int i = 0; i < ICAL_BY_SECOND_SIZE &&
	    r->by_second[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		if (r->by_second[i] == 60)
			return hp_errf(err, errlen, "BYSECOND=60 (a leap "
			    "second) is not supported");
	if (!hourly && r->freq != ICAL_MINUTELY_RECURRENCE)
		return 0;
	for (int i = 0; i < ICAL_BY_DAY_SIZE &&
	    r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
		ordinal |= icalrecurrencetype_day_position(r->by_day[i]) != 0;
	if (ordinal || has(r->by_year_day) || has(r->by_set_pos))
		return hp_errf(err, errlen, "FREQ=%s takes no BYYEARDAY, "
		    "BYSETPOS or numbered BYDAY; use FREQ=DAILY or longer", f);
	if ((hourly ? 24 : 60) % r->interval != 0)
		return hp_errf(err, errlen, "FREQ=%s needs an INTERVAL that "
		    "divides %s", f, hourly ?
		    "a day (1, 2, 3, 4, 6, 8, 12 or 24)" :
		    "an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)");
	return 0;
}

/*
 * Move the times of day out of r into ru's lists.  FREQ=HOURLY/MINUTELY
 * becomes FREQ=DAILY with the hours (minutes) that INTERVAL reaches from
 * the smallest BYHOUR (BYMINUTE), the same every day as INTERVAL divides
 * the day (hour).  BYSETPOS picks among a period's occurrences, so with
 * the times taken out it must not have more than one per day.
 */
static int
rule_times(struct rule *ru, char *err, size_t errlen)
{
	struct icalrecurrencetype *r = &ru->r;
	int hstep = 0, mstep = 0;

	if (r->freq == ICAL_HOURLY_RECURRENCE)
		hstep = r->interval;
	if (r->freq == ICAL_MINUTELY_RECURRENCE) {
		hstep = 1;
		mstep = r->interval;
	}
	ru->nhour = by_set(r->by_hour, ICAL_BY_HOUR_SIZE, 24, hstep, ru->hour);
	ru->nminute = by_set(r->by_minute, ICAL_BY_MINUTE_SIZE, 60, mstep,
	    ru->minute);
	ru->nsecond = by_set(r->by_second, ICAL_BY_SECOND_SIZE, 60, 0,
	    ru->second);
	by_clear(r->by_hour, ICAL_BY_HOUR_SIZE);
	by_clear(r->by_minute, ICAL_BY_MINUTE_SIZE);
	by_clear(r->by_second, ICAL_BY_SECOND_SIZE);
	if (hstep != 0) {
		r->freq = ICAL_DAILY_RECURRENCE;
		r->interval = 1;
	}
	if (has(r->by_set_pos) && ru->nhour * ru->nminute * ru->nsecond > 1)
		return hp_errf(err, errlen, "BYSETPOS works only with a single "
		    "time of day");
	return 0;
}

/* Candidates one FREQ period can hold at most: a walk sees up to two
 * periods (and a window scan a few), which must fit in SCHED_ITER_MAX. */
static long
rule_density(const struct rule *ru)
{
	const struct icalrecurrencetype *r = &ru->r;
	long days;
	bool dayparts = has(r->by_day) || has(r->by_month_day) ||
	    has(r->by_year_day);

	switch (r->freq) {
	case ICAL_DAILY_RECURRENCE:	days = 1; break;
	case ICAL_WEEKLY_RECURRENCE:	days = has(r->by_day) ? 7 : 1; break;
	case ICAL_MONTHLY_RECURRENCE:	days = dayparts ? 31 : 1; break;
	default:
		days = dayparts ? 366 : has(r->by_month) ? 12 : 1;
		break;
	}
	return days * ru->nhour * ru->nminute * ru->nsecond;
}

static void
rule_close(struct rule *ru)
{
	/* The parser strdup()s RSCALE; it is refused, but may be set. */
	free(ru->r.rscale);
	ru->r.rscale = NULL;
}

/* DTSTART at noon: no zone has a daylight-saving change then, and only
 * the date of what libical returns is used. */
static void
rule_anchor(struct rule *ru)
{
	struct icaltimetype a = icaltime_null_time();

	a.year = ANCHOR_YEAR;
	a.month = a.day = 1;
	ru->anchor_utc = local_to_utc(icaltime_set_timezone(&a, ru->zone),
	    ru->zone);
	a.hour = 12;
	ru->anchor = icaltime_set_timezone(&a, ru->zone);
	ru->count = ru->r.count;
	ru->until = icaltime_is_null_time(ru->r.until) ? SCHED_TIME_MAX :
	    icaltime_as_timet_with_zone(ru->r.until,
	    icaltimezone_get_utc_timezone());
	ru->r.count = 0;
	ru->r.until = icaltime_null_time();
}

/* Parse and check rrule and tzid into ru (rule_close() it on success). */
static int
rule_open(struct rule *ru, const char *rrule, const char *tzid, char *err,
    size_t errlen)
{
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
	if (ru->r.freq == ICAL_NO_RECURRENCE)
		return hp_errf(err, errlen, "'%.100s' is not a valid RFC 5545 "
		    "RRULE", rrule);
	if (rule_limits(&ru->r, err, errlen) == -1 ||
	    rule_times(ru, err, errlen) == -1)
		goto fail;
	if (rule_density(ru) > SCHED_ITER_MAX / 8) {
		hp_errf(err, errlen, "the rule can have %ld occurrences in one "
		    "FREQ period; at most %d are supported", rule_density(ru),
		    SCHED_ITER_MAX / 8);
		goto fail;
	}
	rule_anchor(ru);
	return 0;
fail:
	rule_close(ru);
	return -1;
}

/*
 * DTSTART for a walk that must see every occurrence after `from`: the
 * anchor moved forward by whole FREQ*INTERVAL periods to a day at least
 * one period before from's local day, so INTERVAL's phase, the weekday
 * and the day of the month (the 1st) are kept.  COUNT counts from the
 * anchor, so a COUNT rule always starts there.
 */
static struct icaltimetype
rule_start(const struct rule *ru, time_t from)
{
	struct icaltimetype a = ru->anchor, l;
	int64_t days, units, n;

	if (ru->count > 0 || from <= ru->anchor_utc)
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
	default:			units = days; break;
	}
	n = (units / ru->r.interval - 1) * ru->r.interval;
	if (n <= 0)
		return a;
	switch (ru->r.freq) {
	case ICAL_YEARLY_RECURRENCE:
		a.year += (int)n;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		a.year += (int)((a.month - 1 + n) / 12);
		a.month = (int)((a.month - 1 + n) % 12) + 1;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		icaltime_adjust(&a, (int)(n * 7), 0, 0, 0);
		break;
	default:
		icaltime_adjust(&a, (int)n, 0, 0, 0);
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
	/* local_to_utc() is monotonic, so a time earlier in wall-clock time
	 * than from's is not after from; the margin is for zone data that
	 * breaks its 12-hour assumption.  COUNT must see every occurrence. */
	w->skip_wall = ru->count > 0 ? INT64_MIN :
	    wall_of(from, ru->zone) - SKIP_MARGIN;
	w->it = icalrecur_iterator_new(ru->r, rule_start(ru, from));
	if (w->it == NULL)
		return hp_errf(err, errlen, "libical refuses the rule (a day "
		    "that never exists?)");
	return 0;
}

static void
walk_end(struct walk *w)
{
	if (w->it != NULL)
		icalrecur_iterator_free(w->it);
	w->it = NULL;
}

/* The day being expanded, from libical: 0, 1 at the end, -1. */
static int
walk_day(struct walk *w, char *err, size_t errlen)
{
	if (*w->budget == 0)
		return hp_errf(err, errlen, "gave up after %d steps through "
		    "the schedule", SCHED_ITER_MAX);
	(*w->budget)--;
	w->day = icalrecur_iterator_next(w->it);
	if (icaltime_is_null_time(w->day))
		return 1;
	w->have_day = true;
	w->h = w->m = w->s = 0;
	w->day_wall = days_from_civil(w->day.year, w->day.month, w->day.day) *
	    86400;
	/* A whole day before skip_wall: nothing in it to convert. */
	if (w->day_wall + 86399 < w->skip_wall)
		w->h = w->rule->nhour;
	return 0;
}

/*
 * The next candidate: the next time of day, or the first of the next
 * day.  Candidates earlier than skip_wall in wall-clock time cannot be
 * after the walk's start and are passed over without a conversion, which
 * keeps a walk through a dense rule's first period cheap.  0 and *t
 * (local), 1 when libical has no more days, -1.
 */
static int
walk_candidate(struct walk *w, struct icaltimetype *t, char *err,
    size_t errlen)
{
	const struct rule *ru = w->rule;
	int rc;

	for (;;) {
		int64_t wall;

		if ((!w->have_day || w->h == ru->nhour) &&
		    (rc = walk_day(w, err, errlen)) != 0)
			return rc;
		if (w->h == ru->nhour)
			continue;
		*t = icaltime_null_time();
		t->year = w->day.year;
		t->month = w->day.month;
		t->day = w->day.day;
		t->hour = ru->hour[w->h];
		t->minute = ru->minute[w->m];
		t->second = ru->second[w->s];
		wall = w->day_wall + t->hour * 3600 + t->minute * 60 +
		    t->second;
		if (++w->s == ru->nsecond) {
			w->s = 0;
			if (++w->m == ru->nminute) {
				w->m = 0;
				w->h++;
			}
		}
		if (wall < w->skip_wall)
			continue;
		if (*w->budget == 0)
			return hp_errf(err, errlen, "gave up after %d steps "
			    "through the schedule", SCHED_ITER_MAX);
		(*w->budget)--;
		return 0;
	}
}

/* The next occurrence: 0 and *out, 1 at the end of the series (COUNT,
 * UNTIL, no more days, past SCHED_TIME_MAX), -1 when the call's budget is
 * spent. */
static int
walk_next(struct walk *w, time_t *out, char *err, size_t errlen)
{
	const struct rule *ru = w->rule;
	struct icaltimetype t;
	time_t u;
	int rc;

	for (;;) {
		if (ru->count > 0 && w->emitted == ru->count)
			return 1;
		if ((rc = walk_candidate(w, &t, err, errlen)) != 0)
			return rc;
		u = local_to_utc(icaltime_set_timezone(&t, ru->zone), ru->zone);
		if (u > ru->until || u > SCHED_TIME_MAX)
			return 1;
		/* Times in one gap share an instant: never one twice. */
		if (w->have_last && u <= w->last)
			continue;
		w->have_last = true;
		w->last = u;
		w->emitted++;
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

	*out = 0;
	if (after >= ru->until)
		return 1;
	if (walk_start(&w, ru, after, budget, err, errlen) == -1)
		return -1;
	while ((rc = walk_next(&w, &u, err, errlen)) == 0 && u <= after)
		;
	walk_end(&w);
	*out = rc == 0 ? u : 0;
	return rc;
}

/*
 * The latest occurrence in (lo, hi]: 0 and *out, 1 none, -1.  Found by
 * bisecting time with occ_after(), which costs little wherever it starts
 * (but for a COUNT rule), so neither a long downtime nor a dense rule
 * makes a long walk.
 */
static int
occ_last_in(const struct rule *ru, time_t lo, time_t hi, time_t *out,
    unsigned *budget, char *err, size_t errlen)
{
	time_t x, y;
	int rc;

	*out = 0;
	if (hi > ru->until)
		hi = ru->until;
	if (hi <= lo)
		return 1;
	if ((rc = occ_after(ru, lo, &x, budget, err, errlen)) != 0)
		return rc;
	if (x > hi)
		return 1;
	/* x is an occurrence <= hi, and the latest lies in [x, hi]. */
	while (x < hi) {
		time_t mid = x + (hi - x) / 2;

		if ((rc = occ_after(ru, mid, &y, budget, err, errlen)) == -1)
			return -1;
		if (rc == 0 && y <= hi)
			x = y;
		else
			hi = mid;
	}
	*out = x;
	return 0;
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

/* slot's label at a level: 0 month, 1 day, 2 minute, 3 second. */
static void
label_at(time_t u, icaltimezone *zone, int level, char *out, size_t outlen)
{
	struct icaltimetype l = icaltime_from_timet_with_zone(u, 0, zone);
	int n = snprintf(out, outlen, "%04d-%02d", l.year, l.month);

	if (level >= 1)
		n += snprintf(out + n, outlen - (size_t)n, "-%02d", l.day);
	if (level >= 2)
		n += snprintf(out + n, outlen - (size_t)n, "T%02d:%02d", l.hour,
		    l.minute);
	if (level >= 3)
		snprintf(out + n, outlen - (size_t)n, ":%02d", l.second);
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

int
sched_local_time(const char *tzid, time_t t, struct tm *tm, int *offset_min)
{
	icaltimezone *zone = tzid ? icaltimezone_get_builtin_timezone(tzid) : NULL;
	struct icaltimetype lt;

	memset(tm, 0, sizeof(*tm));
	if (zone == NULL) {
		gmtime_r(&t, tm);
		if (offset_min)
			*offset_min = 0;
		return -1;
	}
	lt = icaltime_from_timet_with_zone(t, 0, zone);
	tm->tm_year = lt.year - 1900;
	tm->tm_mon = lt.month - 1;
	tm->tm_mday = lt.day;
	tm->tm_hour = lt.hour;
	tm->tm_min = lt.minute;
	tm->tm_sec = lt.second;
	/* The wall clock read as UTC, minus the instant: the zone's offset. */
	if (offset_min)
		*offset_min = (int)((timegm(tm) - t) / 60);
	return 0;
}
