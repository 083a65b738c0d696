/*
 * form: see form.h for the rules.  Pure: no I/O, no logging, no globals
 * beyond constant tables.
 *
 * Two passes.  The first (form_scan_text) walks the body lines (split
 * once into a bounded array, so stop markers can look one line ahead),
 * collects raw fields with their continuation lines, the commands and
 * the language hints, and warns about unknown keys.  The second
 * (form_field.c) validates the raw values in form order, once the
 * language is known, because a suggestion such as "did you mean
 * Duitsland (DE)?" should name the country in the language the sender
 * writes.  The event reader (form_event.c) runs the same first pass and
 * its own second, so both kinds of form read lines alike.
 */
#include "form.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form_int.h"
#include "util.h"

#define ATTRIB_MAX	300	/* an "On ... wrote:" line is never longer */
#define SUBJECT_MAX	998

struct line {
	char *text;	/* NUL-terminated copy, CR stripped */
	size_t len;
	bool valid;	/* UTF-8 without NUL or stray control characters */
};

struct lines {
	struct line *v;
	size_t n;
	bool truncated;	/* the body goes on beyond the limits */
};

/* Keys and aliases.  hint: the language the spelling gives away. */
static const struct {
	const char *alias;
	enum form_key key;
	int hint;
} keys[] = {
	{ "organisation", FK_ORGANISATION, LANG_EN },
	{ "organization", FK_ORGANISATION, LANG_EN },
	{ "organisatie", FK_ORGANISATION, LANG_NL },
	{ "sector", FK_SECTOR, HINT_NONE },
	{ "website", FK_WEBSITE, HINT_NONE },
	{ "description", FK_DESCRIPTION, LANG_EN },
	{ "omschrijving", FK_DESCRIPTION, LANG_NL },
	{ "contact", FK_CONTACT, HINT_NONE },
	{ "active-in", FK_ACTIVE_IN, LANG_EN },
	{ "active in", FK_ACTIVE_IN, LANG_EN },
	{ "actief-in", FK_ACTIVE_IN, LANG_NL },
	{ "actief in", FK_ACTIVE_IN, LANG_NL },
	{ "internships", FK_INTERNSHIPS, LANG_EN },
	{ "stages", FK_INTERNSHIPS, LANG_NL },
	{ "stageplaatsen", FK_INTERNSHIPS, LANG_NL },
	{ "networks", FK_NETWORKS, LANG_EN },
	{ "netwerken", FK_NETWORKS, LANG_NL },
	{ "event", FK_EV_TITLE, LANG_EN },
	{ "evenement", FK_EV_TITLE, LANG_NL },
	{ "start", FK_EV_START, HINT_NONE },
	{ "end", FK_EV_END, HINT_NONE },
	{ "timezone", FK_EV_TIMEZONE, HINT_NONE },
	{ "location", FK_EV_LOCATION, LANG_EN },
	{ "locatie", FK_EV_LOCATION, LANG_NL },
	{ "audience", FK_EV_AUDIENCE, LANG_EN },
	{ "event-id", FK_EV_ID, HINT_NONE },
};

/* Keys of pasted mail headers and signatures: not worth a warning. */
static const char *const quiet_keys[] = {
	"subject", "from", "to", "date", "sent", "cc", "bcc", "reply-to",
	"van", "aan", "onderwerp", "verzonden", "datum", "beantwoorden aan",
	"re", "fw", "fwd", "tel", "phone", "telefoon", "mobile", "mobiel",
	"fax",
};

/* --- splitting ------------------------------------------------------- */

static bool
line_chars_ok(const char *s, size_t len)
{
	/* hp_utf8_valid allows CR; inside a line it can only be mischief. */
	return hp_utf8_valid(s, len) && memchr(s, '\r', len) == NULL;
}

