/*
 * form_field: the second pass of the form reader (form.c): turns the raw
 * "Key: value" fields into values of struct form, in form order, with an
 * error for every value that cannot be used.  Event keys are skipped
 * (form_event.c reads them).  Pure like form.c.
 *
 * Messages name the field as the sender wrote it ("Actief-in: ..."), so
 * the same argument works in both the Dutch and the English text, and
 * quote outside text shortened to a UTF-8-safe 60 bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "form_int.h"
#include "util.h"

#define MAX_SUGGESTIONS	10	/* each scans every spelling; bound the work */

struct applier {
	struct form *f;
	const struct country_db *countries;
	int first_line[FK_COUNT];		/* first line of each key; 0 = none */
	int contact_clear_line, activity_clear_line;
	size_t contact_lines, activity_lines;	/* other than "-"/none */
	const char *contact_key, *activity_key;	/* as written */
	int suggestions;	/* country suggestions made so far */
};

static const unsigned key_bits[FK_COUNT] = {
	[FK_SECTOR] = FORM_F_SECTOR,
	[FK_WEBSITE] = FORM_F_WEBSITE,
	[FK_DESCRIPTION] = FORM_F_DESCRIPTION,
	[FK_CONTACT] = FORM_F_CONTACTS,
	[FK_ACTIVE_IN] = FORM_F_ACTIVITIES,
	[FK_INTERNSHIPS] = FORM_F_INTERNSHIPS,
	[FK_NETWORKS] = FORM_F_NETWORKS,
};

/* The longest value of a key, where there is one limit for the whole. */
static const size_t key_max[FK_COUNT] = {
	[FK_ORGANISATION] = FORM_MAX_NAME,
	[FK_WEBSITE] = FORM_MAX_WEBSITE,
	[FK_DESCRIPTION] = FORM_MAX_DESCRIPTION,
	[FK_INTERNSHIPS] = FORM_MAX_INTERNSHIPS,
};

/* Shared with form_event.c; see form_int.h. */
const char *
form_quote(const char *s, char buf[FORM_QUOTE_MAX + 4])
{
	size_t n = 0;

	while (s[n] != '\0') {
		size_t l = hp_utf8_seqlen((const unsigned char *)s + n);
		if (n + l > FORM_QUOTE_MAX)
			break;
		n += l;
	}
	memcpy(buf, s, n);
	strcpy(buf + n, s[n] != '\0' ? "..." : "");
	return buf;
}

static bool
word_none(const char *v)
{
	static const char *const none[] = { "-", "no", "nee", "none", "geen" };

	for (size_t i = 0; i < HP_NELEM(none); i++)
		if (strcasecmp(v, none[i]) == 0)
			return true;
	return false;
}

enum part { PART_VALUE, PART_CITY, PART_NOTE, PART_NETWORK };

/* An error when len > max; part says which part of the value. */
static bool
too_long(struct applier *a, const struct form_raw *fr, enum part part,
    size_t len, size_t max)
{
	static const char *const fmt[][LANG_COUNT] = {
		[PART_VALUE] = { "%s: te lang (meer dan %zu tekens)",
		    "%s: too long (more than %zu characters)" },
		[PART_CITY] = { "%s: plaatsnaam te lang (meer dan %zu tekens)",
		    "%s: city too long (more than %zu characters)" },
		[PART_NOTE] = { "%s: notitie te lang (meer dan %zu tekens)",
		    "%s: note too long (more than %zu characters)" },
		[PART_NETWORK] = { "%s: netwerknaam te lang (meer dan %zu tekens)",
		    "%s: network name too long (more than %zu characters)" },
	};

	if (len <= max)
		return false;
	problems_add(&a->f->errors, fr->line, fmt[part][LANG_NL],
	    fmt[part][LANG_EN], fr->written, max);
	return true;
}

/* --- website ----------------------------------------------------------- */

static bool
host_valid(const char *h, size_t n)
{
	size_t start = 0, labels = 0;
	bool digits = true;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (i == start || i - start > 63 || h[start] == '-' ||
			    h[i - 1] == '-')
				return false;
			labels++;
			start = i + 1;
			if (i < n)
				digits = true;
		} else if ((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') || h[i] == '-') {
			digits = false;
		} else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return labels >= 2 && !digits;
}

