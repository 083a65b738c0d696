/*
 * sched: when the newsletter is due, and how long a delivery retry waits.
 * Pure (L1): "now" and the random input are parameters; no clock, no
 * randomness, no logging, no state between calls, no I/O beyond libical
 * reading the system tzdata (/usr/share/zoneinfo) for the zone.
 *
 * A schedule is an RFC 5545 RRULE (SPEC section 5; default
 * FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0) evaluated with libical in an
 * IANA zone, so BYHOUR/BYMINUTE are wall-clock times there and summer time
 * is followed.  The series starts at a fixed anchor, 2026-01-01 in the
 * zone (RFC 5545's DTSTART), so it is the same across restarts and
 * installations; the anchor decides what the rule leaves open:
 *   - INTERVAL counts from it (INTERVAL=3 monthly: Jan, Apr, Jul, Oct;
 *     INTERVAL=2 weekly: the weeks of 2026-01-01, 2026-01-15, ...);
 *   - COUNT counts from it (COUNT=3 with the default rule: the first
 *     Mondays of January, February and March 2026);
 *   - a rule without BYDAY/BYMONTHDAY takes the anchor's day (weekly:
 *     Thursdays, monthly: the 1st, yearly: 1 January), and one without
 *     BYHOUR/BYMINUTE/BYSECOND fires at 00:00:00.
 * The anchor itself is an occurrence only when the rule matches it.
 * UNTIL must be a UTC date-time (RFC 5545 3.3.10 for a DTSTART with a
 * zone) and is inclusive.
 *
 * Each occurrence is the first instant at which the zone's clock shows
 * its wall-clock time or later.  So a time that occurs twice (autumn
 * fold) means the first (02:30 CEST, not 02:30 CET; RFC 5545 3.3.5), and
 * a time that does not exist (spring gap: 02:30 on the last Sunday of
 * March in Europe/Amsterdam) happens at the end of the gap, when the
 * clock jumps past it (03:00 CEST).  RFC 5545 3.3.10 would drop such an
 * occurrence and libical would put it at 03:30; a newsletter should not
 * skip an issue, nor go out after later slots.  Times in one gap become
 * one occurrence; occurrences are strictly increasing in UTC and no
 * instant is returned twice.
 *
 * FREQ=HOURLY and FREQ=MINUTELY mean the same hours (minutes) every
 * day: INTERVAL must divide 24 (60); the phase is the smallest BYHOUR
 * (BYMINUTE), 0 when absent (FREQ=HOURLY;INTERVAL=6 is 00, 06, 12 and
 * 18 h; with BYHOUR=9 it is 09 h only); BYHOUR/BYMINUTE limit them; BYDAY,
 * BYMONTH and BYMONTHDAY pick days.  Refused: FREQ=SECONDLY, RSCALE,
 * BYWEEKNO (it crashes libical 3.0.16), BYSECOND=60, BYYEARDAY, BYSETPOS
 * or a numbered BYDAY with a sub-daily FREQ, BYSETPOS with more than one
 * time of day, and rules that could put more than SCHED_ITER_MAX/8
 * occurrences in one FREQ period.
 * Every search is bounded (SCHED_ITER_MAX steps) and ends at
 * SCHED_TIME_MAX.
 *
 * Error messages go to a caller-owned buffer (err may be NULL; English,
 * one line, without a trailing period) for check-config and the log.
 */
#ifndef HP_SCHED_H
#define HP_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest RRULE and zone name accepted. */
#define SCHED_RRULE_MAX	512
#define SCHED_TZID_MAX	64
/* Candidate times one call may look at before it gives up with -1. */
#define SCHED_ITER_MAX	100000
/* Times after 2400-01-01T00:00:00Z are out of range (inputs refused,
 * occurrences beyond it treated as the end of the series). */
#define SCHED_TIME_MAX	((time_t)13569465600)
/* Room for the longest issue label, "2027-01-04T09:00:00" and a NUL. */
#define SCHED_LABEL_MAX	20

