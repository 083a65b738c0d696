/*
 * country: ISO 3166-1 countries with English and Dutch names, from
 * Debian's iso-codes (notes/libraries.md §8).
 *
 * Loading reads two files (the iso-codes JSON and the Dutch gettext
 * catalogue); everything after that is pure and read-only, so one loaded
 * db may be shared freely.  No logging, no globals, no locale changes:
 * the Dutch names are read from the .mo file directly instead of through
 * dgettext(), because dgettext needs a process-wide setlocale() and
 * LANGUAGE in the environment, which a daemon must not toggle.
 *
 * Matching folds case, accents (Latin-1 and Latin Extended-A, so
 * "belgie" finds België), dots and apostrophes ("U.K." = "uk"), and turns
 * any other punctuation into a space ("Zuid Korea" = "Zuid-Korea").
 * Accepted spellings: alpha-2 and alpha-3 codes, the iso-codes name,
 * common_name and official_name, their Dutch translations, and a small
 * alias table for common usage iso-codes spells differently (UK, Great
 * Britain, England, Scotland, Wales -> GB; USA, America -> US; Russia;
 * Turkey; Holland; Ivory Coast; Cape Verde; Swaziland; Macedonia; Burma;
 * Vatican; DR Congo; East Timor; and their Dutch forms; see country.c).
 * Parts of the UK map to GB on purpose: a partner active in "Scotland"
 * means the UK, and ISO has no code of its own for it.  "Korea" alone is
 * ambiguous and not accepted.
 */
#ifndef HP_COUNTRY_H
#define HP_COUNTRY_H

#include <stddef.h>

#include "model.h"

struct country_db;

/* Load the countries.  json_path NULL = /usr/share/iso-codes/json/
 * iso_3166-1.json; locale_dir NULL = /usr/share/locale (the catalogue is
 * LOCALE_DIR/nl/LC_MESSAGES/iso_3166-1.mo).  A missing or malformed file
 * is an error (a silent English-only fallback would make every Dutch
 * name "unknown").  Returns 0 and a db the caller frees with
 * country_db_free, or -1 with a message in err (nothing allocated). */
int country_db_load(const char *json_path, const char *locale_dir,
    struct country_db **out, char *err, size_t errlen);

/* Free a db; NULL is allowed. */
void country_db_free(struct country_db *db);

/* Number of countries loaded. */
size_t country_db_count(const struct country_db *db);

/* Alpha-2 code (upper case, borrowed from db) for text: a code, an
 * English or Dutch name or an alias, matched as described above.  NULL
 * when db or text is NULL or nothing matches exactly. */
const char *country_lookup(const struct country_db *db, const char *text);

/* A near miss: the display name in lang of the country whose spelling is
 * closest to text (edit distance 1 for 4-5 characters, 2 up to 10, 3
 * beyond; nothing for shorter text), with its alpha-2 code in *code (code
 * may be NULL).  Both borrowed.  NULL when nothing is close enough. */
const char *country_suggest(const struct country_db *db, const char *text,
    enum lang lang, const char **code);

/* Display name of alpha2 (any case) in lang: iso-codes' common_name when
 * it has one ("South Korea", "Zuid-Korea"), else its name.  Dutch falls
 * back to English.  Borrowed; NULL when the code is unknown. */
const char *country_name(const struct country_db *db, const char *alpha2,
    enum lang lang);

#endif
