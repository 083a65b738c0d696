/*
 * itip_read: see itip_read.h.  This file holds what both readers share
 * (bounding and unfolding the input before libical sees it, cleaning
 * text, reading addresses) and the REPLY reader; itip_event_read.c holds
 * the zones and the submission reader.
 *
 * Pure (L1): no logging, no store.  libical is trusted with the syntax
 * only: every value it returns is re-checked (length, UTF-8, control
 * characters) before it leaves this module, and the tree is never
 * validated with icalrestriction_check (it fails every Exchange reply
 * for lack of an ORGANIZER, notes/itip.md §6).
 */
#include "itip_read.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "itip_read_int.h"
#include "util.h"

/* A calendar nests VCALENDAR > VEVENT > VALARM, VTIMEZONE > STANDARD;
 * anything deeper is an attack on libical's recursive free and clone. */
#define MAX_DEPTH	6
#define MAX_COMPONENTS	2000

/* ---- input ---- */

/* Join folded lines (CRLF or LF followed by one blank) at the octet
 * level, so that a fold inside a UTF-8 sequence or a mailto: comes out
 * whole; every line end becomes LF, which libical reads as well. */
static char *
unfold(const char *s, size_t len)
{
	char *buf = xmalloc(len + 1);
	size_t o = 0, i = 0;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		size_t j;

		if (s[i] != '\r' && s[i] != '\n') {
			buf[o++] = s[i];
			continue;
		}
		j = i + 1;
		if (s[i] == '\r' && j < len && s[j] == '\n')
			j++;
		if (j < len && (s[j] == ' ' || s[j] == '\t')) {
			i = j;		/* drop the line end and one blank */
			continue;
		}
		buf[o++] = '\n';
		i = j - 1;
	}
	buf[o] = '\0';
	return buf;
}

