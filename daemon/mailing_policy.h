/*
 * mailing_policy: the pure decisions of the mailing service (mailing.c),
 * split off so they are tested without servers or a clock: when the next
 * copy may start (the rate limit) and what the server's answer does to a
 * delivery row.  No I/O, clock, randomness, globals or logging: times and
 * random bits are parameters.
 */
#ifndef HP_MAILING_POLICY_H
#define HP_MAILING_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "mailer.h"
#include "store.h"

/*
 * The rate limit: `rate` starts per minute over all connections, spaced
 * 60/rate s apart, with bursts of up to `burst` (the concurrency) after a
 * pause.  A generic cell rate algorithm: a start at t is allowed when
 * t >= tat - (burst - 1) * interval; each start moves tat to
 * max(tat, t) + interval.  Times are microseconds of any monotonic clock.
 */
struct mailing_rate {
	uint64_t interval_us;	/* 60 s / rate */
	uint64_t tolerance_us;	/* (burst - 1) * interval */
	uint64_t tat_us;	/* theoretical arrival time of the next start */
};

/* Set up r for per_minute starts a minute (0 counts as 1) in bursts of
 * at most burst (0 counts as 1); the first burst may start at once. */
void mailing_policy_rate_init(struct mailing_rate *r, unsigned per_minute,
    unsigned burst);

/* Microseconds from now_us until the next start is allowed; 0 = now. */
uint64_t mailing_policy_rate_wait(const struct mailing_rate *r,
    uint64_t now_us);

/* Count a start at now_us (the caller checked rate_wait was 0). */
void mailing_policy_rate_take(struct mailing_rate *r, uint64_t now_us);

/* What to do with a delivery row after an answer. */
struct mailing_outcome {
	bool record;		/* false: no answer at all (server unreachable):
				 * leave the row untouched and stop the round */
	enum store_dlv_state state;	/* SENT, QUEUED (retry) or FAILED */
	time_t next_attempt;	/* for QUEUED */
	bool bounce;		/* a 5xx refusal: judge and record it */
};

/* Decide from the mailer's result res for a delivery that had `attempts`
 * attempts before this one, of a mailing created at created_at, at now:
 *   SENT                         sent
 *   PERMFAIL                     failed; bounce when the server said 5xx
 *                                (not for a local refusal, code 0)
 *   TEMPFAIL with a reply code   queued again at now + sched_backoff(
 *                                attempts + 1, 60, 3600, rnd), or failed
 *                                once now - created_at > max_age s
 *   TEMPFAIL without a code      not recorded (connection, TLS, auth)
 */
void mailing_policy_outcome(const struct mailer_result *res, int attempts,
    time_t created_at, time_t now, uint64_t max_age, uint32_t rnd,
    struct mailing_outcome *out);

#endif
