/*
 * commands: see commands.h.
 *
 * Confirmation and moderation mails carry the token in their Subject
 * ("confirm TOKEN", "approve TOKEN"), so a plain reply completes them: the
 * form reader sees the quoted Subject as the command.  What to do once
 * authorised is kept as the original form text (payload) and planned
 * again at that moment, so a confirmation never applies a stale diff.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "addr.h"
#include "events.h"
#include "log.h"
#include "newsletter.h"
#include "registry.h"
#include "reply.h"
#include "token.h"
#include "util.h"

static void
expiry_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* Mail template to addr (one of the people who must authorise). */
static enum hp_status
mail_to(struct app *app, const char *addr, enum lang lang, const char *tpl,
    json_t *ctx, time_t now)
{
	struct reply_to to = { addr, NULL, NULL, NULL, NULL };

	return reply_send(app, &to, lang, tpl, ctx, now);
}

static json_t *
form_payload(const struct request *r)
{
	const struct msg *m = r->m;

	return json_pack("{s:s?,s:s,s:s?,s:s?,s:s?,s:s}",
	    "subject", m->subject, "text", m->text, "from", m->from_addr,
	    "from_name", m->from_name, "msgid", m->message_id,
	    "lang", model_lang_code(r->lang));
}

/* A new pending action for a form, with one mail per authoriser. */
static enum hp_status
hold_form(struct request *r, struct registry_plan *plan, json_t *res,
    bool contacts)
{
	char **who = NULL, *joined = NULL, token[TOKEN_LEN + 1], expires[64];
	size_t n = 0;
	bool is_new = plan->old == NULL;
	json_t *payload = form_payload(r), *mail = NULL;
	struct access_request req = { is_new ? "new_org" : "update", plan->name,
	    model_sector_name(plan->merged->sector), r->m->from_addr, NULL,
	    payload, r->m->message_id };
	enum hp_status rc = HP_FATAL;

	if ((is_new ? access_moderators(r->app, plan->merged->sector, &who, &n) :
	    access_confirmers(r->app, plan->old, &who, &n)) == -1) {
		rc = HP_RETRY;
		goto done;
	}
	req.authorisers = joined = access_list_join(who, n);
	if ((rc = access_pending_new(r->app, &req, r->now, token)) != HP_OK)
		goto done;
	expiry_text(r->now + (time_t)r->app->cfg->limits.token_lifetime, expires,
	    sizeof(expires));
	mail = registry_plan_json(plan, r->lang, true);
	json_object_set_new(mail, "token", json_string(token));
	json_object_set_new(mail, "requester", json_string(r->m->from_addr));
	json_object_set_new(mail, "expires", json_string(expires));
	json_object_set_new(mail, "sector", json_string(req.sector ? req.sector : ""));
	for (size_t i = 0; i < n && rc == HP_OK; i++)
		rc = mail_to(r->app, who[i], r->lang, is_new ? "moderate.txt" :
		    "confirm.txt", mail, r->now);
	/* Who was asked is told only to those who may see contact persons. */
	json_object_set_new(res, "pending", json_pack("{s:s?,s:b}", "authorisers",
	    contacts || is_new ? joined : NULL, "moderation", is_new));
	json_object_set_new(res, "changed", json_false());
done:
	json_decref(mail);
	json_decref(payload);
	free(joined);
	access_list_free(who, n);
	return rc;
}

/* SPEC §4: who may apply a planned change at once. */
static enum hp_status
may_apply(struct request *r, const struct registry_plan *plan, bool *ok)
{
	bool office = false;

	*ok = false;
	if (!r->authenticated)
		return HP_OK;
	if (access_is_office(r->app, r->m->from_addr, &office) == -1)
		return HP_RETRY;
	*ok = office || (plan->old && access_is_contact(plan->old, r->m->from_addr));
	return HP_OK;
}