/* BEGIN/END lines only, so counting them after unfolding is exact. */
static int
check_nesting(const char *text, char *err, size_t errlen)
{
	const char *line = text;
	int depth = 0, comps = 0;

	while (*line != '\0') {
		const char *nl = strchr(line, '\n');

		if (strncasecmp(line, "BEGIN:", 6) == 0) {
			if (++depth > MAX_DEPTH)
				return hp_errf(err, errlen,
				    "calendar components nested too deep");
			if (++comps > MAX_COMPONENTS)
				return hp_errf(err, errlen,
				    "calendar has too many components");
		} else if (strncasecmp(line, "END:", 4) == 0 && depth > 0) {
			depth--;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 0;
}

static icalcomponent *
find_vcal(icalcomponent *root, bool allow_bare)
{
	icalcomponent_kind k = icalcomponent_isa(root);

	if (k == ICAL_VCALENDAR_COMPONENT)
		return root;
	if (k == ICAL_VEVENT_COMPONENT)
		return allow_bare ? root : NULL;
	if (k == ICAL_XROOT_COMPONENT)
		return icalcomponent_get_first_component(root,
		    ICAL_VCALENDAR_COMPONENT);
	return NULL;
}

int
itip_read_parse(const char *ics, size_t len, bool allow_bare,
    struct itip_read_doc *doc, char *err, size_t errlen)
{
	memset(doc, 0, sizeof(*doc));
	if (ics == NULL || len == 0)
		return hp_errf(err, errlen, "empty calendar data");
	if (len > ITIP_READ_MAX_INPUT)
		return hp_errf(err, errlen, "calendar data larger than %d KB",
		    ITIP_READ_MAX_INPUT / 1024);
	if (memchr(ics, '\0', len) != NULL)
		return hp_errf(err, errlen,
		    "calendar data contains NUL bytes (not UTF-8 text)");
	doc->text = unfold(ics, len);
	if (check_nesting(doc->text, err, errlen) != 0)
		return -1;
	doc->root = icalparser_parse_string(doc->text);
	if (doc->root == NULL ||
	    (doc->vcal = find_vcal(doc->root, allow_bare)) == NULL)
		return hp_errf(err, errlen, "not an iCalendar object "
		    "(no BEGIN:VCALENDAR)");
	return 0;
}

void
itip_read_doc_free(struct itip_read_doc *doc)
{
	if (doc->root != NULL)
		icalcomponent_free(doc->root);
	free(doc->text);
	memset(doc, 0, sizeof(*doc));
}

void
itip_read_printable(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < size && o < 60; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (size > 0)
		out[o] = '\0';
}

void
itip_read_method(icalcomponent *vcal, char *buf, size_t size)
{
	icalproperty *p = NULL;
	char *v = NULL;

	if (icalcomponent_isa(vcal) == ICAL_VCALENDAR_COMPONENT)
		p = icalcomponent_get_first_property(vcal,
		    ICAL_METHOD_PROPERTY);
	if (p != NULL)
		v = icalproperty_get_value_as_string_r(p);
	itip_read_printable(v, buf, size);
	free(v);
}

/* ---- text ---- */

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void
out_cp(struct out *o, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (o->full)
		return;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (o->len + n >= o->size) {
		o->full = true;	/* cut at a character boundary */
		return;
	}
	memcpy(o->buf + o->len, u, n);
	o->len += n;
}

/* Google escapes the note for HTML before it puts it in a parameter
 * (notes/itip.md §2.1): the common named entities and numeric ones.
 * Returns the code point and sets *used, or HP_UTF8_BAD. */
static uint32_t
entity(const char *s, size_t n, size_t *used)
{
	static const struct { const char *name; uint32_t cp; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' }, { "nbsp;", ' ' },
	};
	const char *semi = memchr(s, ';', n < 12 ? n : 12);
	uint32_t cp = 0;
	const char *p;

	if (n < 3 || s[0] != '&' || semi == NULL)
		return HP_UTF8_BAD;
	*used = (size_t)(semi - s) + 1;
	for (size_t i = 0; i < HP_NELEM(named); i++)
		if (strncmp(s + 1, named[i].name, strlen(named[i].name)) == 0)
			return named[i].cp;
	if (s[1] != '#')
		return HP_UTF8_BAD;
	p = s + 2;
	if (*p == 'x' || *p == 'X') {
		for (p++; p < semi; p++) {
			int d = (*p >= '0' && *p <= '9') ? *p - '0' :
			    (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 :
			    (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
			if (d < 0)
				return HP_UTF8_BAD;
			cp = cp * 16 + (uint32_t)d;
		}
	} else {
		for (; p < semi; p++) {
			if (*p < '0' || *p > '9')
				return HP_UTF8_BAD;
			cp = cp * 10 + (uint32_t)(*p - '0');
		}
	}
	if (p == s + 2 || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return HP_UTF8_BAD;
	return cp;
}

/* The next code point of in at *i, with the escapes flags asks for. */
static uint32_t
next_cp(const char *in, size_t n, size_t *i, unsigned flags)
{
	size_t used = 1;
	uint32_t cp;

	if ((flags & ITIP_CLEAN_UNESCAPE) && in[*i] == '\\' && *i + 1 < n &&
	    strchr("\\;,nN", in[*i + 1]) != NULL) {
		cp = (in[*i + 1] == 'n' || in[*i + 1] == 'N') ? '\n' :
		    (uint32_t)in[*i + 1];
		*i += 2;
		return cp;
	}
	if ((flags & ITIP_CLEAN_ENTITIES) && in[*i] == '&' &&
	    (cp = entity(in + *i, n - *i, &used)) != HP_UTF8_BAD) {
		*i += used;
		return cp;
	}
	cp = hp_utf8_decode((const unsigned char *)in + *i, n - *i, &used);
	*i += used;
	return cp == HP_UTF8_BAD ? 0xfffd : cp;
}

void
itip_read_clean(const char *in, char *out, size_t size, unsigned flags)
{
	struct out o = { out, size, 0, false };
	size_t n = in != NULL ? strlen(in) : 0, i = 0;
	bool blank = false;
	int nl = 0;	/* line breaks pending; a blank line survives */

	while (i < n && !o.full) {
		uint32_t cp = next_cp(in, n, &i, flags);

		if (cp == '\r' || cp == '\n' || cp == '\t' || cp == ' ') {
			if (cp == '\n' && (flags & ITIP_CLEAN_NEWLINES))
				nl += nl < 2;
			else if (cp != '\r' || !(flags & ITIP_CLEAN_NEWLINES))
				blank = true;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			continue;
		for (int k = 0; o.len > 0 && k < nl; k++)
			out_cp(&o, '\n');
		if (o.len > 0 && nl == 0 && blank)
			out_cp(&o, ' ');
		blank = false;
		nl = 0;
		out_cp(&o, cp);
	}
	out[o.len] = '\0';
}

/* ---- times ---- */

bool
itip_read_time_ok(struct icaltimetype t)
{
	if (icaltime_is_null_time(t) || t.year < 1 || t.year > 9999 ||
	    t.month < 1 || t.month > 12 || t.day < 1 ||
	    t.day > icaltime_days_in_month(t.month, t.year))
		return false;
	return t.is_date || (t.hour >= 0 && t.hour <= 23 && t.minute >= 0 &&
	    t.minute <= 59 && t.second >= 0 && t.second <= 60);
}

/* ---- addresses ---- */

int
itip_read_addr(const char *value, char *out, size_t size)
{
	char buf[ITIP_MAX_ADDR + 8], *a, *at;

	out[0] = '\0';
	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, "mailto:", 7) == 0)
		value += 7;
	if (strlen(value) >= sizeof(buf))
		return -1;
	hp_strlcpy(buf, value, sizeof(buf));
	a = hp_trim(buf);
	if ((at = strrchr(a, '@')) == NULL)
		return -1;
	hp_lower(at);
	if (!addr_valid(a) || strlen(a) >= size)
		return -1;
	hp_strlcpy(out, a, size);
	return 0;
}

/* ---- the REPLY reader ---- */

static int
reply_uid(icalcomponent *ev, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_UID_PROPERTY);
	const char *uid = p != NULL ? icalproperty_get_uid(p) : NULL;
	char tmp[ITIP_MAX_UID + 2];

	if (uid == NULL || uid[0] == '\0')
		return hp_errf(err, errlen, "reply has no UID");
	if (strlen(uid) > ITIP_MAX_UID)
		return hp_errf(err, errlen, "reply UID longer than %d octets",
		    ITIP_MAX_UID);
	itip_read_clean(uid, tmp, sizeof(tmp), 0);
	if (strcmp(tmp, uid) != 0)
		return hp_errf(err, errlen, "reply UID is not plain text");
	hp_strlcpy(out->uid, uid, sizeof(out->uid));
	return 0;
}

/* SEQUENCE; Exchange ActiveSync replies were seen with only the
 * X-MICROSOFT-CDO-APPT-SEQUENCE (notes/itip.md §4 item 12). */
static void
reply_sequence(icalcomponent *ev, struct itip_reply *out)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_SEQUENCE_PROPERTY);

	if (p != NULL && icalproperty_get_value(p) != NULL) {
		int s = icalproperty_get_sequence(p);

		if (s >= 0) {
			out->sequence = (unsigned)s;
			out->has_sequence = true;
		}
		return;
	}
	for (p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
		const char *name = icalproperty_get_x_name(p);
		const char *v = icalproperty_get_x(p);
		unsigned s = 0;
		size_t i;

		if (name == NULL || v == NULL || strcasecmp(name,
		    "X-MICROSOFT-CDO-APPT-SEQUENCE") != 0)
			continue;
		for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 9; i++)
			s = s * 10 + (unsigned)(v[i] - '0');
		if (i > 0 && v[i] == '\0') {
			out->sequence = s;
			out->has_sequence = true;
		}
		return;
	}
}

