/*
 * Unit tests for newsletter: the context read from an in-memory store,
 * the shipped templates in both languages (HTML escaping of hostile
 * names), issues by hand and by the schedule, and the copy of one
 * subscriber (headers parsed back, the same Message-ID every time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "commands.h"
#include "newsletter.h"
#include "templates.h"
#include "util.h"

/* 2027-01-10 12:00:00 UTC, a Sunday: after the first Monday of January. */
#define T0	((time_t)1799582400)
#define DAY	((time_t)86400)

static char *admins[] = { "admin@example.org" };
static struct config cfg;
static struct app app;
static char *templates_dir;

static int
setup(void **state)
{
	char err[256];
	const char *file = __FILE__, *slash = strrchr(file, '/');

	memset(&cfg, 0, sizeof(cfg));
	cfg.office.name = "Deventer Internationaal";
	cfg.office.address = "office@example.org";
	cfg.office.unsubscribe_address = "office+unsubscribe@example.org";
	cfg.office.bounce_address = "office+bounce@example.org";
	cfg.office.timezone = "Europe/Amsterdam";
	cfg.office.language = LANG_NL;
	cfg.newsletter.schedule = "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9;BYMINUTE=0";
	cfg.newsletter.list_id = "nieuwsbrief.example.org";
	cfg.office.admins = admins;
	cfg.office.n_admins = 1;
	cfg.mailbox.trusted_authserv_id = "mx.example.org";
	cfg.limits.replies_per_hour = 10;
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
	free(templates_dir);
	return 0;
}

static void
add_activity(struct org *o, const char *cc, const char *city,
    enum activity_kind kind)
{
	struct activity *a;

	o->activities = xreallocarray(o->activities, o->n_activities + 1,
	    sizeof(*o->activities));
	a = &o->activities[o->n_activities++];
	memset(a, 0, sizeof(*a));
	hp_strlcpy(a->country, cc, sizeof(a->country));
	a->city = city ? xstrdup(city) : NULL;
	a->kind = kind;
}

/* A new organisation as the registry saves one: with its changelog. */
static void
save_new_org(const char *name, enum sector sector, const char *countries,
    const char *internships, time_t at)
{
	struct org *o = org_new();
	struct store_change ch[8] = { { "organisation", NULL, name } };
	char *texts[8] = { 0 };
	size_t n = 1;

	o->name = xstrdup(name);
	o->sector = sector;
	o->website = xstrdup("https://example.net/");
	o->description = xstrdup("We do <b>things</b> & more.");
	o->internships = internships ? xstrdup(internships) : NULL;
	for (const char *c = countries; *c; c += 2) {
		add_activity(o, (char[3]){ c[0], c[1], 0 }, NULL, KIND_TRADE);
		texts[n] = xasprintf("%c%c; trade", c[0], c[1]);
		ch[n] = (struct store_change){ "activity", NULL, texts[n] };
		n++;
	}
	assert_int_equal(store_org_save(app.store, o, "test", NULL, ch, n, at), 0);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	org_free(o);
}

/* An existing organisation becomes active somewhere else as well. */
static void
add_org_activity(const char *name, const char *cc, const char *city, time_t at)
{
	struct org *o = NULL;
	char *text = xasprintf("%s, %s; office", cc, city);
	struct store_change ch = { "activity", NULL, text };

	assert_int_equal(store_org_get(app.store, name, &o), 1);
	add_activity(o, cc, city, KIND_OFFICE);
	assert_int_equal(store_org_save(app.store, o, "test", NULL, &ch, 1, at), 0);
	org_free(o);
	free(text);
}

static void
add_subscriber(const char *email, const char *name, const char *lang,
    const char *token)
{
	struct store_subscriber s = { 0 };

	s.email = (char *)email;
	s.name = (char *)name;
	s.lang = (char *)lang;
	s.status = "active";
	s.consent_source_msgid = "cli";
	s.unsub_token = (char *)token;
	s.newsletter = true;
	assert_int_equal(store_subscriber_put(app.store, &s, T0 - 30 * DAY), 0);
}