/* "https://" URL for v (a bare host gets the scheme), host lower-cased;
 * NULL when v is not one. */
static char *
website_norm(const char *v)
{
	const char *rest = v, *port;
	size_t hl, nl;
	char *url;

	if (strncasecmp(v, "https://", 8) == 0)
		rest = v + 8;
	else if (strstr(v, "://") != NULL)
		return NULL;
	hl = strcspn(rest, "/?#");
	port = memchr(rest, ':', hl);
	nl = port != NULL ? (size_t)(port - rest) : hl;
	if (!host_valid(rest, nl))
		return NULL;
	if (port != NULL && (hl - nl < 2 || hl - nl > 6 ||
	    strspn(port + 1, "0123456789") != hl - nl - 1))
		return NULL;
	for (const unsigned char *p = (const unsigned char *)rest + hl; *p; p++)
		if (*p < 0x80 && (*p <= 0x20 || *p == 0x7f ||
		    strchr("\"<>\\^`{|}", *p) != NULL))
			return NULL;
	url = xasprintf("https://%s", rest);
	for (size_t i = 8; i < 8 + hl; i++)
		if (url[i] >= 'A' && url[i] <= 'Z')
			url[i] = (char)(url[i] + 32);
	return url;
}

static void
apply_website(struct applier *a, const struct form_raw *fr, const char *v)
{
	char q[FORM_QUOTE_MAX + 4];

	if (strcmp(v, "-") == 0)
		return;
	if (too_long(a, fr, PART_VALUE, strlen(v), FORM_MAX_WEBSITE))
		return;
	if (strncasecmp(v, "http://", 7) == 0) {
		problems_add(&a->f->errors, fr->line,
		    "%s: gebruik een beveiligd adres: https://%s",
		    "%s: use a secure address: https://%s", fr->written,
		    form_quote(v + 7, q));
		return;
	}
	if ((a->f->website = website_norm(v)) == NULL) {
		problems_add(&a->f->errors, fr->line,
		    "%s: \"%s\" is geen webadres (https://...)",
		    "%s: \"%s\" is not a web address (https://...)", fr->written,
		    form_quote(v, q));
		return;
	}
	/* The limit holds for what is stored and shown back in the form,
	 * which has "https://" added to a bare host: otherwise that form
	 * would not read back. */
	if (too_long(a, fr, PART_VALUE, strlen(a->f->website),
	    FORM_MAX_WEBSITE)) {
		free(a->f->website);
		a->f->website = NULL;
	}
}

/* --- contacts and networks --------------------------------------------- */

/* "Anna de Vries anna@x.example" (no brackets), as people do write it:
 * read as "Anna de Vries <anna@x.example>", with the same checks. */
static int
contact_lenient(const char *v, char **name, char **email)
{
	const char *sp = strrchr(v, ' ');
	char *s;
	int r;

	if (sp == NULL || strchr(sp + 1, '@') == NULL)
		return -1;
	s = xasprintf("%.*s <%s>", (int)(sp - v), v, sp + 1);
	r = addr_parse_mailbox(s, name, email);
	free(s);
	return r;
}

static void
apply_contact(struct applier *a, const struct form_raw *fr, const char *v)
{
	struct form *f = a->f;
	char *name = NULL, *email = NULL, q[FORM_QUOTE_MAX + 4];

	a->contact_key = fr->written;
	if (strcmp(v, "-") == 0) {
		a->contact_clear_line = fr->line;
		return;
	}
	if (++a->contact_lines == FORM_MAX_CONTACTS + 1)
		problems_add(&f->errors, fr->line, "Meer dan %d contactpersonen",
		    "More than %d contacts", FORM_MAX_CONTACTS);
	if (a->contact_lines > FORM_MAX_CONTACTS)
		return;
	if (addr_parse_mailbox(v, &name, &email) == -1 &&
	    contact_lenient(v, &name, &email) == -1) {
		problems_add(&f->errors, fr->line,
		    "%s: geen geldig e-mailadres in \"%s\"; schrijf Naam "
		    "<naam@voorbeeld.nl>", "%s: no valid e-mail address in "
		    "\"%s\"; write Name <name@example.org>", fr->written,
		    form_quote(v, q));
		return;
	}
	for (size_t i = 0; i < f->n_contacts; i++)
		if (addr_equal(f->contacts[i].email, email)) {
			problems_add(&f->warnings, fr->line,
			    "%s: %s staat er twee keer; één keer bewaard",
			    "%s: %s is given twice; kept once", fr->written, email);
			free(name);
			free(email);
			return;
		}
	f->contacts = xreallocarray(f->contacts, f->n_contacts + 1,
	    sizeof(*f->contacts));
	f->contacts[f->n_contacts].name = name;
	f->contacts[f->n_contacts++].email = email;
}

