/*
 * Unit tests for the event form reader (form_read_event, form_event.c):
 * realistic event mails in Dutch and English, date shapes and ranges,
 * End defaults and order, time zone syntax, every audience kind in both
 * languages, Event-Id, registry fields mixed in, the shared line rules
 * (quoting, continuation, stop markers) and hostile values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "form.h"
#include "util.h"

static struct country_db *db;

static int
setup(void **state)
{
	char err[256];

	if (country_db_load(NULL, NULL, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "country_db_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	country_db_free(db);
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

static int
rd(const char *body, struct event_form *ev)
{
	return form_read_event(NULL, body, strlen(body), db, ev);
}

static void
dump_problems(const char *what, const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  %s line %d: %s | %s\n", what, p->v[i].line,
		    p->v[i].text[LANG_NL], p->v[i].text[LANG_EN]);
}

/* Is there a problem on line (any line when < 0) whose text in lang
 * contains needle? */
static bool
has_lang(const struct problems *p, int line, enum lang lang,
    const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if ((line < 0 || p->v[i].line == line) &&
		    strstr(p->v[i].text[lang], needle) != NULL)
			return true;
	return false;
}

#define assert_has_lang(p, line, lang, needle) do {			\
	if (!has_lang((p), (line), (lang), (needle))) {			\
		dump_problems(#p, (p));					\
		fail_msg("no problem \"%s\" on line %d", (needle), (line)); \
	}								\
} while (0)
#define assert_has(p, line, needle) assert_has_lang(p, line, LANG_EN, needle)

#define assert_clean(ev) do {						\
	if ((ev)->errors.n != 0 || (ev)->warnings.n != 0) {		\
		dump_problems("error", &(ev)->errors);			\
		dump_problems("warning", &(ev)->warnings);		\
		fail_msg("event form has problems");			\
	}								\
} while (0)

static void
assert_time(const struct itip_time *t, int y, int mo, int d, int h, int mi,
    bool all_day)
{
	assert_int_equal(t->year, y);
	assert_int_equal(t->month, mo);
	assert_int_equal(t->day, d);
	assert_int_equal(t->hour, h);
	assert_int_equal(t->minute, mi);
	assert_int_equal(t->second, 0);
	assert_int_equal(t->all_day, all_day);
}

/* Read "Event: T\nStart: start\nEnd: end\n" (end NULL: no End line). */
static int
rd_times(const char *start, const char *end, struct event_form *ev)
{
	char *body = end != NULL ?
	    xasprintf("Event: T\nStart: %s\nEnd: %s\n", start, end) :
	    xasprintf("Event: T\nStart: %s\n", start);
	int r = rd(body, ev);

	free(body);
	return r;
}

/* The audience "Audience: value" normalises to, or NULL for an error. */
static void
expect_audience(const struct country_db *cdb, const char *value,
    const char *want)
{
	struct event_form ev;
	char *body = xasprintf("Event: T\nStart: 2027-06-12 10:00\n"
	    "End: 2027-06-12 12:00\nAudience: %s\n", value);
	int r = form_read_event(NULL, body, strlen(body), cdb, &ev);

	if (want == NULL) {
		if (r != -1 || ev.errors.n == 0)
			fail_msg("audience \"%s\" accepted as \"%s\"", value,
			    ev.audience);
		assert_int_equal(ev.errors.v[0].line, 4);
	} else {
		if (r != 0) {
			dump_problems("error", &ev.errors);
			fail_msg("audience \"%s\" refused", value);
		}
		assert_string_equal(ev.audience, want);
	}
	event_form_clear(&ev);
	free(body);
}

/* --- whole mails ---------------------------------------------------------- */

static void
test_complete_english(void **state)
{
	struct event_form ev;
	const char *mail =
	    "Dear office,\n"
	    "\n"
	    "Please send out the invitation below to the Hanze partners.\n"
	    "\n"
	    "Event: Hanze Network Day 2027\n"
	    "Start: 2027-06-12 10:00\n"
	    "End: 2027-06-12 17:30\n"
	    "Timezone: Europe/Amsterdam\n"
	    "Location: Burgerzaal, Stadhuis, Grote Kerkhof 4, Deventer\n"
	    "Description: A day of talks and trade fair stands.\n"
	    "  Lunch is provided; bring your business cards.\n"
	    "Audience: network Hanze\n"
	    "\n"
	    "Kind regards,\n"
	    "Anna de Vries\n"
	    "-- \n"
	    "Anna de Vries | Gemeente Deventer\n"
	    "Event: not this one\n";

	assert_int_equal(rd(mail, &ev), 0);
	assert_clean(&ev);
	assert_string_equal(ev.title, "Hanze Network Day 2027");
	assert_time(&ev.start, 2027, 6, 12, 10, 0, false);
	assert_time(&ev.end, 2027, 6, 12, 17, 30, false);
	assert_false(ev.end_default);
	assert_string_equal(ev.tzid, "Europe/Amsterdam");
	assert_string_equal(ev.location,
	    "Burgerzaal, Stadhuis, Grote Kerkhof 4, Deventer");
	assert_string_equal(ev.description, "A day of talks and trade fair "
	    "stands. Lunch is provided; bring your business cards.");
	assert_string_equal(ev.audience, "network Hanze");
	assert_int_equal(ev.sector, SECTOR_NONE);
	assert_null(ev.event_id);
	assert_int_equal(ev.present, FORM_EV_TITLE | FORM_EV_START |
	    FORM_EV_END | FORM_EV_TIMEZONE | FORM_EV_LOCATION |
	    FORM_EV_DESCRIPTION | FORM_EV_AUDIENCE);
	assert_int_equal(ev.n_lines_read, 15);
	event_form_clear(&ev);
}

