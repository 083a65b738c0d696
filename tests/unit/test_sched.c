/*
 * Unit tests for sched: RRULE occurrences in a zone (summer time, the gap
 * and the fold), catch-up decisions, issue labels, refused rules, bounds,
 * and the retry backoff.  The figures for the default rule are the ones
 * notes/libraries.md section 4 verified with libical directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sched.h"

#define AMS		"Europe/Amsterdam"
#define DEFAULT_RULE	"FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0"

static char err[256];

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static time_t
next_of(const char *rule, const char *tz, time_t after)
{
	time_t n = -1;

	err[0] = '\0';
	assert_int_equal(sched_next(rule, tz, after, &n, err, sizeof(err)), 0);
	return n;
}

/* The n occurrences after `after`, checking they strictly increase. */
static void
chain(const char *rule, const char *tz, time_t after, time_t *out, int n)
{
	for (int i = 0; i < n; i++) {
		out[i] = next_of(rule, tz, after);
		assert_true(out[i] > after);
		after = out[i];
	}
}

static void
test_default_rule(void **state)
{
	time_t t[3];

	chain(DEFAULT_RULE, AMS, utc(2026, 11, 27, 12, 0, 0), t, 3);
	assert_int_equal(t[0], utc(2026, 12, 7, 8, 0, 0));
	assert_int_equal(t[1], utc(2027, 1, 4, 8, 0, 0));
	assert_int_equal(t[2], utc(2027, 2, 1, 8, 0, 0));
	/* 09:00 in summer time is 07:00Z. */
	chain(DEFAULT_RULE, AMS, utc(2027, 3, 1, 9, 0, 0), t, 3);
	assert_int_equal(t[0], utc(2027, 4, 5, 7, 0, 0));
	assert_int_equal(t[1], utc(2027, 5, 3, 7, 0, 0));
	assert_int_equal(t[2], utc(2027, 6, 7, 7, 0, 0));
	/* Strictly after: an occurrence is not its own successor. */
	assert_int_equal(next_of(DEFAULT_RULE, AMS, utc(2026, 12, 7, 8, 0, 0)),
	    utc(2027, 1, 4, 8, 0, 0));
	assert_int_equal(next_of(DEFAULT_RULE, AMS,
	    utc(2026, 12, 7, 7, 59, 59)), utc(2026, 12, 7, 8, 0, 0));
	/* Before the anchor: the series starts on 2026-01-01. */
	assert_int_equal(next_of(DEFAULT_RULE, AMS, 0),
	    utc(2026, 1, 5, 8, 0, 0));
	/* Case does not matter to RFC 5545. */
	assert_int_equal(next_of("freq=monthly;byday=1mo;byhour=9", AMS, 0),
	    utc(2026, 1, 5, 8, 0, 0));
	/* Other zones, and UTC itself. */
	assert_int_equal(next_of(DEFAULT_RULE, "America/New_York",
	    utc(2027, 3, 1, 0, 0, 0)), utc(2027, 3, 1, 14, 0, 0));
	assert_int_equal(next_of(DEFAULT_RULE, "UTC", utc(2027, 3, 1, 0, 0, 0)),
	    utc(2027, 3, 1, 9, 0, 0));
	assert_int_equal(next_of(DEFAULT_RULE, "Asia/Kathmandu",
	    utc(2027, 3, 1, 0, 0, 0)), utc(2027, 3, 1, 3, 15, 0));
}

