/*
 * store_access: the "who may do what" part of the store adapter (see
 * store.h): pending actions waiting for a confirmation or a moderator,
 * subscribers with their consent record, office addresses and sector
 * ambassadors managed by the CLI.
 *
 * Single use of a token is enforced here, in one UPDATE guarded by
 * state = 'pending', so two replies racing each other cannot both apply
 * an action: the second sees "already closed".
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * see tokens (only their hashes), judge expiry or authority (the access
 * service does), or validate addresses: it stores what it is given.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* ---- small shared readers */

/* Step s once: *is = whether there was a row.  0 or -1. */
static int
row_exists(struct store *st, sqlite3_stmt *s, bool *is, const char *what)
{
	int rc = sqlite3_step(s);

	*is = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_db(st, what);
	return 0;
}

/* Run a write of s (values bound) and report sqlite3_changes: 1 when a
 * row changed, 0 when none, -1 on error. */
static int
changed_rows(struct store *st, sqlite3_stmt *s, const char *what)
{
	if (store_step_done(st, s, what) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

/* ---- pending actions */

int
store_pending_add(struct store *st, const char *token_hash, const char *kind,
    const char *org_name, const char *sector, const char *requester,
    const char *authorisers, const char *payload, const char *source_msgid,
    time_t now, time_t expires_at, int64_t *id)
{
	sqlite3_stmt *s = store_stmt_get(st, S_PEND_ADD);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, token_hash) == -1 ||
	    store_bind_text(st, s, 2, kind) == -1 ||
	    store_bind_text(st, s, 3, org_name) == -1 ||
	    store_bind_text(st, s, 4, sector) == -1 ||
	    store_bind_text(st, s, 5, requester) == -1 ||
	    store_bind_text(st, s, 6, authorisers) == -1 ||
	    store_bind_text(st, s, 7, payload) == -1 ||
	    store_bind_text(st, s, 8, source_msgid) == -1 ||
	    store_bind_int(st, s, 9, (int64_t)now) == -1 ||
	    store_bind_int(st, s, 10, (int64_t)expires_at) == -1 ||
	    store_step_done(st, s, "add pending action") == -1)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static struct store_pending *
pending_from_row(sqlite3_stmt *s)
{
	struct store_pending *p = xcalloc(1, sizeof(*p));

	p->id = sqlite3_column_int64(s, 0);
	p->kind = store_col_str(s, 1);
	p->org_name = store_col_str(s, 2);
	p->sector = store_col_str(s, 3);
	p->requester = store_col_str(s, 4);
	p->authorisers = store_col_str(s, 5);
	p->payload = store_col_str(s, 6);
	p->source_msgid = store_col_str(s, 7);
	p->state = store_col_str(s, 8);
	p->done_by = store_col_str(s, 9);
	p->done_msgid = store_col_str(s, 10);
	p->created_at = (time_t)sqlite3_column_int64(s, 11);
	p->expires_at = (time_t)sqlite3_column_int64(s, 12);
	p->done_at = (time_t)sqlite3_column_int64(s, 13);
	return p;
}

int
store_pending_get(struct store *st, const char *token_hash,
    struct store_pending **out)
{
	sqlite3_stmt *s = store_stmt_get(st, S_PEND_GET);
	int rc, ret = -1;

	*out = NULL;
	if (s == NULL || store_bind_text(st, s, 1, token_hash) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = pending_from_row(s);
	else if (rc != SQLITE_DONE) {
		store_fail_db(st, "read pending action");
		goto fail;
	}
	ret = *out != NULL;
fail:
	store_stmt_done(s);
	return ret;
}

void
store_pending_free(struct store_pending *p)
{
	if (p == NULL)
		return;
	free(p->kind);
	free(p->org_name);
	free(p->sector);
	free(p->requester);
	free(p->authorisers);
	free(p->payload);
	free(p->source_msgid);
	free(p->state);
	free(p->done_by);
	free(p->done_msgid);
	free(p);
}

/* After an UPDATE that changed nothing: 1 when row id exists (closed
 * already), -1 when there is no such row. */
static int
pending_closed(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt_get(st, S_PEND_STATE);
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, id) == -1)
		goto fail;
	if ((ret = store_row_text(st, s, NULL, 0, "read pending state")) == 0)
		ret = store_fail(st, 0, "finish pending action: no action %lld",
		    (long long)id);
fail:
	store_stmt_done(s);
	return ret;
}

