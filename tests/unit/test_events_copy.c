/*
 * Unit tests for events_build_copy and events_calendar (events_copy.c)
 * over an in-memory store: an event on 2027-03-28 (the day summer time
 * starts in Europe/Amsterdam), two subscribers on the events list, the
 * invitation mailing made by store_mailing_create_for_event, and each
 * copy read back (libetpan for the MIME, libical for the calendar):
 * METHOD in the VCALENDAR and the Content-Type, UID, SEQUENCE, the
 * subscriber as ATTENDEE (RSVP, NEEDS-ACTION), the office as ORGANIZER,
 * TZID Europe/Amsterdam resolved through our own VTIMEZONE to the right
 * UTC instant, the localised texts and subjects, the same Message-ID
 * every time; then an update (Gewijzigd:), a cancellation (METHOD:CANCEL,
 * STATUS:CANCELLED) and a queued invitation of the cancelled event that
 * must not be built.  With INVITE_EML_DIR set the copies are also
 * written there for tests/cases/invite/check.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <libetpan/libetpan.h>
#include <libical/ical.h>

#include "events.h"
#include "events_copy.h"
#include "templates.h"
#include "util.h"

#define T0	((time_t)1799582400)	/* 2027-01-10 12:00:00 UTC */
#define UID	"0123456789abcdef0123456789abcdef@example.org"
#define SUMMARY	"Café Überleg – Łódź meets Østfold"

static char *admins[] = { "admin@example.org" };
static struct config cfg;
static struct app app;
static char *templates_dir;
static int64_t event_id;

/* ---- fixture ---- */

static void
add_subscriber(const char *email, const char *name, const char *lang,
    const char *token)
{
	struct store_subscriber s = { 0 };

	s.email = (char *)email;
	s.name = (char *)name;
	s.lang = (char *)lang;
	s.status = "active";
	s.consent_source_msgid = "cli";
	s.unsub_token = (char *)token;
	s.events = true;
	assert_int_equal(store_subscriber_put(app.store, &s, T0), 0);
}

static struct store_event
sample_event(void)
{
	struct store_event ev = {
		.uid = UID, .sequence = 0, .summary = SUMMARY,
		.location = "Bergkerk, Bergkerkplein 1, Deventer",
		.description = "Sprekers uit Łódź en Ørsta.\nKoffie vanaf 13:30.",
		.tzid = "Europe/Amsterdam",
		.start_local = "2027-03-28T14:00:00",
		.end_local = "2027-03-28T17:00:00",
		.start_utc = 1806235200, .end_utc = 1806246000,
		.audience = "all", .organiser = "ambassador@partner.example",
		.state = "approved",
	};

	return ev;
}

