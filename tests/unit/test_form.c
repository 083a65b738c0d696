/*
 * Unit tests for form: fields and aliases, continuation, quoting, stop
 * markers, unknown keys, errors with line numbers, commands, language,
 * limits, idempotence, and golden files in tests/cases/form/ (set
 * HP_UPDATE_GOLDEN=1 to rewrite the .expected files after a deliberate
 * change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <cmocka.h>

#include "buf.h"
#include "form.h"
#include "util.h"

static struct country_db *db;

static int
setup(void **state)
{
	char err[256];

	if (country_db_load(NULL, NULL, &db, err, sizeof(err)) == -1) {
		fprintf(stderr, "country_db_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	country_db_free(db);
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

static struct form *
rd(const char *body)
{
	return form_read(NULL, body, strlen(body), LANG_NL, db);
}

static struct form *
rd_lang(const char *subject, const char *body, enum lang def)
{
	return form_read(subject, body, body ? strlen(body) : 0, def, db);
}

static void
dump_problems(const char *what, const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  %s line %d: %s | %s\n", what, p->v[i].line,
		    p->v[i].text[LANG_NL], p->v[i].text[LANG_EN]);
}

/* Is there a problem on line (any line when < 0) whose English text
 * contains needle? */
static bool
has(const struct problems *p, int line, const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if ((line < 0 || p->v[i].line == line) &&
		    strstr(p->v[i].text[LANG_EN], needle) != NULL)
			return true;
	return false;
}

#define assert_has(p, line, needle) do {				\
	if (!has((p), (line), (needle))) {				\
		dump_problems(#p, (p));					\
		fail_msg("no problem \"%s\" on line %d", (needle), (line)); \
	}								\
} while (0)

#define assert_clean(f) do {						\
	if ((f)->errors.n != 0 || (f)->warnings.n != 0) {		\
		dump_problems("error", &(f)->errors);			\
		dump_problems("warning", &(f)->warnings);		\
		fail_msg("form has problems");				\
	}								\
} while (0)

/* A canonical text rendering of a form, for comparisons and golden files. */
static char *
render(const struct form *f)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "lang: %s%s\n", model_lang_code(f->lang),
	    f->lang_detected ? " (detected)" : "");
	buf_printf(&b, "lines read: %zu\n", f->n_lines_read);
	if (f->organisation_line)
		buf_printf(&b, "organisation: %s (line %d)\n",
		    f->organisation ? f->organisation : "(invalid)",
		    f->organisation_line);
	if (f->organisation_missing)
		buf_puts(&b, "organisation: missing\n");
	if (f->has_event_keys)
		buf_puts(&b, "event keys: yes\n");
	if (f->present & FORM_F_SECTOR)
		buf_printf(&b, "sector: %s\n", f->sector == SECTOR_NONE ? "-" :
		    model_sector_name(f->sector));
	if (f->present & FORM_F_WEBSITE)
		buf_printf(&b, "website: %s\n", f->website ? f->website : "-");
	if (f->present & FORM_F_DESCRIPTION)
		buf_printf(&b, "description: %s\n",
		    f->description ? f->description : "-");
	if (f->present & FORM_F_INTERNSHIPS)
		buf_printf(&b, "internships: %s\n",
		    f->internships ? f->internships : "-");
	if (f->present & FORM_F_NETWORKS) {
		buf_puts(&b, "networks:");
		for (size_t i = 0; i < f->n_networks; i++)
			buf_printf(&b, " [%s]", f->networks[i]);
		buf_puts(&b, "\n");
	}
	if (f->present & FORM_F_CONTACTS) {
		buf_puts(&b, "contacts:\n");
		for (size_t i = 0; i < f->n_contacts; i++)
			buf_printf(&b, "  %s <%s>\n", f->contacts[i].name ?
			    f->contacts[i].name : "(no name)", f->contacts[i].email);
	}
	if (f->present & FORM_F_ACTIVITIES) {
		buf_puts(&b, "activities:\n");
		for (size_t i = 0; i < f->n_activities; i++) {
			const struct activity *a = &f->activities[i];
			buf_printf(&b, "  %s | %s | %s | %s\n", a->country,
			    a->city ? a->city : "", a->kind ?
			    model_kind_name(a->kind) : "", a->note ? a->note : "");
		}
	}
	for (size_t i = 0; i < f->n_commands; i++)
		buf_printf(&b, "command: %s [%s] (line %d)\n",
		    form_cmd_name(f->commands[i].cmd, LANG_EN),
		    f->commands[i].args ? f->commands[i].args : "",
		    f->commands[i].line);
	for (size_t i = 0; i < f->errors.n; i++)
		buf_printf(&b, "error %d: %s\n      %s\n", f->errors.v[i].line,
		    f->errors.v[i].text[LANG_NL], f->errors.v[i].text[LANG_EN]);
	for (size_t i = 0; i < f->warnings.n; i++)
		buf_printf(&b, "warning %d: %s\n        %s\n",
		    f->warnings.v[i].line, f->warnings.v[i].text[LANG_NL],
		    f->warnings.v[i].text[LANG_EN]);
	return buf_release(&b, NULL);
}

/* --- fields ----------------------------------------------------------- */