static void
test_weekly_daily(void **state)
{
	time_t t[4];

	/* Tuesdays 09:30, every other week from the week of 2026-01-01. */
	chain("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=9;BYMINUTE=30", AMS,
	    utc(2026, 1, 1, 0, 0, 0), t, 3);
	assert_int_equal(t[0], utc(2026, 1, 13, 8, 30, 0));
	assert_int_equal(t[1], utc(2026, 1, 27, 8, 30, 0));
	assert_int_equal(t[2], utc(2026, 2, 10, 8, 30, 0));
	/* The phase is the anchor's, however far ahead we ask. */
	assert_int_equal(next_of("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;BYHOUR=9;"
	    "BYMINUTE=30", AMS, utc(2030, 6, 1, 0, 0, 0)),
	    utc(2030, 6, 11, 7, 30, 0));
	/* No BYDAY: the anchor's weekday (2026-01-01 is a Thursday), 00:00. */
	assert_int_equal(next_of("FREQ=WEEKLY", AMS, utc(2027, 1, 1, 0, 0, 0)),
	    utc(2027, 1, 6, 23, 0, 0));
	/* Two times a day; BYHOUR order does not matter. */
	chain("FREQ=DAILY;BYHOUR=17,9;BYMINUTE=0", AMS,
	    utc(2027, 1, 4, 12, 0, 0), t, 4);
	assert_int_equal(t[0], utc(2027, 1, 4, 16, 0, 0));
	assert_int_equal(t[1], utc(2027, 1, 5, 8, 0, 0));
	assert_int_equal(t[2], utc(2027, 1, 5, 16, 0, 0));
	assert_int_equal(t[3], utc(2027, 1, 6, 8, 0, 0));
	/* Last working day of the month at 16:00 (BYSETPOS). */
	assert_int_equal(next_of("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;"
	    "BYSETPOS=-1;BYHOUR=16", AMS, utc(2027, 1, 1, 0, 0, 0)),
	    utc(2027, 1, 29, 15, 0, 0));
	/* Quarterly from January 2026. */
	assert_int_equal(next_of("FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO;BYHOUR=9",
	    AMS, utc(2027, 1, 5, 0, 0, 0)), utc(2027, 4, 5, 7, 0, 0));
}

static void
test_count_until(void **state)
{
	time_t n = 1;
	time_t t[2];

	/* COUNT counts from the anchor: January and February 2026. */
	chain(DEFAULT_RULE ";COUNT=2", AMS, 0, t, 2);
	assert_int_equal(t[1], utc(2026, 2, 2, 8, 0, 0));
	assert_int_equal(sched_next(DEFAULT_RULE ";COUNT=2", AMS, t[1], &n,
	    err, sizeof(err)), 1);
	assert_int_equal(n, 0);
	/* UNTIL is inclusive and compared with the instant. */
	assert_int_equal(next_of(DEFAULT_RULE ";UNTIL=20260302T080000Z", AMS,
	    utc(2026, 2, 2, 8, 0, 0)), utc(2026, 3, 2, 8, 0, 0));
	assert_int_equal(sched_next(DEFAULT_RULE ";UNTIL=20260302T075959Z",
	    AMS, utc(2026, 2, 2, 8, 0, 0), &n, err, sizeof(err)), 1);
	assert_int_equal(sched_next(DEFAULT_RULE ";UNTIL=20260302T080000Z",
	    AMS, utc(2026, 3, 2, 8, 0, 0), &n, err, sizeof(err)), 1);
	/* A past series is not due, and has no next slot. */
	{
		time_t slot = 1, next = 1;

		assert_int_equal(sched_due(DEFAULT_RULE ";COUNT=2", AMS,
		    t[1], 0, utc(2027, 1, 1, 0, 0, 0), &slot, &next, err,
		    sizeof(err)), 0);
		assert_int_equal(slot, 0);
		assert_int_equal(next, 0);
	}
}

