/*
 * form_cmd: recognising command lines for the form reader (form.c): the
 * command words in both languages and the argument rules of form.h that
 * keep ordinary prose ("Show me the way") from being read as a command.
 * Pure: no I/O, no logging.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form_int.h"
#include "util.h"

/* --- commands ---------------------------------------------------------- */

static const struct {
	enum form_cmd cmd;
	const char *word[LANG_COUNT];	/* indexed by enum lang */
} cmds[] = {
	{ FORM_CMD_HELP, { "hulp", "help" } },
	{ FORM_CMD_SHOW, { "toon", "show" } },
	{ FORM_CMD_SUBSCRIBE, { "aanmelden", "subscribe" } },
	{ FORM_CMD_UNSUBSCRIBE, { "afmelden", "unsubscribe" } },
	{ FORM_CMD_QUERY, { "zoek", "query" } },
	{ FORM_CMD_CONFIRM, { "bevestig", "confirm" } },
	{ FORM_CMD_APPROVE, { "goedkeuren", "approve" } },
	{ FORM_CMD_REJECT, { "afwijzen", "reject" } },
	{ FORM_CMD_REMOVE, { "verwijder", "remove" } },
	{ FORM_CMD_PREVIEW, { "voorbeeld", "preview" } },
	{ FORM_CMD_CANCEL, { "annuleer", "cancel" } },
	{ FORM_CMD_ATTENDEES, { "deelnemers", "attendees" } },
};

/* Words that make "show ..." / "remove ..." prose, not a name. */
static const char *const prose_words[] = {
	"me", "us", "you", "him", "her", "them", "it", "that", "this", "these",
	"those", "how", "what", "why", "where", "when", "all", "my", "our",
	"your", "his", "their", "mij", "ons", "jou", "je", "jullie", "u",
	"hem", "haar", "hen", "hun", "dit", "dat", "deze", "die", "hoe", "wat",
	"waar", "wanneer", "waarom", "mijn", "onze", "uw", "alles",
};

/* Copy the next blank-separated word of *p into w (at most size-1
 * bytes); returns its length, 0 at the end, or -1 when it is too long. */
static int
word_next(const char **p, char *w, size_t size)
{
	const char *s = form_skip_ws(*p);
	size_t n = strcspn(s, " \t");

	*p = s + n;
	if (n >= size)
		return -1;
	memcpy(w, s, n);
	w[n] = '\0';
	return (int)n;
}

static bool
word_in(const char *w, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(w, set[i]) == 0)
			return true;
	return false;
}

static bool
args_name(const char *a)
{
	static const char *const no_end = "?!,:;";
	char w[64];
	size_t words = 0;
	const char *p = a;
	int l;

	if (strchr(no_end, a[strlen(a) - 1]) != NULL)
		return false;
	if (word_next(&p, w, sizeof(w)) > 0 &&
	    word_in(w, prose_words, HP_NELEM(prose_words)))
		return false;
	for (p = a; *form_skip_ws(p) != '\0'; words++)
		if ((l = word_next(&p, w, sizeof(w))) < 0 || words >= 10)
			return false;
	return true;
}

static bool
args_subscribe(const char *a, bool unsubscribe)
{
	static const char *const lists[] = { "newsletter", "nieuwsbrief",
	    "events", "evenementen", "all", "alles" };
	static const char *const langs[] = { "nl", "en" };
	int n_list = 0, n_lang = 0;
	const char *p = a;
	char w[16];
	int l;

	while ((l = word_next(&p, w, sizeof(w))) != 0) {
		if (l < 0)
			return false;
		if (word_in(w, lists, unsubscribe ? 6 : 4))
			n_list++;
		else if (!unsubscribe && word_in(w, langs, 2))
			n_lang++;
		else
			return false;
	}
	return n_list <= 1 && n_lang <= 1;
}

static bool
args_query(const char *a)
{
	size_t k = 0;

	while ((a[k] >= 'a' && a[k] <= 'z') || (a[k] >= 'A' && a[k] <= 'Z'))
		k++;
	return k > 0 && a[k] == '=';
}

