/*
 * Unit tests for events (events.c, events_reply.c) and their wiring in
 * commands.c, against an in-memory store and a hand-built app: an
 * authenticated office submission approved with its invitation mailing,
 * a partner's held for the sector's ambassador and approved by token,
 * an update (SEQUENCE+1, invited only), a refused update, cancel, the
 * attendee list, answers recorded / outdated / from a stranger / for an
 * unknown UID, a TNEF-only answer reported to the office, and the
 * newsletter's upcoming events.  The replies are rendered from the real
 * templates and read back from the outbox.
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

#include "access.h"
#include "app.h"
#include "commands.h"
#include "events.h"
#include "events_int.h"
#include "form.h"
#include "newsletter.h"
#include "reply.h"
#include "store.h"
#include "templates.h"
#include "util.h"

#define DAY	((time_t)86400)
#define T0	((time_t)1801382400)	/* 2027-01-31 08:00 UTC */

static struct config cfg;
static struct app app;
static char *templates_dir;
static char *admins[] = { "admin@example.org" };
static char *authres_ok[] = { "mx.example.org; dkim=pass header.d=example.org" };
static char *authres_partner[] = {
	"mx.example.org; dkim=pass header.d=partner.example" };

static const char *form_office =
    "Event: Hanzedag Lübeck\n"
    "Start: 2027-06-12 10:00\n"
    "End: 2027-06-12 16:00\n"
    "Location: Rathaus, Lübeck\n"
    "Description: Een dag over de Hanze.\n"
    "Audience: all\n";

/* ---- helpers ---- */

static void
add_subscriber(const char *email, bool events)
{
	static int n;
	char tok[33];
	struct store_subscriber s = { 0 };

	snprintf(tok, sizeof(tok), "%032x", ++n);
	s.email = (char *)email;
	s.lang = "en";
	s.status = "active";
	s.unsub_token = tok;
	s.newsletter = true;
	s.events = events;
	s.consent_source_msgid = "cli";
	assert_int_equal(store_subscriber_put(app.store, &s, T0 - 10 * DAY), 0);
}

/* Hanze Cultuur (culture) with anna as contact; amb its ambassador. */
static void
add_partner(void)
{
	struct org *o = org_new();

	o->name = xstrdup("Hanze Cultuur");
	o->sector = model_sector_parse("culture");
	o->contacts = xcalloc(1, sizeof(*o->contacts));
	o->contacts[0].email = xstrdup("anna@partner.example");
	o->n_contacts = 1;
	assert_int_equal(store_org_save(app.store, o, NULL, NULL, NULL, 0, T0 - DAY), 0);
	org_free(o);
	assert_int_equal(store_ambassador_add(app.store, "amb@culture.example",
	    "culture", T0 - DAY), 0);
}

static void
fill_msg(struct msg *m, const char *from, const char *subject, const char *text,
    bool authenticated)
{
	static int n;
	static char ids[64][64];

	memset(m, 0, sizeof(*m));
	snprintf(ids[n % 64], sizeof(ids[0]), "m%d@sender.example", n);
	m->message_id = ids[n++ % 64];
	m->from_addr = (char *)from;
	m->subject = (char *)subject;
	m->text = (char *)text;
	if (authenticated) {
		m->authres = strstr(from, "partner") ? authres_partner : authres_ok;
		m->n_authres = 1;
	}
}

/* What ingest's handle_request does with an event mail, without IMAP. */
static enum hp_status
submit(const struct msg *m, time_t now, const char **outcome, json_t **ctx)
{
	struct form *f = form_read(m->subject, m->text, strlen(m->text), LANG_EN,
	    app.countries);
	struct request r = { &app, m, f, LANG_EN, access_authenticated(&app, m),
	    json_object(), now };
	enum hp_status rc = events_submit(&r, outcome);

	if (rc == HP_OK || rc == HP_REJECT)
		assert_int_equal(commands_run(&r), HP_OK);
	assert_int_equal(reply_queue(&app, m, LANG_EN, "reply.txt", r.ctx, now),
	    HP_OK);
	*ctx = r.ctx;
	form_free(f);
	return rc;
}

/* The commands of a mail (no form). */
static json_t *
command(const char *from, const char *text, bool authenticated, time_t now)
{
	struct msg m;
	struct form *f;
	struct request r;

	fill_msg(&m, from, "commands", text, authenticated);
	f = form_read(m.subject, m.text, strlen(m.text), LANG_EN, app.countries);
	r = (struct request){ &app, &m, f, LANG_EN, authenticated, json_object(), now };
	assert_int_equal(commands_run(&r), HP_OK);
	assert_int_equal(reply_queue(&app, &m, LANG_EN, "reply.txt", r.ctx, now),
	    HP_OK);
	form_free(f);
	return r.ctx;
}

