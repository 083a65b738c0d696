/*
 * Unit tests for entry: merging forms into entries (SPEC §3: present
 * fields set, "-" clears, lists are replaced as a whole, the same form
 * twice changes nothing), the text of activities and contacts, the
 * round trip entry -> form text -> form_read -> merge (zero changes, in
 * both languages, for awkward entries), and the SPEC §10 JSON shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entry.h"
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

/* --- building entries ---------------------------------------------------- */

static struct org *
org_make(const char *name, enum sector sector, const char *website,
    const char *description, const char *internships)
{
	struct org *o = org_new();

	o->name = xstrdup(name);
	o->sector = sector;
	o->website = xstrdup(website);
	o->description = xstrdup(description);
	o->internships = xstrdup(internships);
	return o;
}

static void
add_contact(struct org *o, const char *name, const char *email)
{
	o->contacts = xreallocarray(o->contacts, o->n_contacts + 1,
	    sizeof(*o->contacts));
	o->contacts[o->n_contacts].name = xstrdup(name);
	o->contacts[o->n_contacts++].email = xstrdup(email);
}

static void
add_activity(struct org *o, const char *cc, const char *city,
    enum activity_kind kind, const char *note)
{
	struct activity *a;

	o->activities = xreallocarray(o->activities, o->n_activities + 1,
	    sizeof(*o->activities));
	a = &o->activities[o->n_activities++];
	memset(a, 0, sizeof(*a));
	hp_strlcpy(a->country, cc, sizeof(a->country));
	a->city = xstrdup(city);
	a->kind = kind;
	a->note = xstrdup(note);
}

static void
add_network(struct org *o, const char *name)
{
	o->networks = xreallocarray(o->networks, o->n_networks + 1,
	    sizeof(*o->networks));
	o->networks[o->n_networks++] = xstrdup(name);
}

/* The example partner of SPEC §10, a little richer. */
static struct org *
org_example(void)
{
	struct org *o = org_make("Voorbeeld B.V.", SECTOR_ECONOMY,
	    "https://voorbeeld.example", "We make bicycles.", "2 per jaar");

	add_contact(o, "Anna de Vries", "anna@voorbeeld.example");
	add_contact(o, NULL, "piet@voorbeeld.example");
	add_activity(o, "DE", "Lübeck", KIND_TRADE, NULL);
	add_activity(o, "PL", "Gdańsk", KIND_EXCHANGE, "since 2019");
	add_network(o, "Hanze");
	add_network(o, "Eurocities");
	return o;
}

/* --- comparing ------------------------------------------------------------ */

static bool
same_str(const char *a, const char *b)
{
	return hp_streq_null(a, b);
}

/* Field by field, lists in order; fails with the first difference. */
static void
assert_org_same(const struct org *a, const struct org *b)
{
	if (!same_str(a->name, b->name))
		fail_msg("name \"%s\" != \"%s\"", a->name, b->name);
	assert_int_equal(a->sector, b->sector);
	if (!same_str(a->website, b->website) ||
	    !same_str(a->description, b->description) ||
	    !same_str(a->internships, b->internships))
		fail_msg("scalar fields differ");
	assert_int_equal(a->n_networks, b->n_networks);
	for (size_t i = 0; i < a->n_networks; i++)
		assert_string_equal(a->networks[i], b->networks[i]);
	assert_int_equal(a->n_contacts, b->n_contacts);
	for (size_t i = 0; i < a->n_contacts; i++) {
		if (!same_str(a->contacts[i].name, b->contacts[i].name))
			fail_msg("contact %zu name \"%s\" != \"%s\"", i,
			    a->contacts[i].name ? a->contacts[i].name : "(null)",
			    b->contacts[i].name ? b->contacts[i].name : "(null)");
		assert_string_equal(a->contacts[i].email, b->contacts[i].email);
	}
	assert_int_equal(a->n_activities, b->n_activities);
	for (size_t i = 0; i < a->n_activities; i++) {
		const struct activity *x = &a->activities[i], *y = &b->activities[i];
		assert_string_equal(x->country, y->country);
		assert_int_equal(x->kind, y->kind);
		if (!same_str(x->city, y->city) || !same_str(x->note, y->note))
			fail_msg("activity %zu differs", i);
	}
}

static const char *
kind_word(enum entry_change_kind k)
{
	return k == ENTRY_ADDED ? "added" : k == ENTRY_REMOVED ? "removed" :
	    "changed";
}

static void
dump_changes(const struct entry_changes *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		fprintf(stderr, "  %s %s: [%s] -> [%s]\n",
		    kind_word(ch->v[i].kind), ch->v[i].field,
		    ch->v[i].old_value ? ch->v[i].old_value : "(null)",
		    ch->v[i].new_value ? ch->v[i].new_value : "(null)");
}

static void
dump_problems(const char *what, const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		fprintf(stderr, "  %s line %d: %s\n", what, p->v[i].line,
		    p->v[i].text[LANG_EN]);
}

/* Is there exactly this change (NULL old/new must be NULL)? */
static bool
has_change(const struct entry_changes *ch, enum entry_change_kind kind,
    const char *field, const char *old_value, const char *new_value)
{
	for (size_t i = 0; i < ch->n; i++)
		if (ch->v[i].kind == kind && strcmp(ch->v[i].field, field) == 0 &&
		    same_str(ch->v[i].old_value, old_value) &&
		    same_str(ch->v[i].new_value, new_value))
			return true;
	return false;
}

