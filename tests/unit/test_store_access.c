/*
 * Unit tests for the access part of store (store_access.c) and schema
 * version 2: pending actions, subscribers, office addresses, ambassadors,
 * and the outbox kind.  Each test gets a fresh database in its own
 * mkdtemp directory under /tmp, removed afterwards.
 *
 * sqlite3.h is used here for one thing only: writing a database as
 * version 1 of the schema left it, to check the migration to version 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "util.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/hp-test-access.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/hanzepost.db", fx->dir);
	if (store_open(fx->path, &fx->st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	DIR *d;
	struct dirent *e;
	char p[512];

	store_close(fx->st);
	if ((d = opendir(fx->dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* user_version from the database header (offset 60, big-endian). */
static int
read_header_version(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 60), 4);
	close(fd);
	return (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
}

static void
reopen(struct fx *fx)
{
	char err[256];

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
}

static struct store_subscriber
make_sub(const char *email, const char *token)
{
	return (struct store_subscriber){
		.email = (char *)email, .name = (char *)"Anna de Vries",
		.lang = (char *)"nl", .status = (char *)"active",
		.consent_source_msgid = (char *)"<ask@x.example>",
		.consent_confirm_msgid = (char *)"<yes@x.example>",
		.unsub_token = (char *)token, .newsletter = true, .events = true,
		.consent_at = 1000,
	};
}

#define TOK_A "0123456789abcdef0123456789abcdef"
#define TOK_B "fedcba9876543210fedcba9876543210"
#define TOK_C "00000000000000000000000000000000"

/* ---- schema */

static void
test_schema_version(void **state)
{
	struct fx *fx = *state;
	bool is = true;

	assert_int_equal(store_schema_version(), 5);
	assert_int_equal(store_office_add(fx->st, "a@x.example", 1), 0);
	/* Closed, the write-ahead log is folded into the file. */
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(read_header_version(fx->path),
	    store_schema_version());
	/* Opening a current database changes nothing. */
	reopen(fx);
	assert_string_equal(store_error(fx->st), "");
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(read_header_version(fx->path),
	    store_schema_version());
	reopen(fx);
	assert_int_equal(store_office_is(fx->st, "a@x.example", &is), 0);
	assert_true(is);
}

/* The outbox as migration 1 created it (the other version-1 tables play
 * no part in migration 2). */
static const char v1_outbox[] =
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY, sender TEXT NOT NULL,"
	" recipient TEXT NOT NULL COLLATE NOCASE, message_id TEXT NOT NULL UNIQUE,"
	" data BLOB NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0, smtp_code INTEGER NOT NULL DEFAULT 0,"
	" reply TEXT, created_at INTEGER NOT NULL, next_attempt INTEGER NOT NULL,"
	" sent_at INTEGER) STRICT;"
	"CREATE INDEX outbox_recipient ON outbox(recipient, created_at);"
	"INSERT INTO outbox (sender, recipient, message_id, data, state,"
	" created_at, next_attempt) VALUES ('h@h.example', 'bob@x.example',"
	" '<old@h>', X'78', 'queued', 100, 100);"
	"PRAGMA user_version = 1;";

