/*
 * dsn: see dsn.h.  Pure (L1): no I/O, logging, clock or globals; the
 * only allocation is the recipient array of a report.
 *
 * Everything here reads mail written by other people's software, much
 * of it sloppy: the parsers work on (pointer, length) spans so NUL bytes
 * and missing terminators cannot mislead them, unfold into fixed-size
 * buffers (DSN_FIELD_MAX), and clean every stored string through
 * dsn_text_copy, which is what makes the dsn.h promise (valid UTF-8, no
 * control characters) hold.
 */
#include "dsn.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn_int.h"
#include "util.h"

#define DSN_NAME_MAX 32		/* a field name longer than this is not ours */

/* Per-recipient fields; seeing one twice starts a new recipient. */
enum {
	F_FINAL = 1 << 0, F_ORIG = 1 << 1, F_ACTION = 1 << 2,
	F_STATUS = 1 << 3, F_DIAG = 1 << 4, F_REMOTE = 1 << 5
};

struct field {
	char name[DSN_NAME_MAX];
	char value[DSN_FIELD_MAX];
	size_t len;
	bool active;
};

struct state {
	struct dsn_report *out;
	struct dsn_recipient cur;
	unsigned seen;		/* F_* bits set in cur */
	size_t cap;		/* allocated entries of out->rcpts */
};

/* The shared helpers: contracts in dsn_int.h. */
void
dsn_text_copy(char *dst, size_t size, size_t *dlen, const char *src, size_t n)
{
	size_t i = 0, cl;

	while (i < n) {
		uint32_t cp = hp_utf8_decode((const unsigned char *)src + i,
		    n - i, &cl);

		if (cp == HP_UTF8_BAD || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)) {
			if (*dlen + 1 >= size)
				break;
			dst[(*dlen)++] = cp == HP_UTF8_BAD ? '?' : ' ';
		} else {
			if (*dlen + cl >= size)
				break;
			memcpy(dst + *dlen, src + i, cl);
			*dlen += cl;
		}
		i += cl;
	}
	dst[*dlen] = '\0';
}

void
dsn_utf8_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

long
dsn_span_find(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (strncasecmp(s + i, needle, m) == 0)
			return (long)i;
	return -1;
}

/* ---- status codes ---- */

/* Read 1..3 digits at s[*i] (bounded by n) into *v. */
static bool
read_num(const char *s, size_t n, size_t *i, unsigned *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && dsn_is_digit(s[*i]) && *i - start < 3)
		*v = *v * 10 + (unsigned)(s[(*i)++] - '0');
	return *i > start && !(*i < n && dsn_is_digit(s[*i]));
}

bool
dsn_code_at(const char *s, size_t n, size_t i, const char *classes, char *out)
{
	unsigned subj, det;
	size_t j = i + 2;

	if (i + 2 >= n || s[i] == '\0' || strchr(classes, s[i]) == NULL ||
	    s[i + 1] != '.')
		return false;
	if (i > 0 && (dsn_is_alnum(s[i - 1]) || s[i - 1] == '.'))
		return false;
	if (!read_num(s, n, &j, &subj) || j >= n || s[j] != '.')
		return false;
	j++;
	if (!read_num(s, n, &j, &det))
		return false;
	if (j < n && (dsn_is_alnum(s[j]) || (s[j] == '.' && j + 1 < n &&
	    dsn_is_digit(s[j + 1]))))
		return false;
	snprintf(out, 16, "%c.%u.%u", s[i], subj, det);
	return true;
}

long
dsn_code_find(const char *s, size_t n, const char *classes, char *out)
{
	for (size_t i = 0; i < n; i++)
		if (dsn_code_at(s, n, i, classes, out))
			return (long)i;
	return -1;
}