static json_t *
context(enum lang lang, time_t now)
{
	char err[256];
	json_t *ctx = newsletter_context(&app, lang, now, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("newsletter_context: %s", err);
	return ctx;
}

static const char *
str_at(json_t *ctx, const char *path)
{
	json_t *v = ctx;
	char *copy = xstrdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k && v;
	    k = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(k, NULL, 10)) :
		    json_object_get(v, k);
	free(copy);
	return json_string_value(v);
}

static char *
render(json_t *ctx, enum lang lang, struct store_mailing_part *part)
{
	char err[256];

	if (newsletter_render(&app, ctx, lang, part, err, sizeof(err)) == -1)
		fail_msg("render: %s", err);
	if (getenv("HP_DUMP"))
		fprintf(stderr, "---- %s\n%s\n---- text\n%s---- html\n%s",
		    model_lang_code(lang), part->subject, part->text, part->html);
	return part->text;
}

/* --- the context ----------------------------------------------------- */

static void
test_context_registry(void **state)
{
	json_t *ctx, *countries;

	save_new_org("<script>alert(1)</script> {{x}}", SECTOR_CULTURE, "DEPL",
	    NULL, T0 - 3 * DAY);
	save_new_org("Voorbeeld B.V.", SECTOR_ECONOMY, "DE", "2 per jaar",
	    T0 - 2 * DAY);
	ctx = context(LANG_NL, T0);
	assert_string_equal(str_at(ctx, "issue.lang"), "nl");
	assert_string_equal(str_at(ctx, "issue.date"), "10 januari 2027");
	assert_string_equal(str_at(ctx, "issue.label"), "2027-02");
	assert_null(json_object_get(ctx, "intro"));
	assert_true(json_is_false(json_object_get(ctx, "has_intro")));
	assert_int_equal(json_array_size(json_object_get(ctx,
	    "new_organisations")), 2);
	assert_string_equal(str_at(ctx, "new_organisations.1.name"),
	    "Voorbeeld B.V.");
	assert_string_equal(str_at(ctx, "new_organisations.1.sector"), "Economie");
	assert_string_equal(str_at(ctx, "new_organisations.0.countries_text"),
	    "Duitsland, Polen");
	assert_string_equal(str_at(ctx, "new_organisations.0.countries.1"), "Polen");
	/* Activities of a new organisation are not "changed" ones. */
	assert_int_equal(json_array_size(json_object_get(ctx,
	    "changed_activities")), 0);
	countries = json_object_get(ctx, "countries");
	assert_int_equal(json_array_size(countries), 2);
	assert_string_equal(str_at(ctx, "countries.0.code"), "DE");
	assert_string_equal(str_at(ctx, "countries.0.name"), "Duitsland");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    countries, 0), "count")), 2);
	assert_string_equal(str_at(ctx, "countries.1.name"), "Polen");
	assert_int_equal(json_array_size(json_object_get(ctx, "internships")), 1);
	assert_string_equal(str_at(ctx, "internships.0.internships"), "2 per jaar");
	assert_int_equal(json_array_size(json_object_get(ctx, "events")), 0);
	assert_true(json_is_false(json_object_get(ctx, "has_events")));
	assert_string_equal(str_at(ctx, "office.name"), "Deventer Internationaal");
	json_decref(ctx);
	ctx = context(LANG_EN, T0);
	assert_string_equal(str_at(ctx, "issue.date"), "10 January 2027");
	assert_string_equal(str_at(ctx, "new_organisations.0.sector"), "Culture");
	assert_string_equal(str_at(ctx, "countries.0.name"), "Germany");
	json_decref(ctx);
}