#define assert_change(ch, kind, field, o, n) do {			\
	if (!has_change((ch), (kind), (field), (o), (n))) {		\
		dump_changes(ch);					\
		fail_msg("no change %s %s [%s] -> [%s]",		\
		    kind_word(kind), (field), (o) ? (o) : "(null)",	\
		    (n) ? (n) : "(null)");				\
	}								\
} while (0)

#define assert_changes_n(ch, count) do {				\
	if ((ch)->n != (size_t)(count)) {				\
		dump_changes(ch);					\
		fail_msg("%zu changes, want %d", (ch)->n, (int)(count)); \
	}								\
} while (0)

/* --- reading forms ---------------------------------------------------------- */

static struct form *
rd(const char *body)
{
	struct form *f = form_read(NULL, body, strlen(body), LANG_NL, db);

	if (f->errors.n > 0) {
		dump_problems("error", &f->errors);
		fail_msg("form has errors:\n%s", body);
	}
	return f;
}

/* Merge body onto old; the result in *out, the changes in ch. */
static void
merge_text(const struct org *old, const char *body, struct org **out,
    struct entry_changes *ch)
{
	struct form *f = rd(body);

	memset(ch, 0, sizeof(*ch));
	entry_merge(old, f->organisation, f, out, ch);
	form_free(f);
}

/* --- merge ------------------------------------------------------------------ */

static void
test_merge_new(void **state)
{
	struct entry_changes ch;
	struct org *o = NULL;

	merge_text(NULL,
	    "Organisation: Hanzehuis Lübeck e.V.\n"
	    "Sector: culture\n"
	    "Website: hanzehuis.example\n"
	    "Description: A house of culture.\n"
	    "Contact: Jörg Müller <joerg@hanzehuis.example>\n"
	    "Active-in: Germany, Lübeck; culture\n"
	    "Active-in: EE, Tallinn\n"
	    "Internships: 1 per year\n"
	    "Networks: Hanze, Eurocities\n", &o, &ch);
	assert_string_equal(o->name, "Hanzehuis Lübeck e.V.");
	assert_int_equal(o->id, 0);
	assert_change(&ch, ENTRY_ADDED, "organisation", NULL,
	    "Hanzehuis Lübeck e.V.");
	assert_change(&ch, ENTRY_ADDED, "sector", NULL, "culture");
	assert_change(&ch, ENTRY_ADDED, "website", NULL,
	    "https://hanzehuis.example");
	assert_change(&ch, ENTRY_ADDED, "description", NULL,
	    "A house of culture.");
	assert_change(&ch, ENTRY_ADDED, "contact", NULL,
	    "Jörg Müller <joerg@hanzehuis.example>");
	assert_change(&ch, ENTRY_ADDED, "activity", NULL, "DE, Lübeck; culture");
	assert_change(&ch, ENTRY_ADDED, "activity", NULL, "EE, Tallinn");
	assert_change(&ch, ENTRY_ADDED, "internships", NULL, "1 per year");
	assert_change(&ch, ENTRY_ADDED, "network", NULL, "Hanze");
	assert_change(&ch, ENTRY_ADDED, "network", NULL, "Eurocities");
	assert_changes_n(&ch, 10);
	assert_int_equal(o->sector, SECTOR_CULTURE);
	assert_string_equal(o->website, "https://hanzehuis.example");
	assert_int_equal(o->n_activities, 2);
	assert_string_equal(o->activities[0].country, "DE");
	assert_string_equal(o->activities[0].city, "Lübeck");
	assert_int_equal(o->activities[0].kind, KIND_CULTURE);
	assert_string_equal(o->activities[1].country, "EE");
	assert_null(o->activities[1].note);
	entry_changes_clear(&ch);
	assert_null(ch.v);
	assert_int_equal(ch.n, 0);
	org_free(o);
}

/* A new organisation with only a name and cleared fields: one change. */
static void
test_merge_new_minimal(void **state)
{
	struct entry_changes ch;
	struct org *o = NULL;

	merge_text(NULL, "Organisatie: Stichting Leeg\nSector: -\nWebsite: -\n"
	    "Contact: -\nActief-in: geen\nNetwerken: -\nStages: nee\n", &o, &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_ADDED, "organisation", NULL, "Stichting Leeg");
	assert_int_equal(o->sector, SECTOR_NONE);
	assert_null(o->website);
	assert_null(o->internships);
	assert_int_equal(o->n_contacts + o->n_activities + o->n_networks, 0);
	entry_changes_clear(&ch);
	org_free(o);
}

