/*
 * events: see events.h.  This file: submission (form or .ics), updates
 * and moderation; events_reply.c has cancellation, the answers, the
 * attendee list and the newsletter's upcoming events.
 *
 * Who may do what (SPEC §4, ISSUE5 decisions): an authenticated office
 * address approves by submitting; anyone else's new event waits for the
 * ambassadors of the submitter's sector (else the office).  An approved
 * event changes at once for its authenticated organiser or an
 * authenticated office address; the organiser's unauthenticated update is
 * held like a new event, with the new fields in the pending action's
 * payload, so a forged From never re-invites anyone.  A pending event's
 * update simply replaces it and asks the moderators again.
 *
 * Must not: build or send invitation copies (mailing.c and
 * events_build_copy do that through the outbox), or trust a calendar's
 * UID that another organiser's event already uses.
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "access.h"
#include "events_int.h"
#include "form.h"
#include "itip_read.h"
#include "log.h"
#include "reply.h"
#include "token.h"
#include "util.h"

#define EVENTS_LOCAL_MAX	32	/* "YYYY-MM-DDTHH:MM:SS" */
#define EVENTS_LAST_YEAR	2100

/* An event as submitted, before it is stored. */
struct draft {
	char *uid;		/* the Event-Id or .ics UID asked for; NULL: new */
	bool by_id;		/* from an Event-Id line: must name an event */
	char *summary, *location, *description, *audience;
	char *tzid;		/* NULL for an all-day event */
	enum sector sector;	/* of a "sector S" audience */
	struct itip_time start, end;	/* all-day: end exclusive */
	char start_local[EVENTS_LOCAL_MAX], end_local[EVENTS_LOCAL_MAX];
	time_t start_utc, end_utc;
	struct problems errors, warnings;
};

static void
draft_clear(struct draft *d)
{
	free(d->uid);
	free(d->summary);
	free(d->location);
	free(d->description);
	free(d->audience);
	free(d->tzid);
	problems_clear(&d->errors);
	problems_clear(&d->warnings);
	memset(d, 0, sizeof(*d));
}

static char *
steal(char **p)
{
	char *v = *p;

	*p = NULL;
	return v;
}

static void
set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

enum hp_status
events_db_status(struct app *app, const char *what)
{
	log_warnx("events %s: %s", what, store_error(app->store));
	return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
}

static const char *
office_zone(const struct app *app)
{
	return app->cfg->office.timezone ? app->cfg->office.timezone :
	    "Europe/Amsterdam";
}

/* ---- reading */

/* Event-Ids must survive the `cancel EVENT-ID` command line (form.h). */
static bool
uid_usable(const char *uid)
{
	size_t n = strlen(uid);
	bool digit = false;

	if (n == 0 || n > FORM_MAX_EVENT_ID)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = uid[i];
		digit |= c >= '0' && c <= '9';
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("@._:-", c) != NULL))
			return false;
	}
	return digit;
}

static void
read_form(struct request *r, struct draft *d)
{
	struct event_form ef;
	const char *text = r->m->text ? r->m->text : "";
	int rc = form_read_event(r->m->subject, text, strlen(text),
	    r->app->countries, &ef);

	d->errors = ef.errors;
	d->warnings = ef.warnings;
	memset(&ef.errors, 0, sizeof(ef.errors));
	memset(&ef.warnings, 0, sizeof(ef.warnings));
	if (rc == 0) {
		d->summary = steal(&ef.title);
		d->location = steal(&ef.location);
		d->description = steal(&ef.description);
		d->audience = steal(&ef.audience);
		d->sector = ef.sector;
		d->uid = steal(&ef.event_id);
		d->by_id = d->uid != NULL;
		d->start = ef.start;
		d->end = ef.start.all_day ? events_day_shift(ef.end, 1) : ef.end;
		if (!ef.start.all_day)
			d->tzid = xstrdup(ef.tzid ? ef.tzid : office_zone(r->app));
	}
	event_form_clear(&ef);
}

