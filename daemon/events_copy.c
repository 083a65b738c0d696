/*
 * events_copy: one invitation or cancellation copy, built when the
 * mailing is delivered (events_build_copy, events.h), and the calendar
 * of a stored event (events_calendar, events_copy.h).  L3: reads the
 * store (the mailing's event), never writes it; the envelope sender
 * (VERP) and the sending are mailing.c's.
 *
 * A copy is rendered whole from the event each time: the mailing's
 * stored parts may be empty for invitations (hundreds of recipients, not
 * a newsletter's hundred thousand, so per-copy rendering is cheap), and
 * an update made after the mailing was created is what the attendee
 * gets.  The texts come from the templates LANG/invitation-subject.txt,
 * invitation.txt, invitation.html (cancellation-*.txt/.html for
 * cancellations) with this context (also listed at the top of each
 * template):
 *   event        {summary, location, description, organiser, event_id,
 *                sequence, updated, all_day, timezone, when, start_date,
 *                start_time, end_date, end_time}: location, description,
 *                timezone and the times absent when not applicable;
 *                updated true for a REQUEST with SEQUENCE > 0; when the
 *                whole localised span ("zondag 28 maart 2027, 14:00–17:00"),
 *                all-day ends shown inclusive
 *   recipient    {name, email}: name absent when unknown
 *   unsubscribe_address   the personal address (events list)
 *   office       {name, address}: the ORGANIZER the answers go to
 *
 * Shared helpers that events.c may want as well live here (static):
 * parsing start_local/end_local into struct itip_time (local_parse).
 */
#include "events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "compose.h"
#include "events_copy.h"
#include "itip.h"
#include "newsletter.h"
#include "sched.h"
#include "util.h"

#ifndef HP_VERSION
#define HP_VERSION "0"
#endif
#define PRODID		"-//hanzepost//hanzepost " HP_VERSION "//EN"
#define VTZ_CACHE	8
#define TEXT_MAX	64

/* ---- times ---- */

/* s matches pattern, where 'd' stands for a digit. */
static bool
shape_is(const char *s, const char *pattern)
{
	for (; *pattern != '\0'; s++, pattern++)
		if (*pattern == 'd' ? *s < '0' || *s > '9' : *s != *pattern)
			return false;
	return *s == '\0';
}

int
events_local_parse(const char *s, bool all_day, struct itip_time *t)
{
	memset(t, 0, sizeof(*t));
	t->all_day = all_day;
	if (s == NULL || !(all_day ? shape_is(s, "dddd-dd-dd") :
	    shape_is(s, "dddd-dd-ddTdd:dd:dd") || shape_is(s, "dddd-dd-ddTdd:dd")))
		return -1;
	t->year = atoi(s);
	t->month = atoi(s + 5);
	t->day = atoi(s + 8);
	if (!all_day) {
		t->hour = atoi(s + 11);
		t->minute = atoi(s + 14);
		t->second = s[16] == ':' ? atoi(s + 17) : 0;
	}
	return 0;
}

/* ---- the calendar ---- */

static struct {
	char tzid[ITIP_MAX_TZID + 1];
	char *vtz;
} vtz_cache[VTZ_CACHE];
static unsigned vtz_next;

/* The VTIMEZONE of tzid, borrowed from the cache (see events_copy.h). */
static const char *
vtz_get(const char *tzid, char *err, size_t errlen)
{
	char posix[ITIP_MAX_POSIX_TZ + 1];
	char *vtz = NULL;
	unsigned i;

	for (i = 0; i < VTZ_CACHE; i++)
		if (vtz_cache[i].vtz != NULL && strcmp(vtz_cache[i].tzid, tzid) == 0)
			return vtz_cache[i].vtz;
	if (!itip_tzid_valid(tzid) ||
	    itip_tz_posix(tzid, posix, sizeof(posix), err, errlen) == -1 ||
	    itip_vtimezone(tzid, posix, &vtz, err, errlen) == -1) {
		if (!itip_tzid_valid(tzid))
			hp_errf(err, errlen, "time zone is not a zone name");
		return NULL;
	}
	i = vtz_next++ % VTZ_CACHE;
	free(vtz_cache[i].vtz);
	hp_strlcpy(vtz_cache[i].tzid, tzid, sizeof(vtz_cache[i].tzid));
	vtz_cache[i].vtz = vtz;
	return vtz;
}

