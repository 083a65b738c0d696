/*
 * itip_event_read: the submission reader of itip_read.h (the first VEVENT
 * of an exported .ics) and the time zone names clients write.
 *
 * Every time ends up as a wall clock in one IANA zone, the shape struct
 * itip_event keeps: an IANA or Windows TZID keeps its wall clock (the
 * name is trusted over any VTIMEZONE sent with it, as every client does
 * for IANA names); UTC and floating times go to the default zone; any
 * other TZID is converted through the VTIMEZONE in the object.
 *
 * Must not: hand libical a zone name that could be a path (it opens
 * /usr/share/zoneinfo/<name> for names it does not list, so
 * "../../dev/stdin" would block), evaluate a VTIMEZONE rule libical
 * crashes on (notes/libraries.md §4: BYWEEKNO and friends), or expand
 * an event's own recurrence (recurring submissions are refused).
 */
#include "itip_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "itip_read_int.h"
#include "util.h"

#define MIN_YEAR	1900
#define MAX_YEAR	2199
#define MAX_DURATION	(3660L * 86400L)	/* ten years of seconds */
#define MAX_ZONE_NAME	64
/* A VTIMEZONE of the sender's own is expanded by libical from its first
 * DTSTART (Outlook: 1601) to the event: keep that work small. */
#define MAX_TZ_PARTS	30
#define MAX_TZ_RDATES	50

/* ---- zone names ---- */

/*
 * Windows time zone names (the "Standard Time" ids that Outlook and
 * Exchange write as TZID) to IANA, written for this project from the
 * facts of the Unicode CLDR table common/supplemental/windowsZones.xml
 * (the territory="001" entry of each id, i.e. the zone Windows means
 * when no country is known).  Where tzdata renamed a zone since (Kiev,
 * Calcutta, Godthab, Rangoon, Katmandu, Buenos_Aires) the current name
 * is used.  Only common ids are listed; an unlisted Windows name with a
 * VTIMEZONE is still converted through that VTIMEZONE.
 */