enum hp_status
commands_form(struct request *r, const char **outcome)
{
	struct registry_plan plan;
	json_t *res = NULL;
	enum hp_status rc;
	bool ok = false, contacts = false;

	*outcome = "rejected";
	if ((rc = registry_plan_form(r->app, r->m, r->f, &plan)) != HP_OK)
		goto done;
	if (access_may_see_contacts(r->app, r->m->from_addr, &contacts) == -1) {
		rc = HP_RETRY;
		goto done;
	}
	/* A new entry's contacts come from the sender's own form. */
	contacts |= plan.old == NULL;
	if (plan.failed || plan.changes.n == 0) {
		json_object_set_new(r->ctx, "form", registry_plan_json(&plan, r->lang,
		    contacts));
		*outcome = plan.failed ? "rejected" : "unchanged";
		rc = plan.failed ? HP_REJECT : HP_OK;
		goto done;
	}
	if ((rc = may_apply(r, &plan, &ok)) != HP_OK)
		goto done;
	if (ok) {
		rc = registry_commit(r->app, &plan, r->m->from_addr, r->m->message_id, r->now);
		*outcome = "applied";
		json_object_set_new(r->ctx, "form", registry_plan_json(&plan, r->lang,
		    true));
		goto done;
	}
	res = registry_plan_json(&plan, r->lang, contacts);
	if ((rc = hold_form(r, &plan, res, contacts)) == HP_OK) {
		*outcome = "pending";
		json_object_set(r->ctx, "form", res);
	}
done:
	json_decref(res);
	registry_plan_clear(&plan);
	return rc;
}

/* ---- confirm / approve / reject ---- */

static enum lang
payload_lang(json_t *payload)
{
	const char *l = json_string_value(json_object_get(payload, "lang"));

	return l && strcmp(l, "en") == 0 ? LANG_EN : LANG_NL;
}

/* Tell the person who asked what became of it. */
static enum hp_status
tell_requester(struct request *r, const struct store_pending *p, json_t *payload,
    json_t *outcome)
{
	struct reply_to to = { p->requester,
	    json_string_value(json_object_get(payload, "from_name")),
	    json_string_value(json_object_get(payload, "subject")),
	    p->source_msgid, NULL };

	return reply_send(r->app, &to, payload_lang(payload), "outcome.txt",
	    outcome, r->now);
}

/* Plan the held form again and write it, on behalf of the requester. */
static enum hp_status
apply_held_form(struct request *r, const struct store_pending *p, json_t *payload,
    json_t *outcome)
{
	struct msg held = { 0 };
	struct registry_plan plan;
	struct form *f;
	enum lang lang;
	char *actor;
	enum hp_status rc;

	held.from_addr = (char *)p->requester;
	held.from_name = (char *)json_string_value(json_object_get(payload, "from_name"));
	held.subject = (char *)json_string_value(json_object_get(payload, "subject"));
	held.text = (char *)json_string_value(json_object_get(payload, "text"));
	held.message_id = p->source_msgid;
	if (held.text == NULL)
		held.text = "";
	lang = payload_lang(payload);
	f = form_read(held.subject, held.text, strlen(held.text), lang, r->app->countries);
	actor = xasprintf("%s (confirmed by %s)", p->requester, r->m->from_addr);
	rc = registry_plan_form(r->app, &held, f, &plan);
	/* What was authorised must still be what happens: an approved new
	 * organisation must not overwrite one created meanwhile, and a
	 * confirmed update must not re-create a removed one unmoderated. */
	if (rc == HP_OK && !plan.failed && (strcmp(p->kind, "new_org") == 0) !=
	    (plan.old == NULL)) {
		json_object_set_new(outcome, plan.old ? "conflict_exists" :
		    "conflict_gone", json_true());
		log_warnx("commands pending=%lld kind=%s org=\"%s\": the registry changed "
		    "meanwhile; not applied", (long long)p->id, p->kind,
		    p->org_name ? p->org_name : "");
	} else if (rc == HP_OK) {
		if (!plan.failed)
			rc = registry_commit(r->app, &plan, actor, p->source_msgid, r->now);
		bool contacts = plan.old == NULL;
		if (rc == HP_OK && !contacts &&
		    access_may_see_contacts(r->app, p->requester, &contacts) == -1)
			rc = HP_RETRY;
		if (rc == HP_OK)
			json_object_set_new(outcome, "form", registry_plan_json(&plan,
			    lang, contacts));
	}
	registry_plan_clear(&plan);
	form_free(f);
	free(actor);
	return rc;
}

