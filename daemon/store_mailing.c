/*
 * store_mailing: the mailing part of the store adapter (see store.h):
 * newsletter issues with their content per language and one delivery row
 * per recipient, the editorial intros, bounces and small settings.
 *
 * Why the recipients are a snapshot: a mailing is created in one
 * transaction together with its delivery rows, so a crash before the
 * commit leaves no issue at all and a crash after it leaves the full list;
 * delivery only ever moves rows out of "queued".  Paging by id keeps the
 * memory of a 100,000-recipient issue at one page.
 *
 * Must not: hold SQL text (it names statements of store.c's table), log,
 * or decide on retry times or bounce scores.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

/* The values of deliveries.state; they must match the schema's CHECK. */
static const char *const dlv_state_names[] = {
	[STORE_DLV_QUEUED] = "queued",
	[STORE_DLV_SENT] = "sent",
	[STORE_DLV_FAILED] = "failed",
	[STORE_DLV_SKIPPED] = "skipped",
};

static int64_t
limit_arg(size_t limit)
{
	if (limit == 0)
		return -1;	/* SQLite: no limit */
	return limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
}

/* Run statement id bound to (?1 text, ?2 int) and read one integer. */
static int
text_int_query(struct store *st, enum store_stmt_id id, const char *text,
    int64_t v, int64_t *out, const char *what)
{
	sqlite3_stmt *s = store_stmt_get(st, id);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, text) == -1 ||
	    (v != INT64_MIN && store_bind_int(st, s, 2, v) == -1))
		goto fail;
	ret = store_row_int(st, s, out, what);
fail:
	store_stmt_done(s);
	return ret;
}

/* ---- creating a mailing */

static int
mailing_insert(struct store *st, const char *kind, const char *label,
    time_t slot, const char *list, time_t now, int64_t *id)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_INSERT);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, kind) == -1 ||
	    store_bind_text(st, s, 2, label) == -1 ||
	    store_bind_text(st, s, 4, list) == -1 ||
	    store_bind_int(st, s, 5, (int64_t)now) == -1)
		goto fail;
	if (slot != 0 && store_bind_int(st, s, 3, (int64_t)slot) == -1)
		goto fail;
	if (store_step_done(st, s, "create mailing") == -1)
		goto fail;
	*id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

static int
part_insert(struct store *st, int64_t id, const struct store_mailing_part *p)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_PART_ADD);
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_text(st, s, 2, p->lang) == -1 ||
	    store_bind_text(st, s, 3, p->subject ? p->subject : "") == -1 ||
	    store_bind_text(st, s, 4, p->text ? p->text : "") == -1 ||
	    store_bind_text(st, s, 5, p->html) == -1)
		goto fail;
	ret = store_step_done(st, s, "store mailing content");
fail:
	store_stmt_done(s);
	return ret;
}

static int
snapshot_recipients(struct store *st, int64_t id, const char *list,
    time_t now, size_t *n)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_SNAPSHOT);
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)now) == -1 ||
	    store_bind_text(st, s, 3, list) == -1)
		goto fail;
	if (store_step_done(st, s, "list the recipients") == -1)
		goto fail;
	*n = (size_t)sqlite3_changes(st->db);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_mailing_insert(struct store *st, const char *kind, const char *label,
    time_t slot, const char *list, const struct store_mailing_part *parts,
    size_t n_parts, time_t now, int64_t *id)
{
	if (mailing_insert(st, kind, label, slot, list, now, id) == -1)
		return -1;
	for (size_t i = 0; i < n_parts; i++)
		if (part_insert(st, *id, &parts[i]) == -1)
			return -1;
	return 0;
}

