/* model: see model.h. */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct {
	enum sector sector;
	const char *names[4];	/* canonical English first */
} sectors[] = {
	{ SECTOR_ECONOMY, { "economy", "economie", "ondernemers", NULL } },
	{ SECTOR_EDUCATION, { "education", "onderwijs", NULL, NULL } },
	{ SECTOR_CULTURE, { "culture", "cultuur", NULL, NULL } },
	{ SECTOR_CIVIL_SOCIETY, { "civil-society", "maatschappelijk", NULL, NULL } },
	{ SECTOR_GOVERNMENT, { "government", "overheid", "gemeente", NULL } },
};

static const struct {
	enum activity_kind kind;
	const char *en, *nl;
} kinds[] = {
	{ KIND_TRADE, "trade", "handel" },
	{ KIND_PROJECT, "project", "project" },
	{ KIND_PARTNERSHIP, "partnership", "partnerschap" },
	{ KIND_EXCHANGE, "exchange", "uitwisseling" },
	{ KIND_OFFICE, "office", "kantoor" },
	{ KIND_NETWORK, "network", "netwerk" },
	{ KIND_EDUCATION, "education", "onderwijs" },
	{ KIND_CULTURE, "culture", "cultuur" },
};

const char *
model_sector_name(enum sector s)
{
	for (size_t i = 0; i < HP_NELEM(sectors); i++)
		if (sectors[i].sector == s)
			return sectors[i].names[0];
	return NULL;
}

enum sector
model_sector_parse(const char *s)
{
	if (s == NULL)
		return SECTOR_NONE;
	for (size_t i = 0; i < HP_NELEM(sectors); i++)
		for (size_t j = 0; j < 4 && sectors[i].names[j]; j++)
			if (strcasecmp(s, sectors[i].names[j]) == 0)
				return sectors[i].sector;
	return SECTOR_NONE;
}

const char *
model_kind_name(enum activity_kind k)
{
	return model_kind_name_lang(k, LANG_EN);
}

const char *
model_kind_name_lang(enum activity_kind k, enum lang lang)
{
	for (size_t i = 0; i < HP_NELEM(kinds); i++)
		if (kinds[i].kind == k)
			return lang == LANG_NL ? kinds[i].nl : kinds[i].en;
	return NULL;
}

enum activity_kind
model_kind_parse(const char *s)
{
	if (s == NULL)
		return KIND_NONE;
	for (size_t i = 0; i < HP_NELEM(kinds); i++)
		if (strcasecmp(s, kinds[i].en) == 0 || strcasecmp(s, kinds[i].nl) == 0)
			return kinds[i].kind;
	return KIND_NONE;
}

const char *
model_lang_code(enum lang lang)
{
	return lang == LANG_EN ? "en" : "nl";
}

void
contact_clear(struct contact *c)
{
	free(c->name);
	free(c->email);
	c->name = c->email = NULL;
}

void
activity_clear(struct activity *a)
{
	free(a->city);
	free(a->note);
	a->city = a->note = NULL;
}

struct org *
org_new(void)
{
	return xcalloc(1, sizeof(struct org));
}

void
org_free(struct org *o)
{
	if (o == NULL)
		return;
	free(o->name);
	free(o->website);
	free(o->description);
	free(o->internships);
	for (size_t i = 0; i < o->n_networks; i++)
		free(o->networks[i]);
	free(o->networks);
	for (size_t i = 0; i < o->n_contacts; i++)
		contact_clear(&o->contacts[i]);
	free(o->contacts);
	for (size_t i = 0; i < o->n_activities; i++)
		activity_clear(&o->activities[i]);
	free(o->activities);
	free(o);
}

struct org *
org_clone(const struct org *o)
{
	struct org *c = org_new();

	c->id = o->id;
	c->name = xstrdup(o->name);
	c->sector = o->sector;
	c->website = xstrdup(o->website);
	c->description = xstrdup(o->description);
	c->internships = xstrdup(o->internships);
	c->updated_at = o->updated_at;
	c->n_networks = o->n_networks;
	c->networks = xcalloc(o->n_networks, sizeof(char *));
	for (size_t i = 0; i < o->n_networks; i++)
		c->networks[i] = xstrdup(o->networks[i]);
	c->n_contacts = o->n_contacts;
	c->contacts = xcalloc(o->n_contacts, sizeof(struct contact));
	for (size_t i = 0; i < o->n_contacts; i++) {
		c->contacts[i].name = xstrdup(o->contacts[i].name);
		c->contacts[i].email = xstrdup(o->contacts[i].email);
	}
	c->n_activities = o->n_activities;
	c->activities = xcalloc(o->n_activities, sizeof(struct activity));
	for (size_t i = 0; i < o->n_activities; i++) {
		c->activities[i] = o->activities[i];
		c->activities[i].city = xstrdup(o->activities[i].city);
		c->activities[i].note = xstrdup(o->activities[i].note);
	}
	return c;
}

void
problems_add(struct problems *p, int line, const char *fmt_nl,
    const char *fmt_en, ...)
{
	struct problem *pr;
	va_list ap;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	pr = &p->v[p->n++];
	pr->line = line;
	va_start(ap, fmt_en);
	{
		va_list ap2;
		char *s;
		va_copy(ap2, ap);
		if (vasprintf(&s, fmt_nl, ap2) < 0)
			s = xstrdup("?");
		pr->text[LANG_NL] = s;
		va_end(ap2);
		if (vasprintf(&s, fmt_en, ap) < 0)
			s = xstrdup("?");
		pr->text[LANG_EN] = s;
	}
	va_end(ap);
}

void
problems_clear(struct problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].text[LANG_NL]);
		free(p->v[i].text[LANG_EN]);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* Display names in both reply languages: one table for every text that
 * shows a sector, a month or a day to people. */
static const char *const sector_labels[][LANG_COUNT] = {
	[SECTOR_NONE] = { NULL, NULL },
	[SECTOR_ECONOMY] = { "Economie", "Economy" },
	[SECTOR_EDUCATION] = { "Onderwijs", "Education" },
	[SECTOR_CULTURE] = { "Cultuur", "Culture" },
	[SECTOR_CIVIL_SOCIETY] = { "Maatschappelijke organisaties", "Civil society" },
	[SECTOR_GOVERNMENT] = { "Overheid", "Government" },
};

static const char *const month_names[LANG_COUNT][12] = {
	{ "januari", "februari", "maart", "april", "mei", "juni", "juli",
	  "augustus", "september", "oktober", "november", "december" },
	{ "January", "February", "March", "April", "May", "June", "July",
	  "August", "September", "October", "November", "December" },
};

static const char *const weekday_names[LANG_COUNT][7] = {
	{ "zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag",
	  "zaterdag" },
	{ "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	  "Saturday" },
};

const char *
model_sector_label(enum sector s, enum lang lang)
{
	if ((unsigned)s >= HP_NELEM(sector_labels) || (unsigned)lang >= LANG_COUNT)
		return NULL;
	return sector_labels[s][lang];
}

const char *
model_month_name(int month, enum lang lang)
{
	if (month < 1 || month > 12 || (unsigned)lang >= LANG_COUNT)
		return "";
	return month_names[lang][month - 1];
}

const char *
model_weekday_name(int wday, enum lang lang)
{
	if (wday < 0 || wday > 6 || (unsigned)lang >= LANG_COUNT)
		return "";
	return weekday_names[lang][wday];
}