static const struct {
	const char *windows, *iana;
} windows_zones[] = {
	{ "Afghanistan Standard Time", "Asia/Kabul" },
	{ "Alaskan Standard Time", "America/Anchorage" },
	{ "Arab Standard Time", "Asia/Riyadh" },
	{ "Arabian Standard Time", "Asia/Dubai" },
	{ "Arabic Standard Time", "Asia/Baghdad" },
	{ "Argentina Standard Time", "America/Argentina/Buenos_Aires" },
	{ "Atlantic Standard Time", "America/Halifax" },
	{ "AUS Central Standard Time", "Australia/Darwin" },
	{ "AUS Eastern Standard Time", "Australia/Sydney" },
	{ "Azerbaijan Standard Time", "Asia/Baku" },
	{ "Azores Standard Time", "Atlantic/Azores" },
	{ "Bangladesh Standard Time", "Asia/Dhaka" },
	{ "Belarus Standard Time", "Europe/Minsk" },
	{ "Canada Central Standard Time", "America/Regina" },
	{ "Cape Verde Standard Time", "Atlantic/Cape_Verde" },
	{ "Caucasus Standard Time", "Asia/Yerevan" },
	{ "Cen. Australia Standard Time", "Australia/Adelaide" },
	{ "Central America Standard Time", "America/Guatemala" },
	{ "Central Europe Standard Time", "Europe/Budapest" },
	{ "Central European Standard Time", "Europe/Warsaw" },
	{ "Central Pacific Standard Time", "Pacific/Guadalcanal" },
	{ "Central Standard Time", "America/Chicago" },
	{ "Central Standard Time (Mexico)", "America/Mexico_City" },
	{ "China Standard Time", "Asia/Shanghai" },
	{ "E. Africa Standard Time", "Africa/Nairobi" },
	{ "E. Australia Standard Time", "Australia/Brisbane" },
	{ "E. Europe Standard Time", "Europe/Chisinau" },
	{ "E. South America Standard Time", "America/Sao_Paulo" },
	{ "Eastern Standard Time", "America/New_York" },
	{ "Egypt Standard Time", "Africa/Cairo" },
	{ "Ekaterinburg Standard Time", "Asia/Yekaterinburg" },
	{ "Fiji Standard Time", "Pacific/Fiji" },
	{ "FLE Standard Time", "Europe/Kyiv" },
	{ "Georgian Standard Time", "Asia/Tbilisi" },
	{ "GMT Standard Time", "Europe/London" },
	{ "Greenland Standard Time", "America/Nuuk" },
	{ "Greenwich Standard Time", "Atlantic/Reykjavik" },
	{ "GTB Standard Time", "Europe/Bucharest" },
	{ "Hawaiian Standard Time", "Pacific/Honolulu" },
	{ "India Standard Time", "Asia/Kolkata" },
	{ "Iran Standard Time", "Asia/Tehran" },
	{ "Israel Standard Time", "Asia/Jerusalem" },
	{ "Jordan Standard Time", "Asia/Amman" },
	{ "Kaliningrad Standard Time", "Europe/Kaliningrad" },
	{ "Korea Standard Time", "Asia/Seoul" },
	{ "Middle East Standard Time", "Asia/Beirut" },
	{ "Montevideo Standard Time", "America/Montevideo" },
	{ "Morocco Standard Time", "Africa/Casablanca" },
	{ "Mountain Standard Time", "America/Denver" },
	{ "Myanmar Standard Time", "Asia/Yangon" },
	{ "N. Central Asia Standard Time", "Asia/Novosibirsk" },
	{ "Namibia Standard Time", "Africa/Windhoek" },
	{ "Nepal Standard Time", "Asia/Kathmandu" },
	{ "New Zealand Standard Time", "Pacific/Auckland" },
	{ "Newfoundland Standard Time", "America/St_Johns" },
	{ "North Asia East Standard Time", "Asia/Irkutsk" },
	{ "North Asia Standard Time", "Asia/Krasnoyarsk" },
	{ "Pacific SA Standard Time", "America/Santiago" },
	{ "Pacific Standard Time", "America/Los_Angeles" },
	{ "Pakistan Standard Time", "Asia/Karachi" },
	{ "Romance Standard Time", "Europe/Paris" },
	{ "Russian Standard Time", "Europe/Moscow" },
	{ "SA Eastern Standard Time", "America/Cayenne" },
	{ "SA Pacific Standard Time", "America/Bogota" },
	{ "SA Western Standard Time", "America/La_Paz" },
	{ "SE Asia Standard Time", "Asia/Bangkok" },
	{ "Singapore Standard Time", "Asia/Singapore" },
	{ "South Africa Standard Time", "Africa/Johannesburg" },
	{ "Sri Lanka Standard Time", "Asia/Colombo" },
	{ "Syria Standard Time", "Asia/Damascus" },
	{ "Taipei Standard Time", "Asia/Taipei" },
	{ "Tasmania Standard Time", "Australia/Hobart" },
	{ "Tokyo Standard Time", "Asia/Tokyo" },
	{ "Tonga Standard Time", "Pacific/Tongatapu" },
	{ "Turkey Standard Time", "Europe/Istanbul" },
	{ "US Eastern Standard Time", "America/Indiana/Indianapolis" },
	{ "US Mountain Standard Time", "America/Phoenix" },
	{ "UTC", "Etc/UTC" },
	{ "Venezuela Standard Time", "America/Caracas" },
	{ "Vladivostok Standard Time", "Asia/Vladivostok" },
	{ "W. Australia Standard Time", "Australia/Perth" },
	{ "W. Central Africa Standard Time", "Africa/Lagos" },
	{ "W. Europe Standard Time", "Europe/Berlin" },
	{ "West Asia Standard Time", "Asia/Tashkent" },
	{ "West Pacific Standard Time", "Pacific/Port_Moresby" },
	{ "Yakutsk Standard Time", "Asia/Yakutsk" },
};