static void
test_complete_dutch(void **state)
{
	struct event_form ev;
	const char *mail =
	    "Beste collega's,\r\n"
	    "\r\n"
	    "Graag deze uitnodiging versturen naar de culturele partners.\r\n"
	    "\r\n"
	    "Evenement: Hanzefestival – opening met Łódź en Tromsø\r\n"
	    "Start: 12-06-2027 19.30 uur\r\n"
	    "End: 12-06-2027 23:00\r\n"
	    "Locatie: Schouwburg, Leeuwenbrug 88, Deventer\r\n"
	    "Omschrijving: Opening van het festival met muziek uit\r\n"
	    "    de Hanzesteden.\r\n"
	    "Audience: sector cultuur\r\n"
	    "> Evenement: oud voorstel\r\n"
	    "\r\n"
	    "Met vriendelijke groet,\r\n"
	    "Jan\r\n"
	    "\r\n"
	    "Op 3 mei 2027 om 09:12 schreef Piet <piet@voorbeeld.example>:\r\n"
	    "> Start: 2027-01-01 10:00\r\n";

	assert_int_equal(rd(mail, &ev), 0);
	assert_clean(&ev);
	assert_string_equal(ev.title,
	    "Hanzefestival – opening met Łódź en Tromsø");
	assert_time(&ev.start, 2027, 6, 12, 19, 30, false);
	assert_time(&ev.end, 2027, 6, 12, 23, 0, false);
	assert_null(ev.tzid);
	assert_string_equal(ev.location, "Schouwburg, Leeuwenbrug 88, Deventer");
	assert_string_equal(ev.description,
	    "Opening van het festival met muziek uit de Hanzesteden.");
	assert_string_equal(ev.audience, "sector culture");
	assert_int_equal(ev.sector, SECTOR_CULTURE);
	assert_int_equal(ev.n_lines_read, 16);
	event_form_clear(&ev);
}

static void
test_update_with_event_id(void **state)
{
	struct event_form ev;
	const char *mail =
	    "Re: your event\n"
	    "The venue changed, here is the corrected form.\n"
	    "Event-Id: 20270612T100000-4f2a@hanzepost.deventer.example\n"
	    "Event: Hanze Network Day 2027\n"
	    "Start: 2027-06-12T10:00\n"
	    "End: 2027-06-12T17:00\n"
	    "Location: De Lindenberg, Deventer\n";

	assert_int_equal(rd(mail, &ev), 0);
	assert_clean(&ev);
	assert_string_equal(ev.event_id,
	    "20270612T100000-4f2a@hanzepost.deventer.example");
	assert_string_equal(ev.audience, "all");
	assert_time(&ev.start, 2027, 6, 12, 10, 0, false);
	event_form_clear(&ev);

	assert_int_equal(rd("Event: X\nStart: 2027-06-12 10:00\n"
	    "End: 2027-06-12 11:00\nEvent-Id: 42; DROP TABLE events\n",
	    &ev), -1);
	assert_has(&ev.errors, 4, "is not an event id");
	assert_null(ev.event_id);
	event_form_clear(&ev);
}

/* --- dates and times -------------------------------------------------------- */