bool
dsn_code_basic_at(const char *s, size_t n, size_t i, char *out)
{
	if (i + 3 > n || (s[i] != '2' && s[i] != '4' && s[i] != '5') ||
	    s[i + 1] < '0' || s[i + 1] > '5' || !dsn_is_digit(s[i + 2]))
		return false;
	if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-')
		return false;
	snprintf(out, 16, "%c.0.0", s[i]);
	return true;
}

int
dsn_status_from_reply(const char *reply, char *status, size_t size)
{
	char code[16];
	size_t n, i = 0;

	if (size > 0)
		status[0] = '\0';
	if (reply == NULL || size < 16)
		return -1;
	n = strnlen(reply, DSN_MAX_TEXT);
	if (dsn_code_find(reply, n, "245", code) < 0) {
		while (i < n && dsn_is_blank(reply[i]))
			i++;
		if (i < n && reply[i] == '#')	/* old Exchange: "#550 ..." */
			i++;
		if (!dsn_code_basic_at(reply, n, i, code))
			return -1;
	}
	hp_strlcpy(status, code, size);
	return 0;
}

/* Subject and detail of a code written by this file ("5.7.1"). */
static void
code_parts(const char *status, unsigned *subj, unsigned *det)
{
	size_t n = strlen(status), i = 2;

	*subj = *det = 0;
	if (n < 5 || !read_num(status, n, &i, subj) || i >= n)
		return;
	i++;
	(void)read_num(status, n, &i, det);
}

/* ---- blame ---- */

/* Names of blocklists and blocking words.  The strong ones blame us even
 * under a mailbox code; the weak ones only where the code itself is not
 * about the address or mailbox ("550 5.1.1 User not listed in ..."). */
static const char *const strong_words[] = {
	"spamhaus", "barracuda", "spamcop", "sorbs", "uceprotect", "abuseat",
	"spamrats", "psbl", "blacklist", "black list", "blocklist",
	"block list", "denylist", "deny list", "dnsbl", "rbl",
};
static const char *const weak_words[] = {
	"blocked", "listed", "reputation", "policy", "spam", "unsolicited",
	"dmarc", "dkim", "spf",
};

/* True when text has one of words at the start of a word. */
static bool
text_names(const char *text, const char *const *words, size_t n_words)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (p > text && dsn_is_alnum(p[-1]))
			continue;
		for (size_t w = 0; w < n_words; w++) {
			if (strncasecmp(p, words[w], strlen(words[w])) != 0)
				continue;
			/* "User not listed in the directory" is no blocklist. */
			if (strcmp(words[w], "listed") == 0 && p - text >= 4 &&
			    strncasecmp(p - 4, "not ", 4) == 0)
				continue;
			return true;
		}
	}
	return false;
}

static bool
blames_sender(const char *status, const char *diagnostic)
{
	unsigned subj, det;
	bool perm = status[0] == '5';

	code_parts(status, &subj, &det);
	if (subj == 7)				/* security or policy */
		return true;
	if (perm && subj == 1 && (det == 7 || det == 8))	/* our sender */
		return true;
	if (perm && ((subj == 3 && det == 4) || subj == 6))	/* our message */
		return true;
	if (text_names(diagnostic, strong_words, HP_NELEM(strong_words)))
		return true;
	if (subj == 1 || subj == 2)		/* about the mailbox itself */
		return false;
	return text_names(diagnostic, weak_words, HP_NELEM(weak_words));
}

void
dsn_recipient_judge(struct dsn_recipient *r)
{
	char cls = r->status[0];

	r->score = 0;
	r->blame = DSN_BLAME_NONE;
	if ((r->action != DSN_FAILED && r->action != DSN_DELAYED) ||
	    (cls != '4' && cls != '5'))
		return;
	if (blames_sender(r->status, r->diagnostic)) {
		r->blame = DSN_BLAME_SENDER;
	} else if (r->action == DSN_DELAYED || cls == '4') {
		r->blame = DSN_BLAME_TRANSIENT;
		/* A delay is a notice; the message may still arrive. */
		r->score = r->action == DSN_FAILED ? 0.5 : 0;
	} else {
		r->blame = DSN_BLAME_RECIPIENT;
		r->score = 1;
	}
}

