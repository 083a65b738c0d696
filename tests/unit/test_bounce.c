/*
 * Unit tests for bounce: the bounces in tests/cases/bounce/ (Postfix,
 * Exchange Online, Gmail 550-5.1.1, qmail, a plain-text bounce that only
 * its VERP address explains, Outlook.com rejecting us on Spamhaus, a
 * 4.2.2 mailbox full, an out-of-office reply to the bounce address) read
 * through msg_parse and handled against an in-memory store: scores,
 * disabling at the threshold, copies counted once, rejections that blame
 * us, and the weekly summary in the outbox.
 *
 * msg_parse() is safe to call here because every input is ours; it must
 * never see untrusted bytes outside the parser child (msg.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app.h"
#include "bounce.h"
#include "msg.h"
#include "store.h"
#include "templates.h"
#include "util.h"

#define DAY	((time_t)86400)
#define T0	((time_t)1801382400)	/* 2027-01-31 08:00 UTC */

static char *admins[] = { (char *)"admin@example.org",
    (char *)"office@example.org" };

struct fx {
	struct config cfg;
	struct app app;
};

/* ---- helpers ---- */

static char *
beside_source(const char *rel)
{
	const char *slash = strrchr(__FILE__, '/');
	char *p = xasprintf("tests/%s", rel);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return xasprintf("%.*s/../%s", slash ? (int)(slash - __FILE__) : 1,
	    slash ? __FILE__ : ".", rel);
}