static void
test_english_form(void **state)
{
	struct form *f = rd(
	    "Dear office,\n"
	    "\n"
	    "Please update our entry:\n"
	    "\n"
	    "Organisation: Voorbeeld B.V.\n"
	    "Sector: economy\n"
	    "Website: https://voorbeeld.example/en\n"
	    "Description: We make bicycles.\n"
	    "Contact: Anna de Vries <anna@Voorbeeld.EXAMPLE>\n"
	    "Contact: piet@voorbeeld.example\n"
	    "Active-in: DE, Lübeck; trade; since 2019\n"
	    "Active-in: Belgium\n"
	    "Internships: 2 per year\n"
	    "Networks: Hanze, Eurocities\n"
	    "\n"
	    "Kind regards,\n"
	    "Anna\n");

	assert_clean(f);
	assert_int_equal(f->lang, LANG_EN);
	assert_true(f->lang_detected);
	assert_string_equal(f->organisation, "Voorbeeld B.V.");
	assert_int_equal(f->organisation_line, 5);
	assert_false(f->organisation_missing);
	assert_int_equal(f->present, FORM_F_SECTOR | FORM_F_WEBSITE |
	    FORM_F_DESCRIPTION | FORM_F_CONTACTS | FORM_F_ACTIVITIES |
	    FORM_F_INTERNSHIPS | FORM_F_NETWORKS);
	assert_int_equal(f->sector, SECTOR_ECONOMY);
	assert_string_equal(f->website, "https://voorbeeld.example/en");
	assert_string_equal(f->description, "We make bicycles.");
	assert_int_equal(f->n_contacts, 2);
	assert_string_equal(f->contacts[0].name, "Anna de Vries");
	assert_string_equal(f->contacts[0].email, "anna@voorbeeld.example");
	assert_null(f->contacts[1].name);
	assert_string_equal(f->contacts[1].email, "piet@voorbeeld.example");
	assert_int_equal(f->n_activities, 2);
	assert_string_equal(f->activities[0].country, "DE");
	assert_string_equal(f->activities[0].city, "Lübeck");
	assert_int_equal(f->activities[0].kind, KIND_TRADE);
	assert_string_equal(f->activities[0].note, "since 2019");
	assert_string_equal(f->activities[1].country, "BE");
	assert_null(f->activities[1].city);
	assert_int_equal(f->activities[1].kind, KIND_NONE);
	assert_null(f->activities[1].note);
	assert_string_equal(f->internships, "2 per year");
	assert_int_equal(f->n_networks, 2);
	assert_string_equal(f->networks[0], "Hanze");
	assert_string_equal(f->networks[1], "Eurocities");
	assert_int_equal(f->n_commands, 0);
	assert_int_equal(f->n_lines_read, 17);
	assert_true(form_has_fields(f));
	form_free(f);
}

static void
test_dutch_form(void **state)
{
	struct form *f = rd_lang(NULL,
	    "Beste mensen,\n"
	    "\n"
	    "Organisatie: Stichting De Waag\n"
	    "Sector: maatschappelijk\n"
	    "Website: dewaag.example\n"
	    "Omschrijving: Wij verbinden Deventer met de wereld.\n"
	    "Actief-in: Duitsland, Münster; uitwisseling\n"
	    "Actief in: België; partnerschap; met de gemeente Gent\n"
	    "Stageplaatsen: nee\n"
	    "Netwerken: Hanze\n"
	    "\n"
	    "Met vriendelijke groet,\n"
	    "Jan\n", LANG_EN);

	assert_clean(f);
	assert_int_equal(f->lang, LANG_NL);
	assert_true(f->lang_detected);
	assert_string_equal(f->organisation, "Stichting De Waag");
	assert_int_equal(f->sector, SECTOR_CIVIL_SOCIETY);
	assert_string_equal(f->website, "https://dewaag.example");
	assert_string_equal(f->description,
	    "Wij verbinden Deventer met de wereld.");
	assert_int_equal(f->n_activities, 2);
	assert_string_equal(f->activities[0].country, "DE");
	assert_string_equal(f->activities[0].city, "Münster");
	assert_int_equal(f->activities[0].kind, KIND_EXCHANGE);
	assert_string_equal(f->activities[1].country, "BE");
	assert_int_equal(f->activities[1].kind, KIND_PARTNERSHIP);
	assert_string_equal(f->activities[1].note, "met de gemeente Gent");
	assert_true(f->present & FORM_F_INTERNSHIPS);
	assert_null(f->internships);
	assert_int_equal(f->n_networks, 1);
	form_free(f);
}

static void
test_key_aliases(void **state)
{
	static const struct {
		const char *line;
		unsigned bit;	/* 0 = Organisation */
	} cases[] = {
		{ "Organisation: X", 0 }, { "Organisatie: X", 0 },
		{ "Organization: X", 0 }, { "ORGANISATION: X", 0 },
		{ "organisatie : X", 0 },
		{ "Sector: culture", FORM_F_SECTOR },
		{ "SECTOR: cultuur", FORM_F_SECTOR },
		{ "Website: https://x.example", FORM_F_WEBSITE },
		{ "website:\thttps://x.example", FORM_F_WEBSITE },
		{ "Description: x", FORM_F_DESCRIPTION },
		{ "Omschrijving: x", FORM_F_DESCRIPTION },
		{ "Contact: a@b.example", FORM_F_CONTACTS },
		{ "contact: <a@b.example>", FORM_F_CONTACTS },
		{ "Active-in: NL", FORM_F_ACTIVITIES },
		{ "Active in: NL", FORM_F_ACTIVITIES },
		{ "Actief-in: NL", FORM_F_ACTIVITIES },
		{ "Actief in: NL", FORM_F_ACTIVITIES },
		{ "ACTIVE-IN: NL", FORM_F_ACTIVITIES },
		{ "Internships: yes", FORM_F_INTERNSHIPS },
		{ "Stages: ja", FORM_F_INTERNSHIPS },
		{ "Stageplaatsen: 3", FORM_F_INTERNSHIPS },
		{ "Networks: Hanze", FORM_F_NETWORKS },
		{ "Netwerken: Hanze", FORM_F_NETWORKS },
		{ "   Netwerken: Hanze", FORM_F_NETWORKS },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct form *f = rd(cases[i].line);
		if (f->errors.n || f->warnings.n)
			fail_msg("\"%s\": %s", cases[i].line, f->errors.n ?
			    f->errors.v[0].text[LANG_EN] :
			    f->warnings.v[0].text[LANG_EN]);
		if (cases[i].bit == 0) {
			assert_string_equal(f->organisation, "X");
			assert_int_equal(f->present, 0);
		} else {
			assert_null(f->organisation);
			assert_int_equal(f->present, cases[i].bit);
			assert_true(f->organisation_missing);
		}
		assert_true(form_has_fields(f));
		form_free(f);
	}
}