const char *
itip_read_windows_zone(const char *name)
{
	size_t n;

	if (name == NULL)
		return NULL;
	n = strlen(name);
	/* Outlook numbers its copies of a zone: "GMT Standard Time 1". */
	while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	if (n == 0 || n == strlen(name) || name[n - 1] != ' ')
		n = strlen(name);
	else
		n--;
	for (size_t i = 0; i < HP_NELEM(windows_zones); i++)
		if (strlen(windows_zones[i].windows) == n &&
		    strncasecmp(windows_zones[i].windows, name, n) == 0)
			return windows_zones[i].iana;
	return NULL;
}

/* A name that can only be a tzdata zone name, never a path: letters,
 * digits, '_', '-', '+', and '/' between such parts. */
static bool
zone_name_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_ZONE_NAME || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "//") != NULL || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '+' || c == '/'))
			return false;
	}
	return true;
}

static icaltimezone *
builtin_zone(const char *name)
{
	if (!zone_name_safe(name))
		return NULL;
	return icaltimezone_get_builtin_timezone(name);
}

icaltimezone *
itip_read_known_zone(const char *tzid, char *iana, size_t size)
{
	icaltimezone *z = NULL;
	const char *slash, *w;

	iana[0] = '\0';
	if (tzid == NULL || tzid[0] == '\0')
		return NULL;
	if ((z = builtin_zone(tzid)) == NULL &&
	    (w = itip_read_windows_zone(tzid)) != NULL)
		z = builtin_zone(w);
	/* "/freeassociation.sourceforge.net/Europe/Amsterdam",
	 * "/mozilla.org/20050126_1/Europe/Amsterdam": the IANA name is a
	 * tail after some '/'. */
	for (slash = tzid[0] == '/' ? tzid : NULL; z == NULL && slash != NULL;
	    slash = strchr(slash + 1, '/'))
		z = builtin_zone(slash + 1);
	if (z == NULL)
		return NULL;
	/* load it now, so that its name is the one that stays */
	(void)icaltimezone_get_component(z);
	if (z != icaltimezone_get_utc_timezone() &&
	    icaltimezone_get_location(z) != NULL)
		hp_strlcpy(iana, icaltimezone_get_location(z), size);
	return z;
}

/* ---- a VTIMEZONE of the sender's own ---- */