static void
test_merge_scalars(void **state)
{
	struct org *old = org_example(), *o = NULL, *o2 = NULL;
	struct entry_changes ch;

	merge_text(old, "Organisation: Voorbeeld B.V.\nSector: onderwijs\n", &o,
	    &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_CHANGED, "sector", "economy", "education");
	assert_int_equal(o->sector, SECTOR_EDUCATION);
	entry_changes_clear(&ch);
	org_free(o);

	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Website: https://voorbeeld.example/en\n", &o, &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_CHANGED, "website", "https://voorbeeld.example",
	    "https://voorbeeld.example/en");
	entry_changes_clear(&ch);
	org_free(o);

	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Description: We make e-bikes.\n", &o, &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_CHANGED, "description", "We make bicycles.",
	    "We make e-bikes.");
	assert_string_equal(o->description, "We make e-bikes.");
	entry_changes_clear(&ch);
	org_free(o);

	merge_text(old, "Organisation: Voorbeeld B.V.\nStages: 3 per jaar\n", &o,
	    &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_CHANGED, "internships", "2 per jaar",
	    "3 per jaar");
	/* The rest is untouched. */
	assert_string_equal(o->description, "We make bicycles.");
	assert_int_equal(o->n_contacts, 2);
	assert_int_equal(o->n_activities, 2);
	assert_int_equal(o->n_networks, 2);
	entry_changes_clear(&ch);

	/* A scalar added to an entry that had none. */
	free(o->website);
	o->website = NULL;
	merge_text(o, "Organisation: Voorbeeld B.V.\nWebsite: voorbeeld.example\n",
	    &o2, &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_ADDED, "website", NULL,
	    "https://voorbeeld.example");
	entry_changes_clear(&ch);
	org_free(o);
	org_free(o2);
	org_free(old);
}

static void
test_merge_clear(void **state)
{
	struct org *old = org_example(), *o = NULL;
	struct entry_changes ch;

	merge_text(old, "Organisatie: Voorbeeld B.V.\n"
	    "Sector: -\nWebsite: -\nOmschrijving: -\nStages: -\n"
	    "Contact: -\nActief-in: geen\nNetwerken: -\n", &o, &ch);
	assert_change(&ch, ENTRY_REMOVED, "sector", "economy", NULL);
	assert_change(&ch, ENTRY_REMOVED, "website", "https://voorbeeld.example",
	    NULL);
	assert_change(&ch, ENTRY_REMOVED, "description", "We make bicycles.",
	    NULL);
	assert_change(&ch, ENTRY_REMOVED, "internships", "2 per jaar", NULL);
	assert_change(&ch, ENTRY_REMOVED, "contact",
	    "Anna de Vries <anna@voorbeeld.example>", NULL);
	assert_change(&ch, ENTRY_REMOVED, "contact", "<piet@voorbeeld.example>",
	    NULL);
	assert_change(&ch, ENTRY_REMOVED, "activity", "DE, Lübeck; trade", NULL);
	assert_change(&ch, ENTRY_REMOVED, "activity",
	    "PL, Gdańsk; exchange; since 2019", NULL);
	assert_change(&ch, ENTRY_REMOVED, "network", "Hanze", NULL);
	assert_change(&ch, ENTRY_REMOVED, "network", "Eurocities", NULL);
	assert_changes_n(&ch, 10);
	assert_string_equal(o->name, "Voorbeeld B.V.");
	assert_int_equal(o->sector, SECTOR_NONE);
	assert_null(o->website);
	assert_null(o->description);
	assert_null(o->internships);
	assert_int_equal(o->n_contacts, 0);
	assert_int_equal(o->n_activities, 0);
	assert_int_equal(o->n_networks, 0);
	entry_changes_clear(&ch);
	org_free(o);

	/* "no"/"nee" means no internships, like "-". */
	merge_text(old, "Organisation: Voorbeeld B.V.\nInternships: no\n", &o, &ch);
	assert_changes_n(&ch, 1);
	assert_change(&ch, ENTRY_REMOVED, "internships", "2 per jaar", NULL);
	entry_changes_clear(&ch);
	org_free(o);
	org_free(old);
}

static void
test_merge_lists(void **state)
{
	struct org *old = org_example(), *o = NULL;
	struct entry_changes ch;

	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Active-in: PL, Gdańsk; exchange; since 2019\n"
	    "Active-in: Estonia, Tallinn; office\n", &o, &ch);
	assert_changes_n(&ch, 2);
	assert_change(&ch, ENTRY_REMOVED, "activity", "DE, Lübeck; trade", NULL);
	assert_change(&ch, ENTRY_ADDED, "activity", NULL, "EE, Tallinn; office");
	assert_int_equal(o->n_activities, 2);
	assert_string_equal(o->activities[0].country, "PL");
	assert_string_equal(o->activities[1].country, "EE");
	assert_int_equal(o->activities[1].kind, KIND_OFFICE);
	entry_changes_clear(&ch);
	org_free(o);

	/* A changed activity is the old line removed and the new one added. */
	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Active-in: DE, Lübeck; trade; harbour\n"
	    "Active-in: PL, Gdańsk; exchange; since 2019\n", &o, &ch);
	assert_changes_n(&ch, 2);
	assert_change(&ch, ENTRY_REMOVED, "activity", "DE, Lübeck; trade", NULL);
	assert_change(&ch, ENTRY_ADDED, "activity", NULL,
	    "DE, Lübeck; trade; harbour");
	entry_changes_clear(&ch);
	org_free(o);

	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Contact: Anna de Vries <anna@voorbeeld.example>\n"
	    "Contact: Kees Jansen <kees@voorbeeld.example>\n", &o, &ch);
	assert_changes_n(&ch, 2);
	assert_change(&ch, ENTRY_REMOVED, "contact", "<piet@voorbeeld.example>",
	    NULL);
	assert_change(&ch, ENTRY_ADDED, "contact", NULL,
	    "Kees Jansen <kees@voorbeeld.example>");
	assert_int_equal(o->n_contacts, 2);
	assert_string_equal(o->contacts[1].email, "kees@voorbeeld.example");
	entry_changes_clear(&ch);
	org_free(o);

	/* A contact's new name: removed and added. */
	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Contact: Anna Jansen-de Vries <anna@voorbeeld.example>\n"
	    "Contact: piet@voorbeeld.example\n", &o, &ch);
	assert_changes_n(&ch, 2);
	assert_change(&ch, ENTRY_REMOVED, "contact",
	    "Anna de Vries <anna@voorbeeld.example>", NULL);
	assert_change(&ch, ENTRY_ADDED, "contact", NULL,
	    "Anna Jansen-de Vries <anna@voorbeeld.example>");
	entry_changes_clear(&ch);
	org_free(o);

	merge_text(old, "Organisation: Voorbeeld B.V.\n"
	    "Networks: Eurocities, Hanzesteden\n", &o, &ch);
	assert_changes_n(&ch, 2);
	assert_change(&ch, ENTRY_REMOVED, "network", "Hanze", NULL);
	assert_change(&ch, ENTRY_ADDED, "network", NULL, "Hanzesteden");
	assert_int_equal(o->n_networks, 2);
	assert_string_equal(o->networks[0], "Eurocities");
	assert_string_equal(o->networks[1], "Hanzesteden");
	entry_changes_clear(&ch);
	org_free(o);
	org_free(old);
}