static void
test_sector_values(void **state)
{
	static const struct {
		const char *v;
		enum sector s;
	} cases[] = {
		{ "economy", SECTOR_ECONOMY }, { "Economie", SECTOR_ECONOMY },
		{ "ondernemers", SECTOR_ECONOMY },
		{ "education", SECTOR_EDUCATION }, { "onderwijs", SECTOR_EDUCATION },
		{ "culture", SECTOR_CULTURE }, { "cultuur", SECTOR_CULTURE },
		{ "civil-society", SECTOR_CIVIL_SOCIETY },
		{ "maatschappelijk", SECTOR_CIVIL_SOCIETY },
		{ "government", SECTOR_GOVERNMENT }, { "overheid", SECTOR_GOVERNMENT },
		{ "gemeente", SECTOR_GOVERNMENT }, { "-", SECTOR_NONE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = xasprintf("Organisation: X\nSector: %s\n", cases[i].v);
		struct form *f = rd(body);
		assert_clean(f);
		assert_true(f->present & FORM_F_SECTOR);
		assert_int_equal(f->sector, cases[i].s);
		form_free(f);
		free(body);
	}
}

static void
test_website_values(void **state)
{
	static const struct {
		const char *v, *want;	/* want NULL: error */
	} cases[] = {
		{ "https://voorbeeld.example", "https://voorbeeld.example" },
		{ "voorbeeld.nl", "https://voorbeeld.nl" },
		{ "www.voorbeeld.nl/over-ons", "https://www.voorbeeld.nl/over-ons" },
		{ "HTTPS://WWW.Voorbeeld.NL/Over", "https://www.voorbeeld.nl/Over" },
		{ "https://x.example:8443/a?b=c#d", "https://x.example:8443/a?b=c#d" },
		{ "https://x.example/über", "https://x.example/über" },
		{ "http://voorbeeld.nl", NULL }, { "ftp://voorbeeld.nl", NULL },
		{ "https://", NULL }, { "https://localhost", NULL },
		{ "https://a b.example", NULL }, { "voorbeeld", NULL },
		{ "https://1.2.3.4", NULL }, { "https://x.example/<script>", NULL },
		{ "javascript:alert(1)", NULL }, { "mailto:a@b.example", NULL },
		{ "https://user@x.example", NULL }, { "https://x.example:", NULL },
		{ "https://-x.example", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = xasprintf("Website: %s\n", cases[i].v);
		struct form *f = rd(body);
		assert_true(f->present & FORM_F_WEBSITE);
		if (cases[i].want != NULL) {
			if (f->errors.n)
				fail_msg("%s: %s", cases[i].v,
				    f->errors.v[0].text[LANG_EN]);
			assert_string_equal(f->website, cases[i].want);
		} else {
			if (f->errors.n != 1)
				fail_msg("%s: expected one error", cases[i].v);
			assert_int_equal(f->errors.v[0].line, 1);
			assert_null(f->website);
		}
		form_free(f);
		free(body);
	}
	{
		struct form *f = rd("Website: http://voorbeeld.nl/x\n");
		assert_has(&f->errors, 1, "https://voorbeeld.nl/x");
		form_free(f);
		f = rd("Website: -\n");
		assert_clean(f);
		assert_true(f->present & FORM_F_WEBSITE);
		assert_null(f->website);
		form_free(f);
	}
}

static void
test_contacts(void **state)
{
	struct form *f = rd(
	    "Contact: \"de Vries, Anna\" <anna@x.example>\n"
	    "Contact: Piet <PIET@X.EXAMPLE>\n"
	    "Contact: Piet Again <piet@x.example>\n"
	    "Contact: Jörg Müller <jorg@x.example>\n");

	assert_int_equal(f->errors.n, 0);
	assert_has(&f->warnings, 3, "given twice");
	assert_int_equal(f->n_contacts, 3);
	assert_string_equal(f->contacts[0].name, "de Vries, Anna");
	assert_string_equal(f->contacts[1].email, "PIET@x.example");
	assert_string_equal(f->contacts[2].name, "Jörg Müller");
	form_free(f);

	/* Without brackets, as people write it. */
	f = rd("Contact: Anna de Vries anna@x.example\nContact: b@x.example\n");
	assert_clean(f);
	assert_int_equal(f->n_contacts, 2);
	assert_string_equal(f->contacts[0].name, "Anna de Vries");
	assert_string_equal(f->contacts[0].email, "anna@x.example");
	form_free(f);

	f = rd("Contact: -\n");
	assert_clean(f);
	assert_true(f->present & FORM_F_CONTACTS);
	assert_int_equal(f->n_contacts, 0);
	form_free(f);

	f = rd("Contact: -\nContact: a@b.example\n");
	assert_has(&f->errors, 1, "cannot be combined");
	form_free(f);

	f = rd("Contact: Anna\nContact: Anna <anna@>\nContact: <a@b>\n"
	    "Contact: a@b.example>\n");
	assert_int_equal(f->errors.n, 4);
	assert_has(&f->errors, 1, "no valid e-mail address");
	assert_has(&f->errors, 2, "no valid e-mail address");
	assert_has(&f->errors, 3, "no valid e-mail address");
	assert_has(&f->errors, 4, "no valid e-mail address");
	form_free(f);

	/* SMTP injection: the CR makes the line unreadable, which for a
	 * field is an error (never silently half-read). */
	f = rd("Contact: a@b.example>\r\nRCPT TO:<c@d.example>\n");
	assert_int_equal(f->n_contacts, 0);
	assert_true(f->errors.n >= 1);
	form_free(f);
	f = rd("Contact: Eve <a@b.example>\rRCPT TO:<c@d.example>\n");
	assert_int_equal(f->n_contacts, 0);
	assert_has(&f->errors, 1, "not allowed");
	form_free(f);

	{
		struct buf b;
		char *body;
		buf_init(&b, 0);
		for (int i = 0; i < 21; i++)
			buf_printf(&b, "Contact: c%d@x.example\n", i);
		body = buf_release(&b, NULL);
		f = rd(body);
		assert_has(&f->errors, 21, "More than 20 contacts");
		assert_int_equal(f->n_contacts, 20);
		form_free(f);
		free(body);
	}
}

static void
test_networks_internships(void **state)
{
	static const char *const none[] = { "no", "nee", "none", "geen", "-",
	    "NO", "Geen" };
	struct form *f = rd("Networks: , Hanze ,,Eurocities, hanze,  \n");

	assert_clean(f);
	assert_int_equal(f->n_networks, 2);
	assert_string_equal(f->networks[0], "Hanze");
	assert_string_equal(f->networks[1], "Eurocities");
	form_free(f);

	f = rd("Netwerken: -\n");
	assert_clean(f);
	assert_true(f->present & FORM_F_NETWORKS);
	assert_int_equal(f->n_networks, 0);
	form_free(f);

	f = rd("Networks: , ,\n");
	assert_has(&f->errors, 1, "no network names");
	form_free(f);

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		char *body = xasprintf("Internships: %s\n", none[i]);
		f = rd(body);
		assert_clean(f);
		assert_true(f->present & FORM_F_INTERNSHIPS);
		assert_null(f->internships);
		form_free(f);
		free(body);
	}
	f = rd("Stages: 2 per jaar, marketing en IT\n");
	assert_string_equal(f->internships, "2 per jaar, marketing en IT");
	form_free(f);
}

static void
test_organisation(void **state)
{
	struct form *f = rd("Sector: culture\n");

	assert_true(f->organisation_missing);
	assert_int_equal(f->errors.n, 0);
	form_free(f);

	f = rd("Organisation: Voorbeeld B.V.\n");
	assert_false(f->organisation_missing);
	assert_true(form_has_fields(f));
	assert_int_equal(f->present, 0);
	form_free(f);

	f = rd("Organisation: -\n");
	assert_has(&f->errors, 1, "cannot be cleared");
	assert_null(f->organisation);
	assert_true(form_has_fields(f));
	form_free(f);

	f = rd("Hello, how are you?\n");
	assert_false(form_has_fields(f));
	assert_false(f->organisation_missing);
	form_free(f);
}

/* --- Active-in ---------------------------------------------------------- */

static void
test_active_in_variants(void **state)
{
	struct form *f = rd(
	    "Organisation: X\n"
	    "Active-in: DE\n"
	    "Active-in: nl, Deventer\n"
	    "Active-in: Germany, Berlin; office\n"
	    "Active-in: Duitsland, Hamburg; handel; via de Kamer van Koophandel\n"
	    "Active-in: Verenigd Koninkrijk, London; exchange; a; b\n"
	    "Active-in: Korea, Republic of, Seoul; project\n"
	    "Active-in: Korea, Republic of\n"
	    "Active-in: BE; ; just a note\n"
	    "Active-in: FRA;culture\n"
	    "Active-in:   united states ,  New York  ;  NETWORK  ;  note  \n"
	    "Active-in: Belgie, Brugge\n");

	assert_clean(f);
	assert_int_equal(f->n_activities, 11);
	assert_string_equal(f->activities[0].country, "DE");
	assert_string_equal(f->activities[1].country, "NL");
	assert_string_equal(f->activities[1].city, "Deventer");
	assert_int_equal(f->activities[2].kind, KIND_OFFICE);
	assert_string_equal(f->activities[3].city, "Hamburg");
	assert_int_equal(f->activities[3].kind, KIND_TRADE);
	assert_string_equal(f->activities[3].note, "via de Kamer van Koophandel");
	assert_string_equal(f->activities[4].country, "GB");
	assert_string_equal(f->activities[4].note, "a; b");
	assert_string_equal(f->activities[5].country, "KR");
	assert_string_equal(f->activities[5].city, "Seoul");
	assert_string_equal(f->activities[6].country, "KR");
	assert_null(f->activities[6].city);
	assert_int_equal(f->activities[7].kind, KIND_NONE);
	assert_string_equal(f->activities[7].note, "just a note");
	assert_string_equal(f->activities[8].country, "FR");
	assert_int_equal(f->activities[8].kind, KIND_CULTURE);
	assert_string_equal(f->activities[9].country, "US");
	assert_string_equal(f->activities[9].city, "New York");
	assert_int_equal(f->activities[9].kind, KIND_NETWORK);
	assert_string_equal(f->activities[9].note, "note");
	assert_string_equal(f->activities[10].country, "BE");
	form_free(f);
}

static void
test_active_in_none(void **state)
{
	static const char *const none[] = { "none", "geen", "-", "None", "GEEN" };

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		char *body = xasprintf("Organisation: X\nActive-in: %s\n", none[i]);
		struct form *f = rd(body);
		assert_clean(f);
		assert_true(f->present & FORM_F_ACTIVITIES);
		assert_int_equal(f->n_activities, 0);
		form_free(f);
		free(body);
	}
	{
		struct form *f = rd("Actief-in: geen\nActief-in: DE\n");
		assert_has(&f->errors, 1, "cannot be combined");
		form_free(f);
	}
}

