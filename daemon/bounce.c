/*
 * bounce: see bounce.h.
 *
 * Reading a bounce: the subscriber is the VERP address the bounce was
 * delivered to (our envelope sender for that one copy), else the DSN's
 * Original-Recipient (what we sent to; Final-Recipient may be where it
 * was forwarded), else its Final-Recipient.  The verdict is the
 * delivery-status part, else a guess from the plain text (qmail & co.).
 *
 * Counting a copy once: a remote server may send two DSNs for one copy
 * (and our own 5xx and a later DSN may both exist).  The copy is named
 * by its Message-ID when the bounce carries one of ours: the returned
 * copy's header (a text/rfc822-headers or message/rfc822 part, as
 * Postfix and Exchange send), Gmail's X-Original-Message-ID,
 * In-Reply-To, or the Message-ID: line of the copy in a plain-text
 * bounce; otherwise by the bounce's own Message-ID.  A second bounce for
 * the same subscriber and id within the window is logged and not
 * recorded.
 *
 * Must not: open transactions in bounce_record / bounce_handle_message
 * (they run inside the caller's), or trust any string from a bounce
 * beyond what dsn and msg already guarantee.
 */
#include "bounce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "compose.h"
#include "log.h"
#include "reply.h"
#include "templates.h"
#include "util.h"

#define BOUNCE_WEEK	((time_t)7 * 24 * 3600)
#define BOUNCE_SUMMARY_KEY	"bounce.summary_at"
#define BOUNCE_SUMMARY_TEMPLATE	"bounce-summary.txt"
#define BOUNCE_SUMMARY_MAX	200	/* lines per section of the summary */
#define BOUNCE_ID_MAX	COMPOSE_MAX_MSGID

/* ---- recording one verdict ---- */

