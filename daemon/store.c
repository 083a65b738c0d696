/*
 * store: see store.h.  All SQL of hanzepost is in the two tables below
 * (migrations, statements); the functions only bind values and read
 * columns, so no text from mail can ever become SQL.
 *
 * Statements are prepared lazily (the schema must exist first) with
 * SQLITE_PREPARE_PERSISTENT, kept in struct store, and always reset and
 * cleared before a function returns, so no statement keeps a transaction
 * or a read snapshot open behind the caller's back.  Values are bound
 * SQLITE_STATIC for that same reason: the caller's strings outlive the
 * binding.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "util.h"

#define STORE_BUSY_MS	5000
#define STORE_ERRLEN	512

/*
 * Schema migrations: entry i brings user_version i to i + 1.  Append only;
 * never edit a step that has shipped.
 */
static const char *const migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE orgs ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
	" sector TEXT, website TEXT, description TEXT, internships TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE org_networks ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE TABLE org_contacts ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, name TEXT, email TEXT NOT NULL COLLATE NOCASE,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE INDEX org_contacts_email ON org_contacts(email);"
	"CREATE TABLE org_activities ("
	" org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL,"
	" country TEXT NOT NULL CHECK (length(country) = 2),"
	" city TEXT, kind TEXT, note TEXT,"
	" PRIMARY KEY (org_id, pos)) STRICT;"
	"CREATE TABLE changes ("
	" id INTEGER PRIMARY KEY, org_name TEXT NOT NULL, field TEXT NOT NULL,"
	" old_value TEXT, new_value TEXT, actor TEXT, message_id TEXT,"
	" at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX changes_at ON changes(at);"
	"CREATE TABLE mailbox_state ("
	" mailbox TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL) STRICT;"
	"CREATE TABLE messages ("
	" uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, message_id TEXT,"
	" sender TEXT, folder TEXT NOT NULL, outcome TEXT NOT NULL,"
	" state INTEGER NOT NULL CHECK (state IN (1, 2)), at INTEGER NOT NULL,"
	" PRIMARY KEY (uidvalidity, uid)) STRICT;"
	"CREATE INDEX messages_message_id ON messages(message_id);"
	"CREATE INDEX messages_pending ON messages(uidvalidity, folder, uid)"
	" WHERE state = 1;"
	"CREATE TABLE attempts ("
	" uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, n INTEGER NOT NULL,"
	" PRIMARY KEY (uidvalidity, uid)) STRICT;"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY, sender TEXT NOT NULL,"
	" recipient TEXT NOT NULL COLLATE NOCASE, message_id TEXT NOT NULL UNIQUE,"
	" data BLOB NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0, smtp_code INTEGER NOT NULL DEFAULT 0,"
	" reply TEXT, created_at INTEGER NOT NULL, next_attempt INTEGER NOT NULL,"
	" sent_at INTEGER) STRICT;"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, created_at);",
};
#define STORE_VERSION ((int)HP_NELEM(migrations))

enum stmt_id {
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
	S_COUNT
};