static const char *
str_at(json_t *ctx, const char *path)
{
	json_t *v = ctx;
	char *copy = xstrdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	free(copy);
	return json_string_value(v);
}

/* Quoted-printable bodies decoded (good enough for our own replies). */
static char *
qp_decode(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n')
			s += 3;
		else if (s[0] == '=' && s[1] && s[2] && strchr("0123456789ABCDEF", s[1]) &&
		    strchr("0123456789ABCDEF", s[2])) {
			char hex[3] = { s[1], s[2], 0 };
			*o++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* The outbox rows due now, each marked sent; the decoded data of the
 * last one to rcpt in *data (when not NULL). */
static size_t
outbox_take(const char *rcpt, char **data)
{
	struct store_outmsg *m = NULL;
	size_t n = 0, hits = 0;

	assert_int_equal(store_outbox_due(app.store, T0 + 400 * DAY, 100, &m, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (rcpt && strcasecmp(m[i].recipient, rcpt) == 0) {
			hits++;
			if (data) {
				free(*data);
				*data = qp_decode(m[i].data);
				if (getenv("HP_DUMP") != NULL)
					fprintf(stderr, "-----\n%s-----\n", *data);
			}
		}
		assert_int_equal(store_outbox_result(app.store, m[i].id,
		    STORE_OUT_SENT, 250, "ok", 0, T0), 0);
	}
	store_outmsgs_free(m, n);
	return hits;
}

/* How many due rows go to rcpt (nothing is marked). */
static size_t
outbox_peek(const char *rcpt)
{
	struct store_outmsg *m = NULL;
	size_t n = 0, hits = 0;

	assert_int_equal(store_outbox_due(app.store, T0 + 400 * DAY, 100, &m, &n), 0);
	for (size_t i = 0; i < n; i++)
		hits += strcasecmp(m[i].recipient, rcpt) == 0;
	store_outmsgs_free(m, n);
	return hits;
}

struct mailings {
	size_t n;
	char kind[32], label[256];
	size_t queued;
	int64_t id;
};

static int
mailing_cb(const struct store_mailing *ml, void *arg)
{
	struct mailings *w = arg;

	if (w->n++ == 0) {	/* newest first */
		hp_strlcpy(w->kind, ml->kind, sizeof(w->kind));
		hp_strlcpy(w->label, ml->label, sizeof(w->label));
		w->queued = ml->n_queued;
		w->id = ml->id;
	}
	return 0;
}

static struct mailings
mailings(void)
{
	struct mailings w = { 0 };

	assert_int_equal(store_mailing_list(app.store, false, 0, mailing_cb, &w), 0);
	return w;
}

static struct store_event *
event(const char *uid)
{
	struct store_event *ev = NULL;

	assert_int_equal(store_event_by_uid(app.store, uid, &ev), 1);
	return ev;
}

/* Office submission, approved; returns its Event-Id (caller frees). */
static char *
office_event(void)
{
	struct msg m;
	const char *outcome;
	json_t *ctx;
	char *uid;

	fill_msg(&m, "admin@example.org", "Hanzedag", form_office, true);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_approved");
	uid = xstrdup(str_at(ctx, "event.event_id"));
	json_decref(ctx);
	outbox_take(NULL, NULL);
	return uid;
}

static char *
reply_ics(const char *uid, const char *attendee, const char *partstat,
    unsigned seq, const char *dtstamp)
{
	return xasprintf("BEGIN:VCALENDAR\nPRODID:-//Test//EN\nVERSION:2.0\n"
	    "METHOD:REPLY\nBEGIN:VEVENT\nUID:%s\nSEQUENCE:%u\nDTSTAMP:%s\n"
	    "DTSTART:20270612T080000Z\nATTENDEE;PARTSTAT=%s:mailto:%s\n"
	    "COMMENT:Tot dan!\nEND:VEVENT\nEND:VCALENDAR\n", uid, seq, dtstamp,
	    partstat, attendee);
}

static const char *
answer(const char *uid, const char *attendee, const char *partstat,
    unsigned seq, const char *dtstamp)
{
	struct msg m;
	char *ics = reply_ics(uid, attendee, partstat, seq, dtstamp);
	const char *outcome = NULL;

	fill_msg(&m, attendee, "Accepted: Hanzedag", "", false);
	m.calendar = ics;
	m.calendar_method = "REPLY";
	assert_int_equal(events_handle_reply(&app, &m, T0 + DAY, &outcome), HP_OK);
	free(ics);
	assert_int_equal(outbox_take("nobody", NULL), 0);
	return outcome;
}

/* ---- tests ---- */

static void
test_office_submission_approved(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx;
	struct store_event *ev;
	struct mailings w;
	char *data = NULL;

	add_subscriber("ann@sub.example", true);
	add_subscriber("bob@sub.example", true);
	add_subscriber("news-only@sub.example", false);
	fill_msg(&m, "admin@example.org", "Hanzedag", form_office, true);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_approved");
	assert_true(json_is_true(json_object_get(json_object_get(ctx, "event"),
	    "approved")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ctx,
	    "event"), "recipients")), 2);
	ev = event(str_at(ctx, "event.event_id"));
	assert_string_equal(ev->state, "approved");
	assert_int_equal(ev->sequence, 0);
	assert_string_equal(ev->tzid, "Europe/Amsterdam");
	assert_string_equal(ev->start_local, "2027-06-12T10:00:00");
	assert_int_equal(ev->start_utc, 1812787200);	/* 08:00Z, CEST */
	assert_string_equal(ev->organiser, "admin@example.org");
	assert_int_equal(strlen(ev->uid), 32 + strlen("@example.org"));
	assert_non_null(strstr(ev->uid, "@example.org"));
	w = mailings();
	assert_int_equal(w.n, 1);
	assert_string_equal(w.kind, EVENTS_KIND_REQUEST);
	assert_string_equal(w.label, "Hanzedag Lübeck, 2027-06-12");
	assert_int_equal(w.queued, 2);
	/* The answer names the Event-Id and the count. */
	assert_int_equal(outbox_take("admin@example.org", &data), 1);
	assert_non_null(strstr(data, "Event-Id: "));
	assert_non_null(strstr(data, ev->uid));
	assert_non_null(strstr(data, "invitations go out to 2 subscribers"));
	free(data);
	store_event_free(ev);
	json_decref(ctx);
}

static char *
token_of(const char *mail)
{
	const char *p = strstr(mail, "Subject: approve ");

	assert_non_null(p);
	p += strlen("Subject: approve ");
	return xstrndup(p, strcspn(p, "\r\n"));
}

static void
test_partner_pending_then_approved(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx, *ctx2;
	char *data = NULL, *token, *line;
	struct store_event *ev;
	struct mailings w;

	add_subscriber("ann@sub.example", true);
	add_partner();
	fill_msg(&m, "anna@partner.example", "Concert", "Event: Concert\n"
	    "Start: 12-06-2027 20:00\nAudience: sector culture\n", false);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_pending");
	assert_string_equal(str_at(ctx, "event.moderators"), "amb@culture.example");
	ev = event(str_at(ctx, "event.event_id"));
	assert_string_equal(ev->state, "pending");
	assert_string_equal(ev->sector, "culture");
	assert_int_equal(mailings().n, 0);
	/* The ambassador gets the moderation mail; anna hears it waits. */
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	assert_non_null(strstr(data, "Concert"));
	assert_non_null(strstr(data, "anna@partner.example"));
	assert_non_null(strstr(data, ev->uid));
	token = token_of(data);
	free(data);
	data = NULL;
	/* A token from someone else's mail would do the same: the token is
	 * the authority.  Approve it. */
	line = xasprintf("approve %s\n", token);
	ctx2 = command("amb@culture.example", line, false, T0 + 60);
	store_event_free(ev);
	ev = event(str_at(ctx, "event.event_id"));
	assert_string_equal(ev->state, "approved");
	w = mailings();
	assert_int_equal(w.n, 1);
	assert_string_equal(w.kind, EVENTS_KIND_REQUEST);
	/* The audience is the culture sector's contacts on the events list:
	 * nobody here (ann is no contact). */
	assert_int_equal(w.queued, 0);
	assert_int_equal(outbox_take("anna@partner.example", &data), 1);
	assert_non_null(strstr(data, "was approved by amb@culture.example"));
	assert_int_equal(outbox_take("amb@culture.example", &data), 0);
	free(data);
	json_decref(ctx2);
	free(line);
	free(token);
	store_event_free(ev);
	json_decref(ctx);
}

static void
test_update_and_refusal(void **state)
{
	char *uid, *text, *data = NULL;
	struct msg m;
	const char *outcome;
	json_t *ctx;
	struct store_event *ev;
	struct mailings w;

	add_subscriber("ann@sub.example", true);
	add_subscriber("bob@sub.example", true);
	uid = office_event();
	add_subscriber("late@sub.example", true);
	text = xasprintf("Event-Id: %s\nEvent: Hanzedag Lübeck\n"
	    "Start: 2027-06-12 11:00\nEnd: 2027-06-12 17:00\n", uid);
	/* A stranger may not change it. */
	fill_msg(&m, "eve@evil.example", "update", text, false);
	assert_int_equal(submit(&m, T0 + 10, &outcome, &ctx), HP_REJECT);
	assert_string_equal(outcome, "rejected");
	assert_true(json_is_true(json_object_get(json_object_get(ctx, "event"),
	    "has_errors")));
	assert_int_equal(outbox_take("eve@evil.example", &data), 1);
	assert_non_null(strstr(data, "only the organiser of event"));
	json_decref(ctx);
	/* The office may. */
	fill_msg(&m, "admin@example.org", "update", text, true);
	assert_int_equal(submit(&m, T0 + 20, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_updated");
	ev = event(uid);
	assert_int_equal(ev->sequence, 1);
	assert_string_equal(ev->start_local, "2027-06-12T11:00:00");
	assert_null(ev->location);	/* absent: replaced as a whole */
	w = mailings();
	assert_int_equal(w.n, 2);
	assert_string_equal(w.kind, EVENTS_KIND_REQUEST);
	assert_int_equal(w.queued, 2);	/* not late@: invited only */
	assert_int_equal(outbox_take("admin@example.org", &data), 1);
	assert_non_null(strstr(data, "The event has been updated"));
	free(data);
	store_event_free(ev);
	json_decref(ctx);
	free(text);
	free(uid);
}

static void
test_cancel(void **state)
{
	char *uid, *line, *data = NULL;
	json_t *ctx;
	struct store_event *ev;
	struct mailings w;

	add_subscriber("ann@sub.example", true);
	uid = office_event();
	line = xasprintf("cancel %s\n", uid);
	ctx = command("eve@evil.example", line, true, T0 + 10);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(ctx,
	    "cancel"), 0), "denied")));
	json_decref(ctx);
	ctx = command("admin@example.org", line, false, T0 + 20);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(ctx,
	    "cancel"), 0), "not_authenticated")));
	json_decref(ctx);
	ev = event(uid);
	assert_string_equal(ev->state, "approved");
	store_event_free(ev);
	ctx = command("admin@example.org", line, true, T0 + 30);
	ev = event(uid);
	assert_string_equal(ev->state, "cancelled");
	assert_int_equal(ev->sequence, 1);
	w = mailings();
	assert_int_equal(w.n, 2);
	assert_string_equal(w.kind, EVENTS_KIND_CANCEL);
	assert_int_equal(w.queued, 1);
	outbox_take("admin@example.org", &data);
	assert_non_null(strstr(data, "is cancelled. The 1\r\nperson invited gets the cancellation"));
	free(data);
	store_event_free(ev);
	json_decref(ctx);
	free(line);
	free(uid);
}

