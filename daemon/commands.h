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

#endif