/* One token word (see form.h), then nothing or (reason) anything. */
static bool
args_token(const char *a, bool reason, bool event_id)
{
	const char *allowed = event_id ? "_-@.:" : "_-";
	size_t n = strcspn(a, " \t");
	bool digit = false;

	if (n == 0 || n > (event_id ? 200u : 128u) || (!event_id && n < 8))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c >= '0' && c <= '9')
			digit = true;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr(allowed, c) != NULL))
			return false;
	}
	if (!digit && (event_id || n < 16))
		return false;
	return a[n] == '\0' || reason;
}

static bool
args_fit(enum form_cmd cmd, const char *a)
{
	switch (cmd) {
	case FORM_CMD_HELP:
	case FORM_CMD_PREVIEW:
		return a == NULL;
	case FORM_CMD_SHOW:
		return a == NULL || args_name(a);
	case FORM_CMD_REMOVE:
		return a != NULL && args_name(a);
	case FORM_CMD_SUBSCRIBE:
		return a == NULL || args_subscribe(a, false);
	case FORM_CMD_UNSUBSCRIBE:
		return a == NULL || args_subscribe(a, true);
	case FORM_CMD_QUERY:
		return a != NULL && args_query(a);
	case FORM_CMD_CONFIRM:
	case FORM_CMD_APPROVE:
		return a != NULL && args_token(a, false, false);
	case FORM_CMD_REJECT:
		return a != NULL && args_token(a, true, false);
	case FORM_CMD_CANCEL:
	case FORM_CMD_ATTENDEES:
		return a != NULL && args_token(a, false, true);
	}
	return false;
}

/* line: without leading blanks.  Returns 0 and fills cmd/args/lang when
 * it is a command line (form.h), -1 otherwise. */
int
form_command_parse(const char *line, enum form_cmd *cmd, char **args,
    int *lang)
{
	size_t n = form_rtrim_len(line), wl;
	const char *rest;
	char *t;
	int r = -1;

	if (n == 0 || n > FORM_MAX_COMMAND_LINE)
		return -1;
	t = xstrndup(line, n);
	wl = strcspn(t, " \t");
	rest = form_skip_ws(t + wl);
	for (size_t i = 0; i < HP_NELEM(cmds) && r == -1; i++)
		for (int l = 0; l < LANG_COUNT && r == -1; l++) {
			if (strlen(cmds[i].word[l]) != wl ||
			    strncasecmp(t, cmds[i].word[l], wl) != 0)
				continue;
			if (!args_fit(cmds[i].cmd, *rest ? rest : NULL))
				goto done;
			*cmd = cmds[i].cmd;
			*args = *rest ? xstrdup(rest) : NULL;
			*lang = l;
			r = 0;
		}
done:
	free(t);
	return r;
}

const char *
form_cmd_name(enum form_cmd cmd, enum lang lang)
{
	for (size_t i = 0; i < HP_NELEM(cmds); i++)
		if (cmds[i].cmd == cmd)
			return cmds[i].word[lang == LANG_EN ? LANG_EN : LANG_NL];
	return NULL;
}

bool
form_command_word(const char *w)
{
	for (size_t i = 0; i < HP_NELEM(cmds); i++)
		if (strcasecmp(w, cmds[i].word[LANG_NL]) == 0 ||
		    strcasecmp(w, cmds[i].word[LANG_EN]) == 0)
			return true;
	return false;
}

/* Strip "Re:", "Fwd:", "[tag]" ... from the front of a subject. */
const char *
form_subject_strip(const char *s)
{
	static const char *const pfx[] = { "re", "aw", "antw", "fwd", "fw",
	    "doorst" };

	for (;;) {
		bool again = false;
		s = form_skip_ws(s);
		if (*s == '[') {
			const char *e = strchr(s, ']');
			if (e != NULL && e - s <= 64) {
				s = e + 1;
				continue;
			}
		}
		for (size_t i = 0; i < HP_NELEM(pfx) && !again; i++) {
			size_t n = strlen(pfx[i]);
			const char *p;
			if (strncasecmp(s, pfx[i], n) != 0)
				continue;
			p = form_skip_ws(s + n);
			if (*p == ':') {
				s = p + 1;
				again = true;
			}
		}
		if (!again)
			return s;
	}
}