static void
test_active_in_errors(void **state)
{
	struct form *f = rd_lang(NULL,
	    "Organisatie: X\n"
	    "Actief-in: Duitsand\n"
	    "Actief-in: Atlantis, Poseidonia\n"
	    "Actief-in: DE; smokkel\n"
	    "Actief-in: ; handel\n"
	    "Actief-in: DE, Berlin; trade\n"
	    "Actief-in: de, berlin; Trade\n", LANG_NL);

	assert_int_equal(f->lang, LANG_NL);
	assert_has(&f->errors, 2, "unknown country \"Duitsand\"; did you mean "
	    "Duitsland (DE)?");
	assert_true(strstr(f->errors.v[0].text[LANG_NL],
	    "bedoelde u Duitsland (DE)?") != NULL);
	assert_has(&f->errors, 3, "unknown country \"Atlantis\"; use a code");
	assert_has(&f->errors, 4, "unknown kind \"smokkel\"; choose one of "
	    "trade, project");
	assert_true(strstr(f->errors.v[2].text[LANG_NL], "handel, project")
	    != NULL);
	assert_has(&f->errors, 5, "country missing");
	assert_int_equal(f->errors.n, 4);
	assert_has(&f->warnings, 7, "given twice");
	assert_int_equal(f->n_activities, 1);
	form_free(f);

	/* In an English form the suggestion names the country in English. */
	f = rd("Organisation: X\nActive-in: Germny\n");
	assert_has(&f->errors, 2, "did you mean Germany (DE)?");
	form_free(f);

	{
		struct buf b;
		char *body;
		buf_init(&b, 0);
		for (int i = 0; i < 101; i++)
			buf_printf(&b, "Active-in: DE, City%d\n", i);
		body = buf_release(&b, NULL);
		f = rd(body);
		assert_has(&f->errors, 101, "More than 100");
		assert_int_equal(f->n_activities, 100);
		form_free(f);
		free(body);
	}
}

static void
test_no_country_db(void **state)
{
	const char *body = "Active-in: de, Berlin; trade\nActive-in: Germany\n";
	struct form *f = form_read(NULL, body, strlen(body), LANG_EN, NULL);

	assert_int_equal(f->n_activities, 1);
	assert_string_equal(f->activities[0].country, "DE");
	assert_string_equal(f->activities[0].city, "Berlin");
	assert_has(&f->errors, 2, "unknown country");
	form_free(f);
}

/* --- reading: continuation, quotes, stop markers ---------------------- */

static void
test_continuation(void **state)
{
	struct form *f = rd(
	    "Organisation: X\n"
	    "Description: We make\n"
	    "  bicycles   and\n"
	    "\tcargo bikes.\n"
	    "  Website: https://x.example\n"
	    "Internships:\n"
	    "   two per year\n"
	    "\n"
	    "   not a continuation\n"
	    "Networks: Hanze,\n"
	    " Eurocities\n");

	assert_clean(f);
	assert_string_equal(f->description, "We make bicycles   and cargo bikes.");
	assert_string_equal(f->website, "https://x.example");
	assert_string_equal(f->internships, "two per year");
	assert_int_equal(f->n_networks, 2);
	assert_string_equal(f->networks[1], "Eurocities");
	form_free(f);

	/* An unindented line after Description is prose: a warning. */
	f = rd("Description: We make bicycles\nand cargo bikes.\n");
	assert_string_equal(f->description, "We make bicycles");
	assert_has(&f->warnings, 2, "not part of Description");
	form_free(f);
}