static void
test_all_day(void **state)
{
	struct event_form ev;

	assert_int_equal(rd_times("2027-06-12", "2027-06-14", &ev), 0);
	assert_clean(&ev);
	assert_time(&ev.start, 2027, 6, 12, 0, 0, true);
	assert_time(&ev.end, 2027, 6, 14, 0, 0, true);
	event_form_clear(&ev);

	/* One day: End = Start, inclusive as written. */
	assert_int_equal(rd_times("12-06-2027", "12-06-2027", &ev), 0);
	assert_clean(&ev);
	assert_time(&ev.end, 2027, 6, 12, 0, 0, true);
	event_form_clear(&ev);

	/* No End: the same day, with a warning. */
	assert_int_equal(rd_times("2027-06-12", NULL, &ev), 0);
	assert_int_equal(ev.errors.n, 0);
	assert_has(&ev.warnings, 2, "End is missing; taken to be 2027-06-12");
	assert_has_lang(&ev.warnings, 2, LANG_NL, "End ontbreekt");
	assert_true(ev.end_default);
	assert_time(&ev.end, 2027, 6, 12, 0, 0, true);
	event_form_clear(&ev);

	/* A timed End for an all-day Start, and the other way round. */
	assert_int_equal(rd_times("2027-06-12", "2027-06-12 17:00", &ev), -1);
	assert_has(&ev.errors, 3, "must both be dates");
	event_form_clear(&ev);
	assert_int_equal(rd_times("2027-06-12 10:00", "2027-06-13", &ev), -1);
	assert_has(&ev.errors, 3, "must both be dates");
	event_form_clear(&ev);
	assert_int_equal(rd_times("2027-06-12", "17:00", &ev), -1);
	assert_has(&ev.errors, 3, "must both be dates");
	event_form_clear(&ev);
	/* All-day End before Start. */
	assert_int_equal(rd_times("2027-06-12", "2027-06-11", &ev), -1);
	assert_has(&ev.errors, 3, "End (2027-06-11) must be after Start "
	    "(2027-06-12)");
	event_form_clear(&ev);
}

static void
test_date_shapes(void **state)
{
	static const struct {
		const char *text;
		int y, mo, d, h, mi;
	} ok[] = {
		{ "2027-06-12 10:00", 2027, 6, 12, 10, 0 },
		{ "2027-06-12T10:00", 2027, 6, 12, 10, 0 },
		{ "2027-06-12t10:00", 2027, 6, 12, 10, 0 },
		{ "2027-6-2   9:05", 2027, 6, 2, 9, 5 },
		{ "12-06-2027 10:00", 2027, 6, 12, 10, 0 },
		{ "1-6-2027 9:30", 2027, 6, 1, 9, 30 },
		{ "01-06-2027 09.30 uur", 2027, 6, 1, 9, 30 },
		{ "12-06-2027 14:00u", 2027, 6, 12, 14, 0 },
		{ "2027-06-12\t00:00", 2027, 6, 12, 0, 0 },
		{ "2027-06-12 23:59 h", 2027, 6, 12, 23, 59 },
	};
	struct event_form ev;

	for (size_t i = 0; i < HP_NELEM(ok); i++) {
		if (rd_times(ok[i].text, NULL, &ev) != 0) {
			dump_problems("error", &ev.errors);
			fail_msg("\"%s\" refused", ok[i].text);
		}
		assert_time(&ev.start, ok[i].y, ok[i].mo, ok[i].d, ok[i].h,
		    ok[i].mi, false);
		event_form_clear(&ev);
	}
}

static void
test_date_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "12 juni 2027 10:00", "is not a date and time" },
		{ "June 12, 2027", "is not a date and time" },
		{ "2027/06/12 10:00", "is not a date and time" },
		{ "12.06.2027 10:00", "is not a date and time" },
		{ "2027-06-12 10", "is not a date and time" },
		{ "2027-06-12 10:0", "is not a date and time" },
		{ "2027-06-12 10:00:00", "is not a date and time" },
		{ "2027-06-12 10:00 - 12:00", "is not a date and time" },
		{ "27-06-12 10:00", "is not a date and time" },
		{ "02027-06-12 10:00", "is not a date and time" },
		{ "2027-006-12 10:00", "is not a date and time" },
		{ "2027-06-12 010:00", "is not a date and time" },
		{ "tomorrow", "is not a date and time" },
		{ "1999-12-31 10:00", "the year must be between 2000 and 2100" },
		{ "2101-01-01", "the year must be between 2000 and 2100" },
		{ "0000-00-00", "the year must be between 2000 and 2100" },
		{ "2027-02-29", "is not a date that exists" },
		{ "2100-02-29 10:00", "is not a date that exists" },
		{ "2027-04-31 10:00", "is not a date that exists" },
		{ "2027-13-01 10:00", "is not a date that exists" },
		{ "2027-00-10 10:00", "is not a date that exists" },
		{ "00-06-2027 10:00", "is not a date that exists" },
		{ "2027-06-12 24:00", "the time must be between 00:00 and 23:59" },
		{ "2027-06-12 10:60", "the time must be between 00:00 and 23:59" },
		{ "10:00", "the date is missing" },
	};
	struct event_form ev;

	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		if (rd_times(bad[i].text, "2027-06-13 10:00", &ev) != -1)
			fail_msg("\"%s\" accepted", bad[i].text);
		assert_has(&ev.errors, 2, bad[i].msg);
		/* The Start error alone: End is not compared with it. */
		assert_int_equal(ev.errors.n, 1);
		assert_int_equal(ev.start.year, 0);	/* nothing half-read */
		assert_int_equal(ev.start.hour, 0);
		event_form_clear(&ev);
	}
	/* Leap days that exist. */
	assert_int_equal(rd_times("2028-02-29", NULL, &ev), 0);
	event_form_clear(&ev);
	assert_int_equal(rd_times("29-02-2000 10:00", NULL, &ev), 0);
	event_form_clear(&ev);
	assert_int_equal(rd_times("2100-12-31 23:00", NULL, &ev), 0);
	event_form_clear(&ev);
}