static time_t
window_start(const struct app *app, time_t now)
{
	uint64_t w = app->cfg->limits.bounce_window;

	return w >= (uint64_t)now ? 0 : now - (time_t)w;
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

struct dup_find {
	const char *email, *message_id;
	bool found;
};

static int
dup_cb(const struct store_bounce *b, time_t at, void *arg)
{
	struct dup_find *d = arg;

	(void)at;
	if (b->message_id != NULL && strcmp(b->message_id, d->message_id) == 0 &&
	    strcasecmp(b->email, d->email) == 0) {
		d->found = true;
		return 1;
	}
	return 0;
}

/* Was a bounce of this copy (message_id) for email recorded since? */
static int
seen_before(struct app *app, const char *email, const char *message_id,
    time_t since, bool *dup)
{
	struct dup_find d = { email, message_id, false };

	*dup = false;
	if (message_id == NULL)
		return 0;
	if (store_bounce_list(app->store, since, dup_cb, &d) == -1)
		return -1;
	*dup = d.found;
	return 0;
}

static int
add_bounce(struct app *app, const char *email, const struct dsn_recipient *r,
    const char *source, const char *message_id, time_t now)
{
	/* Blaming us never counts, whatever the caller's r says. */
	struct store_bounce b = { email,
	    r->blame == DSN_BLAME_SENDER ? 0.0 : r->score, r->status,
	    dsn_blame_name(r->blame), r->diagnostic[0] ? r->diagnostic : NULL,
	    source, message_id };

	return store_bounce_add(app->store, &b, now);
}

/* After a counted bounce: disable the subscriber at the threshold. */
static int
apply_threshold(struct app *app, const char *email,
    const struct dsn_recipient *r, time_t since, time_t now)
{
	unsigned threshold = app->cfg->limits.bounce_threshold;
	double score;
	int changed;

	if (store_bounce_score(app->store, email, since, &score) == -1)
		return -1;
	log_info("bounce counted email=%s status=%s blame=%s score=%g total=%g "
	    "threshold=%u", email, r->status, dsn_blame_name(r->blame), r->score,
	    score, threshold);
	if (score < (double)threshold)
		return 0;
	if ((changed = store_subscriber_disable(app->store, email, now)) == -1)
		return -1;
	if (changed)
		log_info("bounce disabled email=%s total=%g threshold=%u window=%llus",
		    email, score, threshold,
		    (unsigned long long)app->cfg->limits.bounce_window);
	else
		log_info("bounce email=%s total=%g: not active, nothing to disable",
		    email, score);
	return 0;
}

int
bounce_record(struct app *app, const char *email,
    const struct dsn_recipient *r, const char *source,
    const char *message_id, time_t now)
{
	struct store_subscriber *s = NULL;
	time_t since = window_start(app, now);
	bool dup;
	int rc = -1, got;

	if (r->blame != DSN_BLAME_SENDER && r->score <= 0) {
		log_info("bounce not a failure email=%s status=%s action=%s: ignored",
		    email, r->status, dsn_action_name(r->action));
		return 0;
	}
	if ((got = store_subscriber_get(app->store, email, &s)) == -1)
		goto fail;
	if (got == 0) {
		log_debug("bounce email=%s status=%s: not a subscriber, ignored",
		    email, r->status);
		return 0;
	}
	if (seen_before(app, s->email, message_id, since, &dup) == -1)
		goto fail;
	if (dup) {
		log_info("bounce email=%s msgid=<%s>: this copy bounced before, "
		    "counted once", s->email, message_id);
		rc = 0;
		goto fail;
	}
	if (add_bounce(app, s->email, r, source, message_id, now) == -1)
		goto fail;
	if (r->blame == DSN_BLAME_SENDER) {
		log_warnx("bounce blames us email=%s status=%s source=%s "
		    "diagnostic=\"%s\": not counted against the subscriber; "
		    "check blocklists/SPF/DKIM", s->email, r->status, source,
		    r->diagnostic);
		rc = 0;
		goto fail;
	}
	rc = apply_threshold(app, s->email, r, since, now);
fail:
	if (rc == -1)
		log_warnx("bounce store email=%s: %s", email, store_error(app->store));
	store_subscriber_free(s);
	return rc;
}

/* ---- reading a bounce message ---- */

/* If p is "<id@domain>" with domain ours, copy id to out. */
static bool
own_id_at(const char *p, const char *domain, char *out, size_t outlen)
{
	size_t n = 0, dlen = strlen(domain);

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '<')
		return false;
	while (p[n] != '\0' && p[n] != '>' && (unsigned char)p[n] > ' ' &&
	    p[n] != '<' && n < BOUNCE_ID_MAX)
		n++;
	if (p[n] != '>' || n <= dlen + 1 || n >= outlen ||
	    p[n - dlen - 1] != '@' || strncasecmp(p + n - dlen, domain, dlen) != 0)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* The first "Message-ID: <id@ours>" (also X-Original-Message-ID:) in s. */
static bool
own_id_labelled(const char *s, const char *domain, char *out, size_t outlen)
{
	static const char label[] = "message-id:";

	for (const char *p = s; p && (p = strcasestr(p, label)) != NULL;
	    p += sizeof(label) - 1)
		if (own_id_at(p + sizeof(label) - 1, domain, out, outlen))
			return true;
	return false;
}

/* The first of our ids in a list "<a> <b>" (In-Reply-To). */
static bool
own_id_listed(const char *s, const char *domain, char *out, size_t outlen)
{
	for (const char *p = s; p && (p = strchr(p, '<')) != NULL; p++)
		if (own_id_at(p, domain, out, outlen))
			return true;
	return false;
}

/* What names the bounced copy: see the top of this file.  NULL when the
 * bounce has no Message-ID either. */
static const char *
copy_id(const struct app *app, const struct msg *m, char *out, size_t outlen)
{
	const char *at = strrchr(app->cfg->office.address, '@');
	const char *domain = at ? at + 1 : "";

	size_t n = m->returned_message_id ? strlen(m->returned_message_id) : 0;
	size_t dlen = strlen(domain);

	/* The returned copy's own header (Postfix, Exchange) says it best. */
	if (*domain != '\0' && n > dlen + 1 && n < outlen &&
	    m->returned_message_id[n - dlen - 1] == '@' &&
	    strcasecmp(m->returned_message_id + n - dlen, domain) == 0) {
		memcpy(out, m->returned_message_id, n + 1);
		return out;
	}
	if (*domain != '\0' && ((m->dsn_status &&
	    own_id_labelled(m->dsn_status, domain, out, outlen)) ||
	    (m->in_reply_to && own_id_listed(m->in_reply_to, domain, out, outlen)) ||
	    own_id_labelled(m->text, domain, out, outlen)))
		return out;
	return m->message_id;
}

/* The recipient of the report that the VERP address names, else the
 * first (one copy has one recipient; a forward may rename it). */
static const struct dsn_recipient *
verp_pick(const char *verp, const struct dsn_recipient *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i].original_recipient, verp) == 0 ||
		    strcasecmp(list[i].final_recipient, verp) == 0)
			return &list[i];
	return &list[0];
}

