/*
 * form_event: the event form of SPEC §3 "Events" (rules in form.h,
 * section "event forms").  The first pass is form.c's, so an event form
 * is read line by line exactly as a registry form; this file is the
 * second pass: titles, times, zone syntax, audience and Event-Id.  Pure
 * like the rest of the form module: no I/O, no logging, no clock (so
 * "Start is in the past" is the caller's check), no zone database (so
 * whether a Timezone exists is too).
 *
 * Messages name the field as the sender wrote it ("Evenement: ..."),
 * quote outside text shortened by form_quote, and give a date back in
 * the form's own YYYY-MM-DD HH:MM shape, which reads the same in both
 * languages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form_int.h"
#include "util.h"

#define YEAR_MIN	2000
#define YEAR_MAX	2100
#define WHEN_TEXT	32	/* "YYYY-MM-DD HH:MM" with room to spare */

/* The shape of a Start or End value. */
enum when_kind { WHEN_DATE, WHEN_DATETIME, WHEN_TIME };

/* Why a value is not a time. */
enum when_err { WHEN_OK, WHEN_SYNTAX, WHEN_YEAR, WHEN_NODATE, WHEN_NOTIME };

struct ev_reader {
	struct event_form *ev;
	const struct country_db *countries;
	int first_line[FK_COUNT];	/* first line of each key; 0 = none */
	const char *start_key, *end_key;	/* as written */
	int start_line, end_line;
	bool start_ok, end_ok;
	enum when_kind end_kind;
};

static const unsigned ev_bits[FK_COUNT] = {
	[FK_EV_TITLE] = FORM_EV_TITLE,
	[FK_EV_START] = FORM_EV_START,
	[FK_EV_END] = FORM_EV_END,
	[FK_EV_TIMEZONE] = FORM_EV_TIMEZONE,
	[FK_EV_LOCATION] = FORM_EV_LOCATION,
	[FK_DESCRIPTION] = FORM_EV_DESCRIPTION,
	[FK_EV_AUDIENCE] = FORM_EV_AUDIENCE,
	[FK_EV_ID] = FORM_EV_ID,
};

/* The longest value of each event key. */
static const size_t ev_max[FK_COUNT] = {
	[FK_EV_TITLE] = FORM_MAX_EVENT_TITLE,
	[FK_EV_START] = 64,
	[FK_EV_END] = 64,
	[FK_EV_TIMEZONE] = FORM_MAX_TZID,
	[FK_EV_LOCATION] = FORM_MAX_EVENT_LOCATION,
	[FK_DESCRIPTION] = FORM_MAX_DESCRIPTION,
	[FK_EV_AUDIENCE] = FORM_MAX_NETWORK + 16,
	[FK_EV_ID] = FORM_MAX_EVENT_ID,
};

/* --- dates and times ---------------------------------------------------- */

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Read min..max digits at *p into *out; advances *p.  -1 when the count
 * is outside that range. */
static int
read_num(const char **p, size_t min, size_t max, int *out)
{
	size_t n = 0;
	int v = 0;

	while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9')
		v = v * 10 + ((*p)[n++] - '0');
	if (n < min || ((*p)[n] >= '0' && (*p)[n] <= '9'))
		return -1;
	*p += n;
	*out = v;
	return 0;
}

/* "H:MM", "HH:MM", "HH.MM", with an optional " uur" / "u" / "h", up to
 * the end of s. */
static enum when_err
parse_clock(const char *p, struct itip_time *t)
{
	if (read_num(&p, 1, 2, &t->hour) == -1 || (*p != ':' && *p != '.'))
		return WHEN_SYNTAX;
	p++;
	if (read_num(&p, 2, 2, &t->minute) == -1)
		return WHEN_SYNTAX;
	p = form_skip_ws(p);
	if (strcasecmp(p, "uur") == 0 || strcasecmp(p, "u") == 0 ||
	    strcasecmp(p, "h") == 0)
		p += strlen(p);
	if (*p != '\0')
		return WHEN_SYNTAX;
	return t->hour > 23 || t->minute > 59 ? WHEN_NOTIME : WHEN_OK;
}

