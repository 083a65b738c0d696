/*
 * classify: which kind of mail this is, in the order of SPEC §2, as a
 * table of predicates.  Pure (L1).  "Already seen" (step 1) needs the
 * database and is the caller's; the form itself (step 5) is read by
 * form_read.  Each class has one handler in ingest; a later issue adds
 * its handler without touching the order.
 */
#ifndef HP_CLASSIFY_H
#define HP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

enum msg_class {
	CLASS_BOUNCE,		/* DSN or mail to the VERP bounce address */
	CLASS_CALENDAR_REPLY,	/* text/calendar METHOD:REPLY */
	CLASS_UNSUBSCRIBE,	/* to a per-recipient unsubscribe address */
	CLASS_AUTOMATED,	/* auto-reply, bulk, list, loop: never answered */
	CLASS_REQUEST,		/* a person's mail: commands and forms */
};

struct classify_rules {
	/* Addresses that are ours (office, mailbox user, bounce and
	 * unsubscribe bases): mail from them is a loop. */
	const char *const *own_addresses;
	size_t n_own;
	/* VERP base such as "office+bounce@example.org": mail addressed to
	 * its local part (plus any suffix) is a bounce.  May be NULL. */
	const char *bounce_address;
	/* Base such as "office+unsubscribe@example.org": mail to its local
	 * part plus "-TOKEN" leaves the lists (RFC 2369 mailto).  May be NULL. */
	const char *unsubscribe_address;
};

/* Classify m; *why (borrowed, static) says which rule matched, for the
 * log line.  to_addr is the envelope/To address the mail reached (may be
 * NULL). */
enum msg_class classify_message(const struct msg *m, const char *to_addr,
    const struct classify_rules *rules, const char **why);

/* True when any rule of the automated class matches m (whatever class
 * came first): such mail is acted on where it must be, never answered. */
bool classify_is_automated(const struct msg *m, const struct classify_rules *rules);

const char *classify_name(enum msg_class c);

#endif