#define ORG_COLS "id, name, sector, website, description, internships, updated_at"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN DEFERRED",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_USER_VERSION] = "PRAGMA user_version",
	[S_WAL] = "PRAGMA journal_mode = WAL",
	[S_MAILBOX_GET] = "SELECT uidvalidity, last_uid FROM mailbox_state"
	    " WHERE mailbox = ?1",
	[S_MAILBOX_SET] = "INSERT INTO mailbox_state (mailbox, uidvalidity,"
	    " last_uid) VALUES (?1, ?2, ?3) ON CONFLICT (mailbox) DO UPDATE SET"
	    " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
	[S_MSG_BY_UID] = "SELECT folder FROM messages"
	    " WHERE uidvalidity = ?1 AND uid = ?2",
	[S_MSG_BY_ID] = "SELECT folder FROM messages WHERE message_id = ?1"
	    " LIMIT 1",
	[S_MSG_INSERT] = "INSERT INTO messages (uidvalidity, uid, message_id,"
	    " sender, folder, outcome, state, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
	[S_MSG_MOVED] = "UPDATE messages SET state = 2"
	    " WHERE uidvalidity = ?1 AND uid = ?2",
	[S_MSG_PENDING] = "SELECT folder, uid FROM messages"
	    " WHERE uidvalidity = ?1 AND state = 1 ORDER BY folder, uid",
	[S_ATTEMPT_BUMP] = "INSERT INTO attempts (uidvalidity, uid, n)"
	    " VALUES (?1, ?2, 1) ON CONFLICT (uidvalidity, uid)"
	    " DO UPDATE SET n = n + 1 RETURNING n",
	[S_ORG_GET] = "SELECT " ORG_COLS " FROM orgs WHERE name = ?1",
	[S_ORG_ALL] = "SELECT " ORG_COLS " FROM orgs ORDER BY name, id",
	[S_ORG_INSERT] = "INSERT INTO orgs (name, sector, website, description,"
	    " internships, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[S_ORG_UPDATE] = "UPDATE orgs SET name = ?1, sector = ?2, website = ?3,"
	    " description = ?4, internships = ?5, updated_at = ?6 WHERE id = ?7",
	[S_ORG_DELETE] = "DELETE FROM orgs WHERE name = ?1 RETURNING name",
	[S_NET_ONE] = "SELECT org_id, name FROM org_networks"
	    " WHERE org_id = ?1 ORDER BY pos",
	[S_CONTACT_ONE] = "SELECT org_id, name, email FROM org_contacts"
	    " WHERE org_id = ?1 ORDER BY pos",
	[S_ACT_ONE] = "SELECT org_id, country, city, kind, note"
	    " FROM org_activities WHERE org_id = ?1 ORDER BY pos",
	[S_NET_ALL] = "SELECT org_id, name FROM org_networks"
	    " ORDER BY org_id, pos",
	[S_CONTACT_ALL] = "SELECT org_id, name, email FROM org_contacts"
	    " ORDER BY org_id, pos",
	[S_ACT_ALL] = "SELECT org_id, country, city, kind, note"
	    " FROM org_activities ORDER BY org_id, pos",
	[S_NET_CLEAR] = "DELETE FROM org_networks WHERE org_id = ?1",
	[S_CONTACT_CLEAR] = "DELETE FROM org_contacts WHERE org_id = ?1",
	[S_ACT_CLEAR] = "DELETE FROM org_activities WHERE org_id = ?1",
	[S_NET_ADD] = "INSERT INTO org_networks (org_id, pos, name)"
	    " VALUES (?1, ?2, ?3)",
	[S_CONTACT_ADD] = "INSERT INTO org_contacts (org_id, pos, name, email)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_ACT_ADD] = "INSERT INTO org_activities (org_id, pos, country, city,"
	    " kind, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_NAMES_FOR_CONTACT] = "SELECT DISTINCT o.name FROM orgs o"
	    " JOIN org_contacts c ON c.org_id = o.id WHERE c.email = ?1"
	    " ORDER BY o.name",
	[S_CHANGE_ADD] = "INSERT INTO changes (org_name, field, old_value,"
	    " new_value, actor, message_id, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_CHANGES_SINCE] = "SELECT org_name, field, old_value, new_value,"
	    " actor, message_id, at FROM changes WHERE at >= ?1 ORDER BY id",
	[S_OUT_ADD] = "INSERT INTO outbox (sender, recipient, message_id, data,"
	    " state, created_at, next_attempt)"
	    " VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
	[S_OUT_DUE] = "SELECT id, sender, recipient, message_id, data, attempts,"
	    " created_at FROM outbox WHERE state = 'queued'"
	    " AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
	[S_OUT_RESULT] = "UPDATE outbox SET state = ?2, attempts = attempts + 1,"
	    " smtp_code = ?3, reply = ?4,"
	    " next_attempt = CASE WHEN ?2 = 'queued' THEN ?5 ELSE next_attempt END,"
	    " sent_at = CASE WHEN ?2 = 'sent' THEN ?6 ELSE sent_at END,"
	    " data = CASE WHEN ?2 = 'sent' THEN X'' ELSE data END"
	    " WHERE id = ?1 AND state = 'queued'",
	[S_OUT_LIST] = "SELECT id, recipient, message_id, state, attempts,"
	    " smtp_code, reply, created_at, next_attempt FROM outbox ORDER BY id",
	[S_OUT_COUNT] = "SELECT count(*) FROM outbox"
	    " WHERE recipient = ?1 AND created_at >= ?2",
};

static const char *const out_state_names[] = {
	[STORE_OUT_QUEUED] = "queued",
	[STORE_OUT_SENT] = "sent",
	[STORE_OUT_FAILED] = "failed",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	int err_code;		/* extended SQLite code of the last error; 0 = ours */
	char err[STORE_ERRLEN];
};

/* ---- errors, statements, binding */