static void
test_end_rules(void **state)
{
	struct event_form ev;

	/* End before Start, in both languages, on the End line. */
	assert_int_equal(rd_times("2027-06-12 17:00", "2027-06-12 10:00", &ev),
	    -1);
	assert_has(&ev.errors, 3, "End (2027-06-12 10:00) must be after Start "
	    "(2027-06-12 17:00)");
	assert_has_lang(&ev.errors, 3, LANG_NL, "moet na Start");
	event_form_clear(&ev);
	/* Equal is not after. */
	assert_int_equal(rd_times("2027-06-12 10:00", "12-06-2027 10:00", &ev),
	    -1);
	assert_has(&ev.errors, 3, "must be after");
	event_form_clear(&ev);
	/* A time alone: the day of Start. */
	assert_int_equal(rd_times("2027-06-12 10:00", "17:00", &ev), 0);
	assert_clean(&ev);
	assert_time(&ev.end, 2027, 6, 12, 17, 0, false);
	event_form_clear(&ev);
	assert_int_equal(rd_times("2027-06-12 10:00", "9:00", &ev), -1);
	assert_has(&ev.errors, 3, "must be after");
	event_form_clear(&ev);
	/* Several days. */
	assert_int_equal(rd_times("2027-06-12 10:00", "2027-06-14 16:00", &ev),
	    0);
	event_form_clear(&ev);
	/* An invalid End: its own error, no comparison, no default. */
	assert_int_equal(rd_times("2027-06-12 10:00", "later", &ev), -1);
	assert_int_equal(ev.errors.n, 1);
	assert_has(&ev.errors, 3, "is not a date and time");
	assert_int_equal(ev.warnings.n, 0);
	event_form_clear(&ev);
}

static void
test_end_default(void **state)
{
	struct event_form ev;

	assert_int_equal(rd_times("2027-06-12 10:00", NULL, &ev), 0);
	assert_has(&ev.warnings, 2, "End is missing; taken to be "
	    "2027-06-12 12:00");
	assert_int_equal(ev.warnings.n, 1);
	assert_true(ev.end_default);
	assert_time(&ev.end, 2027, 6, 12, 12, 0, false);
	event_form_clear(&ev);
	/* Rolling over a day, a month, a leap February and a year. */
	assert_int_equal(rd_times("2027-06-12 23:30", NULL, &ev), 0);
	assert_time(&ev.end, 2027, 6, 13, 1, 30, false);
	event_form_clear(&ev);
	assert_int_equal(rd_times("30-06-2027 22:00", NULL, &ev), 0);
	assert_time(&ev.end, 2027, 7, 1, 0, 0, false);
	event_form_clear(&ev);
	assert_int_equal(rd_times("2028-02-28 23:00", NULL, &ev), 0);
	assert_time(&ev.end, 2028, 2, 29, 1, 0, false);
	event_form_clear(&ev);
	assert_int_equal(rd_times("2027-12-31 23:00", NULL, &ev), 0);
	assert_time(&ev.end, 2028, 1, 1, 1, 0, false);
	event_form_clear(&ev);
}

/* --- fields ----------------------------------------------------------------- */

static void
test_missing_fields(void **state)
{
	struct event_form ev;

	assert_int_equal(rd("Hello,\nStart: 2027-06-12 10:00\n"
	    "End: 2027-06-12 11:00\nLocation: Deventer\n", &ev), -1);
	assert_int_equal(ev.errors.n, 1);
	assert_has(&ev.errors, 0, "The title is missing; write Event: TITLE");
	assert_has_lang(&ev.errors, 0, LANG_NL, "schrijf Evenement: TITEL");
	assert_null(ev.title);
	assert_string_equal(ev.audience, "all");
	event_form_clear(&ev);

	assert_int_equal(rd("Evenement: Hanzedag\nLocatie: Kampen\n", &ev), -1);
	assert_int_equal(ev.errors.n, 1);
	assert_has(&ev.errors, 0, "The start is missing");
	assert_int_equal(ev.warnings.n, 0);
	event_form_clear(&ev);

	/* An empty mail. */
	assert_int_equal(form_read_event(NULL, NULL, 0, db, &ev), -1);
	assert_int_equal(ev.errors.n, 2);
	assert_int_equal(ev.n_lines_read, 0);
	event_form_clear(&ev);

	/* Empty and cleared values. */
	assert_int_equal(rd("Event:\nStart: -\nLocation: -\nDescription: -\n"
	    "Timezone: -\nAudience:\n", &ev), -1);
	assert_has(&ev.errors, 1, "Event: empty value");
	assert_has(&ev.errors, 2, "Start cannot be empty");
	assert_has(&ev.errors, 6, "Audience: empty value");
	assert_int_equal(ev.errors.n, 3);	/* missing-field errors are not
						 * repeated for present fields */
	assert_null(ev.location);
	assert_null(ev.description);
	assert_null(ev.tzid);
	assert_true(ev.present & FORM_EV_LOCATION);
	event_form_clear(&ev);
}

