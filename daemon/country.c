/*
 * country: see country.h.  Loading reads the iso-codes JSON with jansson
 * and the Dutch catalogue by parsing the GNU .mo format ourselves (header:
 * magic, revision, count N, offset of the original-string table, offset
 * of the translation table; each table is N pairs of (length, offset)).
 * Nothing here logs; errors go into the caller's buffer.
 *
 * Lookups use one sorted array of folded spellings -> country index, so
 * a lookup is a fold plus a binary search.  Suggestions scan the array
 * with a bounded edit distance; that is a few hundred short comparisons.
 */
#include "country.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "util.h"

#define DEFAULT_JSON	"/usr/share/iso-codes/json/iso_3166-1.json"
#define DEFAULT_LOCALE	"/usr/share/locale"
#define MO_SUBPATH	"/nl/LC_MESSAGES/iso_3166-1.mo"
#define MAX_COUNTRIES	1000
#define MAX_NAME	200		/* longest iso-codes name is ~60 */
#define FOLD_MAX	(MAX_NAME * 2 + 1)
#define MO_MAX_SIZE	(8u << 20)

/* Where a spelling came from; on a clash the lower rank wins. */
enum key_rank { RANK_CODE2, RANK_CODE3, RANK_NAME, RANK_COMMON,
    RANK_OFFICIAL, RANK_DUTCH, RANK_ALIAS };

struct country {
	char alpha2[3];
	char alpha3[4];
	char *name[LANG_COUNT];
};

struct country_key {
	char *key;		/* folded */
	size_t idx;		/* into country_db.v */
	enum key_rank rank;
	size_t seq;		/* insertion order, to make clashes stable */
};

struct country_db {
	struct country *v;	/* sorted by alpha2 */
	size_t n;
	struct country_key *keys;	/* sorted by key, unique */
	size_t n_keys;
};

/* Common usage that iso-codes spells differently (folded on load). */
static const struct {
	const char *text;
	const char *alpha2;
} aliases[] = {
	{ "UK", "GB" }, { "Great Britain", "GB" }, { "Britain", "GB" },
	{ "England", "GB" }, { "Scotland", "GB" }, { "Wales", "GB" },
	{ "Northern Ireland", "GB" }, { "Groot-Brittannië", "GB" },
	{ "Engeland", "GB" }, { "Schotland", "GB" }, { "Noord-Ierland", "GB" },
	{ "USA", "US" }, { "America", "US" }, { "Amerika", "US" },
	{ "VS", "US" }, { "Russia", "RU" }, { "Turkey", "TR" },
	{ "Holland", "NL" }, { "The Netherlands", "NL" },
	{ "Czech Republic", "CZ" }, { "Tsjechische Republiek", "CZ" },
	{ "Ivory Coast", "CI" }, { "Cape Verde", "CV" }, { "Swaziland", "SZ" },
	{ "Macedonia", "MK" }, { "Macedonië", "MK" }, { "Burma", "MM" },
	{ "Palestine", "PS" }, { "Palestina", "PS" }, { "Vatican", "VA" },
	{ "Vatican City", "VA" }, { "Vaticaanstad", "VA" },
	{ "DR Congo", "CD" }, { "DRC", "CD" }, { "Congo-Kinshasa", "CD" },
	{ "Democratic Republic of the Congo", "CD" },
	{ "Congo-Brazzaville", "CG" }, { "East Timor", "TL" },
	{ "Oost-Timor", "TL" }, { "Brunei", "BN" }, { "Vietnam", "VN" },
};

/* U+0100..U+017F (Latin Extended-A) to a base letter; '1' = "ij",
 * '2' = "oe". */