static void
expect_refused(const char *rule, const char *tz, const char *why)
{
	time_t n = 1, s = 1;
	char lab[SCHED_LABEL_MAX];

	err[0] = '\0';
	assert_int_equal(sched_check(rule, tz, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("%s: '%s' lacks '%s'", rule, err, why);
	assert_int_equal(sched_next(rule, tz, 0, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_int_equal(sched_due(rule, tz, 0, 0, utc(2027, 1, 1, 0, 0, 0),
	    &s, &n, err, sizeof(err)), -1);
	assert_int_equal(s, 0);
	assert_int_equal(sched_issue_label(rule, tz, utc(2027, 1, 1, 0, 0, 0),
	    lab, sizeof(lab), err, sizeof(err)), -1);
}

/* For rules without occurrences: the other calls answer "no more" (1),
 * and libical looks for a day up to the year 2582 (~0.5 s) when it never
 * matches, so only the check is asked. */
static void
expect_check_refused(const char *rule, const char *why)
{
	err[0] = '\0';
	assert_int_equal(sched_check(rule, AMS, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("%s: '%s' lacks '%s'", rule, err, why);
}

static void
test_invalid(void **state)
{
	char big[SCHED_RRULE_MAX + 20];

	assert_int_equal(sched_check(DEFAULT_RULE, AMS, err, sizeof(err)), 0);
	expect_refused("", AMS, "empty");
	expect_refused("FREQ=FORTNIGHTLY", AMS, "not a valid");
	expect_refused("FREQ=MONTHLY;BYDAY=1XX", AMS, "not a valid");
	expect_refused("FREQ=MONTHLY;BYHOUR=25", AMS, "not a valid");
	expect_refused("FREQ=MONTHLY;INTERVAL=0", AMS, "not a valid");
	expect_refused("FREQ=MONTHLY;COUNT=2;UNTIL=20270101T000000Z", AMS,
	    "not a valid");
	expect_refused("BYDAY=MO", AMS, "without FREQ");
	expect_refused("RRULE:" DEFAULT_RULE, AMS, "RRULE:");
	/* libical alone would read these as plain FREQ=MONTHLY. */
	expect_refused("FREQ=MONTHLY;;BYDAY=1MO", AMS, "not an RRULE");
	expect_refused("FREQ=MONTHLY;BYHOUR=", AMS, "not an RRULE");
	expect_refused(DEFAULT_RULE ";", AMS, "not an RRULE");
	expect_refused("FREQ=MONTHLY; BYDAY=1MO", AMS, "character 0x20 at "
	    "offset 13");
	expect_refused("FREQ=MONTHLY;BYDAY=1MO=2", AMS, "'=' in a value");
	expect_refused("FREQ=MONTHLY;BYDAY=1MO;BYDAY=2MO", AMS, "twice");
	expect_refused("FREQ=MONTHLY\n", AMS, "0x0a");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "FREQ=", 5);
	expect_refused(big, AMS, "longer than");
	expect_refused("FREQ=MONTHLY;RSCALE=GREGORIAN", AMS, "RSCALE");
	/* libical 3.0.16 dies of this one (SIGSEGV). */
	expect_refused("FREQ=YEARLY;BYWEEKNO=-53", AMS, "BYWEEKNO");
	expect_refused("FREQ=MONTHLY;UNTIL=20270101", AMS, "UTC date-time");
	expect_refused("FREQ=MONTHLY;UNTIL=20270101T000000", AMS,
	    "UTC date-time");
	expect_refused("FREQ=MONTHLY;BYSECOND=60", AMS, "leap");
	expect_refused("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1;BYHOUR=9,17", AMS,
	    "single time");
	/* Never matches: the check says so (libical looks up to 2582). */
	expect_check_refused("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4",
	    "no occurrence");
	expect_refused("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", AMS, "refuses");
	expect_check_refused(DEFAULT_RULE ";UNTIL=20251231T000000Z",
	    "no occurrence");
	/* Zones: unknown, a path, white space, too long. */
	expect_refused(DEFAULT_RULE, "Nowhere/Land", "not a time zone");
	expect_refused(DEFAULT_RULE, "../../etc/passwd", "not a time zone");
	expect_refused(DEFAULT_RULE, "/usr/share/zoneinfo/UTC",
	    "not a time zone");
	expect_refused(DEFAULT_RULE, "Europe/Amsterdam ", "not a time zone");
	expect_refused(DEFAULT_RULE, "", "not a time zone");
	expect_refused(DEFAULT_RULE, "Europe/Amsterdam_Europe/Amsterdam_"
	    "Europe/Amsterdam_Europe/Amsterdam", "not a time zone");
	assert_int_equal(sched_check(NULL, AMS, err, sizeof(err)), -1);
	assert_int_equal(sched_check(DEFAULT_RULE, NULL, err, sizeof(err)), -1);
	/* A NULL or empty error buffer is allowed. */
	assert_int_equal(sched_check("FREQ=NEVER", AMS, NULL, 0), -1);
	for (const char *z = "UTC\0Etc/GMT+1\0America/Sao_Paulo\0"; *z != '\0';
	    z += strlen(z) + 1)
		assert_int_equal(sched_check(DEFAULT_RULE, z, err, sizeof(err)),
		    0);
}

static void
test_times_out_of_range(void **state)
{
	time_t n = 1, s = 1;

	assert_int_equal(sched_next(DEFAULT_RULE, AMS, -1, &n, err,
	    sizeof(err)), -1);
	assert_int_equal(sched_next(DEFAULT_RULE, AMS, SCHED_TIME_MAX + 1, &n,
	    err, sizeof(err)), -1);
	assert_int_equal(sched_due(DEFAULT_RULE, AMS, 0, 0, -5, &s, &n, err,
	    sizeof(err)), -1);
	/* The series ends at the horizon. */
	assert_int_equal(sched_next("FREQ=YEARLY", "UTC", SCHED_TIME_MAX, &n,
	    err, sizeof(err)), 1);
	assert_int_equal(next_of("FREQ=YEARLY", "UTC", SCHED_TIME_MAX - 1),
	    SCHED_TIME_MAX);
}

/*
 * 02:30 on the last Sunday of March does not exist in Amsterdam: the
 * occurrence is when the clock jumps past it, 03:00 CEST (01:00Z).  In
 * the autumn fold 02:30 happens twice: the first (CEST, 00:30Z) counts.
 */
static void
test_dst_gap_and_fold(void **state)
{
	const char *daily = "FREQ=DAILY;BYHOUR=2;BYMINUTE=30";
	time_t t[3];

	chain(daily, AMS, utc(2026, 3, 27, 12, 0, 0), t, 3);
	assert_int_equal(t[0], utc(2026, 3, 28, 1, 30, 0));	/* 02:30 CET */
	assert_int_equal(t[1], utc(2026, 3, 29, 1, 0, 0));	/* 03:00 CEST */
	assert_int_equal(t[2], utc(2026, 3, 30, 0, 30, 0));	/* 02:30 CEST */
	assert_int_equal(next_of("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=2;"
	    "BYMINUTE=30", AMS, utc(2027, 1, 1, 0, 0, 0)),
	    utc(2027, 3, 28, 1, 0, 0));
	chain(daily, AMS, utc(2026, 10, 23, 12, 0, 0), t, 3);
	assert_int_equal(t[0], utc(2026, 10, 24, 0, 30, 0));
	assert_int_equal(t[1], utc(2026, 10, 25, 0, 30, 0));	/* CEST */
	assert_int_equal(t[2], utc(2026, 10, 26, 1, 30, 0));	/* CET */
	/* Asked from inside the fold, the second 02:30 is not a slot. */
	assert_int_equal(next_of(daily, AMS, utc(2026, 10, 25, 0, 45, 0)),
	    utc(2026, 10, 26, 1, 30, 0));
}

/*
 * Lord Howe Island moves its clock by 30 minutes (02:00 -> 02:30 on the
 * first Sunday of October): 02:00 and 02:20 fall in the gap and become
 * one occurrence at its end (15:30Z), and 02:40, which exists, is not
 * lost behind them.
 */
static void
test_dst_half_hour_gap(void **state)
{
	const char *rule = "FREQ=DAILY;BYHOUR=2;BYMINUTE=0,20,40";
	const char *lh = "Australia/Lord_Howe";
	time_t t[4];

	chain(rule, lh, utc(2026, 10, 2, 16, 0, 0), t, 4);
	/* 02:40 at +10:30, the gap's end, 02:40 at +11, 02:00 at +11. */
	assert_int_equal(t[0], utc(2026, 10, 2, 16, 10, 0));
	assert_int_equal(t[1], utc(2026, 10, 3, 15, 30, 0));
	assert_int_equal(t[2], utc(2026, 10, 3, 15, 40, 0));
	assert_int_equal(t[3], utc(2026, 10, 4, 15, 0, 0));
}

/* Half-hourly through both changes: no instant twice, none lost but the
 * gap's, strictly increasing, labels distinct. */
static void
test_dst_subdaily(void **state)
{
	const char *rule = "FREQ=MINUTELY;INTERVAL=30";
	static const int spring[] = { 0, 30, 60, 90, 120, 150 };
	/* 01:00, 01:30 CET; 02:00 and 02:30 fall in the gap and become
	 * its end, 03:00 CEST, which happens anyway; then 03:30 ... */
	time_t t[6], from = utc(2026, 3, 28, 23, 59, 0);
	char a[SCHED_LABEL_MAX], b[SCHED_LABEL_MAX];

	chain(rule, AMS, from, t, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(t[i], utc(2026, 3, 29, 0, 0, 0) +
		    spring[i] * 60);
	/* Autumn, hourly: 01:00, 02:00 CEST, then 03:00 CET; 02:00 CET is
	 * the same wall-clock time as before and no slot of its own. */
	chain("FREQ=HOURLY", AMS, utc(2026, 10, 24, 22, 30, 0), t, 3);
	assert_int_equal(t[0], utc(2026, 10, 24, 23, 0, 0));
	assert_int_equal(t[1], utc(2026, 10, 25, 0, 0, 0));
	assert_int_equal(t[2], utc(2026, 10, 25, 2, 0, 0));
	assert_int_equal(sched_issue_label("FREQ=HOURLY", AMS, t[1], a,
	    sizeof(a), err, sizeof(err)), 0);
	assert_int_equal(sched_issue_label("FREQ=HOURLY", AMS, t[2], b,
	    sizeof(b), err, sizeof(err)), 0);
	assert_string_equal(a, "2026-10-25T02:00");
	assert_string_equal(b, "2026-10-25T03:00");
}

static void
test_subdaily_rules(void **state)
{
	time_t t[4];

	/* INTERVAL from the smallest BYHOUR: 03, 09, 15, 21 h. */
	chain("FREQ=HOURLY;INTERVAL=6;BYHOUR=9,3", "UTC",
	    utc(2027, 1, 1, 0, 0, 0), t, 4);
	assert_int_equal(t[0], utc(2027, 1, 1, 3, 0, 0));
	assert_int_equal(t[1], utc(2027, 1, 1, 9, 0, 0));
	assert_int_equal(t[2], utc(2027, 1, 2, 3, 0, 0));
	/* Every 15 minutes in office hours on weekdays. */
	chain("FREQ=MINUTELY;INTERVAL=15;BYHOUR=9,10,11,12,13,14,15,16;"
	    "BYDAY=MO,TU,WE,TH,FR", AMS, utc(2027, 1, 1, 15, 50, 0), t, 2);
	assert_int_equal(t[0], utc(2027, 1, 4, 8, 0, 0));
	assert_int_equal(t[1], utc(2027, 1, 4, 8, 15, 0));
	/* Minutely far from the anchor: answered at once, not walked. */
	assert_int_equal(next_of("FREQ=MINUTELY", AMS,
	    utc(2099, 10, 24, 22, 30, 0)), utc(2099, 10, 24, 22, 31, 0));
	assert_int_equal(next_of("FREQ=MINUTELY;BYSECOND=15,45", AMS,
	    utc(2099, 10, 24, 22, 30, 20)), utc(2099, 10, 24, 22, 30, 45));
	/* Refused: what could spin libical or would spam. */
	expect_refused("FREQ=SECONDLY", AMS, "SECONDLY");
	expect_refused("FREQ=HOURLY;INTERVAL=168;BYDAY=MO", AMS, "divides");
	expect_refused("FREQ=MINUTELY;INTERVAL=7", AMS, "divides");
	expect_refused("FREQ=HOURLY;BYSETPOS=1", AMS, "BYSETPOS");
	expect_refused("FREQ=HOURLY;BYDAY=1MO", AMS, "numbered BYDAY");
	expect_refused("FREQ=MINUTELY;BYYEARDAY=1", AMS, "BYYEARDAY");
	/* 86400 a day: too dense to bound. */
	{
		char rule[400];
		int n = snprintf(rule, sizeof(rule), "%s",
		    "FREQ=MINUTELY;BYSECOND=0");

		for (int s = 1; s < 60; s++)
			n += snprintf(rule + n, sizeof(rule) - (size_t)n, ",%d",
			    s);
		expect_refused(rule, AMS, "occurrences in one FREQ period");
	}
	/* Never matching on the day level: a quick "no occurrence". */
	expect_check_refused("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30",
	    "no occurrence");
}

/* Bounded: a COUNT rule walks from its anchor and gives up. */
static void
test_bounded(void **state)
{
	time_t n = 1;
	const char *rule = "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,"
	    "13,14,15,16,17,18,19,20,21,22,23;COUNT=10000000";

	assert_int_equal(next_of(rule, "UTC", utc(2026, 6, 1, 0, 30, 0)),
	    utc(2026, 6, 1, 1, 0, 0));
	assert_int_equal(sched_next(rule, "UTC", utc(2040, 1, 1, 0, 30, 0),
	    &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "gave up"));
	/* Without COUNT the same rule answers at once. */
	assert_int_equal(next_of("FREQ=HOURLY", "UTC",
	    utc(2040, 1, 1, 0, 30, 0)), utc(2040, 1, 1, 1, 0, 0));
}

/*
 * Jumping ahead (the anchor moved by whole periods) must give the series
 * that a walk from the anchor gives; adding a COUNT forces the latter.
 */
static void
test_jump_matches_walk(void **state)
{
	static const char *rules[] = {
		DEFAULT_RULE,
		"FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;BYHOUR=9",
		"FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=SU,MO",
		"FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=-1;BYHOUR=17",
		"FREQ=DAILY;INTERVAL=3;BYHOUR=2;BYMINUTE=0,30",
		"FREQ=HOURLY;INTERVAL=3;BYMINUTE=0,20",
		"FREQ=MINUTELY;INTERVAL=20;BYHOUR=1,2,3",
		"FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30",
	};
	static const char *zones[] = { AMS, "America/New_York",
	    "Australia/Lord_Howe" };
	uint32_t x = 12345;
	char counted[SCHED_RRULE_MAX];

	for (size_t z = 0; z < 3; z++)
		for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
			snprintf(counted, sizeof(counted), "%s;COUNT=99999",
			    rules[r]);
			for (int k = 0; k < 12; k++) {
				time_t after;

				x = x * 1103515245u + 12345u;
				after = utc(2026, 1, 1, 0, 0, 0) +
				    (time_t)(x % (300u * 86400u));
				assert_int_equal(next_of(rules[r], zones[z],
				    after), next_of(counted, zones[z], after));
			}
		}
}

static void
due(const char *rule, time_t last, time_t inst, time_t now, int want,
    time_t want_slot, time_t want_next)
{
	time_t slot = -1, next = -1;

	err[0] = '\0';
	assert_int_equal(sched_due(rule, AMS, last, inst, now, &slot, &next,
	    err, sizeof(err)), want);
	assert_int_equal(slot, want_slot);
	assert_int_equal(next, want_next);
}

static void
test_due(void **state)
{
	time_t dec = utc(2026, 12, 7, 8, 0, 0), jan = utc(2027, 1, 4, 8, 0, 0);
	time_t feb = utc(2027, 2, 1, 8, 0, 0), mar = utc(2027, 3, 1, 8, 0, 0);
	time_t apr = utc(2027, 4, 5, 7, 0, 0);
	time_t inst = utc(2026, 11, 27, 12, 0, 0);

	/* Never sent, installed after the November slot: not due. */
	due(DEFAULT_RULE, 0, inst, inst + 60, 0, 0, dec);
	due(DEFAULT_RULE, 0, inst, dec - 1, 0, 0, dec);
	/* The first slot arrives. */
	due(DEFAULT_RULE, 0, inst, dec, 1, dec, jan);
	/* Installed at a slot's very second: that slot counts. */
	due(DEFAULT_RULE, 0, dec, dec, 1, dec, jan);
	/* Sent: the same slot is never due again. */
	due(DEFAULT_RULE, dec, inst, dec, 0, 0, jan);
	due(DEFAULT_RULE, dec, inst, dec + 3600, 0, 0, jan);
	due(DEFAULT_RULE, dec, inst, jan - 1, 0, 0, jan);
	/* Down across January, February and March: one issue, March. */
	due(DEFAULT_RULE, dec, inst, mar + 86400 * 3, 1, mar, apr);
	/* After sending it, nothing until April. */
	due(DEFAULT_RULE, mar, inst, mar + 86400 * 3, 0, 0, apr);
	due(DEFAULT_RULE, mar, inst, apr, 1, apr, utc(2027, 5, 3, 7, 0, 0));
	/* A clock set back before the last slot: not due. */
	due(DEFAULT_RULE, feb, inst, jan, 0, 0, mar);
	/* Installed long ago, never sent, down for years: the latest. */
	due(DEFAULT_RULE, 0, 0, apr + 1, 1, apr, utc(2027, 5, 3, 7, 0, 0));
	/* Dense rule, long downtime: still found at once. */
	due("FREQ=MINUTELY", 0, utc(2026, 1, 1, 0, 0, 0),
	    utc(2031, 5, 5, 5, 5, 30), 1, utc(2031, 5, 5, 5, 5, 0),
	    utc(2031, 5, 5, 5, 6, 0));
	/* Catch-up across the spring gap keeps a moved slot. */
	due("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", utc(2026, 3, 28, 1, 30, 0),
	    inst, utc(2026, 3, 29, 9, 0, 0), 1, utc(2026, 3, 29, 1, 0, 0),
	    utc(2026, 3, 30, 0, 30, 0));
}

static void
label(const char *rule, time_t slot, const char *want)
{
	char out[SCHED_LABEL_MAX];

	assert_int_equal(sched_issue_label(rule, AMS, slot, out, sizeof(out),
	    err, sizeof(err)), 0);
	assert_string_equal(out, want);
}

static void
test_labels(void **state)
{
	char small[SCHED_LABEL_MAX - 1];

	label(DEFAULT_RULE, utc(2027, 1, 4, 8, 0, 0), "2027-01");
	label(DEFAULT_RULE, utc(2026, 1, 5, 8, 0, 0), "2026-01");
	/* Local time decides: 00:30 on the 1st is 23:30Z the day before. */
	label("FREQ=MONTHLY;BYHOUR=0;BYMINUTE=30", utc(2026, 12, 31, 23, 30, 0),
	    "2027-01");
	label("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", utc(2027, 1, 4, 8, 0, 0),
	    "2027-01-04");
	label("FREQ=MONTHLY;BYDAY=1MO,3MO;BYHOUR=9", utc(2027, 1, 18, 8, 0, 0),
	    "2027-01-18");
	label("FREQ=DAILY;BYHOUR=9,17", utc(2027, 1, 4, 16, 0, 0),
	    "2027-01-04T17:00");
	label("FREQ=MINUTELY;BYSECOND=0,30", utc(2027, 1, 4, 8, 0, 30),
	    "2027-01-04T09:00:30");
	label("FREQ=YEARLY;BYMONTH=6;BYHOUR=9", utc(2027, 6, 1, 7, 0, 0),
	    "2027-06");
	assert_int_equal(sched_issue_label(DEFAULT_RULE, AMS, 0, small,
	    sizeof(small), err, sizeof(err)), -1);
}

static void
test_backoff(void **state)
{
	static const uint32_t rnds[] = { 0, 1, 12345, 0x7fffffffu,
	    0x80000000u, 0xfffffffeu, 0xffffffffu };

	assert_int_equal(sched_backoff(1, 60, 3600, 0), 60);
	assert_int_equal(sched_backoff(0, 60, 3600, 0), 60);
	assert_int_equal(sched_backoff(2, 60, 3600, 0), 120);
	assert_int_equal(sched_backoff(6, 60, 3600, 0), 1920);
	assert_int_equal(sched_backoff(7, 60, 3600, 0), 3600);
	assert_int_equal(sched_backoff(1000, 60, 3600, 0), 3600);
	assert_int_equal(sched_backoff(UINT32_MAX, 60, 3600, 0), 3600);
	/* The largest jitter is exactly a quarter. */
	assert_int_equal(sched_backoff(1, 60, 3600, 0xffffffffu), 75);
	assert_int_equal(sched_backoff(7, 60, 3600, 0xffffffffu), 4500);
	assert_int_equal(sched_backoff(3, 0, 3600, 0xffffffffu), 0);
	assert_int_equal(sched_backoff(1, 7200, 3600, 0), 3600);
	assert_int_equal(sched_backoff(40, UINT32_MAX, UINT32_MAX, 0xffffffffu),
	    UINT32_MAX);
	for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		unsigned prev = 0;

		for (unsigned a = 1; a < 40; a++) {
			unsigned d = sched_backoff(a, 60, 3600, rnds[i]);
			unsigned lo = a > 6 ? 3600 : 60u << (a - 1);

			assert_true(d >= prev);
			assert_true(d >= lo && d <= lo + lo / 4);
			prev = d;
		}
	}
	/* Jitter spreads: different rnd, different delays. */
	assert_int_not_equal(sched_backoff(5, 60, 3600, 0x40000000u),
	    sched_backoff(5, 60, 3600, 0xc0000000u));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_rule),
		cmocka_unit_test(test_weekly_daily),
		cmocka_unit_test(test_count_until),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_times_out_of_range),
		cmocka_unit_test(test_dst_gap_and_fold),
		cmocka_unit_test(test_dst_half_hour_gap),
		cmocka_unit_test(test_dst_subdaily),
		cmocka_unit_test(test_subdaily_rules),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_jump_matches_walk),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
