/*
 * form_int: what form.c (reading lines) and form_field.c (validating
 * values) share.  Private to the form module; nothing else includes it.
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

enum form_key {
	FK_ORGANISATION,
	FK_SECTOR,
	FK_WEBSITE,
	FK_DESCRIPTION,
	FK_CONTACT,
	FK_ACTIVE_IN,
	FK_INTERNSHIPS,
	FK_NETWORKS,
	FK_EVENT,	/* read by the event feature, ignored here */
};

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
