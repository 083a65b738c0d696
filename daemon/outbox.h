/*
 * outbox: deliver what is due from the durable outbox over SMTP and record
 * each answer.  L3.  A reply is never lost: rows stay 'queued' until the
 * server accepted them (2xx) or refused them for good (5xx), or until a
 * temporary failure outlived smtp.max_age.
 *
 * Retry policy: when the server cannot be reached at all the row is due
 * again at the next run (the server was down, not the recipient); a 4xx
 * for the recipient backs off exponentially (1 min doubling, capped at
 * 1 h, with jitter).
 */
#ifndef HP_OUTBOX_H
#define HP_OUTBOX_H

#include <stddef.h>

#include "app.h"
#include "mailer.h"

struct outbox_stats {
	size_t sent, deferred, failed;
};

/* Deliver every due row.  HP_OK, or HP_RETRY when the database or the
 * SMTP server was unavailable (rows stay queued), HP_FATAL on a
 * configuration error. */
enum hp_status outbox_deliver_due(struct app *app, struct outbox_stats *stats);

/* The SMTP settings of cfg as the mailer takes them (strings borrowed
 * from cfg; EHLO name = the office's domain).  Shared with mailing, so
 * replies and mailings use one server setup. */
void outbox_mailer_config(const struct config *cfg, struct mailer_config *mc);

/* Seconds until the next try after attempts failed tries, with jitter
 * from rnd (any value); pure, exposed for tests. */
unsigned outbox_backoff(unsigned attempts, unsigned rnd);

#endif