static void
test_context_intro(void **state)
{
	json_t *ctx;

	assert_int_equal(store_intro_add(app.store, "# Hallo\n\nEen *mooi* jaar."
	    " <script>alert(1)</script> [klik](javascript:alert(1))\n",
	    "admin@example.org", NULL, T0 - DAY), 0);
	ctx = context(LANG_NL, T0);
	assert_true(json_is_true(json_object_get(ctx, "has_intro")));
	assert_non_null(strstr(str_at(ctx, "intro.html"), "<em>mooi</em>"));
	assert_null(strstr(str_at(ctx, "intro.html"), "<script"));
	assert_null(strstr(str_at(ctx, "intro.html"), "javascript:"));
	assert_non_null(strstr(str_at(ctx, "intro.text"), "Een mooi jaar."));
	assert_null(strchr(str_at(ctx, "intro.text"), '<'));
	json_decref(ctx);
}

/* --- rendering -------------------------------------------------------- */

static void
check_html_safe(const char *html)
{
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; {{x}}"));
	assert_non_null(strstr(html, "We do &lt;b&gt;things&lt;/b&gt; &amp; more."));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<table"));
}

static void
test_render_both_languages(void **state)
{
	static const char *const heads[LANG_COUNT][3] = {
		{ "Nieuw in het netwerk\n====", "Stageplaatsen\n====",
		  "Er zijn op dit moment geen evenementen gepland." },
		{ "New in the network\n====", "Internships\n====",
		  "No events are planned at the moment." },
	};

	for (int l = 0; l < LANG_COUNT; l++) {
		struct store_mailing_part part;
		json_t *ctx = context((enum lang)l, T0);
		const char *text = render(ctx, (enum lang)l, &part);

		/* Nothing of the templates' leading comments is left. */
		assert_int_equal(strncmp(text, "Deventer Internationaal ", 24), 0);
		assert_int_equal(strncmp(part.html, "<h1 ", 4), 0);
		for (int i = 0; i < 3; i++)
			assert_non_null(strstr(text, heads[l][i]));
		/* Text is not HTML: names appear as they are. */
		assert_non_null(strstr(text, "<script>alert(1)</script> {{x}}"));
		assert_non_null(strstr(text, "Een mooi jaar."));
		assert_string_equal(part.subject, l == LANG_NL ?
		    "Deventer Internationaal nieuwsbrief 2027-02" :
		    "Deventer Internationaal newsletter 2027-02");
		assert_string_equal(part.lang, model_lang_code((enum lang)l));
		check_html_safe(part.html);
		assert_non_null(strstr(part.html, "<em>mooi</em>"));
		store_mailing_part_clear(&part);
		json_decref(ctx);
	}
}

/* --- issues and copies ------------------------------------------------ */

/* The value of header name in msg, unfolded (blank runs kept as one). */
static char *
header(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");

	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") + 2) {
		struct buf b;
		if (strncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		buf_init(&b, 0);
		for (p += n + 1; p < end; p += 2) {
			const char *e = strstr(p, "\r\n");
			while (*p == ' ' || *p == '\t')
				p++;
			buf_printf(&b, "%s%.*s", b.len ? " " : "", (int)(e - p), p);
			p = e;
			if (p[2] != ' ' && p[2] != '\t')
				break;
		}
		return buf_release(&b, NULL);
	}
	return NULL;
}

static void
assert_header(const char *msg, const char *name, const char *want)
{
	char *v = header(msg, name);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name, v ? v : "(none)", want);
	free(v);
}

static char *
build(const struct store_mailing *m, const struct store_delivery *d)
{
	struct store_mailing_part part = { 0 };
	char err[256], *msg = NULL;
	size_t len;

	assert_int_equal(store_mailing_part_get(app.store, m->id, d->lang,
	    &part), 1);
	if (newsletter_build_copy(&app, m, &part, d, &msg, &len, err,
	    sizeof(err)) == -1)
		fail_msg("build_copy: %s", err);
	assert_int_equal(strlen(msg), len);
	store_mailing_part_clear(&part);
	return msg;
}