static void
read_ics(struct request *r, struct draft *d)
{
	struct itip_event_owned ie;
	const char *cal = r->m->calendar;
	char err[256];

	if (itip_read_event(cal, strlen(cal), office_zone(r->app), &ie, err,
	    sizeof(err)) == -1) {
		problems_add(&d->errors, 0, "de agenda-bijlage is niet te lezen: %s",
		    "the calendar attachment cannot be read: %s", err);
		return;
	}
	if (ie.cancelled)
		problems_add(&d->errors, 0, "de agenda-bijlage is een annulering; "
		    "schrijf \"annuleer EVENT-ID\"", "the calendar attachment is a "
		    "cancellation; write \"cancel EVENT-ID\"");
	d->summary = steal(&ie.summary);
	d->location = steal(&ie.location);
	d->description = steal(&ie.description);
	d->tzid = steal(&ie.tzid);
	d->start = ie.start;
	d->end = ie.end;
	d->audience = xstrdup("all");
	if (ie.uid && uid_usable(ie.uid))
		d->uid = steal(&ie.uid);
	itip_event_owned_clear(&ie);
}

static time_t
local_to_utc(const struct itip_time *t, icaltimezone *zone)
{
	struct icaltimetype it = icaltime_null_time();

	it.year = t->year;
	it.month = t->month;
	it.day = t->day;
	it.hour = t->all_day ? 0 : t->hour;
	it.minute = t->all_day ? 0 : t->minute;
	it.second = t->all_day ? 0 : t->second;
	it.is_date = 0;
	return icaltime_as_timet_with_zone(it, zone);
}

static void
local_text(const struct itip_time *t, char *out, size_t size)
{
	if (t->all_day)
		snprintf(out, size, "%04d-%02d-%02d", t->year, t->month, t->day);
	else
		snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d", t->year,
		    t->month, t->day, t->hour, t->minute, t->second);
}

/* The zone must exist (and be writable as a VTIMEZONE), the event must
 * lie ahead. */
static void
check_times(struct app *app, struct draft *d, time_t now)
{
	const char *zname = d->tzid ? d->tzid : office_zone(app);
	char posix[ITIP_MAX_POSIX_TZ], err[256], when[32];
	icaltimezone *zone = NULL;

	if (!itip_tzid_valid(zname) || itip_tz_posix(zname, posix, sizeof(posix),
	    err, sizeof(err)) == -1 ||
	    (zone = icaltimezone_get_builtin_timezone(zname)) == NULL) {
		problems_add(&d->errors, 0, "onbekende tijdzone \"%s\"",
		    "unknown time zone \"%s\"", zname);
		return;
	}
	if (d->start.year > EVENTS_LAST_YEAR || d->end.year > EVENTS_LAST_YEAR) {
		problems_add(&d->errors, 0, "het evenement ligt na %d",
		    "the event lies after %d", EVENTS_LAST_YEAR);
		return;
	}
	d->start_utc = local_to_utc(&d->start, zone);
	d->end_utc = local_to_utc(&d->end, zone);
	local_text(&d->start, d->start_local, sizeof(d->start_local));
	local_text(&d->end, d->end_local, sizeof(d->end_local));
	if (d->start_utc <= now) {
		snprintf(when, sizeof(when), "%.16s", d->start_local);
		problems_add(&d->errors, 0, "het evenement begint in het verleden (%s)",
		    "the event starts in the past (%s)", when);
	}
}

/* The draft's fields over ev (which keeps uid, organiser, state, ...);
 * pointers borrowed from d. */
static void
draft_view(const struct draft *d, struct store_event *ev)
{
	ev->summary = d->summary;
	ev->location = d->location;
	ev->description = d->description;
	ev->tzid = d->tzid;
	ev->start_local = (char *)d->start_local;
	ev->end_local = (char *)d->end_local;
	ev->all_day = d->start.all_day;
	ev->start_utc = d->start_utc;
	ev->end_utc = d->end_utc;
	ev->audience = d->audience;
}