static void
apply_networks(struct applier *a, const struct form_raw *fr, const char *v)
{
	struct form *f = a->f;
	char *copy, *item, *save = NULL;
	bool failed = false;

	if (strcmp(v, "-") == 0)
		return;
	copy = xstrdup(v);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		bool dup = false;
		if (*hp_trim(item) == '\0')
			continue;
		if (strcmp(item, "-") == 0) {
			/* Stored, it would read back as "clear". */
			problems_add(&f->errors, fr->line,
			    "%s: \"-\" (wissen) kan niet samen met netwerknamen",
			    "%s: \"-\" (clear) cannot be combined with network "
			    "names", fr->written);
			failed = true;
			break;
		}
		if ((failed = too_long(a, fr, PART_NETWORK, strlen(item),
		    FORM_MAX_NETWORK)))
			break;
		for (size_t i = 0; i < f->n_networks && !dup; i++)
			dup = strcasecmp(f->networks[i], item) == 0;
		if (dup)
			continue;
		if (f->n_networks == FORM_MAX_NETWORKS) {
			problems_add(&f->errors, fr->line,
			    "%s: meer dan %d netwerken", "%s: more than %d networks",
			    fr->written, FORM_MAX_NETWORKS);
			failed = true;
			break;
		}
		f->networks = xreallocarray(f->networks, f->n_networks + 1,
		    sizeof(*f->networks));
		f->networks[f->n_networks++] = xstrdup(item);
	}
	free(copy);
	if (f->n_networks == 0 && !failed)
		problems_add(&f->errors, fr->line,
		    "%s: geen netwerknamen; schrijf - om te wissen",
		    "%s: no network names; write - to clear", fr->written);
}

/* --- activities -------------------------------------------------------- */

/* Country code for the front of p0, trying the whole text first (names
 * such as "Korea, Republic of" contain commas), then each prefix ending
 * before a comma, longest first.  *city gets what follows that comma. */