/* Only the order differs: nothing to report, but the form's order is
 * kept (SPEC §10); the kind may be written in either language. */
static void
test_merge_order_and_language(void **state)
{
	struct org *old = org_example(), *o = NULL;
	struct entry_changes ch;

	merge_text(old, "Organisatie: Voorbeeld B.V.\n"
	    "Actief-in: Polen, Gdańsk; uitwisseling; since 2019\n"
	    "Actief-in: Duitsland, Lübeck; handel\n"
	    "Netwerken: Eurocities, Hanze\n"
	    "Contact: piet@voorbeeld.example\n"
	    "Contact: Anna de Vries <anna@voorbeeld.example>\n", &o, &ch);
	assert_changes_n(&ch, 0);
	assert_string_equal(o->activities[0].country, "PL");
	assert_string_equal(o->activities[1].country, "DE");
	assert_string_equal(o->networks[0], "Eurocities");
	assert_null(o->contacts[0].name);
	entry_changes_clear(&ch);
	org_free(o);
	org_free(old);
}

static void
test_merge_unchanged(void **state)
{
	struct org *old = org_example(), *o = NULL;
	struct entry_changes ch;

	/* Only the name: nothing is present, nothing changes. */
	merge_text(old, "Organisation: Voorbeeld B.V.\n", &o, &ch);
	assert_changes_n(&ch, 0);
	assert_org_same(o, old);
	entry_changes_clear(&ch);
	org_free(o);

	/* Every field, as it is. */
	merge_text(old, "Organisation: Voorbeeld B.V.\nSector: economie\n"
	    "Website: https://voorbeeld.example\n"
	    "Description: We make bicycles.\nInternships: 2 per jaar\n"
	    "Contact: Anna de Vries <anna@voorbeeld.example>\n"
	    "Contact: <piet@voorbeeld.example>\n"
	    "Active-in: DE, Lübeck; trade\n"
	    "Active-in: PL, Gdańsk; exchange; since 2019\n"
	    "Networks: Hanze, Eurocities\n", &o, &ch);
	assert_changes_n(&ch, 0);
	assert_org_same(o, old);
	entry_changes_clear(&ch);
	org_free(o);
	org_free(old);
}

/* SPEC §3: sending the same form twice changes nothing the second time. */
static void
test_merge_idempotent(void **state)
{
	static const char *const forms[] = {
		"Organisation: Voorbeeld B.V.\nSector: culture\n"
		"Website: https://voorbeeld.example/nl\nDescription: New.\n"
		"Contact: Kees <kees@voorbeeld.example>\n"
		"Active-in: EE, Tallinn; ; note only\nActive-in: LV, Riga\n"
		"Internships: -\nNetworks: Hanze\n",
		"Organisatie: Voorbeeld B.V.\nContact: -\nActief-in: geen\n"
		"Netwerken: -\nSector: -\n",
		"Organisation: Voorbeeld B.V.\n"
		"Active-in: DE, Lübeck; trade\nActive-in: DE, Hamburg; trade\n",
	};
	struct org *old = org_example();

	for (size_t i = 0; i < HP_NELEM(forms); i++) {
		struct form *f = rd(forms[i]);
		struct entry_changes ch1 = { 0 }, ch2 = { 0 };
		struct org *o1 = NULL, *o2 = NULL;

		entry_merge(old, f->organisation, f, &o1, &ch1);
		assert_true(ch1.n > 0);
		entry_merge(o1, f->organisation, f, &o2, &ch2);
		assert_changes_n(&ch2, 0);
		assert_org_same(o1, o2);
		entry_changes_clear(&ch1);
		entry_changes_clear(&ch2);
		org_free(o1);
		org_free(o2);
		form_free(f);
	}
	org_free(old);
}

/* entry_merge copies: the result owns nothing of the form or the old
 * entry, so either may be freed first. */
