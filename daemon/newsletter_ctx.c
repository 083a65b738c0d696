/*
 * newsletter_ctx: the template context of the next issue (newsletter.h),
 * read from the store; and the issue's dates and labels in the office's
 * zone.  Reads only: never writes to the store, renders nothing.
 *
 * The context (one per language; every key is also listed at the top of
 * templates/LANG/newsletter.txt):
 *   issue              {label, date, lang}: label "2027-01" (the slot's
 *                      label, see sched_issue_label; "2027-01-15 10:22
 *                      (manual)" for a manual issue), date the localised
 *                      long date in [office] timezone ("4 januari 2027"),
 *                      lang "nl" / "en"
 *   intro              {html, text}: the office's Markdown introduction,
 *                      as HTML (libcmark, safe mode) and as plain text;
 *                      absent when there is none
 *   new_organisations  [{name, sector, website, description, countries,
 *                      countries_text}] created since the last issue and
 *                      still in the registry; sector localised or null,
 *                      website/description null when absent, countries
 *                      the localised names of the countries it is active
 *                      in (form order, once each), countries_text the
 *                      same joined with ", "
 *   changed_activities [{organisation, country, city, kind, change, added,
 *                      removed}] of organisations that existed before
 *                      since the last issue (an addition undone in the
 *                      same period is left out); country the localised
 *                      name, city and kind (localised) null when absent,
 *                      change "added" or "removed", added/removed the
 *                      same as booleans for the templates
 *   countries          [{code, name, count}]: where the network is
 *                      active, count = organisations active there, by
 *                      count (descending) then name
 *   internships        [{organisation, internships}] by organisation
 *   events             [{summary, start, end, date, location, event_id,
 *                      accepted, declined, tentative, invited}]: the
 *                      approved events not over yet, by start
 *                      (events_upcoming_json); date is the localised
 *                      "when" text
 *   has_intro, has_new_organisations, has_changed_activities,
 *   has_countries, has_internships, has_events: booleans
 *   office             {name, address}: the office's display name (its
 *                      address when it has none) and address
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "buf.h"
#include "events.h"
#include "newsletter.h"
#include "newsletter_int.h"
#include "sched.h"
#include "textconv.h"
#include "util.h"

int
newsletter_local_time(const struct app *app, time_t t, struct tm *tm,
    int *offset_min)
{
	return sched_local_time(app->cfg->office.timezone, t, tm, offset_min);
}

int
newsletter_issue_label(const struct app *app, time_t slot, time_t now,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct tm tm;

	if (slot != 0)
		return sched_issue_label(app->cfg->newsletter.schedule,
		    app->cfg->office.timezone, slot, out, outlen, err, errlen);
	newsletter_local_time(app, now, &tm, NULL);
	if ((size_t)snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d (manual)",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min) >= outlen)
		return hp_errf(err, errlen, "issue label does not fit");
	return 0;
}

/* The label the next issue would get: the next slot's, else a manual one. */
static json_t *
issue_json(struct app *app, enum lang lang, time_t now)
{
	char label[NEWSLETTER_LABEL_MAX], date[64];
	time_t next = 0;
	struct tm tm;

	if (sched_next(app->cfg->newsletter.schedule, app->cfg->office.timezone,
	    now, &next, NULL, 0) != 0)
		next = 0;
	if (newsletter_issue_label(app, next, now, label, sizeof(label), NULL,
	    0) == -1)
		newsletter_issue_label(app, 0, now, label, sizeof(label), NULL, 0);
	newsletter_local_time(app, now, &tm, NULL);
	/* "4 januari 2027", "4 January 2027": the same order in both. */
	snprintf(date, sizeof(date), "%d %s %d", tm.tm_mday,
	    model_month_name(tm.tm_mon + 1, lang), tm.tm_year + 1900);
	return json_pack("{s:s,s:s,s:s}", "label", label, "date", date, "lang",
	    model_lang_code(lang));
}

/* "...\n\n" -> "...": the templates place their own blank lines. */
static char *
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

static int
add_intro(struct app *app, json_t *ctx, char *err, size_t errlen)
{
	char *md = NULL, *author = NULL, *html = NULL, *text = NULL;
	time_t at;
	int found = store_intro_get(app->store, &md, &author, &at), rc = -1;

	if (found == -1) {
		hp_errf(err, errlen, "intro: %s", store_error(app->store));
		goto fail;
	}
	if (found == 1) {
		html = textconv_markdown_to_html(md, strlen(md));
		text = html ? textconv_html_to_text(html, strlen(html)) : NULL;
		if (html == NULL || text == NULL) {
			hp_errf(err, errlen, "intro: out of memory");
			goto fail;
		}
		json_object_set_new(ctx, "intro", json_pack("{s:s,s:s}", "html",
		    chomp(html), "text", chomp(text)));
	}
	json_object_set_new(ctx, "has_intro", json_boolean(found == 1));
	rc = 0;
fail:
	free(md);
	free(author);
	free(html);
	free(text);
	return rc;
}