static int
mailing_create_rows(struct store *st, const char *kind, const char *label,
    time_t slot, const char *list, const struct store_mailing_part *parts,
    size_t n_parts, time_t now, int64_t *id, size_t *n_recipients)
{
	int64_t existing;
	int rc;

	if (slot != 0) {
		rc = text_int_query(st, S_ML_BY_SLOT, kind, (int64_t)slot,
		    &existing, "look up the slot");
		if (rc != 0)
			return rc;	/* 1: that slot has its mailing already */
	}
	if (store_mailing_insert(st, kind, label, slot, list, parts, n_parts,
	    now, id) == -1)
		return -1;
	if (snapshot_recipients(st, *id, list, now, n_recipients) == -1)
		return -1;
	if (strcmp(kind, "newsletter") == 0 && store_run_ints(st, S_ML_INTRO_USE,
	    id, 1, NULL, "mark the intro used") == -1)
		return -1;
	return 0;
}

int
store_mailing_create(struct store *st, const char *kind, const char *label,
    time_t slot, const char *list, const struct store_mailing_part *parts,
    size_t n_parts, time_t now, int64_t *id, size_t *n_recipients)
{
	bool own;
	int ret;

	*id = 0;
	*n_recipients = 0;
	if (strcmp(list, "newsletter") != 0 && strcmp(list, "events") != 0)
		return store_fail(st, 0, "create mailing: unknown list");
	if (store_tx_start(st, &own, true) == -1)
		return -1;
	ret = mailing_create_rows(st, kind, label, slot, list, parts, n_parts,
	    now, id, n_recipients);
	ret = store_tx_end(st, own, ret);
	if (ret != 0) {
		*id = 0;
		*n_recipients = 0;
	}
	return ret;
}

/* ---- reading mailings */

static struct store_mailing *
mailing_from_row(sqlite3_stmt *s)
{
	struct store_mailing *m = xcalloc(1, sizeof(*m));

	m->id = sqlite3_column_int64(s, 0);
	m->kind = store_col_str(s, 1);
	m->label = store_col_str(s, 2);
	m->slot = (time_t)sqlite3_column_int64(s, 3);
	m->state = store_col_str(s, 4);
	m->created_at = (time_t)sqlite3_column_int64(s, 5);
	m->done_at = (time_t)sqlite3_column_int64(s, 6);
	m->n_queued = (size_t)sqlite3_column_int64(s, 7);
	m->n_sent = (size_t)sqlite3_column_int64(s, 8);
	m->n_failed = (size_t)sqlite3_column_int64(s, 9);
	m->n_skipped = (size_t)sqlite3_column_int64(s, 10);
	return m;
}

void
store_mailing_free(struct store_mailing *m)
{
	if (m == NULL)
		return;
	free(m->kind);
	free(m->label);
	free(m->state);
	free(m);
}

int
store_mailing_get(struct store *st, int64_t id, struct store_mailing **out)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_GET);
	int rc, ret = -1;

	*out = NULL;
	if (s == NULL || store_bind_int(st, s, 1, id) == -1)
		goto fail;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = mailing_from_row(s);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_fail_db(st, "read mailing");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_mailing_list(struct store *st, bool sending_only, size_t limit,
    int (*cb)(const struct store_mailing *m, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_LIST);
	struct store_mailing **v = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, sending_only) == -1 ||
	    store_bind_int(st, s, 2, limit_arg(limit)) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = mailing_from_row(s);
	}
	if (rc != SQLITE_DONE) {
		store_fail_db(st, "list mailings");
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
	for (size_t i = 0; i < n; i++)
		store_mailing_free(v[i]);
	free(v);
	return ret;
}

int
store_mailing_last_slot(struct store *st, const char *kind, time_t *slot)
{
	int64_t v = 0;
	int rc = text_int_query(st, S_ML_LAST_SLOT, kind, INT64_MIN, &v,
	    "read the last slot");

	*slot = (time_t)v;
	return rc < 0 ? -1 : 0;
}

int
store_mailing_last_created(struct store *st, const char *kind, time_t *at)
{
	int64_t v = 0;
	int rc = text_int_query(st, S_ML_LAST_CREATED, kind, INT64_MIN, &v,
	    "read the last mailing");

	*at = (time_t)v;
	return rc < 0 ? -1 : 0;
}