static void
test_merge_ownership(void **state)
{
	struct org *old = org_example(), *o = NULL;
	struct form *f = rd("Organisation: Voorbeeld B.V.\n"
	    "Contact: Kees <kees@voorbeeld.example>\nActive-in: FI, Turku; ; x\n"
	    "Networks: A, B\nDescription: D\n");
	struct entry_changes ch = { 0 };

	old->id = 42;
	old->updated_at = 1700000000;
	entry_merge(old, NULL, f, &o, &ch);
	form_free(f);
	org_free(old);
	assert_int_equal(o->id, 42);
	assert_int_equal(o->updated_at, 1700000000);
	assert_string_equal(o->contacts[0].name, "Kees");
	assert_string_equal(o->activities[0].city, "Turku");
	assert_string_equal(o->activities[0].note, "x");
	assert_string_equal(o->networks[1], "B");
	assert_string_equal(o->description, "D");
	entry_changes_clear(&ch);
	org_free(o);
}

/* --- texts ------------------------------------------------------------------ */

static void
check_activity(const char *cc, const char *city, enum activity_kind kind,
    const char *note, enum lang lang, const char *want)
{
	struct activity a = { .kind = kind };
	char *t;

	hp_strlcpy(a.country, cc, sizeof(a.country));
	a.city = (char *)city;
	a.note = (char *)note;
	t = entry_activity_text(&a, lang);
	assert_string_equal(t, want);
	free(t);
}

static void
test_activity_text(void **state)
{
	check_activity("DE", NULL, KIND_NONE, NULL, LANG_EN, "DE");
	check_activity("DE", "Lübeck", KIND_NONE, NULL, LANG_EN, "DE, Lübeck");
	check_activity("DE", "Lübeck", KIND_TRADE, NULL, LANG_EN,
	    "DE, Lübeck; trade");
	check_activity("DE", "Lübeck", KIND_TRADE, NULL, LANG_NL,
	    "DE, Lübeck; handel");
	check_activity("DE", NULL, KIND_NONE, "note", LANG_NL, "DE; ; note");
	check_activity("PL", "Gdańsk", KIND_EXCHANGE, "a; b", LANG_NL,
	    "PL, Gdańsk; uitwisseling; a; b");
	check_activity("EE", "Tallinn", KIND_NONE, "x", LANG_EN,
	    "EE, Tallinn; ; x");
}

static void
check_contact(const char *name, const char *email, const char *want)
{
	struct contact c = { (char *)name, (char *)email };
	char *t = entry_contact_text(&c);

	assert_string_equal(t, want);
	free(t);
}

static void
test_contact_text(void **state)
{
	check_contact("Anna de Vries", "anna@x.example",
	    "Anna de Vries <anna@x.example>");
	check_contact(NULL, "anna@x.example", "<anna@x.example>");
	check_contact("", "anna@x.example", "<anna@x.example>");
	check_contact("Jörg Müller", "j@x.example", "Jörg Müller <j@x.example>");
	check_contact("Vries, Anna de", "a@x.example",
	    "\"Vries, Anna de\" <a@x.example>");
	check_contact("Anna \"the boss\" de Vries", "a@x.example",
	    "\"Anna \\\"the boss\\\" de Vries\" <a@x.example>");
	check_contact("Sales <EU>", "a@x.example", "\"Sales <EU>\" <a@x.example>");
	check_contact("back\\slash", "a@x.example",
	    "\"back\\\\slash\" <a@x.example>");
	/* Blanks at either end survive only inside quotes. */
	check_contact(" Anna ", "a@x.example", "\" Anna \" <a@x.example>");
}

static void
test_field_label(void **state)
{
	assert_string_equal(entry_field_label("activity", LANG_NL), "Actief-in");
	assert_string_equal(entry_field_label("activity", LANG_EN), "Active-in");
	assert_string_equal(entry_field_label("organisation", LANG_NL),
	    "Organisatie");
	assert_string_equal(entry_field_label("description", LANG_NL),
	    "Omschrijving");
	assert_string_equal(entry_field_label("internships", LANG_NL), "Stages");
	assert_string_equal(entry_field_label("network", LANG_EN), "Networks");
	assert_string_equal(entry_field_label("contact", LANG_EN), "Contact");
	assert_string_equal(entry_field_label("nonsense", LANG_EN), "nonsense");
}

/* --- render and round trip -------------------------------------------------- */

static void
test_render_form(void **state)
{
	struct org *o = org_example();
	char *nl = entry_render_form(o, LANG_NL), *en = entry_render_form(o, LANG_EN);
	struct org *e = org_make("Leeg", SECTOR_NONE, NULL, NULL, NULL);
	char *enl = entry_render_form(e, LANG_NL), *een = entry_render_form(e, LANG_EN);

	assert_string_equal(nl,
	    "Organisatie: Voorbeeld B.V.\n"
	    "Sector: economy\n"
	    "Website: https://voorbeeld.example\n"
	    "Omschrijving: We make bicycles.\n"
	    "Contact: Anna de Vries <anna@voorbeeld.example>\n"
	    "Contact: <piet@voorbeeld.example>\n"
	    "Actief-in: DE, Lübeck; handel\n"
	    "Actief-in: PL, Gdańsk; uitwisseling; since 2019\n"
	    "Stages: 2 per jaar\n"
	    "Netwerken: Hanze, Eurocities\n");
	assert_string_equal(en,
	    "Organisation: Voorbeeld B.V.\n"
	    "Sector: economy\n"
	    "Website: https://voorbeeld.example\n"
	    "Description: We make bicycles.\n"
	    "Contact: Anna de Vries <anna@voorbeeld.example>\n"
	    "Contact: <piet@voorbeeld.example>\n"
	    "Active-in: DE, Lübeck; trade\n"
	    "Active-in: PL, Gdańsk; exchange; since 2019\n"
	    "Internships: 2 per jaar\n"
	    "Networks: Hanze, Eurocities\n");
	assert_string_equal(enl,
	    "Organisatie: Leeg\nSector: -\nWebsite: -\nOmschrijving: -\n"
	    "Contact: -\nActief-in: geen\nStages: -\nNetwerken: -\n");
	assert_string_equal(een,
	    "Organisation: Leeg\nSector: -\nWebsite: -\nDescription: -\n"
	    "Contact: -\nActive-in: none\nInternships: -\nNetworks: -\n");
	free(nl);
	free(en);
	free(enl);
	free(een);
	org_free(o);
	org_free(e);
}