/* ---- field values ---- */

/* Skip "(comment) type;" at the start of clean text v: what follows, or v
 * when there is no type. */
static char *
skip_type(char *v)
{
	char *p = v;
	size_t n = 0;

	while (dsn_is_blank(*p))
		p++;
	if (*p == '(') {
		while (*p != '\0' && *p != ')')
			p++;
		if (*p == ')')
			p++;
		while (dsn_is_blank(*p))
			p++;
	}
	while (dsn_is_alnum(p[n]) || p[n] == '-' || p[n] == '_' || p[n] == '.')
		n++;
	if (n == 0 || n > 32)
		return v;
	p += n;
	while (dsn_is_blank(*p))
		p++;
	if (*p != ';')
		return v;
	p++;
	while (dsn_is_blank(*p))
		p++;
	return p;
}

/* An address after its type: the first word, without <>, holding an '@'
 * with text on both sides; "" otherwise (never cut). */
static void
set_address(char *dst, size_t size, const char *v)
{
	const char *p = strchr(v, ';'), *at = NULL;
	size_t n = 0;

	dst[0] = '\0';
	p = p != NULL ? p + 1 : v;
	while (dsn_is_blank(*p))
		p++;
	if (*p == '<')
		p++;
	while (p[n] != '\0' && p[n] != '>' && !dsn_is_blank(p[n]))
		n++;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '@')
			at = p + i;
	if (at == NULL || at == p || at == p + n - 1 || n >= size)
		return;
	memcpy(dst, p, n);
	dst[n] = '\0';
	dsn_lower_from(dst + (at - p));
}

static enum dsn_action
action_parse(const char *v)
{
	static const struct {
		const char *word;
		enum dsn_action action;
	} words[] = {
		{ "failed", DSN_FAILED }, { "failure", DSN_FAILED },
		{ "delayed", DSN_DELAYED }, { "delivered", DSN_DELIVERED },
		{ "relayed", DSN_RELAYED }, { "expanded", DSN_EXPANDED },
	};
	size_t n = 0;

	while (dsn_is_blank(*v))
		v++;
	while (dsn_is_alnum(v[n]))
		n++;
	for (size_t i = 0; i < HP_NELEM(words); i++)
		if (n == strlen(words[i].word) &&
		    strncasecmp(v, words[i].word, n) == 0)
			return words[i].action;
	return DSN_UNKNOWN;
}

/* "Status: 5.1.1 (comment)"; "" unless a valid code leads. */
static void
status_parse(char *dst, const char *v)
{
	while (dsn_is_blank(*v))
		v++;
	dst[0] = '\0';
	if (!dsn_code_at(v, strlen(v), 0, "245", dst))
		dst[0] = '\0';
}

/* Gmail repeats the reply code on every folded line ("550-5.1.1 ... 550
 * 5.1.1 ..."); keep the first, drop the repeats, so the office reads
 * one sentence. */
static void
reply_tidy(char *v)
{
	char code[4], ext[16];
	size_t elen = 0;
	char *p;

	if (!dsn_code_basic_at(v, strlen(v), 0, ext) || strlen(v) < 5)
		return;
	memcpy(code, v, 3);
	code[3] = '\0';
	v[3] = ' ';
	if (dsn_code_at(v, strlen(v), 4, "245", ext))
		elen = strlen(ext);
	for (p = strstr(v + 4, code); p != NULL; p = strstr(p + 1, code)) {
		size_t cut = 4;

		if (p[-1] != ' ' || (p[3] != '-' && p[3] != ' '))
			continue;
		if (elen > 0 && (strncmp(p + 4, ext, elen) != 0 ||
		    (p[4 + elen] != ' ' && p[4 + elen] != '\0')))
			continue;
		if (elen == 0 && p[3] != '-')
			continue;
		cut += elen > 0 ? elen + (p[4 + elen] == ' ') : 0;
		memmove(p, p + cut, strlen(p + cut) + 1);
		p--;
	}
}