/* Record every verdict of the report; *named when one named anybody. */
static int
record_all(struct app *app, const char *verp,
    const struct dsn_recipient *list, size_t n, const char *mid, time_t now,
    bool *named)
{
	*named = false;
	if (*verp != '\0') {
		*named = true;
		return bounce_record(app, verp, verp_pick(verp, list, n), "dsn",
		    mid, now);
	}
	for (size_t i = 0; i < n; i++) {
		const char *addr = list[i].original_recipient[0] ?
		    list[i].original_recipient : list[i].final_recipient;
		if (*addr == '\0')
			continue;
		*named = true;
		if (bounce_record(app, addr, &list[i], "dsn", mid, now) == -1)
			return -1;
	}
	return 0;
}

enum hp_status
bounce_handle_message(struct app *app, const struct msg *m, time_t now,
    bool *understood)
{
	struct dsn_report rep = { 0 };
	struct dsn_recipient guess;
	const struct dsn_recipient *list = NULL;
	char verp[256] = "", idbuf[BOUNCE_ID_MAX + 1];
	const char *mid, *base = app->cfg->office.bounce_address;
	enum hp_status rc = HP_OK;
	size_t n = 0;

	*understood = false;
	if (base && m->delivered_to)
		(void)dsn_verp_decode(base, m->delivered_to, verp, sizeof(verp));
	if (m->dsn_status && dsn_parse(m->dsn_status, strlen(m->dsn_status),
	    &rep) == 0) {
		list = rep.rcpts;
		n = rep.n_rcpts;
	} else if (dsn_guess_from_text(m->text, strlen(m->text), &guess) == 0) {
		list = &guess;
		n = 1;
	} else {
		log_info("bounce not understood msgid=<%s>: no status code",
		    or_empty(m->message_id));
		goto fail;
	}
	mid = copy_id(app, m, idbuf, sizeof(idbuf));
	if (record_all(app, verp, list, n, mid, now, understood) == -1)
		rc = HP_RETRY;
	else if (!*understood)
		log_info("bounce not understood msgid=<%s>: names no recipient",
		    or_empty(m->message_id));
fail:
	dsn_report_clear(&rep);
	return rc;
}

/* ---- the weekly summary ---- */

struct summary {
	const char *sender_blame;	/* dsn_blame_name(DSN_BLAME_SENDER) */
	time_t since;
	json_t *bounces, *by_email, *disabled, *blamed;
	json_int_t more_bounces, more_disabled, more_blamed;
};

static void
local_date(time_t t, char *buf, size_t size)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

/* Append o to a at most BOUNCE_SUMMARY_MAX long, else count it. */
static void
append_bounded(json_t *a, json_t *o, json_int_t *more)
{
	if (json_array_size(a) < BOUNCE_SUMMARY_MAX)
		json_array_append_new(a, o);
	else {
		json_decref(o);
		(*more)++;
	}
}

static void
add_blamed(struct summary *s, const struct store_bounce *b, time_t at)
{
	char date[32];

	local_date(at, date, sizeof(date));
	append_bounded(s->blamed, json_pack("{s:s,s:s,s:s,s:s,s:s}", "at", date,
	    "email", b->email, "status", or_empty(b->status), "diagnostic",
	    or_empty(b->diagnostic), "source", b->source), &s->more_blamed);
}

/* One line per address: how often, how much, and the last reason. */
static void
add_counted(struct summary *s, const struct store_bounce *b, time_t at)
{
	char *key = hp_lower(xstrdup(b->email)), date[32];
	json_t *e = json_object_get(s->by_email, key);

	local_date(at, date, sizeof(date));
	if (e == NULL) {
		if (json_array_size(s->bounces) >= BOUNCE_SUMMARY_MAX) {
			s->more_bounces++;
			goto fail;
		}
		e = json_pack("{s:s,s:i,s:f}", "email", b->email, "count", 0,
		    "score", 0.0);
		json_object_set(s->by_email, key, e);
		json_array_append_new(s->bounces, e);
	}
	json_object_set_new(e, "count", json_integer(
	    json_integer_value(json_object_get(e, "count")) + 1));
	json_object_set_new(e, "score", json_real(
	    json_real_value(json_object_get(e, "score")) + b->score));
	json_object_set_new(e, "status", json_string(or_empty(b->status)));
	json_object_set_new(e, "diagnostic", json_string(or_empty(b->diagnostic)));
	json_object_set_new(e, "last", json_string(date));
fail:
	free(key);
}