int
store_mailing_part_get(struct store *st, int64_t id, const char *lang,
    struct store_mailing_part *out)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_PART_GET);
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if (s == NULL || store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_text(st, s, 2, lang) == -1)
		goto fail;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->lang = store_col_str(s, 0);
		out->subject = store_col_str(s, 1);
		out->text = store_col_str(s, 2);
		out->html = store_col_str(s, 3);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_fail_db(st, "read mailing content");
fail:
	store_stmt_done(s);
	return ret;
}

void
store_mailing_part_clear(struct store_mailing_part *p)
{
	if (p == NULL)
		return;
	free(p->lang);
	free(p->subject);
	free(p->text);
	free(p->html);
	memset(p, 0, sizeof(*p));
}

int
store_mailing_finish(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_ML_FINISH);
	char state[16];
	int ret = -1;

	if (s == NULL || store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)now) == -1 ||
	    store_step_done(st, s, "finish mailing") == -1)
		goto fail;
	store_stmt_done(s);
	if ((s = store_stmt_get(st, S_ML_STATE)) == NULL ||
	    store_bind_int(st, s, 1, id) == -1)
		goto fail;
	ret = store_row_text(st, s, state, sizeof(state), "read mailing state");
	if (ret == 0)
		ret = store_fail(st, 0, "finish mailing: no mailing %lld",
		    (long long)id);
	else if (ret == 1)
		ret = strcmp(state, "done") == 0;
fail:
	store_stmt_done(s);
	return ret;
}

/* ---- deliveries */

static void
delivery_from_row(struct store_delivery *d, sqlite3_stmt *s)
{
	d->id = sqlite3_column_int64(s, 0);
	d->mailing_id = sqlite3_column_int64(s, 1);
	d->email = store_col_str(s, 2);
	d->name = store_col_str(s, 3);
	d->lang = store_col_str(s, 4);
	d->unsub_token = store_col_str(s, 5);
	d->attempts = sqlite3_column_int(s, 6);
	d->next_attempt = (time_t)sqlite3_column_int64(s, 7);
}

void
store_deliveries_free(struct store_delivery *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].email);
		free(d[i].name);
		free(d[i].lang);
		free(d[i].unsub_token);
	}
	free(d);
}

/* One page: rows still meant for an active subscriber go to *out, the ids
 * of the others to *gone (the caller skips them after the read). */
