/*
 * Unit tests for templates and the shipped reply texts: templates/nl and
 * templates/en reply.txt rendered against contexts shaped exactly as
 * ingest.c, registry.c and reply.c build them (not understood, a new
 * organisation, an update with warnings, an unchanged form, a failed
 * form with and without the old entry, show/not found/unavailable
 * commands, help, everything at once), checked for the Subject line, left
 * tags, blank lines and trailing blanks, the help partial, line numbers,
 * and Dutch differing from English.  Also the lookup rules of
 * templates.c (override directory first, partials, missing files, names
 * that try to leave the directory).  Set HP_DUMP=1 to print every render.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "entry.h"
#include "templates.h"
#include "util.h"

static char *shipped;	/* the repository's templates/ */

static bool
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
setup(void **state)
{
	const char *file = __FILE__, *slash = strrchr(file, '/');
	char exe[4096];
	ssize_t n;

	/* The test binary does not live beside templates/, so point the
	 * override directory at the source tree's copy: beside this file
	 * (relative to the repository root, where make runs us), else three
	 * levels above the binary (build/asan/tests/). */
	shipped = xasprintf("%.*s/../../templates", slash ? (int)(slash - file) : 1,
	    slash ? file : ".");
	if (is_dir(shipped))
		return 0;
	free(shipped);
	shipped = NULL;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			shipped = xasprintf("%.*s/../../../templates",
			    (int)(slash - exe), exe);
	}
	if (shipped == NULL || !is_dir(shipped)) {
		fprintf(stderr, "no templates directory beside %s or the binary\n",
		    file);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	free(shipped);
	return 0;
}

/* --- contexts as the daemon builds them ---------------------------------- */

/* ingest.c handle_request + run_commands, with nothing in them yet. */
static json_t *
ctx_base(void)
{
	json_t *ctx = json_object();

	json_object_set_new(ctx, "warnings", json_array());
	json_object_set_new(ctx, "has_warnings", json_false());
	json_object_set_new(ctx, "help", json_false());
	json_object_set_new(ctx, "shown", json_array());
	json_object_set_new(ctx, "not_found", json_array());
	json_object_set_new(ctx, "unavailable", json_array());
	return ctx;
}

/* reply.c reply_queue: what it adds just before rendering. */
static void
ctx_reply(json_t *ctx, const char *subject, const char *sender_name)
{
	json_object_set_new(ctx, "subject", json_string(subject ? subject : ""));
	json_object_set_new(ctx, "has_subject",
	    json_boolean(subject != NULL && *subject != '\0'));
	json_object_set_new(ctx, "sender_name", sender_name ?
	    json_string(sender_name) : json_null());
	json_object_set_new(ctx, "office", json_string("Deventer Internationaal"));
	json_object_set_new(ctx, "office_address", json_string("office@example.org"));
}

/* ingest.c: one warning, with "line" only when it is not 0. */
static void
ctx_warning(json_t *ctx, int line, const char *text)
{
	json_array_append_new(json_object_get(ctx, "warnings"), line > 0 ?
	    json_pack("{s:i,s:s}", "line", line, "text", text) :
	    json_pack("{s:s}", "text", text));
	json_object_set_new(ctx, "has_warnings", json_true());
}

/* registry.c problems_json, one element. */
static void
form_error(json_t *form, int line, const char *text)
{
	json_t *o = json_object();

	if (line > 0)
		json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "text", json_string(text));
	json_array_append_new(json_object_get(form, "errors"), o);
}

/* registry.c changes_json, one element. */
static void
form_change(json_t *form, enum entry_change_kind kind, const char *field,
    enum lang lang, const char *old_value, const char *new_value)
{
	json_array_append_new(json_object_get(form, "changes"),
	    json_pack("{s:b,s:b,s:b,s:s,s:o,s:o}",
	    "added", kind == ENTRY_ADDED, "removed", kind == ENTRY_REMOVED,
	    "changed", kind == ENTRY_CHANGED,
	    "field", entry_field_label(field, lang),
	    "old", old_value ? json_string(old_value) : json_null(),
	    "new", new_value ? json_string(new_value) : json_null()));
}