int
store_pending_finish(struct store *st, int64_t id, const char *state,
    const char *by, const char *msgid, time_t now)
{
	sqlite3_stmt *s = NULL;
	bool own;
	int ret = -1;

	if (state == NULL || (strcmp(state, "done") != 0 &&
	    strcmp(state, "rejected") != 0))
		return store_fail(st, 0, "finish pending action: bad state %s",
		    state ? state : "(null)");
	if (store_tx_start(st, &own, true) == -1)
		return -1;
	if ((s = store_stmt_get(st, S_PEND_FINISH)) == NULL ||
	    store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_text(st, s, 2, state) == -1 ||
	    store_bind_int(st, s, 3, (int64_t)now) == -1 ||
	    store_bind_text(st, s, 4, by) == -1 ||
	    store_bind_text(st, s, 5, msgid) == -1 ||
	    (ret = changed_rows(st, s, "finish pending action")) == -1)
		goto fail;
	ret = ret == 1 ? 0 : pending_closed(st, id);
fail:
	store_stmt_done(s);
	return store_tx_end(st, own, ret);
}

/* ---- subscribers */

static struct store_subscriber *
sub_from_row(sqlite3_stmt *s)
{
	struct store_subscriber *sub = xcalloc(1, sizeof(*sub));

	sub->id = sqlite3_column_int64(s, 0);
	sub->email = store_col_str(s, 1);
	sub->name = store_col_str(s, 2);
	sub->lang = store_col_str(s, 3);
	sub->status = store_col_str(s, 4);
	sub->consent_source_msgid = store_col_str(s, 5);
	sub->consent_confirm_msgid = store_col_str(s, 6);
	sub->unsub_token = store_col_str(s, 7);
	sub->newsletter = sqlite3_column_int(s, 8) != 0;
	sub->events = sqlite3_column_int(s, 9) != 0;
	sub->consent_at = (time_t)sqlite3_column_int64(s, 10);
	sub->created_at = (time_t)sqlite3_column_int64(s, 11);
	sub->updated_at = (time_t)sqlite3_column_int64(s, 12);
	return sub;
}

/* One subscriber by statement id (S_SUB_GET or S_SUB_BY_TOKEN). */
static int
sub_get(struct store *st, enum store_stmt_id id, const char *key,
    struct store_subscriber **out)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int rc, ret = -1;

	*out = NULL;
	if (s == NULL || store_bind_text(st, s, 1, key) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sub_from_row(s);
	else if (rc != SQLITE_DONE) {
		store_fail_db(st, "read subscriber");
		goto fail;
	}
	ret = *out != NULL;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_subscriber_get(struct store *st, const char *email,
    struct store_subscriber **out)
{
	return sub_get(st, S_SUB_GET, email, out);
}

int
store_subscriber_by_token(struct store *st, const char *unsub_token,
    struct store_subscriber **out)
{
	return sub_get(st, S_SUB_BY_TOKEN, unsub_token, out);
}

int
store_subscriber_put(struct store *st, const struct store_subscriber *sub,
    time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_PUT);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, sub->email) == -1 ||
	    store_bind_text(st, s, 2, sub->name) == -1 ||
	    store_bind_text(st, s, 3, sub->lang) == -1 ||
	    store_bind_int(st, s, 4, sub->newsletter) == -1 ||
	    store_bind_int(st, s, 5, sub->events) == -1 ||
	    store_bind_text(st, s, 6, sub->status) == -1 ||
	    store_bind_int(st, s, 7, (int64_t)sub->consent_at) == -1 ||
	    store_bind_text(st, s, 8, sub->consent_source_msgid) == -1 ||
	    store_bind_text(st, s, 9, sub->consent_confirm_msgid) == -1 ||
	    store_bind_text(st, s, 10, sub->unsub_token) == -1 ||
	    store_bind_int(st, s, 11, (int64_t)now) == -1)
		goto fail;
	ret = store_step_done(st, s, "save subscriber");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_subscriber_unsubscribe(struct store *st, const char *email,
    bool newsletter, bool events, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_UNSUB);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, email) == -1 ||
	    store_bind_int(st, s, 2, newsletter) == -1 ||
	    store_bind_int(st, s, 3, events) == -1 ||
	    store_bind_int(st, s, 4, (int64_t)now) == -1)
		goto fail;
	ret = changed_rows(st, s, "unsubscribe");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_subscriber_delete(struct store *st, const char *email)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_DELETE);
	int ret = -1;

	if (s != NULL && store_bind_text(st, s, 1, email) == 0)
		ret = changed_rows(st, s, "delete subscriber");
	store_stmt_done(s);
	return ret;
}