static void
check_copy(const struct store_mailing *m, const struct store_delivery *d)
{
	char *a = build(m, d), *b = build(m, d), *want;
	char *id_a = header(a, "Message-ID"), *id_b = header(b, "Message-ID");

	want = xasprintf("<nl-%lld-%lld@example.org>", (long long)m->id,
	    (long long)d->id);
	assert_string_equal(id_a, want);
	assert_string_equal(id_b, want);
	free(want);
	want = xasprintf("<mailto:office+unsubscribe-%s@example.org>",
	    d->unsub_token);
	assert_header(a, "List-Unsubscribe", want);
	free(want);
	assert_header(a, "Precedence", "bulk");
	assert_header(a, "Content-Language", d->lang);
	want = header(a, "List-Id");
	assert_non_null(strstr(want, "<nieuwsbrief.example.org>"));
	free(want);
	assert_non_null(strstr(a, strcmp(d->lang, "en") == 0 ? "Dear Ann" :
	    "Beste Anna"));
	assert_non_null(strstr(a, "multipart/alternative"));
	assert_non_null(strstr(a, "\r\n\r\n<!DOCTYPE html>"));
	if (getenv("HP_DUMP"))
		fprintf(stderr, "---- copy\n%s", a);
	free(id_a);
	free(id_b);
	free(a);
	free(b);
}