static enum hp_status
remove_org(struct request *r, const struct store_pending *p, json_t *outcome)
{
	char *actor = xasprintf("%s (confirmed by %s)", p->requester, r->m->from_addr);
	int found = store_org_delete(r->app->store, p->org_name, actor,
	    r->m->message_id, r->now);

	free(actor);
	if (found == -1) {
		log_warnx("commands remove: %s", store_error(r->app->store));
		return store_error_is_temporary(r->app->store) ? HP_RETRY : HP_FATAL;
	}
	json_object_set_new(outcome, "removed", json_boolean(found == 1));
	if (found == 1)
		log_info("registry removed org=\"%s\" by=%s", p->org_name, r->m->from_addr);
	return HP_OK;
}

/* Double opt-in completed: record the consent and welcome the subscriber. */
static enum hp_status
subscribe_confirmed(struct request *r, const struct store_pending *p,
    json_t *payload, json_t *item)
{
	struct store_subscriber *old = NULL, s = { 0 };
	char unsub[TOKEN_LEN + 1], addr[512];
	int found = store_subscriber_get(r->app->store, p->requester, &old);
	enum hp_status rc = HP_OK;

	if (found == -1 || (rc = access_new_token(unsub) == -1 ? HP_RETRY : HP_OK) != HP_OK)
		goto done;
	s.email = (char *)p->requester;
	s.name = (char *)json_string_value(json_object_get(payload, "from_name"));
	s.lang = (char *)json_string_value(json_object_get(payload, "lang"));
	s.status = "active";
	s.newsletter = json_is_true(json_object_get(payload, "newsletter")) ||
	    (old && old->newsletter && strcmp(old->status, "active") == 0);
	s.events = json_is_true(json_object_get(payload, "events")) ||
	    (old && old->events && strcmp(old->status, "active") == 0);
	s.consent_at = r->now;
	s.consent_source_msgid = p->source_msgid;
	s.consent_confirm_msgid = r->m->message_id;
	s.unsub_token = old && old->unsub_token ? old->unsub_token : unsub;
	if (store_subscriber_put(r->app->store, &s, r->now) == -1) {
		found = -1;
		goto done;
	}
	log_info("subscribers confirmed email=%s newsletter=%d events=%d", s.email,
	    s.newsletter, s.events);
	/* "" when no unsubscribe address is configured (never in practice). */
	newsletter_unsubscribe_address(r->app, s.unsub_token, addr, sizeof(addr));
	json_object_set_new(item, "welcome", json_pack("{s:b,s:b,s:s}", "newsletter",
	    s.newsletter, "events", s.events, "unsubscribe_address", addr));
done:
	if (found == -1)
		rc = store_error_is_temporary(r->app->store) ? HP_RETRY : HP_FATAL;
	store_subscriber_free(old);
	return rc;
}

static const char *
after_token(const char *args, const char *token)
{
	const char *p = strcasestr(args, token);

	if (p == NULL)
		return NULL;
	p += TOKEN_LEN;
	while (*p == ' ' || *p == '\t' || *p == ':' || *p == '-')
		p++;
	return *p ? p : NULL;
}

/* Carry out an authorised action; the requester hears the outcome. */
static enum hp_status
execute_pending(struct request *r, const struct store_pending *p, bool reject,
    const char *reason, json_t *item)
{
	json_error_t jerr;
	json_t *payload = json_loads(p->payload, 0, &jerr), *outcome;
	enum hp_status rc = HP_OK;

	if (payload == NULL) {
		log_warnx("commands pending=%lld has a broken payload: %s",
		    (long long)p->id, jerr.text);
		return HP_OK;
	}
	outcome = json_pack("{s:s?,s:b,s:s?,s:s}", "org", p->org_name,
	    "rejected", reject, "reason", reason, "by", r->m->from_addr);
	json_object_set_new(outcome, "kind_remove", json_boolean(!strcmp(p->kind, "remove")));
	if (strcmp(p->kind, "subscribe") == 0)
		rc = reject ? HP_OK : subscribe_confirmed(r, p, payload, item);
	else if (strcmp(p->kind, "event") == 0) {
		rc = events_decide(r->app, p, reject, r->m->from_addr, r->now, outcome);
		/* The moderator hears what became of it too. */
		json_object_set(item, "event", json_object_get(outcome, "event"));
		if (rc == HP_OK)
			rc = tell_requester(r, p, payload, outcome);
	} else {
		if (!reject && strcmp(p->kind, "remove") == 0)
			rc = remove_org(r, p, outcome);
		else if (!reject)
			rc = apply_held_form(r, p, payload, outcome);
		if (rc == HP_OK)
			rc = tell_requester(r, p, payload, outcome);
	}
	json_decref(outcome);
	json_decref(payload);
	return rc;
}