/* Render o in lang, read it back (with countries or without), merge it
 * onto o: no problems, no changes, and the same entry. */
static void
round_trip_one(const struct org *o, enum lang lang,
    const struct country_db *countries)
{
	char *text = entry_render_form(o, lang);
	/* The other default language: the keys alone must give it away. */
	struct form *f = form_read(NULL, text, strlen(text),
	    lang == LANG_NL ? LANG_EN : LANG_NL, countries);
	struct entry_changes ch = { 0 };
	struct org *back = NULL;

	if (f->errors.n > 0 || f->warnings.n > 0) {
		dump_problems("error", &f->errors);
		dump_problems("warning", &f->warnings);
		fail_msg("%s form of %s does not read back cleanly:\n%s",
		    model_lang_code(lang), o->name, text);
	}
	assert_int_equal(f->lang, lang);
	assert_true(f->lang_detected);
	assert_int_equal(f->n_commands, 0);
	assert_string_equal(f->organisation, o->name);
	assert_int_equal(f->present, FORM_F_SECTOR | FORM_F_WEBSITE |
	    FORM_F_DESCRIPTION | FORM_F_CONTACTS | FORM_F_ACTIVITIES |
	    FORM_F_INTERNSHIPS | FORM_F_NETWORKS);
	entry_merge(o, f->organisation, f, &back, &ch);
	if (ch.n != 0) {
		dump_changes(&ch);
		fail_msg("%s form of %s changes the entry:\n%s",
		    model_lang_code(lang), o->name, text);
	}
	assert_org_same(back, o);
	entry_changes_clear(&ch);
	org_free(back);
	form_free(f);
	free(text);
}

static void
round_trip(const struct org *o)
{
	round_trip_one(o, LANG_NL, db);
	round_trip_one(o, LANG_EN, db);
	round_trip_one(o, LANG_NL, NULL);
	round_trip_one(o, LANG_EN, NULL);
}

static void
test_round_trip_example(void **state)
{
	struct org *o = org_example();

	round_trip(o);
	org_free(o);
}

static void
test_round_trip_empty(void **state)
{
	struct org *o = org_make("Stichting Niets", SECTOR_NONE, NULL, NULL,
	    NULL);

	round_trip(o);
	org_free(o);
	o = org_make("Gemeente Deventer", SECTOR_GOVERNMENT, NULL, NULL, NULL);
	add_contact(o, NULL, "international@deventer.example");
	round_trip(o);
	org_free(o);
}

static void
test_round_trip_activities(void **state)
{
	struct org *o = org_make("Hanzestad Kampen", SECTOR_CIVIL_SOCIETY,
	    "https://kampen.example/hanze?lang=nl#top",
	    "Stichting voor de Hanze: uitwisseling, cultuur; en meer.",
	    "Ja, in de zomer (2 plaatsen)");

	add_activity(o, "DE", "Lübeck", KIND_PARTNERSHIP, "sinds 1980");
	add_activity(o, "PL", "Gdańsk", KIND_NONE, NULL);
	add_activity(o, "EE", "Tallinn", KIND_NONE, "note without a kind");
	add_activity(o, "LV", NULL, KIND_NONE, "land; only; with ; semicolons");
	add_activity(o, "NO", "Bergen", KIND_OFFICE, NULL);
	add_activity(o, "BE", NULL, KIND_NONE, NULL);
	add_activity(o, "SE", "Visby", KIND_CULTURE, "Gotland, Hanzedagen 2027");
	add_activity(o, "DE", "Frankfurt, am Main", KIND_TRADE, NULL);
	add_activity(o, "KR", "Seoul", KIND_EDUCATION, "Korea, Republic of");
	add_activity(o, "RU", "Novgorod", KIND_NETWORK, "„paused”");
	add_activity(o, "GB", "King's Lynn", KIND_EXCHANGE, "50% — 2 weeks");
	add_activity(o, "CI", "Abidjan", KIND_PROJECT, NULL);
	add_activity(o, "DE", "Lübeck", KIND_PARTNERSHIP, "second line");
	add_network(o, "Hanze");
	add_network(o, "Städtebund DIE HANSE");
	add_network(o, "Eurocities; EU");
	round_trip(o);
	org_free(o);
}

