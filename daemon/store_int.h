/*
 * store_int: what the parts of the store adapter share -- store.c
 * (connection, migrations, the statement table, helpers, transactions,
 * errors), store_registry.c, store_mail.c, store_outbox.c and
 * store_access.c, store_mailing.c and store_events.c.  Private to
 * the store module: nothing outside daemon/store*.c includes it; everyone
 * else uses store.h.
 *
 * The SQL itself stays in store.c (migrations[] and the statement table,
 * indexed by enum store_stmt_id below), so it lives in one place.  The
 * other parts only name a statement, bind values and read columns.
 *
 * sqlite3's two handle types are forward-declared rather than included,
 * so sqlite3.h is included by the store*.c files alone.
 */
#ifndef HP_STORE_INT_H
#define HP_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct sqlite3;
struct sqlite3_stmt;

#define STORE_ERRLEN	512

/* Index into the statement table of store.c (one SQL text each). */
enum store_stmt_id {
	S_BEGIN, S_BEGIN_READ, S_COMMIT, S_ROLLBACK, S_USER_VERSION, S_WAL,
	S_MAILBOX_GET, S_MAILBOX_SET,
	S_MSG_BY_UID, S_MSG_BY_ID, S_MSG_INSERT, S_MSG_MOVED, S_MSG_PENDING,
	S_ATTEMPT_BUMP,
	S_ORG_GET, S_ORG_ALL, S_ORG_INSERT, S_ORG_UPDATE, S_ORG_DELETE,
	S_NET_ONE, S_CONTACT_ONE, S_ACT_ONE,
	S_NET_ALL, S_CONTACT_ALL, S_ACT_ALL,
	S_NET_CLEAR, S_CONTACT_CLEAR, S_ACT_CLEAR,
	S_NET_ADD, S_CONTACT_ADD, S_ACT_ADD,
	S_NAMES_FOR_CONTACT, S_CHANGE_ADD, S_CHANGES_SINCE,
	S_OUT_ADD, S_OUT_DUE, S_OUT_RESULT, S_OUT_LIST, S_OUT_COUNT,
	S_OUT_RETRY,
	S_ML_INSERT, S_ML_BY_SLOT, S_ML_PART_ADD, S_ML_SNAPSHOT, S_ML_INTRO_USE,
	S_ML_GET, S_ML_LIST, S_ML_LAST_SLOT, S_ML_LAST_CREATED, S_ML_PART_GET,
	S_ML_FINISH, S_ML_STATE, S_ML_REOPEN,
	S_DLV_DUE, S_DLV_SKIP, S_DLV_NEXT, S_DLV_RESULT, S_DLV_LIST, S_DLV_RETRY,
	S_INTRO_ADD, S_INTRO_GET,
	S_BOUNCE_ADD, S_BOUNCE_SCORE, S_BOUNCE_LIST, S_SUB_DISABLE, S_SUB_DISABLED,
	S_SETTING_GET, S_SETTING_SET,
	S_EV_INSERT, S_EV_UPDATE, S_EV_GET, S_EV_BY_UID, S_EV_LIST,
	S_ML_SET_EVENT, S_ML_EVENT, S_ML_SNAPSHOT_EVENT, S_EV_SUPERSEDE,
	S_ATT_INVITE, S_ATT_GET, S_ATT_REPLY, S_ATT_LIST, S_ATT_COUNTS,
	S_PEND_ADD, S_PEND_GET, S_PEND_FINISH, S_PEND_STATE,
	S_SUB_GET, S_SUB_BY_TOKEN, S_SUB_PUT, S_SUB_UNSUB, S_SUB_DELETE,
	S_SUB_ALL,
	S_OFFICE_ADD, S_OFFICE_REMOVE, S_OFFICE_IS, S_OFFICE_ALL,
	S_AMB_ADD, S_AMB_REMOVE, S_AMB_IS, S_AMB_ALL, S_AMB_SECTOR,
	S_COUNT
};

struct store {
	struct sqlite3 *db;
	struct sqlite3_stmt *stmt[S_COUNT];
	int err_code;		/* extended SQLite code of the last error; 0 = ours */
	char err[STORE_ERRLEN];
};

/* Record an error (code: extended SQLite code, 0 for our own) as
 * store_error()'s text.  Always returns -1. */
int store_fail(struct store *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The connection's current error, prefixed with what we were doing.
 * Returns -1. */
int store_fail_db(struct store *st, const char *what);

/* The prepared statement id, prepared on first use; NULL (error set) when
 * it cannot be prepared.  Borrowed: store_close() finalizes it. */
struct sqlite3_stmt *store_stmt_get(struct store *st, enum store_stmt_id id);

/* Reset and clear the bindings of s, so no statement keeps a transaction
 * or read snapshot open.  NULL is a no-op.  Call it before returning. */
void store_stmt_done(struct sqlite3_stmt *s);

/* Bind parameter i (1-based): text (NULL binds NULL) or an integer.  The
 * value is bound SQLITE_STATIC: it must outlive the statement's use.
 * 0, or -1 with the error set. */
int store_bind_text(struct store *st, struct sqlite3_stmt *s, int i,
    const char *v);
int store_bind_int(struct store *st, struct sqlite3_stmt *s, int i,
    int64_t v);

/* Step s to the end, skipping rows (read a RETURNING row first).  0, or
 * -1 with "what: <sqlite message>" as the error. */
int store_step_done(struct store *st, struct sqlite3_stmt *s,
    const char *what);

/* Column i of the current row as a new string (NULL for SQL NULL). */
char *store_col_str(struct sqlite3_stmt *s, int i);

/* Step once: the first row's first column as text into out (may be NULL).
 * 1 for a row, 0 for none, -1 on error. */
int store_row_text(struct store *st, struct sqlite3_stmt *s, char *out,
    size_t outlen, const char *what);

/* Step once: the first row's first column as an integer into *out.
 * 1 for a row, 0 for none, -1 on error. */
int store_row_int(struct store *st, struct sqlite3_stmt *s, int64_t *out,
    const char *what);

/* Run statement id with the integer parameters v[0..nv) as ?1, ?2, ...;
 * *changes (may be NULL) = rows changed.  0 / -1. */
int store_run_ints(struct store *st, enum store_stmt_id id,
    const int64_t *v, size_t nv, size_t *changes, const char *what);

/* The mailing row and its content parts, without recipients (inside the
 * caller's transaction; store_mailing.c).  0 with *id, or -1. */
int store_mailing_insert(struct store *st, const char *kind,
    const char *label, time_t slot, const char *list,
    const struct store_mailing_part *parts, size_t n_parts, time_t now,
    int64_t *id);

/*
 * Run several statements as one unit: store_tx_start joins the caller's
 * transaction, or opens our own (*own = true; BEGIN IMMEDIATE to write, a
 * deferred one for a consistent read snapshot).  store_tx_end commits
 * ours on success (ret >= 0), rolls it back otherwise, and returns ret or
 * -1.  A joined transaction is left to its owner.
 */
/* Run statement id with one text parameter and collect the first column
 * of every row into a new array (caller frees each and the array).
 * 0 / -1 (what names the query in the error). */
int store_strings(struct store *st, enum store_stmt_id id, const char *param,
    char ***out, size_t *n, const char *what);
int store_tx_start(struct store *st, bool *own, bool write);
int store_tx_end(struct store *st, bool own, int ret);

#endif