static struct msg *
parse_case(const char *name)
{
	char *rel = xasprintf("cases/bounce/%s", name);
	char *path = beside_source(rel), *raw = NULL, err[128];
	struct msg *m = NULL;
	size_t len;

	if (hp_read_file(path, MSG_RAW_MAX, &raw, &len) != 0)
		fail_msg("cannot read %s", path);
	if (msg_parse(raw, len, &m, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(raw);
	free(path);
	free(rel);
	return m;
}

/* As another bounce of another copy would be: its own Message-ID. */
static void
set_message_id(struct msg *m, const char *id)
{
	free(m->message_id);
	m->message_id = xstrdup(id);
}

static void
add_subscriber(struct fx *fx, const char *email, const char *token)
{
	struct store_subscriber s = {
		.email = (char *)email, .lang = (char *)"nl",
		.status = (char *)"active",
		.consent_source_msgid = (char *)"cli",
		.unsub_token = (char *)token, .newsletter = true,
		.consent_at = T0 - 100 * DAY,
	};

	assert_int_equal(store_subscriber_put(fx->app.store, &s, T0 - 100 * DAY), 0);
}

static const char *
status_of(struct fx *fx, const char *email, char *buf, size_t size)
{
	struct store_subscriber *s = NULL;

	assert_int_equal(store_subscriber_get(fx->app.store, email, &s), 1);
	hp_strlcpy(buf, s->status, size);
	store_subscriber_free(s);
	return buf;
}

static double
score_of(struct fx *fx, const char *email, time_t now)
{
	double score = -1;

	assert_int_equal(store_bounce_score(fx->app.store, email,
	    now - 30 * DAY, &score), 0);
	return score;
}

/* Handle case name at now: with the Message-ID id when not NULL, and
 * then as the bounce of another copy (a returned copy's id made from
 * id's local part), unless same_copy. */
static bool
handle_copy(struct fx *fx, const char *name, const char *id, bool same_copy,
    time_t now)
{
	struct msg *m = parse_case(name);
	bool understood = false;

	if (id != NULL)
		set_message_id(m, id);
	if (id != NULL && !same_copy && m->returned_message_id != NULL) {
		free(m->returned_message_id);
		m->returned_message_id = xasprintf("nl-%.*s@example.org",
		    (int)strcspn(id, "@"), id);
	}
	assert_int_equal(bounce_handle_message(&fx->app, m, now, &understood),
	    HP_OK);
	msg_free(m);
	return understood;
}

static bool
handle(struct fx *fx, const char *name, const char *id, time_t now)
{
	return handle_copy(fx, name, id, false, now);
}

struct rows {
	size_t n;
	char last_blame[32], last_msgid[256];
};

static int
rows_cb(const struct store_bounce *b, time_t at, void *arg)
{
	struct rows *r = arg;

	(void)at;
	r->n++;
	hp_strlcpy(r->last_blame, b->blame, sizeof(r->last_blame));
	hp_strlcpy(r->last_msgid, b->message_id ? b->message_id : "",
	    sizeof(r->last_msgid));
	return 0;
}

static struct rows
bounce_rows(struct fx *fx)
{
	struct rows r = { 0 };

	assert_int_equal(store_bounce_list(fx->app.store, 0, rows_cb, &r), 0);
	return r;
}

/* The outbox rows due now: their count; the data of the first for office. */
static size_t
outbox(struct fx *fx, time_t now, char **office_data)
{
	struct store_outmsg *m = NULL;
	size_t n = 0;

	assert_int_equal(store_outbox_due(fx->app.store, now, 100, &m, &n), 0);
	for (size_t i = 0; office_data && i < n; i++)
		if (strcmp(m[i].recipient, "office@example.org") == 0) {
			*office_data = xstrdup(m[i].data);
			if (getenv("HP_DUMP") != NULL)
				fprintf(stderr, "-----\n%s-----\n", m[i].data);
		}
	for (size_t i = 0; i < n; i++)	/* sent: not due again */
		assert_int_equal(store_outbox_result(fx->app.store, m[i].id,
		    STORE_OUT_SENT, 250, "ok", 0, now), 0);
	store_outmsgs_free(m, n);
	return n;
}

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256], *dir = beside_source("../templates");

	fx->cfg.office.address = (char *)"office@example.org";
	fx->cfg.office.name = (char *)"Hanze Internationaal";
	fx->cfg.office.bounce_address = (char *)"office+bounce@example.org";
	fx->cfg.office.admins = admins;
	fx->cfg.office.n_admins = 2;
	fx->cfg.office.language = LANG_EN;
	fx->cfg.limits.replies_per_hour = 10;
	fx->cfg.limits.bounce_threshold = 3;
	fx->cfg.limits.bounce_window = 30 * 86400;
	fx->app.cfg = &fx->cfg;
	fx->app.templates = templates_new(dir);
	free(dir);
	if (store_open(":memory:", &fx->app.store, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	add_subscriber(fx, "anna@partner.example", "0123456789abcdef0123456789abcdef");
	add_subscriber(fx, "piet@partner.example", "1123456789abcdef0123456789abcdef");
	add_subscriber(fx, "weg@oldhost.example", "2123456789abcdef0123456789abcdef");
	add_subscriber(fx, "jan.visser@hotmail.example", "3123456789abcdef0123456789abcdef");
	add_subscriber(fx, "vol@gmail.example", "4123456789abcdef0123456789abcdef");
	add_subscriber(fx, "sam@small.example", "5123456789abcdef0123456789abcdef");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->app.store);
	templates_free(fx->app.templates);
	free(fx);
	return 0;
}

/* ---- scoring ---- */

static void
test_hard_dsn_disables_at_threshold(void **state)
{
	struct fx *fx = *state;
	char st[32];

	assert_true(handle(fx, "postfix-user-unknown.eml", NULL, T0));
	assert_true(score_of(fx, "anna@partner.example", T0) == 1.0);
	assert_string_equal(status_of(fx, "anna@partner.example", st, sizeof(st)),
	    "active");
	/* The next two issues bounce too. */
	assert_true(handle(fx, "postfix-user-unknown.eml", "b2@mail.example.org",
	    T0 + 7 * DAY));
	assert_string_equal(status_of(fx, "anna@partner.example", st, sizeof(st)),
	    "active");
	assert_true(handle(fx, "postfix-user-unknown.eml", "b3@mail.example.org",
	    T0 + 14 * DAY));
	assert_true(score_of(fx, "anna@partner.example", T0 + 14 * DAY) == 3.0);
	assert_string_equal(status_of(fx, "anna@partner.example", st, sizeof(st)),
	    "disabled");
	/* A late one is recorded; nothing more to disable. */
	assert_true(handle(fx, "postfix-user-unknown.eml", "b4@mail.example.org",
	    T0 + 15 * DAY));
	assert_int_equal(bounce_rows(fx).n, 4);
}

static void
test_window_forgets_old_bounces(void **state)
{
	struct fx *fx = *state;
	char st[32];

	assert_true(handle(fx, "postfix-user-unknown.eml", NULL, T0));
	assert_true(handle(fx, "postfix-user-unknown.eml", "b2@mail.example.org",
	    T0 + 20 * DAY));
	/* The first is 40 days old by now: 2 in the window, not 3. */
	assert_true(handle(fx, "postfix-user-unknown.eml", "b3@mail.example.org",
	    T0 + 40 * DAY));
	assert_string_equal(status_of(fx, "anna@partner.example", st, sizeof(st)),
	    "active");
}

static void
test_soft_bounce_half(void **state)
{
	struct fx *fx = *state;
	char st[32];

	assert_true(handle(fx, "mailbox-full-4.2.2.eml", NULL, T0));
	assert_true(score_of(fx, "vol@gmail.example", T0) == 0.5);
	assert_string_equal(bounce_rows(fx).last_blame, "transient");
	assert_string_equal(status_of(fx, "vol@gmail.example", st, sizeof(st)),
	    "active");
}

static void
test_other_mtas(void **state)
{
	struct fx *fx = *state;

	assert_true(handle(fx, "exchange-ndr.eml", NULL, T0));
	assert_true(score_of(fx, "piet@partner.example", T0) == 1.0);
	/* Exchange names the copy in In-Reply-To. */
	assert_string_equal(bounce_rows(fx).last_msgid, "nl-3-102@example.org");
	assert_true(handle(fx, "qmail-text.eml", NULL, T0));
	assert_true(score_of(fx, "weg@oldhost.example", T0) == 1.0);
	/* qmail quotes the copy's Message-ID in its text. */
	assert_string_equal(bounce_rows(fx).last_msgid, "nl-3-104@example.org");
}

static void
test_blocklist_blames_us(void **state)
{
	struct fx *fx = *state;
	struct rows r;
	char st[32];

	assert_true(handle(fx, "outlook-blocklist-5.7.1.eml", NULL, T0));
	assert_true(handle(fx, "outlook-blocklist-5.7.1.eml", "x2@mail.example.org",
	    T0 + 1));
	assert_true(handle(fx, "outlook-blocklist-5.7.1.eml", "x3@mail.example.org",
	    T0 + 2));
	assert_true(score_of(fx, "jan.visser@hotmail.example", T0 + 2) == 0.0);
	assert_string_equal(status_of(fx, "jan.visser@hotmail.example", st,
	    sizeof(st)), "active");
	r = bounce_rows(fx);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.last_blame, "sender");
}