static void
lines_split(struct lines *ls, const char *body, size_t body_len)
{
	size_t len = body_len < FORM_MAX_BYTES ? body_len : FORM_MAX_BYTES;
	size_t pos = 0;

	ls->v = NULL;
	ls->n = 0;
	ls->truncated = false;
	while (pos < len) {
		const char *s = body + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl != NULL ? (size_t)(nl - s) : len - pos;
		struct line *ln;

		if (ls->n == FORM_MAX_LINES || (nl == NULL && len < body_len)) {
			ls->truncated = true;	/* a cut line is not read */
			break;
		}
		pos += l + (nl != NULL);
		if (l > 0 && s[l - 1] == '\r')
			l--;
		ls->v = xreallocarray(ls->v, ls->n + 1, sizeof(*ls->v));
		ln = &ls->v[ls->n++];
		ln->text = xstrndup(s, l);
		ln->len = l;
		ln->valid = line_chars_ok(s, l);
	}
}

static void
lines_free(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->v[i].text);
	free(ls->v);
}

/* --- small string helpers -------------------------------------------- */

static bool
starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* s[0..n) ends with suffix, case-insensitively. */
static bool
ends_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

static bool
contains_ci(const char *s, const char *needle)
{
	return strcasestr(s, needle) != NULL;
}

/* --- stop markers ---------------------------------------------------- */

static bool
is_separator_line(const char *t, size_t n)
{
	static const char *const words[] = { "original message",
	    "oorspronkelijk bericht", "origineel bericht" };
	size_t d = 0;

	while (t[d] == '-')
		d++;
	if (d >= 3) {
		const char *w = form_skip_ws(t + d);
		for (size_t i = 0; i < HP_NELEM(words); i++)
			if (starts_ci(w, words[i]))
				return true;
	}
	for (d = 0; t[d] == '_'; d++)
		;
	return d >= 10 && d == n;
}

/* "On ... wrote:", "Op ... schreef ...:", "Op ... het volgende
 * geschreven:", "Am ... schrieb ...:" in text[0..n). */
static bool
is_attribution(const char *t, size_t n)
{
	if (n > ATTRIB_MAX || n == 0 || t[n - 1] != ':')
		return false;
	if (starts_ci(t, "on "))
		return ends_ci(t, n, " wrote:");
	if (starts_ci(t, "op "))
		return ends_ci(t, n, " geschreven:") || contains_ci(t, " schreef");
	if (starts_ci(t, "am "))
		return contains_ci(t, " schrieb ");
	return false;
}

static bool
is_attribution2(const char *first, const char *second)
{
	char *joined;
	bool r;

	if (!starts_ci(first, "on ") && !starts_ci(first, "op ") &&
	    !starts_ci(first, "am "))
		return false;
	if (strlen(first) + strlen(second) > ATTRIB_MAX)
		return false;
	joined = xasprintf("%.*s %.*s", (int)form_rtrim_len(first), first,
	    (int)form_rtrim_len(second), form_skip_ws(second));
	r = is_attribution(joined, strlen(joined));
	free(joined);
	return r;
}

static const char *
skip_stars(const char *s)
{
	while (*s == '*')
		s++;
	return s;
}

/* True when reading stops at line i (0-based). */
static bool
stop_at(const struct lines *ls, size_t i)
{
	const char *raw = ls->v[i].text, *t = form_skip_ws(raw);
	const char *next = NULL;
	size_t n = form_rtrim_len(t);

	if (!ls->v[i].valid)
		return false;
	if (strcmp(raw, "-- ") == 0 || strcmp(raw, "--") == 0)
		return true;
	if ((n == 3 && strncasecmp(t, "end", 3) == 0) ||
	    (n == 5 && strncasecmp(t, "einde", 5) == 0))
		return true;
	if (is_separator_line(t, n) || is_attribution(t, n))
		return true;
	if (i + 1 < ls->n && ls->v[i + 1].valid)
		next = skip_stars(form_skip_ws(ls->v[i + 1].text));
	if (next == NULL)
		return false;
	if ((starts_ci(skip_stars(t), "from:") && starts_ci(next, "sent:")) ||
	    (starts_ci(skip_stars(t), "van:") && starts_ci(next, "verzonden:")))
		return true;
	return is_attribution2(t, next);
}