/* The itip view of a stored row; strings borrowed from ev and cfg. */
static int
event_to_itip(const struct config *cfg, const struct store_event *ev,
    struct itip_event *ie, char *err, size_t errlen)
{
	memset(ie, 0, sizeof(*ie));
	if (events_local_parse(ev->start_local, ev->all_day, &ie->start) == -1 ||
	    events_local_parse(ev->end_local, ev->all_day, &ie->end) == -1)
		return hp_errf(err, errlen, "event %lld: stored times unreadable",
		    (long long)ev->id);
	ie->uid = ev->uid;
	ie->sequence = ev->sequence;
	ie->summary = ev->summary;
	ie->location = ev->location;
	ie->description = ev->description;
	ie->tzid = ev->all_day ? NULL : ev->tzid;
	ie->organizer_addr = cfg->office.address;
	ie->organizer_name = cfg->office.name;
	ie->cancelled = ev->state != NULL && strcmp(ev->state, "cancelled") == 0;
	return 0;
}

int
events_calendar(const struct config *cfg, const struct store_event *ev,
    enum itip_method method, const struct itip_attendee *att, time_t dtstamp,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct itip_event ie;
	const char *vtz = NULL;

	if (event_to_itip(cfg, ev, &ie, err, errlen) == -1)
		return -1;
	if (method == ITIP_REQUEST)
		ie.cancelled = false;
	else if (method == ITIP_CANCEL)
		ie.cancelled = true;
	if (ie.tzid != NULL && (vtz = vtz_get(ie.tzid, err, errlen)) == NULL)
		return -1;
	return itip_build(method, &ie, att, dtstamp, PRODID, vtz, out, len, err,
	    errlen);
}

/* ---- readable dates ---- */

/* "zondag 28 maart 2027" for t moved by days (all-day ends: -1). */
static void
date_text(enum lang lang, const struct itip_time *t, int days, char *out,
    size_t outlen)
{
	struct tm tm = { 0 };
	time_t at;

	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->month - 1;
	tm.tm_mday = t->day + days;
	tm.tm_hour = 12;
	at = timegm(&tm);
	gmtime_r(&at, &tm);
	snprintf(out, outlen, "%s %d %s %d", model_weekday_name(tm.tm_wday, lang),
	    tm.tm_mday, model_month_name(tm.tm_mon + 1, lang), tm.tm_year + 1900);
}

/* event.when and the four pieces, into o. */
static void
when_add(json_t *o, enum lang lang, const struct itip_event *ie)
{
	char d1[TEXT_MAX], d2[TEXT_MAX], t1[8], t2[8], when[4 * TEXT_MAX];
	bool same;

	date_text(lang, &ie->start, 0, d1, sizeof(d1));
	date_text(lang, &ie->end, ie->start.all_day ? -1 : 0, d2, sizeof(d2));
	same = strcmp(d1, d2) == 0;
	if (ie->start.all_day) {
		if (same)
			snprintf(when, sizeof(when), "%s (%s)", d1,
			    lang == LANG_NL ? "hele dag" : "all day");
		else
			snprintf(when, sizeof(when), "%s %s %s", d1,
			    lang == LANG_NL ? "t/m" : "to", d2);
	} else {
		snprintf(t1, sizeof(t1), "%02d:%02d", ie->start.hour,
		    ie->start.minute);
		snprintf(t2, sizeof(t2), "%02d:%02d", ie->end.hour, ie->end.minute);
		if (same)
			snprintf(when, sizeof(when), "%s, %s\u2013%s", d1, t1, t2);
		else
			snprintf(when, sizeof(when), "%s, %s \u2013 %s, %s", d1,
			    t1, d2, t2);
		json_object_set_new(o, "start_time", json_string(t1));
		json_object_set_new(o, "end_time", json_string(t2));
	}
	json_object_set_new(o, "when", json_string(when));
	json_object_set_new(o, "start_date", json_string(d1));
	json_object_set_new(o, "end_date", json_string(d2));
}