static const char *const token_results[] = {
	[ACCESS_TOKEN_OK] = "ok", [ACCESS_TOKEN_UNKNOWN] = "unknown",
	[ACCESS_TOKEN_EXPIRED] = "expired", [ACCESS_TOKEN_USED] = "used",
};

/* confirm / approve / reject TOKEN [REASON] */
static enum hp_status
run_token_command(struct request *r, const struct form_command *cmd, json_t *list)
{
	char token[TOKEN_LEN + 1];
	bool reject = cmd->cmd == FORM_CMD_REJECT;
	struct store_pending *p = NULL;
	enum access_token result = ACCESS_TOKEN_UNKNOWN;
	json_t *item = json_object();
	enum hp_status rc = HP_OK;

	json_array_append_new(list, item);
	if (cmd->args == NULL || token_find(cmd->args, token) == -1) {
		json_object_set_new(item, "unknown", json_true());
		return HP_OK;
	}
	rc = access_pending_take(r->app, token, reject ? "rejected" : "done",
	    r->m->from_addr, r->m->message_id, r->now, &p, &result);
	if (rc == HP_OK && result == ACCESS_TOKEN_OK)
		rc = execute_pending(r, p, reject, after_token(cmd->args, token), item);
	json_object_set_new(item, token_results[result], json_true());
	json_object_set_new(item, "rejected", json_boolean(reject));
	if (p) {
		json_object_set_new(item, "org", p->org_name ? json_string(p->org_name) : json_null());
		char *key = xasprintf("kind_%s", p->kind);
		json_object_set_new(item, key, json_true());
		free(key);
	}
	store_pending_free(p);
	return rc;
}

/* ---- subscriptions ---- */

static void
parse_lists(const char *args, bool *newsletter, bool *events, enum lang *lang)
{
	char *copy = xstrdup(args ? args : ""), *save = NULL;

	*newsletter = *events = false;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (!strcasecmp(w, "newsletter") || !strcasecmp(w, "nieuwsbrief"))
			*newsletter = true;
		else if (!strcasecmp(w, "events") || !strcasecmp(w, "evenementen"))
			*events = true;
		else if (!strcasecmp(w, "nl") || !strcasecmp(w, "en"))
			*lang = strcasecmp(w, "en") == 0 ? LANG_EN : LANG_NL;
	}
	if (!*newsletter && !*events)
		*newsletter = *events = true;
	free(copy);
}

/* Double opt-in: the confirmation is this reply, to the From address. */
static enum hp_status
run_subscribe(struct request *r, const struct form_command *cmd)
{
	bool newsletter, events;
	enum lang lang = r->lang;
	char token[TOKEN_LEN + 1], expires[64], *subject;
	json_t *payload;
	struct access_request req = { "subscribe", NULL, NULL, r->m->from_addr,
	    r->m->from_addr, NULL, r->m->message_id };
	enum hp_status rc;

	if (json_object_get(r->ctx, "subscribe"))
		return HP_OK;	/* one confirmation per message */
	parse_lists(cmd->args, &newsletter, &events, &lang);
	payload = json_pack("{s:b,s:b,s:s,s:s?}", "newsletter", newsletter,
	    "events", events, "lang", model_lang_code(lang), "from_name", r->m->from_name);
	req.payload = payload;
	rc = access_pending_new(r->app, &req, r->now, token);
	json_decref(payload);
	if (rc != HP_OK)
		return rc;
	expiry_text(r->now + (time_t)r->app->cfg->limits.token_lifetime, expires,
	    sizeof(expires));
	json_object_set_new(r->ctx, "subscribe", json_pack("{s:s,s:s,s:b,s:b}",
	    "token", token, "expires", expires, "newsletter", newsletter,
	    "events", events));
	subject = xasprintf("confirm %s", token);
	json_object_set_new(r->ctx, "subject_override", json_string(subject));
	free(subject);
	return HP_OK;
}