static time_t
reply_dtstamp(icalcomponent *ev)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_DTSTAMP_PROPERTY);
	struct icaltimetype t;

	if (p == NULL || icalproperty_get_value(p) == NULL)
		return 0;
	t = icalproperty_get_dtstamp(p);
	if (!itip_read_time_ok(t) || t.year < 1970)
		return 0;
	t.zone = NULL;		/* DTSTAMP is UTC whatever it says */
	return icaltime_as_timet(t);
}

/* As an instant when we can place it (sabre/vobject compares instance
 * ids as timestamps, since a client may answer in another zone). */
static void
reply_recurid(icalcomponent *ev, struct itip_reply *out)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_RECURRENCEID_PROPERTY);
	icalparameter *tzp;
	icaltimezone *zone = NULL;
	char iana[ITIP_READ_ZONE_NAME];
	struct icaltimetype t;

	if (p == NULL || icalproperty_get_value(p) == NULL)
		return;
	t = icalproperty_get_recurrenceid(p);
	if (!itip_read_time_ok(t))
		return;
	if (t.is_date) {
		snprintf(out->recurrence_id, sizeof(out->recurrence_id),
		    "%04d%02d%02d", t.year, t.month, t.day);
		return;
	}
	tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (!icaltime_is_utc(t) && tzp != NULL &&
	    (zone = itip_read_known_zone(icalparameter_get_tzid(tzp),
	    iana, sizeof(iana))) != NULL) {
		icaltime_set_timezone(&t, zone);
		t = icaltime_convert_to_zone(t,
		    icaltimezone_get_utc_timezone());
	}
	snprintf(out->recurrence_id, sizeof(out->recurrence_id),
	    "%04d%02d%02dT%02d%02d%02d%s", t.year, t.month, t.day, t.hour,
	    t.minute, t.second,
	    (icaltime_is_utc(t) || zone != NULL) ? "Z" : "");
}