/* Copy src's changeable fields into ev (owned strings). */
static void
event_replace(struct store_event *ev, const struct store_event *src)
{
	set_str(&ev->summary, src->summary);
	set_str(&ev->location, src->location);
	set_str(&ev->description, src->description);
	set_str(&ev->tzid, src->tzid);
	set_str(&ev->start_local, src->start_local);
	set_str(&ev->end_local, src->end_local);
	set_str(&ev->audience, src->audience);
	ev->all_day = src->all_day;
	ev->start_utc = src->start_utc;
	ev->end_utc = src->end_utc;
}

static json_t *
fields_json(const struct store_event *e)
{
	/* s*: absent fields are left out, as fields_view expects. */
	return json_pack("{s:s,s:s*,s:s*,s:s*,s:s,s:s,s:b,s:I,s:I,s:s}",
	    "summary", e->summary, "location", e->location, "description",
	    e->description, "tzid", e->tzid, "start_local", e->start_local,
	    "end_local", e->end_local, "all_day", e->all_day, "start_utc",
	    (json_int_t)e->start_utc, "end_utc", (json_int_t)e->end_utc,
	    "audience", e->audience);
}

/* The payload's fields as a borrowed view; -1 when they are broken. */
static int
fields_view(json_t *j, struct store_event *e)
{
	json_int_t s = 0, t = 0;
	int all_day = 0;
	const char *sum = NULL, *loc = NULL, *desc = NULL, *tz = NULL;
	const char *sl = NULL, *el = NULL, *aud = NULL;

	if (json_unpack(j, "{s:s,s?s,s?s,s?s,s:s,s:s,s:b,s:I,s:I,s:s}",
	    "summary", &sum, "location", &loc, "description", &desc, "tzid", &tz,
	    "start_local", &sl, "end_local", &el, "all_day", &all_day,
	    "start_utc", &s, "end_utc", &t, "audience", &aud) != 0)
		return -1;
	e->summary = (char *)sum;
	e->location = (char *)loc;
	e->description = (char *)desc;
	e->tzid = (char *)tz;
	e->start_local = (char *)sl;
	e->end_local = (char *)el;
	e->all_day = all_day;
	e->start_utc = (time_t)s;
	e->end_utc = (time_t)t;
	e->audience = (char *)aud;
	return 0;
}

/* ---- invitations */

static const char *const subject_prefix[3][LANG_COUNT] = {
	{ "Uitnodiging: ", "Invitation: " },
	{ "Gewijzigd: ", "Updated: " },
	{ "Geannuleerd: ", "Cancelled: " },
};

/* The invitation mailing of kind for ev: everyone in its audience, or
 * with invited_only those invited before.  Parts: nl and en, the subject
 * and a short text of what and when (the copy itself is built at
 * delivery from the event's current state). */
enum hp_status
events_invite(struct app *app, const struct store_event *ev, const char *kind,
    bool invited_only, time_t now, size_t *n)
{
	int k = strcmp(kind, EVENTS_KIND_CANCEL) == 0 ? 2 : ev->sequence > 0 ? 1 : 0;
	struct store_mailing_part parts[LANG_COUNT];
	char *label = xasprintf("%s, %.10s", ev->summary, ev->start_local);
	char when[160];
	int64_t id = 0;
	int rc;

	for (int l = 0; l < LANG_COUNT; l++) {
		events_when_text(ev, (enum lang)l, when, sizeof(when));
		parts[l].lang = (char *)model_lang_code((enum lang)l);
		parts[l].subject = xasprintf("%s%s", subject_prefix[k][l], ev->summary);
		parts[l].text = xasprintf("%s\n%s\n%s%s%s", ev->summary, when,
		    ev->location ? ev->location : "", ev->location ? "\n" : "",
		    ev->description ? ev->description : "");
		parts[l].html = NULL;
	}
	rc = store_mailing_create_for_event(app->store, kind, label, ev->id,
	    ev->audience, invited_only, parts, LANG_COUNT, now, &id, n);
	for (int l = 0; l < LANG_COUNT; l++) {
		free(parts[l].subject);
		free(parts[l].text);
	}
	free(label);
	if (rc == -1)
		return events_db_status(app, "invitation mailing");
	log_info("events mailing=%lld kind=%s event=%s sequence=%u recipients=%zu",
	    (long long)id, kind, ev->uid, ev->sequence, *n);
	return HP_OK;
}