/* "YYYY-M-D" or "D-M-YYYY" at *p; advances *p past it. */
static enum when_err
parse_date(const char **p, struct itip_time *t)
{
	const char *s = *p;
	int a, b, c;
	size_t na = strspn(s, "0123456789");

	if (na == 4) {			/* YYYY-M-D */
		if (read_num(&s, 4, 4, &a) == -1 || *s++ != '-' ||
		    read_num(&s, 1, 2, &b) == -1 || *s++ != '-' ||
		    read_num(&s, 1, 2, &c) == -1)
			return WHEN_SYNTAX;
		t->year = a, t->month = b, t->day = c;
	} else {			/* D-M-YYYY */
		if (read_num(&s, 1, 2, &a) == -1 || *s++ != '-' ||
		    read_num(&s, 1, 2, &b) == -1 || *s++ != '-' ||
		    read_num(&s, 4, 4, &c) == -1)
			return WHEN_SYNTAX;
		t->year = c, t->month = b, t->day = a;
	}
	*p = s;
	if (t->year < YEAR_MIN || t->year > YEAR_MAX)
		return WHEN_YEAR;
	if (t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > month_days(t->year, t->month))
		return WHEN_NODATE;
	return WHEN_OK;
}

/* A Start or End value (trimmed) into *t and *kind. */
static enum when_err
parse_when(const char *s, struct itip_time *t, enum when_kind *kind)
{
	enum when_err e;
	size_t lead = strspn(s, "0123456789");

	memset(t, 0, sizeof(*t));
	if (lead >= 1 && lead <= 2 && (s[lead] == ':' || s[lead] == '.')) {
		*kind = WHEN_TIME;
		return parse_clock(s, t);
	}
	if ((e = parse_date(&s, t)) != WHEN_OK)
		return e;
	if (*s == '\0') {
		*kind = WHEN_DATE;
		t->all_day = true;
		return WHEN_OK;
	}
	if (*s == 'T' || *s == 't')
		s++;
	else if (*s == ' ' || *s == '\t')
		s = form_skip_ws(s);
	else
		return WHEN_SYNTAX;
	*kind = WHEN_DATETIME;
	return parse_clock(s, t);
}

/* -1, 0, 1 as a is before, at, after b (dates and times compared). */
static int
when_cmp(const struct itip_time *a, const struct itip_time *b)
{
	const int x[] = { a->year, a->month, a->day, a->hour, a->minute };
	const int y[] = { b->year, b->month, b->day, b->hour, b->minute };

	for (size_t i = 0; i < HP_NELEM(x); i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* t plus h hours (h < 24), the date rolling over as needed. */
static void
when_add_hours(struct itip_time *t, int h)
{
	t->hour += h;
	if (t->hour < 24)
		return;
	t->hour -= 24;
	if (++t->day <= month_days(t->year, t->month))
		return;
	t->day = 1;
	if (++t->month <= 12)
		return;
	t->month = 1;
	t->year++;
}

static const char *
when_text(const struct itip_time *t, char buf[WHEN_TEXT])
{
	if (t->all_day)
		snprintf(buf, WHEN_TEXT, "%04d-%02d-%02d", t->year % 10000,
		    t->month % 100, t->day % 100);
	else
		snprintf(buf, WHEN_TEXT, "%04d-%02d-%02d %02d:%02d",
		    t->year % 10000, t->month % 100, t->day % 100,
		    t->hour % 100, t->minute % 100);
	return buf;
}

static void
when_error(struct ev_reader *r, const struct form_raw *fr, const char *v,
    enum when_err e)
{
	char q[FORM_QUOTE_MAX + 4];

	form_quote(v, q);
	if (e == WHEN_YEAR)
		problems_add(&r->ev->errors, fr->line,
		    "%s: \"%s\": het jaar moet tussen %d en %d liggen",
		    "%s: \"%s\": the year must be between %d and %d",
		    fr->written, q, YEAR_MIN, YEAR_MAX);
	else if (e == WHEN_NODATE)
		problems_add(&r->ev->errors, fr->line,
		    "%s: \"%s\" is geen bestaande datum", "%s: \"%s\" is not "
		    "a date that exists", fr->written, q);
	else if (e == WHEN_NOTIME)
		problems_add(&r->ev->errors, fr->line,
		    "%s: \"%s\": de tijd moet tussen 00:00 en 23:59 liggen",
		    "%s: \"%s\": the time must be between 00:00 and 23:59",
		    fr->written, q);
	else
		problems_add(&r->ev->errors, fr->line,
		    "%s: \"%s\" is geen datum en tijd; schrijf JJJJ-MM-DD UU:MM "
		    "(2027-06-12 10:00) of DD-MM-JJJJ UU:MM, of alleen een "
		    "datum voor een hele dag", "%s: \"%s\" is not a date and "
		    "time; write YYYY-MM-DD HH:MM (2027-06-12 10:00) or "
		    "DD-MM-YYYY HH:MM, or a date alone for a whole day",
		    fr->written, q);
}

static void
apply_start(struct ev_reader *r, const struct form_raw *fr, const char *v)
{
	enum when_kind kind;
	enum when_err e = parse_when(v, &r->ev->start, &kind);

	r->start_key = fr->written;
	r->start_line = fr->line;
	if (e == WHEN_OK && kind == WHEN_TIME)
		problems_add(&r->ev->errors, fr->line,
		    "%s: de datum ontbreekt; schrijf JJJJ-MM-DD UU:MM",
		    "%s: the date is missing; write YYYY-MM-DD HH:MM",
		    fr->written);
	else if (e != WHEN_OK)
		when_error(r, fr, v, e);
	else
		r->start_ok = true;
	if (!r->start_ok)	/* no half-read time left behind */
		memset(&r->ev->start, 0, sizeof(r->ev->start));
}

static void
apply_end(struct ev_reader *r, const struct form_raw *fr, const char *v)
{
	enum when_err e = parse_when(v, &r->ev->end, &r->end_kind);

	r->end_key = fr->written;
	r->end_line = fr->line;
	if (e != WHEN_OK) {
		when_error(r, fr, v, e);
		memset(&r->ev->end, 0, sizeof(r->ev->end));
	} else
		r->end_ok = true;
}

/* --- zone, id, audience -------------------------------------------------- */

static bool
tzid_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FORM_MAX_TZID || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "..") != NULL || strstr(s, "//") != NULL)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") == n;
}

