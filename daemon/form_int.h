/*
 * form_int: what form.c (reading lines), form_field.c (validating
 * registry values) and form_event.c (validating event values) share.
 * Private to the form module; nothing else includes it.
 */
#ifndef HP_FORM_INT_H
#define HP_FORM_INT_H

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "form.h"

#define HINT_NONE	(-1)
#define FORM_KEY_MAX	31	/* the key pattern [A-Za-z][A-Za-z -]{0,30} */
#define FORM_RAW_MAX	8192	/* a raw value never needs more */
#define FORM_QUOTE_MAX	60	/* outside text quoted in a message */

enum form_key {
	FK_ORGANISATION,
	FK_SECTOR,
	FK_WEBSITE,
	FK_DESCRIPTION,
	FK_CONTACT,
	FK_ACTIVE_IN,
	FK_INTERNSHIPS,
	FK_NETWORKS,
	/* Event keys, from FK_EV_TITLE on: read by form_event.c, ignored by
	 * form_field.c. */
	FK_EV_TITLE,
	FK_EV_START,
	FK_EV_END,
	FK_EV_TIMEZONE,
	FK_EV_LOCATION,
	FK_EV_AUDIENCE,
	FK_EV_ID,
};
#define FK_COUNT	(FK_EV_ID + 1)

static inline bool
form_key_is_event(enum form_key k)
{
	return k >= FK_EV_TITLE;
}

/* One field line with its continuation lines, as written. */
struct form_raw {
	enum form_key key;
	char written[FORM_KEY_MAX + 1];	/* the key as the sender wrote it */
	struct buf value;		/* trimmed, continuations joined */
	bool too_long;			/* value exceeded FORM_RAW_MAX */
	int line;
};

static inline const char *
form_skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Length of s without trailing blanks. */
static inline size_t
form_rtrim_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* What the first pass leaves for the second: the field lines in form
 * order and the language hints (key spellings, command words). */
struct form_scan {
	struct form_raw *raw;
	size_t n_raw;
	int hints[LANG_COUNT];
};

/* The first pass, shared by form_read and form_read_event: read subject
 * (may be NULL) and body[0..body_len) by the line rules of form.h into
 * out, and into f the commands, n_lines_read, has_event_keys and the
 * problems of reading (unknown keys, unreadable key lines, a wrapped
 * Description, the length limit).  f must be zeroed.  The caller frees
 * out with form_scan_free. */
void form_scan_text(struct form *f, const char *subject, const char *body,
    size_t body_len, struct form_scan *out);
void form_scan_free(struct form_scan *s);

/* Stable sort by line, so a reply lists problems in reading order. */
void form_problems_sort(struct problems *p);

/* s shortened for a message: at most FORM_QUOTE_MAX bytes, cut on a
 * UTF-8 boundary, "..." appended when cut.  s must be valid UTF-8 (every
 * value that reaches the second pass is).  Returns buf. */
const char *form_quote(const char *s, char buf[FORM_QUOTE_MAX + 4]);

/* t: a line without leading blanks.  Returns 0 and sets cmd, args
 * (owned by the caller, NULL when none) and lang (the language of the
 * command word) when t is a command line by the rules in form.h; -1
 * otherwise. */
int form_command_parse(const char *t, enum form_cmd *cmd, char **args,
    int *lang);

/* True when w is a command word in either language. */
bool form_command_word(const char *w);

/* s after any "Re:", "Fwd:", "Antw:", ... prefixes and "[tag]"s. */
const char *form_subject_strip(const char *s);

/* Validate raw[0..n) in order into f (values, present bits, errors and
 * warnings).  f->lang must already be final. */
void form_fields_apply(struct form *f, struct form_raw *raw, size_t n,
    const struct country_db *countries);

#endif