static int
deliveries_page(struct store *st, int64_t mailing_id, int64_t after_id,
    time_t now, size_t limit, struct store_delivery **out, size_t *n,
    int64_t **gone, size_t *n_gone)
{
	sqlite3_stmt *s = store_stmt_get(st, S_DLV_DUE);
	int rc;

	if (s == NULL || store_bind_int(st, s, 1, mailing_id) == -1 ||
	    store_bind_int(st, s, 2, after_id) == -1 ||
	    store_bind_int(st, s, 3, (int64_t)now) == -1 ||
	    store_bind_int(st, s, 4, limit_arg(limit)) == -1) {
		store_stmt_done(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 8) == 0) {
			*gone = xreallocarray(*gone, *n_gone + 1, sizeof(**gone));
			(*gone)[(*n_gone)++] = sqlite3_column_int64(s, 0);
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		delivery_from_row(&(*out)[(*n)++], s);
	}
	if (rc != SQLITE_DONE)
		store_fail_db(st, "read due deliveries");
	store_stmt_done(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_deliveries_due(struct store *st, int64_t mailing_id, int64_t after_id,
    time_t now, size_t limit, struct store_delivery **out, size_t *n)
{
	struct store_delivery *v = NULL;
	int64_t *gone = NULL;
	size_t cnt = 0, n_gone = 0;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (deliveries_page(st, mailing_id, after_id, now, limit, &v, &cnt,
	    &gone, &n_gone) == -1)
		goto fail;
	for (size_t i = 0; i < n_gone; i++)
		if (store_run_ints(st, S_DLV_SKIP,
		    (const int64_t[]){ gone[i], (int64_t)now }, 2, NULL,
		    "skip delivery") == -1)
			goto fail;
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
fail:
	free(gone);
	store_deliveries_free(v, cnt);
	return ret;
}

int
store_deliveries_next_due(struct store *st, time_t *at)
{
	sqlite3_stmt *s = store_stmt_get(st, S_DLV_NEXT);
	int rc, ret = -1;

	*at = 0;
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = sqlite3_column_type(s, 0) != SQLITE_NULL;
		*at = (time_t)sqlite3_column_int64(s, 0);
	} else
		store_fail_db(st, "read the next due delivery");
	store_stmt_done(s);
	return ret;
}

int
store_delivery_result(struct store *st, int64_t id,
    enum store_dlv_state state, int smtp_code, const char *reply,
    time_t next_attempt, time_t now)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if ((unsigned)state >= HP_NELEM(dlv_state_names))
		return store_fail(st, 0, "record delivery: bad state %d",
		    (int)state);
	if ((s = store_stmt_get(st, S_DLV_RESULT)) == NULL ||
	    store_bind_int(st, s, 1, id) == -1 ||
	    store_bind_text(st, s, 2, dlv_state_names[state]) == -1 ||
	    store_bind_int(st, s, 3, smtp_code) == -1 ||
	    store_bind_text(st, s, 4, reply) == -1 ||
	    store_bind_int(st, s, 5, (int64_t)next_attempt) == -1 ||
	    store_bind_int(st, s, 6, (int64_t)now) == -1 ||
	    store_step_done(st, s, "record delivery") == -1)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		store_fail(st, 0, "record delivery: %lld is not queued",
		    (long long)id);
		goto fail;
	}
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_delivery_list(struct store *st, int64_t mailing_id, const char *state,
    int (*cb)(int64_t id, int64_t mailing_id, const char *email,
        const char *state, int attempts, int smtp_code, const char *reply,
        time_t next_attempt, time_t updated_at, void *arg),
    void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_DLV_LIST);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL || store_bind_int(st, s, 1, mailing_id) == -1 ||
	    store_bind_text(st, s, 2, state) == -1) {
		store_stmt_done(s);
		return -1;
	}
#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
		    T(2), T(3), sqlite3_column_int(s, 4),
		    sqlite3_column_int(s, 5), T(6),
		    (time_t)sqlite3_column_int64(s, 7),
		    (time_t)sqlite3_column_int64(s, 8), arg);
#undef T
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list deliveries");
	store_stmt_done(s);
	return ret;
}

int
store_delivery_retry(struct store *st, int64_t mailing_id,
    int64_t delivery_id, time_t now, size_t *n)
{
	bool own;
	int ret;

	*n = 0;
	if (store_tx_start(st, &own, true) == -1)
		return -1;
	ret = store_run_ints(st, S_DLV_RETRY,
	    (const int64_t[]){ mailing_id, delivery_id, (int64_t)now }, 3, n,
	    "retry deliveries");
	if (ret == 0)
		ret = store_run_ints(st, S_ML_REOPEN, NULL, 0, NULL, "reopen mailings");
	ret = store_tx_end(st, own, ret);
	if (ret != 0)
		*n = 0;
	return ret;
}

int
store_outbox_retry(struct store *st, int64_t id, time_t now, size_t *n)
{
	*n = 0;
	return store_run_ints(st, S_OUT_RETRY, (const int64_t[]){ id, (int64_t)now },
	    2, n, "retry outbox rows");
}

/* ---- editorial intros */

int
store_intro_add(struct store *st, const char *markdown, const char *author,
    const char *message_id, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_INTRO_ADD);
	int ret = -1;

	if (s != NULL && store_bind_text(st, s, 1, markdown) == 0 &&
	    store_bind_text(st, s, 2, author) == 0 &&
	    store_bind_text(st, s, 3, message_id) == 0 &&
	    store_bind_int(st, s, 4, (int64_t)now) == 0)
		ret = store_step_done(st, s, "store the intro");
	store_stmt_done(s);
	return ret;
}

int
store_intro_get(struct store *st, char **markdown, char **author,
    time_t *at)
{
	sqlite3_stmt *s = store_stmt_get(st, S_INTRO_GET);
	int rc, ret = -1;

	*markdown = *author = NULL;
	*at = 0;
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*markdown = store_col_str(s, 0);
		*author = store_col_str(s, 1);
		*at = (time_t)sqlite3_column_int64(s, 2);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else
		store_fail_db(st, "read the intro");
	store_stmt_done(s);
	return ret;
}

