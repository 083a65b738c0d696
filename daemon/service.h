/*
 * service: the two rounds every way of running hanzepost is made of —
 * look at the mailbox (open it, make sure the folders exist, ingest) and
 * send what is due (newsletter schedule, replies, mailing copies, the
 * weekly bounce summary).  `poll --once` and `send --once` run one round
 * each; the event loop (loop.c) runs them when IMAP, a timer or a signal
 * says so.  L3: logs what it did, never exits, never sleeps.
 */
#ifndef HP_SERVICE_H
#define HP_SERVICE_H

#include <stdbool.h>
#include <time.h>

#include "app.h"
#include "inbox.h"
#include "mailing.h"
#include "outbox.h"

/* The worse of two outcomes (OK < REJECT < RETRY < FATAL). */
enum hp_status service_status_worse(enum hp_status a, enum hp_status b);

/* Open the configured mailbox and make sure its folders exist.  0 with
 * *ib set, or -1 with a reason in err and *tmpfail true when a later
 * attempt may succeed (network, server busy).  Logs nothing: the caller
 * decides how often a repeated failure is worth a line. */
int service_inbox_open(struct app *app, struct inbox **ib, bool *tmpfail,
    char *err, size_t errlen);

struct send_totals {
	struct outbox_stats os;
	struct mailing_stats ms;
	time_t next_issue;	/* the schedule's next occurrence; 0: none */
};

/* One send round, in this order: create the newsletter issue when one is
 * due, deliver replies, deliver mailing copies (asking stop() between
 * them; NULL: never stop), queue the weekly bounce summary (sent next
 * round).  Returns the worst status; errors are logged by the services. */
enum hp_status service_send_round(struct app *app, bool (*stop)(void),
    struct send_totals *t);

/* Seconds until the next send round is needed: poll_interval, or sooner
 * when the next issue or a deferred copy is due before it (at least 1). */
unsigned service_send_pause(struct app *app, const struct send_totals *t);

#endif
