/*
 * commands: what a person's mail asks for — the form (applied at once for
 * an authorised sender, else held for confirmation or moderation) and the
 * commands of SPEC §3 — each adding its outcome to the one reply's
 * context.  Also the per-recipient unsubscribe address.  L3, inside the
 * caller's transaction.
 */
#ifndef HP_COMMANDS_H
#define HP_COMMANDS_H

#include <jansson.h>
#include <stdbool.h>

#include "app.h"
#include "form.h"
#include "msg.h"

struct request {
	struct app *app;
	const struct msg *m;
	const struct form *f;
	enum lang lang;
	bool authenticated;	/* SPEC §4, for m's From address */
	json_t *ctx;		/* the reply's context (borrowed) */
	time_t now;
};

/* The form in r->f: sets "form" in the context; *outcome is "applied",
 * "unchanged", "pending" or "rejected" (static).  HP_OK, HP_REJECT (the
 * form has errors), HP_RETRY, HP_FATAL. */
enum hp_status commands_form(struct request *r, const char **outcome);

/* Every command of r->f, bounded by the form reader's command limit. */
enum hp_status commands_run(struct request *r);

/* Mail to unsubscribe_address's per-recipient form (base local part,
 * "-", token): the subscriber leaves every list, and is told so when this
 * changed something and answer is set (never for automatic mail, RFC 3834).
 * *handled is false when to_addr is not such an address. */
enum hp_status commands_unsubscribe_address(struct app *app, const struct msg *m,
    const char *to_addr, bool answer, time_t now, bool *handled);

/* commands_newsletter.c: the office's newsletter commands. */

/* `preview`: an office address gets the text part of the next issue in
 * the reply ("preview" in the context; "preview_denied" for anyone
 * else).  Nothing changes, so no authentication is needed: the answer
 * goes to the From address only. */
enum hp_status commands_preview(struct request *r);

/* True when m's Subject is `newsletter` / `nieuwsbrief` (any case, blanks
 * around it ignored): the body is the editorial intro of the next issue,
 * not a form, so ingest hands m to commands_intro instead of reading it. */
bool commands_is_intro(const struct msg *m);

/* Store m's body (up to a signature line "-- ") as the Markdown intro of
 * the next issue when the sender is an authenticated office address, and
 * answer with how it will read.  *outcome (static) is "intro" when stored,
 * "rejected" otherwise (not the office, not authenticated, empty or too
 * long; the answer says which).  HP_OK, HP_RETRY, HP_FATAL. */
enum hp_status commands_intro(struct app *app, const struct msg *m,
    time_t now, const char **outcome);

#endif
