/*
 * events_reply: what happens to an event once it exists: `cancel
 * EVENT-ID`, the answers to invitations (METHOD:REPLY from any client),
 * the organiser's `attendees EVENT-ID`, the newsletter's upcoming events,
 * and how an event reads in a mail (events_int.h).  See events.h.
 *
 * An answer is never acknowledged by mail: the attendee's calendar has
 * already shown it, and an automatic reply to an automatic reply is how
 * mail loops start (RFC 3834).  What cannot be matched is filed and
 * logged; what cannot be read at all (Outlook's TNEF-only winmail.dat)
 * is reported to the office rather than guessed.
 *
 * Must not: let one address answer for another (the store only records
 * an answer for an invited address), or adopt a SEQUENCE from a reply.
 */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "events_copy.h"
#include "events_int.h"
#include "itip_read.h"
#include "log.h"
#include "reply.h"
#include "util.h"

struct itip_time
events_day_shift(struct itip_time t, int days)
{
	struct tm tm = { .tm_year = t.year - 1900, .tm_mon = t.month - 1,
	    .tm_mday = t.day + days, .tm_hour = 12 };
	time_t u = timegm(&tm);

	gmtime_r(&u, &tm);
	t.year = tm.tm_year + 1900;
	t.month = tm.tm_mon + 1;
	t.day = tm.tm_mday;
	return t;
}

/* ---- what the templates see */

static void
date_text(const struct itip_time *t, enum lang lang, char *out, size_t size)
{
	snprintf(out, size, "%d %s %d", t->day, model_month_name(t->month, lang),
	    t->year);
}

void
events_when_text(const struct store_event *ev, enum lang lang, char *out,
    size_t size)
{
	struct itip_time s, e;
	char a[48], b[48];
	bool same;

	if (events_local_parse(ev->start_local, ev->all_day, &s) == -1 ||
	    events_local_parse(ev->end_local, ev->all_day, &e) == -1) {
		snprintf(out, size, "%s", ev->start_local ? ev->start_local : "");
		return;
	}
	if (s.all_day)
		e = events_day_shift(e, -1);	/* stored exclusive, shown inclusive */
	same = s.year == e.year && s.month == e.month && s.day == e.day;
	date_text(&s, lang, a, sizeof(a));
	date_text(&e, lang, b, sizeof(b));
	if (s.all_day && same)
		snprintf(out, size, "%s", a);
	else if (s.all_day)
		snprintf(out, size, "%s - %s", a, b);
	else if (same)
		snprintf(out, size, "%s %02d:%02d - %02d:%02d (%s)", a, s.hour,
		    s.minute, e.hour, e.minute, ev->tzid ? ev->tzid : "UTC");
	else
		snprintf(out, size, "%s %02d:%02d - %s %02d:%02d (%s)", a, s.hour,
		    s.minute, b, e.hour, e.minute, ev->tzid ? ev->tzid : "UTC");
}

static void
short_text(const char *local, bool all_day, bool end, char *out, size_t size)
{
	struct itip_time t;

	if (events_local_parse(local, all_day, &t) == -1) {
		snprintf(out, size, "%s", local ? local : "");
		return;
	}
	if (all_day && end)
		t = events_day_shift(t, -1);
	if (t.all_day)
		snprintf(out, size, "%04d-%02d-%02d", t.year, t.month, t.day);
	else
		snprintf(out, size, "%04d-%02d-%02d %02d:%02d", t.year, t.month,
		    t.day, t.hour, t.minute);
}

/* "country DE" -> "land DE" for Dutch readers; English as stored. */
static void
audience_text(const char *aud, enum lang lang, char *out, size_t size)
{
	static const char *const words[][LANG_COUNT] = {
		{ "sector ", "sector " }, { "land ", "country " },
		{ "netwerk ", "network " },
	};

	for (size_t i = 0; aud && i < HP_NELEM(words); i++)
		if (strncmp(aud, words[i][LANG_EN], strlen(words[i][LANG_EN])) == 0) {
			snprintf(out, size, "%s%s", words[i][lang],
			    aud + strlen(words[i][LANG_EN]));
			return;
		}
	snprintf(out, size, "%s", aud ? aud : "all");
}