static void
test_migrate_from_v1(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber sub = make_sub("anna@x.example", TOK_A);
	struct store_outmsg *m = NULL;
	sqlite3 *db = NULL;
	char err[256];
	unsigned count = 0;
	size_t n = 0;

	store_close(fx->st);
	fx->st = NULL;
	snprintf(err, sizeof(err), "%s-wal", fx->path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", fx->path);
	unlink(err);
	unlink(fx->path);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_outbox, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(read_header_version(fx->path), 1);

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	/* The old row is a reply and still counts; it is still due. */
	assert_int_equal(store_outbox_count_to(fx->st, "bob@x.example", 0,
	    &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_outbox_due(fx->st, 200, 10, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].message_id, "<old@h>");
	store_outmsgs_free(m, n);
	/* The new tables are there. */
	assert_int_equal(store_subscriber_put(fx->st, &sub, 5), 0);
	assert_int_equal(store_ambassador_add(fx->st, "a@x.example", "culture",
	    5), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(read_header_version(fx->path),
	    store_schema_version());
	reopen(fx);
}

/* ---- pending actions */

static void
test_pending_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct store_pending *p = NULL;
	int64_t id = 0, id2 = 0;

	assert_int_equal(store_pending_add(fx->st, "hash1", "update",
	    "Voorbeeld B.V.", "economy", "eve@x.example",
	    "anna@voorbeeld.example,bob@voorbeeld.example", "{\"a\":1}",
	    "<src@x.example>", 100, 100 + 7 * 86400, &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_pending_add(fx->st, "hash2", "subscribe", NULL,
	    NULL, "s@x.example", "s@x.example", "{}", NULL, 200, 300, &id2), 0);
	assert_true(id2 > id);

	assert_int_equal(store_pending_get(fx->st, "hash1", &p), 1);
	assert_int_equal(p->id, id);
	assert_string_equal(p->kind, "update");
	assert_string_equal(p->org_name, "Voorbeeld B.V.");
	assert_string_equal(p->sector, "economy");
	assert_string_equal(p->requester, "eve@x.example");
	assert_string_equal(p->authorisers,
	    "anna@voorbeeld.example,bob@voorbeeld.example");
	assert_string_equal(p->payload, "{\"a\":1}");
	assert_string_equal(p->source_msgid, "<src@x.example>");
	assert_string_equal(p->state, "pending");
	assert_null(p->done_by);
	assert_null(p->done_msgid);
	assert_int_equal(p->created_at, 100);
	assert_int_equal(p->expires_at, 100 + 7 * 86400);
	assert_int_equal(p->done_at, 0);
	store_pending_free(p);

	assert_int_equal(store_pending_get(fx->st, "hash2", &p), 1);
	assert_null(p->org_name);
	assert_null(p->sector);
	assert_null(p->source_msgid);
	assert_int_equal(p->expires_at, 300);
	store_pending_free(p);

	p = (struct store_pending *)1;
	assert_int_equal(store_pending_get(fx->st, "nope", &p), 0);
	assert_null(p);
	store_pending_free(NULL);
}

static void
test_pending_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(store_pending_add(fx->st, "h", "remove", "X", NULL,
	    "a@x.example", "a@x.example", "{}", NULL, 1, 2, NULL), 0);
	/* The same token hash twice. */
	assert_int_equal(store_pending_add(fx->st, "h", "remove", "X", NULL,
	    "a@x.example", "a@x.example", "{}", NULL, 1, 2, NULL), -1);
	/* A kind the schema does not know. */
	assert_int_equal(store_pending_add(fx->st, "h2", "delete_all", NULL,
	    NULL, "a@x.example", "a@x.example", "{}", NULL, 1, 2, NULL), -1);
	/* Required values. */
	assert_int_equal(store_pending_add(fx->st, "h3", "new_org", "Y", NULL,
	    NULL, "a@x.example", "{}", NULL, 1, 2, NULL), -1);
	assert_int_equal(store_pending_add(fx->st, "h4", "new_org", "Y", NULL,
	    "a@x.example", "a@x.example", NULL, NULL, 1, 2, NULL), -1);
}

static void
test_pending_single_use(void **state)
{
	struct fx *fx = *state;
	struct store_pending *p = NULL;
	int64_t id = 0, id2 = 0;

	assert_int_equal(store_pending_add(fx->st, "h", "new_org", "Nieuw",
	    "culture", "n@x.example", "amb@x.example", "{}", NULL, 10, 20,
	    &id), 0);
	assert_int_equal(store_pending_finish(fx->st, id, "done",
	    "amb@x.example", "<approve@x>", 15), 0);
	/* The second use changes nothing. */
	assert_int_equal(store_pending_finish(fx->st, id, "rejected",
	    "other@x.example", "<late@x>", 16), 1);
	assert_int_equal(store_pending_get(fx->st, "h", &p), 1);
	assert_string_equal(p->state, "done");
	assert_string_equal(p->done_by, "amb@x.example");
	assert_string_equal(p->done_msgid, "<approve@x>");
	assert_int_equal(p->done_at, 15);
	store_pending_free(p);

	assert_int_equal(store_pending_add(fx->st, "h2", "new_org", "Ander",
	    NULL, "n@x.example", "office@x.example", "{}", NULL, 10, 20,
	    &id2), 0);
	assert_int_equal(store_pending_finish(fx->st, id2, "rejected", NULL,
	    NULL, 17), 0);
	assert_int_equal(store_pending_finish(fx->st, id2, "done", NULL,
	    NULL, 18), 1);
	assert_int_equal(store_pending_get(fx->st, "h2", &p), 1);
	assert_string_equal(p->state, "rejected");
	assert_null(p->done_by);
	assert_int_equal(p->done_at, 17);
	store_pending_free(p);

	/* An unknown id and a bad state are errors. */
	assert_int_equal(store_pending_finish(fx->st, 999, "done", NULL, NULL,
	    1), -1);
	assert_non_null(strstr(store_error(fx->st), "no action"));
	assert_int_equal(store_pending_finish(fx->st, id, "pending", NULL, NULL,
	    1), -1);
	assert_int_equal(store_pending_finish(fx->st, id, NULL, NULL, NULL,
	    1), -1);
}

/* Finishing joins the caller's transaction: rolled back, the action is
 * still pending and can be used. */
static void
test_pending_in_transaction(void **state)
{
	struct fx *fx = *state;
	struct store_pending *p = NULL;
	int64_t id = 0;

	assert_int_equal(store_pending_add(fx->st, "h", "update", "O", NULL,
	    "a@x.example", "b@x.example", "{}", NULL, 1, 2, &id), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_pending_finish(fx->st, id, "done", "b@x.example",
	    NULL, 3), 0);
	store_rollback(fx->st);
	assert_int_equal(store_pending_get(fx->st, "h", &p), 1);
	assert_string_equal(p->state, "pending");
	store_pending_free(p);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_pending_finish(fx->st, id, "done", "b@x.example",
	    NULL, 3), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_pending_finish(fx->st, id, "done", "b@x.example",
	    NULL, 4), 1);
}

/* ---- subscribers */

static void
test_subscriber_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber in = make_sub("Anna@X.example", TOK_A);
	struct store_subscriber *s = NULL;

	assert_int_equal(store_subscriber_put(fx->st, &in, 500), 0);
	assert_int_equal(store_subscriber_get(fx->st, "anna@x.EXAMPLE", &s), 1);
	assert_true(s->id > 0);
	assert_string_equal(s->email, "Anna@X.example");
	assert_string_equal(s->name, "Anna de Vries");
	assert_string_equal(s->lang, "nl");
	assert_string_equal(s->status, "active");
	assert_string_equal(s->consent_source_msgid, "<ask@x.example>");
	assert_string_equal(s->consent_confirm_msgid, "<yes@x.example>");
	assert_string_equal(s->unsub_token, TOK_A);
	assert_true(s->newsletter);
	assert_true(s->events);
	assert_int_equal(s->consent_at, 1000);
	assert_int_equal(s->created_at, 500);
	assert_int_equal(s->updated_at, 500);
	store_subscriber_free(s);

	assert_int_equal(store_subscriber_by_token(fx->st, TOK_A, &s), 1);
	assert_string_equal(s->email, "Anna@X.example");
	store_subscriber_free(s);
	s = (struct store_subscriber *)1;
	assert_int_equal(store_subscriber_by_token(fx->st, TOK_B, &s), 0);
	assert_null(s);
	assert_int_equal(store_subscriber_get(fx->st, "bob@x.example", &s), 0);
	assert_null(s);
	store_subscriber_free(NULL);
}