static int
setup(void **state)
{
	char err[256];
	const char *file = __FILE__, *slash = strrchr(file, '/');
	struct store_event ev = sample_event();

	memset(&cfg, 0, sizeof(cfg));
	cfg.office.name = "Deventer Internationaal";
	cfg.office.address = "office@example.org";
	cfg.office.unsubscribe_address = "office+unsubscribe@example.org";
	cfg.office.bounce_address = "office+bounce@example.org";
	cfg.office.timezone = "Europe/Amsterdam";
	cfg.office.language = LANG_NL;
	cfg.office.admins = admins;
	cfg.office.n_admins = 1;
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	if (store_open(":memory:", &app.store, err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	templates_dir = xasprintf("%.*s/../../templates",
	    slash ? (int)(slash - file) : 1, slash ? file : ".");
	app.templates = templates_new(templates_dir);
	add_subscriber("anna@partner.example", "Ånna Łukasiewicz-Dupré", "nl",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	add_subscriber("bob@partner.example", NULL, "en",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	if (store_event_put(app.store, &ev, T0) == -1)
		return -1;
	event_id = ev.id;
	return 0;
}

static int
teardown(void **state)
{
	store_close(app.store);
	templates_free(app.templates);
	free(templates_dir);
	return 0;
}

/* ---- helpers ---- */

/* A mailing of kind for the event; its deliveries by id. */
static struct store_mailing *
mailing_for(const char *kind, bool invited_only, struct store_delivery **d,
    size_t *n)
{
	struct store_mailing_part parts[2] = {
		{ "nl", "", "", NULL }, { "en", "", "", NULL },
	};
	struct store_mailing *m = NULL;
	int64_t id;
	size_t nr;

	assert_int_equal(store_mailing_create_for_event(app.store, kind, kind,
	    event_id, "all", invited_only, parts, 2, T0, &id, &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(store_mailing_get(app.store, id, &m), 1);
	assert_int_equal(store_deliveries_due(app.store, id, 0, T0 + 86400, 10,
	    d, n), 0);
	assert_int_equal(*n, 2);
	return m;
}

static const struct store_delivery *
delivery_of(const struct store_delivery *d, size_t n, const char *email)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].email, email) == 0)
			return &d[i];
	fail_msg("no delivery for %s", email);
	return NULL;
}

static char *
build(const struct store_mailing *m, const struct store_delivery *d,
    size_t *len, const char *save_as)
{
	char *out = NULL, err[256];
	const char *dir = getenv("INVITE_EML_DIR");

	if (events_build_copy(&app, m, NULL, d, &out, len, err, sizeof(err)) != 0)
		fail_msg("events_build_copy: %s", err);
	assert_int_equal(strlen(out), *len);
	if (dir != NULL && save_as != NULL) {
		char *path = xasprintf("%s/%s", dir, save_as);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(out, 1, *len, f), *len);
		fclose(f);
		free(path);
	}
	return out;
}

static struct mailmime *
child(const struct mailmime *mp, int i)
{
	clistiter *it = clist_begin(mp->mm_data.mm_multipart.mm_mp_list);

	while (i-- > 0 && it != NULL)
		it = clist_next(it);
	assert_non_null(it);
	return clist_content(it);
}

/* The decoded body of a leaf part (caller frees). */
static char *
decoded(const struct mailmime *m)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	size_t idx = 0, n = 0;
	char *res = NULL, *copy;

	assert_int_equal(mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &res, &n),
	    MAILIMF_NO_ERROR);
	copy = xstrndup(res, n);
	mmap_string_unref(res);
	return copy;
}

/* The pieces of one copy: subject (decoded), text, calendar. */
struct copy {
	char *subject, *msgid, *text, *cal;
	const char *ct_method;
};

static void
copy_read(const char *msg, size_t len, struct copy *c)
{
	struct mailmime *root = NULL, *alt;
	struct mailimf_single_fields hf;
	size_t idx = 0;

	memset(c, 0, sizeof(*c));
	assert_int_equal(mailmime_parse(msg, len, &idx, &root), MAILIMF_NO_ERROR);
	mailimf_single_fields_init(&hf, root->mm_data.mm_message.mm_fields);
	idx = 0;
	assert_int_equal(mailmime_encoded_phrase_parse("us-ascii",
	    hf.fld_subject->sbj_value, strlen(hf.fld_subject->sbj_value), &idx,
	    "utf-8", &c->subject), MAILIMF_NO_ERROR);
	c->msgid = xstrdup(hf.fld_message_id->mid_value);
	alt = child(root->mm_data.mm_message.mm_msg_mime, 0);
	c->text = decoded(child(alt, 0));
	c->cal = decoded(child(alt, 2));
	c->ct_method = mailmime_content_param_get(child(alt, 2)->mm_content_type,
	    "method");
	assert_non_null(c->ct_method);
	c->ct_method = strcmp(c->ct_method, "REQUEST") == 0 ? "REQUEST" :
	    strcmp(c->ct_method, "CANCEL") == 0 ? "CANCEL" : "?";
	mailmime_free(root);
}

static void
copy_free(struct copy *c)
{
	free(c->subject);
	free(c->msgid);
	free(c->text);
	free(c->cal);
}