static enum itip_partstat
reply_partstat(icalproperty *att)
{
	icalparameter *p = icalproperty_get_first_parameter(att,
	    ICAL_PARTSTAT_PARAMETER);

	if (p == NULL)
		return ITIP_NEEDS_ACTION;
	switch (icalparameter_get_partstat(p)) {
	case ICAL_PARTSTAT_NEEDSACTION:	return ITIP_NEEDS_ACTION;
	case ICAL_PARTSTAT_ACCEPTED:	return ITIP_ACCEPTED;
	case ICAL_PARTSTAT_DECLINED:	return ITIP_DECLINED;
	case ICAL_PARTSTAT_TENTATIVE:	return ITIP_TENTATIVE;
	case ICAL_PARTSTAT_DELEGATED:	return ITIP_DELEGATED;
	default:			return ITIP_PARTSTAT_OTHER;
	}
}

/* RFC 5546 wants exactly one ATTENDEE; a client that echoes the whole
 * list is still readable when exactly one of them carries an answer. */
static icalproperty *
reply_pick_attendee(icalcomponent *ev, char *err, size_t errlen)
{
	icalproperty *p, *only = NULL, *answered = NULL;
	int n = 0, n_answered = 0;

	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	    p != NULL; p = icalcomponent_get_next_property(ev,
	    ICAL_ATTENDEE_PROPERTY)) {
		n++;
		only = p;
		if (reply_partstat(p) != ITIP_NEEDS_ACTION) {
			n_answered++;
			answered = p;
		}
	}
	if (n == 1)
		return only;
	if (n == 0) {
		hp_errf(err, errlen, "reply has no ATTENDEE");
		return NULL;
	}
	if (n_answered == 1)
		return answered;
	hp_errf(err, errlen, "reply has %d ATTENDEEs and %d answers; "
	    "expected one attendee", n, n_answered);
	return NULL;
}

static const char *
x_param(icalproperty *p, const char *name)
{
	icalparameter *x;

	for (x = icalproperty_get_first_parameter(p, ICAL_X_PARAMETER);
	    x != NULL; x = icalproperty_get_next_parameter(p,
	    ICAL_X_PARAMETER)) {
		const char *n = icalparameter_get_xname(x);

		if (n != NULL && strcasecmp(n, name) == 0)
			return icalparameter_get_xvalue(x);
	}
	return NULL;
}