static bool
rule_safe(icalproperty *p)
{
	struct icalrecurrencetype r = icalproperty_get_rrule(p);

	/* What time zones use: yearly, by month and (nth) weekday or
	 * month day.  libical 3.0.16 crashes on some other parts. */
	return r.freq == ICAL_YEARLY_RECURRENCE && r.interval == 1 &&
	    r.by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_set_pos[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_hour[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_minute[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r.by_second[0] == ICAL_RECURRENCE_ARRAY_MAX;
}

static bool
vtimezone_safe(icalcomponent *vtz)
{
	icalcomponent *c;
	int subs = 0;

	for (c = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
	    c != NULL; c = icalcomponent_get_next_component(vtz,
	    ICAL_ANY_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(c,
		    ICAL_DTSTART_PROPERTY);
		struct icaltimetype t;

		if (++subs > MAX_TZ_PARTS || p == NULL ||
		    icalproperty_get_value(p) == NULL ||
		    icalcomponent_get_first_property(c,
		    ICAL_TZOFFSETTO_PROPERTY) == NULL)
			return false;
		t = icalproperty_get_dtstart(p);
		if (!itip_read_time_ok(t) || t.year < 1600 || t.year > MAX_YEAR)
			return false;
		if (icalcomponent_count_properties(c, ICAL_RDATE_PROPERTY) >
		    MAX_TZ_RDATES)
			return false;
		for (p = icalcomponent_get_first_property(c,
		    ICAL_RRULE_PROPERTY); p != NULL;
		    p = icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY))
			if (!rule_safe(p))
				return false;
	}
	return subs > 0;
}

static icaltimezone *
custom_zone(icalcomponent *vcal, const char *tzid)
{
	icaltimezone *z;

	if (icalcomponent_isa(vcal) != ICAL_VCALENDAR_COMPONENT)
		return NULL;
	z = icalcomponent_get_timezone(vcal, tzid);
	if (z == NULL || !vtimezone_safe(icaltimezone_get_component(z)))
		return NULL;
	return z;
}

/* ---- times ---- */

struct when {
	struct icaltimetype t;	/* zone set unless a date */
	char tzid[ITIP_READ_ZONE_NAME];	/* "" for a date */
};

static int
year_ok(struct icaltimetype t, const char *what, char *err, size_t errlen)
{
	if (t.year < MIN_YEAR || t.year > MAX_YEAR)
		return hp_errf(err, errlen, "%s year %d is out of range", what,
		    t.year);
	return 0;
}

/* Bring the time of DTSTART/DTEND property p to a wall clock. */
static int
when_read(icalcomponent *vcal, icalproperty *p, const char *what,
    icaltimezone *defzone, const char *deftz, struct when *w, char *err,
    size_t errlen)
{
	icalparameter *tzp;
	icaltimezone *z;
	icalvalue *v = icalproperty_get_value(p);
	const char *tzid;
	char shown[64];

	w->tzid[0] = '\0';
	if (v != NULL && icalvalue_isa(v) == ICAL_DATE_VALUE)
		w->t = icalvalue_get_date(v);
	else if (v != NULL && icalvalue_isa(v) == ICAL_DATETIME_VALUE)
		w->t = icalvalue_get_datetime(v);
	else
		w->t = icaltime_null_time();
	if (!itip_read_time_ok(w->t))
		return hp_errf(err, errlen, "%s is not a valid date or time",
		    what);
	if (year_ok(w->t, what, err, errlen) != 0)
		return -1;
	if (w->t.is_date)
		return 0;
	tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	tzid = tzp != NULL ? icalparameter_get_tzid(tzp) : NULL;
	if (icaltime_is_utc(w->t) || tzid == NULL || tzid[0] == '\0') {
		/* UTC or floating: the default zone's wall clock */
		if (!icaltime_is_utc(w->t))
			icaltime_set_timezone(&w->t, defzone);
		w->t = icaltime_convert_to_zone(w->t, defzone);
		hp_strlcpy(w->tzid, deftz, sizeof(w->tzid));
	} else if ((z = itip_read_known_zone(tzid, w->tzid,
	    sizeof(w->tzid))) != NULL) {
		icaltime_set_timezone(&w->t, z);
		if (w->tzid[0] == '\0') {	/* TZID=UTC */
			w->t = icaltime_convert_to_zone(w->t, defzone);
			hp_strlcpy(w->tzid, deftz, sizeof(w->tzid));
		}
	} else if ((z = custom_zone(vcal, tzid)) != NULL) {
		icaltime_set_timezone(&w->t, z);
		w->t = icaltime_convert_to_zone(w->t, defzone);
		hp_strlcpy(w->tzid, deftz, sizeof(w->tzid));
	} else {
		itip_read_printable(tzid, shown, sizeof(shown));
		return hp_errf(err, errlen, "unknown time zone \"%s\" in %s "
		    "(not an IANA or Windows name, and no usable VTIMEZONE "
		    "for it)", shown, what);
	}
	return year_ok(w->t, what, err, errlen);
}

/* DURATION: days and weeks are nominal (same wall clock), the time part
 * exact (RFC 5545 §3.3.6). */
static int
when_add(struct when *w, struct icaldurationtype d, char *err,
    size_t errlen)
{
	long days = (long)d.days + 7L * (long)d.weeks;
	long secs = (long)d.hours * 3600L + (long)d.minutes * 60L +
	    (long)d.seconds;
	int sign = d.is_neg ? -1 : 1;
	icaltimezone *z = (icaltimezone *)w->t.zone;

	if (icaldurationtype_is_bad_duration(d) || days > MAX_DURATION / 86400 ||
	    secs > MAX_DURATION)
		return hp_errf(err, errlen, "DURATION is not a valid length");
	icaltime_adjust(&w->t, sign * (int)days, 0, 0, 0);
	if (w->t.is_date || secs == 0)
		return 0;
	w->t = icaltime_convert_to_zone(w->t, icaltimezone_get_utc_timezone());
	icaltime_adjust(&w->t, 0, 0, 0, sign * (int)secs);
	w->t = icaltime_convert_to_zone(w->t, z);
	return 0;
}

static struct itip_time
when_time(const struct when *w)
{
	struct itip_time t = {
		w->t.year, w->t.month, w->t.day,
		w->t.is_date ? 0 : w->t.hour, w->t.is_date ? 0 : w->t.minute,
		w->t.is_date ? 0 : w->t.second, w->t.is_date != 0,
	};

	return t;
}

static int
event_end(icalcomponent *vcal, icalcomponent *ev, const struct when *start,
    icaltimezone *defzone, const char *deftz, struct when *end, char *err,
    size_t errlen)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_DTEND_PROPERTY);

	if (p != NULL) {
		if (when_read(vcal, p, "DTEND", defzone, deftz, end, err,
		    errlen) != 0)
			return -1;
		if (end->t.is_date != start->t.is_date)
			return hp_errf(err, errlen, "DTSTART and DTEND must both "
			    "be dates or both be date-times");
		if (!end->t.is_date && end->t.zone != start->t.zone)
			end->t = icaltime_convert_to_zone(end->t,
			    (icaltimezone *)start->t.zone);
		hp_strlcpy(end->tzid, start->tzid, sizeof(end->tzid));
		return 0;
	}
	*end = *start;
	p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
	if (p != NULL && icalproperty_get_value(p) != NULL)
		return when_add(end, icalproperty_get_duration(p), err, errlen);
	if (start->t.is_date)		/* RFC 5545 §3.6.1: one day */
		icaltime_adjust(&end->t, 1, 0, 0, 0);
	return 0;
}

static int
event_times(icalcomponent *vcal, icalcomponent *ev, icaltimezone *defzone,
    const char *deftz, struct itip_event_owned *out, char *err,
    size_t errlen)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_DTSTART_PROPERTY);
	struct when start, end;
	int cmp;

	if (p == NULL)
		return hp_errf(err, errlen, "the event has no start (DTSTART)");
	if (when_read(vcal, p, "DTSTART", defzone, deftz, &start, err,
	    errlen) != 0 ||
	    event_end(vcal, ev, &start, defzone, deftz, &end, err,
	    errlen) != 0 || year_ok(end.t, "DTEND", err, errlen) != 0)
		return -1;
	cmp = start.t.is_date ? icaltime_compare_date_only(end.t, start.t) :
	    icaltime_compare(end.t, start.t);
	if (cmp < 0 || (start.t.is_date && cmp == 0))
		return hp_errf(err, errlen, "the event ends before it starts "
		    "(DTEND %04d-%02d-%02d %02d:%02d is before DTSTART "
		    "%04d-%02d-%02d %02d:%02d)", end.t.year, end.t.month,
		    end.t.day, end.t.hour, end.t.minute, start.t.year,
		    start.t.month, start.t.day, start.t.hour, start.t.minute);
	out->start = when_time(&start);
	out->end = when_time(&end);
	out->tzid = start.t.is_date ? NULL : xstrdup(start.tzid);
	return 0;
}