static void
test_duplicates_and_order(void **state)
{
	struct event_form ev;

	assert_int_equal(rd("Event: A\nStart: 2027-06-12 10:00\n"
	    "Evenement: B\nStart: 2027-06-13 10:00\nEnd: 2027-06-12 09:00\n"
	    "Organisation: Saxion\n", &ev), -1);
	assert_has(&ev.errors, 3, "Evenement is given more than once (first "
	    "on line 1)");
	assert_has(&ev.errors, 4, "Start is given more than once (first on "
	    "line 2)");
	assert_has(&ev.errors, 5, "must be after");
	assert_string_equal(ev.title, "A");
	/* Sorted by line. */
	for (size_t i = 1; i < ev.errors.n; i++)
		assert_true(ev.errors.v[i - 1].line <= ev.errors.v[i].line);
	assert_has(&ev.warnings, 6, "registry fields are ignored");
	event_form_clear(&ev);
}

static void
test_registry_fields_mixed_in(void **state)
{
	struct event_form ev;

	assert_int_equal(rd(
	    "Organisation: Saxion Hogeschool\n"
	    "Sector: onderwijs\n"
	    "Event: Study abroad fair\n"
	    "Start: 2027-10-05 13:00\n"
	    "End: 2027-10-05 16:00\n"
	    "Website: https://saxion.example\n"
	    "Actief-in: DE, Münster\n"
	    "Contact: Els <els@saxion.example>\n"
	    "Omschrijving: Beurs voor studenten.\n"
	    "Favourite colour: blue\n"
	    "Tijd: 13 uur\n", &ev), 0);
	assert_int_equal(ev.errors.n, 0);
	assert_has(&ev.warnings, 1, "Organisation: registry fields are ignored "
	    "in an event form");
	assert_has_lang(&ev.warnings, 1, LANG_NL, "registervelden worden in "
	    "een evenementformulier genegeerd");
	assert_has(&ev.warnings, 2, "Sector: registry fields");
	assert_has(&ev.warnings, 6, "Website: registry fields");
	assert_has(&ev.warnings, 7, "Actief-in: registry fields");
	assert_has(&ev.warnings, 8, "Contact: registry fields");
	/* The reader's own unknown-key warnings come along. */
	assert_has(&ev.warnings, 10, "Unknown field \"Favourite colour\"");
	assert_has(&ev.warnings, 11, "Unknown field \"Tijd\"");
	assert_int_equal(ev.warnings.n, 7);
	assert_string_equal(ev.description, "Beurs voor studenten.");
	assert_int_equal(ev.sector, SECTOR_NONE);	/* Sector: is not audience */
	assert_string_equal(ev.audience, "all");
	event_form_clear(&ev);
}

static void
test_timezone(void **state)
{
	static const char *const good[] = { "Europe/Amsterdam", "UTC",
	    "America/Argentina/Buenos_Aires", "Etc/GMT+1", "Etc/GMT-14",
	    "America/Port-au-Prince", "CET" };
	static const char *const bad[] = { "Europe/Amsterdam (CET)",
	    "../../etc/passwd", "/etc/localtime", "Europe//Amsterdam",
	    "Europe/", "GMT+01:00", "Europe/Amsterdam;rm", "Mitteleuropäische",
	    "Europe/Amsterdam Europe/Berlin",
	    "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct event_form ev;
	char *body;

	for (size_t i = 0; i < HP_NELEM(good); i++) {
		body = xasprintf("Event: T\nStart: 2027-06-12 10:00\n"
		    "End: 11:00\nTimezone: %s\n", good[i]);
		assert_int_equal(rd(body, &ev), 0);
		assert_string_equal(ev.tzid, good[i]);
		event_form_clear(&ev);
		free(body);
	}
	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		body = xasprintf("Event: T\nStart: 2027-06-12 10:00\n"
		    "End: 11:00\nTimezone: %s\n", bad[i]);
		if (rd(body, &ev) != -1)
			fail_msg("time zone \"%s\" accepted", bad[i]);
		assert_true(has_lang(&ev.errors, 4, LANG_EN,
		    "is not a time zone name") ||
		    has_lang(&ev.errors, 4, LANG_EN, "too long"));
		assert_null(ev.tzid);
		event_form_clear(&ev);
		free(body);
	}
}