static int
reply_attendee(icalcomponent *ev, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalproperty *att = reply_pick_attendee(ev, err, errlen), *c;
	icalparameter *cn;
	char shown[64];

	if (att == NULL)
		return -1;
	if (itip_read_addr(icalproperty_get_attendee(att), out->attendee_addr,
	    sizeof(out->attendee_addr)) != 0) {
		itip_read_printable(icalproperty_get_attendee(att), shown,
		    sizeof(shown));
		return hp_errf(err, errlen, "ATTENDEE is not a mail address: "
		    "%s", shown);
	}
	out->partstat = reply_partstat(att);
	cn = icalproperty_get_first_parameter(att, ICAL_CN_PARAMETER);
	if (cn != NULL)
		itip_read_clean(icalparameter_get_cn(cn), out->attendee_name,
		    sizeof(out->attendee_name), 0);
	/* Outlook sends COMMENT (often just "\n"), Google the parameter. */
	for (c = icalcomponent_get_first_property(ev, ICAL_COMMENT_PROPERTY);
	    c != NULL && out->comment[0] == '\0';
	    c = icalcomponent_get_next_property(ev, ICAL_COMMENT_PROPERTY))
		itip_read_clean(icalproperty_get_comment(c), out->comment,
		    sizeof(out->comment), 0);
	if (out->comment[0] == '\0')
		itip_read_clean(x_param(att, "X-RESPONSE-COMMENT"),
		    out->comment, sizeof(out->comment),
		    ITIP_CLEAN_ENTITIES | ITIP_CLEAN_UNESCAPE);
	return 0;
}

static int
reply_organizer(icalcomponent *ev, struct itip_reply *out, char *err,
    size_t errlen)
{
	icalproperty *p = icalcomponent_get_first_property(ev,
	    ICAL_ORGANIZER_PROPERTY);
	char shown[64];

	if (p == NULL)
		return 0;	/* Exchange leaves it out */
	if (itip_read_addr(icalproperty_get_organizer(p), out->organizer_addr,
	    sizeof(out->organizer_addr)) == 0)
		return 0;
	itip_read_printable(icalproperty_get_organizer(p), shown,
	    sizeof(shown));
	return hp_errf(err, errlen, "ORGANIZER is not a mail address: %s",
	    shown);
}

/* Several VEVENTs answer several instances of one event. */
static int
reply_same_uid(icalcomponent *vcal, const char *uid, char *err,
    size_t errlen)
{
	icalcomponent *ev;

	for (ev = icalcomponent_get_first_component(vcal,
	    ICAL_VEVENT_COMPONENT); ev != NULL;
	    ev = icalcomponent_get_next_component(vcal,
	    ICAL_VEVENT_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(ev,
		    ICAL_UID_PROPERTY);
		const char *u = p != NULL ? icalproperty_get_uid(p) : NULL;

		if (u == NULL || strcmp(u, uid) != 0)
			return hp_errf(err, errlen,
			    "reply holds events with different UIDs");
	}
	return 0;
}

int
itip_read_reply(const char *ics, size_t len, struct itip_reply *out,
    char *err, size_t errlen)
{
	struct itip_read_doc doc;
	icalcomponent *ev;
	char method[64];

	memset(out, 0, sizeof(*out));
	if (itip_read_parse(ics, len, false, &doc, err, errlen) != 0)
		goto fail;
	itip_read_method(doc.vcal, method, sizeof(method));
	if (method[0] == '\0') {
		hp_errf(err, errlen, "not a reply: no METHOD");
		goto fail;
	}
	if (strcasecmp(method, "REPLY") != 0) {
		hp_errf(err, errlen, "not a reply: METHOD:%s", method);
		goto fail;
	}
	ev = icalcomponent_get_first_component(doc.vcal,
	    ICAL_VEVENT_COMPONENT);
	if (ev == NULL) {
		hp_errf(err, errlen, "reply holds no VEVENT");
		goto fail;
	}
	if (reply_uid(ev, out, err, errlen) != 0 ||
	    reply_same_uid(doc.vcal, out->uid, err, errlen) != 0 ||
	    reply_attendee(ev, out, err, errlen) != 0 ||
	    reply_organizer(ev, out, err, errlen) != 0)
		goto fail;
	out->method = ITIP_REPLY;
	reply_sequence(ev, out);
	out->dtstamp = reply_dtstamp(ev);
	reply_recurid(ev, out);
	itip_read_doc_free(&doc);
	return 0;
fail:
	itip_read_doc_free(&doc);
	memset(out, 0, sizeof(*out));
	return -1;
}