/* ---- the RFC 3464 reader ---- */

/* Whether a code of class cls can belong to action a: a code taken from
 * free text must not turn a failure into a success. */
static bool
class_fits(enum dsn_action a, char cls)
{
	if (a == DSN_UNKNOWN)
		return true;
	if (a == DSN_FAILED || a == DSN_DELAYED)
		return cls == '4' || cls == '5';
	return cls == '2';
}

/* Settle status and action, judge; -1 when the recipient says nothing. */
static int
rcpt_normalise(struct dsn_recipient *r)
{
	char code[16];
	bool generic = strlen(r->status) == 5 && strcmp(r->status + 1, ".0.0") == 0;

	if ((r->status[0] == '\0' || generic) &&
	    dsn_status_from_reply(r->diagnostic, code, sizeof(code)) == 0 &&
	    (r->status[0] == '\0' ? class_fits(r->action, code[0]) :
	    code[0] == r->status[0]))
		hp_strlcpy(r->status, code, sizeof(r->status));
	if (r->status[0] == '\0') {
		static const char *const by_action[] = {
			[DSN_FAILED] = "5.0.0", [DSN_DELAYED] = "4.0.0",
			[DSN_DELIVERED] = "2.0.0", [DSN_RELAYED] = "2.0.0",
			[DSN_EXPANDED] = "2.0.0",
		};
		if (r->action == DSN_UNKNOWN)
			return -1;
		hp_strlcpy(r->status, by_action[r->action], sizeof(r->status));
	}
	if (r->action == DSN_UNKNOWN)
		r->action = r->status[0] == '5' ? DSN_FAILED :
		    r->status[0] == '4' ? DSN_DELAYED : DSN_DELIVERED;
	dsn_recipient_judge(r);
	return 0;
}

static void
rcpt_finish(struct state *st)
{
	struct dsn_report *out = st->out;
	struct dsn_recipient *r = &st->cur;
	bool named = r->final_recipient[0] != '\0' ||
	    r->original_recipient[0] != '\0';

	if (named && (st->seen & (F_ACTION | F_STATUS | F_DIAG)) != 0 &&
	    out->n_rcpts < DSN_MAX_RCPTS && rcpt_normalise(r) == 0) {
		if (out->n_rcpts == st->cap) {
			st->cap = st->cap == 0 ? 4 : st->cap * 2;
			out->rcpts = xreallocarray(out->rcpts, st->cap,
			    sizeof(*out->rcpts));
		}
		out->rcpts[out->n_rcpts++] = *r;
	}
	memset(r, 0, sizeof(*r));
	r->action = DSN_UNKNOWN;
	st->seen = 0;
}

static unsigned
rcpt_field_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} fields[] = {
		{ "final-recipient", F_FINAL }, { "original-recipient", F_ORIG },
		{ "action", F_ACTION }, { "status", F_STATUS },
		{ "diagnostic-code", F_DIAG }, { "remote-mta", F_REMOTE },
	};

	for (size_t i = 0; i < HP_NELEM(fields); i++)
		if (strcasecmp(name, fields[i].name) == 0)
			return fields[i].bit;
	return 0;
}

static void
field_apply(struct state *st, const char *name, char *v)
{
	struct dsn_recipient *r = &st->cur;
	unsigned bit = rcpt_field_bit(name);

	if (bit == 0) {
		if (strcasecmp(name, "reporting-mta") == 0 &&
		    st->out->reporting_mta[0] == '\0')
			dsn_utf8_copy(st->out->reporting_mta,
			    sizeof(st->out->reporting_mta), skip_type(v));
		return;
	}
	if (st->seen & bit)
		rcpt_finish(st);
	st->seen |= bit;
	if (bit == F_FINAL)
		set_address(r->final_recipient, sizeof(r->final_recipient), v);
	else if (bit == F_ORIG)
		set_address(r->original_recipient,
		    sizeof(r->original_recipient), v);
	else if (bit == F_ACTION)
		r->action = action_parse(v);
	else if (bit == F_STATUS)
		status_parse(r->status, v);
	else if (bit == F_REMOTE)
		dsn_utf8_copy(r->remote_mta, sizeof(r->remote_mta), skip_type(v));
	else {
		char *d = skip_type(v);

		reply_tidy(d);
		dsn_squeeze(d);
		dsn_utf8_copy(r->diagnostic, sizeof(r->diagnostic), d);
	}
}

