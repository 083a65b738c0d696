/*
 * reply: turn a template and its context into one answer to an incoming
 * message and queue it in the outbox, inside the caller's transaction, so
 * the answer is committed together with the effects it reports.
 *
 * Every reply is RFC 3834-clean (Auto-Submitted: auto-replied, In-Reply-To,
 * References) and counted against the per-sender hourly limit, so two
 * robots never talk to each other for ever.  L3.
 */
#ifndef HP_REPLY_H
#define HP_REPLY_H

#include <jansson.h>
#include <time.h>

#include "app.h"
#include "msg.h"

/* Whom an answer goes to, and what it answers (all borrowed; any but addr
 * may be NULL). */
struct reply_to {
	const char *addr, *name;
	const char *subject;		/* the subject answered ("Re: " is added) */
	const char *in_reply_to;	/* Message-ID answered, without <> */
	const char *references;
};

/*
 * Render LANG/template against ctx and queue the result to to->addr.
 * ctx gains subject, has_subject, sender_name, office and office_address.
 * The rendered text starts with a "Subject: ..." line and a blank line;
 * the rest is the body.  Returns HP_OK (queued, or deliberately not sent:
 * rate limit, no valid sender), HP_RETRY on a temporary database error,
 * HP_FATAL on a template error (the admin must fix the installation).
 */
enum hp_status reply_send(struct app *app, const struct reply_to *to,
    enum lang lang, const char *template_name, json_t *ctx, time_t now);

/* reply_send to m's sender, answering m. */
enum hp_status reply_queue(struct app *app, const struct msg *m,
    enum lang lang, const char *template_name, json_t *ctx, time_t now);

/*
 * A notice of our own to addr (a summary or report for the office), not
 * an answer: rendered like reply_send (ctx gains office and
 * office_address), Auto-Submitted: auto-generated, no In-Reply-To, and
 * neither counted by nor stopped by the reply rate limit.  Same returns
 * as reply_send.
 */
enum hp_status reply_notify(struct app *app, const char *addr,
    enum lang lang, const char *template_name, json_t *ctx, time_t now);
/* reply_notify to each of [office] admins in the office's language, or
 * to the office address when there are none. */
enum hp_status reply_notify_office(struct app *app, const char *template_name,
    json_t *ctx, time_t now);
/* A fresh Message-ID (without <>) in the office's domain.  0 / -1. */
int reply_new_message_id(const struct app *app, char *out, size_t outlen);

#endif