static struct org *
example_org(void)
{
	struct org *o = org_new();

	o->name = xstrdup("Voorbeeld B.V.");
	o->sector = SECTOR_ECONOMY;
	o->website = xstrdup("https://voorbeeld.example");
	o->n_contacts = 1;
	o->contacts = xcalloc(1, sizeof(*o->contacts));
	o->contacts[0].name = xstrdup("Anna de Vries");
	o->contacts[0].email = xstrdup("anna@voorbeeld.example");
	o->n_activities = 1;
	o->activities = xcalloc(1, sizeof(*o->activities));
	memcpy(o->activities[0].country, "DE", 3);
	o->activities[0].city = xstrdup("Lübeck");
	o->activities[0].kind = KIND_TRADE;
	return o;
}

static json_t *
entry_json(enum lang lang)
{
	struct org *o = example_org();
	char *text = entry_render_form(o, lang);
	json_t *j = json_string(text);

	free(text);
	org_free(o);
	return j;
}

/* registry.c registry_apply_form, success: changed or unchanged. */
static json_t *
form_applied(json_t *ctx, enum lang lang, bool is_new, bool changed)
{
	json_t *form = json_object();

	json_object_set_new(form, "org", json_string("Voorbeeld B.V."));
	json_object_set_new(form, "new", json_boolean(is_new));
	json_object_set_new(form, "changed", json_boolean(changed));
	json_object_set_new(form, "unchanged", json_boolean(!changed));
	json_object_set_new(form, "changes", json_array());
	json_object_set_new(form, "entry", entry_json(lang));
	json_object_set_new(ctx, "form", form);
	return form;
}

/* registry.c registry_apply_form, errors: entry only when found. */
static json_t *
form_failed(json_t *ctx, enum lang lang, const char *org, bool found)
{
	json_t *form = json_object();

	json_object_set_new(form, "org", org ? json_string(org) : json_null());
	json_object_set_new(form, "new", json_boolean(org != NULL && !found));
	json_object_set_new(form, "failed", json_true());
	json_object_set_new(form, "errors", json_array());
	if (found)
		json_object_set_new(form, "entry", entry_json(lang));
	json_object_set_new(ctx, "form", form);
	return form;
}

/* --- rendering and the checks every reply must pass -------------------- */

