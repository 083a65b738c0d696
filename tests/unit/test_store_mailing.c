/*
 * Unit tests for store_mailing: mailings with their recipient snapshot,
 * paging and skipping of deliveries, results and retries, intros,
 * bounces and settings, on an in-memory database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

static int
setup(void **state)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(":memory:", &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

static void
add_sub(struct store *st, int i, const char *lang, bool newsletter,
    const char *status)
{
	char email[64], tok[33];
	struct store_subscriber s = { 0 };

	snprintf(email, sizeof(email), "user%02d@partner.example", i);
	snprintf(tok, sizeof(tok), "%032x", i);
	s.email = email;
	s.name = i % 2 ? "Anna" : NULL;
	s.lang = (char *)lang;
	s.status = (char *)status;
	s.unsub_token = tok;
	s.newsletter = newsletter;
	s.events = true;
	s.consent_source_msgid = "cli";
	assert_int_equal(store_subscriber_put(st, &s, 100), 0);
}

static const struct store_mailing_part parts[] = {
	{ "nl", "Nieuwsbrief 2027-01", "tekst", "<p>html</p>" },
	{ "en", "Newsletter 2027-01", "text", NULL },
};

static int64_t
make_issue(struct store *st, time_t slot, size_t *n)
{
	int64_t id = 0;

	assert_int_equal(store_mailing_create(st, "newsletter", "2027-01", slot,
	    "newsletter", parts, 2, 1000, &id, n), 0);
	assert_true(id > 0);
	return id;
}

static void
test_create_snapshot(void **state)
{
	struct store *st = *state;
	struct store_mailing *m = NULL;
	struct store_mailing_part p;
	size_t n = 0;
	int64_t id, id2 = 0;
	time_t slot = 0;

	add_sub(st, 1, "nl", true, "active");
	add_sub(st, 2, "en", true, "active");
	add_sub(st, 3, "nl", false, "active");		/* events only */
	add_sub(st, 4, "nl", true, "unsubscribed");
	id = make_issue(st, 5000, &n);
	assert_int_equal(n, 2);
	/* The same slot again: no second issue. */
	assert_int_equal(store_mailing_create(st, "newsletter", "2027-01", 5000,
	    "newsletter", parts, 2, 1001, &id2, &n), 1);
	assert_int_equal(id2, 0);
	assert_int_equal(store_mailing_last_slot(st, "newsletter", &slot), 0);
	assert_int_equal(slot, 5000);
	assert_int_equal(store_mailing_get(st, id, &m), 1);
	assert_string_equal(m->state, "sending");
	assert_string_equal(m->label, "2027-01");
	assert_int_equal(m->n_queued, 2);
	store_mailing_free(m);
	assert_int_equal(store_mailing_part_get(st, id, "en", &p), 1);
	assert_string_equal(p.subject, "Newsletter 2027-01");
	assert_null(p.html);
	store_mailing_part_clear(&p);
	assert_int_equal(store_mailing_part_get(st, id, "de", &p), 0);
	/* Manual issues (slot 0) never collide. */
	make_issue(st, 0, &n);
	make_issue(st, 0, &n);
}