static void
test_subscriber_update(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber in = make_sub("anna@x.example", TOK_A);
	struct store_subscriber *s = NULL;
	int64_t id;

	assert_int_equal(store_subscriber_put(fx->st, &in, 500), 0);
	assert_int_equal(store_subscriber_get(fx->st, "anna@x.example", &s), 1);
	id = s->id;
	store_subscriber_free(s);
	/* No token: the row keeps its own; NULLs and 0 are stored as such. */
	in = (struct store_subscriber){ .email = (char *)"ANNA@x.example",
	    .lang = (char *)"en", .status = (char *)"disabled",
	    .events = true };
	assert_int_equal(store_subscriber_put(fx->st, &in, 600), 0);
	assert_int_equal(store_subscriber_get(fx->st, "anna@x.example", &s), 1);
	assert_int_equal(s->id, id);
	assert_string_equal(s->email, "anna@x.example");
	assert_null(s->name);
	assert_string_equal(s->lang, "en");
	assert_string_equal(s->status, "disabled");
	assert_null(s->consent_source_msgid);
	assert_null(s->consent_confirm_msgid);
	assert_string_equal(s->unsub_token, TOK_A);
	assert_false(s->newsletter);
	assert_true(s->events);
	assert_int_equal(s->consent_at, 0);
	assert_int_equal(s->created_at, 500);
	assert_int_equal(s->updated_at, 600);
	store_subscriber_free(s);
	/* A new token replaces the old one. */
	in.unsub_token = (char *)TOK_B;
	assert_int_equal(store_subscriber_put(fx->st, &in, 700), 0);
	assert_int_equal(store_subscriber_by_token(fx->st, TOK_B, &s), 1);
	assert_int_equal(s->id, id);
	store_subscriber_free(s);
	assert_int_equal(store_subscriber_by_token(fx->st, TOK_A, &s), 0);
}