/* --- keys -------------------------------------------------------------- */

/* If t starts with "Key:" followed by a blank or the end, copy the
 * normalised key (lower case, single spaces) to key and the key as
 * written to written, and return the value (after the colon); else NULL. */
static const char *
key_split(const char *t, char key[FORM_KEY_MAX + 1],
    char written[FORM_KEY_MAX + 1])
{
	size_t n = 0, w, o = 0;

	if (!((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z')))
		return NULL;
	for (; n <= FORM_KEY_MAX && t[n] != ':' && t[n] != '\0'; n++) {
		char c = t[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == ' ' || c == '-'))
			return NULL;
	}
	if (n > FORM_KEY_MAX || t[n] != ':' ||
	    (t[n + 1] != ' ' && t[n + 1] != '\t' && t[n + 1] != '\0'))
		return NULL;
	for (w = n; w > 0 && t[w - 1] == ' '; w--)
		;
	memcpy(written, t, w);
	written[w] = '\0';
	for (size_t i = 0; i < w; i++) {
		char c = written[i];
		if (c == ' ' && o > 0 && key[o - 1] == ' ')
			continue;
		key[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	key[o] = '\0';
	return t + n + 1;
}

static int
key_find(const char *key)
{
	for (size_t i = 0; i < HP_NELEM(keys); i++)
		if (strcmp(keys[i].alias, key) == 0)
			return (int)i;
	return -1;
}

static bool
key_quiet(const char *key)
{
	for (size_t i = 0; i < HP_NELEM(quiet_keys); i++)
		if (strcmp(quiet_keys[i], key) == 0)
			return true;
	return false;
}

/* Keys are one or two words; "Please find our details below:" is a
 * sentence ending in a colon, not a misspelt key. */
static bool
key_is_sentence(const char *key)
{
	const char *sp = strchr(key, ' ');

	return sp != NULL && strchr(sp + 1, ' ') != NULL;
}

/* Known key whose spelling is nearest to key, or NULL. */
static const char *
key_suggest(const char *key)
{
	size_t len = strlen(key), max = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	size_t best = max + 1;
	const char *found = NULL;

	for (size_t i = 0; i < HP_NELEM(keys); i++) {
		size_t d = hp_edit_distance(key, keys[i].alias, max);
		if (d < best) {
			best = d;
			found = keys[i].alias;
		}
	}
	return found;
}

/* --- pass 1 ------------------------------------------------------------ */

struct reader {
	struct form *f;
	struct form_raw *raw;
	size_t n_raw;
	int hints[LANG_COUNT];
	bool continuing;	/* an indented line continues raw[n_raw-1] */
	bool desc_open;		/* ... and that raw is a Description */
	bool cmd_limit_warned;
};

static void
reader_add_command(struct reader *r, enum form_cmd cmd, char *args,
    int lang, int line)
{
	struct form *f = r->f;
	struct form_command *c;

	r->hints[lang]++;
	for (size_t i = 0; i < f->n_commands; i++)
		if (f->commands[i].cmd == cmd &&
		    hp_strcasecmp_null(f->commands[i].args, args) == 0) {
			free(args);
			return;
		}
	if (f->n_commands == FORM_MAX_COMMANDS) {
		if (!r->cmd_limit_warned)
			problems_add(&f->warnings, line,
			    "Meer dan %d opdrachten; de rest is genegeerd",
			    "More than %d commands; the rest was ignored",
			    FORM_MAX_COMMANDS);
		r->cmd_limit_warned = true;
		free(args);
		return;
	}
	f->commands = xreallocarray(f->commands, f->n_commands + 1,
	    sizeof(*f->commands));
	c = &f->commands[f->n_commands++];
	c->cmd = cmd;
	c->args = args;
	c->line = line;
}

static void
reader_add_field(struct reader *r, int k, const char *written,
    const char *value, int line)
{
	struct form_raw *fr;

	r->raw = xreallocarray(r->raw, r->n_raw + 1, sizeof(*r->raw));
	fr = &r->raw[r->n_raw++];
	memset(fr, 0, sizeof(*fr));
	fr->key = keys[k].key;
	hp_strlcpy(fr->written, written, sizeof(fr->written));
	buf_init(&fr->value, FORM_RAW_MAX);
	value = form_skip_ws(value);
	fr->too_long = buf_append(&fr->value, value, form_rtrim_len(value)) == -1;
	fr->line = line;
	if (keys[k].hint != HINT_NONE)
		r->hints[keys[k].hint]++;
	if (form_key_is_event(fr->key))
		r->f->has_event_keys = true;
	r->continuing = true;
	r->desc_open = fr->key == FK_DESCRIPTION;
}

static void
reader_continue(struct reader *r, const char *t)
{
	struct form_raw *fr = &r->raw[r->n_raw - 1];

	if (fr->too_long)
		return;
	if ((fr->value.len > 0 && buf_putc(&fr->value, ' ') == -1) ||
	    buf_append(&fr->value, t, form_rtrim_len(t)) == -1)
		fr->too_long = true;
}

static void
reader_unknown_key(struct reader *r, const char *key, const char *written,
    int line)
{
	const char *near;

	if (key_quiet(key) || key_is_sentence(key))
		return;
	if (form_command_word(key)) {
		problems_add(&r->f->warnings, line,
		    "\"%s:\" is een opdracht; schrijf die zonder dubbele punt",
		    "\"%s:\" is a command; write it without a colon", written);
	} else if ((near = key_suggest(key)) != NULL) {
		problems_add(&r->f->warnings, line,
		    "Onbekend veld \"%s\" genegeerd; bedoelde u %c%s?",
		    "Unknown field \"%s\" ignored; did you mean %c%s?", written,
		    near[0] - 32, near + 1);
	} else {
		problems_add(&r->f->warnings, line,
		    "Onbekend veld \"%s\" genegeerd", "Unknown field \"%s\" ignored",
		    written);
	}
}

/* A line that is neither quoted, blank nor a continuation. */
static void
reader_line(struct reader *r, const char *t, bool indented, int line)
{
	char key[FORM_KEY_MAX + 1], written[FORM_KEY_MAX + 1], *args = NULL;
	const char *value = key_split(t, key, written);
	enum form_cmd cmd;
	int k, lang;

	if (value != NULL) {
		r->continuing = r->desc_open = false;
		if ((k = key_find(key)) >= 0)
			reader_add_field(r, k, written, value, line);
		else
			reader_unknown_key(r, key, written, line);
		return;
	}
	if (form_command_parse(t, &cmd, &args, &lang) == 0) {
		reader_add_command(r, cmd, args, lang, line);
	} else if (r->desc_open && !indented) {
		problems_add(&r->f->warnings, line,
		    "Deze regel hoort niet bij %s; laat vervolgregels met een "
		    "spatie beginnen", "This line is not part of %s; start "
		    "continuation lines with a space", r->raw[r->n_raw - 1].written);
	}
	r->continuing = r->desc_open = false;
}

/* True when the trimmed line t starts with a known key. */
static bool
starts_with_key(const char *t)
{
	char key[FORM_KEY_MAX + 1], written[FORM_KEY_MAX + 1];

	return key_split(t, key, written) != NULL && key_find(key) >= 0;
}

static void
reader_body(struct reader *r, const struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		const struct line *ln = &ls->v[i];
		const char *t = form_skip_ws(ln->text);
		bool indented = t != ln->text;
		char key[FORM_KEY_MAX + 1], written[FORM_KEY_MAX + 1];
		int line = (int)i + 1;

		if (stop_at(ls, i))
			break;
		if (!ln->valid) {
			if (key_split(t, key, written) != NULL && key_find(key) >= 0)
				problems_add(&r->f->errors, line,
				    "%s: de regel bevat tekens die niet zijn "
				    "toegestaan (stuurcodes of geen UTF-8)",
				    "%s: the line contains characters that are "
				    "not allowed (control codes or not UTF-8)",
				    written);
			r->continuing = r->desc_open = false;
		} else if (*t == '>' || *t == '\0') {
			r->continuing = r->desc_open = false;
		} else if (indented && r->continuing && !starts_with_key(t)) {
			reader_continue(r, t);
		} else {
			reader_line(r, t, indented, line);
		}
	}
	r->f->n_lines_read = i;
	if (i == ls->n && ls->truncated)
		problems_add(&r->f->warnings, (int)i,
		    "Het bericht is te lang; alleen de eerste %zu regels zijn "
		    "gelezen", "The message is too long; only the first %zu "
		    "lines were read", i);
}

static void
reader_subject(struct reader *r, const char *subject)
{
	enum form_cmd cmd;
	char *args = NULL, *t;
	int lang;

	if (subject == NULL || strlen(subject) > SUBJECT_MAX ||
	    !line_chars_ok(subject, strlen(subject)) || strchr(subject, '\n'))
		return;
	t = xstrdup(form_subject_strip(subject));
	hp_trim(t);
	if (form_command_parse(t, &cmd, &args, &lang) == 0)
		reader_add_command(r, cmd, args, lang, 0);
	free(t);
}

/* --- the shared first pass and the form --------------------------------- */

void
form_scan_text(struct form *f, const char *subject, const char *body,
    size_t body_len, struct form_scan *out)
{
	struct reader r = { .f = f };
	struct lines ls;

	reader_subject(&r, subject);
	lines_split(&ls, body != NULL ? body : "", body != NULL ? body_len : 0);
	reader_body(&r, &ls);
	lines_free(&ls);
	out->raw = r.raw;
	out->n_raw = r.n_raw;
	memcpy(out->hints, r.hints, sizeof(out->hints));
}

void
form_scan_free(struct form_scan *s)
{
	for (size_t i = 0; i < s->n_raw; i++)
		buf_free(&s->raw[i].value);
	free(s->raw);
	s->raw = NULL;
	s->n_raw = 0;
}

/* The "- mixed with entries" checks only run after the last line, so
 * the lists need sorting; they are nearly sorted, which insertion sort
 * likes. */
void
form_problems_sort(struct problems *p)
{
	for (size_t i = 1; i < p->n; i++) {
		struct problem x = p->v[i];
		size_t j = i;
		while (j > 0 && p->v[j - 1].line > x.line) {
			p->v[j] = p->v[j - 1];
			j--;
		}
		p->v[j] = x;
	}
}

struct form *
form_read(const char *subject, const char *body, size_t body_len,
    enum lang default_lang, const struct country_db *countries)
{
	struct form *f = xcalloc(1, sizeof(*f));
	struct form_scan sc;

	form_scan_text(f, subject, body, body_len, &sc);
	if (sc.hints[LANG_NL] != sc.hints[LANG_EN]) {
		f->lang = sc.hints[LANG_NL] > sc.hints[LANG_EN] ? LANG_NL :
		    LANG_EN;
		f->lang_detected = true;
	} else
		f->lang = default_lang;
	form_fields_apply(f, sc.raw, sc.n_raw, countries);
	f->organisation_missing = f->present != 0 && f->organisation_line == 0;
	form_problems_sort(&f->errors);
	form_problems_sort(&f->warnings);
	form_scan_free(&sc);
	return f;
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	free(f->organisation);
	free(f->website);
	free(f->description);
	free(f->internships);
	for (size_t i = 0; i < f->n_networks; i++)
		free(f->networks[i]);
	free(f->networks);
	for (size_t i = 0; i < f->n_contacts; i++)
		contact_clear(&f->contacts[i]);
	free(f->contacts);
	for (size_t i = 0; i < f->n_activities; i++)
		activity_clear(&f->activities[i]);
	free(f->activities);
	for (size_t i = 0; i < f->n_commands; i++)
		free(f->commands[i].args);
	free(f->commands);
	problems_clear(&f->errors);
	problems_clear(&f->warnings);
	free(f);
}

bool
form_has_fields(const struct form *f)
{
	return f != NULL && (f->organisation_line > 0 || f->present != 0);
}