/* The calendar's VEVENT checked; root returned for more checks. */
static icalcomponent *
check_calendar(const char *cal, icalproperty_method method,
    unsigned sequence, const char *attendee)
{
	icalcomponent *root = icalparser_parse_string(cal), *ve, *vtz;
	icalproperty *p;
	icalparameter *par;

	assert_non_null(root);
	assert_int_equal(icalcomponent_count_errors(root), 0);
	assert_int_equal(icalcomponent_get_method(root), method);
	vtz = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
	assert_non_null(vtz);
	assert_string_equal(icalproperty_get_tzid(icalcomponent_get_first_property(
	    vtz, ICAL_TZID_PROPERTY)), "Europe/Amsterdam");
	ve = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	assert_non_null(ve);
	assert_string_equal(icalcomponent_get_uid(ve), UID);
	assert_int_equal(icalcomponent_get_sequence(ve), (int)sequence);
	assert_string_equal(icalcomponent_get_summary(ve), SUMMARY);
	p = icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY);
	assert_string_equal(icalproperty_get_organizer(p), "mailto:office@example.org");
	p = icalcomponent_get_first_property(ve, ICAL_ATTENDEE_PROPERTY);
	assert_non_null(p);
	assert_string_equal(icalproperty_get_attendee(p), attendee);
	assert_null(icalcomponent_get_next_property(ve, ICAL_ATTENDEE_PROPERTY));
	par = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	assert_int_equal(icalparameter_get_partstat(par), ICAL_PARTSTAT_NEEDSACTION);
	par = icalproperty_get_first_parameter(p, ICAL_RSVP_PARAMETER);
	if (method == ICAL_METHOD_REQUEST)
		assert_int_equal(icalparameter_get_rsvp(par), ICAL_RSVP_TRUE);
	p = icalcomponent_get_first_property(ve, ICAL_DTSTART_PROPERTY);
	par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	assert_string_equal(icalparameter_get_tzid(par), "Europe/Amsterdam");
	return root;
}

/* DTSTART/DTEND of the VEVENT as UTC seconds, through our VTIMEZONE. */
static void
check_instants(icalcomponent *root, time_t start, time_t end)
{
	icalcomponent *ve = icalcomponent_get_first_component(root,
	    ICAL_VEVENT_COMPONENT);
	struct icaltimetype s = icalcomponent_get_dtstart(ve);
	struct icaltimetype e = icalcomponent_get_dtend(ve);

	assert_ptr_equal(s.zone, icalcomponent_get_timezone(root,
	    "Europe/Amsterdam"));
	assert_int_equal(icaltime_as_timet_with_zone(s, s.zone), start);
	assert_int_equal(icaltime_as_timet_with_zone(e, e.zone), end);
}

/* ---- tests ---- */

