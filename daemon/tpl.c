/*
 * tpl: see tpl.h.  Two passes: a template is first parsed into a tree
 * (so every syntax error is found, with its line, before any output),
 * then the tree is rendered against a context stack of jansson values.
 *
 * The parser is iterative and keeps pointers into the template text
 * instead of copying it; the renderer recurses once per section or
 * partial level, which max_depth bounds.  Partials are fetched through
 * the caller's callback, indented, parsed once per (name, indentation)
 * and cached for the rest of the render.  Pure L1: no I/O, no logging,
 * no globals.
 */
#include "tpl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define TPL_DEFAULT_OUTPUT	((size_t)16 << 20)
#define TPL_DEFAULT_DEPTH	64u
#define TPL_HARD_DEPTH		1000u
#define TPL_MIN_STEPS		65536u
#define TPL_MAX_DELIM		16u
#define TPL_MAX_NAME		256u

enum tpl_kind {
	TPL_TEXT,
	TPL_VAR,	/* {{x}}: escaped when html_escape */
	TPL_RAW,	/* {{{x}}} and {{&x}} */
	TPL_SECTION,
	TPL_INVERTED,
	TPL_PARTIAL,
};

struct tpl_node;

struct tpl_list {
	struct tpl_node *v;
	size_t n, cap;
};

struct tpl_node {
	enum tpl_kind kind;
	unsigned line;
	const char *str;	/* text, or the tag name; points into the source */
	size_t len;
	const char *indent;	/* standalone partial: its line's indentation */
	size_t indent_len;
	struct tpl_list kids;	/* sections */
};

struct tpl_parser {
	const char *src;
	size_t len;
	size_t text_start;	/* first byte of literal text not yet emitted */
	char otag[TPL_MAX_DELIM + 1], ctag[TPL_MAX_DELIM + 2];
	size_t olen, clen;
	size_t line_pos;	/* line_at() cache: line number at line_pos */
	unsigned line;
	struct tpl_node **open;	/* open sections, innermost last */
	size_t nopen, open_cap;
	struct tpl_list *root;
	unsigned max_depth;
	const char *where;	/* partial name for messages, NULL at top */
	char *err;
	size_t errlen;
};

struct tpl_partial {
	char *name;
	char *indent;
	size_t indent_len;
	char *src;		/* indented text; NULL when the partial is missing */
	struct tpl_list tree;
	struct tpl_partial *next;
};

struct tpl_state {
	bool escape;
	tpl_partial_fn partial;
	void *partial_arg;
	struct buf out;
	json_t **stack;
	size_t nstack, stack_cap;
	unsigned depth, max_depth;
	size_t steps, max_steps;
	struct tpl_partial *cache;
	size_t partial_bytes;	/* text held in cache */
	const char *where;
	char *err;
	size_t errlen;
};

static int tpl_render_list(struct tpl_state *, const struct tpl_list *);

/* A name made safe to quote in a one-line message: control bytes become
 * '?', long names are cut (on a UTF-8 boundary) and marked "...". */
