/*
 * Unit tests for itip_read: the replies in tests/cases/itip_read/ as
 * Outlook/Exchange (no ORGANIZER, Windows TZID with and without its
 * VTIMEZONE, COMMENT, folds inside a UTF-8 sequence and the UID,
 * X-MICROSOFT properties, only the CDO sequence), Gmail (UTC, the note
 * as an X-RESPONSE-COMMENT full of entities, a fold inside "mailto:"),
 * Thunderbird (the whole event echoed, 8bit UTF-8) and Apple (LF, an
 * instance answer) write them; an older SEQUENCE; the malformed ones; and
 * the submissions as Outlook, Google and Thunderbird export them (Windows
 * TZID, UTC, VTIMEZONE Europe/Amsterdam, all-day, LF with DURATION,
 * folded, a custom VTIMEZONE) with their errors.  Bounded input (1 MB,
 * deep nesting, long lines) and invalid UTF-8 are generated here.
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

#include "buf.h"
#include "itip_read.h"
#include "itip_read_int.h"
#include "util.h"

#define UID_HP	"7f3c9a1e5b2d4c68@events.hanzepost.example.org"
#define UID_MS	"040000008200E00074C5B7101A82E00800000000D0F1A2B3C4D5E6" \
		"01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90"
#define AMS	"Europe/Amsterdam"

/* ---- helpers ---- */