json_t *
events_event_json(const struct store_event *ev, enum lang lang)
{
	char when[200], start[32], end[32], aud[160];
	json_t *j;

	events_when_text(ev, lang, when, sizeof(when));
	short_text(ev->start_local, ev->all_day, false, start, sizeof(start));
	short_text(ev->end_local, ev->all_day, true, end, sizeof(end));
	audience_text(ev->audience, lang, aud, sizeof(aud));
	j = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:b,s:s,s:s?,s:s?,s:s,s:b,s:s,s:I}",
	    "event_id", ev->uid ? ev->uid : "", "summary", ev->summary ?
	    ev->summary : "", "start", start, "end", end, "timezone", ev->tzid,
	    "all_day", ev->all_day, "when", when, "location", ev->location,
	    "description", ev->description, "audience", ev->audience ?
	    ev->audience : "all", "audience_all", !ev->audience ||
	    strcmp(ev->audience, "all") == 0, "state", ev->state ? ev->state : "",
	    "sequence", (json_int_t)ev->sequence);
	json_object_set_new(j, "audience_text", json_string(aud));
	return j;
}

/* The event event_id for a command from r's sender, who must be its
 * organiser or an office address.  HP_OK with *out (the caller frees)
 * when allowed; HP_OK with *out NULL when the answer ("missing",
 * "denied") is in item already; HP_RETRY or HP_FATAL. */
static enum hp_status
own_event(struct request *r, const char *event_id, json_t *item,
    const char *what, struct store_event **out)
{
	struct store_event *ev = NULL;
	bool office = false;
	int found;

	*out = NULL;
	json_object_set_new(item, "event_id", json_string(event_id ? event_id : ""));
	if (event_id == NULL || r->m->from_addr == NULL ||
	    (found = store_event_by_uid(r->app->store, event_id, &ev)) == 0) {
		json_object_set_new(item, "missing", json_true());
		return HP_OK;
	}
	if (found == -1)
		return events_db_status(r->app, what);
	json_object_set_new(item, "summary", json_string(ev->summary));
	if (access_is_office(r->app, r->m->from_addr, &office) == -1) {
		store_event_free(ev);
		return events_db_status(r->app, what);
	}
	if (!office && strcasecmp(ev->organiser, r->m->from_addr) != 0) {
		json_object_set_new(item, "denied", json_true());
		store_event_free(ev);
		return HP_OK;
	}
	*out = ev;
	return HP_OK;
}

/* ---- cancel EVENT-ID */

enum hp_status
events_cancel(struct request *r, const char *event_id, json_t *item)
{
	struct store_event *ev = NULL;
	enum hp_status rc;
	size_t n = 0;

	if ((rc = own_event(r, event_id, item, "cancel", &ev)) != HP_OK ||
	    ev == NULL)
		return rc;
	if (!r->authenticated)
		json_object_set_new(item, "not_authenticated", json_true());
	else if (strcmp(ev->state, "approved") != 0 &&
	    strcmp(ev->state, "pending") != 0)
		json_object_set_new(item, "already", json_true());
	else {
		bool sent = strcmp(ev->state, "approved") == 0;
		if (sent)
			ev->sequence++;
		free(ev->state);
		ev->state = xstrdup("cancelled");
		if (store_event_put(r->app->store, ev, r->now) == -1) {
			rc = events_db_status(r->app, "cancel event");
			goto done;
		}
		log_info("events cancelled event=%s by=%s", ev->uid, r->m->from_addr);
		if (sent)
			rc = events_invite(r->app, ev, EVENTS_KIND_CANCEL, true, r->now, &n);
		json_object_set_new(item, "cancelled", json_true());
		json_object_set_new(item, "recipients", json_integer((json_int_t)n));
		json_object_set_new(item, "recipients_one", json_boolean(n == 1));
	}
done:
	store_event_free(ev);
	return rc;
}

/* ---- answers (METHOD:REPLY) */