static void
test_round_trip_contacts(void **state)
{
	struct org *o = org_make("Culturele Raad", SECTOR_CULTURE,
	    "https://raad.example", "Kunst & cultuur <in> Deventer \"en\" verder",
	    NULL);

	add_contact(o, "Anna de Vries", "anna@raad.example");
	add_contact(o, "Vries, Anna de", "anna.devries@raad.example");
	add_contact(o, "Kees \"the boss\" Jansen", "kees@raad.example");
	add_contact(o, "Sales <EU>", "sales@raad.example");
	add_contact(o, "Jörg Müller-Łukasiewicz", "joerg@raad.example");
	add_contact(o, "Ἀριστοτέλης", "ari@raad.example");
	add_contact(o, "O'Brien; Sean", "sean@raad.example");
	add_contact(o, "back\\slash", "bs@raad.example");
	add_contact(o, "\"", "quote@raad.example");
	add_contact(o, "Team (international)", "Team.Intl@raad.example");
	add_contact(o, "x@y.example", "x@y.example");
	add_contact(o, "  spaced  out ", "space@raad.example");
	add_contact(o, NULL, "noname+tag@raad.example");
	add_contact(o, "日本語の名前", "jp@raad.example");
	round_trip(o);
	org_free(o);
}

/* Values at the limits of the form reader. */
static void
test_round_trip_long(void **state)
{
	struct org *o = org_make("", SECTOR_EDUCATION, NULL, NULL, NULL);
	char *s;

	free(o->name);
	o->name = xmalloc(FORM_MAX_NAME + 1);
	memset(o->name, 'n', FORM_MAX_NAME);
	o->name[FORM_MAX_NAME] = '\0';
	o->description = xmalloc(FORM_MAX_DESCRIPTION + 1);
	for (size_t i = 0; i < FORM_MAX_DESCRIPTION; i++)
		o->description[i] = i % 7 == 6 ? ' ' : 'd';
	o->description[FORM_MAX_DESCRIPTION - 1] = '.';
	o->description[FORM_MAX_DESCRIPTION] = '\0';
	o->internships = xmalloc(FORM_MAX_INTERNSHIPS + 1);
	memset(o->internships, 'i', FORM_MAX_INTERNSHIPS);
	o->internships[FORM_MAX_INTERNSHIPS] = '\0';
	s = xmalloc(FORM_MAX_WEBSITE + 1);
	memcpy(s, "https://long.example/", 21);
	memset(s + 21, 'p', FORM_MAX_WEBSITE - 21);
	s[FORM_MAX_WEBSITE] = '\0';
	o->website = s;
	for (int i = 0; i < FORM_MAX_CONTACTS; i++) {
		char *e = xasprintf("c%d@long.example", i);
		add_contact(o, i == 0 ? "Very Long Name Indeed" : NULL, e);
		free(e);
	}
	for (int i = 0; i < FORM_MAX_ACTIVITIES; i++) {
		char *city = xasprintf("City %d", i);
		add_activity(o, "DE", city, KIND_NONE, NULL);
		free(city);
	}
	for (int i = 0; i < FORM_MAX_NETWORKS; i++) {
		char *n = xasprintf("Network %d", i);
		add_network(o, n);
		free(n);
	}
	round_trip(o);
	org_free(o);
}

/* A bare host gets "https://": the limit holds for the stored URL, or the
 * entry's own form would not read back. */
static void
test_round_trip_website_limit(void **state)
{
	char host[FORM_MAX_WEBSITE + 1], *body;
	struct entry_changes ch;
	struct form *f;
	struct org *o = NULL;
	size_t n;

	memcpy(host, "long.example/", 13);
	memset(host + 13, 'p', sizeof(host) - 13);
	host[FORM_MAX_WEBSITE] = '\0';
	body = xasprintf("Organisation: L\nWebsite: %s\n", host);
	f = form_read(NULL, body, strlen(body), LANG_EN, db);
	assert_int_equal(f->errors.n, 1);
	assert_non_null(strstr(f->errors.v[0].text[LANG_EN], "too long"));
	assert_null(f->website);
	form_free(f);
	free(body);

	n = FORM_MAX_WEBSITE - strlen("https://");
	host[n] = '\0';
	body = xasprintf("Organisation: L\nSector: economy\nWebsite: %s\n", host);
	merge_text(NULL, body, &o, &ch);
	assert_int_equal(strlen(o->website), FORM_MAX_WEBSITE);
	round_trip(o);
	entry_changes_clear(&ch);
	org_free(o);
	free(body);
}

/* A network named "-" would be stored and then read back as "clear":
 * the reader refuses it. */
static void
test_network_dash(void **state)
{
	static const char *const bodies[] = {
		"Organisation: X\nNetworks: Hanze, -\n",
		"Organisation: X\nNetworks: ,-\n",
		"Organisation: X\nNetworks: - , Hanze\n",
	};

	for (size_t i = 0; i < HP_NELEM(bodies); i++) {
		struct form *f = form_read(NULL, bodies[i], strlen(bodies[i]),
		    LANG_EN, db);
		if (f->errors.n != 1 || f->errors.v[0].line != 2)
			fail_msg("no error for %s", bodies[i]);
		assert_non_null(strstr(f->errors.v[0].text[LANG_EN], "\"-\""));
		form_free(f);
	}
}