static void
test_subscriber_refused(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber in = make_sub("anna@x.example", TOK_A);

	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
	/* A new row needs a token, and tokens are unique. */
	in = make_sub("bob@x.example", NULL);
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), -1);
	in.unsub_token = (char *)TOK_A;
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), -1);
	/* Values outside the schema's lists. */
	in.unsub_token = (char *)TOK_B;
	in.lang = (char *)"de";
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), -1);
	in.lang = (char *)"en";
	in.status = (char *)"pending";
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), -1);
	in.status = (char *)"active";
	in.email = NULL;
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), -1);
	in.email = (char *)"bob@x.example";
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
}

static void
test_unsubscribe(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber in = make_sub("anna@x.example", TOK_A);
	struct store_subscriber *s = NULL;

	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "ANNA@x.example",
	    true, false, 10), 1);
	assert_int_equal(store_subscriber_get(fx->st, "anna@x.example", &s), 1);
	assert_false(s->newsletter);
	assert_true(s->events);
	assert_string_equal(s->status, "active");
	assert_int_equal(s->updated_at, 10);
	store_subscriber_free(s);
	/* Not on that list any more: nothing to do. */
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "anna@x.example",
	    true, false, 11), 0);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "anna@x.example",
	    false, false, 11), 0);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "anna@x.example",
	    false, true, 12), 1);
	assert_int_equal(store_subscriber_get(fx->st, "anna@x.example", &s), 1);
	assert_false(s->newsletter);
	assert_false(s->events);
	assert_string_equal(s->status, "unsubscribed");
	assert_int_equal(s->updated_at, 12);
	/* The consent record stays until the row is erased. */
	assert_int_equal(s->consent_at, 1000);
	store_subscriber_free(s);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "anna@x.example",
	    true, true, 13), 0);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "nobody@x.example",
	    true, true, 13), 0);

	/* Both at once; a disabled address can still leave. */
	in = make_sub("bob@x.example", TOK_B);
	in.status = (char *)"disabled";
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
	assert_int_equal(store_subscriber_unsubscribe(fx->st, "bob@x.example",
	    true, true, 20), 1);
	assert_int_equal(store_subscriber_get(fx->st, "bob@x.example", &s), 1);
	assert_string_equal(s->status, "unsubscribed");
	store_subscriber_free(s);
}

struct sub_seen {
	char emails[8][64];
	size_t n;
	int stop_at;
	struct store *st;
};

static int
collect_sub(const struct store_subscriber *s, void *arg)
{
	struct sub_seen *seen = arg;

	hp_strlcpy(seen->emails[seen->n], s->email, sizeof(seen->emails[0]));
	seen->n++;
	/* The rows were read first: the callback may write. */
	if (seen->st != NULL && store_office_add(seen->st, s->email, 1) == -1)
		return -1;
	return seen->stop_at > 0 && (int)seen->n == seen->stop_at ? 42 : 0;
}