static void
subs_free(struct store_subscriber **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_subscriber_free(v[i]);
	free(v);
}

int
store_subscriber_list(struct store *st,
    int (*cb)(const struct store_subscriber *s, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_ALL);
	struct store_subscriber **v = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = sub_from_row(s);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, "list subscribers");
		goto fail;
	}
	/* Done with the statement before cb runs, so cb may use the store. */
	store_stmt_done(s);
	s = NULL;
	ret = 0;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = cb(v[i], arg);
fail:
	store_stmt_done(s);
	subs_free(v, n);
	return ret;
}

void
store_subscriber_free(struct store_subscriber *s)
{
	if (s == NULL)
		return;
	free(s->email);
	free(s->name);
	free(s->lang);
	free(s->status);
	free(s->consent_source_msgid);
	free(s->consent_confirm_msgid);
	free(s->unsub_token);
	free(s);
}

/* ---- office addresses and ambassadors */

/* Bind a as ?1, then b (unless NULL) and t (when with_time) as the next
 * parameters, and run the write: 1 when a row changed, 0 when none, -1. */
static int
write_keyed(struct store *st, enum store_stmt_id id, const char *a,
    const char *b, int64_t t, bool with_time)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int i = 1, ret = -1;

	if (s == NULL || store_bind_text(st, s, i++, a) == -1 ||
	    (b != NULL && store_bind_text(st, s, i++, b) == -1) ||
	    (with_time && store_bind_int(st, s, i, t) == -1))
		goto fail;
	ret = changed_rows(st, s, "write access list");
fail:
	store_stmt_done(s);
	return ret;
}

/* Whether the row (a[, b]) exists, for the *_is functions. */
static int
exists_keyed(struct store *st, enum store_stmt_id id, const char *a,
    const char *b, bool *is)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int ret = -1;

	*is = false;
	if (s == NULL || store_bind_text(st, s, 1, a) == -1 ||
	    (b != NULL && store_bind_text(st, s, 2, b) == -1))
		goto fail;
	ret = row_exists(st, s, is, "read access list");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_office_add(struct store *st, const char *email, time_t now)
{
	int rc = write_keyed(st, S_OFFICE_ADD, email, NULL, (int64_t)now, true);

	return rc == -1 ? -1 : !rc;
}

int
store_office_remove(struct store *st, const char *email)
{
	return write_keyed(st, S_OFFICE_REMOVE, email, NULL, 0, false);
}

int
store_office_is(struct store *st, const char *email, bool *is)
{
	return exists_keyed(st, S_OFFICE_IS, email, NULL, is);
}

int
store_office_list(struct store *st,
    int (*cb)(const char *email, time_t added_at, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_OFFICE_ALL);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb((const char *)sqlite3_column_text(s, 0),
		    (time_t)sqlite3_column_int64(s, 1), arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list office addresses");
	store_stmt_done(s);
	return ret;
}

int
store_ambassador_add(struct store *st, const char *email, const char *sector,
    time_t now)
{
	int rc;

	if (sector == NULL)
		return store_fail(st, 0, "add ambassador: no sector");
	rc = write_keyed(st, S_AMB_ADD, email, sector, (int64_t)now, true);
	return rc == -1 ? -1 : !rc;
}

int
store_ambassador_remove(struct store *st, const char *email,
    const char *sector)
{
	if (sector == NULL)
		return store_fail(st, 0, "remove ambassador: no sector");
	return write_keyed(st, S_AMB_REMOVE, email, sector, 0, false);
}

int
store_ambassador_is(struct store *st, const char *email, const char *sector,
    bool *is)
{
	if (sector == NULL) {
		*is = false;
		return store_fail(st, 0, "ambassador check: no sector");
	}
	return exists_keyed(st, S_AMB_IS, email, sector, is);
}

int
store_ambassador_list(struct store *st,
    int (*cb)(const char *email, const char *sector, time_t added_at,
        void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_AMB_ALL);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (time_t)sqlite3_column_int64(s, 2), arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list ambassadors");
	store_stmt_done(s);
	return ret;
}

int
store_ambassadors_for_sector(struct store *st, const char *sector,
    char ***emails, size_t *n)
{
	return store_strings(st, S_AMB_SECTOR, sector, emails, n,
	    "list ambassadors of a sector");
}