/* ---- moderation */

static void
expiry_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The sector whose ambassadors moderate: the submitter's organisation's,
 * else the audience's.  -1 on a store error. */
static int
moderation_sector(struct app *app, const char *from, enum sector audience,
    enum sector *out)
{
	char **names = NULL;
	size_t n = 0;
	struct org *o = NULL;
	int rc = 0;

	*out = audience;
	if (store_org_names_for_contact(app->store, from, &names, &n) == -1)
		return -1;
	if (n > 0 && (rc = store_org_get(app->store, names[0], &o)) == 1 &&
	    o->sector != SECTOR_NONE)
		*out = o->sector;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	org_free(o);
	return rc == -1 ? -1 : 0;
}

/* A pending action of kind "event" for shown (the event as it will be
 * once approved) and a moderation mail to each moderator.  update: the
 * new fields of an approved event, NULL for a new or pending event. */
static enum hp_status
hold(struct request *r, const struct store_event *shown, json_t *update,
    json_t *res)
{
	char **who = NULL, *joined = NULL, token[TOKEN_LEN + 1], expires[64];
	size_t n = 0;
	json_t *payload = json_pack("{s:s,s:s,s:s?,s:s?}", "event", shown->uid,
	    "lang", model_lang_code(r->lang), "from_name", r->m->from_name,
	    "subject", r->m->subject), *mail = NULL;
	struct access_request req = { "event", shown->summary, shown->sector,
	    r->m->from_addr, NULL, payload, r->m->message_id };
	enum hp_status rc;

	/* What the moderator sees is what a yes approves (see same_fields). */
	if (update)
		json_object_set(payload, "update", update);
	else
		json_object_set_new(payload, "fields", fields_json(shown));
	if (access_moderators(r->app, shown->sector ? model_sector_parse(
	    shown->sector) : SECTOR_NONE, &who, &n) == -1) {
		rc = HP_RETRY;
		goto done;
	}
	req.authorisers = joined = access_list_join(who, n);
	if ((rc = access_pending_new(r->app, &req, r->now, token)) != HP_OK)
		goto done;
	expiry_text(r->now + (time_t)r->app->cfg->limits.token_lifetime, expires,
	    sizeof(expires));
	mail = json_pack("{s:o,s:s,s:s,s:s,s:b}", "event", events_event_json(shown,
	    r->lang), "token", token, "requester", r->m->from_addr, "expires",
	    expires, "update", update != NULL);
	for (size_t i = 0; i < n && rc == HP_OK; i++) {
		struct reply_to to = { who[i], NULL, NULL, NULL, NULL };
		rc = reply_send(r->app, &to, r->lang, "moderate.txt", mail, r->now);
	}
	json_object_set_new(res, "pending", json_true());
	json_object_set_new(res, "moderators", json_string(joined));
done:
	json_decref(mail);
	json_decref(payload);
	free(joined);
	access_list_free(who, n);
	return rc;
}

/* ---- submission */

static enum hp_status
is_office(struct request *r, bool *office)
{
	*office = false;
	return access_is_office(r->app, r->m->from_addr, office) == -1 ?
	    HP_RETRY : HP_OK;
}

static bool
is_organiser(const struct request *r, const struct store_event *ev)
{
	return ev->organiser && strcasecmp(ev->organiser, r->m->from_addr) == 0;
}

/* The event the draft changes, if any (*old, NULL for a new one); a
 * refusal goes into d->errors. */