static const char *
tpl_show(const char *s, size_t len, char *buf, size_t size)
{
	size_t n = len, i;

	if (n > size - 4) {
		n = size - 4;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

/* Format "[partial "where", ]line N: msg" into err; always returns -1. */
static int
tpl_errf(char *err, size_t errlen, const char *where, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
tpl_errf(char *err, size_t errlen, const char *where, unsigned line,
    const char *fmt, ...)
{
	char name[72];
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return -1;
	if (where)
		n = snprintf(err, errlen, "partial \"%s\", line %u: ",
		    tpl_show(where, strlen(where), name, sizeof(name)), line);
	else
		n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void
tpl_list_free(struct tpl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		tpl_list_free(&l->v[i].kids);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static struct tpl_node *
tpl_list_add(struct tpl_list *l, enum tpl_kind kind, unsigned line,
    const char *str, size_t len)
{
	struct tpl_node *nd;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	nd = &l->v[l->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->line = line;
	nd->str = str;
	nd->len = len;
	return nd;
}

static bool
tpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Line number (from 1) of byte pos; positions mostly increase, so the
 * count continues from the last call. */
static unsigned
tpl_line_at(struct tpl_parser *p, size_t pos)
{
	const char *s, *end, *nl;

	if (pos < p->line_pos) {
		p->line_pos = 0;
		p->line = 1;
	}
	s = p->src + p->line_pos;
	end = p->src + pos;
	while (s < end && (nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		p->line++;
		s = nl + 1;
	}
	p->line_pos = pos;
	return p->line;
}

static struct tpl_list *
tpl_parser_top(struct tpl_parser *p)
{
	return p->nopen ? &p->open[p->nopen - 1]->kids : p->root;
}

static void
tpl_emit_text(struct tpl_parser *p, unsigned line, size_t from, size_t to)
{
	if (to > from)
		tpl_list_add(tpl_parser_top(p), TPL_TEXT, line, p->src + from,
		    to - from);
}

/*
 * A section, inverted, closing, comment, partial or delimiter tag that
 * is alone on its line (only blanks around it) takes the whole line
 * with it.  True when [tpos, tend) is such a tag; *ls is then where its
 * line starts and *next where the following line starts.
 */
static bool
tpl_standalone(const struct tpl_parser *p, size_t tpos, size_t tend,
    size_t *ls, size_t *next)
{
	const char *s = p->src;
	size_t i = tpos, j = tend;

	while (i > p->text_start && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	if (i > 0 && s[i - 1] != '\n')
		return false;
	while (j < p->len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j == p->len)
		*next = j;
	else if (s[j] == '\n')
		*next = j + 1;
	else if (s[j] == '\r' && j + 1 < p->len && s[j + 1] == '\n')
		*next = j + 2;
	else
		return false;
	*ls = i;
	return true;
}

/* Check a tag name: non-empty, no blanks inside, bounded. */
static int
tpl_check_name(struct tpl_parser *p, unsigned line, const char *s,
    size_t n)
{
	size_t i;

	if (n == 0)
		return tpl_errf(p->err, p->errlen, p->where, line,
		    "empty tag name");
	if (n > TPL_MAX_NAME)
		return tpl_errf(p->err, p->errlen, p->where, line,
		    "tag name longer than %u bytes", TPL_MAX_NAME);
	for (i = 0; i < n; i++)
		if (tpl_is_space(s[i]))
			return tpl_errf(p->err, p->errlen, p->where, line,
			    "blank inside tag name");
	return 0;
}

/* {{=<% %>=}}: s is the content between the two '='. */
static int
tpl_set_delims(struct tpl_parser *p, unsigned line, const char *s, size_t n)
{
	size_t a = 0, b, c, d, i;

	while (a < n && tpl_is_space(s[a]))
		a++;
	for (b = a; b < n && !tpl_is_space(s[b]); b++)
		;
	for (c = b; c < n && tpl_is_space(s[c]); c++)
		;
	for (d = c; d < n && !tpl_is_space(s[d]); d++)
		;
	for (i = d; i < n && tpl_is_space(s[i]); i++)
		;
	if (b == a || d == c || i != n || b - a > TPL_MAX_DELIM ||
	    d - c > TPL_MAX_DELIM || memchr(s + a, '=', b - a) ||
	    memchr(s + c, '=', d - c))
		return tpl_errf(p->err, p->errlen, p->where, line,
		    "bad set-delimiter tag (want two delimiters of 1-%u "
		    "bytes without blanks or '=')", TPL_MAX_DELIM);
	memcpy(p->otag, s + a, b - a);
	p->otag[b - a] = '\0';
	p->olen = b - a;
	memcpy(p->ctag, s + c, d - c);
	p->ctag[d - c] = '\0';
	p->clen = d - c;
	return 0;
}

static int
tpl_open_section(struct tpl_parser *p, struct tpl_node *nd)
{
	if (p->nopen >= p->max_depth)
		return tpl_errf(p->err, p->errlen, p->where, nd->line,
		    "sections nested deeper than %u", p->max_depth);
	if (p->nopen == p->open_cap) {
		p->open_cap = p->open_cap ? p->open_cap * 2 : 8;
		p->open = xreallocarray(p->open, p->open_cap,
		    sizeof(*p->open));
	}
	p->open[p->nopen++] = nd;
	return 0;
}

static int
tpl_close_section(struct tpl_parser *p, unsigned line, const char *s,
    size_t n)
{
	struct tpl_node *top;
	char a[72], b[72];

	if (p->nopen == 0)
		return tpl_errf(p->err, p->errlen, p->where, line,
		    "closing tag \"%s\" without an open section",
		    tpl_show(s, n, a, sizeof(a)));
	top = p->open[p->nopen - 1];
	if (top->len != n || memcmp(top->str, s, n) != 0)
		return tpl_errf(p->err, p->errlen, p->where, line,
		    "section \"%s\" (opened on line %u) closed by \"%s\"",
		    tpl_show(top->str, top->len, a, sizeof(a)), top->line,
		    tpl_show(s, n, b, sizeof(b)));
	p->nopen--;
	return 0;
}

/* Add the node for a tag of kind sigil with content s[0..n). */
static int
tpl_tag_node(struct tpl_parser *p, char sigil, unsigned line,
    const char *s, size_t n, const char *indent, size_t indent_len)
{
	struct tpl_node *nd;
	enum tpl_kind kind;

	switch (sigil) {
	case '!':
		return 0;
	case '=':
		return tpl_set_delims(p, line, s, n);
	case '/':
		if (tpl_check_name(p, line, s, n) == -1)
			return -1;
		return tpl_close_section(p, line, s, n);
	case '#': kind = TPL_SECTION; break;
	case '^': kind = TPL_INVERTED; break;
	case '>': kind = TPL_PARTIAL; break;
	case '{': case '&': kind = TPL_RAW; break;
	default: kind = TPL_VAR; break;
	}
	if (tpl_check_name(p, line, s, n) == -1)
		return -1;
	nd = tpl_list_add(tpl_parser_top(p), kind, line, s, n);
	nd->indent = indent;
	nd->indent_len = indent_len;
	if (kind == TPL_SECTION || kind == TPL_INVERTED)
		return tpl_open_section(p, nd);
	return 0;
}

/* Find where the tag opening at tpos ends: *cpos at its closing
 * delimiter, *tend just past it.  Returns the sigil ('\0' for a plain
 * variable). */
static int
tpl_tag_bounds(struct tpl_parser *p, size_t tpos, unsigned line,
    char *sigil, size_t *cstart, size_t *cpos, size_t *tend)
{
	char close[TPL_MAX_DELIM + 2];
	size_t i = tpos + p->olen, clen = p->clen;
	const char *c;

	*sigil = '\0';
	if (i < p->len && p->src[i] != '\0' && strchr("#^/!>={&", p->src[i]))
		*sigil = p->src[i++];
	if (*sigil == '{' || *sigil == '=') {
		close[0] = *sigil == '{' ? '}' : '=';
		memcpy(close + 1, p->ctag, p->clen);
		clen++;
	} else
		memcpy(close, p->ctag, p->clen);
	c = memmem(p->src + i, p->len - i, close, clen);
	if (c == NULL)
		return tpl_errf(p->err, p->errlen, p->where, line,
		    *sigil == '!' ? "unclosed comment" : "unclosed tag");
	*cstart = i;
	*cpos = (size_t)(c - p->src);
	*tend = *cpos + clen;
	return 0;
}

/* Parse the tag that opens at tpos; emit the text before it. */
static int
tpl_parse_tag(struct tpl_parser *p, size_t tpos)
{
	unsigned text_line = tpl_line_at(p, p->text_start);
	unsigned line = tpl_line_at(p, tpos);
	size_t cstart = 0, cpos = 0, tend = 0, ls = tpos, next, a, b;
	const char *indent = NULL;
	size_t indent_len = 0;
	char sigil;

	if (tpl_tag_bounds(p, tpos, line, &sigil, &cstart, &cpos, &tend) == -1)
		return -1;
	next = tend;
	if (sigil && sigil != '{' && sigil != '&' &&
	    tpl_standalone(p, tpos, tend, &ls, &next) && sigil == '>') {
		indent = p->src + ls;
		indent_len = tpos - ls;
	}
	tpl_emit_text(p, text_line, p->text_start, ls);
	p->text_start = next;
	a = cstart;
	b = cpos;
	if (sigil != '=') {
		while (a < b && tpl_is_space(p->src[a]))
			a++;
		while (b > a && tpl_is_space(p->src[b - 1]))
			b--;
	}
	return tpl_tag_node(p, sigil, line, p->src + a, b - a, indent,
	    indent_len);
}

/* Parse src[0..len) with the default delimiters into root. */
static int
tpl_parse(const char *src, size_t len, unsigned max_depth, const char *where,
    struct tpl_list *root, char *err, size_t errlen)
{
	struct tpl_parser p = { .src = src, .len = len, .otag = "{{",
	    .ctag = "}}", .olen = 2, .clen = 2, .line = 1, .root = root,
	    .max_depth = max_depth, .where = where, .err = err,
	    .errlen = errlen };
	const char *t;
	char name[72];
	int rc = -1;

	while (p.text_start < len && (t = memmem(src + p.text_start,
	    len - p.text_start, p.otag, p.olen)) != NULL)
		if (tpl_parse_tag(&p, (size_t)(t - src)) == -1)
			goto fail;
	tpl_emit_text(&p, tpl_line_at(&p, p.text_start), p.text_start, len);
	if (p.nopen > 0) {
		struct tpl_node *top = p.open[p.nopen - 1];
		tpl_errf(err, errlen, where, top->line,
		    "unclosed section \"%s\"",
		    tpl_show(top->str, top->len, name, sizeof(name)));
		goto fail;
	}
	rc = 0;
fail:
	free(p.open);
	if (rc == -1)
		tpl_list_free(root);
	return rc;
}

/* ---- rendering ---- */

static int
tpl_put(struct tpl_state *st, unsigned line, const char *s, size_t n)
{
	if (buf_append(&st->out, s, n) == -1)
		return tpl_errf(st->err, st->errlen, st->where, line,
		    "output larger than %zu bytes", st->out.max);
	return 0;
}

int
tpl_html_escape(struct buf *out, const char *s, size_t n)
{
	size_t run = 0, i;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if (buf_append(out, s + run, i - run) == -1 ||
		    buf_puts(out, rep) == -1)
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

static int
tpl_put_escaped(struct tpl_state *st, unsigned line, const char *s,
    size_t n)
{
	if (tpl_html_escape(&st->out, s, n) == -1)
		return tpl_errf(st->err, st->errlen, st->where, line,
		    "output larger than %zu bytes", st->out.max);
	return 0;
}

/* The shortest %g form that reads back as d, with '.' whatever the
 * locale says. */
static void
tpl_format_real(double d, char *buf, size_t size)
{
	int prec;
	char *c;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, size, "%.17g", d);
	if ((c = strchr(buf, ',')) != NULL)
		*c = '.';
}

/* Interpolate v (NULL when the name is missing) for the tag nd. */
static int
tpl_put_value(struct tpl_state *st, const struct tpl_node *nd, json_t *v)
{
	bool escape = nd->kind == TPL_VAR && st->escape;
	unsigned line = nd->line;
	char num[64];

	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (escape)
			return tpl_put_escaped(st, line, json_string_value(v),
			    json_string_length(v));
		return tpl_put(st, line, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		tpl_format_real(json_real_value(v), num, sizeof(num));
		break;
	case JSON_TRUE:
		return tpl_put(st, line, "true", 4);
	case JSON_FALSE:
		return tpl_put(st, line, "false", 5);
	default:
		return 0;
	}
	return tpl_put(st, line, num, strlen(num));
}

/*
 * Resolve a (dotted) name: "." is the top of the stack; otherwise the
 * first part is looked up from the top of the stack down, and each
 * further part only inside the previous result.  NULL when missing.
 */
static json_t *
tpl_lookup(const struct tpl_state *st, const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len), *end = name + len;
	size_t seg = dot ? (size_t)(dot - name) : len, i;
	json_t *v = NULL;

	if (len == 1 && name[0] == '.')
		return st->nstack ? st->stack[st->nstack - 1] : NULL;
	for (i = st->nstack; i > 0 && v == NULL; i--)
		if (json_is_object(st->stack[i - 1]))
			v = json_object_getn(st->stack[i - 1], name, seg);
	while (v != NULL && dot != NULL) {
		name = dot + 1;
		dot = memchr(name, '.', (size_t)(end - name));
		seg = dot ? (size_t)(dot - name) : (size_t)(end - name);
		v = json_is_object(v) ? json_object_getn(v, name, seg) : NULL;
	}
	return v;
}

/* Falsy like JavaScript's !!v, as the spec's coercion rule suggests. */
static bool
tpl_truthy(json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL: case JSON_FALSE: return false;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	default: return true;
	}
}

static int
tpl_enter(struct tpl_state *st, unsigned line)
{
	if (st->depth >= st->max_depth)
		return tpl_errf(st->err, st->errlen, st->where, line,
		    "sections and partials nested deeper than %u",
		    st->max_depth);
	st->depth++;
	return 0;
}

/* Render kids once with v pushed on the context stack. */
static int
tpl_render_with(struct tpl_state *st, json_t *v, const struct tpl_list *kids)
{
	int rc;

	if (st->nstack == st->stack_cap) {
		st->stack_cap = st->stack_cap ? st->stack_cap * 2 : 16;
		st->stack = xreallocarray(st->stack, st->stack_cap,
		    sizeof(*st->stack));
	}
	st->stack[st->nstack++] = v;
	rc = tpl_render_list(st, kids);
	st->nstack--;
	return rc;
}

static int
tpl_render_section(struct tpl_state *st, const struct tpl_node *nd)
{
	json_t *v = tpl_lookup(st, nd->str, nd->len);
	size_t i;
	int rc = 0;

	if (tpl_truthy(v) == (nd->kind == TPL_INVERTED))
		return 0;
	if (tpl_enter(st, nd->line) == -1)
		return -1;
	if (nd->kind == TPL_INVERTED)
		rc = tpl_render_list(st, &nd->kids);
	else if (json_is_array(v))
		for (i = 0; i < json_array_size(v) && rc == 0; i++)
			rc = tpl_render_with(st, json_array_get(v, i),
			    &nd->kids);
	else
		rc = tpl_render_with(st, v, &nd->kids);
	st->depth--;
	return rc;
}

/* The partial's text with indent put before every line, as the spec
 * wants for a standalone partial tag.  Takes ownership of text. */
static char *
tpl_indent(struct tpl_state *st, unsigned line, char *text,
    const char *indent, size_t indent_len)
{
	struct buf b;
	const char *s = text, *nl;
	size_t left = strlen(text), n;

	if (indent_len == 0)
		return text;
	buf_init(&b, st->out.max);
	while (left > 0) {
		nl = memchr(s, '\n', left);
		n = nl ? (size_t)(nl - s) + 1 : left;
		if (buf_append(&b, indent, indent_len) == -1 ||
		    buf_append(&b, s, n) == -1) {
			tpl_errf(st->err, st->errlen, st->where, line,
			    "indented partial larger than %zu bytes",
			    st->out.max);
			buf_free(&b);
			free(text);
			return NULL;
		}
		s += n;
		left -= n;
	}
	free(text);
	return buf_release(&b, NULL);
}

/* Fetch, indent and parse the partial of nd (once per render). */
static struct tpl_partial *
tpl_partial_get(struct tpl_state *st, const struct tpl_node *nd)
{
	struct tpl_partial *pt;
	char *text;

	for (pt = st->cache; pt != NULL; pt = pt->next)
		if (strlen(pt->name) == nd->len &&
		    memcmp(pt->name, nd->str, nd->len) == 0 &&
		    pt->indent_len == nd->indent_len &&
		    (nd->indent_len == 0 ||
		    memcmp(pt->indent, nd->indent, nd->indent_len) == 0))
			return pt;
	pt = xcalloc(1, sizeof(*pt));
	pt->name = xstrndup(nd->str, nd->len);
	pt->indent = xstrndup(nd->indent ? nd->indent : "", nd->indent_len);
	pt->indent_len = nd->indent_len;
	pt->next = st->cache;
	st->cache = pt;
	if (st->partial == NULL ||
	    (text = st->partial(pt->name, st->partial_arg)) == NULL)
		return pt;
	pt->src = tpl_indent(st, nd->line, text, nd->indent, nd->indent_len);
	/* Indentation grows with recursion: bound all cached text too. */
	if (pt->src && (st->partial_bytes += strlen(pt->src)) > st->out.max)
		tpl_errf(st->err, st->errlen, st->where, nd->line,
		    "partials larger than %zu bytes in all", st->out.max);
	if (pt->src == NULL || st->partial_bytes > st->out.max ||
	    tpl_parse(pt->src, strlen(pt->src), st->max_depth, pt->name,
	    &pt->tree, st->err, st->errlen) == -1) {
		free(pt->src);
		pt->src = NULL;
		return NULL;
	}
	return pt;
}

static int
tpl_render_partial(struct tpl_state *st, const struct tpl_node *nd)
{
	struct tpl_partial *pt;
	const char *where = st->where;
	int rc;

	if ((pt = tpl_partial_get(st, nd)) == NULL)
		return -1;
	if (pt->src == NULL)
		return 0;
	if (tpl_enter(st, nd->line) == -1)
		return -1;
	st->where = pt->name;
	rc = tpl_render_list(st, &pt->tree);
	st->where = where;
	st->depth--;
	return rc;
}

static int
tpl_render_list(struct tpl_state *st, const struct tpl_list *l)
{
	const struct tpl_node *nd;
	size_t i;

	for (i = 0; i < l->n; i++) {
		nd = &l->v[i];
		if (++st->steps > st->max_steps)
			return tpl_errf(st->err, st->errlen, st->where,
			    nd->line, "rendering takes more than %zu steps",
			    st->max_steps);
		switch (nd->kind) {
		case TPL_TEXT:
			if (tpl_put(st, nd->line, nd->str, nd->len) == -1)
				return -1;
			break;
		case TPL_VAR:
		case TPL_RAW:
			if (tpl_put_value(st, nd, tpl_lookup(st, nd->str,
			    nd->len)) == -1)
				return -1;
			break;
		case TPL_SECTION:
		case TPL_INVERTED:
			if (tpl_render_section(st, nd) == -1)
				return -1;
			break;
		case TPL_PARTIAL:
			if (tpl_render_partial(st, nd) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

static void
tpl_state_free(struct tpl_state *st)
{
	struct tpl_partial *pt;

	while ((pt = st->cache) != NULL) {
		st->cache = pt->next;
		tpl_list_free(&pt->tree);
		free(pt->name);
		free(pt->indent);
		free(pt->src);
		free(pt);
	}
	free(st->stack);
	buf_free(&st->out);
}

int
tpl_render(const char *tmpl, size_t len, json_t *context,
    const struct tpl_opts *opts, char **out, size_t *out_len,
    char *err, size_t errlen)
{
	static const struct tpl_opts defaults;
	struct tpl_list tree = { NULL, 0, 0 };
	struct tpl_state st = { .err = err, .errlen = errlen };
	int rc = -1;

	if (opts == NULL)
		opts = &defaults;
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (err && errlen)
		err[0] = '\0';
	st.escape = opts->html_escape;
	st.partial = opts->partial;
	st.partial_arg = opts->partial_arg;
	buf_init(&st.out, opts->max_output ? opts->max_output :
	    TPL_DEFAULT_OUTPUT);
	st.max_depth = opts->max_depth ? opts->max_depth : TPL_DEFAULT_DEPTH;
	if (st.max_depth > TPL_HARD_DEPTH)
		st.max_depth = TPL_HARD_DEPTH;
	st.max_steps = st.out.max > TPL_MIN_STEPS ? st.out.max : TPL_MIN_STEPS;
	if (tpl_parse(tmpl, len, st.max_depth, NULL, &tree, err, errlen) == -1)
		goto fail;
	if ((context ? tpl_render_with(&st, context, &tree) :
	    tpl_render_list(&st, &tree)) == -1)
		goto fail;
	*out = buf_release(&st.out, out_len);
	rc = 0;
fail:
	tpl_list_free(&tree);
	tpl_state_free(&st);
	return rc;
}