/* --- audience --------------------------------------------------------------- */

static void
test_audience_all_and_sector(void **state)
{
	expect_audience(db, "all", "all");
	expect_audience(db, "ALL", "all");
	expect_audience(db, "alle", "all");
	expect_audience(db, "Iedereen", "all");
	expect_audience(db, "everyone", "all");
	expect_audience(db, "sector culture", "sector culture");
	expect_audience(db, "Sector Cultuur", "sector culture");
	expect_audience(db, "sector economie", "sector economy");
	expect_audience(db, "sector ondernemers", "sector economy");
	expect_audience(db, "sector  onderwijs", "sector education");
	expect_audience(db, "sector maatschappelijk", "sector civil-society");
	expect_audience(db, "sector civil society", "sector civil-society");
	expect_audience(db, "sector gemeente", "sector government");
	expect_audience(db, "sector sport", NULL);
	expect_audience(db, "sector", NULL);
	expect_audience(db, "all partners", NULL);
	expect_audience(db, "members only", NULL);
	expect_audience(db, "doelgroep cultuur", NULL);
}

static void
test_audience_sector_field(void **state)
{
	struct event_form ev;

	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Audience: sector overheid\n", &ev), 0);
	assert_int_equal(ev.sector, SECTOR_GOVERNMENT);
	event_form_clear(&ev);
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Audience: sector sport\n", &ev), -1);
	assert_has(&ev.errors, 4, "unknown sector \"sport\"; choose one of");
	assert_has_lang(&ev.errors, 4, LANG_NL, "onbekende sector \"sport\"");
	event_form_clear(&ev);
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Audience: for members\n", &ev), -1);
	assert_has(&ev.errors, 4, "\"for members\" is not an audience");
	assert_has_lang(&ev.errors, 4, LANG_NL, "schrijf alle, sector SECTOR");
	event_form_clear(&ev);
}

static void
test_audience_country(void **state)
{
	struct event_form ev;

	expect_audience(db, "country DE", "country DE");
	expect_audience(db, "country de", "country DE");
	expect_audience(db, "country Germany", "country DE");
	expect_audience(db, "land Duitsland", "country DE");
	expect_audience(db, "Land duitsland", "country DE");
	expect_audience(db, "country The Netherlands", "country NL");
	expect_audience(db, "land Nederland", "country NL");
	expect_audience(db, "land België", "country BE");
	expect_audience(db, "country Korea, Republic of", "country KR");
	expect_audience(db, "land Zuid-Korea", "country KR");
	expect_audience(db, "country Atlantis", NULL);
	expect_audience(db, "country XX", NULL);
	expect_audience(db, "land", NULL);

	/* A near miss: the suggestion in each language's own name. */
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Audience: land Duitsand\n", &ev), -1);
	assert_has(&ev.errors, 4, "unknown country \"Duitsand\"; did you mean "
	    "Germany (DE)?");
	assert_has_lang(&ev.errors, 4, LANG_NL, "onbekend land \"Duitsand\"; "
	    "bedoelde u Duitsland (DE)?");
	event_form_clear(&ev);
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Audience: country Atlantis\n", &ev), -1);
	assert_has(&ev.errors, 4, "unknown country \"Atlantis\"; use a code");
	event_form_clear(&ev);

	/* Without the country db: two-letter codes only, unchecked. */
	expect_audience(NULL, "country pl", "country PL");
	expect_audience(NULL, "land NL", "country NL");
	expect_audience(NULL, "country Germany", NULL);
	expect_audience(NULL, "country D1", NULL);
}

static void
test_audience_network(void **state)
{
	char *longname, *value;

	expect_audience(db, "network Hanze", "network Hanze");
	expect_audience(db, "netwerk Hanze", "network Hanze");
	expect_audience(db, "Netwerk Nieuwe Hanze Interregio",
	    "network Nieuwe Hanze Interregio");
	expect_audience(db, "network Hanze, Eurocities", NULL);
	expect_audience(db, "network", NULL);
	expect_audience(db, "networks Hanze", NULL);

	longname = xmalloc(FORM_MAX_NETWORK + 2);
	memset(longname, 'n', FORM_MAX_NETWORK + 1);
	longname[FORM_MAX_NETWORK + 1] = '\0';
	value = xasprintf("network %s", longname);
	expect_audience(db, value, NULL);		/* one too long */
	free(value);
	longname[FORM_MAX_NETWORK] = '\0';
	value = xasprintf("network %s", longname);
	expect_audience(db, value, value);		/* just fits */
	free(value);
	free(longname);
}