static char *
render(json_t *ctx, enum lang lang)
{
	struct templates *t = templates_new(shipped);
	char err[512], *out = NULL;

	if (templates_render(t, lang, "reply.txt", ctx, &out, err,
	    sizeof(err)) == -1)
		fail_msg("render %s: %s", model_lang_code(lang), err);
	templates_free(t);
	if (getenv("HP_DUMP") != NULL)
		fprintf(stderr, "----- %s\n%s-----\n", model_lang_code(lang), out);
	return out;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* What reply.c needs and what a reader should see in any reply. */
static void
check_shape(const char *out, enum lang lang)
{
	const char *nl = strchr(out, '\n'), *p;
	size_t blank = 0;

	if (strncmp(out, "Subject: ", 9) != 0 || nl == NULL || nl - out < 12)
		fail_msg("no Subject line:\n%s", out);
	/* One blank line between the Subject and the body, then text. */
	if (nl[1] != '\n' || nl[2] == '\n' || nl[2] == '\0')
		fail_msg("Subject not followed by one blank line and text:\n%s",
		    out);
	if (strstr(out, "{{") != NULL || strstr(out, "}}") != NULL)
		fail_msg("template tag left:\n%s", out);
	/* Never two blank lines in a row; no blanks at a line's end except
	 * in the signature separator "-- ". */
	for (p = out; *p != '\0'; p = nl + 1) {
		size_t len;
		nl = strchr(p, '\n');
		if (nl == NULL)
			fail_msg("text does not end with a newline:\n%s", out);
		len = (size_t)(nl - p);
		blank = len == 0 ? blank + 1 : 0;
		if (blank > 1)
			fail_msg("two blank lines in a row at \"%.40s\":\n%s", nl + 1,
			    out);
		if (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t') &&
		    !(len == 3 && strncmp(p, "-- ", 3) == 0))
			fail_msg("trailing blank in \"%.*s\":\n%s", (int)len, p, out);
	}
	if (out[strlen(out) - 2] == '\n')
		fail_msg("blank line at the end:\n%s", out);
	/* The signature, once, at the end. */
	assert_int_equal(count(out, "\n-- \n"), 1);
	assert_non_null(strstr(out, "\n-- \nDeventer Internationaal "
	    "<office@example.org>\n"));
	assert_non_null(strstr(out, lang == LANG_NL ? "Stuur \"hulp\"" :
	    "Send \"help\""));
	/* No line-number prefix without a number. */
	assert_null(strstr(out, "regel :"));
	assert_null(strstr(out, "line :"));
}

static bool
has_help(const char *out)
{
	return strstr(out, "ZO WERKT U HET REGISTER BIJ") != NULL ||
	    strstr(out, "HOW TO UPDATE THE REGISTRY") != NULL;
}

typedef void (*ctx_fn)(json_t *ctx, enum lang lang);

/* Build the context per language, render, check the common shape, and
 * hand both texts to the caller (which frees them). */
static void
render_both(ctx_fn build, const char *subject, const char *sender,
    char **nl, char **en)
{
	enum lang langs[] = { LANG_NL, LANG_EN };
	char **outs[] = { nl, en };

	for (size_t i = 0; i < 2; i++) {
		json_t *ctx = ctx_base();
		build(ctx, langs[i]);
		ctx_reply(ctx, subject, sender);
		*outs[i] = render(ctx, langs[i]);
		check_shape(*outs[i], langs[i]);
		json_decref(ctx);
	}
	if (strcmp(*nl, *en) == 0)
		fail_msg("Dutch and English are the same:\n%s", *nl);
}

/* The first line of text after the Subject line and the blank line. */
static void
assert_first_body_line(const char *out, const char *want)
{
	const char *b = strstr(out, "\n\n") + 2;
	size_t n = strcspn(b, "\n");

	if (strlen(want) != n || strncmp(b, want, n) != 0)
		fail_msg("first body line \"%.*s\", want \"%s\"", (int)n, b, want);
}

/* --- scenarios ------------------------------------------------------------ */

/* ingest.c: nothing understood -> rejected + help. */
static void
build_rejected(json_t *ctx, enum lang lang)
{
	json_object_set_new(ctx, "rejected", json_true());
	json_object_set_new(ctx, "help", json_true());
}

static void
test_rejected(void **state)
{
	char *nl, *en;

	render_both(build_rejected, "Vraagje", "Anna de Vries", &nl, &en);
	assert_true(strncmp(nl, "Subject: Re: Vraagje\n", 21) == 0);
	assert_true(strncmp(en, "Subject: Re: Vraagje\n", 21) == 0);
	assert_first_body_line(nl, "Beste Anna de Vries,");
	assert_first_body_line(en, "Dear Anna de Vries,");
	assert_non_null(strstr(nl, "geen formulier of opdracht"));
	assert_non_null(strstr(en, "could not find a form or a command"));
	assert_true(has_help(nl));
	assert_true(has_help(en));
	assert_non_null(strstr(nl, "ZO WERKT U HET REGISTER BIJ"));
	assert_non_null(strstr(en, "HOW TO UPDATE THE REGISTRY"));
	/* The partial gets the root context. */
	assert_non_null(strstr(nl, "Stuur een bericht naar office@example.org"));
	assert_non_null(strstr(en, "Send a message to office@example.org"));
	free(nl);
	free(en);
}

/* A new organisation, every kind of change line. */
static void
build_new(json_t *ctx, enum lang lang)
{
	json_t *form = form_applied(ctx, lang, true, true);

	form_change(form, ENTRY_ADDED, "organisation", lang, NULL,
	    "Voorbeeld B.V.");
	form_change(form, ENTRY_ADDED, "activity", lang, NULL, "DE, Lübeck; trade");
	form_change(form, ENTRY_REMOVED, "network", lang, "Hanze", NULL);
	form_change(form, ENTRY_CHANGED, "website", lang,
	    "https://old.example", "https://voorbeeld.example");
}

static void
test_new_org(void **state)
{
	char *nl, *en;

	/* No Subject, no display name. */
	render_both(build_new, NULL, NULL, &nl, &en);
	assert_true(strncmp(nl, "Subject: Re: uw bericht aan Deventer "
	    "Internationaal\n", 50) == 0);
	assert_true(strncmp(en, "Subject: Re: your message to Deventer "
	    "Internationaal\n", 51) == 0);
	assert_first_body_line(nl, "Hallo,");
	assert_first_body_line(en, "Hello,");
	assert_non_null(strstr(nl, "Voorbeeld B.V. is aan het register toegevoegd."));
	assert_non_null(strstr(en, "Voorbeeld B.V. has been added to the registry."));
	assert_non_null(strstr(nl, "\n  toegevoegd  Actief-in: DE, Lübeck; trade\n"));
	assert_non_null(strstr(nl, "\n  verwijderd  Netwerken: Hanze\n"));
	assert_non_null(strstr(nl, "\n  gewijzigd   Website: https://old.example -> "
	    "https://voorbeeld.example\n"));
	assert_non_null(strstr(en, "\n  added    Active-in: DE, Lübeck; trade\n"));
	assert_non_null(strstr(en, "\n  removed  Networks: Hanze\n"));
	assert_non_null(strstr(en, "\n  changed  Website: https://old.example -> "
	    "https://voorbeeld.example\n"));
	/* Exactly one line per change: no "changed" leaking from the form
	 * into the items. */
	assert_int_equal(count(en, "\n  added "), 2);
	assert_int_equal(count(en, "\n  removed "), 1);
	assert_int_equal(count(en, "\n  changed "), 1);
	/* The entry, verbatim. */
	assert_non_null(strstr(nl, "\nOrganisatie: Voorbeeld B.V.\n"
	    "Sector: economy\n"));
	assert_non_null(strstr(en, "\nActive-in: DE, Lübeck; trade\n"));
	assert_false(has_help(nl));
	assert_false(has_help(en));
	free(nl);
	free(en);
}

/* An update with warnings (with and without a line) and "help". */
static void
build_update(json_t *ctx, enum lang lang)
{
	json_t *form = form_applied(ctx, lang, false, true);

	form_change(form, ENTRY_CHANGED, "sector", lang, "culture", "economy");
	ctx_warning(ctx, 7, lang == LANG_NL ? "Onbekend veld \"Websit\" genegeerd"
	    : "Unknown field \"Websit\" ignored");
	ctx_warning(ctx, 0, lang == LANG_NL ? "Het bericht is te lang" :
	    "The message is too long");
	json_object_set_new(ctx, "help", json_true());
}

static void
test_update_warnings_help(void **state)
{
	char *nl, *en;

	render_both(build_update, "Re: update <Voorbeeld> & co", "Jörg Müller",
	    &nl, &en);
	/* Text templates are not HTML-escaped. */
	assert_true(strncmp(en, "Subject: Re: ", 13) == 0);
	assert_true(strstr(en, "update <Voorbeeld> & co") != NULL &&
	    strstr(en, "update <Voorbeeld> & co") < strchr(en, '\n'));
	assert_first_body_line(nl, "Beste Jörg Müller,");
	assert_non_null(strstr(nl, "De vermelding van Voorbeeld B.V. is bijgewerkt."));
	assert_non_null(strstr(en, "The entry of Voorbeeld B.V. has been updated."));
	assert_null(strstr(en, "added to the registry"));
	assert_non_null(strstr(nl, "\nLet op:\n  - regel 7: Onbekend veld "
	    "\"Websit\" genegeerd\n  - Het bericht is te lang\n"));
	assert_non_null(strstr(en, "\nPlease note:\n  - line 7: Unknown field "
	    "\"Websit\" ignored\n  - The message is too long\n"));
	assert_true(has_help(nl));
	assert_true(has_help(en));
	/* Without "help" there is no help text. */
	free(nl);
	free(en);
}

static void
build_unchanged(json_t *ctx, enum lang lang)
{
	form_applied(ctx, lang, false, false);
}

static void
test_unchanged(void **state)
{
	char *nl, *en;

	render_both(build_unchanged, "Formulier", "Anna", &nl, &en);
	assert_non_null(strstr(nl, "Uw formulier voor Voorbeeld B.V. komt overeen "
	    "met het register"));
	assert_non_null(strstr(en, "Your form for Voorbeeld B.V. matches the "
	    "registry"));
	assert_null(strstr(en, "What changed"));
	assert_null(strstr(nl, "Wat er veranderde"));
	assert_non_null(strstr(en, "This is the complete entry"));
	assert_false(has_help(nl));
	free(nl);
	free(en);
}

/* Errors with and without a line; the old entry is shown. */
static void
build_failed_found(json_t *ctx, enum lang lang)
{
	json_t *form = form_failed(ctx, lang, "Voorbeeld B.V.", true);

	form_error(form, 3, lang == LANG_NL ? "Website: gebruik een beveiligd adres"
	    : "Website: use a secure address");
	form_error(form, 12, lang == LANG_NL ? "Actief-in: onbekend land \"Duitsand\""
	    : "Active-in: unknown country \"Duitsand\"");
	form_error(form, 0, lang == LANG_NL ? "Er staat geen regel \"Organisatie: "
	    "...\" in het formulier." : "The form has no \"Organisation: ...\" "
	    "line.");
}

static void
test_failed_found(void **state)
{
	char *nl, *en;

	render_both(build_failed_found, "Wijziging", NULL, &nl, &en);
	assert_non_null(strstr(nl, "Uw formulier voor Voorbeeld B.V. bevat fouten; "
	    "er is niets gewijzigd:\n\n  - regel 3: Website: gebruik een "
	    "beveiligd adres\n  - regel 12: Actief-in: onbekend land \"Duitsand\"\n"
	    "  - Er staat geen regel"));
	assert_non_null(strstr(en, "Your form for Voorbeeld B.V. has problems, so "
	    "nothing has changed:\n\n  - line 3: Website: use a secure address\n"
	    "  - line 12: Active-in: unknown country \"Duitsand\"\n"
	    "  - The form has no"));
	assert_non_null(strstr(nl, "Verbeter ze en stuur het formulier opnieuw."));
	assert_non_null(strstr(en, "Please correct them and send the form again."));
	/* The entry as it stands, to correct and send back. */
	assert_non_null(strstr(en, "This is the complete entry"));
	assert_non_null(strstr(en, "\nOrganisation: Voorbeeld B.V.\n"));
	assert_null(strstr(en, "What changed"));
	assert_null(strstr(en, "matches the registry"));
	free(nl);
	free(en);
}

/* A new organisation whose form failed, and a form without a name. */
static void
build_failed_new(json_t *ctx, enum lang lang)
{
	json_t *form = form_failed(ctx, lang, "Nieuw B.V.", false);

	form_error(form, 1, "Sector: -");
}

static void
build_failed_noname(json_t *ctx, enum lang lang)
{
	json_t *form = form_failed(ctx, lang, NULL, false);

	form_error(form, 0, "no name");
}

static void
test_failed_not_found(void **state)
{
	char *nl, *en;

	render_both(build_failed_new, "Aanmelding", NULL, &nl, &en);
	assert_non_null(strstr(nl, "Uw formulier voor Nieuw B.V. bevat fouten"));
	assert_non_null(strstr(en, "  - line 1: Sector: -\n"));
	assert_null(strstr(nl, "Dit is de volledige vermelding"));
	assert_null(strstr(en, "This is the complete entry"));
	free(nl);
	free(en);

	render_both(build_failed_noname, "Aanmelding", NULL, &nl, &en);
	assert_non_null(strstr(nl, "Uw formulier bevat fouten"));
	assert_non_null(strstr(en, "Your form has problems"));
	assert_non_null(strstr(en, "\n  - no name\n"));
	free(nl);
	free(en);
}

/* "show", a name not found, no name and no entries, an unavailable command. */
static void
build_commands(json_t *ctx, enum lang lang)
{
	json_t *e = entry_json(lang);

	json_array_append_new(json_object_get(ctx, "shown"), json_pack("{s:s,s:o}",
	    "org", "Voorbeeld B.V.", "entry", json_incref(e)));
	json_array_append_new(json_object_get(ctx, "shown"), json_pack("{s:s,s:o}",
	    "org", "Tweede & Co", "entry", e));
	json_array_append_new(json_object_get(ctx, "not_found"),
	    json_pack("{s:s}", "name", "Onbekend \"B.V.\""));
	json_array_append_new(json_object_get(ctx, "not_found"),
	    json_pack("{s:n}", "name"));
	json_array_append_new(json_object_get(ctx, "unavailable"),
	    json_pack("{s:s}", "command", lang == LANG_NL ? "aanmelden" :
	    "subscribe"));
}

static void
test_commands(void **state)
{
	char *nl, *en;

	render_both(build_commands, "toon", "Anna", &nl, &en);
	assert_non_null(strstr(nl, "De vermelding van Voorbeeld B.V.:\n\n"
	    "Organisatie: Voorbeeld B.V.\n"));
	assert_non_null(strstr(nl, "De vermelding van Tweede & Co:\n"));
	assert_non_null(strstr(en, "The entry of Voorbeeld B.V.:\n\n"
	    "Organisation: Voorbeeld B.V.\n"));
	assert_int_equal(count(en, "Organisation: Voorbeeld B.V.\n"), 2);
	assert_non_null(strstr(nl, "Er staat geen organisatie met de naam "
	    "\"Onbekend \"B.V.\"\" in het register."));
	assert_non_null(strstr(en, "There is no organisation named \"Onbekend "
	    "\"B.V.\"\" in the registry."));
	assert_non_null(strstr(nl, "schrijf \"toon NAAM\""));
	assert_non_null(strstr(en, "write \"show NAME\""));
	assert_non_null(strstr(nl, "De opdracht \"aanmelden\" is op deze server "
	    "nog niet beschikbaar."));
	assert_non_null(strstr(en, "The command \"subscribe\" is not available"));
	assert_null(strstr(en, "form"));
	assert_false(has_help(en));
	free(nl);
	free(en);
}

/* Everything one message can bring at once. */
static void
build_everything(json_t *ctx, enum lang lang)
{
	build_update(ctx, lang);
	build_commands(ctx, lang);
}

static void
test_everything(void **state)
{
	char *nl, *en;

	render_both(build_everything, "alles", "A", &nl, &en);
	assert_true(has_help(nl));
	assert_non_null(strstr(en, "has been updated"));
	assert_non_null(strstr(en, "Please note:"));
	assert_non_null(strstr(en, "There is no organisation named"));
	assert_non_null(strstr(en, "is not available"));
	/* In the order of the template: form, warnings, shown, help. */
	assert_true(strstr(en, "has been updated") < strstr(en, "Please note:"));
	assert_true(strstr(en, "Please note:") < strstr(en, "The entry of Tweede"));
	assert_true(strstr(en, "The entry of Tweede") <
	    strstr(en, "HOW TO UPDATE THE REGISTRY"));
	free(nl);
	free(en);
}

/* An empty context: the template must still produce a sane reply. */
static void
build_nothing(json_t *ctx, enum lang lang)
{
}

static void
test_nothing(void **state)
{
	char *nl, *en;

	render_both(build_nothing, "", "", &nl, &en);
	assert_first_body_line(nl, "Hallo,");
	assert_first_body_line(en, "Hello,");
	free(nl);
	free(en);
}

/* The help text alone, as the help partial's own file. */
static void
test_help_file(void **state)
{
	struct templates *t = templates_new(shipped);
	json_t *ctx = json_pack("{s:s}", "office_address", "office@example.org");
	char err[256], *nl = NULL, *en = NULL;

	assert_int_equal(templates_render(t, LANG_NL, "help.txt", ctx, &nl, err,
	    sizeof(err)), 0);
	assert_int_equal(templates_render(t, LANG_EN, "help.txt", ctx, &en, err,
	    sizeof(err)), 0);
	assert_true(strncmp(nl, "ZO WERKT U HET REGISTER BIJ\n", 28) == 0);
	assert_true(strncmp(en, "HOW TO UPDATE THE REGISTRY\n", 27) == 0);
	assert_null(strstr(nl, "{{"));
	assert_null(strstr(en, "{{"));
	assert_non_null(strstr(en, "  Active-in: DE, Lübeck; trade"));
	/* Ends with one newline, no blank line. */
	assert_true(nl[strlen(nl) - 1] == '\n' && nl[strlen(nl) - 2] != '\n');
	assert_true(en[strlen(en) - 1] == '\n' && en[strlen(en) - 2] != '\n');
	free(nl);
	free(en);
	json_decref(ctx);
	templates_free(t);
}

/* --- templates.c lookups --------------------------------------------------- */

static char *
make_dir(const char *base, const char *name)
{
	char *p = xasprintf("%s/%s", base, name);

	assert_int_equal(mkdir(p, 0700), 0);
	return p;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(p);
}

static void
remove_file(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	unlink(p);
	free(p);
}

static void
test_override(void **state)
{
	char tmpl[] = "/tmp/hp-templates-XXXXXX", err[512], *out = NULL;
	char *root = mkdtemp(tmpl), *nl, *en;
	struct templates *t;
	json_t *ctx = json_pack("{s:s,s:s}", "x", "<&>", "office_address", "o@x.example");

	assert_non_null(root);
	nl = make_dir(root, "nl");
	en = make_dir(root, "en");
	/* The override has its own reply.txt, a partial, and HTML. */
	write_file(nl, "reply.txt", "Subject: x\n\n{{x}} {{> part}}|{{>help}}");
	write_file(nl, "part.txt", "deel {{x}}");
	write_file(nl, "page.html", "<p>{{x}} {{{x}}} {{>part}}</p>");
	write_file(nl, "part.html", "<b>{{x}}</b>");
	write_file(nl, "bad.txt", "{{#x}}never closed");
	write_file(nl, "escape.txt", "{{>../../etc/passwd}}{{>.hidden}}[end]");
	write_file(en, "reply.txt", "Subject: y\n\n{{x}}");
	t = templates_new(root);

	assert_int_equal(templates_render(t, LANG_NL, "reply.txt", ctx, &out, err,
	    sizeof(err)), 0);
	/* Text: verbatim; a missing partial in the override comes from the
	 * shipped files (help.txt is not in the override). */
	assert_true(strncmp(out, "Subject: x\n\n<&> deel <&>|", 25) == 0);
	free(out);
	assert_int_equal(templates_render(t, LANG_NL, "page.html", ctx, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "<p>&lt;&amp;&gt; <&> <b>&lt;&amp;&gt;</b></p>");
	free(out);
	assert_int_equal(templates_render(t, LANG_EN, "reply.txt", ctx, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "Subject: y\n\n<&>");
	free(out);
	/* Partial names cannot leave the directory. */
	assert_int_equal(templates_render(t, LANG_NL, "escape.txt", ctx, &out, err,
	    sizeof(err)), 0);
	assert_string_equal(out, "[end]");
	free(out);
	out = NULL;
	/* Errors name the template and the line. */
	assert_int_equal(templates_render(t, LANG_NL, "bad.txt", ctx, &out, err,
	    sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "nl/bad.txt"));
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(templates_render(t, LANG_EN, "nothing.txt", ctx, &out,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "en/nothing.txt not found"));
	templates_free(t);

	for (size_t i = 0; i < 2; i++) {
		const char *files[] = { "reply.txt", "part.txt", "page.html",
		    "part.html", "bad.txt", "escape.txt" };
		for (size_t k = 0; k < HP_NELEM(files); k++)
			remove_file(i == 0 ? nl : en, files[k]);
	}
	assert_int_equal(rmdir(nl), 0);
	assert_int_equal(rmdir(en), 0);
	assert_int_equal(rmdir(root), 0);
	free(nl);
	free(en);
	json_decref(ctx);
}

static void
test_no_override(void **state)
{
	struct templates *t = templates_new("");
	char err[512], *out = NULL;

	/* Wherever the shipped directory is, it is named in the error. */
	assert_non_null(templates_shipped_dir(t));
	if (templates_render(t, LANG_NL, "no-such-template.txt", NULL, &out, err,
	    sizeof(err)) == 0)
		fail_msg("rendered a template that does not exist");
	assert_non_null(strstr(err, templates_shipped_dir(t)));
	assert_null(strstr(err, " or "));
	templates_free(t);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/hp-templates-file-XXXXXX", *text = NULL;
	int fd = mkstemp(path);
	size_t len = 0;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(templates_read_file(path, 10, &text, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(text, "0123456789");
	free(text);
	text = NULL;
	assert_int_equal(templates_read_file(path, 9, &text, &len), -1);
	assert_null(text);
	unlink(path);
	assert_int_equal(templates_read_file(path, 10, &text, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_new_org),
		cmocka_unit_test(test_update_warnings_help),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_failed_found),
		cmocka_unit_test(test_failed_not_found),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_help_file),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_no_override),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