static void
test_quoted_lines(void **state)
{
	struct form *f = rd(
	    "Website: https://new.example\n"
	    "> Website: https://old.example\n"
	    ">> Sector: culture\n"
	    "  > Contact: evil@x.example\n"
	    ">help\n");

	assert_clean(f);
	assert_string_equal(f->website, "https://new.example");
	assert_int_equal(f->present, FORM_F_WEBSITE);
	assert_int_equal(f->n_commands, 0);
	form_free(f);

	/* A quoted line ends a continuation. */
	f = rd("Description: a\n> quoted\n  b\n");
	assert_string_equal(f->description, "a");
	form_free(f);
}

static void
expect_stop(const char *sep, size_t lines_read)
{
	char *body = xasprintf("Organisation: X\n\n%s\nWebsite: https://old.example\n"
	    "Sector: culture\n", sep);
	struct form *f = rd(body);

	if (f->present != 0 || f->n_lines_read != lines_read)
		fail_msg("separator \"%s\": present %u, lines read %zu", sep,
		    f->present, f->n_lines_read);
	assert_int_equal(f->warnings.n, 0);
	form_free(f);
	free(body);
}

static void
test_stop_markers(void **state)
{
	expect_stop("-- ", 2);
	expect_stop("--", 2);
	expect_stop("end", 2);
	expect_stop("END", 2);
	expect_stop("  Einde  ", 2);
	expect_stop("-----Original Message-----", 2);
	expect_stop("----- Original Message -----", 2);
	expect_stop("--- original message ---", 2);
	expect_stop("----- Oorspronkelijk bericht -----", 2);
	expect_stop("-----Origineel bericht-----", 2);
	expect_stop("__________", 2);
	expect_stop("________________________________", 2);
	expect_stop("On Mon, 4 Jan 2027 at 09:12, Anna <a@b.example> wrote:", 2);
	expect_stop("On Mon, Jan 4, 2027 at 9:12 AM Anna de Vries\n"
	    "<anna@voorbeeld.example> wrote:", 2);
	expect_stop("Op ma 4 jan. 2027 om 09:12 schreef Anna <a@b.example>:", 2);
	expect_stop("Op ma 4 jan. 2027 om 09:12 schreef Anna de Vries <\n"
	    "anna@voorbeeld.example>:", 2);
	expect_stop("Op 4 jan. 2027, om 09:12 heeft Anna <a@b.example> het "
	    "volgende geschreven:", 2);
	expect_stop("From: Anna de Vries <anna@x.example>\n"
	    "Sent: Monday, January 4, 2027 9:12 AM", 2);
	expect_stop("*From:* Anna de Vries <anna@x.example>\n"
	    "*Sent:* Monday, January 4, 2027 9:12 AM", 2);
	expect_stop("Van: Anna de Vries <anna@x.example>\n"
	    "Verzonden: maandag 4 januari 2027 09:12", 2);
}

static void
test_not_stop_markers(void **state)
{
	static const char *const lines[] = {
		"---", "-- x", "Ending soon", "end of story", "_________",
		"On Monday we travel to Berlin.", "From: the office",
		"Op maandag zijn we er.", "--- Forwarded message ---",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *body = xasprintf("Organisation: X\n%s\nSector: culture\n",
		    lines[i]);
		struct form *f = rd(body);
		if (!(f->present & FORM_F_SECTOR))
			fail_msg("\"%s\" stopped reading", lines[i]);
		assert_int_equal(f->n_lines_read, 3);
		form_free(f);
		free(body);
	}
}

static void
test_crlf(void **state)
{
	const char *lf = "Organisation: X\nDescription: a\n  b\nSector: culture\n-- \nsig\n";
	const char *crlf = "Organisation: X\r\nDescription: a\r\n  b\r\nSector: "
	    "culture\r\n-- \r\nsig\r\n";
	struct form *a = rd(lf), *b = rd(crlf);
	char *ra = render(a), *rb = render(b);

	assert_string_equal(ra, rb);
	assert_string_equal(b->description, "a b");
	assert_int_equal(b->n_lines_read, 4);
	free(ra);
	free(rb);
	form_free(a);
	form_free(b);
}

/* --- unknown keys --------------------------------------------------------- */

static void
test_unknown_keys(void **state)
{
	struct form *f = rd(
	    "Organisation: X\n"
	    "Webiste: https://x.example\n"
	    "Favourite colour: blue\n"
	    "Omschrijvng: tekst\n"
	    "Subject: our entry\n"
	    "From: Anna\n"
	    "Van: Anna\n"
	    "Onderwerp: iets\n"
	    "Cc: b@x.example\n"
	    "Event: Hanzedag\n"
	    "Start: 2027-06-01 10:00\n"
	    "End: 2027-06-01 17:00\n"
	    "Timezone: Europe/Amsterdam\n"
	    "Location: Deventer\n"
	    "Locatie: Deventer\n"
	    "Audience: all\n"
	    "Event-Id: 42\n"
	    "Subscribe: newsletter\n"
	    "Contacts: a@x.example\n"
	    "Time: 10:00\n");

	assert_int_equal(f->errors.n, 0);
	assert_has(&f->warnings, 2, "Unknown field \"Webiste\" ignored; did you "
	    "mean Website?");
	assert_has(&f->warnings, 3, "Unknown field \"Favourite colour\" ignored");
	assert_false(has(&f->warnings, 3, "did you mean"));
	assert_has(&f->warnings, 4, "did you mean Omschrijving?");
	assert_has(&f->warnings, 18, "is a command; write it without a colon");
	assert_has(&f->warnings, 19, "did you mean Contact?");
	assert_has(&f->warnings, 20, "Unknown field \"Time\"");
	assert_int_equal(f->warnings.n, 6);
	assert_true(f->has_event_keys);
	assert_int_equal(f->present, 0);
	form_free(f);
}

/* --- errors and line numbers ------------------------------------------ */