/* --- the shared line rules and hostile input ---------------------------------- */

static void
test_reading_rules(void **state)
{
	struct event_form ev;

	/* Outlook's reply block ends the form; the quoted old form and a
	 * continuation of the title are read as the registry reader would. */
	assert_int_equal(rd(
	    "Hi,\n"
	    "> Event: Old title\n"
	    "Event: Hanze Day:\n"
	    "   the sequel\n"
	    "Start: 2027-06-12 10:00\n"
	    "End: 2027-06-12 12:00\n"
	    "\n"
	    "From: Office <office@deventer.example>\n"
	    "Sent: Monday, 3 May 2027 09:00\n"
	    "Start: 2020-01-01 10:00\n", &ev), 0);
	assert_clean(&ev);
	assert_string_equal(ev.title, "Hanze Day: the sequel");
	assert_int_equal(ev.n_lines_read, 7);
	event_form_clear(&ev);

	/* A wrapped Description line gets the reader's warning. */
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Description: A long text that\nwas wrapped by the client\n", &ev),
	    0);
	assert_has(&ev.warnings, 5, "This line is not part of Description");
	event_form_clear(&ev);

	/* "einde" alone stops reading, "Einde:" is a misspelt key. */
	assert_int_equal(rd("Event: T\nStart: 2027-06-12 10:00\n"
	    "Einde: 2027-06-12 12:00\neinde\nEnd: 2027-06-12 09:00\n", &ev), 0);
	assert_has(&ev.warnings, 3, "did you mean End?");
	assert_has(&ev.warnings, 2, "End is missing");
	event_form_clear(&ev);
}

static void
test_subject_and_commands(void **state)
{
	struct event_form ev;
	const char *body = "cancel 20270612-abc1@x.example\nEvent: T\n"
	    "Start: 2027-06-12 10:00\nEnd: 11:00\n";

	/* Commands are form_read's business, not reported here. */
	assert_int_equal(form_read_event("help", body, strlen(body), db, &ev),
	    0);
	assert_clean(&ev);
	event_form_clear(&ev);
	/* Hostile subjects are harmless. */
	assert_int_equal(form_read_event("Event: X\r\nBcc: a@b.example", body,
	    strlen(body), db, &ev), 0);
	assert_string_equal(ev.title, "T");
	event_form_clear(&ev);
}

static void
test_hostile_values(void **state)
{
	struct event_form ev;
	struct buf b;
	char *big, *body;
	const char *lit;

	/* A CR inside a line cannot smuggle a second header or field. */
	lit = "Event: Hanzedag\rBcc: victim@example.net\n"
	    "Start: 2027-06-12 10:00\nEnd: 2027-06-12 11:00\n";
	assert_int_equal(rd(lit, &ev), -1);
	assert_has(&ev.errors, 1, "characters that are not allowed");
	assert_has(&ev.errors, 0, "The title is missing");
	assert_null(ev.title);
	event_form_clear(&ev);

	/* Invalid UTF-8 and control characters in a value. */
	assert_int_equal(rd("Event: Hanze\xff\xfe" "dag\nStart: 2027-06-12\n"
	    "End: 2027-06-12\nLocation: Brink\x01\n", &ev), -1);
	assert_has(&ev.errors, 1, "not UTF-8");
	assert_has(&ev.errors, 4, "not UTF-8");
	assert_null(ev.location);
	event_form_clear(&ev);

	/* A NUL in the body. */
	assert_int_equal(form_read_event(NULL, "Event: A\0B\nStart: 2027-06-12\n",
	    29, db, &ev), -1);
	assert_has(&ev.errors, 1, "not allowed");
	event_form_clear(&ev);

	/* A 10 KB title; a title just over and just at the limit. */
	big = xmalloc(10 * 1024 + 1);
	memset(big, 'A', 10 * 1024);
	big[10 * 1024] = '\0';
	body = xasprintf("Event: %s\nStart: 2027-06-12\n", big);
	assert_int_equal(rd(body, &ev), -1);
	assert_has(&ev.errors, 1, "Event: too long (more than 200 characters)");
	assert_has_lang(&ev.errors, 1, LANG_NL, "te lang");
	assert_null(ev.title);
	event_form_clear(&ev);
	free(body);
	body = xasprintf("Event: %.*s\nStart: 2027-06-12\n",
	    FORM_MAX_EVENT_TITLE + 1, big);
	assert_int_equal(rd(body, &ev), -1);
	assert_has(&ev.errors, 1, "too long");
	event_form_clear(&ev);
	free(body);
	body = xasprintf("Event: %.*s\nStart: 2027-06-12\n",
	    FORM_MAX_EVENT_TITLE, big);
	assert_int_equal(rd(body, &ev), 0);
	assert_int_equal(strlen(ev.title), FORM_MAX_EVENT_TITLE);
	event_form_clear(&ev);
	free(body);
	/* A 10 KB Description made of continuation lines, and a long
	 * location and Event-Id. */
	buf_init(&b, 0);
	buf_puts(&b, "Event: T\nStart: 2027-06-12\nDescription: x\n");
	for (int i = 0; i < 500; i++)
		buf_puts(&b, "  twenty bytes line\n");
	buf_printf(&b, "Location: %.*s\nEvent-Id: %.*s\n",
	    FORM_MAX_EVENT_LOCATION + 1, big, FORM_MAX_EVENT_ID + 1, big);
	assert_int_equal(form_read_event(NULL, b.data, b.len, db, &ev), -1);
	assert_has(&ev.errors, 3, "Description: too long (more than 2000");
	assert_has(&ev.errors, 504, "Location: too long (more than 300");
	assert_has(&ev.errors, 505, "Event-Id: too long (more than 200");
	assert_null(ev.description);
	event_form_clear(&ev);
	buf_free(&b);
	free(big);
}