static void
test_verp_only_text_bounce(void **state)
{
	struct fx *fx = *state;

	assert_true(handle(fx, "verp-only-text.eml", NULL, T0));
	assert_true(score_of(fx, "sam@small.example", T0) == 1.0);
}

static void
test_not_a_subscriber(void **state)
{
	struct fx *fx = *state;

	/* Lotte never subscribed: understood, nothing to do. */
	assert_true(handle(fx, "gmail-550-5.1.1.eml", NULL, T0));
	assert_int_equal(bounce_rows(fx).n, 0);
}

static void
test_not_understood(void **state)
{
	struct fx *fx = *state;

	/* To the VERP address, but no status: held for a person. */
	assert_false(handle(fx, "out-of-office.eml", NULL, T0));
	assert_int_equal(bounce_rows(fx).n, 0);
}

/* Another process holds the write lock: the message waits (HP_RETRY). */
static void
test_store_busy_retries(void **state)
{
	struct fx *fx = *state;
	char dir[] = "/tmp/test_bounce.XXXXXX", *path, err[256];
	struct store *other = NULL, *mem = fx->app.store;
	struct msg *m = parse_case("postfix-user-unknown.eml");
	bool understood = true;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/hp.db", dir);
	assert_int_equal(store_open(path, &fx->app.store, err, sizeof(err)), 0);
	assert_int_equal(store_open(path, &other, err, sizeof(err)), 0);
	add_subscriber(fx, "anna@partner.example", "0123456789abcdef0123456789abcdef");
	store_set_busy_timeout(fx->app.store, 1);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(bounce_handle_message(&fx->app, m, T0, &understood),
	    HP_RETRY);
	store_rollback(other);
	assert_int_equal(bounce_handle_message(&fx->app, m, T0, &understood),
	    HP_OK);
	assert_true(understood);
	store_close(other);
	store_close(fx->app.store);
	fx->app.store = mem;
	msg_free(m);
	unlink(path);
	free(path);
	path = xasprintf("%s/hp.db-wal", dir);
	unlink(path);
	free(path);
	path = xasprintf("%s/hp.db-shm", dir);
	unlink(path);
	free(path);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- counting a copy once ---- */

static void
test_duplicate_dsn_counted_once(void **state)
{
	struct fx *fx = *state;
	struct dsn_recipient r = { .action = DSN_FAILED };

	add_subscriber(fx, "lotte.bakker@campus.example",
	    "6123456789abcdef0123456789abcdef");
	/* The same Gmail DSN twice, with different bounce ids: Gmail's
	 * X-Original-Message-ID names the one copy. */
	assert_true(handle(fx, "gmail-550-5.1.1.eml", NULL, T0));
	assert_true(handle_copy(fx, "gmail-550-5.1.1.eml", "g2@mx.google.com", true,
	    T0 + 60));
	assert_true(score_of(fx, "lotte.bakker@campus.example", T0 + 60) == 1.0);
	assert_string_equal(bounce_rows(fx).last_msgid, "nl-3-103@example.org");
	/* Our own server's 5xx for that copy would not count again either. */
	hp_strlcpy(r.diagnostic, "550 5.1.1 user unknown", sizeof(r.diagnostic));
	assert_int_equal(dsn_status_from_reply(r.diagnostic, r.status,
	    sizeof(r.status)), 0);
	dsn_recipient_judge(&r);
	assert_int_equal(bounce_record(&fx->app, "lotte.bakker@campus.example", &r,
	    "smtp", "nl-3-103@example.org", T0 + 120), 0);
	assert_true(score_of(fx, "lotte.bakker@campus.example", T0 + 120) == 1.0);
	/* A different copy counts. */
	assert_int_equal(bounce_record(&fx->app, "Lotte.Bakker@campus.example", &r,
	    "smtp", "nl-4-1@example.org", T0 + 180), 0);
	assert_true(score_of(fx, "lotte.bakker@campus.example", T0 + 180) == 2.0);
	/* The same bounce delivered twice (same Message-ID) counts once. */
	assert_true(handle(fx, "postfix-user-unknown.eml", NULL, T0));
	assert_true(handle(fx, "postfix-user-unknown.eml", NULL, T0 + 1));
	assert_true(score_of(fx, "anna@partner.example", T0 + 1) == 1.0);
	/* So does a second, different report about the same copy: the
	 * returned headers name it (nl-3-101@example.org). */
	assert_true(handle_copy(fx, "postfix-user-unknown.eml",
	    "other-report@mx2.example.org", true, T0 + 2));
	assert_true(score_of(fx, "anna@partner.example", T0 + 2) == 1.0);
}

static void
test_record_ignores_non_failures(void **state)
{
	struct fx *fx = *state;
	struct dsn_recipient r = { .action = DSN_DELAYED };

	hp_strlcpy(r.status, "4.4.7", sizeof(r.status));
	dsn_recipient_judge(&r);
	assert_int_equal(bounce_record(&fx->app, "anna@partner.example", &r,
	    "dsn", NULL, T0), 0);
	assert_int_equal(bounce_rows(fx).n, 0);
}

/* ---- the weekly summary ---- */

static void
test_summary_weekly(void **state)
{
	struct fx *fx = *state;
	char *data = NULL;
	int64_t at = 0;

	/* Nothing bounced: nothing sent, but the week starts. */
	assert_int_equal(bounce_summary_tick(&fx->app, T0), 0);
	assert_int_equal(outbox(fx, T0, NULL), 0);
	assert_int_equal(store_setting_get_int(fx->app.store, "bounce.summary_at",
	    &at), 1);
	assert_int_equal(at, T0);

	assert_true(handle(fx, "postfix-user-unknown.eml", NULL, T0 + DAY));
	assert_true(handle(fx, "outlook-blocklist-5.7.1.eml", NULL, T0 + DAY));
	assert_true(handle(fx, "mailbox-full-4.2.2.eml", NULL, T0 + 2 * DAY));
	/* Within the week: no summary yet. */
	assert_int_equal(bounce_summary_tick(&fx->app, T0 + 6 * DAY), 0);
	assert_int_equal(outbox(fx, T0 + 6 * DAY, NULL), 0);

	/* A week on: to the office and the admin (not the office twice). */
	assert_int_equal(bounce_summary_tick(&fx->app, T0 + 7 * DAY), 0);
	assert_int_equal(outbox(fx, T0 + 7 * DAY, &data), 2);
	assert_non_null(data);
	assert_non_null(strstr(data, "Subject: Bounces of the list mail"));
	assert_non_null(strstr(data, "Auto-Submitted: auto-generated"));
	assert_non_null(strstr(data, "anna@partner.example: 1x, score 1"));
	assert_non_null(strstr(data, "vol@gmail.example: 1x, score 0.5"));
	/* The blocklisting is in its own section, after the counted ones. */
	assert_non_null(strstr(data, "These rejections blame our server, not the subscriber"));
	assert_non_null(strstr(data, "blocklists/SPF/DKIM"));
	assert_true(strstr(data, "jan.visser@hotmail.example (dsn): 5.7.1") >
	    strstr(data, "These rejections blame our server"));
	assert_null(strstr(data, "jan.visser@hotmail.example: "));
	assert_null(strstr(data, "Disabled subscribers"));
	/* Not a reply: the reply rate limit neither counts nor stops it. */
	{
		unsigned count = 9;
		assert_int_equal(store_outbox_count_to(fx->app.store,
		    "office@example.org", 0, &count), 0);
		assert_int_equal(count, 0);
	}
	free(data);
	data = NULL;

	/* Once a week only, even when more bounces came. */
	assert_true(handle(fx, "postfix-user-unknown.eml", "b2@mail.example.org",
	    T0 + 8 * DAY));
	assert_true(handle(fx, "postfix-user-unknown.eml", "b3@mail.example.org",
	    T0 + 9 * DAY));
	assert_int_equal(bounce_summary_tick(&fx->app, T0 + 10 * DAY), 0);
	assert_int_equal(outbox(fx, T0 + 10 * DAY, NULL), 0);
	/* The next week tells only what is new: anna twice, now disabled. */
	assert_int_equal(bounce_summary_tick(&fx->app, T0 + 14 * DAY), 0);
	assert_int_equal(outbox(fx, T0 + 14 * DAY, &data), 2);
	assert_non_null(strstr(data, "Disabled subscribers"));
	assert_non_null(strstr(data, "anna@partner.example (since"));
	assert_non_null(strstr(data, "anna@partner.example: 2x, score 2"));
	assert_null(strstr(data, "vol@gmail.example"));
	assert_null(strstr(data, "blame our server"));
	free(data);
}

static void
test_summary_dutch(void **state)
{
	struct fx *fx = *state;
	char *data = NULL;

	fx->cfg.office.language = LANG_NL;
	fx->cfg.office.n_admins = 0;
	assert_true(handle(fx, "outlook-blocklist-5.7.1.eml", NULL, T0));
	assert_int_equal(bounce_summary_tick(&fx->app, T0 + DAY), 0);
	assert_int_equal(outbox(fx, T0 + DAY, &data), 1);
	assert_non_null(strstr(data, "Subject: Onbestelbare lijstmail"));
	assert_non_null(strstr(data, "wijzen naar onze server"));
	assert_non_null(strstr(data, "jan.visser@hotmail.example (dsn): 5.7.1"));
	free(data);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_hard_dsn_disables_at_threshold),
		T(test_window_forgets_old_bounces),
		T(test_soft_bounce_half),
		T(test_other_mtas),
		T(test_blocklist_blames_us),
		T(test_verp_only_text_bounce),
		T(test_not_a_subscriber),
		T(test_not_understood),
		T(test_store_busy_retries),
		T(test_duplicate_dsn_counted_once),
		T(test_record_ignores_non_failures),
		T(test_summary_weekly),
		T(test_summary_dutch),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