static void
test_answers(void **state)
{
	char *uid, *line, *data = NULL, *text;
	struct store_rsvp_counts c;
	struct store_event *ev;
	struct msg m;
	const char *outcome;
	json_t *ctx, *up;

	add_subscriber("ann@sub.example", true);
	add_subscriber("bob@sub.example", true);
	uid = office_event();
	ev = event(uid);
	assert_string_equal(answer(uid, "ann@sub.example", "ACCEPTED", 0,
	    "20270201T100000Z"), "rsvp");
	assert_string_equal(answer(uid, "ann@sub.example", "DECLINED", 0,
	    "20270201T090000Z"), "rsvp_old");	/* older DTSTAMP */
	assert_string_equal(answer(uid, "eve@evil.example", "ACCEPTED", 0,
	    "20270201T100000Z"), "rsvp_unknown");
	assert_string_equal(answer("nope@example.org", "ann@sub.example",
	    "ACCEPTED", 0, "20270201T100000Z"), "rsvp_unknown");
	assert_string_equal(answer(uid, "bob@sub.example", "TENTATIVE", 0,
	    "20270201T100000Z"), "rsvp");
	assert_int_equal(store_attendee_counts(app.store, ev->id, &c), 0);
	assert_int_equal(c.invited, 2);
	assert_int_equal(c.accepted, 1);
	assert_int_equal(c.tentative, 1);
	assert_int_equal(c.declined, 0);
	/* After an update, an answer to the old version is outdated. */
	text = xasprintf("Event-Id: %s\nEvent: Hanzedag\nStart: 2027-06-13 10:00\n",
	    uid);
	fill_msg(&m, "admin@example.org", "update", text, true);
	assert_int_equal(submit(&m, T0 + 20, &outcome, &ctx), HP_OK);
	json_decref(ctx);
	assert_string_equal(answer(uid, "bob@sub.example", "DECLINED", 0,
	    "20270202T100000Z"), "rsvp_old");
	assert_string_equal(answer(uid, "bob@sub.example", "DECLINED", 1,
	    "20270202T100000Z"), "rsvp");
	/* The organiser asks who answered; a stranger may not. */
	outbox_take(NULL, NULL);
	line = xasprintf("attendees %s\n", uid);
	ctx = command("admin@example.org", line, false, T0 + DAY);
	assert_int_equal(json_array_size(json_object_get(json_array_get(
	    json_object_get(ctx, "attendees"), 0), "answers")), 2);
	outbox_take("admin@example.org", &data);
	assert_non_null(strstr(data, "2 invited, 1 accepted, 1 declined, 0 tentative"));
	assert_non_null(strstr(data, "ann@sub.example: accepted - \"Tot dan!\""));
	json_decref(ctx);
	ctx = command("eve@evil.example", line, true, T0 + DAY);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(ctx,
	    "attendees"), 0), "denied")));
	json_decref(ctx);
	/* The newsletter shows the counts. */
	up = events_upcoming_json(&app, LANG_NL, T0 + DAY);
	assert_int_equal(json_array_size(up), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(up, 0),
	    "accepted")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(up, 0),
	    "start")), "2027-06-13 10:00");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(up,
	    0), "date")), "13 juni 2027"));
	json_decref(up);
	up = events_upcoming_json(&app, LANG_NL, T0 + 400 * DAY);
	assert_int_equal(json_array_size(up), 0);
	json_decref(up);
	free(data);
	free(line);
	free(text);
	store_event_free(ev);
	free(uid);
}