static const char latin_ext_a[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkklllllllll"
    "lnnnnnnnnnoooooo22rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
/* U+00C0..U+00FF; '3' = "ae", '4' = "th", '5' = "ss", ' ' = separator. */
static const char latin1_sup[] =
    "aaaaaa3ceeeeiiiidnooooo ouuuuy45aaaaaa3ceeeeiiiidnooooo ouuuuy4y";

static size_t
fold_put(char *out, size_t o, char c, size_t max)
{
	static const char *const pairs[] = { "ij", "oe", "ae", "th", "ss" };

	if (c >= '1' && c <= '5') {
		const char *p = pairs[c - '1'];
		if (o + 2 < max) {
			out[o++] = p[0];
			out[o++] = p[1];
		}
		return o;
	}
	if (c == ' ' && (o == 0 || out[o - 1] == ' '))
		return o;
	if (o + 1 < max)
		out[o++] = c;
	return o;
}

/* Folding, as described in country.h.  Returns the folded length, or
 * (size_t)-1 when the input is too long to be a country name. */
static size_t
fold(const char *in, char *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, left = strlen(in), sl;

	if (left > MAX_NAME)
		return (size_t)-1;
	for (; left > 0; s += sl, left -= sl) {
		uint32_t cp = hp_utf8_decode(s, left, &sl);
		if (cp < 0x80) {
			if ((cp >= 'a' && cp <= 'z') ||
			    (cp >= '0' && cp <= '9'))
				o = fold_put(out, o, (char)cp, max);
			else if (cp >= 'A' && cp <= 'Z')
				o = fold_put(out, o, (char)(cp + 32), max);
			else if (cp != '.' && cp != '\'')
				o = fold_put(out, o, ' ', max);
		} else if (cp >= 0xc0 && cp <= 0xff) {
			o = fold_put(out, o, latin1_sup[cp - 0xc0], max);
		} else if (cp >= 0x100 && cp <= 0x17f) {
			o = fold_put(out, o, latin_ext_a[cp - 0x100], max);
		} else if (cp == 0x2018 || cp == 0x2019) {
			/* typographic apostrophes: dropped like ' */
		} else if (cp >= 0x2000 && cp <= 0x203f) {
			o = fold_put(out, o, ' ', max);	/* dashes, spaces */
		} else {
			/* other letters, and malformed bytes one by one */
			for (size_t k = 0; k < sl && o + 1 < max; k++)
				out[o++] = (char)s[k];
		}
	}
	if (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

/* --- the .mo catalogue ------------------------------------------------ */

struct mo {
	unsigned char *data;
	size_t size;
	uint32_t n, orig, trans;
	int swap;
};

static uint32_t
mo_u32(const struct mo *m, size_t off)
{
	const unsigned char *p = m->data + off;

	if (m->swap)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* String i of the table at tab, or NULL when it points outside the file
 * or is not NUL-terminated where it says it ends. */
static const char *
mo_string(const struct mo *m, uint32_t tab, uint32_t i, uint32_t *len)
{
	size_t at = (size_t)tab + (size_t)i * 8;
	uint32_t l, off;

	if (at + 8 > m->size)
		return NULL;
	l = mo_u32(m, at);
	off = mo_u32(m, at + 4);
	if ((size_t)off + l >= m->size || m->data[off + l] != '\0')
		return NULL;
	*len = l;
	return (const char *)m->data + off;
}

/* Translation of msgid, borrowed; NULL when absent or empty. */
static const char *
mo_lookup(const struct mo *m, const char *msgid)
{
	size_t want = strlen(msgid);

	for (uint32_t i = 0; i < m->n; i++) {
		uint32_t l, tl;
		const char *o = mo_string(m, m->orig, i, &l), *t;
		if (o == NULL || l != want || memcmp(o, msgid, l) != 0)
			continue;
		t = mo_string(m, m->trans, i, &tl);
		return t != NULL && tl > 0 ? t : NULL;
	}
	return NULL;
}

static int
mo_read_file(const char *path, struct mo *m, char *err, size_t errlen)
{
	char *data = NULL;
	size_t size = 0;
	int rc = hp_read_file(path, MO_MAX_SIZE, &data, &size);

	if (rc == -1 && errno != EFBIG) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rc == -1 || size < 28) {
		snprintf(err, errlen, "%s: not a gettext catalogue (size)", path);
		free(data);
		return -1;
	}
	m->data = (unsigned char *)data;
	m->size = size;
	return 0;
}

static int
mo_load(const char *path, struct mo *m, char *err, size_t errlen)
{
	uint32_t magic;

	memset(m, 0, sizeof(*m));
	if (mo_read_file(path, m, err, errlen) == -1)
		return -1;
	magic = mo_u32(m, 0);
	if (magic == 0xde120495)
		m->swap = 1;
	else if (magic != 0x950412de) {
		snprintf(err, errlen, "%s: not a gettext catalogue (magic)", path);
		goto fail;
	}
	if ((mo_u32(m, 4) >> 16) != 0) {
		snprintf(err, errlen, "%s: unsupported catalogue revision", path);
		goto fail;
	}
	m->n = mo_u32(m, 8);
	m->orig = mo_u32(m, 12);
	m->trans = mo_u32(m, 16);
	if (m->n > m->size / 16) {
		snprintf(err, errlen, "%s: corrupt catalogue (count)", path);
		goto fail;
	}
	return 0;
fail:
	free(m->data);
	m->data = NULL;
	return -1;
}

/* --- building the db ------------------------------------------------- */

static int
cmp_country(const void *a, const void *b)
{
	return strcmp(((const struct country *)a)->alpha2,
	    ((const struct country *)b)->alpha2);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct country_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
key_add(struct country_db *db, size_t *cap, const char *text, size_t idx,
    enum key_rank rank)
{
	char buf[FOLD_MAX];

	if (text == NULL || fold(text, buf, sizeof(buf)) == (size_t)-1 ||
	    buf[0] == '\0')
		return;
	if (db->n_keys == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		db->keys = xreallocarray(db->keys, *cap, sizeof(*db->keys));
	}
	db->keys[db->n_keys].key = xstrdup(buf);
	db->keys[db->n_keys].idx = idx;
	db->keys[db->n_keys].rank = rank;
	db->keys[db->n_keys].seq = db->n_keys;
	db->n_keys++;
}

/* Sort the keys and drop duplicates, keeping the best-ranked entry. */
static void
keys_finish(struct country_db *db)
{
	size_t o = 0;

	qsort(db->keys, db->n_keys, sizeof(*db->keys), cmp_key);
	for (size_t i = 0; i < db->n_keys; i++) {
		if (o > 0 && strcmp(db->keys[o - 1].key, db->keys[i].key) == 0) {
			free(db->keys[i].key);
			continue;
		}
		db->keys[o++] = db->keys[i];
	}
	db->n_keys = o;
}

static const char *
json_str(json_t *obj, const char *field)
{
	const char *s = json_string_value(json_object_get(obj, field));

	if (s == NULL || strlen(s) > MAX_NAME || !hp_utf8_valid(s, strlen(s)))
		return NULL;
	return s;
}

static bool
code_ok(const char *s, size_t len)
{
	if (s == NULL || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

/* One JSON entry into db->v[db->n] (names only; keys come later). */
static int
entry_add(struct country_db *db, json_t *e, const struct mo *mo)
{
	const char *a2 = json_str(e, "alpha_2"), *a3 = json_str(e, "alpha_3");
	const char *name = json_str(e, "name");
	const char *common = json_str(e, "common_name");
	const char *nl = NULL;
	struct country *c;

	if (!code_ok(a2, 2) || !code_ok(a3, 3) || name == NULL)
		return -1;
	c = &db->v[db->n++];
	memcpy(c->alpha2, a2, 3);
	memcpy(c->alpha3, a3, 4);
	c->name[LANG_EN] = xstrdup(common != NULL ? common : name);
	if (common != NULL)
		nl = mo_lookup(mo, common);
	if (nl == NULL)
		nl = mo_lookup(mo, name);
	c->name[LANG_NL] = xstrdup(nl != NULL && hp_utf8_valid(nl, strlen(nl)) ?
	    nl : c->name[LANG_EN]);
	return 0;
}

static void
keys_build(struct country_db *db, json_t *arr, const struct mo *mo)
{
	static const char *const fields[] = { "name", "common_name",
	    "official_name" };
	size_t cap = 0, i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		const char *a2 = json_str(e, "alpha_2");
		struct country key, *c;
		if (a2 == NULL || strlen(a2) != 2)
			continue;
		memcpy(key.alpha2, a2, 3);
		c = bsearch(&key, db->v, db->n, sizeof(*db->v), cmp_country);
		if (c == NULL)
			continue;
		key_add(db, &cap, c->alpha2, (size_t)(c - db->v), RANK_CODE2);
		key_add(db, &cap, c->alpha3, (size_t)(c - db->v), RANK_CODE3);
		for (size_t f = 0; f < HP_NELEM(fields); f++) {
			const char *en = json_str(e, fields[f]), *nl;
			key_add(db, &cap, en, (size_t)(c - db->v),
			    (enum key_rank)(RANK_NAME + f));
			if (en != NULL && (nl = mo_lookup(mo, en)) != NULL &&
			    hp_utf8_valid(nl, strlen(nl)))
				key_add(db, &cap, nl, (size_t)(c - db->v),
				    RANK_DUTCH);
		}
	}
	for (i = 0; i < HP_NELEM(aliases); i++) {
		struct country key, *c;
		memcpy(key.alpha2, aliases[i].alpha2, 3);
		c = bsearch(&key, db->v, db->n, sizeof(*db->v), cmp_country);
		if (c != NULL)
			key_add(db, &cap, aliases[i].text, (size_t)(c - db->v),
			    RANK_ALIAS);
	}
	keys_finish(db);
}

static int
db_fill(struct country_db *db, json_t *root, const struct mo *mo,
    const char *path, char *err, size_t errlen)
{
	json_t *arr = json_object_get(root, "3166-1"), *e;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > MAX_COUNTRIES) {
		snprintf(err, errlen, "%s: no \"3166-1\" array", path);
		return -1;
	}
	db->v = xcalloc(json_array_size(arr), sizeof(*db->v));
	json_array_foreach(arr, i, e) {
		if (entry_add(db, e, mo) == -1) {
			snprintf(err, errlen, "%s: entry %zu is malformed", path, i);
			return -1;
		}
	}
	qsort(db->v, db->n, sizeof(*db->v), cmp_country);
	for (i = 1; i < db->n; i++)
		if (strcmp(db->v[i - 1].alpha2, db->v[i].alpha2) == 0) {
			snprintf(err, errlen, "%s: duplicate code %s", path,
			    db->v[i].alpha2);
			return -1;
		}
	keys_build(db, arr, mo);
	return 0;
}

int
country_db_load(const char *json_path, const char *locale_dir,
    struct country_db **out, char *err, size_t errlen)
{
	struct country_db *db = NULL;
	struct mo mo = { 0 };
	json_t *root = NULL;
	json_error_t jerr;
	char *mo_path = NULL;

	*out = NULL;
	if (json_path == NULL)
		json_path = DEFAULT_JSON;
	if (locale_dir == NULL)
		locale_dir = DEFAULT_LOCALE;
	mo_path = xasprintf("%s%s", locale_dir, MO_SUBPATH);
	if (mo_load(mo_path, &mo, err, errlen) == -1)
		goto fail;
	if ((root = json_load_file(json_path, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", json_path, jerr.line, jerr.text);
		goto fail;
	}
	db = xcalloc(1, sizeof(*db));
	if (db_fill(db, root, &mo, json_path, err, errlen) == -1)
		goto fail;
	json_decref(root);
	free(mo.data);
	free(mo_path);
	*out = db;
	return 0;
fail:
	country_db_free(db);
	if (root != NULL)
		json_decref(root);
	free(mo.data);
	free(mo_path);
	return -1;
}

void
country_db_free(struct country_db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++) {
		free(db->v[i].name[LANG_EN]);
		free(db->v[i].name[LANG_NL]);
	}
	for (size_t i = 0; i < db->n_keys; i++)
		free(db->keys[i].key);
	free(db->v);
	free(db->keys);
	free(db);
}

size_t
country_db_count(const struct country_db *db)
{
	return db != NULL ? db->n : 0;
}

static int
cmp_key_str(const void *k, const void *e)
{
	return strcmp(k, ((const struct country_key *)e)->key);
}

const char *
country_lookup(const struct country_db *db, const char *text)
{
	char buf[FOLD_MAX];
	const struct country_key *k;

	if (db == NULL || text == NULL ||
	    fold(text, buf, sizeof(buf)) == (size_t)-1 || buf[0] == '\0')
		return NULL;
	k = bsearch(buf, db->keys, db->n_keys, sizeof(*db->keys), cmp_key_str);
	return k != NULL ? db->v[k->idx].alpha2 : NULL;
}

const char *
country_suggest(const struct country_db *db, const char *text,
    enum lang lang, const char **code)
{
	char buf[FOLD_MAX];
	size_t len, max, best = SIZE_MAX, best_idx = 0;

	if (code != NULL)
		*code = NULL;
	if (db == NULL || text == NULL ||
	    (len = fold(text, buf, sizeof(buf))) == (size_t)-1 || len < 4)
		return NULL;
	max = len <= 5 ? 1 : len <= 10 ? 2 : 3;
	for (size_t i = 0; i < db->n_keys; i++) {
		size_t d;
		if (db->keys[i].rank <= RANK_CODE3)
			continue;	/* "dei" is not a near miss of DEU */
		d = hp_edit_distance(buf, db->keys[i].key, max);
		if (d < best) {
			best = d;
			best_idx = db->keys[i].idx;
		}
	}
	if (best > max)
		return NULL;
	if (code != NULL)
		*code = db->v[best_idx].alpha2;
	return db->v[best_idx].name[lang == LANG_EN ? LANG_EN : LANG_NL];
}

const char *
country_name(const struct country_db *db, const char *alpha2, enum lang lang)
{
	struct country key, *c;

	if (db == NULL || alpha2 == NULL || strlen(alpha2) != 2)
		return NULL;
	key.alpha2[0] = (char)(alpha2[0] & ~0x20);
	key.alpha2[1] = (char)(alpha2[1] & ~0x20);
	key.alpha2[2] = '\0';
	c = bsearch(&key, db->v, db->n, sizeof(*db->v), cmp_country);
	if (c == NULL)
		return NULL;
	return c->name[lang == LANG_EN ? LANG_EN : LANG_NL];
}