/* ---- text ---- */

static char *
event_text(icalcomponent *ev, icalproperty_kind kind, unsigned flags)
{
	icalproperty *p = icalcomponent_get_first_property(ev, kind);
	icalvalue *v = p != NULL ? icalproperty_get_value(p) : NULL;
	char buf[ITIP_MAX_TEXT + 1];

	if (v == NULL || icalvalue_isa(v) != ICAL_TEXT_VALUE)
		return NULL;
	itip_read_clean(icalvalue_get_text(v), buf, sizeof(buf), flags);
	return buf[0] != '\0' ? xstrdup(buf) : NULL;
}

static int
event_fields(icalcomponent *ev, struct itip_event_owned *out, char *err,
    size_t errlen)
{
	icalproperty *p;

	if (icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) != NULL ||
	    icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY) != NULL)
		return hp_errf(err, errlen, "recurring events (RRULE/RDATE) "
		    "are not supported; submit one occurrence");
	if ((out->summary = event_text(ev, ICAL_SUMMARY_PROPERTY, 0)) == NULL)
		return hp_errf(err, errlen, "the event has no title (SUMMARY)");
	out->location = event_text(ev, ICAL_LOCATION_PROPERTY, 0);
	out->description = event_text(ev, ICAL_DESCRIPTION_PROPERTY,
	    ITIP_CLEAN_NEWLINES);
	if ((p = icalcomponent_get_first_property(ev, ICAL_UID_PROPERTY)) !=
	    NULL && icalproperty_get_value(p) != NULL) {
		const char *uid = icalproperty_get_uid(p);
		char buf[ITIP_MAX_UID + 2];

		itip_read_clean(uid, buf, sizeof(buf), 0);
		if (strlen(uid) > ITIP_MAX_UID || strcmp(buf, uid) != 0)
			return hp_errf(err, errlen, "the event's UID is longer "
			    "than %d octets or not plain text", ITIP_MAX_UID);
		out->uid = buf[0] != '\0' ? xstrdup(buf) : NULL;
	}
	p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
	if (p != NULL && icalproperty_get_value(p) != NULL &&
	    icalproperty_get_sequence(p) > 0)
		out->sequence = (unsigned)icalproperty_get_sequence(p);
	p = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
	out->cancelled = p != NULL && icalproperty_get_value(p) != NULL &&
	    icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
	return 0;
}