static void
test_error_lines(void **state)
{
	struct buf b;
	char *body, *longdesc;
	struct form *f;

	longdesc = xmalloc(2002);
	memset(longdesc, 'x', 2001);
	longdesc[2001] = '\0';
	buf_init(&b, 0);
	buf_printf(&b,
	    "Hello,\n"				/* 1 */
	    "\n"				/* 2 */
	    "Organisation: X\n"			/* 3 */
	    "Sector: farming\n"			/* 4 */
	    "Website: http://x.example\n"	/* 5 */
	    "Contact: nobody\n"			/* 6 */
	    "> Sector: quoted\n"		/* 7 */
	    "Active-in: Duitsand\n"		/* 8 */
	    "Active-in: DE; smuggling\n"	/* 9 */
	    "Sector: culture\n"			/* 10 */
	    "Internships:\n"			/* 11 */
	    "Description: %s\n"			/* 12 */
	    "Organisation: Y\n",		/* 13 */
	    longdesc);
	body = buf_release(&b, NULL);
	f = rd(body);
	assert_has(&f->errors, 4, "unknown sector \"farming\"; choose one of "
	    "economy, education, culture, civil-society, government");
	assert_has(&f->errors, 5, "use a secure address: https://x.example");
	assert_has(&f->errors, 6, "no valid e-mail address in \"nobody\"");
	assert_has(&f->errors, 8, "did you mean Germany (DE)?");
	assert_has(&f->errors, 9, "unknown kind \"smuggling\"");
	assert_has(&f->errors, 10, "Sector is given more than once (first on "
	    "line 4)");
	assert_has(&f->errors, 11, "Internships: empty value; write - to clear");
	assert_has(&f->errors, 12, "Description: too long (more than 2000");
	assert_has(&f->errors, 13, "Organisation is given more than once");
	assert_int_equal(f->errors.n, 9);
	/* Both languages are filled in. */
	for (size_t i = 0; i < f->errors.n; i++) {
		assert_non_null(f->errors.v[i].text[LANG_NL]);
		assert_true(strcmp(f->errors.v[i].text[LANG_NL],
		    f->errors.v[i].text[LANG_EN]) != 0);
	}
	assert_string_equal(f->organisation, "X");
	form_free(f);
	free(body);
	free(longdesc);
}

/* --- commands ------------------------------------------------------------ */

static void
expect_cmd(const char *subject, const char *body, enum form_cmd cmd,
    const char *args, int line, enum lang lang)
{
	struct form *f = rd_lang(subject, body, lang == LANG_NL ? LANG_EN :
	    LANG_NL);

	if (f->n_commands != 1)
		fail_msg("\"%s\" / \"%s\": %zu commands", subject ? subject : "",
		    body ? body : "", f->n_commands);
	assert_int_equal(f->commands[0].cmd, cmd);
	if (args == NULL)
		assert_null(f->commands[0].args);
	else
		assert_string_equal(f->commands[0].args, args);
	assert_int_equal(f->commands[0].line, line);
	assert_int_equal(f->lang, lang);
	assert_true(f->lang_detected);
	assert_false(form_has_fields(f));
	form_free(f);
}

static void
test_commands_subject(void **state)
{
	expect_cmd("help", NULL, FORM_CMD_HELP, NULL, 0, LANG_EN);
	expect_cmd("Hulp", NULL, FORM_CMD_HELP, NULL, 0, LANG_NL);
	expect_cmd("Re: RE: Fwd: help", NULL, FORM_CMD_HELP, NULL, 0, LANG_EN);
	expect_cmd("Antw: Aw:Doorst: hulp ", NULL, FORM_CMD_HELP, NULL, 0,
	    LANG_NL);
	expect_cmd("show Voorbeeld B.V.", "", FORM_CMD_SHOW, "Voorbeeld B.V.", 0,
	    LANG_EN);
	expect_cmd("Re: toon Voorbeeld B.V.", NULL, FORM_CMD_SHOW,
	    "Voorbeeld B.V.", 0, LANG_NL);
	expect_cmd("Re: [Deventer Internationaal] confirm 7f3a9c2d1e8b", NULL,
	    FORM_CMD_CONFIRM, "7f3a9c2d1e8b", 0, LANG_EN);
	expect_cmd("voorbeeld", NULL, FORM_CMD_PREVIEW, NULL, 0, LANG_NL);
	expect_cmd("Fw: subscribe newsletter en", NULL, FORM_CMD_SUBSCRIBE,
	    "newsletter en", 0, LANG_EN);

	{
		static const char *const not[] = { "Update for our entry",
		    "Help with the form", "Voorbeeld B.V. update",
		    "Re: our newsletter", "show me the way", "", "Re:",
		    "help\nBcc: x@y.example" };
		for (size_t i = 0; i < sizeof(not) / sizeof(not[0]); i++) {
			struct form *f = rd_lang(not[i], "", LANG_NL);
			if (f->n_commands != 0)
				fail_msg("subject \"%s\" read as a command", not[i]);
			assert_false(f->lang_detected);
			form_free(f);
		}
	}
}