static int
summary_bounce_cb(const struct store_bounce *b, time_t at, void *arg)
{
	struct summary *s = arg;

	if (strcmp(b->blame, s->sender_blame) == 0)
		add_blamed(s, b, at);
	else if (b->score > 0)
		add_counted(s, b, at);
	return 0;
}

static int
summary_disabled_cb(const char *email, time_t at, void *arg)
{
	struct summary *s = arg;
	char date[32];

	local_date(at, date, sizeof(date));
	append_bounded(s->disabled, json_pack("{s:s,s:s}", "email", email,
	    "at", date), &s->more_disabled);
	return 0;
}

/* Everything since `since` as a template context (NULL on a store
 * error); *news = whether there is anything to tell. */
static json_t *
summary_context(struct app *app, time_t since, time_t now, bool *news)
{
	struct summary s = { dsn_blame_name(DSN_BLAME_SENDER), since,
	    json_array(), json_object(), json_array(), json_array(), 0, 0, 0 };
	char from[32], to[32];
	json_t *ctx = NULL;

	if (store_bounce_list(app->store, since, summary_bounce_cb, &s) == -1 ||
	    store_subscribers_disabled_since(app->store, since,
	    summary_disabled_cb, &s) == -1)
		goto fail;
	local_date(since, from, sizeof(from));
	local_date(now, to, sizeof(to));
	*news = json_array_size(s.bounces) + json_array_size(s.disabled) +
	    json_array_size(s.blamed) > 0;
	ctx = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:O,s:I,s:b,s:O,s:I,s:b,s:O,s:I}",
	    "office", app->cfg->office.name ? app->cfg->office.name :
	    app->cfg->office.address, "from", from, "to", to,
	    "threshold", (json_int_t)app->cfg->limits.bounce_threshold,
	    "window_days", (json_int_t)(app->cfg->limits.bounce_window / 86400),
	    "has_bounces", json_array_size(s.bounces) > 0, "bounces", s.bounces,
	    "more_bounces", s.more_bounces,
	    "has_disabled", json_array_size(s.disabled) > 0, "disabled", s.disabled,
	    "more_disabled", s.more_disabled,
	    "has_blamed", json_array_size(s.blamed) > 0, "blamed", s.blamed,
	    "more_blamed", s.more_blamed);
fail:
	json_decref(s.bounces);
	json_decref(s.by_email);
	json_decref(s.disabled);
	json_decref(s.blamed);
	return ctx;
}

/* The summary goes to the admins as a notice (kind mailing: neither
 * counted by nor stopped by the reply rate limit). */
static int
summary_send(struct app *app, json_t *ctx, time_t now)
{
	return reply_notify_office(app, BOUNCE_SUMMARY_TEMPLATE, ctx, now) ==
	    HP_OK ? 0 : -1;
}

int
bounce_summary_tick(struct app *app, time_t now)
{
	struct store *st = app->store;
	const char *what = NULL;	/* the store step that failed */
	json_t *ctx = NULL;
	int64_t last = 0;
	bool news = false;
	int rc = -1, got;

	/* The lock first: two processes ticking at once send one summary. */
	if (store_begin(st) == -1) {
		log_warnx("bounce summary begin: %s", store_error(st));
		return -1;
	}
	if ((got = store_setting_get_int(st, BOUNCE_SUMMARY_KEY, &last)) == -1) {
		what = "setting";
		goto fail;
	}
	if (got == 1 && now - (time_t)last < BOUNCE_WEEK) {
		rc = 0;
		goto fail;
	}
	if ((ctx = summary_context(app, got == 1 ? (time_t)last :
	    now - BOUNCE_WEEK, now, &news)) == NULL) {
		what = "read";
		goto fail;
	}
	if (news && summary_send(app, ctx, now) == -1)
		goto fail;
	/* Also when there was nothing to say: the next one is a week on. */
	if (store_setting_set_int(st, BOUNCE_SUMMARY_KEY, now) == -1 ||
	    store_commit(st) == -1) {
		what = "commit";
		goto fail;
	}
	if (!news)
		log_debug("bounce summary: nothing bounced since the last one");
	rc = 0;
fail:
	if (what != NULL)
		log_warnx("bounce summary %s: %s", what, store_error(st));
	store_rollback(st);
	json_decref(ctx);
	return rc;
}
