/*
 * model: plain data shared by every layer.  No behaviour beyond freeing
 * and small lookups of the fixed vocabularies (sectors, kinds, languages).
 *
 * Ownership: every char * in these structs is owned by the struct and
 * freed by its *_free / *_clear function.  Arrays are (pointer, count).
 */
#ifndef HP_MODEL_H
#define HP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum lang { LANG_NL = 0, LANG_EN = 1 };
#define LANG_COUNT 2

enum sector {
	SECTOR_NONE = 0,
	SECTOR_ECONOMY,
	SECTOR_EDUCATION,
	SECTOR_CULTURE,
	SECTOR_CIVIL_SOCIETY,
	SECTOR_GOVERNMENT,
};

enum activity_kind {
	KIND_NONE = 0,
	KIND_TRADE,
	KIND_PROJECT,
	KIND_PARTNERSHIP,
	KIND_EXCHANGE,
	KIND_OFFICE,
	KIND_NETWORK,
	KIND_EDUCATION,
	KIND_CULTURE,
};

struct contact {
	char *name;	/* may be NULL */
	char *email;	/* lower-cased domain, validated */
};

struct activity {
	char country[3];	/* ISO 3166-1 alpha-2, upper case */
	char *city;		/* NULL when absent */
	enum activity_kind kind;
	char *note;		/* NULL when absent */
};

struct org {
	int64_t id;		/* 0 until stored */
	char *name;
	enum sector sector;
	char *website;
	char *description;
	char *internships;	/* NULL: none offered */
	char **networks;
	size_t n_networks;
	struct contact *contacts;
	size_t n_contacts;
	struct activity *activities;
	size_t n_activities;
	time_t updated_at;	/* 0 until stored */
};

/* A problem found in outside input, in both reply languages. */
struct problem {
	int line;		/* 1-based line of the text; 0 = whole message */
	char *text[LANG_COUNT];	/* indexed by enum lang */
};

struct problems {
	struct problem *v;
	size_t n;
};

/* Canonical English names ("economy", "civil-society") and back.
 * model_sector_parse accepts English and Dutch aliases, any case;
 * returns SECTOR_NONE when unknown. */
const char *model_sector_name(enum sector s);
enum sector model_sector_parse(const char *s);
const char *model_kind_name(enum activity_kind k);
const char *model_kind_name_lang(enum activity_kind k, enum lang lang);
enum activity_kind model_kind_parse(const char *s);
const char *model_lang_code(enum lang lang);	/* "nl" / "en" */
/* Names for people: "Maatschappelijke organisaties" / "Civil society"
 * (NULL for SECTOR_NONE), month 1..12 "maart" / "March", weekday 0..6
 * (Sunday first, as struct tm) "zondag" / "Sunday"; "" out of range. */
const char *model_sector_label(enum sector s, enum lang lang);
const char *model_month_name(int month, enum lang lang);
const char *model_weekday_name(int wday, enum lang lang);

void contact_clear(struct contact *c);
void activity_clear(struct activity *a);
struct org *org_new(void);
void org_free(struct org *o);
/* Deep copy. */
struct org *org_clone(const struct org *o);

/* Append a problem; fmt_nl and fmt_en are printf formats taking the same
 * arguments in the same order. */
void problems_add(struct problems *p, int line, const char *fmt_nl,
    const char *fmt_en, ...);
void problems_clear(struct problems *p);

#endif