static void
test_commands_body(void **state)
{
	expect_cmd(NULL, "Hello,\n\nhelp\n", FORM_CMD_HELP, NULL, 3, LANG_EN);
	expect_cmd("Re: something", "HULP\n", FORM_CMD_HELP, NULL, 1, LANG_NL);
	expect_cmd(NULL, "toon Voorbeeld B.V.\n", FORM_CMD_SHOW, "Voorbeeld B.V.",
	    1, LANG_NL);
	expect_cmd(NULL, "show\n", FORM_CMD_SHOW, NULL, 1, LANG_EN);
	expect_cmd(NULL, "subscribe\n", FORM_CMD_SUBSCRIBE, NULL, 1, LANG_EN);
	expect_cmd(NULL, "subscribe events nl\n", FORM_CMD_SUBSCRIBE,
	    "events nl", 1, LANG_EN);
	expect_cmd(NULL, "aanmelden nieuwsbrief\n", FORM_CMD_SUBSCRIBE,
	    "nieuwsbrief", 1, LANG_NL);
	expect_cmd(NULL, "unsubscribe\n", FORM_CMD_UNSUBSCRIBE, NULL, 1, LANG_EN);
	expect_cmd(NULL, "afmelden evenementen\n", FORM_CMD_UNSUBSCRIBE,
	    "evenementen", 1, LANG_NL);
	expect_cmd(NULL, "query country=DE sector=culture\n", FORM_CMD_QUERY,
	    "country=DE sector=culture", 1, LANG_EN);
	expect_cmd(NULL, "zoek text=water management\n", FORM_CMD_QUERY,
	    "text=water management", 1, LANG_NL);
	expect_cmd(NULL, "confirm 7f3a9c2d1e8b\n", FORM_CMD_CONFIRM,
	    "7f3a9c2d1e8b", 1, LANG_EN);
	expect_cmd(NULL, "bevestig abcdefghijklmnopqrst\n", FORM_CMD_CONFIRM,
	    "abcdefghijklmnopqrst", 1, LANG_NL);
	expect_cmd(NULL, "approve 7f3a9c2d1e8b\n", FORM_CMD_APPROVE,
	    "7f3a9c2d1e8b", 1, LANG_EN);
	expect_cmd(NULL, "goedkeuren 7f3a9c2d1e8b\n", FORM_CMD_APPROVE,
	    "7f3a9c2d1e8b", 1, LANG_NL);
	expect_cmd(NULL, "reject 7f3a9c2d1e8b not a partner\n", FORM_CMD_REJECT,
	    "7f3a9c2d1e8b not a partner", 1, LANG_EN);
	expect_cmd(NULL, "afwijzen 7f3a9c2d1e8b\n", FORM_CMD_REJECT,
	    "7f3a9c2d1e8b", 1, LANG_NL);
	expect_cmd(NULL, "remove Voorbeeld B.V.\n", FORM_CMD_REMOVE,
	    "Voorbeeld B.V.", 1, LANG_EN);
	expect_cmd(NULL, "verwijder Stichting De Waag\n", FORM_CMD_REMOVE,
	    "Stichting De Waag", 1, LANG_NL);
	expect_cmd(NULL, "  preview  \n", FORM_CMD_PREVIEW, NULL, 1, LANG_EN);
	expect_cmd(NULL, "Voorbeeld\n", FORM_CMD_PREVIEW, NULL, 1, LANG_NL);
	expect_cmd(NULL, "cancel evt-2027-001\n", FORM_CMD_CANCEL, "evt-2027-001",
	    1, LANG_EN);
	expect_cmd(NULL, "annuleer 42@hanze.example\n", FORM_CMD_CANCEL,
	    "42@hanze.example", 1, LANG_NL);
}

static void
test_prose_is_not_command(void **state)
{
	static const char *const prose[] = {
		"Show me the way", "Help is on the way", "Help!", "help me",
		"Subscribe to our newsletter too", "subscribe newsletter events",
		"subscribe nl en", "Remove me from the list", "remove",
		"Confirm this please", "confirm", "confirm abc", "approve thisword",
		"Query about the form", "query", "Cancel my subscription",
		"cancel", "cancel it", "annuleer alles", "Toon, kom je ook?",
		"Show what you have", "show Voorbeeld?", "Preview of the event",
		"Voorbeeld: zie hieronder", "unsubscribe me please",
		"afmelden voor de nieuwsbrief", "zoek het zelf maar uit",
		"Approve, please", "toon dit", "verwijder mij",
		"remove one two three four five six seven eight nine ten eleven",
	};

	for (size_t i = 0; i < sizeof(prose) / sizeof(prose[0]); i++) {
		char *body = xasprintf("Dear office,\n%s\nRegards\n", prose[i]);
		struct form *f = rd(body);
		if (f->n_commands != 0)
			fail_msg("\"%s\" read as a command", prose[i]);
		form_free(f);
		free(body);
	}
	{
		/* A command line longer than 200 bytes is prose. */
		char *body = xasprintf("show %0200d\n", 1);
		struct form *f = rd(body);
		assert_int_equal(f->n_commands, 0);
		form_free(f);
		free(body);
	}
}

static void
test_commands_mixed(void **state)
{
	struct form *f = rd_lang("Re: help",
	    "help\n"
	    "Help\n"
	    "toon Voorbeeld B.V.\n"
	    "toon voorbeeld b.v.\n"
	    "Organisatie: Voorbeeld B.V.\n"
	    "> confirm 7f3a9c2d1e8b\n"
	    "Description: text\n"
	    "  help\n"
	    "-- \n"
	    "preview\n", LANG_EN);

	assert_int_equal(f->n_commands, 2);
	assert_int_equal(f->commands[0].cmd, FORM_CMD_HELP);
	assert_int_equal(f->commands[0].line, 0);
	assert_int_equal(f->commands[1].cmd, FORM_CMD_SHOW);
	assert_int_equal(f->commands[1].line, 3);
	assert_string_equal(f->description, "text help");
	assert_string_equal(form_cmd_name(FORM_CMD_SHOW, LANG_NL), "toon");
	assert_string_equal(form_cmd_name(FORM_CMD_CANCEL, LANG_EN), "cancel");
	form_free(f);
}

/* --- language ----------------------------------------------------------- */

static void
test_language(void **state)
{
	struct form *f;

	/* Shared keys only: no hint. */
	f = rd_lang(NULL, "Sector: culture\nWebsite: x.example\nContact: a@b.example\n",
	    LANG_EN);
	assert_int_equal(f->lang, LANG_EN);
	assert_false(f->lang_detected);
	form_free(f);
	f = rd_lang(NULL, "Sector: culture\n", LANG_NL);
	assert_int_equal(f->lang, LANG_NL);
	form_free(f);

	/* Tie: default. */
	f = rd_lang(NULL, "Organisatie: X\nDescription: y\n", LANG_EN);
	assert_int_equal(f->lang, LANG_EN);
	assert_false(f->lang_detected);
	form_free(f);
	f = rd_lang(NULL, "Organisatie: X\nDescription: y\n", LANG_NL);
	assert_int_equal(f->lang, LANG_NL);
	form_free(f);

	/* Majority. */
	f = rd_lang(NULL, "Organisatie: X\nDescription: y\nStages: nee\n", LANG_EN);
	assert_int_equal(f->lang, LANG_NL);
	assert_true(f->lang_detected);
	form_free(f);
	f = rd_lang("help", "Organisatie: X\nNetworks: y\n", LANG_NL);
	assert_int_equal(f->lang, LANG_EN);
	form_free(f);
}

/* --- robustness ------------------------------------------------------------ */