static void
test_tnef_only_answer(void **state)
{
	struct msg m;
	const char *outcome = NULL;
	char *data = NULL;

	fill_msg(&m, "ann@sub.example", "Accepted: Hanzedag", "", false);
	assert_int_equal(events_handle_reply(&app, &m, T0, &outcome), HP_OK);
	assert_string_equal(outcome, "rsvp_unreadable");
	/* The office and the admin are told; the attendee hears nothing. */
	/* The admins are told (not the polled office mailbox, where the
	 * notice would be filed away unread); the attendee hears nothing. */
	assert_int_equal(outbox_peek("office@example.org"), 0);
	assert_int_equal(outbox_peek("admin@example.org"), 1);
	assert_int_equal(outbox_peek("ann@sub.example"), 0);
	assert_int_equal(outbox_take("admin@example.org", &data), 1);
	assert_non_null(strstr(data, "Auto-Submitted: auto-generated"));
	free(data);
}

static void
test_tnef_notice_text(void **state)
{
	struct msg m;
	const char *outcome = NULL;
	char *data = NULL;

	fill_msg(&m, "ann@sub.example", "Accepted: Hanzedag", "", false);
	assert_int_equal(events_handle_reply(&app, &m, T0, &outcome), HP_OK);
	assert_int_equal(outbox_take("admin@example.org", &data), 1);
	assert_non_null(strstr(data, "ann@sub.example answered an invitation"));
	assert_non_null(strstr(data, "winmail.dat"));
	free(data);
}