static int fail(struct store *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	st->err_code = code;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* The connection's current error, prefixed with what we were doing. */
static int
fail_db(struct store *st, const char *what)
{
	return fail(st, sqlite3_extended_errcode(st->db), "%s: %s", what,
	    sqlite3_errmsg(st->db));
}

static sqlite3_stmt *
stmt_get(struct store *st, enum stmt_id id)
{
	if (st->stmt[id] == NULL && sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL) != SQLITE_OK) {
		fail_db(st, "prepare");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

static void
stmt_done(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int
bind_text(struct store *st, sqlite3_stmt *s, int i, const char *v)
{
	int rc = v == NULL ? sqlite3_bind_null(s, i) :
	    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);

	return rc == SQLITE_OK ? 0 : fail_db(st, "bind");
}

static int
bind_int(struct store *st, sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 :
	    fail_db(st, "bind");
}

/* Step to the end (a RETURNING row is read by the caller first). */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? 0 : fail_db(st, what);
}

/* Run a statement without parameters or rows to use. */
static int
run_simple(struct store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = stmt_get(st, id);
	int ret;

	if (s == NULL)
		return -1;
	ret = step_done(st, s, what);
	stmt_done(s);
	return ret;
}

/* Constant multi-statement SQL (migrations, connection pragmas) only. */
static int
exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fail(st, sqlite3_extended_errcode(st->db), "%s: %s", what,
	    msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

static char *
col_str(sqlite3_stmt *s, int i)
{
	return xstrdup((const char *)sqlite3_column_text(s, i));
}

/* First row's first column as text into out; 1 row, 0 none, -1 error. */
static int
row_text(struct store *st, sqlite3_stmt *s, char *out, size_t outlen,
    const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (out != NULL && outlen > 0)
			hp_strlcpy(out, v ? v : "", outlen);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : fail_db(st, what);
}

/*
 * Run several statements as one unit: join the caller's transaction, or
 * open our own (BEGIN IMMEDIATE to write, a deferred one for a consistent
 * read snapshot).  tx_end commits ours on success (ret >= 0), rolls it
 * back otherwise, and returns ret or -1.
 */
static int
tx_start(struct store *st, bool *own, bool write)
{
	*own = sqlite3_get_autocommit(st->db) != 0;
	if (!*own)
		return 0;
	return write ? store_begin(st) :
	    run_simple(st, S_BEGIN_READ, "begin read transaction");
}

static int
tx_end(struct store *st, bool own, int ret)
{
	if (!own)
		return ret;
	if (ret >= 0 && store_commit(st) == 0)
		return ret;
	store_rollback(st);
	return -1;
}

/* ---- opening, migrations, transactions */

/* SQLite would create the file 0644 (less the umask); the registry holds
 * people's addresses, so create it 0600 ourselves.  SQLite gives the -wal
 * and -shm files the mode of the main file. */
static int
create_file(struct store *st, const char *path)
{
	struct stat sb;
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	int fd = -1, ret = -1;

	if (stat(dir, &sb) == -1) {
		fail(st, 0, "database directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fail(st, 0, "database directory %s: not a directory", dir);
		goto fail;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		fail(st, 0, "database %s: %s", path, strerror(errno));
		goto fail;
	}
	ret = 0;
fail:
	if (fd != -1)
		close(fd);
	free(copy);
	return ret;
}

static int
read_user_version(struct store *st, int *v)
{
	sqlite3_stmt *s = stmt_get(st, S_USER_VERSION);
	int rc;

	if (s == NULL)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	else
		fail_db(st, "read schema version");
	stmt_done(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
check_version(struct store *st, int v)
{
	if (v <= STORE_VERSION)
		return 0;
	return fail(st, 0, "database schema version %d is newer than this "
	    "hanzepost knows (%d): refusing to use it; upgrade hanzepost", v,
	    STORE_VERSION);
}

/* Each step in its own BEGIN IMMEDIATE transaction, re-reading the
 * version under the lock: two processes may open a fresh file at once. */
static int
migrate(struct store *st)
{
	char sql[64];
	int v;

	if (read_user_version(st, &v) == -1 || check_version(st, v) == -1)
		return -1;
	while (v < STORE_VERSION) {
		if (store_begin(st) == -1)
			return -1;
		if (read_user_version(st, &v) == -1 ||
		    check_version(st, v) == -1)
			goto fail;
		if (v == STORE_VERSION) {
			store_rollback(st);
			break;
		}
		/* PRAGMA takes no parameters; v is our own integer. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(st, migrations[v], "schema migration") == -1 ||
		    exec_sql(st, sql, "set schema version") == -1 ||
		    store_commit(st) == -1)
			goto fail;
		v++;
	}
	return 0;
fail:
	store_rollback(st);
	return -1;
}

static int
set_wal(struct store *st, bool memory)
{
	sqlite3_stmt *s = stmt_get(st, S_WAL);
	const char *mode;
	int ret = -1;

	if (s == NULL)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		fail_db(st, "journal_mode=WAL");
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, memory ? "memory" : "wal") != 0) {
		fail(st, 0, "journal_mode=WAL: the database stays in mode %s",
		    mode ? mode : "?");
		goto fail;
	}
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

static int
store_setup(struct store *st, const char *path)
{
	bool memory = strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE |
	    (memory ? SQLITE_OPEN_CREATE : 0);
	int v;

	if (path[0] == '\0')
		return fail(st, 0, "empty database path");
	if (!memory && create_file(st, path) == -1)
		return -1;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			return fail(st, SQLITE_NOMEM, "%s: out of memory", path);
		return fail(st, sqlite3_extended_errcode(st->db), "%s: %s",
		    path, sqlite3_errmsg(st->db));
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/* No writable_schema tricks and no SQL functions with side effects
	 * from inside the schema: the file might come from elsewhere. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    (int *)NULL);
	/* Refuse a newer schema before changing anything in the file. */
	if (read_user_version(st, &v) == -1 || check_version(st, v) == -1)
		return -1;
	if (exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1 ||
	    set_wal(st, memory) == -1 ||
	    exec_sql(st, "PRAGMA synchronous = NORMAL", "synchronous") == -1)
		return -1;
	return migrate(st);
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof(*st));

	*out = NULL;
	if (store_setup(st, path) == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", st->err);
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(void)
{
	return STORE_VERSION;
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

bool
store_error_is_temporary(const struct store *st)
{
	switch (st->err_code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return true;
	default:
		return false;
	}
}

int
store_begin(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		return fail(st, 0, "begin: a transaction is already open");
	return run_simple(st, S_BEGIN, "begin transaction");
}

int
store_commit(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return fail(st, 0, "commit: no transaction is open");
	return run_simple(st, S_COMMIT, "commit");
}

void
store_rollback(struct store *st)
{
	char saved[STORE_ERRLEN];
	int code;

	if (st == NULL || sqlite3_get_autocommit(st->db))
		return;
	code = st->err_code;
	memcpy(saved, st->err, sizeof(saved));
	(void)run_simple(st, S_ROLLBACK, "rollback");
	st->err_code = code;
	memcpy(st->err, saved, sizeof(saved));
}

/* ---- mailbox state */

int
store_mailbox_get(struct store *st, const char *mailbox,
    uint32_t *uidvalidity, uint32_t *last_uid)
{
	sqlite3_stmt *s = stmt_get(st, S_MAILBOX_GET);
	int rc, ret = -1;

	*uidvalidity = *last_uid = 0;
	if (s == NULL || bind_text(st, s, 1, mailbox) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		*last_uid = (uint32_t)sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE) {
		fail_db(st, "read mailbox state");
		goto fail;
	}
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

int
store_mailbox_set(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t last_uid)
{
	sqlite3_stmt *s = stmt_get(st, S_MAILBOX_SET);
	int ret = -1;

	if (s == NULL || bind_text(st, s, 1, mailbox) == -1 ||
	    bind_int(st, s, 2, uidvalidity) == -1 ||
	    bind_int(st, s, 3, last_uid) == -1)
		goto fail;
	ret = step_done(st, s, "write mailbox state");
fail:
	stmt_done(s);
	return ret;
}

/* ---- handled messages */

int
store_message_seen(struct store *st, uint32_t uidvalidity, uint32_t uid,
    const char *message_id, char *folder, size_t folder_len)
{
	sqlite3_stmt *s = stmt_get(st, S_MSG_BY_UID);
	int ret = -1;

	if (folder != NULL && folder_len > 0)
		folder[0] = '\0';
	if (s == NULL || bind_int(st, s, 1, uidvalidity) == -1 ||
	    bind_int(st, s, 2, uid) == -1)
		goto fail;
	ret = row_text(st, s, folder, folder_len, "look up message by UID");
	stmt_done(s);
	if (ret != 0 || message_id == NULL || message_id[0] == '\0')
		return ret;
	ret = -1;
	if ((s = stmt_get(st, S_MSG_BY_ID)) == NULL ||
	    bind_text(st, s, 1, message_id) == -1)
		goto fail;
	ret = row_text(st, s, folder, folder_len,
	    "look up message by Message-ID");
fail:
	stmt_done(s);
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
		return fail(st, 0, "record message: no folder or outcome");
	if (message_id != NULL && message_id[0] == '\0')
		message_id = NULL;
	if ((s = stmt_get(st, S_MSG_INSERT)) == NULL ||
	    bind_int(st, s, 1, uidvalidity) == -1 ||
	    bind_int(st, s, 2, uid) == -1 ||
	    bind_text(st, s, 3, message_id) == -1 ||
	    bind_text(st, s, 4, sender) == -1 ||
	    bind_text(st, s, 5, folder) == -1 ||
	    bind_text(st, s, 6, outcome) == -1 ||
	    bind_int(st, s, 7, (int64_t)now) == -1)
		goto fail;
	ret = step_done(st, s, "record message");
fail:
	stmt_done(s);
	return ret;
}

int
store_message_set_moved(struct store *st, uint32_t uidvalidity,
    const uint32_t *uids, size_t n)
{
	sqlite3_stmt *s = NULL;
	bool own;
	int ret = -1;

	if (tx_start(st, &own, true) == -1)
		return -1;
	if ((s = stmt_get(st, S_MSG_MOVED)) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (bind_int(st, s, 1, uidvalidity) == -1 ||
		    bind_int(st, s, 2, uids[i]) == -1 ||
		    step_done(st, s, "mark message moved") == -1)
			goto fail;
		sqlite3_reset(s);
	}
	ret = 0;
fail:
	stmt_done(s);
	return tx_end(st, own, ret);
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
	sqlite3_stmt *s = stmt_get(st, S_MSG_PENDING);
	struct move_group *g = NULL, *cur;
	size_t ng = 0;
	int rc, ret = -1;

	if (s == NULL || bind_int(st, s, 1, uidvalidity) == -1)
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
		fail_db(st, "list pending moves");
		goto fail;
	}
	stmt_done(s);
	s = NULL;
	ret = 0;
	for (size_t i = 0; i < ng && ret == 0; i++)
		ret = cb(g[i].folder, g[i].uids, g[i].n, arg);
fail:
	stmt_done(s);
	groups_free(g, ng);
	return ret;
}

int
store_attempt_bump(struct store *st, uint32_t uidvalidity, uint32_t uid,
    unsigned *attempts)
{
	sqlite3_stmt *s = stmt_get(st, S_ATTEMPT_BUMP);
	int ret = -1;

	if (s == NULL || bind_int(st, s, 1, uidvalidity) == -1 ||
	    bind_int(st, s, 2, uid) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		fail_db(st, "count parse attempt");
		goto fail;
	}
	*attempts = (unsigned)sqlite3_column_int64(s, 0);
	ret = step_done(st, s, "count parse attempt");
fail:
	stmt_done(s);
	return ret;
}

/* ---- registry: reading */

static struct org *
org_from_row(sqlite3_stmt *s)
{
	struct org *o = org_new();

	o->id = sqlite3_column_int64(s, 0);
	o->name = col_str(s, 1);
	o->sector = model_sector_parse((const char *)sqlite3_column_text(s, 2));
	o->website = col_str(s, 3);
	o->description = col_str(s, 4);
	o->internships = col_str(s, 5);
	o->updated_at = (time_t)sqlite3_column_int64(s, 6);
	return o;
}

/* Append the row of list table t (0 networks, 1 contacts, 2 activities). */
static void
org_add_row(struct org *o, int t, sqlite3_stmt *s)
{
	if (t == 0) {
		o->networks = xreallocarray(o->networks, o->n_networks + 1,
		    sizeof(char *));
		o->networks[o->n_networks++] = col_str(s, 1);
	} else if (t == 1) {
		o->contacts = xreallocarray(o->contacts, o->n_contacts + 1,
		    sizeof(struct contact));
		o->contacts[o->n_contacts++] = (struct contact){
			col_str(s, 1), col_str(s, 2) };
	} else {
		struct activity *a;
		const char *cc = (const char *)sqlite3_column_text(s, 1);

		o->activities = xreallocarray(o->activities,
		    o->n_activities + 1, sizeof(struct activity));
		a = &o->activities[o->n_activities++];
		memset(a, 0, sizeof(*a));
		hp_strlcpy(a->country, cc ? cc : "", sizeof(a->country));
		a->city = col_str(s, 2);
		a->kind = model_kind_parse((const char *)sqlite3_column_text(s, 3));
		a->note = col_str(s, 4);
	}
}

static int
org_cmp_id(const void *a, const void *b)
{
	int64_t x = (*(struct org *const *)a)->id;
	int64_t y = (*(struct org *const *)b)->id;

	return (x > y) - (x < y);
}

static struct org *
org_by_id(struct org **byid, size_t n, int64_t id)
{
	struct org key = { .id = id }, *kp = &key, **hit;

	if (n == 0)
		return NULL;
	hit = bsearch(&kp, byid, n, sizeof(*byid), org_cmp_id);
	return hit ? *hit : NULL;
}

/* Fill the lists of the orgs in byid (sorted by id): of byid[0] alone, or
 * of every organisation at once (three queries instead of 3 per org). */
static int
org_load_lists(struct store *st, struct org **byid, size_t n, bool all)
{
	static const enum stmt_id one[] = { S_NET_ONE, S_CONTACT_ONE, S_ACT_ONE };
	static const enum stmt_id every[] = { S_NET_ALL, S_CONTACT_ALL, S_ACT_ALL };

	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *s = stmt_get(st, all ? every[t] : one[t]);
		int rc = SQLITE_ERROR;

		if (s == NULL)
			return -1;
		if (all || bind_int(st, s, 1, byid[0]->id) == 0) {
			while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
				struct org *o = org_by_id(byid, n,
				    sqlite3_column_int64(s, 0));
				if (o != NULL)
					org_add_row(o, t, s);
			}
			if (rc != SQLITE_DONE)
				fail_db(st, "read organisation lists");
		}
		stmt_done(s);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_org_get(struct store *st, const char *name, struct org **out)
{
	sqlite3_stmt *s = NULL;
	struct org *o = NULL;
	bool own;
	int rc, ret = -1;

	*out = NULL;
	if (tx_start(st, &own, false) == -1)
		return -1;
	if ((s = stmt_get(st, S_ORG_GET)) == NULL ||
	    bind_text(st, s, 1, name) == -1)
		goto fail;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		o = org_from_row(s);
	else if (rc != SQLITE_DONE) {
		fail_db(st, "read organisation");
		goto fail;
	}
	stmt_done(s);
	s = NULL;
	if (o != NULL && org_load_lists(st, &o, 1, false) == -1)
		goto fail;
	ret = o != NULL;
fail:
	stmt_done(s);
	if ((ret = tx_end(st, own, ret)) == 1)
		*out = o;
	else
		org_free(o);
	return ret;
}

static int
org_load_all(struct store *st, struct org ***v, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_ORG_ALL);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = org_from_row(s);
	}
	if (rc != SQLITE_DONE)
		fail_db(st, "list organisations");
	stmt_done(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_org_list(struct store *st, struct org ***orgs, size_t *n)
{
	struct org **v = NULL, **byid = NULL;
	size_t cnt = 0;
	bool own;
	int ret = -1;

	*orgs = NULL;
	*n = 0;
	if (tx_start(st, &own, false) == -1)
		return -1;
	if (org_load_all(st, &v, &cnt) == -1)
		goto fail;
	if (cnt > 0) {
		byid = xcalloc(cnt, sizeof(*byid));
		memcpy(byid, v, cnt * sizeof(*byid));
		qsort(byid, cnt, sizeof(*byid), org_cmp_id);
		if (org_load_lists(st, byid, cnt, true) == -1)
			goto fail;
	}
	ret = 0;
fail:
	free(byid);
	if ((ret = tx_end(st, own, ret)) == 0) {
		*orgs = v;
		*n = cnt;
	} else
		store_orgs_free(v, cnt);
	return ret;
}

void
store_orgs_free(struct org **orgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		org_free(orgs[i]);
	free(orgs);
}

int
store_org_names_for_contact(struct store *st, const char *email,
    char ***names, size_t *n)
{
	sqlite3_stmt *s = stmt_get(st, S_NAMES_FOR_CONTACT);
	char **v = NULL;
	size_t cnt = 0;
	int rc, ret = -1;

	*names = NULL;
	*n = 0;
	if (s == NULL || bind_text(st, s, 1, email) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = col_str(s, 0);
	}
	if (rc != SQLITE_DONE) {
		fail_db(st, "organisations for contact");
		goto fail;
	}
	*names = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
fail:
	stmt_done(s);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return ret;
}

/* ---- registry: writing */

static int
changes_add(struct store *st, const char *org, const char *actor,
    const char *message_id, const struct store_change *c, size_t n,
    time_t now)
{
	sqlite3_stmt *s = stmt_get(st, S_CHANGE_ADD);
	int ret = -1;

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].field == NULL) {
			fail(st, 0, "changelog: a change without a field");
			goto fail;
		}
		if (bind_text(st, s, 1, org) == -1 ||
		    bind_text(st, s, 2, c[i].field) == -1 ||
		    bind_text(st, s, 3, c[i].old_value) == -1 ||
		    bind_text(st, s, 4, c[i].new_value) == -1 ||
		    bind_text(st, s, 5, actor) == -1 ||
		    bind_text(st, s, 6, message_id) == -1 ||
		    bind_int(st, s, 7, (int64_t)now) == -1 ||
		    step_done(st, s, "write changelog") == -1)
			goto fail;
		sqlite3_reset(s);
	}
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

/* Insert or update the orgs row; *id is set for a new one. */
static int
org_write_row(struct store *st, const struct org *org, time_t now,
    int64_t *id)
{
	sqlite3_stmt *s = stmt_get(st, org->id == 0 ? S_ORG_INSERT : S_ORG_UPDATE);
	int ret = -1;

	if (s == NULL || bind_text(st, s, 1, org->name) == -1 ||
	    bind_text(st, s, 2, model_sector_name(org->sector)) == -1 ||
	    bind_text(st, s, 3, org->website) == -1 ||
	    bind_text(st, s, 4, org->description) == -1 ||
	    bind_text(st, s, 5, org->internships) == -1 ||
	    bind_int(st, s, 6, (int64_t)now) == -1 ||
	    (org->id != 0 && bind_int(st, s, 7, org->id) == -1) ||
	    step_done(st, s, "write organisation") == -1)
		goto fail;
	if (org->id == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	else if (sqlite3_changes(st->db) != 1) {
		fail(st, 0, "write organisation: no organisation with id %lld",
		    (long long)org->id);
		goto fail;
	}
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

/* Bind row i of list table t (as in org_add_row) after org_id and pos. */
static int
org_bind_item(struct store *st, sqlite3_stmt *s, const struct org *o, int t,
    size_t i)
{
	if (t == 0)
		return bind_text(st, s, 3, o->networks[i]);
	if (t == 1)
		return bind_text(st, s, 3, o->contacts[i].name) == -1 ||
		    bind_text(st, s, 4, o->contacts[i].email) == -1 ? -1 : 0;
	const struct activity *a = &o->activities[i];
	if (sqlite3_bind_text(s, 3, a->country,
	    (int)strnlen(a->country, sizeof(a->country)), SQLITE_STATIC) != SQLITE_OK)
		return fail_db(st, "bind");
	return bind_text(st, s, 4, a->city) == -1 ||
	    bind_text(st, s, 5, model_kind_name(a->kind)) == -1 ||
	    bind_text(st, s, 6, a->note) == -1 ? -1 : 0;
}

/* Replace the three lists of organisation id, keeping their order.  A
 * new organisation has none to clear (ON DELETE CASCADE leaves no orphans
 * for a reused rowid to pick up). */
static int
org_write_lists(struct store *st, const struct org *o, int64_t id, bool fresh)
{
	static const enum stmt_id clear[] = { S_NET_CLEAR, S_CONTACT_CLEAR, S_ACT_CLEAR };
	static const enum stmt_id add[] = { S_NET_ADD, S_CONTACT_ADD, S_ACT_ADD };
	const size_t count[] = { o->n_networks, o->n_contacts, o->n_activities };

	for (int t = 0; t < 3; t++) {
		sqlite3_stmt *s = fresh ? NULL : stmt_get(st, clear[t]);
		int ret = 0;

		if (!fresh && s == NULL)
			return -1;
		if (!fresh) {
			ret = bind_int(st, s, 1, id) == -1 ? -1 :
			    step_done(st, s, "clear organisation list");
			stmt_done(s);
		}
		if (ret == -1 || (s = stmt_get(st, add[t])) == NULL)
			return -1;
		for (size_t i = 0; i < count[t] && ret == 0; i++) {
			if (bind_int(st, s, 1, id) == -1 ||
			    bind_int(st, s, 2, (int64_t)i) == -1 ||
			    org_bind_item(st, s, o, t, i) == -1)
				ret = -1;
			else
				ret = step_done(st, s, "write organisation list");
			stmt_done(s);
		}
		if (ret == -1)
			return -1;
	}
	return 0;
}

int
store_org_save(struct store *st, struct org *org, const char *actor,
    const char *message_id, const struct store_change *changes,
    size_t n_changes, time_t now)
{
	int64_t id = org->id;
	bool own;
	int ret = -1;

	if (org->name == NULL || org->name[0] == '\0')
		return fail(st, 0, "save organisation: no name");
	if (tx_start(st, &own, true) == -1)
		return -1;
	if (org_write_row(st, org, now, &id) == -1 ||
	    org_write_lists(st, org, id, org->id == 0) == -1 ||
	    changes_add(st, org->name, actor, message_id, changes, n_changes,
	    now) == -1)
		goto fail;
	ret = 0;
fail:
	if ((ret = tx_end(st, own, ret)) == 0) {
		org->id = id;
		org->updated_at = now;
	}
	return ret;
}

int
store_org_delete(struct store *st, const char *name, const char *actor,
    const char *message_id, time_t now)
{
	sqlite3_stmt *s = NULL;
	struct store_change c = { "organisation", NULL, NULL };
	char *canon = NULL;
	bool own;
	int rc, ret = -1;

	if (tx_start(st, &own, true) == -1)
		return -1;
	if ((s = stmt_get(st, S_ORG_DELETE)) == NULL ||
	    bind_text(st, s, 1, name) == -1)
		goto fail;
	/* RETURNING gives the stored spelling of the name for the log. */
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		canon = col_str(s, 0);
	else if (rc != SQLITE_DONE) {
		fail_db(st, "delete organisation");
		goto fail;
	}
	if (canon != NULL && step_done(st, s, "delete organisation") == -1)
		goto fail;
	stmt_done(s);
	s = NULL;
	c.old_value = canon;
	if (canon != NULL && changes_add(st, canon, actor, message_id, &c, 1,
	    now) == -1)
		goto fail;
	ret = canon != NULL;
fail:
	stmt_done(s);
	free(canon);
	return tx_end(st, own, ret);
}

int
store_changes_since(struct store *st, time_t since,
    int (*cb)(const char *org, const char *field, const char *old_value,
        const char *new_value, const char *actor, const char *message_id,
        time_t at, void *arg),
    void *arg)
{
	sqlite3_stmt *s = stmt_get(st, S_CHANGES_SINCE);
	int rc = SQLITE_DONE, ret = -1;

#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	if (s == NULL || bind_int(st, s, 1, (int64_t)since) == -1)
		goto fail;
	ret = 0;
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(T(0), T(1), T(2), T(3), T(4), T(5),
		    (time_t)sqlite3_column_int64(s, 6), arg);
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail_db(st, "read changelog");
#undef T
fail:
	stmt_done(s);
	return ret;
}

/* ---- outbox */

int
store_outbox_add(struct store *st, const char *sender, const char *recipient,
    const char *message_id, const char *data, size_t len, time_t now,
    int64_t *id)
{
	sqlite3_stmt *s = stmt_get(st, S_OUT_ADD);
	int ret = -1;

	if (s == NULL || bind_text(st, s, 1, sender) == -1 ||
	    bind_text(st, s, 2, recipient) == -1 ||
	    bind_text(st, s, 3, message_id) == -1 ||
	    bind_int(st, s, 5, (int64_t)now) == -1)
		goto fail;
	if (sqlite3_bind_blob64(s, 4, len ? data : "", len,
	    SQLITE_STATIC) != SQLITE_OK) {
		fail_db(st, "queue message");
		goto fail;
	}
	if (step_done(st, s, "queue message") == -1)
		goto fail;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

static void
outmsg_from_row(struct store_outmsg *m, sqlite3_stmt *s)
{
	const void *blob = sqlite3_column_blob(s, 4);

	m->id = sqlite3_column_int64(s, 0);
	m->sender = col_str(s, 1);
	m->recipient = col_str(s, 2);
	m->message_id = col_str(s, 3);
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
	sqlite3_stmt *s = stmt_get(st, S_OUT_DUE);
	struct store_outmsg *v = NULL;
	size_t cnt = 0;
	int rc, ret = -1;

	*msgs = NULL;
	*n = 0;
	if (s == NULL || bind_int(st, s, 1, (int64_t)now) == -1 ||
	    bind_int(st, s, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit) == -1)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		outmsg_from_row(&v[cnt++], s);
	}
	if (rc != SQLITE_DONE) {
		fail_db(st, "read due messages");
		goto fail;
	}
	*msgs = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	ret = 0;
fail:
	stmt_done(s);
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
		return fail(st, 0, "outbox result: bad state %d", (int)state);
	if ((s = stmt_get(st, S_OUT_RESULT)) == NULL ||
	    bind_int(st, s, 1, id) == -1 ||
	    bind_text(st, s, 2, out_state_names[state]) == -1 ||
	    bind_int(st, s, 3, smtp_code) == -1 ||
	    bind_text(st, s, 4, reply) == -1 ||
	    bind_int(st, s, 5, (int64_t)next_attempt) == -1 ||
	    bind_int(st, s, 6, (int64_t)now) == -1 ||
	    step_done(st, s, "record delivery") == -1)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		fail(st, 0, "record delivery: outbox row %lld is not queued",
		    (long long)id);
		goto fail;
	}
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}

int
store_outbox_list(struct store *st,
    int (*cb)(int64_t id, const char *recipient, const char *message_id,
        const char *state, int attempts, int smtp_code, const char *reply,
        time_t created_at, time_t next_attempt, void *arg),
    void *arg)
{
	sqlite3_stmt *s = stmt_get(st, S_OUT_LIST);
	int rc = SQLITE_DONE, ret = 0;

	if (s == NULL)
		return -1;
#define T(i) ((const char *)sqlite3_column_text(s, (i)))
	while (ret == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = cb(sqlite3_column_int64(s, 0), T(1), T(2), T(3),
		    sqlite3_column_int(s, 4), sqlite3_column_int(s, 5), T(6),
		    (time_t)sqlite3_column_int64(s, 7),
		    (time_t)sqlite3_column_int64(s, 8), arg);
#undef T
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail_db(st, "list outbox");
	stmt_done(s);
	return ret;
}

int
store_outbox_count_to(struct store *st, const char *recipient, time_t since,
    unsigned *count)
{
	sqlite3_stmt *s = stmt_get(st, S_OUT_COUNT);
	int ret = -1;

	*count = 0;
	if (s == NULL || bind_text(st, s, 1, recipient) == -1 ||
	    bind_int(st, s, 2, (int64_t)since) == -1)
		goto fail;
	if (sqlite3_step(s) != SQLITE_ROW) {
		fail_db(st, "count outbox");
		goto fail;
	}
	*count = (unsigned)sqlite3_column_int64(s, 0);
	ret = 0;
fail:
	stmt_done(s);
	return ret;
}