static void
test_limits_and_clear(void **state)
{
	struct event_form ev;
	struct buf b;

	/* More lines than the reader reads: the warning, and nothing after. */
	buf_init(&b, 0);
	buf_puts(&b, "Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n");
	for (int i = 0; i < FORM_MAX_LINES + 10; i++)
		buf_puts(&b, "bla\n");
	buf_puts(&b, "Audience: sector sport\n");
	assert_int_equal(form_read_event(NULL, b.data, b.len, db, &ev), 0);
	assert_has(&ev.warnings, FORM_MAX_LINES, "The message is too long");
	assert_int_equal(ev.n_lines_read, FORM_MAX_LINES);
	assert_string_equal(ev.audience, "all");
	event_form_clear(&ev);
	buf_free(&b);

	/* Clearing twice and clearing NULL are fine; a cleared form is
	 * zero. */
	assert_int_equal(rd("Event: T\nStart: 2027-06-12\n", &ev), 0);
	event_form_clear(&ev);
	assert_null(ev.title);
	assert_null(ev.audience);
	assert_int_equal(ev.errors.n, 0);
	event_form_clear(&ev);
	event_form_clear(NULL);
}

static void
test_same_input_same_result(void **state)
{
	const char *mail = "Evenement: Hanzedag\nStart: 12-06-2027 10:00\n"
	    "Audience: land Polen\nWebsite: x\nEnd: 9:00\n";
	struct event_form a, b;

	assert_int_equal(rd(mail, &a), -1);
	assert_int_equal(rd(mail, &b), -1);
	assert_int_equal(a.errors.n, b.errors.n);
	assert_int_equal(a.warnings.n, b.warnings.n);
	assert_string_equal(a.audience, "country PL");
	assert_string_equal(a.audience, b.audience);
	for (size_t i = 0; i < a.errors.n; i++)
		assert_string_equal(a.errors.v[i].text[LANG_EN],
		    b.errors.v[i].text[LANG_EN]);
	event_form_clear(&a);
	event_form_clear(&b);
}

/* The registry reader still routes such a mail to the event reader and
 * does not report the event keys. */
static void
test_registry_reader_routes(void **state)
{
	const char *mail = "Event: T\nStart: 2027-06-12\nEnd: 2027-06-12\n"
	    "Timezone: UTC\nLocation: x\nAudience: all\nEvent-Id: a1\n";
	struct form *f = form_read(NULL, mail, strlen(mail), LANG_EN, db);

	assert_true(f->has_event_keys);
	assert_int_equal(f->warnings.n, 0);
	assert_int_equal(f->errors.n, 0);
	assert_int_equal(f->present, 0);
	form_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_english),
		cmocka_unit_test(test_complete_dutch),
		cmocka_unit_test(test_update_with_event_id),
		cmocka_unit_test(test_all_day),
		cmocka_unit_test(test_date_shapes),
		cmocka_unit_test(test_date_errors),
		cmocka_unit_test(test_end_rules),
		cmocka_unit_test(test_end_default),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_duplicates_and_order),
		cmocka_unit_test(test_registry_fields_mixed_in),
		cmocka_unit_test(test_timezone),
		cmocka_unit_test(test_audience_all_and_sector),
		cmocka_unit_test(test_audience_sector_field),
		cmocka_unit_test(test_audience_country),
		cmocka_unit_test(test_audience_network),
		cmocka_unit_test(test_reading_rules),
		cmocka_unit_test(test_subject_and_commands),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_limits_and_clear),
		cmocka_unit_test(test_same_input_same_result),
		cmocka_unit_test(test_registry_reader_routes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
