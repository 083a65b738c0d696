/*
 * Unit tests for the itip builder (itip.c) and zones (itip_tz.c).
 *
 * Zones: for each zone below, the VTIMEZONE we derive from the system's
 * TZif footer is loaded into libical and must give the same UTC offset
 * as the C library's tzdata (localtime_r under TZ=":Zone") for every
 * hour of 2027 and 2030 and on both sides of every transition second;
 * then an event at noon the day before and after each transition is
 * built, parsed back with libical (which must resolve the TZID through
 * our VTIMEZONE, not a built-in one) and converted to UTC.
 *
 * Builder: folding (75 octets, never inside a UTF-8 character, unfolds
 * to the original), TEXT escaping and CN quoting, REQUEST / CANCEL /
 * PUBLISH / all-day / UTC compared byte for byte with the golden files
 * in tests/cases/itip/ (rewrite them with ITIP_WRITE_GOLDEN=1 and review
 * the diff), libical's RFC 5546 restriction check on each, and a table
 * of refused inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "itip.h"
#include "util.h"

#define PRODID "-//Hanze Internationaal//hanzepost 0.1//EN"
#define STAMP ((time_t)1811000000)	/* 2027-05-22T15:33:20Z */
#define HOUR 3600

/* ---- helpers ---- */

static char *
case_path(const char *name)
{
	char *p = xasprintf("tests/cases/itip/%s", name);
	const char *slash;

	if (access(p, R_OK) == 0 || getenv("ITIP_WRITE_GOLDEN") != NULL)
		return p;
	free(p);
	slash = strrchr(__FILE__, '/');
	return xasprintf("%.*s/../cases/itip/%s",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
}

/* TZ for localtime_r/mktime, restored afterwards. */
static char *saved_tz;
static bool had_tz;

static void
tz_push(const char *zone)
{
	char *v = xasprintf(":%s", zone);
	const char *old = getenv("TZ");

	had_tz = old != NULL;
	saved_tz = xstrdup(old);
	setenv("TZ", v, 1);
	tzset();
	free(v);
}

static void
tz_pop(void)
{
	if (had_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	saved_tz = NULL;
}

static char *
vtz_for(const char *zone)
{
	char posix[ITIP_MAX_POSIX_TZ + 1], err[256], *vtz = NULL;

	if (itip_tz_posix(zone, posix, sizeof(posix), err, sizeof(err)) != 0)
		fail_msg("itip_tz_posix(%s): %s", zone, err);
	if (itip_vtimezone(zone, posix, &vtz, err, sizeof(err)) != 0)
		fail_msg("itip_vtimezone(%s, %s): %s", zone, posix, err);
	return vtz;
}

static struct itip_event
sample_event(void)
{
	struct itip_event ev = {
		.uid = "20270612-hanzedag@hanzepost.example.org",
		.sequence = 0,
		.summary = "Hanzedag Deventer – netwerkmiddag",
		.location = "Bergkerk, Bergkerkplein 1, 7411 GV Deventer",
		.description = "Programma:\n14:00 ontvangst; 15:00 sprekers\n"
		    "Aanmelden niet nodig.",
		.tzid = "Europe/Amsterdam",
		.start = { 2027, 6, 12, 14, 0, 0, false },
		.end = { 2027, 6, 12, 17, 0, 0, false },
		.organizer_addr = "events@hanzepost.example.org",
		.organizer_name = "Internationaal Bureau Deventer",
	};

	return ev;
}

static const struct itip_attendee sample_att = {
	.addr = "anna.devries@partner.example", .name = "Vries, Anna \"de\"",
	.partstat = ITIP_NEEDS_ACTION, .rsvp = true,
};

static char *
build_ok(enum itip_method m, const struct itip_event *ev,
    const struct itip_attendee *att, const char *vtz)
{
	char *out = NULL, err[256];
	size_t len = 0;

	if (itip_build(m, ev, att, STAMP, PRODID, vtz, &out, &len, err,
	    sizeof(err)) != 0)
		fail_msg("itip_build: %s", err);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Every physical line ends in CRLF, has at most 75 octets and is valid
 * UTF-8 on its own (so no fold split a character). */
static void
assert_lines_ok(const char *s)
{
	const char *p = s, *eol;

	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		if ((size_t)(eol - p) > 75)
			fail_msg("line of %zu octets: %.*s", (size_t)(eol - p),
			    (int)(eol - p), p);
		assert_true(hp_utf8_valid(p, (size_t)(eol - p)));
		assert_null(memchr(p, '\n', (size_t)(eol - p)));
		assert_null(memchr(p, '\r', (size_t)(eol - p)));
		p = eol + 2;
	}
}

/* Remove every CRLF followed by a space (RFC 5545 §3.1 unfolding). */
static char *
unfold(const char *s)
{
	char *o = xstrdup(s), *w = o;

	for (const char *r = s; *r != '\0'; r++) {
		if (r[0] == '\r' && r[1] == '\n' && r[2] == ' ') {
			r += 2;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return o;
}

static icalcomponent *
parse_vevent(const char *ics, icalcomponent **root)
{
	icalcomponent *ev;

	*root = icalparser_parse_string(ics);
	assert_non_null(*root);
	assert_int_equal(icalcomponent_count_errors(*root), 0);
	ev = icalcomponent_get_first_component(*root, ICAL_VEVENT_COMPONENT);
	assert_non_null(ev);
	return ev;
}

/* ---- zones against tzdata ---- */

static int
ical_offset(icaltimezone *z, time_t t)
{
	struct icaltimetype tt = icaltime_from_timet_with_zone(t, 0,
	    icaltimezone_get_utc_timezone());
	int isdst;

	return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &isdst);
}

static long
sys_offset(time_t t)
{
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	return tm.tm_gmtoff;
}

static void
assert_same_offset(const char *zone, icaltimezone *z, time_t t)
{
	long want = sys_offset(t);
	int got = ical_offset(z, t);

	if (got != want)
		fail_msg("%s at %lld: VTIMEZONE says %d, tzdata %ld", zone,
		    (long long)t, got, want);
}

/* Build an event at local noon on y-m-d in zone, parse it back, and
 * check libical's UTC instant (through our VTIMEZONE) against mktime. */
static void
assert_noon_roundtrip(const char *zone, const char *vtz, int y, int m, int d)
{
	struct itip_event ev = sample_event();
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
	    .tm_hour = 12, .tm_isdst = -1 };
	icalcomponent *root, *ve;
	struct icaltimetype dt;
	char *ics;
	time_t want = mktime(&tm);

	ev.tzid = zone;
	ev.start = (struct itip_time){ tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, 12, 0, 0, false };
	ev.end = ev.start;
	ev.end.hour = 13;
	ics = build_ok(ITIP_REQUEST, &ev, &sample_att, vtz);
	ve = parse_vevent(ics, &root);
	dt = icalcomponent_get_dtstart(ve);
	assert_non_null(dt.zone);
	assert_ptr_equal(dt.zone, icalcomponent_get_timezone(root, zone));
	if (icaltime_as_timet_with_zone(dt, dt.zone) != want)
		fail_msg("%s %04d-%02d-%02d 12:00: libical %lld, tzdata %lld",
		    zone, y, m, d,
		    (long long)icaltime_as_timet_with_zone(dt, dt.zone),
		    (long long)want);
	icalcomponent_free(root);
	free(ics);
}

/* The exact second of the change in (lo, hi]. */
static time_t
find_transition(time_t lo, time_t hi)
{
	long off = sys_offset(lo);

	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;

		if (sys_offset(mid) == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static int
check_year(const char *zone, icaltimezone *z, const char *vtz, int year)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mday = 1 };
	time_t t0 = timegm(&tm), t1;
	int transitions = 0;

	tm.tm_year++;
	t1 = timegm(&tm);
	for (time_t t = t0; t < t1; t += HOUR) {
		assert_same_offset(zone, z, t);
		if (t > t0 && sys_offset(t - HOUR) != sys_offset(t)) {
			time_t tr = find_transition(t - HOUR, t);
			time_t around[2] = { tr - 86400, tr + 86400 };

			assert_same_offset(zone, z, tr - 1);
			assert_same_offset(zone, z, tr);
			for (int i = 0; i < 2; i++) {
				struct tm lt;

				localtime_r(&around[i], &lt);
				assert_noon_roundtrip(zone, vtz,
				    lt.tm_year + 1900, lt.tm_mon + 1,
				    lt.tm_mday);
			}
			transitions++;
		}
	}
	return transitions;
}

static void
check_zone(const char *zone, int want_transitions)
{
	char *vtz = vtz_for(zone);
	icalcomponent *c = icalcomponent_new_from_string(vtz);
	icaltimezone *z = icaltimezone_new();

	assert_non_null(c);
	assert_int_equal(icalcomponent_isa(c), ICAL_VTIMEZONE_COMPONENT);
	assert_true(icaltimezone_set_component(z, c));
	assert_string_equal(icaltimezone_get_tzid(z), zone);
	tz_push(zone);
	assert_int_equal(check_year(zone, z, vtz, 2027), want_transitions);
	assert_int_equal(check_year(zone, z, vtz, 2030), want_transitions);
	assert_noon_roundtrip(zone, vtz, 2027, 1, 15);
	assert_noon_roundtrip(zone, vtz, 2030, 7, 15);
	tz_pop();
	icaltimezone_free(z, 1);
	free(vtz);
}

static void
test_zone_amsterdam(void **state)
{
	char *vtz = vtz_for("Europe/Amsterdam");

	assert_string_equal(vtz,
	    "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam\r\n"
	    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
	    "TZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
	    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
	    "TZNAME:CET\r\nDTSTART:19701025T030000\r\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
	    "END:VTIMEZONE\r\n");
	free(vtz);
	check_zone("Europe/Amsterdam", 2);
}

static void
test_zone_new_york(void **state)
{
	char *vtz = vtz_for("America/New_York");

	assert_non_null(strstr(vtz, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"));
	assert_non_null(strstr(vtz, "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"));
	free(vtz);
	check_zone("America/New_York", 2);
}

/* Southern hemisphere: DAYLIGHT starts in October, ends in April. */
static void
test_zone_sydney(void **state)
{
	char *vtz = vtz_for("Australia/Sydney");

	assert_non_null(strstr(vtz, "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+1000\r\n"
	    "TZOFFSETTO:+1100\r\nTZNAME:AEDT\r\nDTSTART:19701004T020000\r\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\n"));
	assert_non_null(strstr(vtz, "DTSTART:19700405T030000\r\n"
	    "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\n"));
	free(vtz);
	check_zone("Australia/Sydney", 2);
}

static void
test_zone_kolkata(void **state)
{
	char *vtz = vtz_for("Asia/Kolkata");

	assert_string_equal(vtz, "BEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\n"
	    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\n"
	    "TZNAME:IST\r\nDTSTART:19700101T000000\r\nEND:STANDARD\r\n"
	    "END:VTIMEZONE\r\n");
	free(vtz);
	check_zone("Asia/Kolkata", 0);
}

static void
test_zone_london(void **state)
{
	check_zone("Europe/London", 2);
}

/* The unusual footers tzdata has: negative DST (Dublin), a transition at
 * -1:00 (Nuuk), at 26:00 (Jerusalem), at 24:00 (Santiago),
 * half-hour DST (Lord Howe), 45-minute offsets (Chatham), +03:30. */
static void
test_zone_unusual(void **state)
{
	check_zone("Europe/Dublin", 2);
	check_zone("America/Nuuk", 2);
	check_zone("Asia/Jerusalem", 2);
	check_zone("America/Santiago", 2);
	check_zone("Australia/Lord_Howe", 2);
	check_zone("Pacific/Chatham", 2);
	check_zone("Asia/Tehran", 0);
	check_zone("Asia/Ho_Chi_Minh", 0);
	check_zone("UTC", 0);
}

static void
test_vtimezone_forms(void **state)
{
	char *vtz = NULL, err[256];

	assert_int_equal(itip_vtimezone("X/Y", "<+07>-7", &vtz, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(vtz, "TZOFFSETTO:+0700\r\nTZNAME:+07\r\n"));
	free(vtz);
	assert_int_equal(itip_vtimezone("X/Y", "LMT-0:19:32", &vtz, err,
	    sizeof(err)), 0);
	assert_non_null(strstr(vtz, "TZOFFSETTO:+001932\r\n"));
	free(vtz);
	assert_int_equal(itip_vtimezone("X/Y", "NST3:30NDT,M3.2.0,M11.1.0",
	    &vtz, err, sizeof(err)), 0);
	assert_non_null(strstr(vtz, "TZOFFSETFROM:-0330\r\nTZOFFSETTO:-0230"));
	free(vtz);
	/* Nuuk's "-1:00 before the last Sunday" = a Saturday, days 24-30. */
	assert_int_equal(itip_vtimezone("America/Nuuk",
	    "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", &vtz, err, sizeof(err)), 0);
	assert_non_null(strstr(vtz, "DTSTART:19700328T230000\r\nRRULE:FREQ="
	    "YEARLY;BYMONTH=3;BYMONTHDAY=24,25,26,27,28,29,30;BYDAY=SA\r\n"));
	free(vtz);
	/* Gaza's footer: 4th Thursday + 50 h = a Saturday, days 24-30
	 * (the zone itself is refused by itip_tz_posix, see test_tz_posix). */
	assert_int_equal(itip_vtimezone("Asia/Gaza",
	    "EET-2EEST,M3.4.4/50,M10.4.4/50", &vtz, err, sizeof(err)), 0);
	assert_non_null(strstr(vtz, "DTSTART:19700328T020000\r\nRRULE:FREQ="
	    "YEARLY;BYMONTH=3;BYMONTHDAY=24,25,26,27,28,29,30;BYDAY=SA\r\n"));
	assert_non_null(strstr(vtz, "DTSTART:19701024T020000\r\nRRULE:FREQ="
	    "YEARLY;BYMONTH=10;BYMONTHDAY=24,25,26,27,28,29,30;BYDAY=SA\r\n"));
	free(vtz);
}

static void
test_vtimezone_refused(void **state)
{
	static const struct { const char *tz, *msg; } bad[] = {
		{ "EST5EDT4,0/0,J365/25", "Jn or n form" },
		{ "XXX3YYY,J60,J300", "Jn or n form" },
		{ "EET-2EEST,M4.5.5/0,M10.5.4/24", "crosses a month" },
		{ "AAA-1BBB,M3.1.0/-1,M10.5.0", "crosses a month" },
		{ "AAA-1BBB,M2.5.0/-1,M10.5.0", "crosses a month" },
		{ "AAA-1BBB,M2.4.0/48,M10.5.0", "crosses a month" },
		{ "CET-1CEST", "no rules" },
		{ "CET-25", "hours beyond" },
		{ "CET-24", "24 hours or more" },
		{ "AB-1", "3 to" },
		{ "<+07-7", "missing '>'" },
		{ "CET-1CEST,M13.1.0,M10.5.0", "malformed Mm.w.d" },
		{ "CET-1CEST,M3.6.0,M10.5.0", "malformed Mm.w.d" },
		{ "CET-1CEST,M3.5.7,M10.5.0", "malformed Mm.w.d" },
		{ "CET-1CEST,M3.5.0/168,M10.5.0", "hours beyond" },
		{ "CET-1CEST,M3.5.0,M10.5.0/3x", "unexpected text" },
		{ "CET-1CEST,M3.5.0", "expected ','" },
		{ "CET-1:60", "malformed time" },
		{ "CET", "malformed time" },
		{ "", "3 to" },
		{ " CET-1", "3 to" },
		{ "CET-1\n", "3 to" },
	};
	char *vtz = NULL, err[256];

	for (size_t i = 0; i < HP_NELEM(bad); i++) {
		err[0] = '\0';
		if (itip_vtimezone("X/Y", bad[i].tz, &vtz, err,
		    sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].tz);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].tz, err,
			    bad[i].msg);
	}
	assert_null(vtz);
	assert_int_equal(itip_vtimezone("../x", "UTC0", &vtz, err,
	    sizeof(err)), -1);
	assert_int_equal(itip_vtimezone("X/Y", NULL, &vtz, err, sizeof(err)),
	    -1);
	assert_null(vtz);
}

static void
test_tz_posix(void **state)
{
	static const char *const bad_names[] = {
		"../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd",
		"Europe/Amsterdam\n", "Europe/Amst erdam", "", "zone.tab",
		"Europe//Amsterdam", "Europe/", "Europe/Amsterdam;x",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	char out[ITIP_MAX_POSIX_TZ + 1], tiny[8], err[256];

	assert_int_equal(itip_tz_posix("Europe/Amsterdam", out, sizeof(out),
	    err, sizeof(err)), 0);
	assert_string_equal(out, "CET-1CEST,M3.5.0,M10.5.0/3");
	assert_int_equal(itip_tz_posix("Asia/Kolkata", out, sizeof(out), err,
	    sizeof(err)), 0);
	assert_string_equal(out, "IST-5:30");
	for (size_t i = 0; i < HP_NELEM(bad_names); i++)
		if (itip_tz_posix(bad_names[i], out, sizeof(out), err,
		    sizeof(err)) != -1)
			fail_msg("accepted zone name %s", bad_names[i]);
	assert_int_equal(itip_tz_posix("Nowhere/Atlantis", out, sizeof(out),
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown time zone"));
	assert_int_equal(itip_tz_posix("leapseconds", out, sizeof(out), err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a TZif"));
	/* Morocco's Ramadan changes are listed to 2087 under a footer of
	 * plain "<+01>-1": the footer does not describe the zone. */
	assert_int_equal(itip_tz_posix("Africa/Casablanca", out, sizeof(out),
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "after 2037"));
	assert_int_equal(itip_tz_posix("Europe/Amsterdam", tiny, sizeof(tiny),
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

/* ---- folding and escaping ---- */

static void
test_folding_utf8(void **state)
{
	static const char piece[] = "Zoë ü ł Ø 🎉 résumé — ";
	struct itip_event ev = sample_event();
	char summary[512] = "", *ics, *flat, *want;
	icalcomponent *root, *ve;
	size_t n;

	/* ~300 octets of mixed 1- to 4-octet characters. */
	while (strlen(summary) + sizeof(piece) < 300)
		strcat(summary, piece);
	strcat(summary, "einde");
	n = strlen(summary);
	assert_true(n > 280 && n <= 300);
	ev.tzid = NULL;
	for (int shift = 0; shift < 4; shift++) {
		char *sum = xasprintf("%.*s%s", shift, "xxx", summary);

		/* Each extra leading octet moves every fold point by one. */
		ev.summary = sum;
		ics = build_ok(ITIP_REQUEST, &ev, &sample_att, NULL);
		assert_lines_ok(ics);
		flat = unfold(ics);
		want = xasprintf("\r\nSUMMARY:%s\r\n", sum);
		assert_non_null(strstr(flat, want));
		ve = parse_vevent(ics, &root);
		assert_string_equal(icalcomponent_get_summary(ve), sum);
		free(sum);
		icalcomponent_free(root);
		free(want);
		free(flat);
		free(ics);
	}
}

/* Every split point: a summary of n copies of a 2-, 3- or 4-octet
 * character, for lengths that put a character across octet 75. */
static void
test_folding_every_offset(void **state)
{
	static const char *const chars[] = { "é", "ł", "€", "🎉" };
	struct itip_event ev = sample_event();
	char summary[ITIP_MAX_TEXT + 1];

	ev.tzid = NULL;
	for (size_t c = 0; c < HP_NELEM(chars); c++)
		for (size_t k = 1; k < 80; k++) {
			char *ics, *flat, *want;

			summary[0] = '\0';
			for (size_t i = 0; i < k; i++)
				strcat(summary, chars[c]);
			ev.summary = summary;
			ics = build_ok(ITIP_PUBLISH, &ev, NULL, NULL);
			assert_lines_ok(ics);
			flat = unfold(ics);
			want = xasprintf("\r\nSUMMARY:%s\r\n", summary);
			assert_non_null(strstr(flat, want));
			free(want);
			free(flat);
			free(ics);
		}
}

static void
test_escaping(void **state)
{
	struct itip_event ev = sample_event();
	struct itip_attendee att = sample_att;
	icalcomponent *root, *ve;
	icalproperty *p;
	char *ics, *flat;

	ev.summary = "a,b;c\\d \"q\" \\n";
	ev.location = "Zaal 1, 2e verdieping; ingang B";
	ev.description = "regel 1\nregel 2\r\nregel 3\t(tab)";
	ev.organizer_name = "Bureau: Internationaal";
	att.name = "Anna";
	ev.tzid = NULL;
	ics = build_ok(ITIP_REQUEST, &ev, &att, NULL);
	flat = unfold(ics);
	assert_non_null(strstr(flat, "\r\nSUMMARY:a\\,b\\;c\\\\d \"q\" \\\\n\r\n"));
	assert_non_null(strstr(flat,
	    "\r\nLOCATION:Zaal 1\\, 2e verdieping\\; ingang B\r\n"));
	assert_non_null(strstr(flat,
	    "\r\nDESCRIPTION:regel 1\\nregel 2\\nregel 3\t(tab)\r\n"));
	assert_non_null(strstr(flat, "\r\nORGANIZER;CN=\"Bureau: Internationaal\""
	    ":mailto:events@hanzepost.example.org\r\n"));
	assert_non_null(strstr(flat, ";CN=Anna:mailto:anna.devries@"));
	ve = parse_vevent(ics, &root);
	assert_string_equal(icalcomponent_get_summary(ve), ev.summary);
	assert_string_equal(icalcomponent_get_location(ve), ev.location);
	assert_string_equal(icalcomponent_get_description(ve),
	    "regel 1\nregel 2\nregel 3\t(tab)");
	p = icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY);
	assert_string_equal(icalproperty_get_parameter_as_string(p, "CN"),
	    "Bureau: Internationaal");
	icalcomponent_free(root);
	free(flat);
	free(ics);
}

/* ---- methods, against golden files ---- */

static void
check_golden(const char *name, const char *ics)
{
	char *path = case_path(name), *want = NULL;
	size_t len;

	if (getenv("ITIP_WRITE_GOLDEN") != NULL) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(ics, 1, strlen(ics), f), strlen(ics));
		assert_int_equal(fclose(f), 0);
	} else {
		if (hp_read_file(path, 1 << 20, &want, &len) != 0)
			fail_msg("cannot read %s", path);
		assert_string_equal(ics, want);
		free(want);
	}
	free(path);
}

/* libical's RFC 5546 tables: a self-check only (notes/itip.md §5). */
static void
assert_restrictions_ok(icalcomponent *root)
{
	int errs;

	assert_true(icalrestriction_check(root));
	errs = icalcomponent_count_errors(root);
	if (errs != 0)
		fail_msg("%d X-LIC-ERROR after icalrestriction_check:\n%s", errs,
		    icalcomponent_as_ical_string(root));
}

static void
test_request(void **state)
{
	struct itip_event ev = sample_event();
	char *vtz = vtz_for("Europe/Amsterdam"), *ics;
	icalcomponent *root, *ve;
	icalproperty *p;
	icalparameter *par;
	struct icaltimetype dt;

	ics = build_ok(ITIP_REQUEST, &ev, &sample_att, vtz);
	assert_lines_ok(ics);
	check_golden("request-amsterdam.ics", ics);
	ve = parse_vevent(ics, &root);
	assert_int_equal(icalcomponent_get_method(root), ICAL_METHOD_REQUEST);
	assert_string_equal(icalcomponent_get_uid(ve), ev.uid);
	assert_int_equal(icalcomponent_get_sequence(ve), 0);
	assert_int_equal(icalcomponent_get_status(ve), ICAL_STATUS_CONFIRMED);
	assert_null(icalcomponent_get_first_component(ve,
	    ICAL_VALARM_COMPONENT));
	dt = icalcomponent_get_dtstart(ve);
	assert_int_equal(icaltime_as_timet_with_zone(dt, dt.zone),
	    1812801600);	/* 2027-06-12T12:00:00Z */
	p = icalcomponent_get_first_property(ve, ICAL_ATTENDEE_PROPERTY);
	assert_string_equal(icalproperty_get_attendee(p),
	    "mailto:anna.devries@partner.example");
	assert_string_equal(icalproperty_get_parameter_as_string(p, "CN"),
	    "Vries, Anna de");
	par = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
	assert_int_equal(icalparameter_get_partstat(par),
	    ICAL_PARTSTAT_NEEDSACTION);
	par = icalproperty_get_first_parameter(p, ICAL_RSVP_PARAMETER);
	assert_int_equal(icalparameter_get_rsvp(par), ICAL_RSVP_TRUE);
	assert_null(icalcomponent_get_next_property(ve,
	    ICAL_ATTENDEE_PROPERTY));
	assert_restrictions_ok(root);
	icalcomponent_free(root);
	free(ics);
	free(vtz);
}

static void
test_cancel(void **state)
{
	struct itip_event ev = sample_event();
	struct itip_attendee att = sample_att;
	char *vtz = vtz_for("Europe/Amsterdam"), *ics;
	icalcomponent *root, *ve;

	ev.sequence = 2;
	ev.cancelled = true;
	att.partstat = ITIP_ACCEPTED;
	att.rsvp = false;
	ics = build_ok(ITIP_CANCEL, &ev, &att, vtz);
	assert_lines_ok(ics);
	check_golden("cancel-amsterdam.ics", ics);
	assert_null(strstr(ics, "RSVP"));
	ve = parse_vevent(ics, &root);
	assert_int_equal(icalcomponent_get_method(root), ICAL_METHOD_CANCEL);
	assert_int_equal(icalcomponent_get_sequence(ve), 2);
	assert_int_equal(icalcomponent_get_status(ve), ICAL_STATUS_CANCELLED);
	assert_restrictions_ok(root);
	icalcomponent_free(root);
	free(ics);
	/* STATUS:CANCELLED does not depend on ev.cancelled for CANCEL. */
	ev.cancelled = false;
	ics = build_ok(ITIP_CANCEL, &ev, &att, vtz);
	assert_non_null(strstr(ics, "\r\nSTATUS:CANCELLED\r\n"));
	free(ics);
	free(vtz);
}

static void
test_update_keeps_uid(void **state)
{
	struct itip_event ev = sample_event();
	char *vtz = vtz_for("Europe/Amsterdam"), *a, *b;

	a = build_ok(ITIP_REQUEST, &ev, &sample_att, vtz);
	ev.sequence = 1;
	ev.start.hour = 15;
	ev.end.hour = 18;
	b = build_ok(ITIP_REQUEST, &ev, &sample_att, vtz);
	assert_non_null(strstr(a, "\r\nSEQUENCE:0\r\n"));
	assert_non_null(strstr(b, "\r\nSEQUENCE:1\r\n"));
	assert_non_null(strstr(b, "\r\nUID:20270612-hanzedag@hanzepost."
	    "example.org\r\n"));
	assert_non_null(strstr(b, "\r\nDTSTART;TZID=Europe/Amsterdam:"
	    "20270612T150000\r\n"));
	free(a);
	free(b);
	free(vtz);
}

static void
test_publish(void **state)
{
	struct itip_event ev = sample_event();
	char *vtz = vtz_for("Europe/Amsterdam"), *ics;
	icalcomponent *root, *ve;

	ics = build_ok(ITIP_PUBLISH, &ev, NULL, vtz);
	assert_lines_ok(ics);
	check_golden("publish-amsterdam.ics", ics);
	assert_null(strstr(ics, "ATTENDEE"));
	assert_null(strstr(ics, "METHOD:REQUEST"));
	ve = parse_vevent(ics, &root);
	assert_int_equal(icalcomponent_get_method(root), ICAL_METHOD_PUBLISH);
	assert_int_equal(icalcomponent_get_status(ve), ICAL_STATUS_CONFIRMED);
	assert_restrictions_ok(root);
	icalcomponent_free(root);
	free(ics);
	ev.cancelled = true;
	ev.sequence = 1;
	ics = build_ok(ITIP_PUBLISH, &ev, NULL, vtz);
	assert_non_null(strstr(ics, "\r\nSTATUS:CANCELLED\r\n"));
	free(ics);
	free(vtz);
}

static void
test_all_day_and_utc(void **state)
{
	struct itip_event ev = sample_event();
	char *ics;
	icalcomponent *root, *ve;
	struct icaltimetype dt;

	ev.tzid = NULL;
	ev.start = (struct itip_time){ 2027, 9, 30, 0, 0, 0, true };
	ev.end = (struct itip_time){ 2027, 10, 2, 0, 0, 0, true };
	/* A VTIMEZONE passed with an all-day event is not written. */
	ics = build_ok(ITIP_REQUEST, &ev, &sample_att, "ignored");
	assert_lines_ok(ics);
	check_golden("request-allday.ics", ics);
	assert_null(strstr(ics, "VTIMEZONE"));
	assert_null(strstr(ics, "TZID"));
	ve = parse_vevent(ics, &root);
	dt = icalcomponent_get_dtstart(ve);
	assert_true(dt.is_date);
	assert_int_equal(dt.day, 30);
	dt = icalcomponent_get_dtend(ve);
	assert_true(dt.is_date);
	assert_int_equal(dt.month, 10);
	assert_int_equal(dt.day, 2);
	assert_restrictions_ok(root);
	icalcomponent_free(root);
	free(ics);

	ev = sample_event();
	ev.tzid = NULL;
	ics = build_ok(ITIP_REQUEST, &ev, &sample_att, NULL);
	check_golden("request-utc.ics", ics);
	assert_non_null(strstr(ics, "\r\nDTSTART:20270612T140000Z\r\n"));
	assert_null(strstr(ics, "VTIMEZONE"));
	free(ics);
}

static void
test_sydney_golden(void **state)
{
	struct itip_event ev = sample_event();
	struct itip_attendee att = sample_att;
	char *vtz = vtz_for("Australia/Sydney"), *ics, *flat;

	ev.uid = "20271010-open-day@hanzepost.example.org";
	ev.summary = "Open day Western Sydney University";
	ev.location = NULL;
	ev.description = NULL;
	ev.tzid = "Australia/Sydney";
	ev.start = (struct itip_time){ 2027, 10, 2, 10, 0, 0, false };
	ev.end = (struct itip_time){ 2027, 10, 4, 10, 0, 0, false };
	att.name = NULL;
	ics = build_ok(ITIP_REQUEST, &ev, &att, vtz);
	check_golden("request-sydney.ics", ics);
	assert_null(strstr(ics, "LOCATION"));
	flat = unfold(ics);
	assert_non_null(strstr(flat, ";RSVP=TRUE:mailto:anna.devries@"));
	free(flat);
	free(ics);
	free(vtz);
}

/* ---- refused input ---- */

struct bad_case {
	const char *what;
	enum itip_method method;
	struct itip_event ev;
	struct itip_attendee att;
	bool no_att, no_vtz, other_vtz;
	const char *prodid;
	time_t stamp;
};

static void
expect_refused(const struct bad_case *c, const char *vtz, const char *other)
{
	char *out = NULL, err[256] = "";
	size_t len = 7;
	int rc = itip_build(c->method, &c->ev, c->no_att ? NULL : &c->att,
	    c->stamp ? c->stamp : STAMP, c->prodid ? c->prodid : PRODID,
	    c->no_vtz ? NULL : c->other_vtz ? other : vtz, &out, &len, err,
	    sizeof(err));

	if (rc != -1)
		fail_msg("accepted: %s", c->what);
	if (err[0] == '\0')
		fail_msg("no message for: %s", c->what);
	assert_null(out);
	assert_int_equal(len, 7);
}

static void
test_refused(void **state)
{
	char longtext[ITIP_MAX_TEXT + 2], longname[ITIP_MAX_NAME + 2];
	char longuid[ITIP_MAX_UID + 2];
	char *vtz = vtz_for("Europe/Amsterdam"), *other = vtz_for("UTC");
	struct itip_event e = sample_event();
	struct itip_attendee a = sample_att;
	struct bad_case cases[64];
	size_t n = 0;

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longuid, 'u', sizeof(longuid) - 1);
	longuid[sizeof(longuid) - 1] = '\0';
#define BAD(desc, ...) do { \
	struct bad_case c_ = { desc, ITIP_REQUEST, e, a, false, false, false, \
	    NULL, 0 }; \
	struct bad_case *c = &c_; \
	__VA_ARGS__; \
	cases[n++] = c_; \
} while (0)
	BAD("no uid", c->ev.uid = NULL);
	BAD("long uid", c->ev.uid = longuid);
	BAD("uid with newline", c->ev.uid = "a\nb@x.example");
	BAD("no summary", c->ev.summary = NULL);
	BAD("empty summary", c->ev.summary = "");
	BAD("summary with C0", c->ev.summary = "a\001b");
	BAD("summary with ESC", c->ev.summary = "a\033[31mb");
	BAD("summary with C1", c->ev.summary = "a\xc2\x85" "b");
	BAD("summary with newline", c->ev.summary = "a\nb");
	BAD("summary with DEL", c->ev.summary = "a\177b");
	BAD("summary not UTF-8", c->ev.summary = "caf\xe9");
	BAD("overlong UTF-8", c->ev.summary = "\xc0\xaf");
	BAD("long summary", c->ev.summary = longtext);
	BAD("long description", c->ev.description = longtext);
	BAD("description bare CR", c->ev.description = "a\rb");
	BAD("location newline", c->ev.location = "a\r\nb");
	BAD("bad organizer", c->ev.organizer_addr = "not an address");
	BAD("no organizer", c->ev.organizer_addr = NULL);
	BAD("organizer injection", c->ev.organizer_addr =
	    "a@b.example>\r\nRCPT TO:<c@d.example");
	BAD("long organizer name", c->ev.organizer_name = longname);
	BAD("organizer name newline", c->ev.organizer_name = "a\r\nX-EVIL:1");
	BAD("bad attendee", c->att.addr = "anna@");
	BAD("attendee with quote", c->att.addr = "\"a\"@b.example");
	BAD("attendee is organizer", c->att.addr = "Events@Hanzepost.example.org");
	BAD("attendee name control", c->att.name = "Anna\001");
	BAD("partstat other", c->att.partstat = ITIP_PARTSTAT_OTHER);
	BAD("end before start", c->ev.end.hour = 13);
	BAD("end equals start", c->ev.end = c->ev.start);
	BAD("30 February", c->ev.start.month = 2; c->ev.start.day = 30;
	    c->ev.end.month = 3);
	BAD("31 April", c->ev.start.month = 4; c->ev.start.day = 31);
	BAD("29 Feb 2027", c->ev.start.month = 2; c->ev.start.day = 29);
	BAD("hour 24", c->ev.end.hour = 24);
	BAD("minute 60", c->ev.start.minute = 60);
	BAD("second 60", c->ev.start.second = 60);
	BAD("negative hour", c->ev.start.hour = -1);
	BAD("year 1969", c->ev.start.year = 1969);
	BAD("year 2200", c->ev.end.year = 2200);
	BAD("month 13", c->ev.end.month = 13);
	BAD("day 0", c->ev.start.day = 0);
	BAD("mixed all-day", c->ev.start.all_day = true);
	BAD("all-day end not after start", c->ev.start.all_day = true;
	    c->ev.end.all_day = true);
	BAD("UTC event with VTIMEZONE", c->ev.tzid = NULL);
	BAD("zone without VTIMEZONE", c->no_vtz = true);
	BAD("VTIMEZONE of another zone", c->other_vtz = true);
	BAD("bad tzid", c->ev.tzid = "../etc/passwd");
	BAD("tzid with colon", c->ev.tzid = "Europe/Amsterdam:x");
	BAD("CANCEL with SEQUENCE 0", c->method = ITIP_CANCEL);
	BAD("REQUEST cancelled", c->ev.cancelled = true);
	BAD("REQUEST without attendee", c->no_att = true);
	BAD("CANCEL without attendee", c->method = ITIP_CANCEL;
	    c->ev.sequence = 1; c->no_att = true);
	BAD("PUBLISH with attendee", c->method = ITIP_PUBLISH);
	BAD("REPLY", c->method = ITIP_REPLY);
	BAD("bogus method", c->method = (enum itip_method)42);
	BAD("sequence too large", c->ev.sequence = 0x80000000u);
	BAD("empty prodid", c->prodid = "");
	BAD("prodid with newline", c->prodid = "a\nb");
	BAD("negative dtstamp", c->stamp = -5);
#undef BAD
	assert_true(n <= HP_NELEM(cases));
	for (size_t i = 0; i < n; i++)
		expect_refused(&cases[i], vtz, other);
	/* A truncated or foreign VTIMEZONE text. */
	{
		struct bad_case c = { "cut VTIMEZONE", ITIP_REQUEST, e, a,
		    false, false, true, NULL, 0 };
		char *cut = xstrndup(vtz, strlen(vtz) - 4);

		expect_refused(&c, vtz, cut);
		free(cut);
		expect_refused(&c, vtz, "BEGIN:VTIMEZONE\r\nTZID:Europe/"
		    "Amsterdamx\r\nEND:VTIMEZONE\r\n");
	}
	expect_refused(&(struct bad_case){ "zeroed event", ITIP_REQUEST,
	    { 0 }, a, false, false, false, NULL, 0 }, vtz, other);
	{
		char *out = NULL, err[64];

		assert_int_equal(itip_build(ITIP_PUBLISH, NULL, NULL, STAMP,
		    PRODID, NULL, &out, NULL, err, sizeof(err)), -1);
		assert_null(out);
	}
	free(vtz);
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_amsterdam),
		cmocka_unit_test(test_zone_new_york),
		cmocka_unit_test(test_zone_sydney),
		cmocka_unit_test(test_zone_kolkata),
		cmocka_unit_test(test_zone_london),
		cmocka_unit_test(test_zone_unusual),
		cmocka_unit_test(test_vtimezone_forms),
		cmocka_unit_test(test_vtimezone_refused),
		cmocka_unit_test(test_tz_posix),
		cmocka_unit_test(test_folding_utf8),
		cmocka_unit_test(test_folding_every_offset),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_update_keeps_uid),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_all_day_and_utc),
		cmocka_unit_test(test_sydney_golden),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
