/*
 * store_outbox: the outbox part of the store adapter (see store.h): fully
 * built messages queued durably, one row per recipient, so a reply is
 * never lost while SMTP is down; the due rows, delivery results, the list
 * for `queue list` and the count behind the reply rate limit (replies
 * only: a newsletter must not use up someone's answers).
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * talk SMTP, or decide on backoff: the outbox service passes the next
 * attempt time in.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* The values of outbox.state; they must match the CHECK constraint of the
 * schema in store.c. */
static const char *const out_state_names[] = {
	[STORE_OUT_QUEUED] = "queued",
	[STORE_OUT_SENT] = "sent",
	[STORE_OUT_FAILED] = "failed",
};

/* The values of outbox.kind, likewise. */
static const char *const out_kind_names[] = {
	[STORE_OUT_REPLY] = "reply",
	[STORE_OUT_MAILING] = "mailing",
};

/* ---- outbox */

int
store_outbox_add(struct store *st, enum store_out_kind kind,
    const char *sender, const char *recipient, const char *message_id,
    const char *data, size_t len, time_t now, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if ((unsigned)kind >= HP_NELEM(out_kind_names))
		return store_fail(st, 0, "queue message: bad kind %d", (int)kind);
	if ((s = store_stmt_get(st, S_OUT_ADD)) == NULL ||
	    store_bind_text(st, s, 1, sender) == -1 ||
	    store_bind_text(st, s, 2, recipient) == -1 ||
	    store_bind_text(st, s, 3, message_id) == -1 ||
	    store_bind_int(st, s, 5, (int64_t)now) == -1 ||
	    store_bind_text(st, s, 6, out_kind_names[kind]) == -1)
		goto fail;
	if (sqlite3_bind_blob64(s, 4, len ? data : "", len,
	    SQLITE_STATIC) != SQLITE_OK) {
		store_fail_db(st, "queue message");
		goto fail;
	}
	if (store_step_done(st, s, "queue message") == -1)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static void
outmsg_from_row(struct store_outmsg *m, sqlite3_stmt *s)
{
	const void *blob = sqlite3_column_blob(s, 4);

	m->id = sqlite3_column_int64(s, 0);
	m->sender = store_col_str(s, 1);
	m->recipient = store_col_str(s, 2);
	m->message_id = store_col_str(s, 3);
	m->len = (size_t)sqlite3_column_bytes(s, 4);
	m->data = xmalloc(m->len + 1);
	if (m->len > 0)
		memcpy(m->data, blob, m->len);
	m->data[m->len] = '\0';
	m->attempts = sqlite3_column_int(s, 5);
	m->created_at = (time_t)sqlite3_column_int64(s, 6);
}

int
store_outbox_due(struct store *st, time_t now, size_t limit,
    struct store_outmsg **msgs, size_t *n)
{
	sqlite3_stmt *s = store_stmt_get(st, S_OUT_DUE);
	struct store_outmsg *v = NULL;
	size_t cnt = 0;
	int rc, ret = -1;

	*msgs = NULL;
	*n = 0;
	if (s == NULL || store_bind_int(st, s, 1, (int64_t)now) == -1 ||
	    store_bind_int(st, s, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		outmsg_from_row(&v[cnt++], s);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, "read due messages");
		goto fail;
	}
	*msgs = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
fail:
	store_stmt_done(s);
	store_outmsgs_free(v, cnt);
	return ret;
}

void
store_outmsgs_free(struct store_outmsg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(msgs[i].sender);
		free(msgs[i].recipient);
		free(msgs[i].message_id);
		free(msgs[i].data);
	}
	free(msgs);
}

int
store_outbox_result(struct store *st, int64_t id, enum store_out_state state,
    int smtp_code, const char *reply, time_t next_attempt, time_t now)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if ((unsigned)state >= HP_NELEM(out_state_names))
		return store_fail(st, 0, "outbox result: bad state %d", (int)state);
	if ((s = store_stmt_get(st, S_OUT_RESULT)) == NULL ||
	    store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_text(st, s, 2, out_state_names[state]) == -1 ||
	    store_bind_int(st, s, 3, smtp_code) == -1 ||
	    store_bind_text(st, s, 4, reply) == -1 ||
	    store_bind_int(st, s, 5, (int64_t)next_attempt) == -1 ||
	    store_bind_int(st, s, 6, (int64_t)now) == -1 ||
	    store_step_done(st, s, "record delivery") == -1)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		store_fail(st, 0, "record delivery: outbox row %lld is not queued",
		    (long long)id);
		goto fail;
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_outbox_list(struct store *st,
    int (*cb)(int64_t id, enum store_out_kind kind, const char *recipient,
        const char *message_id, const char *state, int attempts,
        int smtp_code, const char *reply, time_t created_at,
        time_t next_attempt, void *arg),
    void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_OUT_LIST);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(sqlite3_column_int64(s, 0),
		    T(9) != NULL && strcmp(T(9), out_kind_names[STORE_OUT_MAILING])
		    == 0 ? STORE_OUT_MAILING : STORE_OUT_REPLY, T(1), T(2), T(3),
		    sqlite3_column_int(s, 4), sqlite3_column_int(s, 5), T(6),
		    (time_t)sqlite3_column_int64(s, 7),
		    (time_t)sqlite3_column_int64(s, 8), arg);
#undef T
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list outbox");
	store_stmt_done(s);
	return ret;
}

int
store_outbox_count_to(struct store *st, const char *recipient, time_t since,
    unsigned *count)
{
	sqlite3_stmt *s = store_stmt_get(st, S_OUT_COUNT);
	int ret = -1;

	*count = 0;
	if (s == NULL || store_bind_text(st, s, 1, recipient) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)since) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "count outbox");
		goto fail;
	}
	*count = (unsigned)sqlite3_column_int64(s, 0);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}