static enum hp_status
run_unsubscribe(struct request *r, const struct form_command *cmd)
{
	bool newsletter, events;
	enum lang ignored = r->lang;
	int changed;

	parse_lists(cmd->args, &newsletter, &events, &ignored);
	changed = store_subscriber_unsubscribe(r->app->store, r->m->from_addr,
	    newsletter, events, r->now);
	if (changed == -1)
		return store_error_is_temporary(r->app->store) ? HP_RETRY : HP_FATAL;
	if (changed)
		log_info("subscribers unsubscribed email=%s", r->m->from_addr);
	json_object_set_new(r->ctx, "unsubscribe", json_pack("{s:b,s:b}", "done",
	    changed == 1, "not_subscribed", changed == 0));
	return HP_OK;
}

enum hp_status
commands_unsubscribe_address(struct app *app, const struct msg *m,
    const char *to_addr, bool answer, time_t now, bool *handled)
{
	const char *base = app->cfg->office.unsubscribe_address, *at, *tat;
	struct store_subscriber *s = NULL;
	char token[TOKEN_LEN + 1];
	size_t local;
	int found, changed = 0;
	enum hp_status rc = HP_OK;

	*handled = false;
	if (base == NULL || to_addr == NULL || (at = strrchr(base, '@')) == NULL ||
	    (tat = strrchr(to_addr, '@')) == NULL || strcasecmp(at, tat) != 0)
		return HP_OK;
	local = (size_t)(at - base);
	if ((size_t)(tat - to_addr) != local + 1 + TOKEN_LEN ||
	    strncasecmp(to_addr, base, local) != 0 || to_addr[local] != '-')
		return HP_OK;
	memcpy(token, to_addr + local + 1, TOKEN_LEN);
	token[TOKEN_LEN] = '\0';
	if (!token_valid(token))
		return HP_OK;
	*handled = true;
	hp_lower(token);
	if ((found = store_subscriber_by_token(app->store, token, &s)) == -1)
		return store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
	if (found && (changed = store_subscriber_unsubscribe(app->store, s->email,
	    true, true, now)) == -1)
		rc = store_error_is_temporary(app->store) ? HP_RETRY : HP_FATAL;
	else if (found && changed == 1 && answer) {
		struct reply_to to = { s->email, s->name, m->subject, m->message_id, NULL };
		json_t *ctx = json_pack("{s:{s:b}}", "unsubscribe", "done", 1);
		log_info("subscribers unsubscribed email=%s via=address", s->email);
		rc = reply_send(app, &to, strcmp(s->lang, "en") == 0 ? LANG_EN : LANG_NL,
		    "reply.txt", ctx, now);
		json_decref(ctx);
	} else if (!found)
		log_info("subscribers unknown unsubscribe token to=%s", to_addr);
	store_subscriber_free(s);
	return rc;
}

/* ---- query ---- */

#define QUERY_MAX_RESULTS 50

struct query {
	const char *country;	/* alpha-2, borrowed from the country db */
	enum sector sector;
	enum activity_kind kind;
	bool internships;
	char *text;		/* lower-cased */
	bool bad;
};

static void
parse_query(struct request *r, const char *args, struct query *q)
{
	char *copy = xstrdup(args ? args : ""), *save = NULL;

	memset(q, 0, sizeof(*q));
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');
		if (eq == NULL) {
			q->bad = true;
			continue;
		}
		*eq++ = '\0';
		if (!strcasecmp(w, "country") || !strcasecmp(w, "land"))
			q->bad |= (q->country = country_lookup(r->app->countries, eq)) == NULL;
		else if (!strcasecmp(w, "sector"))
			q->bad |= (q->sector = model_sector_parse(eq)) == SECTOR_NONE;
		else if (!strcasecmp(w, "kind") || !strcasecmp(w, "soort"))
			q->bad |= (q->kind = model_kind_parse(eq)) == KIND_NONE;
		else if (!strcasecmp(w, "internships") || !strcasecmp(w, "stages"))
			q->internships = true;
		else if (!strcasecmp(w, "text") || !strcasecmp(w, "tekst")) {
			free(q->text);
			q->text = hp_lower(xstrdup(eq));
		} else
			q->bad = true;
	}
	free(copy);
}