static void
test_issue_and_copies(void **state)
{
	struct store_mailing *m = NULL;
	struct store_delivery *d = NULL;
	char err[256];
	int64_t id;
	size_t n, nd;

	add_subscriber("anna@example.nl", "Anna de Vries", "nl",
	    "0123456789abcdef0123456789abcdef");
	add_subscriber("ann@example.com", "Ann Smith", "en",
	    "fedcba9876543210fedcba9876543210");
	assert_int_equal(newsletter_create_issue(&app, 0, T0, &id, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_mailing_get(app.store, id, &m), 1);
	assert_string_equal(m->label, "2027-01-10 13:00 (manual)");
	assert_int_equal(store_deliveries_due(app.store, id, 0, T0, 10, &d, &nd), 0);
	assert_int_equal(nd, 2);
	for (size_t i = 0; i < nd; i++)
		check_copy(m, &d[i]);
	store_deliveries_free(d, nd);
	store_mailing_free(m);
}

/* msg without its Date: line (copies built a second apart differ there
 * only). */
static char *
without_date(const char *msg)
{
	const char *d = strstr(msg, "\r\nDate: ");
	const char *e = d ? strstr(d + 2, "\r\n") : NULL;

	assert_non_null(e);
	return xasprintf("%.*s%s", (int)(d - msg), msg, e);
}

/* newsletter_copier_build gives what newsletter_build_copy gives. */
static void
assert_copier_same(struct newsletter_copier *c, const struct store_mailing *m,
    const struct store_mailing_part *part, const struct store_delivery *d)
{
	char err[256], *slow = NULL, *fast = NULL, *a, *b;
	size_t lslow, lfast;

	if (newsletter_build_copy(&app, m, part, d, &slow, &lslow, err,
	    sizeof(err)) == -1)
		fail_msg("build_copy: %s", err);
	if (newsletter_copier_build(c, d, &fast, &lfast, err, sizeof(err)) == -1)
		fail_msg("copier_build: %s", err);
	assert_int_equal(strlen(fast), lfast);
	a = without_date(slow);
	b = without_date(fast);
	if (strcmp(a, b) != 0)
		fail_msg("copier differs:\n%s\n---- ordinary:\n%s", b, a);
	free(a);
	free(b);
	free(slow);
	free(fast);
}

/* Every due delivery of mailing id, both ways. */
static void
compare_copies(int64_t id)
{
	struct store_mailing_part parts[2];
	struct newsletter_copier *c[2];
	struct store_mailing *m = NULL;
	struct store_delivery *d = NULL;
	const char *langs[2] = { "nl", "en" };
	size_t nd;

	assert_int_equal(store_mailing_get(app.store, id, &m), 1);
	for (int l = 0; l < 2; l++) {
		assert_int_equal(store_mailing_part_get(app.store, id, langs[l],
		    &parts[l]), 1);
		c[l] = newsletter_copier_new(&app, m, &parts[l]);
	}
	assert_int_equal(store_deliveries_due(app.store, id, 0, T0, 50, &d,
	    &nd), 0);
	assert_true(nd >= 4);
	for (size_t i = 0; i < nd; i++) {
		int l = strcmp(d[i].lang, "en") == 0;
		assert_copier_same(c[l], m, &parts[l], &d[i]);
	}
	for (int l = 0; l < 2; l++) {
		newsletter_copier_free(c[l]);
		store_mailing_part_clear(&parts[l]);
	}
	store_deliveries_free(d, nd);
	store_mailing_free(m);
}

static void
write_template(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
remove_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

/* The copier's copies are the ordinary ones: shipped templates (body on
 * its own line) with and without an https unsubscribe URL, non-ASCII
 * and missing names; and frames that put the body inline or escape it,
 * which take the ordinary way. */
static void
test_copier_same_copies(void **state)
{
	char dir[] = "/tmp/hp-test-newsletter-XXXXXX", err[256], *nl, *en, *ship;
	struct templates *shipped = app.templates;
	int64_t id;
	size_t n;

	add_subscriber("zoe@example.nl", "Zoë Łukasiewicz", "nl",
	    "00112233445566778899aabbccddeeff");
	add_subscriber("noname@example.com", NULL, "en",
	    "ffeeddccbbaa99887766554433221100");
	add_subscriber("quote@example.com", "O'Brien, \"Pat\" <x>", "en",
	    "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	add_subscriber("marker@example.nl", "Mark \x1d er", "nl",
	    "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
	/* For the frames rendered once: escaping and an empty name. */
	add_subscriber("amp@example.com", "Tom & Jerry's <b>", "en",
	    "1a2b3c4d5e6f708192a3b4c5d6e7f809");
	add_subscriber("empty@example.nl", "", "nl",
	    "9f8e7d6c5b4a39281706f5e4d3c2b1a0");
	assert_int_equal(newsletter_create_issue(&app, 0, T0, &id, &n, err,
	    sizeof(err)), 0);
	compare_copies(id);
	cfg.newsletter.unsubscribe_url = "https://example.org/unsubscribe?l=nl";
	compare_copies(id);
	/* Overrides for nl: the body inline, the HTML body escaped. */
	assert_non_null(mkdtemp(dir));
	nl = xasprintf("%s/nl", dir);
	assert_int_equal(mkdir(nl, 0700), 0);
	/* en as shipped (the override directory is searched first). */
	en = xasprintf("%s/en", dir);
	/* Absolute: a relative target would be read from the symlink's own
	 * directory, and __FILE__ is relative under the Makefile. */
	ship = xasprintf("%s/en", templates_dir);
	free(nl);
	nl = realpath(ship, NULL);
	assert_non_null(nl);
	free(ship);
	ship = nl;
	nl = xasprintf("%s/nl", dir);
	assert_int_equal(symlink(ship, en), 0);
	write_template(nl, "newsletter-copy.txt",
	    "Hallo {{recipient.name}}: {{{body}}} -- {{unsubscribe_address}}\n");
	write_template(nl, "newsletter-copy.html",
	    "<p>Hallo</p>\n{{body}}\n<p>{{unsubscribe_url}}</p>\n");
	app.templates = templates_new(dir);
	compare_copies(id);
	templates_free(app.templates);
	/* Body twice, and on a line of its own after a section. */
	write_template(nl, "newsletter-copy.txt",
	    "{{#recipient.name}}Hi {{.}}{{/recipient.name}}\n{{{body}}}\n"
	    "{{{body}}}\n");
	write_template(nl, "newsletter-copy.html",
	    "{{^recipient.name}}<p>Hallo</p>{{/recipient.name}}\n{{{body}}}\n"
	    "<p>{{unsubscribe_address}}</p>");
	app.templates = templates_new(dir);
	compare_copies(id);
	templates_free(app.templates);
	/* Every per-copy value raw, escaped, in and outside sections, with
	 * the body on lines of its own (the frames rendered once). */
	write_template(nl, "newsletter-copy.txt",
	    "{{recipient.name}}|{{#recipient.name}}Hi {{.}}{{/recipient.name}}"
	    "{{^recipient.name}}Hello{{/recipient.name}}\n{{{body}}}\n"
	    "{{recipient.email}} {{unsubscribe_address}}{{#unsubscribe_url}} "
	    "{{unsubscribe_url}}{{/unsubscribe_url}} {{issue.label}}\n");
	write_template(nl, "newsletter-copy.html",
	    "<p>{{recipient.name}} / {{{recipient.name}}} / {{&recipient.email}}"
	    "</p>\n{{{body}}}\n<p><a href=\"{{unsubscribe_url}}\">"
	    "{{unsubscribe_address}}</a> {{#recipient.name}}{{.}}"
	    "{{/recipient.name}} {{office.name}}</p>\n");
	app.templates = templates_new(dir);
	compare_copies(id);
	cfg.newsletter.unsubscribe_url = NULL;
	compare_copies(id);
	templates_free(app.templates);
	app.templates = shipped;
	cfg.newsletter.unsubscribe_url = NULL;
	remove_file(nl, "newsletter-copy.txt");
	remove_file(nl, "newsletter-copy.html");
	unlink(en);
	rmdir(nl);
	rmdir(dir);
	free(nl);
	free(en);
	free(ship);
}

/* After an issue, only what happened since it counts; the intro is used. */
static void
test_context_since_last_issue(void **state)
{
	json_t *ctx;

	save_new_org("Nieuwkomer", SECTOR_EDUCATION, "FR", NULL, T0 + DAY);
	add_org_activity("Voorbeeld B.V.", "BE", "Gent", T0 + DAY);
	ctx = context(LANG_NL, T0 + 2 * DAY);
	assert_null(json_object_get(ctx, "intro"));
	assert_int_equal(json_array_size(json_object_get(ctx,
	    "new_organisations")), 1);
	assert_string_equal(str_at(ctx, "new_organisations.0.name"), "Nieuwkomer");
	assert_string_equal(str_at(ctx, "new_organisations.0.sector"), "Onderwijs");
	assert_int_equal(json_array_size(json_object_get(ctx,
	    "changed_activities")), 1);
	assert_string_equal(str_at(ctx, "changed_activities.0.organisation"),
	    "Voorbeeld B.V.");
	assert_string_equal(str_at(ctx, "changed_activities.0.country"), "België");
	assert_string_equal(str_at(ctx, "changed_activities.0.city"), "Gent");
	assert_string_equal(str_at(ctx, "changed_activities.0.kind"), "kantoor");
	assert_string_equal(str_at(ctx, "changed_activities.0.change"), "added");
	json_decref(ctx);
}

static void
test_schedule_tick(void **state)
{
	time_t next = 0, last = 0;
	int64_t at = 0;

	/* Installed now: January's slot (4 Jan) predates it. */
	assert_int_equal(newsletter_schedule_tick(&app, T0, &next), 0);
	assert_int_equal(store_setting_get_int(app.store, "newsletter.installed_at",
	    &at), 1);
	assert_int_equal(at, T0);
	/* Monday 1 February 2027 09:00 CET. */
	assert_int_equal(next, (time_t)1801468800);
	assert_int_equal(newsletter_schedule_tick(&app, next + 3600, &next), 1);
	assert_int_equal(store_mailing_last_slot(app.store, "newsletter", &last), 0);
	assert_int_equal(last, (time_t)1801468800);
	assert_int_equal(newsletter_schedule_tick(&app, last + 7200, &next), 0);
	assert_int_equal(next, (time_t)1803888000);	/* 1 March */
}

static void
test_unsubscribe_address(void **state)
{
	char buf[64], small[20];

	assert_int_equal(newsletter_unsubscribe_address(&app, "abc", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "office+unsubscribe-abc@example.org");
	assert_int_equal(newsletter_unsubscribe_address(&app, "abc", small,
	    sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(newsletter_unsubscribe_address(&app, "", buf,
	    sizeof(buf)), -1);
}

/* --- the office's commands by mail ------------------------------------ */

/* The answer queued last contains want. */
static void
assert_last_reply(const char *want)
{
	struct store_outmsg *o = NULL;
	size_t n = 0;

	assert_int_equal(store_outbox_due(app.store, T0 + 9 * DAY, 100, &o, &n), 0);
	assert_true(n > 0);
	if (getenv("HP_DUMP"))
		fprintf(stderr, "---- reply\n%s", o[n - 1].data);
	if (strstr(o[n - 1].data, want) == NULL)
		fail_msg("reply lacks \"%s\"", want);
	store_outmsgs_free(o, n);
}

static void
test_office_intro(void **state)
{
	char *authres[] = { "mx.example.org; dkim=pass header.d=example.org" };
	struct msg m = { 0 };
	char *md = NULL, *author = NULL;
	const char *outcome;
	time_t at;

	m.from_addr = "admin@example.org";
	m.message_id = "intro-1@example.org";
	m.subject = " Nieuwsbrief ";
	m.text = "Hallo **allemaal**.\n\n-- \nHet bureau\n";
	assert_true(commands_is_intro(&m));
	/* Not authenticated: refused, answered. */
	assert_int_equal(commands_intro(&app, &m, T0 + 3 * DAY, &outcome), HP_OK);
	assert_string_equal(outcome, "rejected");
	assert_last_reply("kon niet worden geverifieerd");
	assert_int_equal(store_intro_get(app.store, &md, &author, &at), 0);
	m.authres = authres;
	m.n_authres = 1;
	assert_int_equal(commands_intro(&app, &m, T0 + 3 * DAY, &outcome), HP_OK);
	assert_string_equal(outcome, "intro");
	assert_last_reply("Hallo allemaal.");
	assert_int_equal(store_intro_get(app.store, &md, &author, &at), 1);
	assert_string_equal(md, "Hallo **allemaal**.");
	assert_string_equal(author, "admin@example.org");
	free(md);
	free(author);
	/* Someone else, even authenticated: refused. */
	m.from_addr = "someone@example.org";
	assert_int_equal(commands_intro(&app, &m, T0 + 3 * DAY, &outcome), HP_OK);
	assert_string_equal(outcome, "rejected");
	assert_last_reply("Alleen het bureau");
	m.subject = "Re: newsletter";
	assert_false(commands_is_intro(&m));
}

static void
test_office_preview(void **state)
{
	struct msg m = { 0 };
	struct request r = { &app, &m, NULL, LANG_EN, false, NULL, T0 + 3 * DAY };
	const char *text;

	m.from_addr = "admin@example.org";
	r.ctx = json_object();
	assert_int_equal(commands_preview(&r), HP_OK);
	text = str_at(r.ctx, "preview.text");
	assert_non_null(text);
	assert_non_null(strstr(text, "New in the network"));
	assert_non_null(strstr(text, "Hallo allemaal."));
	json_decref(r.ctx);
	m.from_addr = "someone@example.org";
	r.ctx = json_object();
	assert_int_equal(commands_preview(&r), HP_OK);
	assert_null(json_object_get(r.ctx, "preview"));
	assert_true(json_is_true(json_object_get(r.ctx, "preview_denied")));
	json_decref(r.ctx);
}

int
main(void)
{
	/* In order: each builds on the store the previous ones left. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context_registry),
		cmocka_unit_test(test_context_intro),
		cmocka_unit_test(test_render_both_languages),
		cmocka_unit_test(test_issue_and_copies),
		cmocka_unit_test(test_copier_same_copies),
		cmocka_unit_test(test_context_since_last_issue),
		cmocka_unit_test(test_schedule_tick),
		cmocka_unit_test(test_unsubscribe_address),
		cmocka_unit_test(test_office_intro),
		cmocka_unit_test(test_office_preview),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