static bool
event_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= FORM_MAX_EVENT_ID &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789@._:-") == n;
}

static void
audience_sector(struct ev_reader *r, const struct form_raw *fr, char *arg)
{
	char q[FORM_QUOTE_MAX + 4];
	enum sector s = model_sector_parse(arg);

	if (s == SECTOR_NONE) {
		/* "civil society" for "civil-society" */
		for (char *p = arg; *p != '\0'; p++)
			if (*p == ' ' || *p == '\t')
				*p = '-';
		s = model_sector_parse(arg);
	}
	if (s == SECTOR_NONE) {
		problems_add(&r->ev->errors, fr->line,
		    "%s: onbekende sector \"%s\"; kies uit economie, onderwijs, "
		    "cultuur, maatschappelijk, overheid", "%s: unknown sector "
		    "\"%s\"; choose one of economy, education, culture, "
		    "civil-society, government", fr->written,
		    form_quote(arg, q));
		return;
	}
	r->ev->sector = s;
	r->ev->audience = xasprintf("sector %s", model_sector_name(s));
}

/* The suggestion names the country in each message's own language,
 * hence the "%.0s" that skips the other language's name. */
static void
audience_country_unknown(struct ev_reader *r, const struct form_raw *fr,
    const char *arg)
{
	const char *nl = NULL, *en = NULL, *code = NULL;
	char q[FORM_QUOTE_MAX + 4];

	if (r->countries != NULL &&
	    (nl = country_suggest(r->countries, arg, LANG_NL, &code)) != NULL)
		en = country_suggest(r->countries, arg, LANG_EN, NULL);
	form_quote(arg, q);
	if (nl != NULL && en != NULL)
		problems_add(&r->ev->errors, fr->line,
		    "%s: onbekend land \"%s\"; bedoelde u %s%.0s (%s)?",
		    "%s: unknown country \"%s\"; did you mean %.0s%s (%s)?",
		    fr->written, q, nl, en, code);
	else
		problems_add(&r->ev->errors, fr->line,
		    "%s: onbekend land \"%s\"; gebruik een landcode zoals DE of "
		    "een landnaam", "%s: unknown country \"%s\"; use a code such "
		    "as DE or a country name", fr->written, q);
}