/* A form as a partner writes it, merged, rendered, read back. */
static void
test_round_trip_from_form(void **state)
{
	struct entry_changes ch;
	struct org *o = NULL;

	merge_text(NULL,
	    "Organisatie: Noorderpoort  Onderwijs\n"
	    "Sector: onderwijs\n"
	    "Website: HTTPS://NoorderPoort.Example/Stage?x=1\n"
	    "Omschrijving: Wij leiden op\n"
	    "   tot vakmensen; ook in het buitenland.\n"
	    "Contact: \" Piet \" <PIET@Noorderpoort.EXAMPLE>\n"
	    "Contact: Anna de Vries anna@noorderpoort.example\n"
	    "Actief-in: Korea, Republic of, Seoul; onderwijs\n"
	    "Actief-in: Duitsland ; ; alleen een notitie\n"
	    "Actief-in: Letland,Riga;;\n"
	    "Stages: Ja, 5 per jaar\n"
	    "Netwerken: Hanze,  ,Eurocities , Erasmus+\n", &o, &ch);
	assert_string_equal(o->website, "https://noorderpoort.example/Stage?x=1");
	assert_string_equal(o->contacts[0].name, " Piet ");
	assert_string_equal(o->contacts[0].email, "PIET@noorderpoort.example");
	assert_string_equal(o->activities[0].country, "KR");
	assert_string_equal(o->activities[2].city, "Riga");
	assert_int_equal(o->n_networks, 3);
	round_trip(o);
	entry_changes_clear(&ch);
	org_free(o);
}

/* --- JSON ------------------------------------------------------------------- */

static void
assert_json(json_t *got, const char *want_text)
{
	json_error_t jerr;
	json_t *want = json_loads(want_text, 0, &jerr);
	char *g, *w;

	if (want == NULL)
		fail_msg("bad expected JSON: %s", jerr.text);
	g = json_dumps(got, JSON_PRESERVE_ORDER | JSON_COMPACT);
	w = json_dumps(want, JSON_PRESERVE_ORDER | JSON_COMPACT);
	if (!json_equal(got, want))
		fail_msg("JSON differs:\n got  %s\n want %s", g, w);
	/* The keys in the order of SPEC §10's example. */
	assert_string_equal(g, w);
	free(g);
	free(w);
	json_decref(want);
}

static void
test_json(void **state)
{
	struct org *o = org_example();
	json_t *j;

	o->updated_at = 1799053920;	/* 2027-01-04T09:12:00Z, as in SPEC §10 */
	o->id = 7;
	j = entry_to_json(o);
	assert_json(j,
	    "{\"name\": \"Voorbeeld B.V.\", \"sector\": \"economy\","
	    " \"website\": \"https://voorbeeld.example\","
	    " \"description\": \"We make bicycles.\","
	    " \"internships\": \"2 per jaar\","
	    " \"networks\": [\"Hanze\", \"Eurocities\"],"
	    " \"contacts\": [{\"name\": \"Anna de Vries\","
	    "   \"email\": \"anna@voorbeeld.example\"},"
	    "  {\"name\": null, \"email\": \"piet@voorbeeld.example\"}],"
	    " \"activities\": ["
	    "  {\"country\": \"DE\", \"city\": \"Lübeck\", \"kind\": \"trade\","
	    "   \"note\": \"\"},"
	    "  {\"country\": \"PL\", \"city\": \"Gdańsk\", \"kind\": \"exchange\","
	    "   \"note\": \"since 2019\"}],"
	    " \"updated_at\": \"2027-01-04T09:12:00Z\"}");
	json_decref(j);
	org_free(o);
}

static void
test_json_absent(void **state)
{
	struct org *o = org_make("Leeg", SECTOR_NONE, NULL, NULL, NULL);
	json_t *j = entry_to_json(o);

	assert_json(j,
	    "{\"name\": \"Leeg\", \"sector\": null, \"website\": null,"
	    " \"description\": null, \"internships\": null, \"networks\": [],"
	    " \"contacts\": [], \"activities\": [], \"updated_at\": null}");
	json_decref(j);

	/* An activity without city, kind or note; activities in order. */
	add_activity(o, "EE", NULL, KIND_NONE, NULL);
	add_activity(o, "AT", "Wien", KIND_NONE, "n");
	add_activity(o, "BE", NULL, KIND_CULTURE, NULL);
	j = entry_to_json(o);
	assert_json(json_object_get(j, "activities"),
	    "[{\"country\": \"EE\", \"city\": null, \"kind\": null, \"note\": \"\"},"
	    " {\"country\": \"AT\", \"city\": \"Wien\", \"kind\": null, \"note\": \"n\"},"
	    " {\"country\": \"BE\", \"city\": null, \"kind\": \"culture\","
	    " \"note\": \"\"}]");
	json_decref(j);
	org_free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_new),
		cmocka_unit_test(test_merge_new_minimal),
		cmocka_unit_test(test_merge_scalars),
		cmocka_unit_test(test_merge_clear),
		cmocka_unit_test(test_merge_lists),
		cmocka_unit_test(test_merge_order_and_language),
		cmocka_unit_test(test_merge_unchanged),
		cmocka_unit_test(test_merge_idempotent),
		cmocka_unit_test(test_merge_ownership),
		cmocka_unit_test(test_activity_text),
		cmocka_unit_test(test_contact_text),
		cmocka_unit_test(test_field_label),
		cmocka_unit_test(test_render_form),
		cmocka_unit_test(test_round_trip_example),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_activities),
		cmocka_unit_test(test_round_trip_contacts),
		cmocka_unit_test(test_round_trip_long),
		cmocka_unit_test(test_round_trip_website_limit),
		cmocka_unit_test(test_network_dash),
		cmocka_unit_test(test_round_trip_from_form),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_absent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