/* A calendar we cannot read: filed, logged, and the office is told. */
static enum hp_status
answer_unreadable(struct app *app, const struct msg *m, const char *why,
    time_t now, const char **outcome)
{
	json_t *ctx = json_pack("{s:s,s:s,s:s,s:s}", "from", m->from_addr ?
	    m->from_addr : "", "answer_subject", m->subject ? m->subject : "",
	    "message_id", m->message_id ? m->message_id : "", "reason", why);
	enum hp_status rc;

	*outcome = "rsvp_unreadable";
	log_warnx("events rsvp unreadable msgid=<%s> from=%s: %s",
	    m->message_id ? m->message_id : "", m->from_addr ? m->from_addr : "-",
	    why);
	rc = reply_notify_office(app, "rsvp-unreadable.txt", ctx, now);
	json_decref(ctx);
	return rc;
}

static const char *
partstat_name(enum itip_partstat p)
{
	switch (p) {
	case ITIP_ACCEPTED:
		return "ACCEPTED";
	case ITIP_DECLINED:
		return "DECLINED";
	case ITIP_TENTATIVE:
		return "TENTATIVE";
	default:
		return NULL;
	}
}

/* The answer rp to ev: recorded, outdated or not from an invitee. */
static enum hp_status
record_answer(struct app *app, const struct msg *m, const struct store_event *ev,
    const struct itip_reply *rp, time_t now, const char **outcome)
{
	const char *ps = partstat_name(rp->partstat), *id = m->message_id ?
	    m->message_id : "";
	unsigned seq = rp->has_sequence ? rp->sequence : ev->sequence;
	int r;

	if (seq < ev->sequence) {
		*outcome = "rsvp_old";
		log_info("events rsvp old msgid=<%s> event=%s attendee=%s sequence=%u "
		    "current=%u: ignored", id, ev->uid, rp->attendee_addr, seq,
		    ev->sequence);
		return HP_OK;
	}
	if (ps == NULL) {	/* NEEDS-ACTION, DELEGATED, ...: no answer */
		*outcome = "rsvp";
		log_info("events rsvp msgid=<%s> event=%s attendee=%s partstat=%d: "
		    "nothing recorded", id, ev->uid, rp->attendee_addr, (int)rp->partstat);
		return HP_OK;
	}
	/* An attendee's higher SEQUENCE is their client's bug: not adopted. */
	if (seq > ev->sequence)
		seq = ev->sequence;
	r = store_attendee_reply(app->store, ev->id, rp->attendee_addr, ps,
	    rp->comment[0] ? rp->comment : NULL, seq, rp->dtstamp, now);
	if (r == -1)
		return events_db_status(app, "record answer");
	*outcome = r == 1 ? "rsvp" : r == 0 ? "rsvp_old" : "rsvp_unknown";
	log_info("events rsvp %s msgid=<%s> event=%s attendee=%s partstat=%s",
	    r == 1 ? "recorded" : r == 0 ? "older than the last answer, ignored" :
	    "from a non-invitee, filed", id, ev->uid, rp->attendee_addr, ps);
	return HP_OK;
}

enum hp_status
events_handle_reply(struct app *app, const struct msg *m, time_t now,
    const char **outcome)
{
	struct itip_reply rp;
	struct store_event *ev = NULL;
	const char *org = app->cfg->office.address;
	char err[256];
	enum hp_status rc = HP_OK;
	int found;

	if (m->calendar == NULL)
		return answer_unreadable(app, m, "no calendar part (TNEF-only "
		    "winmail.dat?)", now, outcome);
	if (itip_read_reply(m->calendar, strlen(m->calendar), &rp, err,
	    sizeof(err)) == -1)
		return answer_unreadable(app, m, err, now, outcome);
	if ((found = store_event_by_uid(app->store, rp.uid, &ev)) == -1)
		return events_db_status(app, "answer");
	if (found == 0 || (rp.organizer_addr[0] && org &&
	    strcasecmp(rp.organizer_addr, org) != 0)) {
		*outcome = "rsvp_unknown";
		log_info("events rsvp unknown msgid=<%s> uid=%s attendee=%s "
		    "organizer=%s: filed", m->message_id ? m->message_id : "", rp.uid,
		    rp.attendee_addr, rp.organizer_addr[0] ? rp.organizer_addr : "-");
	} else if (m->from_addr == NULL ||
	    strcasecmp(m->from_addr, rp.attendee_addr) != 0) {
		/* RFC 6047 2.2.1: nobody answers for someone else.  This
		 * also refuses an attendee writing from another address of
		 * theirs; the log line lets the office count it by hand. */
		*outcome = "rsvp_unknown";
		log_warnx("events rsvp msgid=<%s> event=%s: from=%s answers for "
		    "attendee=%s; not recorded", m->message_id ? m->message_id : "",
		    ev->uid, m->from_addr ? m->from_addr : "-", rp.attendee_addr);
	} else
		rc = record_answer(app, m, ev, &rp, now, outcome);
	store_event_free(ev);
	return rc;
}