static enum hp_status
find_old(struct request *r, struct draft *d, struct store_event **old)
{
	bool office;
	enum hp_status rc;
	int found;

	*old = NULL;
	if (d->uid == NULL)
		return HP_OK;
	if ((found = store_event_by_uid(r->app->store, d->uid, old)) == -1)
		return events_db_status(r->app, "event by uid");
	if (found == 0) {
		if (d->by_id)
			problems_add(&d->errors, 0, "er is geen evenement met Event-Id %s",
			    "there is no event with Event-Id %s", d->uid);
		return HP_OK;
	}
	if ((rc = is_office(r, &office)) != HP_OK)
		return rc;
	if (!is_organiser(r, *old) && !(office && r->authenticated)) {
		if (d->by_id)
			problems_add(&d->errors, 0, "alleen wie het evenement %s "
			    "indiende of het bureau kan het wijzigen", "only the "
			    "organiser of event %s or the office can change it", d->uid);
		else	/* someone else's UID: this is a new event */
			free(steal(&d->uid));
	} else if (strcmp((*old)->state, "pending") != 0 &&
	    strcmp((*old)->state, "approved") != 0)
		problems_add(&d->errors, 0, "het evenement %s is %s en kan niet meer "
		    "gewijzigd worden", "event %s is %s and can no longer be changed",
		    d->uid, strcmp((*old)->state, "cancelled") == 0 ? "cancelled" :
		    "rejected");
	if (d->uid == NULL || d->errors.n > 0) {
		store_event_free(*old);
		*old = NULL;
	}
	return HP_OK;
}

static void
set_event_json(json_t *res, const struct store_event *ev, enum lang lang)
{
	json_t *j = events_event_json(ev, lang);

	json_object_update(res, j);
	json_decref(j);
}

static enum hp_status
submit_new(struct request *r, struct draft *d, bool approve, json_t *res,
    const char **outcome)
{
	struct store_event ev = { 0 };
	char token[TOKEN_LEN + 1], *uid = NULL;
	const char *at = strrchr(r->app->cfg->office.address, '@');
	enum sector s = SECTOR_NONE;
	enum hp_status rc = HP_OK;
	size_t n = 0;

	if (d->uid == NULL) {
		if (access_new_token(token) == -1)
			return HP_RETRY;
		uid = xasprintf("%s@%s", token, at ? at + 1 : "hanzepost.invalid");
	}
	if (moderation_sector(r->app, r->m->from_addr, d->sector, &s) == -1) {
		free(uid);
		return events_db_status(r->app, "moderation sector");
	}
	draft_view(d, &ev);
	ev.uid = uid ? uid : d->uid;
	ev.sector = (char *)model_sector_name(s);
	ev.organiser = r->m->from_addr;
	ev.state = approve ? "approved" : "pending";
	if (store_event_put(r->app->store, &ev, r->now) == -1)
		rc = events_db_status(r->app, "store event");
	else
		log_info("events new event=%s state=%s organiser=%s", ev.uid,
		    ev.state, ev.organiser);
	if (rc == HP_OK && approve) {
		rc = events_invite(r->app, &ev, EVENTS_KIND_REQUEST, false, r->now, &n);
		json_object_set_new(res, "approved", json_true());
		json_object_set_new(res, "recipients", json_integer((json_int_t)n));
	json_object_set_new(res, "recipients_one", json_boolean(n == 1));
		*outcome = "event_approved";
	} else if (rc == HP_OK) {
		rc = hold(r, &ev, NULL, res);
		*outcome = "event_pending";
	}
	if (rc == HP_OK)
		set_event_json(res, &ev, r->lang);
	free(uid);
	return rc;
}

/* Fields replaced, SEQUENCE+1, everyone invited hears it. */
static enum hp_status
apply_update(struct app *app, struct store_event *ev,
    const struct store_event *src, time_t now, size_t *n)
{
	event_replace(ev, src);
	ev->sequence++;
	if (store_event_put(app->store, ev, now) == -1)
		return events_db_status(app, "update event");
	log_info("events updated event=%s sequence=%u", ev->uid, ev->sequence);
	return events_invite(app, ev, EVENTS_KIND_REQUEST, true, now, n);
}

