/*
 * Unit tests for the pure parts of mailing (mailing_policy): the rate
 * limit, simulated on a clock the test moves (no timed waits), and what
 * each kind of SMTP answer does to a delivery row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailing_policy.h"

#define SEC	UINT64_C(1000000)
#define T0	(1000 * SEC)	/* a monotonic clock is far from 0 */

/* Start as early as the limiter allows, n times from t; returns the time
 * of the last start. */
static uint64_t
start_n(struct mailing_rate *r, uint64_t t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		t += mailing_policy_rate_wait(r, t);
		assert_int_equal(mailing_policy_rate_wait(r, t), 0);
		mailing_policy_rate_take(r, t);
	}
	return t;
}

static void
test_rate_burst_then_spacing(void **state)
{
	struct mailing_rate r;

	mailing_policy_rate_init(&r, 600, 4);	/* one per 100 ms, bursts of 4 */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(mailing_policy_rate_wait(&r, T0), 0);
		mailing_policy_rate_take(&r, T0);
	}
	/* The fifth waits one interval, the sixth one more. */
	assert_int_equal(mailing_policy_rate_wait(&r, T0), 100000);
	assert_int_equal(mailing_policy_rate_wait(&r, T0 + 40000), 60000);
	mailing_policy_rate_take(&r, T0 + 100000);
	assert_int_equal(mailing_policy_rate_wait(&r, T0 + 100000), 100000);
}

static void
test_rate_long_run(void **state)
{
	struct mailing_rate r;
	uint64_t t;

	/* 601 starts at 600 a minute, bursts of 8: the burst is free, the
	 * rest are spaced, so the last starts at (601 - 8) * 100 ms. */
	mailing_policy_rate_init(&r, 600, 8);
	t = start_n(&r, T0, 601);
	assert_int_equal(t - T0, (601 - 8) * 100000);
}

static void
test_rate_pause_refills_only_the_burst(void **state)
{
	struct mailing_rate r;
	uint64_t t;

	mailing_policy_rate_init(&r, 60, 3);	/* one a second */
	t = start_n(&r, T0, 10);
	/* An hour of silence earns 3 starts at once, not 3600. */
	t += 3600 * SEC;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(mailing_policy_rate_wait(&r, t), 0);
		mailing_policy_rate_take(&r, t);
	}
	assert_int_equal(mailing_policy_rate_wait(&r, t), SEC);
}

static void
test_rate_extremes(void **state)
{
	struct mailing_rate r;

	mailing_policy_rate_init(&r, 1, 1);
	mailing_policy_rate_take(&r, T0);
	assert_int_equal(mailing_policy_rate_wait(&r, T0), 60 * SEC);
	mailing_policy_rate_init(&r, 0, 0);	/* counts as 1 and 1 */
	mailing_policy_rate_take(&r, T0);
	assert_int_equal(mailing_policy_rate_wait(&r, T0), 60 * SEC);
	mailing_policy_rate_init(&r, 100000, 64);	/* 600 us apart */
	assert_int_equal(start_n(&r, T0, 64 + 10) - T0, 10 * 600);
	/* A clock near 0 (the first burst) is fine too. */
	mailing_policy_rate_init(&r, 600, 2);
	assert_int_equal(start_n(&r, 0, 3), 100000);
}

static struct mailer_result
answer(enum mailer_verdict v, int code, const char *reply)
{
	struct mailer_result res;

	memset(&res, 0, sizeof(res));
	res.verdict = v;
	res.smtp_code = code;
	strncpy(res.reply, reply, sizeof(res.reply) - 1);
	return res;
}

#define NOW	((time_t)1800000000)
#define DAY	86400

