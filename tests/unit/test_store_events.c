/*
 * Unit tests for store_events: events, invitation mailings by audience,
 * the invited list, and answers ordered by (SEQUENCE, DTSTAMP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
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
add_sub(struct store *st, const char *email, bool events)
{
	char tok[33];
	struct store_subscriber s = { 0 };
	static int n;

	snprintf(tok, sizeof(tok), "%032x", ++n);
	s.email = (char *)email;
	s.lang = "nl";
	s.status = "active";
	s.unsub_token = tok;
	s.newsletter = true;
	s.events = events;
	s.consent_source_msgid = "cli";
	assert_int_equal(store_subscriber_put(st, &s, 100), 0);
}

/* An organisation in sector culture, active in DE, with anna as contact. */
static void
add_org(struct store *st)
{
	struct org *o = org_new();

	o->name = xstrdup("Hanze Cultuur");
	o->sector = model_sector_parse("culture");
	o->contacts = xcalloc(1, sizeof(*o->contacts));
	o->contacts[0].email = xstrdup("anna@partner.example");
	o->n_contacts = 1;
	o->activities = xcalloc(1, sizeof(*o->activities));
	memcpy(o->activities[0].country, "DE", 3);
	o->activities[0].city = xstrdup("Lübeck");
	o->n_activities = 1;
	assert_int_equal(store_org_save(st, o, NULL, NULL, NULL, 0, 100), 0);
	org_free(o);
}

static int64_t
add_event(struct store *st, const char *audience)
{
	struct store_event ev = { .uid = "ev1@example.org", .summary = "Hanzedag",
	    .tzid = "Europe/Amsterdam", .start_local = "2027-06-12T10:00:00",
	    .end_local = "2027-06-12T16:00:00", .start_utc = 1812873600,
	    .end_utc = 1812895200, .audience = (char *)audience,
	    .organiser = "office@example.org", .state = "approved" };

	assert_int_equal(store_event_put(st, &ev, 200), 0);
	assert_true(ev.id > 0);
	return ev.id;
}

static void
test_event_roundtrip(void **state)
{
	struct store *st = *state;
	struct store_event *ev = NULL;
	int64_t id = add_event(st, "all");

	assert_int_equal(store_event_by_uid(st, "ev1@example.org", &ev), 1);
	assert_int_equal(ev->id, id);
	assert_string_equal(ev->summary, "Hanzedag");
	assert_null(ev->location);
	ev->sequence = 1;
	free(ev->location);
	ev->location = xstrdup("Bergkerk, Deventer");
	assert_int_equal(store_event_put(st, ev, 300), 0);
	store_event_free(ev);
	assert_int_equal(store_event_get(st, id, &ev), 1);
	assert_int_equal(ev->sequence, 1);
	assert_string_equal(ev->location, "Bergkerk, Deventer");
	assert_int_equal(ev->updated_at, 300);
	store_event_free(ev);
	assert_int_equal(store_event_get(st, id + 1, &ev), 0);
}

static void
test_audience_and_invited(void **state)
{
	struct store *st = *state;
	struct store_mailing_part part = { "nl", "Uitnodiging", "tekst", NULL };
	struct store_rsvp_counts c;
	struct store_mailing *old = NULL;
	int64_t ev, m = 0, ev_of = 0;
	size_t n = 0;

	add_org(st);
	add_sub(st, "anna@partner.example", true);
	add_sub(st, "bob@partner.example", true);
	add_sub(st, "carla@partner.example", false);
	ev = add_event(st, "sector culture");
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "sector culture", false, &part, 1, 400, &m, &n), 0);
	assert_int_equal(n, 1);		/* only anna is a contact in culture */
	assert_int_equal(store_mailing_event(st, m, &ev_of), 0);
	assert_int_equal(ev_of, ev);
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "country de", false, &part, 1, 400, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "all", false, &part, 1, 400, &m, &n), 0);
	assert_int_equal(n, 2);		/* carla is not on the events list */
	/* Both are invited now; an update goes to exactly them, and the
	 * copies still queued from before are superseded. */
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "all", true, &part, 1, 500, &m, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_mailing_get(st, m - 1, &old), 1);
	assert_int_equal(old->n_queued, 0);
	assert_int_equal(old->n_skipped, 2);
	store_mailing_free(old);
	assert_int_equal(store_mailing_get(st, m, &old), 1);
	assert_int_equal(old->n_queued, 2);
	store_mailing_free(old);
	assert_int_equal(store_attendee_counts(st, ev, &c), 0);
	assert_int_equal(c.invited, 2);
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "planet mars", false, &part, 1, 400, &m, &n), -1);
}

static int
list_cb(const char *email, const char *name, const char *partstat,
    const char *comment, time_t updated_at, void *arg)
{
	if (strcmp(email, "anna@partner.example") == 0) {
		assert_string_equal(partstat, "DECLINED");
		assert_string_equal(comment, "ziek");
		assert_int_equal(updated_at, 700);
	}
	(*(int *)arg)++;
	return 0;
}

static void
test_replies_in_order(void **state)
{
	struct store *st = *state;
	struct store_mailing_part part = { "nl", "Uitnodiging", "tekst", NULL };
	struct store_rsvp_counts c;
	int64_t ev, m;
	size_t n;
	int rows = 0;

	add_sub(st, "anna@partner.example", true);
	add_sub(st, "bob@partner.example", true);
	ev = add_event(st, "all");
	assert_int_equal(store_mailing_create_for_event(st, "invitation", "x", ev,
	    "all", false, &part, 1, 400, &m, &n), 0);
	assert_int_equal(store_attendee_reply(st, ev, "ANNA@partner.example",
	    "ACCEPTED", NULL, 1, 1000, 600), 1);
	/* Older SEQUENCE, then same SEQUENCE with an older DTSTAMP: ignored. */
	assert_int_equal(store_attendee_reply(st, ev, "anna@partner.example",
	    "DECLINED", NULL, 0, 2000, 650), 0);
	assert_int_equal(store_attendee_reply(st, ev, "anna@partner.example",
	    "DECLINED", NULL, 1, 999, 650), 0);
	assert_int_equal(store_attendee_reply(st, ev, "anna@partner.example",
	    "DECLINED", "ziek", 1, 1001, 700), 1);
	assert_int_equal(store_attendee_reply(st, ev, "eve@evil.example",
	    "ACCEPTED", NULL, 1, 1000, 700), 2);
	assert_int_equal(store_attendee_reply(st, ev, "bob@partner.example",
	    "TENTATIVE", NULL, 0, 0, 700), 1);
	assert_int_equal(store_attendee_counts(st, ev, &c), 0);
	assert_int_equal(c.invited, 2);
	assert_int_equal(c.declined, 1);
	assert_int_equal(c.tentative, 1);
	assert_int_equal(c.accepted, 0);
	assert_int_equal(store_attendee_list(st, ev, list_cb, &rows), 0);
	assert_int_equal(rows, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_event_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audience_and_invited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replies_in_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