static char *
case_path(const char *name)
{
	char *p = xasprintf("tests/cases/itip_read/%s", name);
	const char *slash;

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	slash = strrchr(__FILE__, '/');
	return xasprintf("%.*s/../cases/itip_read/%s",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
}

static char *
read_case(const char *name, size_t *len)
{
	char *path = case_path(name), *raw = NULL;

	if (hp_read_file(path, 2 * ITIP_READ_MAX_INPUT, &raw, len) != 0)
		fail_msg("cannot read %s", path);
	free(path);
	return raw;
}

/* What itip_read.h promises about every string of a reply. */
static void
check_text(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	assert_true(n < size);
	assert_true(hp_utf8_valid(s, n));
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void
check_reply(const struct itip_reply *r)
{
	check_text(r->uid, sizeof(r->uid));
	check_text(r->recurrence_id, sizeof(r->recurrence_id));
	check_text(r->attendee_addr, sizeof(r->attendee_addr));
	check_text(r->attendee_name, sizeof(r->attendee_name));
	check_text(r->comment, sizeof(r->comment));
	check_text(r->organizer_addr, sizeof(r->organizer_addr));
}

static void
reply_case(const char *name, struct itip_reply *r)
{
	char err[256] = "", *raw;
	size_t len;

	raw = read_case(name, &len);
	if (itip_read_reply(raw, len, r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(raw);
	check_reply(r);
	assert_int_equal(r->method, ITIP_REPLY);
}

/* The reply must fail with a message containing want. */
static void
reply_fails(const char *raw, size_t len, const char *want)
{
	struct itip_reply r;
	char err[256] = "";

	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(itip_read_reply(raw, len, &r, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(r.uid[0], '\0');
	assert_int_equal(r.attendee_addr[0], '\0');
}

static void
reply_str_fails(const char *ics, const char *want)
{
	reply_fails(ics, strlen(ics), want);
}

static void
reply_case_fails(const char *name, const char *want)
{
	size_t len;
	char *raw = read_case(name, &len);

	reply_fails(raw, len, want);
	free(raw);
}

static void
event_case(const char *name, const char *deftz, struct itip_event_owned *ev)
{
	char err[256] = "", *raw;
	size_t len;

	raw = read_case(name, &len);
	if (itip_read_event(raw, len, deftz, ev, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(raw);
	assert_non_null(ev->summary);
}

static void
event_fails(const char *raw, size_t len, const char *want)
{
	struct itip_event_owned ev;
	char err[256] = "";

	assert_int_equal(itip_read_event(raw, len, AMS, &ev, err, sizeof(err)),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
	assert_null(ev.summary);
	assert_null(ev.tzid);
}

static void
event_case_fails(const char *name, const char *want)
{
	size_t len;
	char *raw = read_case(name, &len);

	event_fails(raw, len, want);
	free(raw);
}

static void
event_str_fails(const char *ics, const char *want)
{
	event_fails(ics, strlen(ics), want);
}

static void
assert_time(struct itip_time t, int y, int mo, int d, int h, int mi)
{
	if (t.year != y || t.month != mo || t.day != d || t.hour != h ||
	    t.minute != mi || t.second != 0)
		fail_msg("got %04d-%02d-%02d %02d:%02d:%02d, want "
		    "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour,
		    t.minute, t.second, y, mo, d, h, mi);
}

/* A minimal VCALENDAR around one VEVENT body, LF line ends. */
static char *
wrap_event(const char *method, const char *body)
{
	return xasprintf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n"
	    "%s%s%sBEGIN:VEVENT\nUID:t@example.org\nDTSTAMP:20270101T000000Z\n"
	    "%sEND:VEVENT\nEND:VCALENDAR\n", method ? "METHOD:" : "",
	    method ? method : "", method ? "\n" : "", body);
}

/* ---- replies from each client ---- */

static void
test_reply_outlook(void **state)
{
	struct itip_reply r;

	(void)state;
	reply_case("reply_outlook_accepted.ics", &r);
	assert_string_equal(r.uid, UID_HP);
	assert_string_equal(r.attendee_addr, "Joerg.Mueller@partner-example.de");
	/* the fold falls between the two octets of the ü */
	assert_string_equal(r.attendee_name, "Jörg Müller-Ødegård");
	assert_int_equal(r.partstat, ITIP_ACCEPTED);
	assert_string_equal(r.comment,
	    "Ich komme gern, mit einer Kollegin; bis Samstag.");
	assert_string_equal(r.organizer_addr, "");
	assert_true(r.has_sequence);
	assert_int_equal(r.sequence, 1);
	assert_int_equal(r.dtstamp, 1810800912);	/* 2027-05-20 08:15:12Z */
	assert_string_equal(r.recurrence_id, "");
}

static void
test_reply_exchange_declined(void **state)
{
	struct itip_reply r;

	(void)state;
	reply_case("reply_exchange_declined.ics", &r);
	assert_string_equal(r.uid, UID_MS);
	assert_int_equal(r.partstat, ITIP_DECLINED);
	assert_string_equal(r.attendee_addr, "s.lambert@ville-exemple.fr");
	assert_string_equal(r.attendee_name, "Sophie Lambert");
	assert_string_equal(r.comment, "");	/* COMMENT was only "\n" */
	assert_true(r.has_sequence);		/* X-MICROSOFT-CDO-APPT-SEQUENCE */
	assert_int_equal(r.sequence, 2);
}

static void
test_reply_gmail(void **state)
{
	struct itip_reply r, old;

	(void)state;
	reply_case("reply_gmail_tentative.ics", &r);
	assert_string_equal(r.uid, UID_HP);
	assert_int_equal(r.partstat, ITIP_TENTATIVE);
	assert_string_equal(r.attendee_addr, "anna.kowalska.gdansk@gmail.com");
	assert_string_equal(r.attendee_name, "Anna Kowalska");
	assert_string_equal(r.comment,
	    "I'll try; it depends on the \"IC 140\" train & my visa");
	assert_string_equal(r.organizer_addr, "events@hanzepost.example.org");
	assert_int_equal(r.sequence, 1);

	/* the older answer: lower SEQUENCE and DTSTAMP, same attendee */
	reply_case("reply_old_sequence.ics", &old);
	assert_true(old.has_sequence);
	assert_int_equal(old.sequence, 0);
	assert_true(old.dtstamp < r.dtstamp);
	assert_int_equal(old.partstat, ITIP_ACCEPTED);
	assert_string_equal(old.attendee_addr, r.attendee_addr);
	assert_string_equal(old.comment, "");
}

static void
test_reply_thunderbird(void **state)
{
	struct itip_reply r;

	(void)state;
	reply_case("reply_thunderbird.ics", &r);
	assert_int_equal(r.partstat, ITIP_ACCEPTED);
	assert_string_equal(r.attendee_name, "Łukasz Żółć");
	assert_string_equal(r.attendee_addr, "lukasz@uczelnia.example.pl");
	assert_string_equal(r.organizer_addr, "events@hanzepost.example.org");
	assert_int_equal(r.sequence, 1);
}

static void
test_reply_apple(void **state)
{
	struct itip_reply r;

	(void)state;
	reply_case("reply_apple_declined.ics", &r);
	assert_int_equal(r.partstat, ITIP_DECLINED);
	assert_string_equal(r.attendee_name, "Vries, Anna de");
	assert_string_equal(r.attendee_addr, "anna@gemeente-voorbeeld.nl");
	/* 14:00 CEST as an instant */
	assert_string_equal(r.recurrence_id, "20270612T120000Z");
	assert_int_equal(r.sequence, 3);
}

static void
test_reply_echoed_attendees(void **state)
{
	struct itip_reply r;

	(void)state;
	reply_case("reply_echoed_attendees.ics", &r);
	assert_string_equal(r.attendee_addr, "p.bakker@hogeschool.example.nl");
	assert_int_equal(r.partstat, ITIP_ACCEPTED);
}

/* The same bytes with CRLF or LF give the same answer. */
static void
test_reply_lf_equals_crlf(void **state)
{
	struct itip_reply a, b;
	char err[256], *raw, *lf;
	size_t len, o = 0;

	(void)state;
	raw = read_case("reply_outlook_accepted.ics", &len);
	lf = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (raw[i] != '\r')
			lf[o++] = raw[i];
	assert_int_equal(itip_read_reply(raw, len, &a, err, sizeof(err)), 0);
	assert_int_equal(itip_read_reply(lf, o, &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(raw);
	free(lf);
}

/* ---- malformed replies ---- */

static void
test_reply_malformed(void **state)
{
	(void)state;
	reply_case_fails("reply_no_attendee.ics", "no ATTENDEE");
	reply_case_fails("reply_two_attendees.ics", "2 ATTENDEEs");
	reply_case_fails("reply_method_request.ics", "not a reply: METHOD:REQUEST");
	reply_case_fails("reply_bad_address.ics", "not a mail address");
	reply_case_fails("reply_garbage.txt", "NUL");
	reply_case_fails("reply_garbage2.txt", "not an iCalendar object");
	reply_case_fails("event_google.ics", "not a reply: METHOD:PUBLISH");
	reply_case_fails("event_thunderbird.ics", "not a reply: no METHOD");
	reply_fails("", 0, "empty");
	reply_fails(NULL, 0, "empty");
	reply_str_fails("BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n",
	    "no VEVENT");
	reply_str_fails("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\n"
	    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\nEND:VEVENT\n"
	    "END:VCALENDAR\n", "no UID");
	reply_str_fails("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:a\n"
	    "ATTENDEE;PARTSTAT=ACCEPTED:http://example.com/\nEND:VEVENT\n"
	    "END:VCALENDAR\n", "not a mail address");
	reply_str_fails("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:a\n"
	    "ATTENDEE:mailto:a@example.com\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\n"
	    "ATTENDEE:mailto:a@example.com\nEND:VEVENT\nEND:VCALENDAR\n",
	    "different UIDs");
}

/* Over 1 MB is refused; deep nesting is refused before libical sees it;
 * a 900 KB comment on one folded line is read and bounded. */
static void
test_reply_bounds(void **state)
{
	struct buf b;
	struct itip_reply r;
	char err[256];
	size_t i;

	(void)state;
	buf_init(&b, 0);
	buf_puts(&b, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n");
	while (b.len < ITIP_READ_MAX_INPUT - 40)
		buf_puts(&b, "BEGIN:VEVENT\r\n");
	reply_fails(b.data, b.len, "nested too deep");
	buf_printf(&b, "%0*d", 100, 0);
	reply_fails(b.data, b.len, "larger than");
	buf_free(&b);

	buf_init(&b, 0);
	buf_puts(&b, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
	    "UID:x\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@example.com\r\n"
	    "COMMENT:");
	for (i = 0; i < 900000 / 74; i++)
		buf_puts(&b, "ééé aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaa\r\n ");
	buf_puts(&b, "end\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
	assert_int_equal(itip_read_reply(b.data, b.len, &r, err,
	    sizeof(err)), 0);
	check_reply(&r);
	assert_true(strlen(r.comment) <= ITIP_MAX_TEXT);
	assert_true(strlen(r.comment) > ITIP_MAX_TEXT - 4);
	assert_int_equal(r.partstat, ITIP_DECLINED);
	buf_free(&b);
}

/* iso-8859-1 bytes that the caller failed to convert, control characters
 * and an RFC 5545 escape in a parameter: cleaned, never passed on. */
static void
test_reply_dirty_text(void **state)
{
	const char *ics = "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\n"
	    "UID:dirty\nSEQUENCE:-4\n"
	    "ATTENDEE;PARTSTAT=accepted;CN=J\xf6rg M\xfcller:mailto:jm@Example.COM\n"
	    "COMMENT:Gr\xfc\xdf\x65 \x01\x1b[31m rot\\nneue Zeile\t\x7f!\n"
	    "END:VEVENT\nEND:VCALENDAR\n";
	struct itip_reply r;
	char err[256];

	(void)state;
	assert_int_equal(itip_read_reply(ics, strlen(ics), &r, err,
	    sizeof(err)), 0);
	check_reply(&r);
	assert_string_equal(r.attendee_name, "J\xef\xbf\xbdrg M\xef\xbf\xbdller");
	assert_string_equal(r.attendee_addr, "jm@example.com");
	assert_int_equal(r.partstat, ITIP_ACCEPTED);
	assert_string_equal(r.comment,
	    "Gr\xef\xbf\xbd\xef\xbf\xbd" "e [31m rot neue Zeile !");
	assert_false(r.has_sequence);	/* a negative SEQUENCE is no SEQUENCE */
	assert_int_equal(r.dtstamp, 0);
}

static void
test_reply_partstats(void **state)
{
	static const struct { const char *in; enum itip_partstat want; } t[] = {
		{ "PARTSTAT=DELEGATED;", ITIP_DELEGATED },
		{ "PARTSTAT=X-MAYBE;", ITIP_PARTSTAT_OTHER },
		{ "PARTSTAT=NEEDS-ACTION;", ITIP_NEEDS_ACTION },
		{ "", ITIP_NEEDS_ACTION },
	};
	struct itip_reply r;
	char err[256];

	(void)state;
	for (size_t i = 0; i < HP_NELEM(t); i++) {
		char *ics = xasprintf("BEGIN:VCALENDAR\nMETHOD:reply\n"
		    "BEGIN:VEVENT\nUID:p\nATTENDEE;%sCN=x:a@example.com\n"
		    "END:VEVENT\nEND:VCALENDAR\n", t[i].in);

		assert_int_equal(itip_read_reply(ics, strlen(ics), &r, err,
		    sizeof(err)), 0);
		assert_int_equal(r.partstat, t[i].want);
		assert_string_equal(r.attendee_addr, "a@example.com");
		free(ics);
	}
}

/* ---- helpers shared by both readers ---- */

static void
test_clean(void **state)
{
	char out[64];

	(void)state;
	itip_read_clean("&amp;&lt;&gt;&quot;&apos;&#39;&#x41;&#X42;", out,
	    sizeof(out), ITIP_CLEAN_ENTITIES);
	assert_string_equal(out, "&<>\"''AB");
	itip_read_clean("&bogus; &#0; &#xD800; &#1114112; &", out, sizeof(out),
	    ITIP_CLEAN_ENTITIES);
	assert_string_equal(out, "&bogus; &#0; &#xD800; &#1114112; &");
	itip_read_clean("a\\;b\\,c\\\\d\\ne\\x", out, sizeof(out),
	    ITIP_CLEAN_UNESCAPE);
	assert_string_equal(out, "a;b,c\\d e\\x");
	itip_read_clean("  one\r\n\r\n\r\ntwo\n ", out, sizeof(out),
	    ITIP_CLEAN_NEWLINES);
	assert_string_equal(out, "one\n\ntwo");
	itip_read_clean(NULL, out, sizeof(out), 0);
	assert_string_equal(out, "");
	/* cut at a character boundary: 10 × "é" into 8 octets → 3 of them */
	itip_read_clean("éééééééééé", out, 8, 0);
	assert_string_equal(out, "ééé");
}

static void
test_windows_zones(void **state)
{
	char iana[ITIP_READ_ZONE_NAME];

	(void)state;
	assert_string_equal(itip_read_windows_zone("W. Europe Standard Time"),
	    "Europe/Berlin");
	assert_string_equal(itip_read_windows_zone("romance standard time"),
	    "Europe/Paris");
	assert_string_equal(itip_read_windows_zone("GMT Standard Time 1"),
	    "Europe/London");
	assert_string_equal(itip_read_windows_zone("AUS Eastern Standard Time"),
	    "Australia/Sydney");
	assert_string_equal(itip_read_windows_zone("India Standard Time"),
	    "Asia/Kolkata");
	assert_null(itip_read_windows_zone("Mars Standard Time"));
	assert_null(itip_read_windows_zone("1"));
	assert_null(itip_read_windows_zone(""));
	assert_null(itip_read_windows_zone(NULL));

	assert_non_null(itip_read_known_zone("Tokyo Standard Time", iana,
	    sizeof(iana)));
	assert_string_equal(iana, "Asia/Tokyo");
	assert_non_null(itip_read_known_zone(
	    "/freeassociation.sourceforge.net/Europe/Amsterdam", iana,
	    sizeof(iana)));
	assert_string_equal(iana, AMS);
	assert_non_null(itip_read_known_zone(
	    "/mozilla.org/20050126_1/Europe/Amsterdam", iana,
	    sizeof(iana)));
	assert_string_equal(iana, AMS);
	assert_ptr_equal(itip_read_known_zone("UTC", iana, sizeof(iana)),
	    icaltimezone_get_utc_timezone());
	assert_string_equal(iana, "");
	/* never a path: libical would open it under /usr/share/zoneinfo */
	assert_null(itip_read_known_zone("../../../../dev/stdin", iana,
	    sizeof(iana)));
	assert_null(itip_read_known_zone("Europe/../../../etc/passwd", iana,
	    sizeof(iana)));
	assert_null(itip_read_known_zone("/dev/zero", iana, sizeof(iana)));
}

/* ---- submissions ---- */

static void
test_event_outlook(void **state)
{
	struct itip_event_owned ev;
	struct itip_event view;

	(void)state;
	event_case("event_outlook.ics", AMS, &ev);
	assert_string_equal(ev.summary, "Hanzedag Deventer");
	assert_string_equal(ev.location, "Bergkerk, Deventer");
	assert_string_equal(ev.description, "Jaarlijkse bijeenkomst van de "
	    "Hanzesteden.\nAanmelden via het bureau.");
	assert_string_equal(ev.uid, UID_MS);
	assert_string_equal(ev.tzid, "Europe/Berlin");
	assert_false(ev.start.all_day);
	assert_time(ev.start, 2027, 6, 12, 14, 0);
	assert_time(ev.end, 2027, 6, 12, 17, 0);
	assert_int_equal(ev.sequence, 0);
	assert_false(ev.cancelled);

	itip_event_owned_view(&ev, &view);
	assert_ptr_equal(view.summary, ev.summary);
	assert_ptr_equal(view.tzid, ev.tzid);
	assert_null(view.organizer_addr);
	assert_int_equal(view.end.hour, 17);
	itip_event_owned_clear(&ev);
	assert_null(ev.summary);
	itip_event_owned_clear(&ev);
	itip_event_owned_clear(NULL);
}

static void
test_event_google(void **state)
{
	struct itip_event_owned ev;

	(void)state;
	event_case("event_google.ics", AMS, &ev);
	assert_string_equal(ev.tzid, AMS);
	assert_time(ev.start, 2027, 11, 5, 14, 0);	/* 13:00Z, CET */
	assert_time(ev.end, 2027, 11, 5, 16, 0);
	assert_string_equal(ev.summary, "Webinar stages Hamburg & Bremen");
	assert_null(ev.location);			/* "LOCATION:" */
	assert_string_equal(ev.uid, "3kq9f0s8d7g6h5j4k3l2m1n0p9@google.com");
	itip_event_owned_clear(&ev);

	event_case("event_google.ics", "UTC", &ev);
	assert_string_equal(ev.tzid, "UTC");
	assert_time(ev.start, 2027, 11, 5, 13, 0);
	itip_event_owned_clear(&ev);

	event_case("event_google.ics", "America/New_York", &ev);
	assert_string_equal(ev.tzid, "America/New_York");
	assert_time(ev.start, 2027, 11, 5, 9, 0);	/* EDT until Nov 7 */
	itip_event_owned_clear(&ev);
}

static void
test_event_thunderbird(void **state)
{
	struct itip_event_owned ev;

	(void)state;
	/* the DST change day: the wall clock stays */
	event_case("event_thunderbird.ics", "Asia/Tokyo", &ev);
	assert_string_equal(ev.tzid, AMS);
	assert_time(ev.start, 2027, 3, 28, 9, 30);
	assert_time(ev.end, 2027, 3, 28, 11, 30);
	assert_string_equal(ev.summary, "Ontbijtsessie Groningen–Bremen");
	assert_string_equal(ev.description,
	    "Koffie, broodjes en een gesprek over uitwisseling.");
	assert_int_equal(ev.sequence, 2);
	itip_event_owned_clear(&ev);
}

static void
test_event_allday(void **state)
{
	struct itip_event_owned ev;
	struct itip_event view;

	(void)state;
	event_case("event_allday.ics", AMS, &ev);
	assert_true(ev.start.all_day);
	assert_true(ev.end.all_day);
	assert_null(ev.tzid);
	assert_time(ev.start, 2027, 4, 27, 0, 0);
	assert_time(ev.end, 2027, 4, 28, 0, 0);
	itip_event_owned_view(&ev, &view);
	assert_null(view.tzid);
	assert_true(view.start.all_day);
	itip_event_owned_clear(&ev);
}

static void
test_event_lf_folded_custom(void **state)
{
	struct itip_event_owned ev;

	(void)state;
	event_case("event_lf.ics", AMS, &ev);		/* floating + DURATION */
	assert_string_equal(ev.tzid, AMS);
	assert_time(ev.start, 2027, 7, 3, 19, 0);
	assert_time(ev.end, 2027, 7, 3, 21, 30);
	itip_event_owned_clear(&ev);

	event_case("event_folded.ics", AMS, &ev);
	assert_string_equal(ev.summary, "Hanzestedendag – Zwolle");
	assert_non_null(strstr(ev.description, "met Ærø, Łódź, Gdańsk en "
	    "Tallinn als gasten; de vouw valt midden in een teken."));
	assert_int_equal(strlen(ev.uid), strlen("folded-@example.org") + 80);
	assert_time(ev.start, 2027, 10, 20, 16, 0);
	itip_event_owned_clear(&ev);

	/* 09:00 at UTC-4 is 13:00Z is 15:00 in Amsterdam */
	event_case("event_custom_tz.ics", AMS, &ev);
	assert_string_equal(ev.tzid, AMS);
	assert_time(ev.start, 2027, 6, 12, 15, 0);
	assert_time(ev.end, 2027, 6, 12, 16, 30);
	itip_event_owned_clear(&ev);
}

static void
test_event_errors(void **state)
{
	struct itip_event_owned ev;
	char err[256], *raw;
	size_t len;

	(void)state;
	event_case_fails("event_no_dtstart.ics", "no start (DTSTART)");
	event_case_fails("event_no_summary.ics", "no title (SUMMARY)");
	event_case_fails("event_end_before_start.ics", "ends before it starts");
	event_case_fails("event_unknown_tz.ics",
	    "unknown time zone \"Mars Standard Time\" in DTSTART");
	event_case_fails("event_recurring.ics", "recurring events");
	event_case_fails("reply_gmail_tentative.ics",
	    "not an event to publish: METHOD:REPLY");
	event_case_fails("reply_garbage2.txt", "not an iCalendar object");
	event_str_fails("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "no event (VEVENT)");

	raw = read_case("event_google.ics", &len);
	assert_int_equal(itip_read_event(raw, len, "Mars/Olympus", &ev, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unknown default time zone");
	assert_int_equal(itip_read_event(raw, len, NULL, &ev, err,
	    sizeof(err)), -1);
	free(raw);
}

static void
test_event_edge_times(void **state)
{
	static const struct { const char *body, *err; } bad[] = {
		{ "SUMMARY:x\nDTSTART;VALUE=DATE:20270612\n"
		  "DTEND:20270613T100000Z\n", "both be dates" },
		{ "SUMMARY:x\nDTSTART;TZID=../../../../dev/stdin:20270612T100000\n",
		  "unknown time zone" },
		{ "SUMMARY:x\nDTSTART:18000612T100000Z\n", "out of range" },
		{ "SUMMARY:x\nDTSTART;VALUE=DATE:20270612\n"
		  "DTEND;VALUE=DATE:20270612\n", "ends before" },
		{ "SUMMARY:x\nDTSTART:20270612T100000Z\nDURATION:-PT1H\n",
		  "ends before" },
		{ "SUMMARY:x\nDTSTART:20270612T100000Z\nDURATION:P9999W\n",
		  "DURATION" },
		{ "SUMMARY:x\nDTSTART:not-a-date\n", "DTSTART" },
		{ "SUMMARY:x\nDTSTART:20273020T100000\n", "not a valid date" },
		{ "SUMMARY:x\nDTSTART:20270230T100000\n", "not a valid date" },
		{ "SUMMARY:x\nDTSTART:20270210T250000\n", "not a valid date" },
		{ "SUMMARY:   \nDTSTART:20270612T100000Z\n", "SUMMARY" },
	};
	char *ics;

	(void)state;
	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		ics = wrap_event(NULL, bad[i].body);
		event_str_fails(ics, bad[i].err);
		free(ics);
	}

}

static void
test_event_mixed_zones(void **state)
{
	struct itip_event_owned ev;
	char err[256], *ics;

	(void)state;
	/* New York start, UTC end: the end in New York's wall clock */
	ics = wrap_event("REQUEST", "SUMMARY:x\n"
	    "DTSTART;TZID=America/New_York:20270612T100000\n"
	    "DTEND:20270612T160000Z\n");
	assert_int_equal(itip_read_event(ics, strlen(ics), AMS, &ev, err,
	    sizeof(err)), 0);
	assert_string_equal(ev.tzid, "America/New_York");
	assert_time(ev.end, 2027, 6, 12, 12, 0);
	itip_event_owned_clear(&ev);
	free(ics);

	/* libical's own prefixed TZID, and an all-day event without DTEND */
	ics = wrap_event("PUBLISH", "SUMMARY:x\nDTSTART;TZID=/freeassociation."
	    "sourceforge.net/Europe/Amsterdam:20270612T100000\n"
	    "STATUS:CANCELLED\n");
	assert_int_equal(itip_read_event(ics, strlen(ics), "Asia/Tokyo", &ev,
	    err, sizeof(err)), 0);
	assert_string_equal(ev.tzid, AMS);
	assert_time(ev.start, 2027, 6, 12, 10, 0);
	assert_time(ev.end, 2027, 6, 12, 10, 0);
	assert_true(ev.cancelled);
	itip_event_owned_clear(&ev);
	free(ics);

	/* a bare VEVENT, all day, no DTEND: one day */
	ics = xasprintf("BEGIN:VEVENT\nSUMMARY:y\nDTSTART;VALUE=DATE:20271231\n"
	    "END:VEVENT\n");
	assert_int_equal(itip_read_event(ics, strlen(ics), AMS, &ev, err,
	    sizeof(err)), 0);
	assert_null(ev.uid);
	assert_time(ev.end, 2028, 1, 1, 0, 0);
	itip_event_owned_clear(&ev);
	free(ics);

	/* a DURATION across the DST change is exact for its time part */
	ics = wrap_event(NULL, "SUMMARY:night\n"
	    "DTSTART;TZID=Europe/Amsterdam:20271030T230000\nDURATION:PT5H\n");
	assert_int_equal(itip_read_event(ics, strlen(ics), AMS, &ev, err,
	    sizeof(err)), 0);
	assert_time(ev.end, 2027, 10, 31, 3, 0);
	itip_event_owned_clear(&ev);
	free(ics);
}

/* A VTIMEZONE whose rules libical should not evaluate is refused. */
static void
test_event_unsafe_vtimezone(void **state)
{
	const char *ics = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTIMEZONE\n"
	    "TZID:Odd Zone\nBEGIN:STANDARD\nDTSTART:16010101T020000\n"
	    "TZOFFSETFROM:-0400\nTZOFFSETTO:-0500\n"
	    "RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO\nEND:STANDARD\n"
	    "END:VTIMEZONE\nBEGIN:VEVENT\nUID:o\nSUMMARY:x\n"
	    "DTSTART;TZID=Odd Zone:20270612T090000\nEND:VEVENT\n"
	    "END:VCALENDAR\n";

	(void)state;
	event_str_fails(ics, "unknown time zone \"Odd Zone\"");
}

static int
teardown_all(void **state)
{
	(void)state;
	icaltimezone_free_builtin_timezones();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_outlook),
		cmocka_unit_test(test_reply_exchange_declined),
		cmocka_unit_test(test_reply_gmail),
		cmocka_unit_test(test_reply_thunderbird),
		cmocka_unit_test(test_reply_apple),
		cmocka_unit_test(test_reply_echoed_attendees),
		cmocka_unit_test(test_reply_lf_equals_crlf),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_reply_bounds),
		cmocka_unit_test(test_reply_dirty_text),
		cmocka_unit_test(test_reply_partstats),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_windows_zones),
		cmocka_unit_test(test_event_outlook),
		cmocka_unit_test(test_event_google),
		cmocka_unit_test(test_event_thunderbird),
		cmocka_unit_test(test_event_allday),
		cmocka_unit_test(test_event_lf_folded_custom),
		cmocka_unit_test(test_event_errors),
		cmocka_unit_test(test_event_edge_times),
		cmocka_unit_test(test_event_mixed_zones),
		cmocka_unit_test(test_event_unsafe_vtimezone),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
