/*
 * ingest: one cycle of the main job — every new message in the mailbox is
 * parsed (in the sandboxed parser child), classified (SPEC §2), handled,
 * its effects and its reply committed in one transaction, and only then
 * moved to its folder.  L3.
 *
 * Exactly-once: a message is recognised as already handled by its
 * (UIDVALIDITY, UID) or its Message-ID; messages whose move failed are
 * moved on the next cycle without being applied again; a message that
 * keeps failing before its commit (it kills the daemon, say) is filed as
 * unreadable after a few attempts, so nothing can make the daemon loop.
 */
#ifndef HP_INGEST_H
#define HP_INGEST_H

#include <stddef.h>

#include "app.h"
#include "inbox.h"
#include "parser.h"

struct ingest_stats {
	size_t seen;		/* new UIDs found */
	size_t handled;		/* committed this cycle */
	size_t duplicates;	/* already handled (by Message-ID) */
	size_t unreadable;
	size_t moved;
	bool stopped;		/* stop() said so: the rest waits */
};

/* Make sure the Processed/Rejected/Held folders exist. */
int ingest_prepare_folders(struct app *app, struct inbox *ib);

/*
 * Handle every new message once.  HP_OK when the mailbox was worked
 * through; HP_RETRY when the IMAP connection or the database failed
 * temporarily (what was committed stays committed; the rest waits for
 * the next cycle); HP_FATAL on a permanent error.  stop (may be NULL) is
 * asked before each message: once it returns true, what was committed is
 * filed and the rest is left, uncounted, for the next start (HP_OK with
 * stats->stopped set).
 */
enum hp_status ingest_run_once(struct app *app, struct inbox *ib,
    struct parser *ps, bool (*stop)(void), struct ingest_stats *stats);

#endif