static int
org_cmp_name(const void *key, const void *elem)
{
	return strcasecmp(key, (*(struct org *const *)elem)->name);
}

/* The organisation named name in the sorted list, or NULL. */
static const struct org *
org_find(struct org **orgs, size_t n, const char *name)
{
	struct org **o;

	if (name == NULL || n == 0)
		return NULL;
	o = bsearch(name, orgs, n, sizeof(*orgs), org_cmp_name);
	return o ? *o : NULL;
}

/* What the changelog says since the last issue. */
struct walk {
	json_t *created;	/* names of new organisations, in order */
	json_t *activities;	/* [{org, text, added}] not undone */
};

static bool
json_str_eq(json_t *obj, const char *key, const char *s)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v && s && strcasecmp(v, s) == 0;
}

static void
walk_created(struct walk *w, const char *org, const char *old_value,
    const char *new_value)
{
	size_t i;
	json_t *v;

	json_array_foreach(w->created, i, v)
		if (strcasecmp(json_string_value(v), org) == 0) {
			if (new_value == NULL)	/* created, then removed again */
				json_array_remove(w->created, i);
			return;
		}
	if (old_value == NULL && new_value != NULL)
		json_array_append_new(w->created, json_string(new_value));
}

/* An activity change; one that undoes an earlier one cancels both. */
static void
walk_activity(struct walk *w, const char *org, const char *text, bool added)
{
	size_t i;
	json_t *v;

	json_array_foreach(w->activities, i, v)
		if (json_str_eq(v, "org", org) && json_str_eq(v, "text", text) &&
		    json_is_true(json_object_get(v, "added")) != added) {
			json_array_remove(w->activities, i);
			return;
		}
	json_array_append_new(w->activities, json_pack("{s:s,s:s,s:b}", "org",
	    org, "text", text, "added", added));
}

static int
walk_cb(const char *org, const char *field, const char *old_value,
    const char *new_value, const char *actor, const char *message_id,
    time_t at, void *arg)
{
	struct walk *w = arg;

	if (org == NULL || field == NULL)
		return 0;
	if (strcmp(field, "organisation") == 0)
		walk_created(w, org, old_value, new_value);
	else if (strcmp(field, "activity") == 0 && (old_value == NULL) !=
	    (new_value == NULL))
		walk_activity(w, org, old_value ? old_value : new_value,
		    new_value != NULL);
	return 0;
}

static const char *
country_label(struct app *app, const char *code, enum lang lang)
{
	const char *name = country_name(app->countries, code, lang);

	return name ? name : code;
}

static json_t *
new_org_json(struct app *app, const struct org *o, enum lang lang)
{
	json_t *countries = json_array();
	struct buf text;

	buf_init(&text, 0);
	for (size_t i = 0; i < o->n_activities; i++) {
		const char *c = o->activities[i].country;
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= strcmp(o->activities[k].country, c) == 0;
		if (seen)
			continue;
		json_array_append_new(countries, json_string(country_label(app,
		    c, lang)));
		buf_printf(&text, "%s%s", text.len ? ", " : "",
		    country_label(app, c, lang));
	}
	json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:o,s:s}", "name", o->name,
	    "sector", model_sector_label(o->sector, lang), "website", o->website,
	    "description", o->description, "countries", countries,
	    "countries_text", text.data ? text.data : "");
	buf_free(&text);
	return j;
}

/* "DE, Lübeck; trade; note" (entry_activity_text in English) as an item. */
static json_t *
activity_json(struct app *app, const char *org, const char *text, bool added,
    enum lang lang)
{
	char *copy = xstrdup(text), *kind = strchr(copy, ';'), *city;
	const char *kind_name = NULL;
	json_t *j;

	if (kind != NULL) {
		*kind++ = '\0';
		kind[strcspn(kind, ";")] = '\0';
		kind_name = model_kind_name_lang(model_kind_parse(hp_trim(kind)),
		    lang);
	}
	if ((city = strchr(copy, ',')) != NULL) {
		*city++ = '\0';
		city = hp_trim(city);
	}
	j = json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:b,s:b}", "organisation", org,
	    "country", country_label(app, hp_trim(copy), lang), "city",
	    city && *city ? city : NULL, "kind", kind_name && *kind_name ?
	    kind_name : NULL, "change", added ? "added" : "removed", "added",
	    added, "removed", !added);
	free(copy);
	return j;
}

static void
add_changes(struct app *app, struct walk *w, struct org **orgs, size_t n,
    enum lang lang, json_t *ctx)
{
	json_t *created = json_array(), *changed = json_array(), *v;
	size_t i;