static bool
contains_ci(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

static bool
query_match(const struct query *q, const struct org *o)
{
	bool country = q->country == NULL, kind = q->kind == KIND_NONE;
	bool text = q->text == NULL || contains_ci(o->name, q->text) ||
	    contains_ci(o->description, q->text);

	for (size_t i = 0; i < o->n_activities; i++) {
		const struct activity *a = &o->activities[i];
		country |= q->country && strcmp(a->country, q->country) == 0;
		kind |= a->kind == q->kind;
		text |= q->text && (contains_ci(a->city, q->text) || contains_ci(a->note, q->text));
	}
	return country && kind && text &&
	    (q->sector == SECTOR_NONE || o->sector == q->sector) &&
	    (!q->internships || o->internships != NULL);
}

static json_t *
query_row(const struct org *o, bool with_contacts)
{
	struct buf countries;
	json_t *row;

	buf_init(&countries, 0);
	for (size_t i = 0; i < o->n_activities; i++)
		if (countries.data == NULL || !strstr(countries.data, o->activities[i].country))
			buf_printf(&countries, "%s%s", countries.len ? ", " : "",
			    o->activities[i].country);
	row = json_pack("{s:s,s:s?,s:s,s:s?}", "name", o->name, "sector",
	    model_sector_name(o->sector), "countries", countries.data ? countries.data : "",
	    "website", o->website);
	if (with_contacts && o->n_contacts > 0) {
		struct buf c;
		buf_init(&c, 0);
		for (size_t i = 0; i < o->n_contacts; i++) {
			char *t = entry_contact_text(&o->contacts[i]);
			buf_printf(&c, "%s%s", i ? ", " : "", t);
			free(t);
		}
		json_object_set_new(row, "contacts", json_string(c.data));
		buf_free(&c);
	}
	buf_free(&countries);
	return row;
}

static enum hp_status
run_query(struct request *r, const struct form_command *cmd)
{
	struct query q;
	struct org **orgs = NULL;
	size_t n = 0, hits = 0;
	json_t *rows = json_array();
	bool contacts = false;
	enum hp_status rc = HP_OK;

	parse_query(r, cmd->args, &q);
	if (access_may_see_contacts(r->app, r->m->from_addr, &contacts) == -1) {
		rc = HP_RETRY;
		goto done;
	}
	if (store_org_list(r->app->store, &orgs, &n) == -1) {
		log_warnx("commands query: %s", store_error(r->app->store));
		rc = store_error_is_temporary(r->app->store) ? HP_RETRY : HP_FATAL;
		goto done;
	}
	for (size_t i = 0; i < n && !q.bad; i++)
		if (query_match(&q, orgs[i]) && hits++ < QUERY_MAX_RESULTS)
			json_array_append_new(rows, query_row(orgs[i], contacts));
	json_object_set_new(r->ctx, "query", json_pack("{s:s,s:O,s:b,s:b,s:b}",
	    "terms", cmd->args ? cmd->args : "", "results", rows, "none",
	    hits == 0 && !q.bad, "bad", q.bad, "truncated", hits > QUERY_MAX_RESULTS));
done:
	store_orgs_free(orgs, n);
	json_decref(rows);
	free(q.text);
	return rc;
}

/* ---- remove ---- */

static enum hp_status
run_remove(struct request *r, const struct form_command *cmd)
{
	struct org *o = NULL;
	char **who = NULL, *joined = NULL, token[TOKEN_LEN + 1], expires[64];
	size_t n = 0;
	json_t *payload = NULL, *mail = NULL;
	int found;
	bool visible = false;
	enum hp_status rc = HP_OK;

	if (cmd->args == NULL ||
	    (found = store_org_get(r->app->store, cmd->args, &o)) == 0) {
		json_object_set_new(r->ctx, "remove", json_pack("{s:b,s:s?}",
		    "missing", 1, "name", cmd->args));
		return HP_OK;
	}
	if (found == -1 || access_confirmers(r->app, o, &who, &n) == -1) {
		log_warnx("commands remove \"%s\": %s", cmd->args, store_error(r->app->store));
		rc = store_error_is_temporary(r->app->store) ? HP_RETRY : HP_FATAL;
		goto done;
	}
	joined = access_list_join(who, n);
	payload = json_pack("{s:s?,s:s,s:s}", "from_name", r->m->from_name,
	    "subject", r->m->subject ? r->m->subject : "", "lang", model_lang_code(r->lang));
	{
		struct access_request req = { "remove", o->name, model_sector_name(o->sector),
		    r->m->from_addr, joined, payload, r->m->message_id };
		if ((rc = access_pending_new(r->app, &req, r->now, token)) != HP_OK)
			goto done;
	}
	expiry_text(r->now + (time_t)r->app->cfg->limits.token_lifetime, expires,
	    sizeof(expires));
	mail = json_pack("{s:s,s:s,s:s,s:s,s:b}", "token", token, "requester",
	    r->m->from_addr, "expires", expires, "org", o->name, "kind_remove", 1);
	for (size_t i = 0; i < n && rc == HP_OK; i++)
		rc = mail_to(r->app, who[i], r->lang, "confirm.txt", mail, r->now);
	if (access_may_see_contacts(r->app, r->m->from_addr, &visible) == -1)
		rc = HP_RETRY;
	json_object_set_new(r->ctx, "remove", json_pack("{s:s,s:s?}", "org", o->name,
	    "authorisers", visible ? joined : NULL));
done:
	json_decref(mail);
	json_decref(payload);
	free(joined);
	access_list_free(who, n);
	org_free(o);
	return rc;
}

/* ---- dispatch ---- */

enum hp_status
commands_run(struct request *r)
{
	json_t *shown = json_array(), *not_found = json_array();
	json_t *unavailable = json_array(), *tokens = json_array();
	json_t *cancels = json_array(), *attendees = json_array();
	enum hp_status rc = HP_OK;
	bool help = false;

	for (size_t i = 0; i < r->f->n_commands && rc == HP_OK; i++) {
		const struct form_command *cmd = &r->f->commands[i];
		switch (cmd->cmd) {
		case FORM_CMD_HELP:
			help = true;
			break;
		case FORM_CMD_SHOW:
			rc = registry_show(r->app, cmd->args, r->m->from_addr, r->lang,
			    shown, not_found);
			break;
		case FORM_CMD_CONFIRM:
		case FORM_CMD_APPROVE:
		case FORM_CMD_REJECT:
			rc = run_token_command(r, cmd, tokens);
			break;
		case FORM_CMD_SUBSCRIBE:
			rc = run_subscribe(r, cmd);
			break;
		case FORM_CMD_UNSUBSCRIBE:
			rc = run_unsubscribe(r, cmd);
			break;
		case FORM_CMD_QUERY:
			rc = run_query(r, cmd);
			break;
		case FORM_CMD_REMOVE:
			rc = run_remove(r, cmd);
			break;
		case FORM_CMD_PREVIEW:
			rc = commands_preview(r);
			break;
		case FORM_CMD_CANCEL:
		case FORM_CMD_ATTENDEES: {
			json_t *item = json_object();
			json_array_append_new(cmd->cmd == FORM_CMD_CANCEL ? cancels :
			    attendees, item);
			rc = cmd->cmd == FORM_CMD_CANCEL ? events_cancel(r, cmd->args,
			    item) : events_attendees(r, cmd->args, item);
			break;
		}
		}
	}
	json_object_set_new(r->ctx, "help", json_boolean(help));
	json_object_set_new(r->ctx, "shown", shown);
	json_object_set_new(r->ctx, "not_found", not_found);
	json_object_set_new(r->ctx, "unavailable", unavailable);
	json_object_set_new(r->ctx, "tokens", tokens);
	json_object_set_new(r->ctx, "cancel", cancels);
	json_object_set_new(r->ctx, "attendees", attendees);
	return rc;
}