/* ---- attendees EVENT-ID */

static int
attendee_cb(const char *email, const char *name, const char *partstat,
    const char *comment, time_t updated_at, void *arg)
{
	char at[32] = "";

	if (updated_at != 0)
		hp_iso8601_utc(updated_at, at, sizeof(at));
	json_array_append_new(arg, json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:b,s:b,"
	    "s:b,s:b}", "email", email, "name", name, "partstat", partstat,
	    "comment", comment, "updated_at", updated_at ? at : NULL,
	    "accepted", partstat && !strcmp(partstat, "ACCEPTED"), "declined",
	    partstat && !strcmp(partstat, "DECLINED"), "tentative",
	    partstat && !strcmp(partstat, "TENTATIVE"), "no_answer",
	    updated_at == 0));
	return 0;
}

enum hp_status
events_attendees(struct request *r, const char *event_id, json_t *item)
{
	struct store_event *ev = NULL;
	struct store_rsvp_counts c;
	json_t *list = NULL;
	char when[200];
	enum hp_status rc;

	if ((rc = own_event(r, event_id, item, "attendees", &ev)) != HP_OK ||
	    ev == NULL)
		return rc;
	list = json_array();
	if (store_attendee_list(r->app->store, ev->id, attendee_cb, list) == -1 ||
	    store_attendee_counts(r->app->store, ev->id, &c) == -1) {
		rc = events_db_status(r->app, "attendees");
		goto done;
	}
	events_when_text(ev, r->lang, when, sizeof(when));
	json_object_set_new(item, "when", json_string(when));
	json_object_set_new(item, "answers_shown", json_true());
	json_object_set(item, "answers", list);
	json_object_set_new(item, "invited", json_integer((json_int_t)c.invited));
	json_object_set_new(item, "accepted", json_integer((json_int_t)c.accepted));
	json_object_set_new(item, "declined", json_integer((json_int_t)c.declined));
	json_object_set_new(item, "tentative", json_integer((json_int_t)c.tentative));
	json_object_set_new(item, "no_answer", json_integer((json_int_t)(c.invited -
	    c.accepted - c.declined - c.tentative)));
done:
	json_decref(list);
	store_event_free(ev);
	return rc;
}

/* ---- the newsletter */

struct upcoming {
	struct app *app;
	enum lang lang;
	json_t *list;
};

static int
upcoming_cb(const struct store_event *ev, void *arg)
{
	struct upcoming *u = arg;
	struct store_rsvp_counts c;
	char when[200], start[32], end[32];

	if (strcmp(ev->state, "approved") != 0)
		return 0;
	if (store_attendee_counts(u->app->store, ev->id, &c) == -1)
		return -1;
	events_when_text(ev, u->lang, when, sizeof(when));
	short_text(ev->start_local, ev->all_day, false, start, sizeof(start));
	short_text(ev->end_local, ev->all_day, true, end, sizeof(end));
	json_array_append_new(u->list, json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,"
	    "s:I,s:I,s:I,s:I}", "summary", ev->summary, "start", start,
	    "end", end, "date", when, "location", ev->location,
	    "event_id", ev->uid, "accepted", (json_int_t)c.accepted, "declined",
	    (json_int_t)c.declined, "tentative", (json_int_t)c.tentative,
	    "invited", (json_int_t)c.invited));
	return 0;
}

json_t *
events_upcoming_json(struct app *app, enum lang lang, time_t now)
{
	struct upcoming u = { app, lang, json_array() };

	if (store_event_list(app->store, now, upcoming_cb, &u) != 0) {
		events_db_status(app, "upcoming");
		json_decref(u.list);
		return NULL;
	}
	return u.list;
}