static void
test_bad_forms(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx, *err;
	char *data = NULL;

	fill_msg(&m, "admin@example.org", "x", "Event: Oud\nStart: 2026-06-12 10:00\n",
	    true);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_REJECT);
	err = json_array_get(json_object_get(json_object_get(ctx, "event"),
	    "errors"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(err, "text")),
	    "in the past"));
	json_decref(ctx);
	fill_msg(&m, "admin@example.org", "x",
	    "Hello,\n\nEvent: Nieuw\nStart: 2027-13-45 10:00\n", true);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_REJECT);
	err = json_array_get(json_object_get(json_object_get(ctx, "event"),
	    "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(err, "line")), 4);
	json_decref(ctx);
	fill_msg(&m, "admin@example.org", "x",
	    "Event: Nieuw\nStart: 2027-06-12 10:00\nTimezone: Mars/Olympus\n", true);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_REJECT);
	json_decref(ctx);
	assert_int_equal(outbox_take("admin@example.org", &data), 3);
	assert_non_null(strstr(data, "unknown time zone \"Mars/Olympus\""));
	free(data);
	assert_int_equal(mailings().n, 0);
}

static void
test_ics_submission(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx;
	struct store_event *ev;

	add_subscriber("ann@sub.example", true);
	fill_msg(&m, "admin@example.org", "Our event", "See the attachment.\n", true);
	m.calendar = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Google Inc//EN\n"
	    "METHOD:PUBLISH\nBEGIN:VEVENT\nUID:abc123@google.com\n"
	    "DTSTART:20270612T080000Z\nDTEND:20270612T140000Z\n"
	    "SUMMARY:Hanzedag\nLOCATION:Lübeck\nEND:VEVENT\nEND:VCALENDAR\n";
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_approved");
	ev = event("abc123@google.com");
	assert_string_equal(ev->start_local, "2027-06-12T10:00:00");
	assert_string_equal(ev->tzid, "Europe/Amsterdam");
	assert_int_equal(ev->start_utc, 1812787200);
	store_event_free(ev);
	json_decref(ctx);
	/* The same UID from someone else is a new event, not an update. */
	add_partner();
	fill_msg(&m, "anna@partner.example", "Our event", "", false);
	m.calendar = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n"
	    "UID:abc123@google.com\nDTSTART;VALUE=DATE:20270701\n"
	    "SUMMARY:Zomerfeest\nEND:VEVENT\nEND:VCALENDAR\n";
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_pending");
	assert_string_not_equal(str_at(ctx, "event.event_id"), "abc123@google.com");
	ev = event(str_at(ctx, "event.event_id"));
	assert_true(ev->all_day);
	assert_string_equal(ev->end_local, "2027-07-02");
	store_event_free(ev);
	ev = event("abc123@google.com");
	assert_string_equal(ev->summary, "Hanzedag");
	store_event_free(ev);
	json_decref(ctx);
}