static void
test_subscriber_list_delete(void **state)
{
	struct fx *fx = *state;
	struct store_subscriber in;
	struct sub_seen seen = { .n = 0 };
	bool is = false;

	in = make_sub("carol@x.example", TOK_C);
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
	in = make_sub("Bob@x.example", TOK_B);
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
	in = make_sub("anna@x.example", TOK_A);
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);

	seen.st = fx->st;
	assert_int_equal(store_subscriber_list(fx->st, collect_sub, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.emails[0], "anna@x.example");
	assert_string_equal(seen.emails[1], "Bob@x.example");
	assert_string_equal(seen.emails[2], "carol@x.example");
	assert_int_equal(store_office_is(fx->st, "carol@x.example", &is), 0);
	assert_true(is);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	assert_int_equal(store_subscriber_list(fx->st, collect_sub, &seen), 42);
	assert_int_equal(seen.n, 2);

	assert_int_equal(store_subscriber_delete(fx->st, "BOB@x.example"), 1);
	assert_int_equal(store_subscriber_delete(fx->st, "bob@x.example"), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_subscriber_list(fx->st, collect_sub, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.emails[1], "carol@x.example");
	/* Its token is free again. */
	in = make_sub("dave@x.example", TOK_B);
	assert_int_equal(store_subscriber_put(fx->st, &in, 1), 0);
}

/* ---- office and ambassadors */

struct rows {
	char v[8][128];
	size_t n;
};

static int
collect_office(const char *email, time_t added_at, void *arg)
{
	struct rows *r = arg;

	snprintf(r->v[r->n++], sizeof(r->v[0]), "%s %lld", email,
	    (long long)added_at);
	return 0;
}

static int
collect_amb(const char *email, const char *sector, time_t added_at,
    void *arg)
{
	struct rows *r = arg;

	snprintf(r->v[r->n++], sizeof(r->v[0]), "%s %s %lld", sector, email,
	    (long long)added_at);
	return r->n == 3 ? 7 : 0;
}

static void
test_office(void **state)
{
	struct fx *fx = *state;
	struct rows r = { .n = 0 };
	bool is = true;

	assert_int_equal(store_office_is(fx->st, "b@x.example", &is), 0);
	assert_false(is);
	assert_int_equal(store_office_add(fx->st, "b@x.example", 10), 0);
	assert_int_equal(store_office_add(fx->st, "B@X.example", 11), 1);
	assert_int_equal(store_office_add(fx->st, "a@x.example", 12), 0);
	assert_int_equal(store_office_is(fx->st, "B@x.EXAMPLE", &is), 0);
	assert_true(is);
	assert_int_equal(store_office_list(fx->st, collect_office, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0], "a@x.example 12");
	assert_string_equal(r.v[1], "b@x.example 10");
	assert_int_equal(store_office_remove(fx->st, "B@x.example"), 1);
	assert_int_equal(store_office_remove(fx->st, "b@x.example"), 0);
	assert_int_equal(store_office_is(fx->st, "b@x.example", &is), 0);
	assert_false(is);
	assert_int_equal(store_office_add(fx->st, NULL, 1), -1);
}

static void
test_ambassadors(void **state)
{
	struct fx *fx = *state;
	struct rows r = { .n = 0 };
	char **emails = NULL;
	size_t n = 99;
	bool is = true;

	assert_int_equal(store_ambassador_add(fx->st, "z@x.example", "culture",
	    1), 0);
	assert_int_equal(store_ambassador_add(fx->st, "Z@x.example", "culture",
	    2), 1);
	assert_int_equal(store_ambassador_add(fx->st, "z@x.example", "economy",
	    3), 0);
	assert_int_equal(store_ambassador_add(fx->st, "a@x.example", "culture",
	    4), 0);
	assert_int_equal(store_ambassador_add(fx->st, "a@x.example", NULL, 4),
	    -1);
	assert_int_equal(store_ambassador_is(fx->st, "Z@X.example", "economy",
	    &is), 0);
	assert_true(is);
	assert_int_equal(store_ambassador_is(fx->st, "a@x.example", "economy",
	    &is), 0);
	assert_false(is);

	assert_int_equal(store_ambassadors_for_sector(fx->st, "culture",
	    &emails, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(emails[0], "a@x.example");
	assert_string_equal(emails[1], "z@x.example");
	for (size_t i = 0; i < n; i++)
		free(emails[i]);
	free(emails);
	assert_int_equal(store_ambassadors_for_sector(fx->st, "government",
	    &emails, &n), 0);
	assert_int_equal(n, 0);
	assert_null(emails);

	assert_int_equal(store_ambassador_list(fx->st, collect_amb, &r), 7);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0], "culture a@x.example 4");
	assert_string_equal(r.v[1], "culture z@x.example 1");
	assert_string_equal(r.v[2], "economy z@x.example 3");

	assert_int_equal(store_ambassador_remove(fx->st, "Z@x.example",
	    "culture"), 1);
	assert_int_equal(store_ambassador_remove(fx->st, "z@x.example",
	    "culture"), 0);
	assert_int_equal(store_ambassador_is(fx->st, "z@x.example", "economy",
	    &is), 0);
	assert_true(is);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_schema_version),
		T(test_migrate_from_v1),
		T(test_pending_roundtrip),
		T(test_pending_refused),
		T(test_pending_single_use),
		T(test_pending_in_transaction),
		T(test_subscriber_roundtrip),
		T(test_subscriber_update),
		T(test_subscriber_refused),
		T(test_unsubscribe),
		T(test_subscriber_list_delete),
		T(test_office),
		T(test_ambassadors),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
