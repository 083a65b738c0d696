/*
 * store_mail: the mail-handling part of the store adapter (see store.h):
 * per-mailbox IMAP state (UIDVALIDITY, last UID), the record of handled
 * messages that makes ingest idempotent (deduplication by UID and by
 * Message-ID, moves still to do), and the parse-attempt counter that
 * stops a poison message from looping.
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * or know about mail formats.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* ---- mailbox state */

int
store_mailbox_get(struct store *st, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid)
{
	sqlite3_stmt *s = store_stmt_get(st, S_MAILBOX_GET);
	int rc, ret = -1;

	*uidvalidity = *last_uid = 0;
	if (s == NULL || store_bind_text(st, s, 1, mailbox) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid = (uint32_t)sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE) {
		store_fail_db(st, "read mailbox state");
		goto fail;
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_mailbox_set(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid)
{
	sqlite3_stmt *s = store_stmt_get(st, S_MAILBOX_SET);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, mailbox) == -1 ||
	    store_bind_int(st, s, 2, uidvalidity) == -1 ||
	    store_bind_int(st, s, 3, last_uid) == -1)
		goto fail;
	ret = store_step_done(st, s, "write mailbox state");
fail:
	store_stmt_done(s);
	return ret;
}

/* ---- handled messages */

int
store_message_seen(struct store *st, uint32_t uidvalidity, uint32_t uid,
    const char *message_id, char *folder, size_t folder_len)
{
	sqlite3_stmt *s = store_stmt_get(st, S_MSG_BY_UID);
	int ret = -1;

	if (folder != NULL && folder_len > 0)
		folder[0] = '\0';
	if (s == NULL || store_bind_int(st, s, 1, uidvalidity) == -1 ||
	    store_bind_int(st, s, 2, uid) == -1)
		goto fail;
	ret = store_row_text(st, s, folder, folder_len, "look up message by UID");
	store_stmt_done(s);
	if (ret != 0 || message_id == NULL || message_id[0] == '\0')
		return ret;
	ret = -1;
	if ((s = store_stmt_get(st, S_MSG_BY_ID)) == NULL ||
	    store_bind_text(st, s, 1, message_id) == -1)
		goto fail;
	ret = store_row_text(st, s, folder, folder_len,
	    "look up message by Message-ID");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_message_record(struct store *st, uint32_t uidvalidity, uint32_t uid,
    const char *message_id, const char *sender, const char *folder,
    const char *outcome, time_t now)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (folder == NULL || outcome == NULL)
		return store_fail(st, 0, "record message: no folder or outcome");
	if (message_id != NULL && message_id[0] == '\0')
		message_id = NULL;
	if ((s = store_stmt_get(st, S_MSG_INSERT)) == NULL ||
	    store_bind_int(st, s, 1, uidvalidity) == -1 ||
	    store_bind_int(st, s, 2, uid) == -1 ||
	    store_bind_text(st, s, 3, message_id) == -1 ||
	    store_bind_text(st, s, 4, sender) == -1 ||
	    store_bind_text(st, s, 5, folder) == -1 ||
	    store_bind_text(st, s, 6, outcome) == -1 ||
	    store_bind_int(st, s, 7, (int64_t)now) == -1)
		goto fail;
	ret = store_step_done(st, s, "record message");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_message_set_moved(struct store *st, uint32_t uidvalidity,
    const uint32_t *uids, size_t n)
{
	sqlite3_stmt *s = NULL;
	bool own;
	int ret = -1;

	if (store_tx_start(st, &own, true) == -1)
		return -1;
	if ((s = store_stmt_get(st, S_MSG_MOVED)) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (store_bind_int(st, s, 1, uidvalidity) == -1 ||
		    store_bind_int(st, s, 2, uids[i]) == -1 ||
		    store_step_done(st, s, "mark message moved") == -1)
			goto fail;
		sqlite3_reset(s);
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return store_tx_end(st, own, ret);
}

struct move_group {
	char *folder;
	uint32_t *uids;
	size_t n;
};

static void
groups_free(struct move_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].folder);
		free(g[i].uids);
	}
	free(g);
}

int
store_message_pending_moves(struct store *st, uint32_t uidvalidity,
    int (*cb)(const char *folder, const uint32_t *uids, size_t n, void *arg),
    void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_MSG_PENDING);
	struct move_group *g = NULL, *cur;
	size_t ng = 0;
	int rc, ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, uidvalidity) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *folder = (const char *)sqlite3_column_text(s, 0);
		if (folder == NULL)
			folder = "";
		if (ng == 0 || strcmp(g[ng - 1].folder, folder) != 0) {
			g = xreallocarray(g, ng + 1, sizeof(*g));
			g[ng++] = (struct move_group){ xstrdup(folder), NULL, 0 };
		}
		cur = &g[ng - 1];
		cur->uids = xreallocarray(cur->uids, cur->n + 1, sizeof(uint32_t));
		cur->uids[cur->n++] = (uint32_t)sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, "list pending moves");
		goto fail;
	}
	store_stmt_done(s);
	s = NULL;
	ret = 0;
	for (size_t i = 0; i < ng && ret == 0; i++)
		ret = cb(g[i].folder, g[i].uids, g[i].n, arg);
fail:
	store_stmt_done(s);
	groups_free(g, ng);
	return ret;
}

int
store_attempt_bump(struct store *st, uint32_t uidvalidity, uint32_t uid,
    unsigned *attempts)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ATTEMPT_BUMP);
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, uidvalidity) == -1 ||
	    store_bind_int(st, s, 2, uid) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "count parse attempt");
		goto fail;
	}
	*attempts = (unsigned)sqlite3_column_int64(s, 0);
	ret = store_step_done(st, s, "count parse attempt");
fail:
	store_stmt_done(s);
	return ret;
}