/* ---- bounces */

int
store_bounce_add(struct store *st, const struct store_bounce *b, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_BOUNCE_ADD);
	int ret = -1;

	if (s == NULL || store_bind_text(st, s, 1, b->email) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)now) == -1 ||
	    store_bind_text(st, s, 4, b->status) == -1 ||
	    store_bind_text(st, s, 5, b->blame ? b->blame : "none") == -1 ||
	    store_bind_text(st, s, 6, b->diagnostic) == -1 ||
	    store_bind_text(st, s, 7, b->source ? b->source : "dsn") == -1 ||
	    store_bind_text(st, s, 8, b->message_id) == -1)
		goto fail;
	if (sqlite3_bind_double(s, 3, b->score) != SQLITE_OK) {
		store_fail_db(st, "record bounce");
		goto fail;
	}
	ret = store_step_done(st, s, "record bounce");
fail:
	store_stmt_done(s);
	return ret;
}

int
store_bounce_score(struct store *st, const char *email, time_t since,
    double *score)
{
	sqlite3_stmt *s = store_stmt_get(st, S_BOUNCE_SCORE);
	int ret = -1;

	*score = 0;
	if (s == NULL || store_bind_text(st, s, 1, email) == -1 ||
	    store_bind_int(st, s, 2, (int64_t)since) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail_db(st, "sum bounces");
		goto fail;
	}
	*score = sqlite3_column_double(s, 0);
	ret = 0;
fail:
	store_stmt_done(s);
	return ret;
}

int
store_subscriber_disable(struct store *st, const char *email, time_t now)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_DISABLE);
	int ret = -1;

	if (s != NULL && store_bind_text(st, s, 1, email) == 0 &&
	    store_bind_int(st, s, 2, (int64_t)now) == 0 &&
	    store_step_done(st, s, "disable subscriber") == 0)
		ret = sqlite3_changes(st->db) > 0;
	store_stmt_done(s);
	return ret;
}

int
store_bounce_list(struct store *st, time_t since,
    int (*cb)(const struct store_bounce *b, time_t at, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_BOUNCE_LIST);
	struct store_bounce b;
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL || store_bind_int(st, s, 1, (int64_t)since) == -1) {
		store_stmt_done(s);
		return -1;
	}
#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		b = (struct store_bounce){ .email = T(0),
		    .score = sqlite3_column_double(s, 1), .status = T(2),
		    .blame = T(3), .diagnostic = T(4), .source = T(5),
		    .message_id = T(6) };
		ret = cb(&b, (time_t)sqlite3_column_int64(s, 7), arg);
	}
#undef T
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list bounces");
	store_stmt_done(s);
	return ret;
}

int
store_subscribers_disabled_since(struct store *st, time_t since,
    int (*cb)(const char *email, time_t at, void *arg), void *arg)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SUB_DISABLED);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL || store_bind_int(st, s, 1, (int64_t)since) == -1) {
		store_stmt_done(s);
		return -1;
	}
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb((const char *)sqlite3_column_text(s, 0),
		    (time_t)sqlite3_column_int64(s, 1), arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail_db(st, "list disabled subscribers");
	store_stmt_done(s);
	return ret;
}

/* ---- settings */

int
store_setting_get_int(struct store *st, const char *key, int64_t *value)
{
	return text_int_query(st, S_SETTING_GET, key, INT64_MIN, value,
	    "read setting");
}

int
store_setting_set_int(struct store *st, const char *key, int64_t value)
{
	sqlite3_stmt *s = store_stmt_get(st, S_SETTING_SET);
	int ret = -1;

	if (s != NULL && store_bind_text(st, s, 1, key) == 0 &&
	    store_bind_int(st, s, 2, value) == 0)
		ret = store_step_done(st, s, "write setting");
	store_stmt_done(s);
	return ret;
}