static void
test_empty_and_invalid(void **state)
{
	struct form *f = form_read(NULL, NULL, 0, LANG_EN, db);

	assert_false(form_has_fields(f));
	assert_int_equal(f->n_lines_read, 0);
	assert_int_equal(f->lang, LANG_EN);
	form_free(f);

	f = form_read(NULL, "", 0, LANG_NL, NULL);
	assert_false(form_has_fields(f));
	form_free(f);

	/* Invalid UTF-8 in a field line is an error; in prose it is ignored. */
	f = rd("Organisation: X\nDescription: caf\xe9\nHi \xff there\nSector: culture\n");
	assert_has(&f->errors, 2, "not allowed");
	assert_int_equal(f->errors.n, 1);
	assert_null(f->description);
	assert_int_equal(f->sector, SECTOR_CULTURE);
	form_free(f);

	/* NUL bytes inside the body. */
	{
		static const char body[] = "Organisation: X\nWebsite: a\0b.example\n"
		    "Sector: culture\n";
		f = form_read(NULL, body, sizeof(body) - 1, LANG_EN, db);
		assert_has(&f->errors, 2, "not allowed");
		assert_int_equal(f->sector, SECTOR_CULTURE);
		form_free(f);
	}
	/* Subject with control characters or over-long: ignored. */
	f = rd_lang("help\r\nBcc: x", "", LANG_EN);
	assert_int_equal(f->n_commands, 0);
	form_free(f);
}

static void
test_limits(void **state)
{
	struct buf b;
	char *body;
	size_t len;
	struct form *f;

	/* 3000 lines: only 2000 are read, with a warning. */
	buf_init(&b, 0);
	for (int i = 0; i < 2999; i++)
		buf_puts(&b, "blah blah\n");
	buf_puts(&b, "Sector: culture\n");
	body = buf_release(&b, &len);
	f = form_read(NULL, body, len, LANG_EN, db);
	assert_int_equal(f->n_lines_read, FORM_MAX_LINES);
	assert_has(&f->warnings, FORM_MAX_LINES, "too long");
	assert_int_equal(f->present, 0);
	form_free(f);
	free(body);

	/* 1 MiB in few lines: only 256 KiB are looked at. */
	buf_init(&b, 0);
	buf_puts(&b, "Organisation: X\n");
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 256 * 1024 - 1; j++)
			buf_putc(&b, 'y');
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "Sector: culture\n");
	body = buf_release(&b, &len);
	f = form_read(NULL, body, len, LANG_EN, db);
	assert_int_equal(f->n_lines_read, 1);
	assert_has(&f->warnings, 1, "too long");
	assert_string_equal(f->organisation, "X");
	form_free(f);
	free(body);

	/* A continuation that never ends is cut and reported. */
	buf_init(&b, 0);
	buf_puts(&b, "Description: start\n");
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "  more and more and more text\n");
	body = buf_release(&b, &len);
	f = form_read(NULL, body, len, LANG_EN, db);
	assert_has(&f->errors, 1, "too long");
	assert_null(f->description);
	form_free(f);
	free(body);

	/* 60 distinct commands: 50 kept, one warning. */
	buf_init(&b, 0);
	for (int i = 0; i < 60; i++)
		buf_printf(&b, "confirm token%08d\n", i);
	body = buf_release(&b, &len);
	f = form_read(NULL, body, len, LANG_EN, db);
	assert_int_equal(f->n_commands, FORM_MAX_COMMANDS);
	assert_int_equal(f->warnings.n, 1);
	assert_has(&f->warnings, 51, "More than 50 commands");
	form_free(f);
	free(body);

	/* 2000 unknown keys: bounded, no crash, one warning per line. */
	buf_init(&b, 0);
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, "Websit: x\n");
	body = buf_release(&b, &len);
	f = form_read(NULL, body, len, LANG_EN, db);
	assert_int_equal(f->warnings.n, 2000);
	form_free(f);
	free(body);
}

static void
test_idempotent(void **state)
{
	const char *body =
	    "Organisatie: Voorbeeld B.V.\n"
	    "Sector: economie\n"
	    "Actief-in: Duitsland, Lübeck; handel\n"
	    "Actief-in: Duitsand\n"
	    "Webiste: x\n"
	    "toon Voorbeeld B.V.\n";
	struct form *a = rd_lang("Re: help", body, LANG_EN);
	struct form *b = rd_lang("Re: help", body, LANG_EN);
	char *ra = render(a), *rb = render(b);

	assert_string_equal(ra, rb);
	free(ra);
	free(rb);
	form_free(a);
	form_free(b);
}

/* --- golden files ------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (fp == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return buf_release(&b, len);
}

static const char *
cases_dir(void)
{
	static char dir[512];
	const char *src = __FILE__, *p = strstr(src, "tests/unit/");

	if (p == NULL)
		return "tests/cases/form";
	snprintf(dir, sizeof(dir), "%.*stests/cases/form", (int)(p - src), src);
	return dir;
}

/* Each NAME.txt is a mail: "Subject: ..." on the first line, a blank
 * line, then the body.  NAME.expected is render() of what form_read
 * makes of it. */
static void
test_golden(void **state)
{
	const char *dir = cases_dir();
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name), len;
		char *path, *text, *subject = NULL, *body, *got, *want, *exp;
		struct form *f;

		if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		text = slurp(path, &len);
		assert_non_null(text);
		body = strstr(text, "\n\n");
		assert_non_null(body);
		*body = '\0';
		body += 2;
		if (strncmp(text, "Subject: ", 9) == 0)
			subject = text + 9;
		f = form_read(subject, body, strlen(body), LANG_NL, db);
		got = render(f);
		exp = xasprintf("%s/%.*s.expected", dir, (int)(l - 4), e->d_name);
		if (getenv("HP_UPDATE_GOLDEN") != NULL) {
			FILE *fp = fopen(exp, "w");
			assert_non_null(fp);
			fputs(got, fp);
			fclose(fp);
		}
		want = slurp(exp, NULL);
		if (want == NULL || strcmp(want, got) != 0)
			fail_msg("%s: got\n%s\nexpected\n%s", e->d_name, got,
			    want ? want : "(missing)");
		free(want);
		free(exp);
		free(got);
		form_free(f);
		free(text);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english_form),
		cmocka_unit_test(test_dutch_form),
		cmocka_unit_test(test_key_aliases),
		cmocka_unit_test(test_sector_values),
		cmocka_unit_test(test_website_values),
		cmocka_unit_test(test_contacts),
		cmocka_unit_test(test_networks_internships),
		cmocka_unit_test(test_organisation),
		cmocka_unit_test(test_active_in_variants),
		cmocka_unit_test(test_active_in_none),
		cmocka_unit_test(test_active_in_errors),
		cmocka_unit_test(test_no_country_db),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_quoted_lines),
		cmocka_unit_test(test_stop_markers),
		cmocka_unit_test(test_not_stop_markers),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_commands_subject),
		cmocka_unit_test(test_commands_body),
		cmocka_unit_test(test_prose_is_not_command),
		cmocka_unit_test(test_commands_mixed),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_empty_and_invalid),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