/* ---- the submission reader ---- */

static icalcomponent *
first_event(struct itip_read_doc *doc, char *err, size_t errlen)
{
	icalcomponent *ev;
	char method[64];

	itip_read_method(doc->vcal, method, sizeof(method));
	if (method[0] != '\0' && strcasecmp(method, "PUBLISH") != 0 &&
	    strcasecmp(method, "REQUEST") != 0) {
		hp_errf(err, errlen, "not an event to publish: METHOD:%s",
		    method);
		return NULL;
	}
	if (icalcomponent_isa(doc->vcal) == ICAL_VEVENT_COMPONENT)
		return doc->vcal;
	ev = icalcomponent_get_first_component(doc->vcal,
	    ICAL_VEVENT_COMPONENT);
	if (ev == NULL)
		hp_errf(err, errlen, "the calendar holds no event (VEVENT)");
	return ev;
}

int
itip_read_event(const char *ics, size_t len, const char *default_tzid,
    struct itip_event_owned *out, char *err, size_t errlen)
{
	struct itip_read_doc doc;
	icalcomponent *ev;
	icaltimezone *defzone;
	char deftz[ITIP_READ_ZONE_NAME];

	memset(out, 0, sizeof(*out));
	memset(&doc, 0, sizeof(doc));
	if (default_tzid == NULL || (defzone = itip_read_known_zone(
	    default_tzid, deftz, sizeof(deftz))) == NULL) {
		hp_errf(err, errlen, "unknown default time zone");
		goto fail;
	}
	if (deftz[0] == '\0')		/* "UTC" itself */
		hp_strlcpy(deftz, "UTC", sizeof(deftz));
	if (itip_read_parse(ics, len, true, &doc, err, errlen) != 0 ||
	    (ev = first_event(&doc, err, errlen)) == NULL ||
	    event_fields(ev, out, err, errlen) != 0 ||
	    event_times(doc.vcal, ev, defzone, deftz, out, err, errlen) != 0)
		goto fail;
	itip_read_doc_free(&doc);
	return 0;
fail:
	itip_read_doc_free(&doc);
	itip_event_owned_clear(out);
	return -1;
}

void
itip_event_owned_clear(struct itip_event_owned *ev)
{
	if (ev == NULL)
		return;
	free(ev->uid);
	free(ev->summary);
	free(ev->location);
	free(ev->description);
	free(ev->tzid);
	memset(ev, 0, sizeof(*ev));
}

void
itip_event_owned_view(const struct itip_event_owned *ev,
    struct itip_event *view)
{
	memset(view, 0, sizeof(*view));
	view->uid = ev->uid;
	view->sequence = ev->sequence;
	view->summary = ev->summary;
	view->location = ev->location;
	view->description = ev->description;
	view->tzid = ev->tzid;
	view->start = ev->start;
	view->end = ev->end;
	view->cancelled = ev->cancelled;
}