/* Validate rrule (without an "RRULE:" prefix) and the IANA zone tzid as
 * check-config must before the daemon uses them: syntax, the limits
 * above, a zone libical knows, and at least one occurrence after the
 * anchor.  0, or -1 with the problem in err.  A rule whose days never
 * exist (BYMONTH=4;BYMONTHDAY=31) takes libical ~0.5 s to rule out, and
 * as long on every later call, so refuse it here. */
int sched_check(const char *rrule, const char *tzid, char *err,
    size_t errlen);

/* The first occurrence strictly after `after` (UTC seconds, 0 to
 * SCHED_TIME_MAX).  0 with *next set; 1 when the series has no occurrence
 * after `after` (COUNT or UNTIL reached, or beyond SCHED_TIME_MAX), *next
 * then 0; -1 with err for a bad rule, zone or time, or when the search
 * gave up after SCHED_ITER_MAX steps (a COUNT rule walks from the anchor,
 * so a dense one gives up some years on; other rules jump straight to
 * `after`). */
int sched_next(const char *rrule, const char *tzid, time_t after,
    time_t *next, char *err, size_t errlen);

/* Catch-up decision of a daemon that may have been down.  last_slot is
 * the slot of the last scheduled issue sent (0: never; then occurrences
 * at or after installed_at count, so an installation does not send for
 * slots before it existed).  The issue is due when an occurrence o lies
 * in (last_slot, now] (never sent: [installed_at, now]); the slot is the
 * latest such o, so a daemon down across several slots sends once, for
 * the most recent one.  Store the slot (UTC seconds) as the issue's
 * identity and pass it back as last_slot: the same slot is never due
 * twice.  A manual `newsletter send` is not a slot and must not move it.
 * Returns 1 due (*slot set), 0 not due, -1 with err.  *next_due (both 1
 * and 0) is the first occurrence after max(now, last_slot), or 0 when the
 * series has ended; *slot is 0 unless due.  Times from 0 to
 * SCHED_TIME_MAX; a last_slot after now (clock set back) is not due. */
int sched_due(const char *rrule, const char *tzid, time_t last_slot,
    time_t installed_at, time_t now, time_t *slot, time_t *next_due,
    char *err, size_t errlen);

/* Delay in seconds before retry number `attempts` (1 = the first retry;
 * 0 counts as 1) of a delivery that got a 4xx: d = min(base *
 * 2^(attempts-1), cap), plus jitter (d/4 + 1) * rnd / 2^32 rounded down
 * (so in [0, d/4]).
 * For a fixed rnd the result never decreases as attempts grows, and it is
 * at most cap + cap/4 (clamped to UINT_MAX).  rnd is the caller's random
 * 32 bits (getrandom). */
unsigned sched_backoff(unsigned attempts, unsigned base, unsigned cap,
    uint32_t rnd);

/* The issue label of slot in tzid: the shortest of "2027-01",
 * "2027-01-04", "2027-01-04T09:00" and "2027-01-04T09:00:05" that differs
 * from the labels of the previous and the next occurrence of rrule, so a
 * monthly schedule gets "2027-01" and a weekly one "2027-01-04", and two
 * issues of one rule never share a label.  out needs SCHED_LABEL_MAX
 * bytes (outlen smaller is an error).  0, or -1 with err (bad rule,
 * zone or time). */
int sched_issue_label(const char *rrule, const char *tzid, time_t slot,
    char *out, size_t outlen, char *err, size_t errlen);

/* The wall clock of zone tzid at instant t in *tm (tm_isdst 0) and, when
 * offset_min is not NULL, the zone's UTC offset then in minutes (for a
 * Date: header); tm_wday and tm_yday are not set.  0, or -1 for an
 * unknown zone (then UTC and offset 0). */
int sched_local_time(const char *tzid, time_t t, struct tm *tm,
    int *offset_min);
#endif
