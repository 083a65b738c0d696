/*
 * bounce: what a failed delivery does to a subscriber (SPEC §6).  L3
 * service.  Failures come from two places: a DSN or old-style bounce
 * arriving in the shared mailbox (ingest hands it here), and a 5xx from
 * our own SMTP server while a mailing is sent (mailing hands it here).
 * dsn judges each: hard 5.x.x scores 1, soft 4.x.x 0.5, and a rejection
 * that blames us (5.7.x policy/spam/blocklist, our size or content)
 * scores 0 and is reported to the office instead.  A subscriber whose
 * score within [limits] bounce_window reaches bounce_threshold is
 * disabled: no list mail any more.  Once a week the office gets a summary
 * of the bounces, the disabled subscribers and the rejections that
 * blamed us.
 */
#ifndef HP_BOUNCE_H
#define HP_BOUNCE_H

#include <stdbool.h>
#include <time.h>

#include "app.h"
#include "dsn.h"
#include "msg.h"

/* Record the judged failure r for subscriber email (source "dsn" or
 * "smtp"; message_id may be NULL), then disable the subscriber when the
 * window's score reaches the threshold (logged).  Failures that blame us
 * are recorded with score 0 and logged as a warning.  Addresses that are
 * not subscribers are ignored (0).  0, or -1 on a store error (the caller
 * keeps the message for a later try). */
int bounce_record(struct app *app, const char *email,
    const struct dsn_recipient *r, const char *source,
    const char *message_id, time_t now);

/* A message that classify called a bounce: find the subscriber (the VERP
 * address in Delivered-To / To, else the DSN's Final-Recipient) and the
 * verdict (the delivery-status part, else the plain text), and record it.
 * *understood = false when it named no subscriber or no status (ingest
 * then files it in the held folder for a person).  HP_OK, or HP_RETRY on
 * a store error. */
enum hp_status bounce_handle_message(struct app *app, const struct msg *m,
    time_t now, bool *understood);

/* Once a week (a durable setting remembers the last one): when anything
 * bounced, was disabled or blamed us since the last summary, queue a
 * summary mail to the office address and the admins.  0 (sent or nothing
 * to say), -1 on error (logged). */
int bounce_summary_tick(struct app *app, time_t now);

#endif
