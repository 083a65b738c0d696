/* mailing_policy: see mailing_policy.h. */
#include "mailing_policy.h"

#include <string.h>

#include "sched.h"

#define BACKOFF_BASE_S	60
#define BACKOFF_CAP_S	3600

void
mailing_policy_rate_init(struct mailing_rate *r, unsigned per_minute,
    unsigned burst)
{
	if (per_minute == 0)
		per_minute = 1;
	if (burst == 0)
		burst = 1;
	r->interval_us = 60000000u / per_minute;
	if (r->interval_us == 0)
		r->interval_us = 1;
	r->tolerance_us = (uint64_t)(burst - 1) * r->interval_us;
	r->tat_us = 0;
}

uint64_t
mailing_policy_rate_wait(const struct mailing_rate *r, uint64_t now_us)
{
	if (r->tat_us <= r->tolerance_us)
		return 0;
	uint64_t allowed = r->tat_us - r->tolerance_us;
	return now_us >= allowed ? 0 : allowed - now_us;
}

void
mailing_policy_rate_take(struct mailing_rate *r, uint64_t now_us)
{
	/* An idle pause refills the burst, never more than the burst. */
	r->tat_us = (r->tat_us > now_us ? r->tat_us : now_us) + r->interval_us;
}

void
mailing_policy_outcome(const struct mailer_result *res, int attempts,
    time_t created_at, time_t now, uint64_t max_age, uint32_t rnd,
    struct mailing_outcome *out)
{
	unsigned retry = attempts < 0 ? 1 : (unsigned)attempts + 1;

	memset(out, 0, sizeof(*out));
	out->record = true;
	switch (res->verdict) {
	case MAILER_SENT:
		out->state = STORE_DLV_SENT;
		return;
	case MAILER_PERMFAIL:
		out->state = STORE_DLV_FAILED;
		out->bounce = res->smtp_code >= 500 && res->smtp_code <= 599;
		return;
	case MAILER_TEMPFAIL:
		break;
	}
	if (res->smtp_code == 0) {
		out->record = false;
		out->state = STORE_DLV_QUEUED;
		return;
	}
	if (now > created_at && (uint64_t)(now - created_at) > max_age) {
		out->state = STORE_DLV_FAILED;
		return;
	}
	out->state = STORE_DLV_QUEUED;
	out->next_attempt = now + sched_backoff(retry, BACKOFF_BASE_S,
	    BACKOFF_CAP_S, rnd);
}