/* ---- one copy ---- */

/* The template context of d's copy (see the top of this file). */
static json_t *
copy_context(const struct app *app, const struct store_event *ev,
    const struct itip_event *ie, bool request, enum lang lang,
    const struct store_delivery *d, const char *unsub)
{
	const struct config *cfg = app->cfg;
	json_t *e, *ctx;

	e = json_pack("{s:s,s:s?,s:s?,s:s?,s:s,s:I,s:b,s:b}",
	    "summary", ev->summary, "location", ev->location,
	    "description", ev->description, "organiser", ev->organiser,
	    "event_id", ev->uid, "sequence", (json_int_t)ev->sequence,
	    "updated", request && ev->sequence > 0, "all_day", ev->all_day);
	if (e == NULL)
		return NULL;
	if (!ev->all_day)
		json_object_set_new(e, "timezone",
		    json_string(ie->tzid ? ie->tzid : "UTC"));
	when_add(e, lang, ie);
	ctx = json_pack("{s:o,s:{s:s?,s:s},s:s,s:{s:s,s:s}}", "event", e,
	    "recipient", "name", d->name, "email", d->email,
	    "unsubscribe_address", unsub, "office", "name",
	    cfg->office.name ? cfg->office.name : cfg->office.address,
	    "address", cfg->office.address);
	return ctx;
}

/* Template output as one header line: blanks and line breaks folded. */
static char *
one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return hp_trim(s);
}

struct texts {
	char *subject, *text, *html;
};