static enum hp_status
submit_update(struct request *r, struct draft *d, struct store_event *old,
    bool office, json_t *res, const char **outcome)
{
	struct store_event view = *old;
	enum hp_status rc = HP_OK;
	size_t n = 0;

	draft_view(d, &view);
	if (strcmp(old->state, "pending") == 0) {
		/* Not sent yet: the new version replaces it. */
		event_replace(old, &view);
		if (office && r->authenticated)
			set_str(&old->state, "approved");
		if (store_event_put(r->app->store, old, r->now) == -1)
			return events_db_status(r->app, "replace event");
		if (office && r->authenticated) {
			rc = events_invite(r->app, old, EVENTS_KIND_REQUEST, false,
			    r->now, &n);
			json_object_set_new(res, "approved", json_true());
			*outcome = "event_approved";
		} else {
			rc = hold(r, old, NULL, res);
			*outcome = "event_pending";
		}
	} else if (r->authenticated) {	/* the organiser or the office */
		rc = apply_update(r->app, old, &view, r->now, &n);
		json_object_set_new(res, "updated", json_true());
		*outcome = "event_updated";
	} else {	/* the organiser, unverified: a moderator decides */
		json_t *fields = fields_json(&view);
		view.sequence = old->sequence + 1;
		rc = hold(r, &view, fields, res);
		json_object_set_new(res, "update_pending", json_true());
		json_decref(fields);
		*outcome = "event_pending";
		if (rc == HP_OK)
			set_event_json(res, &view, r->lang);
		return rc;
	}
	json_object_set_new(res, "recipients", json_integer((json_int_t)n));
	json_object_set_new(res, "recipients_one", json_boolean(n == 1));
	if (rc == HP_OK)
		set_event_json(res, old, r->lang);
	return rc;
}

static json_t *
problems_json(const struct problems *p, enum lang lang)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(a, p->v[i].line > 0 ?
		    json_pack("{s:i,s:s}", "line", p->v[i].line, "text",
		    p->v[i].text[lang]) : json_pack("{s:s}", "text", p->v[i].text[lang]));
	return a;
}

static void
read_draft(struct request *r, struct draft *d)
{
	if (r->m->calendar != NULL) {
		read_ics(r, d);
		return;
	}
	read_form(r, d);
	/* The event reader saw every line form_read did: its warnings
	 * replace the registry reader's. */
	json_object_set_new(r->ctx, "warnings", problems_json(&d->warnings, r->lang));
	json_object_set_new(r->ctx, "has_warnings", json_boolean(d->warnings.n > 0));
}

enum hp_status
events_submit(struct request *r, const char **outcome)
{
	struct draft d = { 0 };
	struct store_event *old = NULL;
	json_t *res = json_object();
	enum hp_status rc = HP_OK;
	bool office = false;

	*outcome = "rejected";
	json_object_set_new(r->ctx, "event", res);	/* res stays borrowed */
	if (r->m->from_addr == NULL) {
		problems_add(&d.errors, 0, "de afzender is onleesbaar",
		    "the sender's address cannot be read");
	} else
		read_draft(r, &d);
	if (d.errors.n == 0)
		check_times(r->app, &d, r->now);
	if (d.errors.n == 0 && ((rc = find_old(r, &d, &old)) != HP_OK ||
	    (rc = is_office(r, &office)) != HP_OK))
		goto done;
	if (d.errors.n > 0) {
		rc = HP_REJECT;
		goto done;
	}
	if (old)
		rc = submit_update(r, &d, old, office, res, outcome);
	else
		rc = submit_new(r, &d, office && r->authenticated, res, outcome);
done:
	json_object_set_new(res, "errors", problems_json(&d.errors, r->lang));
	json_object_set_new(res, "has_errors", json_boolean(d.errors.n > 0));
	if (rc == HP_REJECT)
		log_info("events submission from=%s refused: %s", r->m->from_addr ?
		    r->m->from_addr : "-", d.errors.v[0].text[LANG_EN]);
	store_event_free(old);
	draft_clear(&d);
	return rc;
}