static void
test_paging_skip_result(void **state)
{
	struct store *st = *state;
	struct store_delivery *d = NULL;
	struct store_mailing *m = NULL;
	size_t n = 0, total = 0;
	int64_t id, after = 0, sent = 0;
	time_t at;

	for (int i = 1; i <= 7; i++)
		add_sub(st, i, i % 2 ? "nl" : "en", true, "active");
	id = make_issue(st, 0, &n);
	assert_int_equal(n, 7);
	/* user03 leaves before its copy is sent. */
	assert_int_equal(store_subscriber_unsubscribe(st, "user03@partner.example",
	    true, false, 1001), 1);
	do {
		assert_int_equal(store_deliveries_due(st, id, after, 1000, 3, &d,
		    &n), 0);
		for (size_t i = 0; i < n; i++) {
			assert_int_not_equal(strcmp(d[i].email,
			    "user03@partner.example"), 0);
			assert_int_equal(store_delivery_result(st, d[i].id,
			    i == 0 ? STORE_DLV_QUEUED : STORE_DLV_SENT,
			    i == 0 ? 451 : 250, "ok", 2000, 1000), 0);
			after = d[i].id;
			if (i > 0)
				sent = d[i].id;
		}
		total += n;
		store_deliveries_free(d, n);
	} while (n > 0);
	assert_int_equal(total, 6);
	/* Deferred rows are not due before their time. */
	assert_int_equal(store_deliveries_due(st, id, 0, 1500, 10, &d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_deliveries_next_due(st, &at), 1);
	assert_int_equal(at, 2000);
	assert_int_equal(store_mailing_finish(st, id, 1500), 0);
	assert_int_equal(store_mailing_get(st, id, &m), 1);
	assert_int_equal(m->n_skipped, 1);
	assert_int_equal(m->n_sent + m->n_queued, 6);
	store_mailing_free(m);
	/* A result for a row that is not queued fails. */
	assert_int_equal(store_delivery_result(st, sent, STORE_DLV_SENT, 250,
	    NULL, 0, 1600), -1);
}

static int
count_cb(int64_t id, int64_t mailing_id, const char *email,
    const char *state, int attempts, int smtp_code, const char *reply,
    time_t next_attempt, time_t updated_at, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_finish_and_retry(void **state)
{
	struct store *st = *state;
	struct store_delivery *d = NULL;
	struct store_mailing *m = NULL;
	size_t n = 0, changed = 0;
	int64_t id;
	int failed = 0;
	time_t at;

	add_sub(st, 1, "nl", true, "active");
	id = make_issue(st, 0, &n);
	assert_int_equal(store_deliveries_due(st, id, 0, 1000, 10, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_delivery_result(st, d[0].id, STORE_DLV_FAILED,
	    550, "550 5.1.1 no such user", 0, 1000), 0);
	store_deliveries_free(d, n);
	assert_int_equal(store_mailing_finish(st, id, 1100), 1);
	assert_int_equal(store_deliveries_next_due(st, &at), 0);
	assert_int_equal(store_delivery_list(st, id, "failed", count_cb,
	    &failed), 0);
	assert_int_equal(failed, 1);
	assert_int_equal(store_delivery_retry(st, 0, 0, 1200, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_mailing_get(st, id, &m), 1);
	assert_string_equal(m->state, "sending");
	assert_int_equal(m->n_queued, 1);
	store_mailing_free(m);
}

static void
test_intro_bounce_setting(void **state)
{
	struct store *st = *state;
	char *md = NULL, *author = NULL;
	double score = 0;
	int64_t v = 0;
	size_t n;
	time_t at;
	struct store_bounce b = { .email = "USER01@partner.example",
	    .score = 1, .status = "5.1.1", .blame = "recipient",
	    .source = "dsn" };

	assert_int_equal(store_intro_get(st, &md, &author, &at), 0);
	assert_int_equal(store_intro_add(st, "# Old", "a@x.example", NULL, 10), 0);
	assert_int_equal(store_intro_add(st, "# New", "b@x.example", "m@x", 20), 0);
	assert_int_equal(store_intro_get(st, &md, &author, &at), 1);
	assert_string_equal(md, "# New");
	assert_string_equal(author, "b@x.example");
	free(md);
	free(author);
	make_issue(st, 0, &n);
	assert_int_equal(store_intro_get(st, &md, &author, &at), 0);

	add_sub(st, 1, "nl", true, "active");
	assert_int_equal(store_bounce_add(st, &b, 100), 0);
	b.score = 0.5;
	assert_int_equal(store_bounce_add(st, &b, 200), 0);
	assert_int_equal(store_bounce_score(st, "user01@partner.example", 50,
	    &score), 0);
	assert_true(score > 1.49 && score < 1.51);
	assert_int_equal(store_bounce_score(st, "user01@partner.example", 150,
	    &score), 0);
	assert_true(score > 0.49 && score < 0.51);
	assert_int_equal(store_subscriber_disable(st, "user01@partner.example",
	    300), 1);
	assert_int_equal(store_subscriber_disable(st, "user01@partner.example",
	    300), 0);

	assert_int_equal(store_setting_get_int(st, "x", &v), 0);
	assert_int_equal(store_setting_set_int(st, "x", 42), 0);
	assert_int_equal(store_setting_set_int(st, "x", 43), 0);
	assert_int_equal(store_setting_get_int(st, "x", &v), 1);
	assert_int_equal(v, 43);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_skip_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_and_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intro_bounce_setting, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