static void
texts_clear(struct texts *t)
{
	free(t->subject);
	free(t->text);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

static int
texts_render(struct app *app, json_t *ctx, enum lang lang, bool request,
    struct texts *t, char *err, size_t errlen)
{
	const char *base = request ? "invitation" : "cancellation";
	char name[64];

	memset(t, 0, sizeof(*t));
	snprintf(name, sizeof(name), "%s-subject.txt", base);
	if (templates_render(app->templates, lang, name, ctx, &t->subject, err,
	    errlen) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s.txt", base);
	if (templates_render(app->templates, lang, name, ctx, &t->text, err,
	    errlen) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s.html", base);
	return templates_render(app->templates, lang, name, ctx, &t->html, err,
	    errlen);
}

/* The event of mailing m, checked against the copy's method. */
static int
event_load(struct app *app, const struct store_mailing *m, bool request,
    struct store_event **ev, char *err, size_t errlen)
{
	int64_t id = 0;
	int got;

	*ev = NULL;
	if (store_mailing_event(app->store, m->id, &id) == -1)
		return hp_errf(err, errlen, "store: %s", store_error(app->store));
	if (id == 0)
		return hp_errf(err, errlen, "mailing %lld has no event",
		    (long long)m->id);
	if ((got = store_event_get(app->store, id, ev)) == -1)
		return hp_errf(err, errlen, "store: %s", store_error(app->store));
	if (got == 0)
		return hp_errf(err, errlen, "event %lld is gone", (long long)id);
	/* An invitation still queued when the event was cancelled or
	 * rejected must not put it back in anyone's calendar. */
	if (request && strcmp((*ev)->state, "approved") != 0) {
		hp_errf(err, errlen, "event %s is %s", (*ev)->uid, (*ev)->state);
		store_event_free(*ev);
		*ev = NULL;
		return -1;
	}
	return 0;
}

/* The calendar for d: a name the calendar cannot hold (a control
 * character) is left out rather than the copy not sent. */
static int
copy_calendar(const struct app *app, const struct store_event *ev,
    bool request, const struct store_delivery *d, time_t now, char **cal,
    size_t *len, char *err, size_t errlen)
{
	struct itip_attendee att = { d->email, d->name, ITIP_NEEDS_ACTION,
	    request };
	enum itip_method method = request ? ITIP_REQUEST : ITIP_CANCEL;

	if (events_calendar(app->cfg, ev, method, &att, now, cal, len, err,
	    errlen) == 0)
		return 0;
	if (d->name == NULL)
		return -1;
	att.name = NULL;
	return events_calendar(app->cfg, ev, method, &att, now, cal, len, err,
	    errlen);
}

/* Everything of one copy but the calendar and the texts. */
struct copy_env {
	char unsub[512], msgid[COMPOSE_MAX_MSGID];
	struct compose_invite ci;
};

static int
copy_env_init(const struct app *app, const struct store_mailing *m,
    const struct store_delivery *d, time_t now, bool request,
    struct copy_env *e, char *err, size_t errlen)
{
	const char *at = strrchr(app->cfg->office.address, '@');
	struct compose_invite *ci = &e->ci;
	struct tm tm;

	memset(e, 0, sizeof(*e));
	if (at == NULL || (size_t)snprintf(e->msgid, sizeof(e->msgid),
	    "ev-%lld-%lld%s", (long long)m->id, (long long)d->id, at) >=
	    sizeof(e->msgid))
		return hp_errf(err, errlen, "no Message-ID for the copy");
	if (newsletter_unsubscribe_address(app, d->unsub_token, e->unsub,
	    sizeof(e->unsub)) == -1)
		return hp_errf(err, errlen, "no unsubscribe address");
	ci->from_name = app->cfg->office.name;
	ci->from_addr = app->cfg->office.address;
	ci->to_name = d->name;
	ci->to_addr = d->email;
	ci->message_id = e->msgid;
	ci->date = now;
	sched_local_time(app->cfg->office.timezone, now, &tm,
	    &ci->tz_offset_minutes);
	ci->method = request ? "REQUEST" : "CANCEL";
	ci->unsubscribe_mailto = e->unsub;
	return 0;
}

static enum lang
lang_of(const char *code)
{
	return code != NULL && strcmp(code, "en") == 0 ? LANG_EN : LANG_NL;
}

/* d's copy at now, for a mailing whose event is ev. */
static int
copy_build(struct app *app, const struct store_mailing *m,
    const struct store_event *ev, const struct store_delivery *d, time_t now,
    char **out, size_t *len, char *err, size_t errlen)
{
	bool request = strcmp(m->kind, EVENTS_KIND_CANCEL) != 0;
	enum lang lang = lang_of(d->lang);
	struct texts t = { 0 };
	struct copy_env e;
	struct itip_event ie;
	json_t *ctx = NULL;
	char *cal = NULL;
	int rc = -1;

	if (copy_env_init(app, m, d, now, request, &e, err, errlen) == -1 ||
	    event_to_itip(app->cfg, ev, &ie, err, errlen) == -1 ||
	    copy_calendar(app, ev, request, d, now, &cal, &e.ci.calendar_len,
	    err, errlen) == -1)
		goto fail;
	e.ci.calendar = cal;
	if ((ctx = copy_context(app, ev, &ie, request, lang, d, e.unsub)) == NULL) {
		hp_errf(err, errlen, "copy context: bad UTF-8 in the event or a name");
		goto fail;
	}
	if (texts_render(app, ctx, lang, request, &t, err, errlen) == -1)
		goto fail;
	e.ci.subject = one_line(t.subject);
	e.ci.text = t.text;
	e.ci.html = t.html;
	e.ci.content_language = model_lang_code(lang);
	rc = compose_invite_message(&e.ci, out, len, err, errlen);
	if (rc == -1 && e.ci.to_name != NULL) {
		e.ci.to_name = NULL;	/* a name To: cannot hold */
		rc = compose_invite_message(&e.ci, out, len, err, errlen);
	}
fail:
	free(cal);
	json_decref(ctx);
	texts_clear(&t);
	return rc;
}

int
events_build_copy(struct app *app, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d,
    char **out, size_t *len, char *err, size_t errlen)
{
	struct store_event *ev = NULL;
	bool request = strcmp(m->kind, EVENTS_KIND_CANCEL) != 0;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (strcmp(m->kind, EVENTS_KIND_REQUEST) != 0 && request)
		return hp_errf(err, errlen, "mailing kind %s is not an invitation",
		    m->kind);
	if (event_load(app, m, request, &ev, err, errlen) == 0)
		rc = copy_build(app, m, ev, d, time(NULL), out, len, err, errlen);
	store_event_free(ev);
	return rc;
}