static const char *
country_part(const struct country_db *db, char *p0, char **city)
{
	const char *code;

	*city = NULL;
	if (db == NULL) {
		size_t n = strcspn(p0, ",");
		if (n < strlen(p0))
			*city = hp_trim(p0 + n + 1);
		p0[n] = '\0';
		hp_trim(p0);
		if (strlen(p0) != 2 || strspn(p0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz") != 2)
			return NULL;
		p0[0] &= ~0x20;
		p0[1] &= ~0x20;
		return p0;
	}
	if ((code = country_lookup(db, p0)) != NULL)
		return code;
	for (size_t k = strlen(p0); k-- > 0;) {
		if (p0[k] != ',')
			continue;
		p0[k] = '\0';
		if ((code = country_lookup(db, p0)) != NULL) {
			*city = hp_trim(p0 + k + 1);
			return code;
		}
		p0[k] = ',';
	}
	return NULL;
}

static void
country_unknown(struct applier *a, const struct form_raw *fr, char *p0)
{
	const char *name, *code = NULL;
	char q[FORM_QUOTE_MAX + 4];

	p0[strcspn(p0, ",")] = '\0';
	hp_trim(p0);
	if (a->suggestions++ < MAX_SUGGESTIONS)
		name = country_suggest(a->countries, p0, a->f->lang, &code);
	else
		name = NULL;
	if (name != NULL)
		problems_add(&a->f->errors, fr->line,
		    "%s: onbekend land \"%s\"; bedoelde u %s (%s)?",
		    "%s: unknown country \"%s\"; did you mean %s (%s)?",
		    fr->written, form_quote(p0, q), name, code);
	else
		problems_add(&a->f->errors, fr->line,
		    "%s: onbekend land \"%s\"; gebruik een landcode zoals DE of "
		    "een landnaam", "%s: unknown country \"%s\"; use a code such "
		    "as DE or a country name", fr->written, form_quote(p0, q));
}

static bool
activity_same(const struct activity *x, const struct activity *y)
{
	return strcmp(x->country, y->country) == 0 && x->kind == y->kind &&
	    hp_strcasecmp_null(x->city, y->city) == 0 &&
	    hp_strcasecmp_null(x->note, y->note) == 0;
}

static void
activity_add(struct applier *a, const struct form_raw *fr,
    struct activity *act)
{
	struct form *f = a->f;

	for (size_t i = 0; i < f->n_activities; i++)
		if (activity_same(&f->activities[i], act)) {
			problems_add(&f->warnings, fr->line,
			    "%s: dezelfde regel staat er twee keer; één keer "
			    "bewaard", "%s: the same line is given twice; kept "
			    "once", fr->written);
			activity_clear(act);
			return;
		}
	f->activities = xreallocarray(f->activities, f->n_activities + 1,
	    sizeof(*f->activities));
	f->activities[f->n_activities++] = *act;
}

/* COUNTRY[, CITY][; KIND][; NOTE] of one line (copy in s, modified). */
static int
activity_parse(struct applier *a, const struct form_raw *fr, char *s,
    struct activity *act)
{
	char *p1 = NULL, *p2 = NULL, *city = NULL, q[FORM_QUOTE_MAX + 4];
	const char *code;

	if ((p1 = strchr(s, ';')) != NULL) {
		*p1++ = '\0';
		if ((p2 = strchr(p1, ';')) != NULL)
			*p2++ = '\0';
	}
	if (*hp_trim(s) == '\0') {
		problems_add(&a->f->errors, fr->line,
		    "%s: land ontbreekt; schrijf LAND[, STAD][; SOORT][; NOTITIE]",
		    "%s: country missing; write COUNTRY[, CITY][; KIND][; NOTE]",
		    fr->written);
		return -1;
	}
	if ((code = country_part(a->countries, s, &city)) == NULL) {
		country_unknown(a, fr, s);
		return -1;
	}
	memcpy(act->country, code, 3);
	if (p1 != NULL && *hp_trim(p1) != '\0' &&
	    (act->kind = model_kind_parse(p1)) == KIND_NONE) {
		problems_add(&a->f->errors, fr->line,
		    "%s: onbekende soort \"%s\"; kies uit handel, project, "
		    "partnerschap, uitwisseling, kantoor, netwerk, onderwijs, "
		    "cultuur", "%s: unknown kind \"%s\"; choose one of trade, "
		    "project, partnership, exchange, office, network, education, "
		    "culture", fr->written, form_quote(p1, q));
		return -1;
	}
	if (p2 != NULL)
		hp_trim(p2);
	if (city != NULL && too_long(a, fr, PART_CITY, strlen(city),
	    FORM_MAX_NAME))
		return -1;
	if (p2 != NULL && too_long(a, fr, PART_NOTE, strlen(p2), FORM_MAX_NOTE))
		return -1;
	act->city = city != NULL && *city != '\0' ? xstrdup(city) : NULL;
	act->note = p2 != NULL && *p2 != '\0' ? xstrdup(p2) : NULL;
	return 0;
}

static void
apply_activity(struct applier *a, const struct form_raw *fr, const char *v)
{
	struct activity act = { .kind = KIND_NONE };
	char *s;

	a->activity_key = fr->written;
	if (strcmp(v, "-") == 0 || strcasecmp(v, "none") == 0 ||
	    strcasecmp(v, "geen") == 0) {
		a->activity_clear_line = fr->line;
		return;
	}
	if (++a->activity_lines == FORM_MAX_ACTIVITIES + 1)
		problems_add(&a->f->errors, fr->line, "Meer dan %d %s-regels",
		    "More than %d %s lines", FORM_MAX_ACTIVITIES, fr->written);
	if (a->activity_lines > FORM_MAX_ACTIVITIES)
		return;
	s = xstrdup(v);
	if (activity_parse(a, fr, s, &act) == 0)
		activity_add(a, fr, &act);
	free(s);
}

/* --- scalars ----------------------------------------------------------- */

static void
apply_scalar(struct applier *a, const struct form_raw *fr, const char *v)
{
	struct form *f = a->f;
	char q[FORM_QUOTE_MAX + 4];
	bool clear = strcmp(v, "-") == 0;

	switch (fr->key) {
	case FK_ORGANISATION:
		if (clear)
			problems_add(&f->errors, fr->line,
			    "%s kan niet gewist worden", "%s cannot be cleared",
			    fr->written);
		else if (!too_long(a, fr, PART_VALUE, strlen(v), FORM_MAX_NAME))
			f->organisation = xstrdup(v);
		break;
	case FK_SECTOR:
		if (!clear && (f->sector = model_sector_parse(v)) == SECTOR_NONE)
			problems_add(&f->errors, fr->line,
			    "%s: onbekende sector \"%s\"; kies uit economie, "
			    "onderwijs, cultuur, maatschappelijk, overheid",
			    "%s: unknown sector \"%s\"; choose one of economy, "
			    "education, culture, civil-society, government",
			    fr->written, form_quote(v, q));
		break;
	case FK_WEBSITE:
		apply_website(a, fr, v);
		break;
	case FK_DESCRIPTION:
		if (!clear && !too_long(a, fr, PART_VALUE, strlen(v),
		    FORM_MAX_DESCRIPTION))
			f->description = xstrdup(v);
		break;
	case FK_INTERNSHIPS:
		if (!word_none(v) && !too_long(a, fr, PART_VALUE, strlen(v),
		    FORM_MAX_INTERNSHIPS))
			f->internships = xstrdup(v);
		break;
	case FK_NETWORKS:
		apply_networks(a, fr, v);
		break;
	default:
		break;
	}
}

static void
apply_one(struct applier *a, const struct form_raw *fr)
{
	struct form *f = a->f;
	const char *v = fr->value.data != NULL ? fr->value.data : "";
	bool repeatable = fr->key == FK_CONTACT || fr->key == FK_ACTIVE_IN;

	if (form_key_is_event(fr->key))
		return;
	f->present |= key_bits[fr->key];
	if (fr->key == FK_ORGANISATION && f->organisation_line == 0)
		f->organisation_line = fr->line;
	if (!repeatable && a->first_line[fr->key] != 0) {
		problems_add(&f->errors, fr->line,
		    "%s staat meer dan één keer in het formulier (eerst op "
		    "regel %d)", "%s is given more than once (first on line %d)",
		    fr->written, a->first_line[fr->key]);
		return;
	}
	if (a->first_line[fr->key] == 0)
		a->first_line[fr->key] = fr->line;
	if (fr->too_long) {
		too_long(a, fr, PART_VALUE, FORM_RAW_MAX + 1,
		    key_max[fr->key] ? key_max[fr->key] : FORM_RAW_MAX);
		return;
	}
	if (*v == '\0') {
		problems_add(&f->errors, fr->line,
		    "%s: lege waarde; schrijf - om het veld te wissen",
		    "%s: empty value; write - to clear the field", fr->written);
		return;
	}
	if (fr->key == FK_CONTACT)
		apply_contact(a, fr, v);
	else if (fr->key == FK_ACTIVE_IN)
		apply_activity(a, fr, v);
	else
		apply_scalar(a, fr, v);
}

void
form_fields_apply(struct form *f, struct form_raw *raw, size_t n,
    const struct country_db *countries)
{
	struct applier a = { .f = f, .countries = countries };

	for (size_t i = 0; i < n; i++)
		apply_one(&a, &raw[i]);
	if (a.contact_clear_line != 0 && a.contact_lines > 0)
		problems_add(&f->errors, a.contact_clear_line,
		    "%s: \"-\" (wissen) kan niet samen met andere %s-regels",
		    "%s: \"-\" (clear) cannot be combined with other %s lines",
		    a.contact_key, a.contact_key);
	if (a.activity_clear_line != 0 && a.activity_lines > 0)
		problems_add(&f->errors, a.activity_clear_line,
		    "%s: \"geen\" kan niet samen met andere %s-regels",
		    "%s: \"none\" cannot be combined with other %s lines",
		    a.activity_key, a.activity_key);
}