static void
audience_country(struct ev_reader *r, const struct form_raw *fr, char *arg)
{
	const char *code = NULL;

	if (r->countries != NULL)
		code = country_lookup(r->countries, arg);
	else if (strlen(arg) == 2 && strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz") == 2)
		code = arg;	/* upper-cased below */
	if (code == NULL) {
		audience_country_unknown(r, fr, arg);
		return;
	}
	r->ev->audience = xasprintf("country %c%c", code[0] & ~0x20,
	    code[1] & ~0x20);
}

static void
audience_network(struct ev_reader *r, const struct form_raw *fr,
    const char *arg)
{
	if (strlen(arg) > FORM_MAX_NETWORK) {
		problems_add(&r->ev->errors, fr->line,
		    "%s: netwerknaam te lang (meer dan %d tekens)",
		    "%s: network name too long (more than %d characters)",
		    fr->written, FORM_MAX_NETWORK);
		return;
	}
	if (strchr(arg, ',') != NULL) {
		problems_add(&r->ev->errors, fr->line,
		    "%s: één netwerk per evenement", "%s: one network per "
		    "event", fr->written);
		return;
	}
	r->ev->audience = xasprintf("network %s", arg);
}

static bool
word_is(const char *w, size_t n, const char *const *set, size_t m)
{
	for (size_t i = 0; i < m; i++)
		if (strlen(set[i]) == n && strncasecmp(w, set[i], n) == 0)
			return true;
	return false;
}

static void
apply_audience(struct ev_reader *r, const struct form_raw *fr, const char *v)
{
	static const char *const all[] = { "all", "alle", "iedereen",
	    "everyone", "everybody" };
	static const char *const sector[] = { "sector" };
	static const char *const country[] = { "country", "land" };
	static const char *const network[] = { "network", "netwerk" };
	size_t n = strcspn(v, " \t");
	char *arg = hp_trim(xstrdup(v + n)), q[FORM_QUOTE_MAX + 4];
	bool has_arg = *arg != '\0';

	if (word_is(v, n, all, HP_NELEM(all)) && !has_arg)
		r->ev->audience = xstrdup("all");
	else if (word_is(v, n, sector, 1) && has_arg)
		audience_sector(r, fr, arg);
	else if (word_is(v, n, country, 2) && has_arg)
		audience_country(r, fr, arg);
	else if (word_is(v, n, network, 2) && has_arg)
		audience_network(r, fr, arg);
	else
		problems_add(&r->ev->errors, fr->line,
		    "%s: \"%s\" begrijp ik niet; schrijf alle, sector SECTOR, "
		    "land LAND of netwerk NAAM", "%s: \"%s\" is not an "
		    "audience; write all, sector SECTOR, country COUNTRY or "
		    "network NAME", fr->written, form_quote(v, q));
	free(arg);
}

/* --- fields --------------------------------------------------------------- */

/* "-" where a field cannot be cleared. */
static void
not_clearable(struct ev_reader *r, const struct form_raw *fr)
{
	problems_add(&r->ev->errors, fr->line,
	    "%s kan niet leeg zijn", "%s cannot be empty", fr->written);
}

static void
apply_value(struct ev_reader *r, const struct form_raw *fr, const char *v)
{
	struct event_form *ev = r->ev;
	char q[FORM_QUOTE_MAX + 4];
	bool clear = strcmp(v, "-") == 0;

	if (clear && fr->key != FK_EV_TIMEZONE && fr->key != FK_EV_LOCATION &&
	    fr->key != FK_DESCRIPTION) {
		not_clearable(r, fr);
		return;
	}
	switch (fr->key) {
	case FK_EV_TITLE:
		ev->title = xstrdup(v);
		break;
	case FK_EV_START:
		apply_start(r, fr, v);
		break;
	case FK_EV_END:
		apply_end(r, fr, v);
		break;
	case FK_EV_TIMEZONE:
		if (clear)
			break;
		if (tzid_valid(v))
			ev->tzid = xstrdup(v);
		else
			problems_add(&ev->errors, fr->line,
			    "%s: \"%s\" is geen tijdzonenaam; schrijf bijv. "
			    "Europe/Amsterdam", "%s: \"%s\" is not a time zone "
			    "name; write e.g. Europe/Amsterdam", fr->written,
			    form_quote(v, q));
		break;
	case FK_EV_LOCATION:
		ev->location = clear ? NULL : xstrdup(v);
		break;
	case FK_DESCRIPTION:
		ev->description = clear ? NULL : xstrdup(v);
		break;
	case FK_EV_AUDIENCE:
		apply_audience(r, fr, v);
		break;
	case FK_EV_ID:
		if (event_id_valid(v))
			ev->event_id = xstrdup(v);
		else
			problems_add(&ev->errors, fr->line,
			    "%s: \"%s\" is geen evenement-id", "%s: \"%s\" is "
			    "not an event id", fr->written, form_quote(v, q));
		break;
	default:
		break;
	}
}

static bool
registry_key(enum form_key k)
{
	return !form_key_is_event(k) && k != FK_DESCRIPTION;
}

static void
apply_one(struct ev_reader *r, const struct form_raw *fr)
{
	struct event_form *ev = r->ev;
	const char *v = fr->value.data != NULL ? fr->value.data : "";

	if (registry_key(fr->key)) {
		problems_add(&ev->warnings, fr->line,
		    "%s: registervelden worden in een evenementformulier "
		    "genegeerd", "%s: registry fields are ignored in an event "
		    "form", fr->written);
		return;
	}
	ev->present |= ev_bits[fr->key];
	if (r->first_line[fr->key] != 0) {
		problems_add(&ev->errors, fr->line,
		    "%s staat meer dan één keer in het formulier (eerst op "
		    "regel %d)", "%s is given more than once (first on line %d)",
		    fr->written, r->first_line[fr->key]);
		return;
	}
	r->first_line[fr->key] = fr->line;
	if (fr->too_long || strlen(v) > ev_max[fr->key]) {
		problems_add(&ev->errors, fr->line,
		    "%s: te lang (meer dan %zu tekens)",
		    "%s: too long (more than %zu characters)", fr->written,
		    ev_max[fr->key]);
		return;
	}
	if (*v == '\0') {
		problems_add(&ev->errors, fr->line, "%s: lege waarde",
		    "%s: empty value", fr->written);
		return;
	}
	apply_value(r, fr, v);
}

/* --- the whole form ------------------------------------------------------- */

/* End against Start, or End filled in when absent. */
static void
finish_times(struct ev_reader *r)
{
	struct event_form *ev = r->ev;
	char a[WHEN_TEXT], b[WHEN_TEXT];

	if (!r->start_ok || (r->end_line != 0 && !r->end_ok))
		return;
	if (r->end_line == 0) {
		ev->end = ev->start;
		ev->end_default = true;
		if (!ev->start.all_day)
			when_add_hours(&ev->end, FORM_EVENT_DEFAULT_HOURS);
		problems_add(&ev->warnings, r->start_line,
		    "End ontbreekt; aangenomen is %s",
		    "End is missing; taken to be %s", when_text(&ev->end, a));
		return;
	}
	if (r->end_kind == WHEN_TIME && !ev->start.all_day) {
		ev->end.year = ev->start.year;
		ev->end.month = ev->start.month;
		ev->end.day = ev->start.day;
	} else if (r->end_kind == WHEN_TIME || ev->end.all_day !=
	    ev->start.all_day) {
		problems_add(&ev->errors, r->end_line,
		    "%s en %s moeten allebei een datum zijn, of allebei een "
		    "datum met tijd", "%s and %s must both be dates, or both "
		    "dates with a time", r->start_key, r->end_key);
		return;
	}
	if (when_cmp(&ev->end, &ev->start) < 0 ||
	    (!ev->start.all_day && when_cmp(&ev->end, &ev->start) == 0))
		problems_add(&ev->errors, r->end_line,
		    "%s (%s) moet na %s (%s) liggen",
		    "%s (%s) must be after %s (%s)", r->end_key,
		    when_text(&ev->end, a), r->start_key,
		    when_text(&ev->start, b));
}

static void
finish(struct ev_reader *r)
{
	struct event_form *ev = r->ev;

	if (!(ev->present & FORM_EV_TITLE))
		problems_add(&ev->errors, 0,
		    "De titel ontbreekt; schrijf Evenement: TITEL",
		    "The title is missing; write Event: TITLE");
	if (!(ev->present & FORM_EV_START))
		problems_add(&ev->errors, 0,
		    "Het begin ontbreekt; schrijf Start: JJJJ-MM-DD UU:MM",
		    "The start is missing; write Start: YYYY-MM-DD HH:MM");
	finish_times(r);
	if (ev->audience == NULL)
		ev->audience = xstrdup("all");
}

int
form_read_event(const char *subject, const char *body, size_t len,
    const struct country_db *countries, struct event_form *out)
{
	struct form *scratch = xcalloc(1, sizeof(*scratch));
	struct ev_reader r = { .ev = out, .countries = countries };
	struct form_scan sc;

	memset(out, 0, sizeof(*out));
	form_scan_text(scratch, subject, body, len, &sc);
	/* Take over the problems of reading; commands are form_read's. */
	out->errors = scratch->errors;
	out->warnings = scratch->warnings;
	memset(&scratch->errors, 0, sizeof(scratch->errors));
	memset(&scratch->warnings, 0, sizeof(scratch->warnings));
	out->n_lines_read = scratch->n_lines_read;
	form_free(scratch);
	for (size_t i = 0; i < sc.n_raw; i++)
		apply_one(&r, &sc.raw[i]);
	finish(&r);
	form_scan_free(&sc);
	form_problems_sort(&out->errors);
	form_problems_sort(&out->warnings);
	return out->errors.n == 0 ? 0 : -1;
}

void
event_form_clear(struct event_form *ev)
{
	if (ev == NULL)
		return;
	free(ev->title);
	free(ev->tzid);
	free(ev->location);
	free(ev->description);
	free(ev->audience);
	free(ev->event_id);
	problems_clear(&ev->errors);
	problems_clear(&ev->warnings);
	memset(ev, 0, sizeof(*ev));
}