	json_array_foreach(w->created, i, v) {
		const struct org *o = org_find(orgs, n, json_string_value(v));
		if (o != NULL)
			json_array_append_new(created, new_org_json(app, o, lang));
	}
	json_array_foreach(w->activities, i, v) {
		const char *org = json_string_value(json_object_get(v, "org"));
		const struct org *o = org_find(orgs, n, org);
		size_t k;
		json_t *c;
		bool is_new = false;
		json_array_foreach(w->created, k, c)
			is_new |= strcasecmp(json_string_value(c), org) == 0;
		if (o == NULL || is_new)
			continue;	/* gone, or listed with the new ones */
		json_array_append_new(changed, activity_json(app, o->name,
		    json_string_value(json_object_get(v, "text")),
		    json_is_true(json_object_get(v, "added")), lang));
	}
	json_object_set_new(ctx, "has_new_organisations",
	    json_boolean(json_array_size(created) > 0));
	json_object_set_new(ctx, "new_organisations", created);
	json_object_set_new(ctx, "has_changed_activities",
	    json_boolean(json_array_size(changed) > 0));
	json_object_set_new(ctx, "changed_activities", changed);
}

struct country_count {
	char code[3];
	const char *name;
	size_t count;
};

static int
country_count_cmp(const void *a, const void *b)
{
	const struct country_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name ? x->name : x->code, y->name ? y->name : y->code);
}

/* Index of a two-letter upper-case code in 0..675, or -1. */
static int
code_index(const char *c)
{
	if (c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2])
		return -1;
	return (c[0] - 'A') * 26 + (c[1] - 'A');
}

static void
add_countries(struct app *app, struct org **orgs, size_t n, enum lang lang,
    json_t *ctx)
{
	size_t counts[26 * 26] = { 0 }, last[26 * 26] = { 0 }, m = 0;
	struct country_count cc[26 * 26];
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < orgs[i]->n_activities; k++) {
			int x = code_index(orgs[i]->activities[k].country);
			if (x >= 0 && last[x] != i + 1) {
				last[x] = i + 1;	/* once per organisation */
				counts[x]++;
			}
		}
	for (int x = 0; x < 26 * 26; x++)
		if (counts[x] > 0) {
			cc[m].code[0] = (char)('A' + x / 26);
			cc[m].code[1] = (char)('A' + x % 26);
			cc[m].code[2] = '\0';
			/* Not country_label: it may return code, which qsort moves. */
			cc[m].name = country_name(app->countries, cc[m].code, lang);
			cc[m].count = counts[x];
			m++;
		}
	qsort(cc, m, sizeof(cc[0]), country_count_cmp);
	for (size_t i = 0; i < m; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "code",
		    cc[i].code, "name", cc[i].name ? cc[i].name : cc[i].code, "count",
		    (json_int_t)cc[i].count));
	json_object_set_new(ctx, "has_countries", json_boolean(m > 0));
	json_object_set_new(ctx, "countries", a);
}

static void
add_internships(struct org **orgs, size_t n, json_t *ctx)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		if (orgs[i]->internships != NULL)
			json_array_append_new(a, json_pack("{s:s,s:s}",
			    "organisation", orgs[i]->name, "internships",
			    orgs[i]->internships));
	json_object_set_new(ctx, "has_internships",
	    json_boolean(json_array_size(a) > 0));
	json_object_set_new(ctx, "internships", a);
}

/* Everything the registry contributes. */
static int
add_registry(struct app *app, enum lang lang, json_t *ctx, char *err,
    size_t errlen)
{
	struct walk w = { json_array(), json_array() };
	struct org **orgs = NULL;
	size_t n = 0;
	time_t since = 0;
	int rc = -1;

	if (store_mailing_last_created(app->store, "newsletter", &since) == -1 ||
	    store_org_list(app->store, &orgs, &n) == -1 ||
	    store_changes_since(app->store, since, walk_cb, &w) == -1) {
		hp_errf(err, errlen, "registry: %s", store_error(app->store));
		goto fail;
	}
	add_changes(app, &w, orgs, n, lang, ctx);
	add_countries(app, orgs, n, lang, ctx);
	add_internships(orgs, n, ctx);
	rc = 0;
fail:
	store_orgs_free(orgs, n);
	json_decref(w.created);
	json_decref(w.activities);
	return rc;
}

json_t *
newsletter_context(struct app *app, enum lang lang, time_t now, char *err,
    size_t errlen)
{
	const struct config *cfg = app->cfg;
	json_t *ctx = json_object(), *events;

	json_object_set_new(ctx, "issue", issue_json(app, lang, now));
	if (add_intro(app, ctx, err, errlen) == -1 ||
	    add_registry(app, lang, ctx, err, errlen) == -1) {
		json_decref(ctx);
		return NULL;
	}
	if ((events = events_upcoming_json(app, lang, now)) == NULL) {
		hp_errf(err, errlen, "events: %s", store_error(app->store));
		json_decref(ctx);
		return NULL;
	}
	json_object_set_new(ctx, "has_events", json_boolean(json_array_size(events) > 0));
	json_object_set_new(ctx, "events", events);
	json_object_set_new(ctx, "office", json_pack("{s:s,s:s}", "name",
	    cfg->office.name ? cfg->office.name : cfg->office.address, "address",
	    cfg->office.address));
	return ctx;
}