static void
test_outcome_sent_and_refused(void **state)
{
	struct mailing_outcome o;
	struct mailer_result res = answer(MAILER_SENT, 250, "250 2.0.0 Ok");

	mailing_policy_outcome(&res, 0, NOW - 60, NOW, 3 * DAY, 0, &o);
	assert_true(o.record);
	assert_int_equal(o.state, STORE_DLV_SENT);
	assert_false(o.bounce);

	res = answer(MAILER_PERMFAIL, 550, "550 5.1.1 unknown user");
	mailing_policy_outcome(&res, 2, NOW - 60, NOW, 3 * DAY, 0, &o);
	assert_true(o.record);
	assert_int_equal(o.state, STORE_DLV_FAILED);
	assert_true(o.bounce);

	/* Refused before any network use: failed, but no server verdict. */
	res = answer(MAILER_PERMFAIL, 0, "invalid address");
	mailing_policy_outcome(&res, 0, NOW - 60, NOW, 3 * DAY, 0, &o);
	assert_int_equal(o.state, STORE_DLV_FAILED);
	assert_false(o.bounce);
}

static void
test_outcome_tempfail_backs_off(void **state)
{
	struct mailing_outcome o;
	struct mailer_result res = answer(MAILER_TEMPFAIL, 451, "451 4.3.0 later");

	mailing_policy_outcome(&res, 0, NOW - 60, NOW, 3 * DAY, 0, &o);
	assert_true(o.record);
	assert_int_equal(o.state, STORE_DLV_QUEUED);
	assert_int_equal(o.next_attempt, NOW + 60);
	assert_false(o.bounce);
	/* Third retry: 240 s plus at most a quarter of jitter. */
	mailing_policy_outcome(&res, 2, NOW - 60, NOW, 3 * DAY, UINT32_MAX, &o);
	assert_true(o.next_attempt >= NOW + 240 && o.next_attempt <= NOW + 300);
	/* Capped at an hour (+ jitter). */
	mailing_policy_outcome(&res, 40, NOW - 60, NOW, 3 * DAY, UINT32_MAX, &o);
	assert_true(o.next_attempt >= NOW + 3600 && o.next_attempt <= NOW + 4500);
	/* A 503 that survived the pool's re-sends, or a refused sender:
	 * temporary, never a verdict on the subscriber. */
	res = answer(MAILER_TEMPFAIL, 503, "503 5.5.1 nested MAIL command");
	mailing_policy_outcome(&res, 0, NOW - 60, NOW, 3 * DAY, 0, &o);
	assert_int_equal(o.state, STORE_DLV_QUEUED);
	assert_false(o.bounce);
}

static void
test_outcome_tempfail_until_max_age(void **state)
{
	struct mailing_outcome o;
	struct mailer_result res = answer(MAILER_TEMPFAIL, 421, "421 4.7.0 bye");

	mailing_policy_outcome(&res, 9, NOW - 3 * DAY, NOW, 3 * DAY, 0, &o);
	assert_int_equal(o.state, STORE_DLV_QUEUED);
	mailing_policy_outcome(&res, 9, NOW - 3 * DAY - 1, NOW, 3 * DAY, 0, &o);
	assert_true(o.record);
	assert_int_equal(o.state, STORE_DLV_FAILED);
	assert_false(o.bounce);
}

static void
test_outcome_no_answer_leaves_row(void **state)
{
	struct mailing_outcome o;
	struct mailer_result res = answer(MAILER_TEMPFAIL, 0,
	    "Failed to connect to 127.0.0.1 port 1: Connection refused");

	/* Even a mailing past max_age: the server was down, not the
	 * recipient, so nothing is decided. */
	mailing_policy_outcome(&res, 0, NOW - 30 * DAY, NOW, 3 * DAY, 0, &o);
	assert_false(o.record);
	assert_false(o.bounce);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_burst_then_spacing),
		cmocka_unit_test(test_rate_long_run),
		cmocka_unit_test(test_rate_pause_refills_only_the_burst),
		cmocka_unit_test(test_rate_extremes),
		cmocka_unit_test(test_outcome_sent_and_refused),
		cmocka_unit_test(test_outcome_tempfail_backs_off),
		cmocka_unit_test(test_outcome_tempfail_until_max_age),
		cmocka_unit_test(test_outcome_no_answer_leaves_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