static void
test_rejected_by_moderator(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx, *ctx2;
	char *data = NULL, *token, *line;
	struct store_event *ev;

	add_partner();
	fill_msg(&m, "anna@partner.example", "Concert",
	    "Event: Concert\nStart: 2027-06-12 20:00\n", false);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	token = token_of(data);
	line = xasprintf("reject %s not our kind of music\n", token);
	ctx2 = command("amb@culture.example", line, false, T0 + 60);
	ev = event(str_at(ctx, "event.event_id"));
	assert_string_equal(ev->state, "rejected");
	assert_int_equal(mailings().n, 0);
	assert_int_equal(outbox_take("anna@partner.example", &data), 1);
	assert_non_null(strstr(data, "not our kind of music"));
	free(data);
	store_event_free(ev);
	free(line);
	free(token);
	json_decref(ctx2);
	json_decref(ctx);
}

/* The organiser's update of an approved event: unverified, it waits for
 * the ambassador; verified, it goes out at once. */
static void
test_organiser_update(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx, *ctx2;
	char *data = NULL, *token, *line, *uid, *text;
	struct store_event *ev;

	add_partner();
	add_subscriber("anna@partner.example", true);
	fill_msg(&m, "anna@partner.example", "Concert", "Event: Concert\n"
	    "Start: 2027-06-12 20:00\nAudience: sector culture\n", false);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	uid = xstrdup(str_at(ctx, "event.event_id"));
	json_decref(ctx);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	token = token_of(data);
	line = xasprintf("approve %s\n", token);
	json_decref(command("amb@culture.example", line, false, T0 + 60));
	outbox_take(NULL, NULL);
	free(line);
	free(token);
	assert_int_equal(mailings().queued, 1);
	/* Unverified: held, nothing changes yet. */
	text = xasprintf("Event-Id: %s\nEvent: Concert\nStart: 2027-06-12 21:00\n"
	    "Location: Grote Kerk\n", uid);
	fill_msg(&m, "anna@partner.example", "update", text, false);
	assert_int_equal(submit(&m, T0 + 100, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_pending");
	assert_true(json_is_true(json_object_get(json_object_get(ctx, "event"),
	    "update_pending")));
	json_decref(ctx);
	ev = event(uid);
	assert_int_equal(ev->sequence, 0);
	assert_string_equal(ev->start_local, "2027-06-12T20:00:00");
	store_event_free(ev);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	assert_non_null(strstr(data, "a change to an event"));
	assert_non_null(strstr(data, "Grote Kerk"));
	token = token_of(data);
	line = xasprintf("goedkeuren %s\n", token);
	ctx2 = command("amb@culture.example", line, false, T0 + 200);
	ev = event(uid);
	assert_int_equal(ev->sequence, 1);
	assert_string_equal(ev->start_local, "2027-06-12T21:00:00");
	assert_string_equal(ev->location, "Grote Kerk");
	store_event_free(ev);
	assert_int_equal(mailings().n, 2);
	assert_int_equal(mailings().queued, 1);
	assert_int_equal(outbox_take("anna@partner.example", &data), 1);
	assert_non_null(strstr(data, "Your change to \"Concert\""));
	json_decref(ctx2);
	/* Verified (DKIM of partner.example): applied at once. */
	fill_msg(&m, "anna@partner.example", "update", text, true);
	assert_int_equal(submit(&m, T0 + 300, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_updated");
	json_decref(ctx);
	ev = event(uid);
	assert_int_equal(ev->sequence, 2);
	store_event_free(ev);
	free(data);
	free(line);
	free(token);
	free(text);
	free(uid);
}

/* A pending event replaced after the moderation mail: the old token no
 * longer approves it, the new one does. */
static void
test_pending_replaced(void **state)
{
	struct msg m;
	const char *outcome;
	json_t *ctx;
	char *data = NULL, *t1, *t2, *line, *uid, *text;
	struct store_event *ev;

	add_partner();
	fill_msg(&m, "anna@partner.example", "Concert",
	    "Event: Concert\nStart: 2027-06-12 20:00\n", false);
	assert_int_equal(submit(&m, T0, &outcome, &ctx), HP_OK);
	uid = xstrdup(str_at(ctx, "event.event_id"));
	json_decref(ctx);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	t1 = token_of(data);
	text = xasprintf("Event-Id: %s\nEvent: Gratis bier\nStart: 2027-06-12 20:00\n",
	    uid);
	fill_msg(&m, "anna@partner.example", "Concert", text, false);
	assert_int_equal(submit(&m, T0 + 10, &outcome, &ctx), HP_OK);
	assert_string_equal(outcome, "event_pending");
	json_decref(ctx);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	assert_non_null(strstr(data, "Gratis bier"));
	t2 = token_of(data);
	line = xasprintf("approve %s\n", t1);
	ctx = command("amb@culture.example", line, false, T0 + 20);
	ev = event(uid);
	assert_string_equal(ev->state, "pending");
	store_event_free(ev);
	assert_int_equal(mailings().n, 0);
	assert_int_equal(outbox_take("amb@culture.example", &data), 1);
	assert_non_null(strstr(data, "was changed after this request went out"));
	json_decref(ctx);
	free(line);
	line = xasprintf("approve %s\n", t2);
	ctx = command("amb@culture.example", line, false, T0 + 30);
	ev = event(uid);
	assert_string_equal(ev->state, "approved");
	assert_string_equal(ev->summary, "Gratis bier");
	store_event_free(ev);
	assert_int_equal(mailings().n, 1);
	json_decref(ctx);
	free(line);
	free(t1);
	free(t2);
	free(text);
	free(uid);
	free(data);
}

/* The Dutch templates render every event section. */
static void
test_templates_nl(void **state)
{
	static const char *const names[] = { "reply.txt", "moderate.txt",
	    "outcome.txt", "rsvp-unreadable.txt" };
	struct store_event ev = { .uid = "1a@example.org", .summary = "Hanzedag",
	    .location = "Lübeck", .description = "Een dag.", .tzid =
	    "Europe/Amsterdam", .start_local = "2027-06-12T10:00:00",
	    .end_local = "2027-06-13T16:00:00", .audience = "country DE",
	    .state = "approved" };
	json_t *e = events_event_json(&ev, LANG_NL), *ctx;
	char *out = NULL, err[256];

	json_object_set_new(e, "approved", json_true());
	json_object_set_new(e, "pending", json_true());
	json_object_set_new(e, "moderators", json_string("amb@culture.example"));
	json_object_set_new(e, "recipients", json_integer(3));
	json_object_set_new(e, "errors", json_pack("[{s:i,s:s}]", "line", 4,
	    "text", "fout"));
	ctx = json_pack("{s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:b,s:s}],"
	    "s:[{s:b,s:o,s:b}],s:[{s:b,s:s,s:s,s:i,s:[{s:s,s:b}]}]}",
	    "event", e, "token", "abcdef0123456789", "requester", "anna@x.example",
	    "expires", "2027-02-07", "office", "Hanze", "office_address",
	    "office@example.org", "by", "amb@x.example", "from", "ann@x.example",
	    "reason", "TNEF", "cancel", "event_id", "1a@example.org", "cancelled",
	    1, "summary", "Hanzedag", "tokens", "ok", 1, "event", json_deep_copy(e),
	    "kind_event", 1, "attendees", "answers_shown", 1, "summary", "Hanzedag",
	    "when", "12 juni", "invited", 2, "answers", "email", "ann@x.example",
	    "accepted", 1);
	for (size_t i = 0; i < HP_NELEM(names); i++) {
		if (templates_render(app.templates, LANG_NL, names[i], ctx, &out, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", names[i], err);
		if (getenv("HP_DUMP") != NULL)
			fprintf(stderr, "-----\n%s-----\n", out);
		assert_null(strstr(out, "{{"));
		free(out);
	}
	assert_int_equal(templates_render(app.templates, LANG_NL, "reply.txt", ctx,
	    &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "wacht op goedkeuring door amb@culture.example"));
	assert_non_null(strstr(out, "12 juni 2027 10:00 - 13 juni 2027 16:00"));
	assert_non_null(strstr(out, "ann@x.example: komt"));
	free(out);
	json_object_set_new(json_object_get(ctx, "event"), "has_errors", json_true());
	assert_int_equal(templates_render(app.templates, LANG_NL, "reply.txt", ctx,
	    &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "regel 4: fout"));
	assert_null(strstr(out, "wacht op goedkeuring"));
	free(out);
	json_decref(ctx);
}

/* The newsletter lists upcoming events with their answers. */
static void
test_newsletter_events(void **state)
{
	char *uid, *out = NULL, err[256];
	json_t *ctx;

	cfg.newsletter.schedule = "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0";
	add_subscriber("ann@sub.example", true);
	uid = office_event();
	assert_string_equal(answer(uid, "ann@sub.example", "ACCEPTED", 0,
	    "20270201T100000Z"), "rsvp");
	ctx = newsletter_context(&app, LANG_NL, T0 + DAY, err, sizeof(err));
	assert_non_null(ctx);
	assert_true(json_is_true(json_object_get(ctx, "has_events")));
	assert_int_equal(templates_render(app.templates, LANG_NL, "newsletter.txt",
	    ctx, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "* Hanzedag Lübeck, 12 juni 2027 10:00 - 16:00"));
	assert_non_null(strstr(out, "1 komen, 0 misschien, 0 komen niet (1 uitgenodigd)"));
	free(out);
	assert_int_equal(templates_render(app.templates, LANG_EN, "newsletter.html",
	    ctx, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "1 accepted, 0 tentative"));
	free(out);
	json_decref(ctx);
	free(uid);
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	char err[256];
	const char *file = __FILE__, *slash = strrchr(file, '/');

	memset(&cfg, 0, sizeof(cfg));
	cfg.office.name = "Hanze Internationaal";
	cfg.office.address = "office@example.org";
	cfg.office.unsubscribe_address = "office+unsubscribe@example.org";
	cfg.office.bounce_address = "office+bounce@example.org";
	cfg.office.timezone = "Europe/Amsterdam";
	cfg.office.language = LANG_EN;
	cfg.office.admins = admins;
	cfg.office.n_admins = 1;
	cfg.mailbox.trusted_authserv_id = "mx.example.org";
	cfg.limits.replies_per_hour = 100;
	cfg.limits.token_lifetime = 7 * DAY;
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	if (store_open(":memory:", &app.store, err, sizeof(err)) == -1 ||
	    country_db_load(NULL, NULL, &app.countries, err, sizeof(err)) == -1) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	templates_dir = xasprintf("%.*s/../../templates",
	    slash ? (int)(slash - file) : 1, slash ? file : ".");
	app.templates = templates_new(templates_dir);
	return 0;
}

static int
teardown(void **state)
{
	store_close(app.store);
	country_db_free(app.countries);
	templates_free(app.templates);
	if (app.psl)
		psl_free(app.psl);
	free(templates_dir);
	return 0;
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_office_submission_approved),
		T(test_partner_pending_then_approved),
		T(test_rejected_by_moderator),
		T(test_update_and_refusal),
		T(test_cancel),
		T(test_answers),
		T(test_tnef_only_answer),
		T(test_tnef_notice_text),
		T(test_bad_forms),
		T(test_ics_submission),
		T(test_organiser_update),
		T(test_pending_replaced),
		T(test_templates_nl),
		T(test_newsletter_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