static void
field_flush(struct state *st, struct field *f)
{
	char v[DSN_FIELD_MAX];
	size_t n = 0;

	if (!f->active)
		return;
	f->active = false;
	dsn_text_copy(v, sizeof(v), &n, f->value, f->len);
	field_apply(st, f->name, hp_trim(v));
}

/* Raw bytes into the unfolded value, silently bounded. */
static void
field_append(struct field *f, const char *s, size_t n)
{
	size_t room = sizeof(f->value) - 1 - f->len;

	if (n > room)
		n = room;
	memcpy(f->value + f->len, s, n);
	f->len += n;
}

static void
line_handle(struct state *st, struct field *f, const char *s, size_t n)
{
	size_t i = 0, colon, c;

	while (i < n && dsn_is_blank(s[i]))
		i++;
	if (i == n) {			/* blank: the group ends */
		field_flush(st, f);
		if (st->seen != 0)
			rcpt_finish(st);
		return;
	}
	if (i > 0) {			/* folded continuation */
		if (f->active) {
			field_append(f, " ", 1);
			field_append(f, s + i, n - i);
		}
		return;
	}
	field_flush(st, f);
	for (colon = 0; colon < n && colon < DSN_NAME_MAX; colon++)
		if (s[colon] == ':' || s[colon] <= ' ' || s[colon] > '~')
			break;
	for (c = colon; c < n && dsn_is_blank(s[c]); c++)
		;			/* obsolete "Status :" */
	if (colon == 0 || colon == DSN_NAME_MAX || c == n || s[c] != ':')
		return;			/* not a field: ignored */
	memcpy(f->name, s, colon);
	f->name[colon] = '\0';
	f->len = 0;
	f->active = true;
	field_append(f, s + c + 1, n - c - 1);
}

int
dsn_parse(const char *status_text, size_t len, struct dsn_report *out)
{
	struct state st;
	struct field f;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.out = out;
	st.cur.action = DSN_UNKNOWN;
	f.active = false;
	if (status_text == NULL)
		return -1;
	if (len > DSN_MAX_TEXT)
		len = DSN_MAX_TEXT;
	while (i < len) {
		const char *nl = memchr(status_text + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - status_text) : len;
		size_t le = e;

		if (le > i && status_text[le - 1] == '\r')
			le--;
		line_handle(&st, &f, status_text + i, le - i);
		i = e + 1;
	}
	field_flush(&st, &f);
	if (st.seen != 0)
		rcpt_finish(&st);
	return out->n_rcpts > 0 ? 0 : -1;
}

void
dsn_report_clear(struct dsn_report *r)
{
	if (r == NULL)
		return;
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}

const char *
dsn_action_name(enum dsn_action a)
{
	switch (a) {
	case DSN_FAILED: return "failed";
	case DSN_DELAYED: return "delayed";
	case DSN_DELIVERED: return "delivered";
	case DSN_RELAYED: return "relayed";
	case DSN_EXPANDED: return "expanded";
	case DSN_UNKNOWN: break;
	}
	return "unknown";
}

const char *
dsn_blame_name(enum dsn_blame b)
{
	switch (b) {
	case DSN_BLAME_RECIPIENT: return "recipient";
	case DSN_BLAME_SENDER: return "sender";
	case DSN_BLAME_TRANSIENT: return "transient";
	case DSN_BLAME_NONE: break;
	}
	return "none";
}