static void
test_invitation(void **state)
{
	struct store_delivery *d = NULL;
	size_t n, len, len2;
	struct store_mailing *m = mailing_for(EVENTS_KIND_REQUEST, false, &d, &n);
	const struct store_delivery *anna = delivery_of(d, n, "anna@partner.example");
	const struct store_delivery *bob = delivery_of(d, n, "bob@partner.example");
	char *msg = build(m, anna, &len, "anna-request.eml"), *again, *want;
	struct copy c, c2;
	icalcomponent *root;

	copy_read(msg, len, &c);
	assert_string_equal(c.subject, "Uitnodiging: " SUMMARY);
	want = xasprintf("ev-%lld-%lld@example.org", (long long)m->id,
	    (long long)anna->id);
	assert_string_equal(c.msgid, want);
	assert_string_equal(c.ct_method, "REQUEST");
	assert_non_null(strstr(c.text, "Beste Ånna Łukasiewicz-Dupré,"));
	assert_non_null(strstr(c.text, "zondag 28 maart 2027, 14:00–17:00 "
	    "(Europe/Amsterdam)"));
	assert_non_null(strstr(c.text, "Sprekers uit Łódź en Ørsta."));
	assert_non_null(strstr(c.text, "office+unsubscribe-aaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa@example.org"));
	assert_non_null(strstr(msg, "\r\nList-Unsubscribe: \r\n <mailto:office+"
	    "unsubscribe-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
	root = check_calendar(c.cal, ICAL_METHOD_REQUEST, 0,
	    "mailto:anna@partner.example");
	/* 14:00 CEST on the first day of summer time is 12:00 UTC. */
	check_instants(root, 1806235200, 1806246000);
	icalcomponent_free(root);
	/* Built again: the same Message-ID (a retry is the same message). */
	again = build(m, anna, &len2, NULL);
	copy_read(again, len2, &c2);
	assert_string_equal(c2.msgid, c.msgid);
	copy_free(&c2);
	free(again);
	copy_free(&c);
	free(msg);
	/* Bob: English, no name. */
	msg = build(m, bob, &len, "bob-request.eml");
	copy_read(msg, len, &c);
	assert_string_equal(c.subject, "Invitation: " SUMMARY);
	assert_non_null(strstr(c.text, "Hello,"));
	assert_non_null(strstr(c.text, "Sunday 28 March 2027, 14:00–17:00"));
	assert_non_null(strstr(msg, "Content-Language: en\r\n"));
	root = check_calendar(c.cal, ICAL_METHOD_REQUEST, 0,
	    "mailto:bob@partner.example");
	icalcomponent_free(root);
	copy_free(&c);
	free(msg);
	free(want);
	store_deliveries_free(d, n);
	store_mailing_free(m);
}

/* An all-day event over three days: the end shown inclusive, no zone. */
static void
test_all_day(void **state)
{
	struct store_delivery *d = NULL;
	struct store_event *ev = NULL;
	struct store_mailing *m;
	char *msg, *start, *end;
	size_t n, len;
	struct copy c;

	assert_int_equal(store_event_get(app.store, event_id, &ev), 1);
	start = ev->start_local;
	end = ev->end_local;
	ev->all_day = true;
	ev->start_local = "2027-06-12";
	ev->end_local = "2027-06-15";
	assert_int_equal(store_event_put(app.store, ev, T0 + 5), 0);
	m = mailing_for(EVENTS_KIND_REQUEST, true, &d, &n);
	msg = build(m, delivery_of(d, n, "anna@partner.example"), &len, NULL);
	copy_read(msg, len, &c);
	assert_non_null(strstr(c.text, "Wanneer:     zaterdag 12 juni 2027 t/m "
	    "maandag 14 juni 2027\r\n"));
	assert_non_null(strstr(c.cal, "\r\nDTEND;VALUE=DATE:20270615\r\n"));
	copy_free(&c);
	free(msg);
	ev->all_day = false;
	ev->start_local = start;
	ev->end_local = end;
	assert_int_equal(store_event_put(app.store, ev, T0 + 6), 0);
	store_event_free(ev);
	store_deliveries_free(d, n);
	store_mailing_free(m);
}

/* An update (SEQUENCE 1), then the cancellation (SEQUENCE 2); the
 * queued first invitation is not built once the event is cancelled. */
static void
test_update_and_cancel(void **state)
{
	struct store_delivery *d1 = NULL, *d2 = NULL, *d3 = NULL;
	size_t n1, n2, n3, len;
	struct store_mailing *m1 = mailing_for(EVENTS_KIND_REQUEST, false, &d1, &n1);
	struct store_event *ev = NULL;
	struct store_mailing *m2, *m3;
	char *msg, *out = NULL, err[256];
	struct copy c;
	icalcomponent *root, *ve;

	assert_int_equal(store_event_get(app.store, event_id, &ev), 1);
	ev->sequence = 1;
	free(ev->location);
	ev->location = xstrdup("Lebuïnuskerk, Deventer");
	assert_int_equal(store_event_put(app.store, ev, T0 + 10), 0);
	m2 = mailing_for(EVENTS_KIND_REQUEST, true, &d2, &n2);
	msg = build(m2, delivery_of(d2, n2, "anna@partner.example"), &len,
	    "anna-update.eml");
	copy_read(msg, len, &c);
	assert_string_equal(c.subject, "Gewijzigd: " SUMMARY);
	assert_non_null(strstr(c.text, "Lebuïnuskerk"));
	root = check_calendar(c.cal, ICAL_METHOD_REQUEST, 1,
	    "mailto:anna@partner.example");
	icalcomponent_free(root);
	copy_free(&c);
	free(msg);

	ev->sequence = 2;
	free(ev->state);
	ev->state = xstrdup("cancelled");
	assert_int_equal(store_event_put(app.store, ev, T0 + 20), 0);
	m3 = mailing_for(EVENTS_KIND_CANCEL, true, &d3, &n3);
	msg = build(m3, delivery_of(d3, n3, "bob@partner.example"), &len,
	    "bob-cancel.eml");
	copy_read(msg, len, &c);
	assert_string_equal(c.subject, "Cancelled: " SUMMARY);
	assert_string_equal(c.ct_method, "CANCEL");
	assert_non_null(strstr(c.text, "has been cancelled"));
	root = check_calendar(c.cal, ICAL_METHOD_CANCEL, 2,
	    "mailto:bob@partner.example");
	ve = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	assert_int_equal(icalcomponent_get_status(ve), ICAL_STATUS_CANCELLED);
	icalcomponent_free(root);
	copy_free(&c);
	free(msg);
	/* The first invitation, still queued, must not go out now. */
	assert_int_equal(events_build_copy(&app, m1, NULL, &d1[0], &out, &len,
	    err, sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "cancelled"));
	store_event_free(ev);
	store_deliveries_free(d1, n1);
	store_deliveries_free(d2, n2);
	store_deliveries_free(d3, n3);
	store_mailing_free(m1);
	store_mailing_free(m2);
	store_mailing_free(m3);
}

/* events_calendar alone: across the DST change itself, all-day events,
 * PUBLISH without attendee, unreadable stored times. */
static void
test_calendar(void **state)
{
	struct store_event ev = sample_event();
	struct itip_attendee att = { "anna@partner.example", NULL,
	    ITIP_NEEDS_ACTION, true };
	char *cal = NULL, err[256];
	icalcomponent *root;
	size_t len;

	/* 01:30 CET to 03:30 CEST: one hour of real time. */
	ev.start_local = "2027-03-28T01:30:00";
	ev.end_local = "2027-03-28T03:30";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_REQUEST, &att, T0, &cal,
	    &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(cal), len);
	root = check_calendar(cal, ICAL_METHOD_REQUEST, 0,
	    "mailto:anna@partner.example");
	check_instants(root, 1806193800, 1806197400);
	icalcomponent_free(root);
	free(cal);
	/* All day, the end exclusive as stored. */
	ev.all_day = true;
	ev.start_local = "2027-06-12";
	ev.end_local = "2027-06-13";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_PUBLISH, NULL, T0, &cal,
	    &len, err, sizeof(err)), 0);
	assert_non_null(strstr(cal, "\r\nMETHOD:PUBLISH\r\n"));
	assert_non_null(strstr(cal, "\r\nDTSTART;VALUE=DATE:20270612\r\n"));
	assert_non_null(strstr(cal, "\r\nDTEND;VALUE=DATE:20270613\r\n"));
	assert_null(strstr(cal, "ATTENDEE"));
	assert_null(strstr(cal, "VTIMEZONE"));
	free(cal);
	/* Unreadable stored times and zones are refused. */
	ev.all_day = false;
	ev.start_local = "2027-03-28 14:00";
	ev.end_local = "2027-03-28T17:00:00";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_PUBLISH, NULL, T0, &cal,
	    &len, err, sizeof(err)), -1);
	ev.start_local = "2027-03-28T14:00:00x";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_PUBLISH, NULL, T0, &cal,
	    &len, err, sizeof(err)), -1);
	ev.start_local = "2027-03-28T14:00:00";
	ev.tzid = "../../etc/passwd";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_PUBLISH, NULL, T0, &cal,
	    &len, err, sizeof(err)), -1);
	ev.tzid = "Nowhere/Atlantis";
	assert_int_equal(events_calendar(&cfg, &ev, ITIP_PUBLISH, NULL, T0, &cal,
	    &len, err, sizeof(err)), -1);
}

/* A mailing that is not for an event, or of another kind. */
static void
test_not_an_invitation(void **state)
{
	struct store_mailing m = { .id = 999, .kind = EVENTS_KIND_REQUEST };
	struct store_delivery d = { .id = 1, .email = "anna@partner.example",
	    .lang = "nl", .unsub_token = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	char *out = NULL, err[256];
	size_t len;

	assert_int_equal(events_build_copy(&app, &m, NULL, &d, &out, &len, err,
	    sizeof(err)), -1);
	assert_null(out);
	m.kind = "newsletter";
	assert_int_equal(events_build_copy(&app, &m, NULL, &d, &out, &len, err,
	    sizeof(err)), -1);
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invitation),
		cmocka_unit_test(test_all_day),
		cmocka_unit_test(test_update_and_cancel),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_not_an_invitation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
