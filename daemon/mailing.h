/*
 * mailing: deliver the copies of every mailing that is being sent (SPEC
 * §6).  L3 service over the store's delivery rows and the mailer's
 * parallel pool (libcurl multi): `concurrency` SMTP connections, each
 * reused for many messages, all together within `rate` messages per
 * minute.  Recipients are read in pages by id and each copy is built
 * just before it is sent and freed when the server answered, so memory
 * does not grow with the list.
 *
 * Per copy: 2xx sent; 4xx queued again with sched_backoff (1 min
 * doubling, capped at 1 h, jitter) until smtp.max_age after the mailing
 * was created, then failed; 5xx failed, and judged as a bounce
 * (bounce_record: a rejection that blames us does not count against the
 * subscriber).  The envelope sender is the VERP form of [office]
 * bounce_address for the recipient (dsn_verp_encode), or the plain base
 * when the address has no VERP form.  Each answer is written to the
 * database before the next copy of that connection starts, so a kill -9
 * re-sends at most the copies in flight.
 *
 * Progress goes to the log and, under systemd, to STATUS= ("sending
 * newsletter 2027-01: 4512/10000").
 */
#ifndef HP_MAILING_H
#define HP_MAILING_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "app.h"

struct mailing_stats {
	size_t sent, deferred, failed, skipped;
};

/* Deliver every due copy of every mailing in state "sending" and mark
 * finished mailings done.  Returns when nothing more is due now, or
 * early (after the copies in flight are answered) once stop() returns
 * true; stop is asked about once a second and may be NULL.  HP_OK; HP_RETRY when the SMTP server
 * could not be reached or the database was busy (rows stay queued);
 * HP_FATAL on a configuration error. */
enum hp_status mailing_deliver_due(struct app *app,
    bool (*stop)(void), struct mailing_stats *stats);

#endif