/* ---- approve / reject */

/* A pending event replaced after its moderation mail went out must not
 * be approved by that mail's token: the newer mail's token does it. */
static bool
same_fields(json_t *payload, const struct store_event *ev)
{
	json_t *shown = json_object_get(payload, "fields"), *now;
	bool same;

	if (shown == NULL)
		return true;
	now = fields_json(ev);
	same = json_equal(shown, now);
	json_decref(now);
	return same;
}

/* Approve ev (pending) or its held update (the new fields in update). */
static enum hp_status
approve(struct app *app, struct store_event *ev, const struct store_event *update,
    const char *by, time_t now, json_t *res)
{
	enum hp_status rc = HP_OK;
	size_t n = 0;

	if (strcmp(ev->state, update ? "approved" : "pending") != 0)
		json_object_set_new(res, "decided", json_true());
	else if ((update ? update : ev)->start_utc <= now)
		json_object_set_new(res, "past", json_true());
	else if (update) {
		rc = apply_update(app, ev, update, now, &n);
		json_object_set_new(res, "updated", json_true());
	} else {
		set_str(&ev->state, "approved");
		if (store_event_put(app->store, ev, now) == -1)
			return events_db_status(app, "approve event");
		log_info("events approved event=%s by=%s", ev->uid, by);
		rc = events_invite(app, ev, EVENTS_KIND_REQUEST, false, now, &n);
		json_object_set_new(res, "approved", json_true());
	}
	json_object_set_new(res, "recipients", json_integer((json_int_t)n));
	json_object_set_new(res, "recipients_one", json_boolean(n == 1));
	return rc;
}

enum hp_status
events_decide(struct app *app, const struct store_pending *p, bool reject,
    const char *by, time_t now, json_t *outcome)
{
	json_t *payload = json_loads(p->payload, 0, NULL), *update, *res;
	const char *uid = json_string_value(json_object_get(payload, "event"));
	const char *l = json_string_value(json_object_get(payload, "lang"));
	enum lang lang = l && strcmp(l, "en") == 0 ? LANG_EN : LANG_NL;
	struct store_event *ev = NULL, view;
	enum hp_status rc = HP_OK;
	int found = 0;

	if (uid == NULL || (found = store_event_by_uid(app->store, uid, &ev)) == 0) {
		log_warnx("events pending=%lld: event %s is gone", (long long)p->id,
		    uid ? uid : "(none)");
		json_object_set_new(outcome, "event_gone", json_true());
		goto done;
	}
	if (found == -1) {
		rc = events_db_status(app, "decide");
		goto done;
	}
	res = json_object();
	json_object_set_new(outcome, "event", res);
	update = json_object_get(payload, "update");
	view = *ev;
	if (update && fields_view(update, &view) == -1) {
		log_warnx("events pending=%lld: broken update", (long long)p->id);
		json_object_set_new(outcome, "event_gone", json_true());
		goto done;
	}
	if (reject) {
		if (!update && strcmp(ev->state, "pending") == 0) {
			set_str(&ev->state, "rejected");
			if (store_event_put(app->store, ev, now) == -1)
				rc = events_db_status(app, "reject event");
		}
		log_info("events rejected event=%s by=%s", ev->uid, by);
	} else if (!update && !same_fields(payload, ev)) {
		log_info("events pending=%lld: event %s changed since; not approved",
		    (long long)p->id, ev->uid);
		json_object_set_new(res, "changed", json_true());
	} else
		rc = approve(app, ev, update ? &view : NULL, by, now, res);
	if (rc == HP_OK)
		set_event_json(res, update && !reject && !json_is_true(json_object_get(
		    res, "updated")) ? &view : ev, lang);
done:
	store_event_free(ev);
	json_decref(payload);
	return rc;
}
